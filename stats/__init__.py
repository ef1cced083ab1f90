"""Reading: every number the interfaces show comes from here.

dimensions.py declares every property once (the rollup writer reads it too); query.py parses the
text forms into a StatsQuery; runner.run(query) counts it through a CountSource (sources.py: raw
events, or rollups joined with the raw tail) and returns a Result; counts.py turns counts into
metrics; articles.py adds what an article's page shows beyond the metrics. goals.py says what a goal
counts; funnels.run_funnel(query, funnel) counts a funnel's steps.
"""

from stats.funnels import FunnelResult, run_funnel
from stats.query import DateRange, Filter, Kind, Operator, QueryError, StatsQuery, build_query
from stats.runner import Result, event_rows, prop_keys, realtime_visitors, run

__all__ = [
    "DateRange",
    "Filter",
    "FunnelResult",
    "Kind",
    "Operator",
    "QueryError",
    "Result",
    "StatsQuery",
    "build_query",
    "event_rows",
    "prop_keys",
    "realtime_visitors",
    "run",
    "run_funnel",
]
