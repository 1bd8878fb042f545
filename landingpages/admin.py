"""Staff see landing pages and their images, and can take a page offline (a phishing
page, a complaint); content changes only through the editor, which validates it."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from landingpages.models import LandingPage, PageImage
from landingpages.services import page_unpublish
from smsmode.admin_base import ReadOnlyAdmin


@admin.register(LandingPage)
class LandingPageAdmin(ReadOnlyAdmin):
    list_display = ["title", "slug", "account", "status", "published_at", "created_at"]
    list_filter = ["status", "palette", "indexable"]
    search_fields = ["title", "slug", "account__name"]
    list_select_related = ["account"]
    readonly_fields = ["public_id", "created_at", "updated_at"]
    actions = ["unpublish"]

    @admin.action(description=_("Unpublish the selected pages"))
    def unpublish(self, request: HttpRequest, queryset: QuerySet[LandingPage]) -> None:
        count = sum(page_unpublish(page=page) for page in queryset)
        self.message_user(
            request,
            ngettext("%(n)d page unpublished.", "%(n)d pages unpublished.", count) % {"n": count},
            messages.SUCCESS,
        )


@admin.register(PageImage)
class PageImageAdmin(ReadOnlyAdmin):
    list_display = ["public_id", "account", "format", "width", "height", "size", "created_at"]
    list_filter = ["format"]
    search_fields = ["public_id", "account__name"]
    list_select_related = ["account"]
