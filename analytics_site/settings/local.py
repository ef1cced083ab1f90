"""Settings for `make run`: the embedded mode on this machine, served by gunicorn with DEBUG off.

`make dev` (or DEBUG=true) turns DEBUG on for development: Django's error pages, GraphiQL.
"""

from pathlib import Path

from .base import *  # noqa: F403
from .base import VAR_DIR, env

DEBUG = env.bool("DEBUG", default=False)
# Static files are served by whitenoise straight from the apps' folders, so a local install needs no
# collectstatic step; with DEBUG they are re-read when they change. STATIC_ROOT only exists so that
# whitenoise finds the folder it also looks in.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
