from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from contacts.models import Contact, ContactList, CustomField, OptOut
from smsmode.admin_base import ReadOnlyAdmin


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["phone", "first_name", "last_name", "email", "account", "source", "created_at"]
    list_filter = ["source"]
    search_fields = ["phone", "first_name", "last_name", "email"]
    list_select_related = ["account"]
    raw_id_fields = ["account"]
    readonly_fields = ["public_id", "created_at", "updated_at"]
    # A million contacts: no COUNT(*) of the whole table under the search box.
    show_full_result_count = False


@admin.register(ContactList)
class ContactListAdmin(admin.ModelAdmin):
    list_display = ["name", "account", "contact_count", "created_at"]
    search_fields = ["name", "account__name"]
    list_select_related = ["account"]
    raw_id_fields = ["account"]
    readonly_fields = ["public_id", "contact_count", "created_at"]


@admin.register(CustomField)
class CustomFieldAdmin(admin.ModelAdmin):
    list_display = ["label", "key", "type", "account"]
    list_filter = ["type"]
    search_fields = ["key", "label", "account__name"]
    list_select_related = ["account"]
    raw_id_fields = ["account"]


class RemovedFilter(admin.SimpleListFilter):
    title = _("removed")
    parameter_name = "removed"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("no", _("Active")), ("yes", _("Removed"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[OptOut]) -> QuerySet[OptOut]:
        if self.value() == "no":
            return queryset.filter(removed_at__isnull=True)
        if self.value() == "yes":
            return queryset.filter(removed_at__isnull=False)
        return queryset


@admin.register(OptOut)
class OptOutAdmin(ReadOnlyAdmin):
    """Read-only: opt-outs change through the customer area and STOP replies, so every
    change keeps its author."""

    list_display = ["phone", "account", "source", "created_at", "created_by", "removed_at"]
    list_filter = ["source", RemovedFilter]
    search_fields = ["phone"]
    list_select_related = ["account", "created_by", "removed_by"]
    show_full_result_count = False
