from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from smsmode.accounts.models import Account, Invitation, Membership, User
from smsmode.accounts.services import account_suspend, account_unsuspend


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user", "account"]
    fields = ["user", "account", "role", "created_at"]
    readonly_fields = ["created_at"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_staff", "is_active", "date_joined"]
    list_filter = ["is_staff", "is_superuser", "is_active"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    inlines = [MembershipInline]


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "plan",
        "credit_balance",
        "member_count",
        "country",
        "is_suspended",
        "created_at",
    ]
    list_filter = ["plan", "is_suspended", "country", "language"]
    search_fields = ["name", "public_id", "memberships__user__email"]
    readonly_fields = [
        "public_id",
        "credit_balance",
        "adjust_credits_link",
        "created_at",
        "suspended_at",
    ]
    list_select_related = ["plan"]
    inlines = [MembershipInline]
    actions = ["suspend", "unsuspend"]

    def get_urls(self):
        return [
            path(
                "<int:account_id>/adjust-credits/",
                self.admin_site.admin_view(self.adjust_credits_view),
                name="accounts_account_adjust_credits",
            ),
            *super().get_urls(),
        ]

    @admin.display(description=_("credits"))
    def adjust_credits_link(self, obj: Account) -> str:
        if not obj.pk:
            return "-"
        url = reverse("admin:accounts_account_adjust_credits", args=[obj.pk])
        return format_html('<a class="button" href="{}">{}</a>', url, _("Adjust credits"))

    def adjust_credits_view(self, request: HttpRequest, account_id: int):
        """Add or take back credits with a reason; the ledger records who and why."""
        from smsmode.billing.admin import CreditAdjustmentForm
        from smsmode.billing.services import BillingError, InsufficientCredits, credits_adjust

        if not self.has_change_permission(request):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        account = get_object_or_404(Account, pk=account_id)
        form = CreditAdjustmentForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                credits_adjust(
                    account=account,
                    amount=form.cleaned_data["amount"],
                    reason=form.cleaned_data["reason"],
                    by=request.user,
                )
            except (BillingError, InsufficientCredits) as exc:
                form.add_error("amount", str(exc))
            else:
                self.message_user(request, _("Credits adjusted."), messages.SUCCESS)
                return redirect("admin:accounts_account_change", account.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Adjust the credits of %(account)s") % {"account": account.name},
            "account": account,
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/accounts/adjust_credits.html", context)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Account]:
        return super().get_queryset(request).annotate(_member_count=Count("memberships"))

    @admin.display(description=_("members"), ordering="_member_count")
    def member_count(self, obj: Account) -> int:
        return obj._member_count  # type: ignore[attr-defined]

    @admin.action(description=_("Suspend the selected accounts (they can log in but not send)"))
    def suspend(self, request: HttpRequest, queryset: QuerySet[Account]) -> None:
        for account in queryset:
            account_suspend(account=account, reason=f"Suspended by {request.user}")
        self.message_user(
            request, _("%(count)d accounts suspended.") % {"count": len(queryset)}, messages.SUCCESS
        )

    @admin.action(description=_("Lift the suspension of the selected accounts"))
    def unsuspend(self, request: HttpRequest, queryset: QuerySet[Account]) -> None:
        for account in queryset:
            account_unsuspend(account=account)
        self.message_user(
            request,
            _("%(count)d accounts reactivated.") % {"count": len(queryset)},
            messages.SUCCESS,
        )


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "account", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__email", "account__name"]
    autocomplete_fields = ["user", "account"]
    list_select_related = ["user", "account"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = [
        "email",
        "account",
        "role",
        "invited_by",
        "created_at",
        "expires_at",
        "accepted_at",
    ]
    list_filter = ["role"]
    search_fields = ["email", "account__name"]
    list_select_related = ["account", "invited_by"]
    readonly_fields = ["public_id", "created_at", "accepted_at", "accepted_by"]
    autocomplete_fields = ["account", "invited_by"]
