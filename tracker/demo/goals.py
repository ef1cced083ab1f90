"""The demo site's goals and funnel, matching what tracker/demo/traffic.py sends: the home page, articles
under /blog/, and the Signup and File Download custom events (sent while reading an article).

Created once, so `make run` shows the Goals and Funnels panels filled; what an owner later changes in the
settings stays as they left it.
"""

from __future__ import annotations

from typing import Any

from sites.goals import funnel_create, goal_create
from sites.models import Site

DEMO_GOALS: list[dict[str, Any]] = [
    {"goal_type": "page", "page_path": "/", "display_name": "Visit the home page"},
    {"goal_type": "page", "page_path": "/blog/**", "display_name": "Read an article"},
    {"goal_type": "event", "event_name": "Signup"},
    {"goal_type": "event", "event_name": "File Download"},
]
DEMO_FUNNEL = ("From the home page to a sign-up", ["Visit the home page", "Read an article", "Signup"])


def demo_goals_create(site: Site) -> None:
    """Give the site the demo goals if it has no goal, and the demo funnel if it has no funnel and still
    has its goals; running it again changes nothing."""
    if not site.goals.exists():
        for goal in DEMO_GOALS:
            goal_create(site=site, **goal)
    name, steps = DEMO_FUNNEL
    if not site.funnels.exists() and site.goals.filter(display_name__in=steps).count() == len(steps):
        funnel_create(site=site, name=name, steps=steps)
