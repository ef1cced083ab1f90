"""The pipeline: a hit through named steps (steps.py) in a fixed order, then a batch written at once
(batch.py): visits assigned (sessions.py), events inserted (storage.py), rollup days marked.

enrich/ holds what the steps consult: the visitor hash and its daily salts, the country of an
address, user agents, referrers and their sources.
"""

from tracker.pipeline.batch import BatchResult, process_batch, store_enriched
from tracker.pipeline.steps import pseudonymise

__all__ = ["BatchResult", "process_batch", "pseudonymise", "store_enriched"]
