"""A site's settings page, for its owners: snippet and install check, time zone, exclusions, goals, funnels,
members, invitations, API keys, share links, imports from other tools, retention and deletion.

Each form posts to its own small action that changes one thing through a service; the browser then
goes back to the page (a new key's secret travels there in the session, shown once).
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.db import transaction
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from imports.formats import FORMATS
from imports.services import import_create, import_delete
from imports.tasks import import_run_task
from sites.exclusions import ExclusionError, exclusions_set
from sites.goals import FUNNEL_STEPS, GoalError, as_id, funnel_create, funnel_delete, goal_create, goal_delete
from sites.invitations import InvitationError, invitation_create, invitation_mail, invitation_revoke, pending
from sites.keys import api_key_create, api_key_revoke
from sites.models import ApiKey, Goal, Membership, Site
from sites.selectors import api_keys_reaching_site, site_for_owner
from sites.services import (
    AccessError,
    membership_remove,
    membership_set,
    ownership_transfer,
    share_link_create,
    share_link_revoke,
    site_update,
)
from stats.arrivals import arrivals
from tracker.lifecycle.deletion import site_delete, site_delete_data
from tracker.models import Event

REGIONS = ("Africa", "America", "Antarctica", "Asia", "Atlantic", "Australia", "Europe", "Indian", "Pacific")


def timezone_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """The IANA time zones grouped by region ("Europe": Berlin, Paris, ...), the rest (UTC, aliases) last."""
    groups: dict[str, list[tuple[str, str]]] = {region: [] for region in (*REGIONS, "Other")}
    for zone in sorted(zoneinfo.available_timezones()):
        region, _, place = zone.partition("/")
        if region in REGIONS and place:
            groups[region].append((zone, place.replace("_", " ")))
        else:
            groups["Other"].append((zone, zone))
    return list(groups.items())


class TimezoneForm(forms.Form):
    timezone = forms.ChoiceField(choices=timezone_choices)


class MemberForm(forms.Form):
    username = forms.CharField(max_length=150)
    role = forms.ChoiceField(choices=Membership.Role.choices)


class InvitationForm(forms.Form):
    email = forms.EmailField(max_length=254)
    role = forms.ChoiceField(choices=Membership.Role.choices)


class TransferForm(forms.Form):
    membership = forms.IntegerField(min_value=1)


class RetentionForm(forms.Form):
    retention_days = forms.IntegerField(min_value=1, max_value=36_500, required=False)
    archive_retention_days = forms.IntegerField(min_value=1, max_value=36_500, required=False)


def _one_per_line(label: str, help_text: str) -> forms.CharField:
    return forms.CharField(
        label=label, required=False, max_length=50_000, help_text=help_text, widget=forms.Textarea(attrs={"rows": 3})
    )


class ExclusionsForm(forms.Form):
    """A site's exclusions, one entry per line (sites/exclusions.py checks and normalises them)."""

    excluded_paths = _one_per_line("Excluded paths", "e.g. /admin/** (* any characters but /, ** any)")
    allowed_hostnames = _one_per_line("Count only these hostnames", "e.g. blog.example or *.blog.example; empty: all")
    excluded_ip_ranges = _one_per_line("Excluded address ranges", "CIDR, e.g. 203.0.113.0/24 or 2001:db8::/32")

    @classmethod
    def of(cls, site: Site) -> ExclusionsForm:
        fields = ("excluded_paths", "allowed_hostnames", "excluded_ip_ranges")
        return cls(initial={name: "\n".join(getattr(site, name)) for name in fields})

    def lists(self) -> dict[str, list[str]]:
        return {name: str(value).splitlines() for name, value in self.cleaned_data.items()}


