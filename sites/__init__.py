"""Who owns what: sites, their members, API keys and share links.

Services (`services.py`, `keys.py`) change them; `selectors.py` is the one place that answers
whether a caller (a signed-in user, an API key, a share link's token, HTTP Basic credentials)
may see or act on a site. Everything else asks it and filters no sites by permission itself.
"""
