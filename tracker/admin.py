from django.contrib import admin

from tracker.models import ApiKey, Event, Membership, Salt, Session, Site, SpooledHit


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ["domain", "name", "timezone", "created"]
    list_filter = ["timezone"]
    search_fields = ["domain", "name"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "site", "role", "created"]
    list_filter = ["role"]
    search_fields = ["user__username", "site__domain"]
    autocomplete_fields = ["user", "site"]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "user", "scopes", "created", "last_used", "revoked"]
    list_filter = ["revoked", "created"]
    search_fields = ["name", "prefix", "user__username"]
    readonly_fields = ["prefix", "secret_hash", "created", "last_used"]
    filter_horizontal = ["sites"]

    def has_add_permission(self, request: object) -> bool:
        # Keys are created with `manage.py create_api_key`, which shows the secret once.
        return False


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
        "source",
        "country",
    ]
    list_filter = ["site", "is_bounce", "device_type", "country"]
    search_fields = ["entry_path", "exit_path", "source"]
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
