"""Settings of the bare baseline server in bench/ingest.py.

Exactly the production settings (same middleware, same environment), except that the
URLconf is bench.bare_urls, which serves a do-nothing JSON view at POST /api/event.
"""

from analytics_site.settings.production import *  # noqa: F403

ROOT_URLCONF = "bench.bare_urls"
