"""What a goal counts: the events that complete it. Each count source turns this rule into its own
query (stats/raw.py for the relational store).

A page goal is completed by a page view whose path matches the goal's pattern (`*` any characters
but "/", `**` any characters at all, as Plausible's wildcards); an event goal by a custom event of
its name, with its property equal to the value where it names one. Goals are matched when a query
runs, so a new goal counts past events too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sites.models import Goal


def path_pattern(page_path: str) -> str:
    """The anchored regular expression of a page goal's path, in the syntax SQLite's REGEXP (Python's)
    and PostgreSQL's `~` share."""
    parts = re.split(r"(\*\*|\*)", page_path)
    wildcards = {"**": ".*", "*": "[^/]*"}
    return r"\A" + "".join(wildcards.get(part) or re.escape(part) for part in parts) + r"\Z"


def matches_path(page_path: str, path: str) -> bool:
    """Whether a path matches a page goal's pattern (the same rule the database applies)."""
    return re.match(path_pattern(page_path), path) is not None


def of_site(site_id: int, names: Iterable[str] | None = None) -> list[Goal]:
    """The site's goals, all or those of these display names, in the order they were made."""
    goals = Goal.objects.filter(site_id=site_id)
    if names is not None:
        goals = goals.filter(display_name__in=list(names))
    return list(goals.order_by("id"))
