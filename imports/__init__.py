"""History from other tools: daily aggregates imported from Plausible CE, Umami and Google Analytics 4.

models.py keeps each import (its file's hash makes re-importing the same file a no-op) and its rows of
daily counts per property value; formats.py names the importers (a format is one entry); each importer
(plausible.py, umami.py, ga4.py) reads its tool's files row by row, counting what it skips and why;
services.py runs an import, from the command or from the settings page (through Celery where one runs).
stats/imported.py reads the rows into the stats layer's answers.
"""
