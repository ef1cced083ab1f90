from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from reports.models import Alert, SentMail, Subscription


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ("site", "period", "user", "email", "send_empty", "created")
    list_filter = ("period",)
    search_fields = ("site__domain", "email", "user__username")
    raw_id_fields = ("user",)


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ("site", "kind", "threshold", "cooldown_hours", "user", "email", "created")
    list_filter = ("kind",)
    search_fields = ("site__domain", "email", "user__username")
    raw_id_fields = ("user",)


@admin.register(SentMail)
class SentMailAdmin(admin.ModelAdmin):
    """The sent-log: failed mails show here with their error and when they are retried."""

    list_display = ("site", "kind", "period", "recipient", "status", "attempts", "claimed_at", "sent_at", "retry_at")
    list_filter = ("status", "kind")
    search_fields = ("site__domain", "recipient")
    readonly_fields = ("site", "recipient", "kind", "period", "claimed_at", "sent_at", "attempts", "error")

    actions = ["retry_now"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # rows are claims of the delivery runs alone

    @admin.action(description="Retry the selected failed mails at the next run")
    def retry_now(self, request: HttpRequest, queryset: QuerySet[SentMail]) -> None:
        """After a relay is fixed: the next run sends them, with one more attempt each (a given-up mail gets
        one more)."""
        failed = queryset.filter(status__in=[SentMail.Status.FAILED, SentMail.Status.GAVE_UP])
        count = failed.update(status=SentMail.Status.FAILED, retry_at=timezone.now())
        self.message_user(request, f"{count} mail(s) will be retried at the next run.")
