"""A small OpenID Connect provider (django-oauth-toolkit) that the single sign-on tests start in a child
process on 127.0.0.1: its own settings, a SQLite file, two people and one client (serve.py)."""
