"""Django admin for members, invitations, API keys, goals and funnels; sites themselves are in tracker/admin.py,
which knows what deleting one takes (every event, visit, rollup row and archive file)."""

from django.contrib import admin

from sites.models import ApiKey, Funnel, Goal, Invitation, Membership


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "site", "role", "created"]
    list_filter = ["role"]
    search_fields = ["user__username", "site__domain"]
    autocomplete_fields = ["user", "site"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "site", "role", "invited_by", "created", "expires", "used", "revoked"]
    list_filter = ["role", "used", "revoked"]
    search_fields = ["email", "site__domain"]
    # Revoking (setting `revoked`) is the one change: the rest is the record of who was invited and when.
    readonly_fields = ["site", "email", "role", "token_hash", "invited_by", "created", "expires", "used", "accepted_by"]

    def has_add_permission(self, request: object) -> bool:
        # An invitation's token is mailed once: owners invite from the site's settings.
        return False


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


@admin.register(Goal)
class GoalAdmin(admin.ModelAdmin):
    list_display = ["display_name", "site", "goal_type", "event_name", "page_path", "prop_key", "prop_value"]
    list_filter = ["goal_type"]
    search_fields = ["display_name", "event_name", "page_path", "site__domain"]
    readonly_fields = ["site", "goal_type", "event_name", "page_path", "prop_key", "prop_value", "created"]

    def has_add_permission(self, request: object) -> bool:
        # sites/goals.py checks a definition: goals are added in the site's settings or over the API.
        return False


@admin.register(Funnel)
class FunnelAdmin(admin.ModelAdmin):
    list_display = ["name", "site", "steps_in_order", "created"]
    search_fields = ["name", "site__domain"]
    readonly_fields = ["site", "created", "steps_in_order"]

    @admin.display(description="Steps")
    def steps_in_order(self, funnel: Funnel) -> str:
        return " → ".join(goal.display_name for goal in funnel.goals())

    def has_add_permission(self, request: object) -> bool:
        # sites/goals.py checks a definition: funnels are added in the site's settings or over the API.
        return False
