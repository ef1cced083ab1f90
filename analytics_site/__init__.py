from .celery import app as celery_app

# Footfall's version: releases are tagged v<version>, and CHANGELOG.md says what each one changed.
__version__ = "0.1.0"

__all__ = ("__version__", "celery_app")
