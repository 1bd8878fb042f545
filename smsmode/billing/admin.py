from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from smsmode.admin_base import ReadOnlyAdmin
from smsmode.billing.models import (
    CreditLedgerEntry,
    CreditPack,
    Invoice,
    Order,
    Plan,
    ProcessedEvent,
    Subscription,
)
from smsmode.billing.services import BillingError, order_cancel, order_mark_paid, order_refund


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "code",
        "monthly_price",
        "yearly_price",
        "credits_per_segment",
        "max_users",
        "feature_url_shortener",
        "feature_landing_pages",
        "is_default",
    ]
    list_editable = ["feature_url_shortener", "feature_landing_pages"]
    ordering = ["sort_order"]


@admin.register(CreditPack)
class CreditPackAdmin(admin.ModelAdmin):
    list_display = ["name", "credits", "price", "is_active", "sort_order"]
    list_editable = ["is_active", "sort_order"]


@admin.register(CreditLedgerEntry)
class CreditLedgerEntryAdmin(ReadOnlyAdmin):
    """Read-only: the ledger is append-only and changes only through services."""

    list_display = [
        "created_at",
        "account",
        "kind",
        "amount",
        "balance_after",
        "description",
        "created_by",
    ]
    list_filter = ["kind"]
    search_fields = ["account__name", "description"]
    list_select_related = ["account", "created_by"]
    date_hierarchy = "created_at"


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "account",
        "description",
        "amount_incl_vat",
        "status",
        "provider",
        "invoice_link",
        "paid_at",
        "paid_by",
    ]
    list_filter = ["status", "provider", "kind"]
    search_fields = ["account__name", "invoice__number", "provider_ref", "description"]
    list_select_related = ["account", "invoice", "paid_by"]
    readonly_fields = [f.name for f in Order._meta.fields]
    actions = ["mark_paid", "cancel", "refund"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("invoice"))
    def invoice_link(self, obj: Order) -> str:
        invoice = getattr(obj, "invoice", None)
        if invoice is None:
            return "-"
        url = reverse("admin:billing_invoice_change", args=[invoice.pk])
        return format_html('<a href="{}">{}</a>', url, invoice.number)

    @admin.action(description=_("Mark paid (bank transfer received): credit / activate once"))
    def mark_paid(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        done = sum(order_mark_paid(order_id=o.pk, by=request.user) for o in queryset)
        skipped = len(queryset) - done
        self.message_user(
            request, _("%(done)d orders paid and fulfilled.") % {"done": done}, messages.SUCCESS
        )
        if skipped:
            self.message_user(
                request,
                _("%(skipped)d orders were not awaiting payment and were left as they were.")
                % {"skipped": skipped},
                messages.WARNING,
            )

    @admin.action(description=_("Cancel unpaid orders"))
    def cancel(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        done = sum(order_cancel(order_id=o.pk) for o in queryset)
        self.message_user(request, _("%(done)d orders cancelled.") % {"done": done})

    @admin.action(description=_("Refund paid orders (takes the credits back)"))
    def refund(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        for order in queryset:
            try:
                if order_refund(order_id=order.pk, by=request.user):
                    self.message_user(request, _("Refunded: %(order)s") % {"order": order})
            except BillingError as exc:
                self.message_user(request, f"{order}: {exc}", messages.ERROR)


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = ["number", "issued_at", "account", "order"]
    search_fields = ["number", "account__name"]
    list_select_related = ["account", "order"]


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = [
        "account",
        "period",
        "current_period_end",
        "pending_plan",
        "low_balance_threshold",
    ]
    list_filter = ["period", "pending_plan"]
    search_fields = ["account__name"]
    list_select_related = ["account", "pending_plan"]
    autocomplete_fields = ["account"]


@admin.register(ProcessedEvent)
class ProcessedEventAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "provider", "event_type", "event_id"]
    list_filter = ["provider", "event_type"]
    search_fields = ["event_id"]


class CreditAdjustmentForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Credits (negative to take back)"), max_digits=14, decimal_places=2
    )
    reason = forms.CharField(label=_("Reason (recorded in the ledger)"), max_length=200)
