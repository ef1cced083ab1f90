"""Django admin for sites (whose deletion removes everything collected) and the collected data."""

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from sites.models import ApiKey, Membership, Site
from tracker.lifecycle.deletion import site_delete
from tracker.models import ArchiveFile, DropCount, Event, Rollup, Salt, Session, SpooledHit

# What ModelAdmin.get_deleted_objects returns: lines to show, counts, missing permissions, protected.
DeletedObjects = tuple[list[Any], dict[str, int], set[str], list[Any]]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ["domain", "name", "timezone", "retention_days", "created"]
    list_filter = ["timezone"]
    search_fields = ["domain", "name"]
    inlines = [MembershipInline]

    def get_deleted_objects(
        self, objs: Any, request: HttpRequest
    ) -> tuple[list[Any], dict[str, int], set[str], list[Any]]:
        """Summarise what goes, by count: listing every event would build a page of millions of lines.

        Django's confirmation page names each site above this list.
        """
        sites = list(objs)
        ids = [site.id for site in sites]
        counts = {
            "events": Event.objects.filter(site_id__in=ids).count(),
            "sessions": Session.objects.filter(site_id__in=ids).count(),
            "rollup rows": Rollup.objects.filter(site_id__in=ids).count(),
            "archive files": ArchiveFile.objects.filter(site_id__in=ids).count(),
            "memberships": Membership.objects.filter(site_id__in=ids).count(),
            "API keys narrowed to it": ApiKey.objects.filter(sites__in=ids).distinct().count(),
        }
        summary = [f"Site: {site.domain}" for site in sites] + [f"{n:,} {what}" for what, n in counts.items()]
        perms_needed = set() if self.has_delete_permission(request) else {"site"}
        return summary, {"sites": len(sites), **counts}, perms_needed, []

    def delete_model(self, request: HttpRequest, obj: Site) -> None:
        site_delete(obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Site]) -> None:
        for site in queryset:
            site_delete(site)


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "site",
        "started",
        "entry_path",
        "exit_path",
        "pageviews",
        "duration",
        "is_bounce",
        "referrer_source",
        "country",
    ]
    list_filter = ["site", "is_bounce", "device_type", "country"]
    search_fields = ["entry_path", "exit_path", "referrer_source"]
    date_hierarchy = "started"
    show_full_result_count = False


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["timestamp", "site", "name", "path", "referrer_source", "country", "browser", "device_type"]
    list_filter = ["site", "name", "device_type"]
    search_fields = ["path", "name", "uuid"]
    date_hierarchy = "timestamp"
    raw_id_fields = ["session"]
    show_full_result_count = False


@admin.register(Salt)
class SaltAdmin(admin.ModelAdmin):
    list_display = ["day", "created"]
    exclude = ["secret"]


@admin.register(SpooledHit)
class SpooledHitAdmin(admin.ModelAdmin):
    list_display = ["id", "created"]
    exclude = ["payload"]


@admin.register(DropCount)
class DropCountAdmin(admin.ModelAdmin):
    list_display = ["hour", "site", "reason", "events"]
    list_filter = ["reason", "site"]
    date_hierarchy = "hour"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # counted by the pipeline alone

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
