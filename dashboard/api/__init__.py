"""The REST API under /api/v1/, shaped like Plausible's Stats API v1: thin DRF views over a bearer key.

auth.py authenticates the key and counts it against its rate limit, errors.py renders every refusal
in the project's shape, and stats.py, sites.py, keys.py and export.py hold the views of each part;
openapi.py describes them all (drf-spectacular). Who may do what is asked of sites/selectors.py.
"""
