"""A site's goals and funnels: defining them (checked as Plausible checks goals) and removing them.

The fields are named as in Plausible's Sites API (`goal_type`, `event_name`, `page_path`,
`display_name`, `custom_props`), so its clients and habits carry over. What a goal counts is
stats/goals.py's business.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.db import IntegrityError, transaction

from sites.models import Funnel, FunnelStep, Goal, Site
from stats.dimensions import ENGAGEMENT, PAGEVIEW, PROP_KEY

# A site keeps at most this many goals: each is a condition of every goal breakdown's query.
MAX_GOALS = 100
MAX_FUNNELS = 100
FUNNEL_STEPS = (2, 8)


class GoalError(ValueError):
    """A goal or funnel that cannot be saved; `code` is stable, `field` names the offending field."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


def _page_path(text: str) -> str:
    path = text.strip()
    if not path.startswith("/"):
        raise GoalError("invalid_field", "A page path starts with '/', e.g. /signup or /blog/**.", "page_path")
    if len(path) > 2000 or any(char.isspace() for char in path):
        raise GoalError("invalid_field", "A page path is up to 2,000 characters without spaces.", "page_path")
    return path


def _event_name(text: str) -> str:
    name = text.strip()
    if not name or len(name) > 120:
        raise GoalError("invalid_field", "An event name is 1 to 120 characters.", "event_name")
    if name in (PAGEVIEW, ENGAGEMENT):
        message = f"{name!r} is not a custom event; for page views use a page goal."
        raise GoalError("invalid_field", message, "event_name")
    return name


def _custom_props(props: Mapping[str, object] | None) -> tuple[str, str]:
    if not props:
        return "", ""
    if len(props) != 1:
        raise GoalError("invalid_field", "A goal matches at most one property.", "custom_props")
    ((key, value),) = props.items()
    if not PROP_KEY.match(str(key)):
        message = "A property key is 1 to 300 letters, digits, spaces and _ - . : / @ # $ +."
        raise GoalError("invalid_field", message, "custom_props")
    if not isinstance(value, str) or not value or len(value) > 2000:
        raise GoalError("invalid_field", "A property value is text of 1 to 2,000 characters.", "custom_props")
    return str(key), value


def default_display_name(goal_type: str, event_name: str, page_path: str, prop: tuple[str, str]) -> str:
    """Plausible's names: "Visit /path" for a page goal, the event's name for an event goal."""
    if goal_type == Goal.Type.PAGE:
        return f"Visit {page_path}"[:120]
    key, value = prop
    return f"{event_name} ({key}={value})"[:120] if key else event_name


def goal_create(
    *,
    site: Site,
    goal_type: str,
    event_name: str = "",
    page_path: str = "",
    custom_props: Mapping[str, object] | None = None,
    display_name: str = "",
) -> Goal:
    """Add a goal to the site; raise GoalError for a bad or duplicate definition."""
    if goal_type == Goal.Type.EVENT:
        if page_path:
            raise GoalError("invalid_field", "An event goal has no page path.", "page_path")
        event_name, page_path, prop = _event_name(event_name), "", _custom_props(custom_props)
    elif goal_type == Goal.Type.PAGE:
        if event_name or custom_props:
            field = "event_name" if event_name else "custom_props"
            raise GoalError("invalid_field", "A page goal has only a page path.", field)
        event_name, page_path, prop = "", _page_path(page_path), ("", "")
    else:
        raise GoalError("invalid_field", "goal_type is 'event' or 'page'.", "goal_type")
    name = display_name.strip() or default_display_name(goal_type, event_name, page_path, prop)
    if len(name) > 120:
        raise GoalError("invalid_field", "A display name is up to 120 characters.", "display_name")
    goal = Goal(
        site=site,
        goal_type=goal_type,
        event_name=event_name,
        page_path=page_path,
        prop_key=prop[0],
        prop_value=prop[1],
        display_name=name,
    )
    with transaction.atomic():
        # Locking the site serialises goal changes of one site, so the limit and the duplicate check hold.
        Site.objects.select_for_update().filter(id=site.id).first()
        goals = Goal.objects.filter(site=site)
        if goals.count() >= MAX_GOALS:
            raise GoalError("too_many_goals", f"A site has at most {MAX_GOALS} goals.")
        same = goals.filter(goal_type=goal_type, event_name=event_name, page_path=page_path)
        if same.filter(prop_key=prop[0], prop_value=prop[1]).exists():
            raise GoalError("goal_exists", "The site has this goal already.")
        try:
            with transaction.atomic():
                goal.save()
        except IntegrityError as exc:
            raise GoalError("goal_exists", f"The site has a goal named {name!r} already.", "display_name") from exc
    return goal


def goal_delete(*, site: Site, goal_id: int) -> bool:
    """Remove one of the site's goals, and the funnels it is a step of; return whether there was one."""
    with transaction.atomic():
        Funnel.objects.filter(site=site, steps__goal_id=goal_id).delete()
        deleted, _ = Goal.objects.filter(site=site, id=goal_id).delete()
    return bool(deleted)


def funnel_create(*, site: Site, name: str, steps: Sequence[str]) -> Funnel:
    """Add a funnel of the site's goals, named by their display names in order; raise GoalError for a
    bad or duplicate definition."""
    name = name.strip()
    if not name or len(name) > 120:
        raise GoalError("invalid_field", "A funnel's name is 1 to 120 characters.", "name")
    least, most = FUNNEL_STEPS
    if not least <= len(steps) <= most:
        raise GoalError("invalid_field", f"A funnel has {least} to {most} steps.", "steps")
    if len(set(steps)) != len(steps):
        raise GoalError("invalid_field", "A goal is one step of a funnel, not two.", "steps")
    with transaction.atomic():
        Site.objects.select_for_update().filter(id=site.id).first()
        goals = {goal.display_name: goal for goal in Goal.objects.filter(site=site, display_name__in=list(steps))}
        missing = [step for step in steps if step not in goals]
        if missing:
            raise GoalError("invalid_field", f"The site has no goal {missing[0]!r}.", "steps")
        funnels = Funnel.objects.filter(site=site)
        if funnels.count() >= MAX_FUNNELS:
            raise GoalError("too_many_funnels", f"A site has at most {MAX_FUNNELS} funnels.")
        if funnels.filter(name=name).exists():
            raise GoalError("funnel_exists", f"The site has a funnel named {name!r} already.", "name")
        funnel = Funnel.objects.create(site=site, name=name)
        FunnelStep.objects.bulk_create(
            FunnelStep(funnel=funnel, goal=goals[step], position=n) for n, step in enumerate(steps)
        )
    return funnel


def funnel_delete(*, site: Site, funnel_id: int) -> bool:
    """Remove one of the site's funnels (its goals stay); return whether there was one."""
    deleted, _ = Funnel.objects.filter(site=site, id=funnel_id).delete()
    return bool(deleted)


def as_id(text: str) -> int | None:
    """The id a path or parameter names: ASCII digits that fit a database id, else None."""
    return int(text) if text.isascii() and text.isdigit() and len(text) < 19 else None


def funnel_of_site(site: Site, id_or_name: str) -> Funnel | None:
    """The site's funnel of this id or name."""
    funnels = Funnel.objects.filter(site=site)
    text = id_or_name.strip()
    found = as_id(text)
    by_id = None if found is None else funnels.filter(id=found).first()
    return by_id or funnels.filter(name=text).first()
