"""Settings for the test suite: fast hashing, eager tasks, and the same env-driven stack."""

from .base import *  # noqa: F403
from .base import DATABASES, VAR_DIR, env

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DEBUG = False
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
# Tests run the pipeline in-process unless a test switches the buffer to the stream
# (the `stream_mode` fixture reads REDIS_URL); the service tests start a real worker.
REDIS_URL = ""
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
INGEST_RATE_LIMIT_PER_MINUTE = env.int("INGEST_RATE_LIMIT_PER_MINUTE", default=0)
BUFFER_STREAM = env.str("BUFFER_STREAM", default="footfall:test:events")
# Tests build their own tiny GeoIP databases.
GEOIP_DATABASE = env.str("GEOIP_DATABASE", default="")

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not shared-cache memory: the browser tests' live server writes from another thread.
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
