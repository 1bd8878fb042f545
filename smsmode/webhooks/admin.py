from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from smsmode.admin_base import ReadOnlyAdmin
from smsmode.webhooks.models import WebhookDelivery, WebhookSettings
from smsmode.webhooks.services import delivery_resend


@admin.register(WebhookSettings)
class WebhookSettingsAdmin(ReadOnlyAdmin):
    """Read-only, and the secret is left out: the customer rotates it on the screen."""

    list_display = ["account", "status_url", "mo_url", "secret_rotated_at", "updated_at"]
    search_fields = ["account__name", "status_url", "mo_url"]
    list_select_related = ["account"]
    exclude = ["secret"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    """Read-only: deliveries change only through their attempts. "Resend" records a
    new delivery of the same event (same event id and payload) and enqueues it."""

    list_display = [
        "created_at",
        "account",
        "kind",
        "event_id",
        "url",
        "state",
        "attempts",
        "last_status_code",
        "last_error",
        "is_resend",
    ]
    list_filter = ["state", "kind", "is_resend"]
    search_fields = ["=event_id", "=public_id", "account__name", "url"]
    list_select_related = ["account"]
    raw_id_fields = ["message"]
    date_hierarchy = "created_at"
    actions = ["resend"]

    @admin.action(description=_("Resend (a new delivery of the same event)"))
    def resend(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        count = 0
        for delivery in queryset[:500]:
            delivery_resend(delivery=delivery)
            count += 1
        self.message_user(
            request,
            ngettext("%(count)d event sent again.", "%(count)d events sent again.", count)
            % {"count": count},
            messages.SUCCESS,
        )