class ConfirmForm(forms.Form):
    """Destructive actions are confirmed by typing the site's domain."""

    confirm = forms.CharField(max_length=253)

    def __init__(self, *args: Any, site: Site, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.site = site

    def clean_confirm(self) -> str:
        if self.cleaned_data["confirm"].strip() != self.site.domain:
            raise forms.ValidationError(f"Type {self.site.domain} to confirm.")
        return self.site.domain


class KeyForm(forms.Form):
    name = forms.CharField(max_length=100)
    scopes = forms.MultipleChoiceField(choices=ApiKey.Scope.choices, widget=forms.CheckboxSelectMultiple)


class PageGoalForm(forms.Form):
    page_path = forms.CharField(
        label="Page path", max_length=2000, help_text="* matches any characters but /, ** any characters: /blog/**"
    )
    display_name = forms.CharField(label="Name", max_length=120, required=False, help_text="Default: Visit /path")

    def goal(self) -> dict[str, Any]:
        """The arguments of goal_create."""
        return {"goal_type": Goal.Type.PAGE, **self.cleaned_data}


class EventGoalForm(forms.Form):
    event_name = forms.CharField(label="Event name", max_length=120, help_text="As sent: footfall('Signup')")
    prop_key = forms.CharField(label="Property", max_length=300, required=False, help_text="Optional, e.g. plan")
    prop_value = forms.CharField(label="equals", max_length=2000, required=False, help_text="e.g. pro")
    display_name = forms.CharField(label="Name", max_length=120, required=False, help_text="Default: the event's name")

    def goal(self) -> dict[str, Any]:
        """The arguments of goal_create: a property only where one of its halves is given."""
        data = self.cleaned_data
        prop = {data["prop_key"]: data["prop_value"]} if data["prop_key"] or data["prop_value"] else None
        return {
            "goal_type": Goal.Type.EVENT,
            "event_name": data["event_name"],
            "custom_props": prop,
            "display_name": data["display_name"],
        }


GoalForm = PageGoalForm | EventGoalForm
GOAL_FORMS: dict[str, type[GoalForm]] = {Goal.Type.PAGE: PageGoalForm, Goal.Type.EVENT: EventGoalForm}
# A goal form that was refused waits here, with what was typed and the service's error, for the page view
# after the POST, which shows it again beside its fields.
REFUSED_GOAL = "refused_goal"


def _goal_form(goal_type: str, refused: dict[str, Any] | None) -> GoalForm:
    """The form adding a goal of this type: empty, or the one refused last with its data and errors."""
    form_class, auto_id = GOAL_FORMS[goal_type], f"id_{goal_type}_goal_%s"
    if not refused or refused["goal_type"] != goal_type:
        return form_class(auto_id=auto_id)
    form = form_class(refused["data"], auto_id=auto_id)
    if form.is_valid() and refused["error"]:
        field, message = refused["error"]
        field = "prop_key" if field == "custom_props" else field  # the property's key and value, as one
        form.add_error(field if field in form.fields else None, message)
    return form


# Rows the funnel form shows: without a script, a funnel of up to this many steps can be made; the script
# adds rows up to the most steps a funnel has.
DEFAULT_FUNNEL_ROWS = 4
MAX_FUNNEL_ROWS = 2 * FUNNEL_STEPS[1]


class StepsField(forms.TypedMultipleChoiceField):
    """A funnel's steps: one goal id per row of the form, in order; rows left blank are no step."""

    def to_python(self, value: Any) -> list[str]:
        return [step for step in super().to_python(value) if step]


class FunnelForm(forms.Form):
    """A funnel as the settings page adds it: a name and the site's goals, one per row, in order.

    Each step is a <select name="steps"> of the site's goals; the service checks the count, repeats, the
    name and the limit, and its errors come back on this form.
    """

    name = forms.CharField(label="Name", max_length=120)
    steps = StepsField(label="Steps", required=False, coerce=int)

    def __init__(self, *args: Any, goals: list[Goal], **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_funnel_%s")
        super().__init__(*args, **kwargs)
        self.goals = {goal.id: goal for goal in goals}
        steps = self.fields["steps"]
        assert isinstance(steps, StepsField)
        steps.choices = [(goal.id, goal.display_name) for goal in goals]
        steps.error_messages["invalid_choice"] = "The site has no such goal; pick one of its goals."

    def step_names(self) -> list[str]:
        """The chosen goals' names, in order, as funnel_create takes them."""
        return [self.goals[goal_id].display_name for goal_id in self.cleaned_data["steps"]]

    def rows(self) -> list[int | None]:
        """The goal id of each <select> row: as posted (blanks kept, so nothing typed moves), else empty rows."""
        posted = [as_id(value) for value in self.data.getlist("steps")] if isinstance(self.data, QueryDict) else []
        # A crafted post of a thousand rows would come back as a page of a thousand lists of every goal.
        return posted[:MAX_FUNNEL_ROWS] + [None] * (DEFAULT_FUNNEL_ROWS - len(posted))


class ImportForm(forms.Form):
    """A file exported from another tool; refused at its field when too large (413) or not of the format."""

    format = forms.ChoiceField(choices=[(name, entry.label) for name, entry in FORMATS.items()])
    file = forms.FileField(help_text="Imported days count on the dashboard until the site's own data begins.")
    status = 400

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        upload, format = data.get("file"), data.get("format")
        if upload is None or format is None:
            return data
        if upload.size > settings.IMPORT_MAX_UPLOAD_BYTES:
            self.status = 413
            limit = settings.IMPORT_MAX_UPLOAD_BYTES / 1024 / 1024
            self.add_error("file", f"The file is larger than {limit:g} MB; import it with manage.py import_stats.")
        elif problem := FORMATS[format].check(upload, upload.name):
            self.add_error("file", problem)
        return data


# A new key's secret waits here, in the session, for the one page view after the POST that shows it.
NEW_KEY = "new_api_key"


def _page(
    request: HttpRequest,
    site: Site,
    *,
    funnel_form: FunnelForm | None = None,
    import_form: ImportForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The settings page; a refused funnel or import form is shown again as posted, with the status of its error."""
    refused = request.session.pop(REFUSED_GOAL, None)
    goals = list(site.goals.order_by("id"))
    last_event = Event.objects.filter(site=site).order_by("-timestamp").values_list("timestamp", flat=True).first()
    context = {
        "site": site,
        "script_url": request.build_absolute_uri(reverse("snippet")),
        "last_event": last_event,
        "timezone_form": TimezoneForm(initial={"timezone": site.timezone}),
        "goals": goals,
        "funnels": site.funnels.order_by("id").prefetch_related("steps__goal"),
        "funnel_form": funnel_form or FunnelForm(goals=goals),
        "funnel_steps": FUNNEL_STEPS,
        "page_goal_form": _goal_form(Goal.Type.PAGE, refused),
        "event_goal_form": _goal_form(Goal.Type.EVENT, refused),
        "member_form": MemberForm(initial={"role": Membership.Role.VIEWER}),
        "invitation_form": InvitationForm(initial={"role": Membership.Role.VIEWER}),
        "invitations": pending(site, timezone.now()),
        "exclusions_form": ExclusionsForm.of(site),
        "key_form": KeyForm(initial={"scopes": [ApiKey.Scope.STATS_READ]}),
        "members": site.memberships.select_related("user").order_by("user__username"),
        "keys": api_keys_reaching_site(_user(request), site).prefetch_related("sites"),
        "share_links": site.share_links.filter(revoked__isnull=True),
        "retention_form": RetentionForm(
            initial={"retention_days": site.retention_days, "archive_retention_days": site.archive_retention_days}
        ),
        "new_key": request.session.pop(NEW_KEY, None),
        "import_form": import_form or ImportForm(),
        "imports": site.imports.order_by("-created")[:50],
        "arrivals": arrivals(site.id, timezone.now()),
    }
    return render(request, "dashboard/pages/site_settings.html", context, status=status)


def _user(request: HttpRequest) -> User:
    """The signed-in user (every view here requires login)."""
    assert isinstance(request.user, User)
    return request.user


Action = Callable[..., HttpResponse | None]


def owner_action(action: Action) -> Callable[..., HttpResponse]:
    """A POST of the site's owners: the action gets the site, and the browser goes back to the settings page
    unless the action answers otherwise."""

    @login_required
    @require_POST
    @wraps(action)
    def view(request: HttpRequest, domain: str, **arguments: Any) -> HttpResponse:
        site = site_for_owner(request.user, domain)
        return action(request, site, **arguments) or redirect("dashboard:settings", site.domain)

    return view


def _valid(request: HttpRequest, form: forms.Form) -> bool:
    """Whether the form is valid; if not, its errors are shown on the next page."""
    for field, errors in form.errors.items():
        messages.error(request, f"{field}: {' '.join(str(error) for error in errors)}")
    return form.is_valid()


@login_required
def settings_page(request: HttpRequest, domain: str) -> HttpResponse:
    return _page(request, site_for_owner(request.user, domain))


@owner_action
def set_timezone(request: HttpRequest, site: Site) -> None:
    form = TimezoneForm(request.POST)
    if _valid(request, form):
        site_update(site=site, timezone=form.cleaned_data["timezone"])
        messages.success(request, f"Days now start at midnight in {site.timezone}.")


def _to_goals(site: Site) -> HttpResponse:
    return redirect(reverse("dashboard:settings", args=[site.domain]) + "#goals")


@owner_action
def set_exclusions(request: HttpRequest, site: Site) -> HttpResponse:
    form = ExclusionsForm(request.POST)
    if _valid(request, form):
        try:
            exclusions_set(site=site, **form.lists())
        except ExclusionError as exc:
            messages.error(request, f"{form.fields[exc.field].label}: {exc.message} Nothing was changed.")
        else:
            messages.success(request, "Exclusions saved; they apply to events from now on, within a minute.")
    return redirect(reverse("dashboard:settings", args=[site.domain]) + "#exclusions")


@owner_action
def create_goal(request: HttpRequest, site: Site) -> HttpResponse:
    """Add a page or custom-event goal; a refused one comes back beside its form, as it was typed."""
    goal_type = request.POST.get("goal_type", "")
    if goal_type not in GOAL_FORMS:
        messages.error(request, "A goal is a page goal or a custom-event goal.")
        return _to_goals(site)
    form = GOAL_FORMS[goal_type](request.POST)
    error = None
    if form.is_valid():
        try:
            goal = goal_create(site=site, **form.goal())
        except GoalError as exc:
            error = (exc.field, exc.message)
        else:
            messages.success(request, f"Goal {goal.display_name} added; it counts past visits too.")
            return _to_goals(site)
    data = {name: form.data.get(name, "") for name in form.fields}
    request.session[REFUSED_GOAL] = {"goal_type": goal_type, "data": data, "error": error}
    return _to_goals(site)


@owner_action
def delete_goal(request: HttpRequest, site: Site, goal_id: int) -> HttpResponse:
    if goal_delete(site=site, goal_id=goal_id):
        messages.success(request, "Goal deleted.")
    else:
        messages.error(request, "No such goal.")
    return _to_goals(site)


def _to_funnels(site: Site) -> HttpResponse:
    return redirect(reverse("dashboard:settings", args=[site.domain]) + "#funnels")


def _funnel_status(error: GoalError) -> int:
    """A refused funnel's status, as the API answers it: 409 for a name taken, 400 for the rest."""
    return 409 if error.code == "funnel_exists" else 400


@owner_action
def create_funnel(request: HttpRequest, site: Site) -> HttpResponse:
    """Add a funnel of the site's goals; a refused one is shown again at once, as posted, with a 4xx."""
    form = FunnelForm(request.POST, goals=list(site.goals.order_by("id")))
    status = 400
    if form.is_valid():
        try:
            funnel = funnel_create(site=site, name=form.cleaned_data["name"], steps=form.step_names())
        except GoalError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            status = _funnel_status(exc)
        else:
            messages.success(request, f"Funnel {funnel.name} added; it counts past visits too.")
            return _to_funnels(site)
    return _page(request, site, funnel_form=form, status=status)


@owner_action
def delete_funnel(request: HttpRequest, site: Site, funnel_id: int) -> HttpResponse:
    if funnel_delete(site=site, funnel_id=funnel_id):
        messages.success(request, "Funnel deleted; its goals stay.")
    else:
        messages.error(request, "No such funnel.")
    return _to_funnels(site)


@owner_action
def set_member(request: HttpRequest, site: Site) -> None:
    form = MemberForm(request.POST)
    if not _valid(request, form):
        return
    try:
        membership = membership_set(site=site, **form.cleaned_data)
        messages.success(request, f"{membership.user.username} is now {membership.get_role_display().lower()}.")
    except AccessError as exc:
        messages.error(request, str(exc))


def _to_members(site: Site) -> HttpResponse:
    return redirect(reverse("dashboard:settings", args=[site.domain]) + "#members")


@owner_action
def invite(request: HttpRequest, site: Site) -> HttpResponse:
    """Invite an address with a role: a mail with a link that works once, until it expires."""
    form = InvitationForm(request.POST)
    if _valid(request, form):
        try:
            invitation, token = invitation_create(site=site, invited_by=_user(request), **form.cleaned_data)
        except InvitationError as exc:
            messages.error(request, exc.message)
        else:
            link = request.build_absolute_uri(reverse("dashboard:invitation", args=[token]))
            invitation_mail(invitation, link=link)
            messages.success(
                request, f"Invitation sent to {invitation.email}; it expires {invitation.expires:%Y-%m-%d}."
            )
    return _to_members(site)


@owner_action
def revoke_invitation(request: HttpRequest, site: Site, invitation_id: int) -> HttpResponse:
    if invitation_revoke(site=site, invitation_id=invitation_id):
        messages.success(request, "Invitation revoked; its link no longer works.")
    else:
        messages.error(request, "No such open invitation.")
    return _to_members(site)


@owner_action
def transfer_ownership(request: HttpRequest, site: Site) -> HttpResponse:
    """Make another member an owner and the current owner a viewer; the viewer lands on the dashboard."""
    form = TransferForm(request.POST)
    if not _valid(request, form):
        return _to_members(site)
    try:
        target = ownership_transfer(site=site, owner=_user(request), membership_id=form.cleaned_data["membership"])
    except AccessError as exc:
        messages.error(request, str(exc))
        return _to_members(site)
    messages.success(request, f"{target.user.username} owns {site.domain} now.")
    return redirect("dashboard:site", site.domain)


@owner_action
def remove_member(request: HttpRequest, site: Site, membership_id: int) -> None:
    try:
        membership_remove(site=site, membership_id=membership_id)
        messages.success(request, "Member removed.")
    except AccessError as exc:
        messages.error(request, str(exc))


@owner_action
def create_key(request: HttpRequest, site: Site) -> None:
    form = KeyForm(request.POST)
    if _valid(request, form):
        key, secret = api_key_create(user=_user(request), sites=[site], **form.cleaned_data)
        # Shown once, on the page the browser is sent to; the key itself keeps nothing but its hash.
        request.session[NEW_KEY] = {"name": key.name, "secret": secret}


@owner_action
def revoke_key(request: HttpRequest, site: Site, prefix: str) -> None:
    key = api_keys_reaching_site(_user(request), site).filter(prefix=prefix).first()
    if key is None:
        messages.error(request, "No such key.")
    else:
        api_key_revoke(key=key)
        messages.success(request, f"Key {key.name} revoked.")


@owner_action
def create_share_link(request: HttpRequest, site: Site) -> None:
    share_link_create(site)
    messages.success(request, "Share link created. Anyone with it can read this site's dashboard.")


@owner_action
def revoke_share_link(request: HttpRequest, site: Site, link_id: int) -> None:
    share_link_revoke(site=site, link_id=link_id)
    messages.success(request, "Share link revoked.")


def _to_imports(site: Site) -> HttpResponse:
    return redirect(reverse("dashboard:settings", args=[site.domain]) + "#imports")


@owner_action
def upload_import(request: HttpRequest, site: Site) -> HttpResponse:
    """Queue an uploaded export for import (through Celery; inline in the embedded mode, where tasks run
    eagerly); a file imported before changes nothing. A refused file comes back at its field."""
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, site, import_form=form, status=form.status)
    upload = form.cleaned_data["file"]
    job, new = import_create(
        site_id=site.id,
        format=form.cleaned_data["format"],
        file_name=upload.name,
        file=upload,
        user=_user(request),
        keep=True,
    )
    if new:
        transaction.on_commit(lambda: import_run_task.delay(job.id))
        messages.success(request, f"{job.file_name} is being imported; its status shows below.")
    else:
        messages.info(request, f"{job.file_name} was imported before; nothing changed.")
    return _to_imports(site)


@owner_action
def delete_import(request: HttpRequest, site: Site, import_id: int) -> HttpResponse:
    if import_delete(site_id=site.id, import_id=import_id):
        messages.success(request, "Import deleted with its numbers.")
    else:
        messages.error(request, "No such import.")
    return _to_imports(site)


@owner_action
def set_retention(request: HttpRequest, site: Site) -> None:
    form = RetentionForm(request.POST)
    if _valid(request, form):
        site_update(site=site, **form.cleaned_data)
        messages.success(request, "Retention saved; older raw events go within the hour (rollups stay).")


@owner_action
def delete_data(request: HttpRequest, site: Site) -> None:
    if _valid(request, ConfirmForm(request.POST, site=site)):
        events = site_delete_data(site).get("events", 0)
        messages.success(request, f"Deleted {events:,} events of {site.domain} and everything made from them.")


@owner_action
def delete_site(request: HttpRequest, site: Site) -> HttpResponse | None:
    if not _valid(request, ConfirmForm(request.POST, site=site)):
        return None
    domain = site.domain
    site_delete(site)
    messages.success(request, f"{domain} and all its data are deleted.")
    return redirect("dashboard:site-list")
