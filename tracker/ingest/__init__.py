"""Ingest: a request becomes Hit records (hits.py), validated and stamped with server time and a uuid
(validation.py), and handed to the buffer by thin views (views.py) that answer 202 at once.
snippet.py serves the script sites embed."""
