"""The write side, in the order an event travels: ingest/ (a request becomes validated Hit records),
buffer.py (a Redis stream, the request itself, or the spool), pipeline/ (named steps, visits, one
batch write), rollups/ (resumable day, hour and month counts), lifecycle/ (archive, export,
retention, deletion) and demo/ (synthetic traffic). models.py holds the collected data; tasks.py
the Celery tasks that run the periodic parts.

Raw IP addresses stop at the edge steps of the ingest request (pipeline.steps.pseudonymise: the
site's excluded ranges, the visitor hash, the country, then the address is forgotten): the buffer,
the database, the archive and the logs never see one.
"""
