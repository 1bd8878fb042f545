"""Subscription & credits: the owners' screens."""

from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from smsmode.accounts.access import account_required, require_owner
from smsmode.accounts.middleware import AccountRequest
from smsmode.billing.forms import BuyCreditsForm, ChangePlanForm, LedgerFilterForm, LowBalanceForm
from smsmode.billing.models import CreditPack, Invoice, Order, Plan
from smsmode.billing.payments import get_provider
from smsmode.billing.services import (
    BillingError,
    is_upgrade,
    low_balance_threshold_set,
    order_create_credits,
    plan_change,
    subscription_for,
)


@account_required
def overview(request: AccountRequest) -> HttpResponse:
    require_owner(request)
    account = request.account
    subscription = subscription_for(account)
    plans = list(Plan.objects.order_by("sort_order"))
    month_start = timezone.localtime().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    context = {
        "subscription": subscription,
        "plans": [
            {
                "plan": plan,
                "current": plan.pk == account.plan_id,
                "upgrade": is_upgrade(account.plan, plan),
            }
            for plan in plans
        ],
        "members": account.memberships.aggregate(n=Count("pk"))["n"],
        "pending_orders": account.orders.filter(status="pending").select_related("invoice")[:5],
        "entries": account.ledger_entries.select_related("created_by").order_by(
            "-created_at", "-pk"
        )[:10],
        "sms_this_month": 0,  # the campaigns issue counts sent messages
        "month_start": month_start,
        "alert_form": LowBalanceForm(initial={"threshold": subscription.low_balance_threshold}),
        "provider": settings.PAYMENT_PROVIDER,
    }
    return render(request, "billing/overview.html", context)


@account_required
@require_POST
def change_plan(request: AccountRequest) -> HttpResponse:
    owner = require_owner(request)
    form = ChangePlanForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a plan and a period."))
        return redirect("billing:overview")
    plan = get_object_or_404(Plan, code=form.cleaned_data["plan"])
    previous = request.account.plan
    try:
        order = plan_change(
            account=request.account, plan=plan, period=form.cleaned_data["period"], by=owner.user
        )
    except BillingError as exc:
        messages.error(request, str(exc))
        return redirect("billing:overview")
    if order is not None:
        return get_provider(order.provider).start(request, order)
    request.account.refresh_from_db()
    if request.account.plan_id == plan.pk and previous.pk != plan.pk:
        messages.success(request, _("You are now on the %(plan)s plan.") % {"plan": plan.name})
    elif subscription_for(request.account).pending_plan_id == plan.pk:
        messages.success(
            request,
            _("Your plan changes to %(plan)s at the end of the paid period.") % {"plan": plan.name},
        )
    else:
        messages.success(request, _("The planned change of plan is cancelled."))
    return redirect("billing:overview")


@account_required
def buy_credits(request: AccountRequest) -> HttpResponse:
    owner = require_owner(request)
    packs = CreditPack.objects.filter(is_active=True)
    if request.method == "POST":
        form = BuyCreditsForm(request.POST)
        pack = None
        if form.is_valid():
            pack = packs.filter(pk=form.cleaned_data["pack"]).first()
        if pack is None:
            messages.error(request, _("Choose a credit pack."))
            return redirect("billing:buy_credits")
        order = order_create_credits(account=request.account, pack=pack, by=owner.user)
        return get_provider(order.provider).start(request, order)
    price = request.account.plan.credits_per_segment
    return render(request, "billing/buy_credits.html", {"packs": packs, "price": price})


@account_required
@require_POST
def low_balance_alert(request: AccountRequest) -> HttpResponse:
    require_owner(request)
    form = LowBalanceForm(request.POST)
    if form.is_valid():
        low_balance_threshold_set(account=request.account, threshold=form.cleaned_data["threshold"])
        messages.success(request, _("Low-balance alert saved."))
    else:
        messages.error(request, _("Enter a positive number of credits, or leave it empty."))
    return redirect("billing:overview")


@account_required
def ledger(request: AccountRequest) -> HttpResponse:
    require_owner(request)
    form = LedgerFilterForm(request.GET or None)
    entries = form.filter(request.account.ledger_entries.select_related("created_by"))
    page = Paginator(entries.order_by("-created_at", "-pk"), 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request, "billing/ledger.html", {"form": form, "page": page, "query": query.urlencode()}
    )


@account_required
def order_detail(request: AccountRequest, public_id: UUID) -> HttpResponse:
    order = get_object_or_404(
        Order.objects.select_related("invoice", "plan", "credit_pack"),
        account=request.account,
        public_id=public_id,
    )
    require_owner(request)
    if request.GET.get("paid"):
        messages.info(request, _("Thank you: the payment is being confirmed."))
    return render(
        request, "billing/order.html", {"order": order, "seller": settings.BILLING_SELLER}
    )


@account_required
def invoices(request: AccountRequest) -> HttpResponse:
    require_owner(request)
    page = Paginator(
        Invoice.objects.filter(account=request.account).select_related("order"), 50
    ).get_page(request.GET.get("page"))
    return render(request, "billing/invoices.html", {"page": page})
