"""Settings of the bare baseline server in bench/ingest.py.

Exactly the production settings (same environment), except that the URLconf is
bench.bare_urls, which serves a do-nothing JSON view at POST /api/event, and that the request
takes Django's usual way to that view, through the whole middleware stack: the shortcut by
which the product answers its ingest paths ahead of most middleware is part of what is
measured, not of the baseline.
"""

from analytics_site.settings.production import *  # noqa: F403

ROOT_URLCONF = "bench.bare_urls"
MIDDLEWARE = [m for m in MIDDLEWARE if m != "tracker.ingest.middleware.IngestShortcutMiddleware"]  # noqa: F405
