from django.contrib import admin

from smsmode.billing.models import CreditLedgerEntry, Plan


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


@admin.register(CreditLedgerEntry)
class CreditLedgerEntryAdmin(admin.ModelAdmin):
    """Read-only: the ledger is append-only and changes only through services."""

    list_display = ["created_at", "account", "kind", "amount", "balance_after", "description"]
    list_filter = ["kind"]
    search_fields = ["account__name", "description"]
    list_select_related = ["account"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
