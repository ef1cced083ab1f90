"""WSGI entry point (gunicorn analytics_site.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "analytics_site.settings.local")

application = get_wsgi_application()
# Import the URL conf, and with it every view, now rather than on the first request: under
# `gunicorn --preload` that happens once in the master process, and its workers share those pages.
get_resolver().url_patterns  # noqa: B018
