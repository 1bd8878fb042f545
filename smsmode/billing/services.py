"""Billing services: credit movements, orders, invoices, plan changes.

The balance changes only in `credits_add`, together with a ledger row. Orders are
fulfilled (credits added, plan activated) only by `order_mark_paid`, exactly once.
"""

from __future__ import annotations

import calendar
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from smsmode.accounts.models import Account, Membership, Role, User
from smsmode.billing.models import (
    BillingPeriod,
    CreditLedgerEntry,
    CreditPack,
    Invoice,
    InvoiceCounter,
    LedgerKind,
    Order,
    OrderStatus,
    Plan,
    Subscription,
)

CENT = Decimal("0.01")


class InsufficientCredits(Exception):
    def __init__(self, missing: Decimal) -> None:
        self.missing = missing
        super().__init__(_("%(missing)s credits are missing.") % {"missing": missing})


class BillingError(Exception):
    """A billing action the rules forbid; the message is shown to the user."""


def credits_add(
    *,
    account_id: int,
    amount: Decimal | int,
    kind: LedgerKind | str,
    description: str = "",
    by_user: User | None = None,
) -> CreditLedgerEntry:
    """Add (or, with a negative amount, take) credits, appending one ledger row.

    Locks the account row for the transaction, so concurrent movements are
    serialised and the balance never goes below zero: a debit larger than the
    balance raises InsufficientCredits and changes nothing. Crossing the owner's
    low-balance threshold downwards emails the owners once (after commit).
    """
    amount = Decimal(amount)
    with transaction.atomic():
        account = (
            Account.objects.select_for_update().only("id", "credit_balance").get(pk=account_id)
        )
        old_balance = account.credit_balance
        new_balance = old_balance + amount
        if new_balance < 0:
            raise InsufficientCredits(missing=-new_balance)
        Account.objects.filter(pk=account_id).update(credit_balance=new_balance)
        entry = CreditLedgerEntry.objects.create(
            account_id=account_id,
            kind=kind,
            amount=amount,
            balance_after=new_balance,
            description=description,
            created_by=by_user,
        )
        _check_low_balance(account_id, new_balance)
    return entry


def _check_low_balance(account_id: int, balance: Decimal) -> None:
    subscription = Subscription.objects.filter(account_id=account_id).first()
    if subscription is None or subscription.low_balance_threshold is None:
        return
    below = balance < subscription.low_balance_threshold
    if below and not subscription.low_balance_alerted:
        Subscription.objects.filter(pk=subscription.pk).update(low_balance_alerted=True)
        transaction.on_commit(lambda: _send_low_balance_alert(account_id))
    elif not below and subscription.low_balance_alerted:
        Subscription.objects.filter(pk=subscription.pk).update(low_balance_alerted=False)


def _send_low_balance_alert(account_id: int) -> None:
    account = Account.objects.select_related("subscription").get(pk=account_id)
    owners = _owner_emails(account)
    if not owners:
        return
    with translation.override(account.language):
        subject = _("Your SMS credit balance is low")
        body = render_to_string(
            "billing/email/low_balance.txt",
            {"account": account, "site_root": settings.SITE_ROOT.rstrip("/")},
        )
    send_mail(subject, body, None, owners)


def _owner_emails(account: Account) -> list[str]:
    """Where billing emails go: every owner of the account."""
    return list(
        Membership.objects.filter(account=account, role=Role.OWNER).values_list(
            "user__email", flat=True
        )
    )


def subscription_for(account: Account) -> Subscription:
    subscription, _created = Subscription.objects.get_or_create(account=account)
    return subscription


def low_balance_threshold_set(*, account: Account, threshold: Decimal | None) -> Subscription:
    """Set (or clear, with None) the threshold; re-arms the alert."""
    subscription = subscription_for(account)
    subscription.low_balance_threshold = threshold
    subscription.low_balance_alerted = False
    subscription.save(update_fields=["low_balance_threshold", "low_balance_alerted"])
    return subscription


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _order_amounts(amount_excl_vat: Decimal) -> dict[str, Decimal]:
    rate = Decimal(settings.BILLING_VAT_RATE)
    amount = _money(amount_excl_vat)
    vat = _money(amount * rate)
    return {
        "amount_excl_vat": amount,
        "vat_rate": rate,
        "vat_amount": vat,
        "amount_incl_vat": amount + vat,
    }


def invoice_issue(*, order: Order) -> Invoice:
    """Give the order its invoice, numbered YYYY-NNNNNN without gaps within the year.

    The year's counter row is locked until the transaction commits, so two invoices
    never get the same number and a rolled-back one gives its number back.
    """
    with transaction.atomic():
        now = timezone.now()
        # The seller's calendar decides the invoice year (31 Dec 23:30 UTC is 2027 in Paris).
        year = timezone.localtime(now, ZoneInfo(settings.BILLING_TIME_ZONE)).year
        InvoiceCounter.objects.get_or_create(year=year)
        counter = InvoiceCounter.objects.select_for_update().get(year=year)
        counter.last += 1
        counter.save(update_fields=["last"])
        account = order.account
        return Invoice.objects.create(
            order=order,
            account=account,
            year=year,
            sequence=counter.last,
            number=f"{year}-{counter.last:06d}",
            issued_at=now,
            seller=dict(settings.BILLING_SELLER),
            customer={
                "name": account.name,
                "address": account.billing_address,
                "vat_number": account.vat_number,
                "country": account.country,
            },
        )


def order_create_credits(*, account: Account, pack: CreditPack, by: User) -> Order:
    """An unpaid order (and its invoice) for a credit pack. Nothing is credited yet."""
    if not pack.is_active:
        raise BillingError(_("This pack is no longer on sale."))
    with transaction.atomic():
        order = Order.objects.create(
            account=account,
            kind=Order.Kind.CREDITS,
            credit_pack=pack,
            credits=pack.credits,
            description=_("%(credits)s SMS credits") % {"credits": pack.credits},
            provider=settings.PAYMENT_PROVIDER,
            created_by=by,
            **_order_amounts(pack.price),
        )
        invoice_issue(order=order)
    return order


def plan_price(plan: Plan, period: str) -> Decimal:
    return plan.yearly_price if period == BillingPeriod.YEARLY else plan.monthly_price


def is_upgrade(current: Plan, target: Plan) -> bool:
    return target.sort_order > current.sort_order


def plan_change(*, account: Account, plan: Plan, period: str, by: User) -> Order | None:
    """Ask for a plan change.

    An upgrade to a paid plan becomes an unpaid order: it applies at once when the
    payment is confirmed. A downgrade waits for the end of the paid period (at once
    when there is none) and returns None. Data is never deleted by a downgrade.
    """
    if period not in BillingPeriod.values:
        raise BillingError(_("Choose a monthly or a yearly period."))
    current = account.plan
    subscription = subscription_for(account)
    if plan.pk == current.pk:
        if subscription.pending_plan_id:
            subscription.pending_plan = None
            subscription.save(update_fields=["pending_plan"])
            return None
        raise BillingError(_("You are already on the %(plan)s plan.") % {"plan": plan.name})
    if is_upgrade(current, plan):
        price = plan_price(plan, period)
        if price <= 0:
            plan_activate(account=account, plan=plan, period=period)
            return None
        with transaction.atomic():
            order = Order.objects.create(
                account=account,
                kind=Order.Kind.PLAN,
                plan=plan,
                period=period,
                description=_("%(plan)s plan, %(period)s")
                % {"plan": plan.name, "period": BillingPeriod(period).label.lower()},
                provider=settings.PAYMENT_PROVIDER,
                created_by=by,
                **_order_amounts(price),
            )
            invoice_issue(order=order)
        return order
    # A downgrade.
    end = subscription.current_period_end
    if end is None or end <= timezone.now():
        plan_activate(account=account, plan=plan, period=period, paid=False)
    else:
        subscription.pending_plan = plan
        subscription.save(update_fields=["pending_plan"])
    return None


def _add_period(start: datetime, period: str) -> datetime:
    months = 12 if period == BillingPeriod.YEARLY else 1
    month = start.month - 1 + months
    year = start.year + month // 12
    month = month % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return start.replace(year=year, month=month, day=day)


def plan_activate(*, account: Account, plan: Plan, period: str, paid: bool = True) -> None:
    """Put the account on `plan` now; a paid activation starts a new paid period."""
    with transaction.atomic():
        Account.objects.filter(pk=account.pk).update(plan=plan)
        account.plan = plan
        subscription = Subscription.objects.select_for_update().get(pk=subscription_for(account).pk)
        subscription.pending_plan = None
        subscription.period = period
        if paid:
            now = timezone.now()
            subscription.current_period_start = now
            subscription.current_period_end = _add_period(now, period)
        else:
            subscription.current_period_start = None
            subscription.current_period_end = None
        subscription.save()


def order_mark_paid(*, order_id: int, by: User | None = None, provider_ref: str = "") -> bool:
    """Confirm an order's payment and fulfil it. Exactly once: returns False (and
    changes nothing) when the order is not pending any more. Locks the order row."""
    with transaction.atomic():
        order = (
            Order.objects.select_for_update(of=("self",))
            .select_related("account", "plan")
            .get(pk=order_id)
        )
        if order.status != OrderStatus.PENDING:
            return False
        order.status = OrderStatus.PAID
        order.paid_at = timezone.now()
        order.paid_by = by
        if provider_ref:
            order.provider_ref = provider_ref
        order.save(update_fields=["status", "paid_at", "paid_by", "provider_ref"])
        if order.kind == Order.Kind.CREDITS:
            credits_add(
                account_id=order.account_id,
                amount=order.credits,
                kind=LedgerKind.PURCHASE,
                description=_("Order %(number)s") % {"number": order.invoice.number},
                by_user=by,
            )
        else:
            plan_activate(account=order.account, plan=order.plan, period=order.period)
        transaction.on_commit(lambda: _send_payment_received(order.pk))
    return True


def _send_payment_received(order_id: int) -> None:
    order = Order.objects.select_related("account", "invoice").get(pk=order_id)
    owners = _owner_emails(order.account)
    if not owners:
        return
    with translation.override(order.account.language):
        subject = _("Payment received: %(description)s") % {"description": order.description}
        body = render_to_string(
            "billing/email/payment_received.txt",
            {"order": order, "site_root": settings.SITE_ROOT.rstrip("/")},
        )
    send_mail(subject, body, None, owners)


def order_cancel(*, order_id: int) -> bool:
    """Cancel an unpaid order (its invoice stays, marked cancelled). Exactly once."""
    with transaction.atomic():
        updated = Order.objects.filter(pk=order_id, status=OrderStatus.PENDING).update(
            status=OrderStatus.CANCELLED
        )
    return updated == 1


def order_refund(*, order_id: int, by: User | None = None) -> bool:
    """Refund a paid order: take its credits back (refused when they were spent) or
    return the account to the default plan. Exactly once."""
    with transaction.atomic():
        order = (
            Order.objects.select_for_update(of=("self",)).select_related("account").get(pk=order_id)
        )
        if order.status != OrderStatus.PAID:
            return False
        if order.kind == Order.Kind.CREDITS:
            try:
                credits_add(
                    account_id=order.account_id,
                    amount=-order.credits,
                    kind=LedgerKind.ADJUSTMENT,
                    description=_("Refund of order %(number)s") % {"number": order.invoice.number},
                    by_user=by,
                )
            except InsufficientCredits as exc:
                raise BillingError(
                    _("The credits of this order were already spent (%(missing)s missing).")
                    % {"missing": exc.missing}
                ) from exc
        else:
            plan_activate(
                account=order.account, plan=Plan.default(), period=order.period, paid=False
            )
        order.status = OrderStatus.REFUNDED
        order.save(update_fields=["status"])
    return True


def credits_adjust(
    *, account: Account, amount: Decimal, reason: str, by: User
) -> CreditLedgerEntry:
    """A staff adjustment, with its reason recorded in the ledger."""
    if not reason.strip():
        raise BillingError(_("Say why the credits are adjusted."))
    return credits_add(
        account_id=account.pk,
        amount=amount,
        kind=LedgerKind.ADJUSTMENT,
        description=reason.strip(),
        by_user=by,
    )


def subscriptions_apply_due_changes() -> int:
    """Apply the downgrades whose period has ended. Idempotent; run by cron."""
    due = Subscription.objects.filter(
        pending_plan__isnull=False, current_period_end__lte=timezone.now()
    ).select_related("account", "pending_plan")
    count = 0
    for subscription in due:
        plan_activate(
            account=subscription.account,
            plan=subscription.pending_plan,
            period=subscription.period,
            # Renewal billing is not built yet: the new plan starts without a paid period.
            paid=False,
        )
        count += 1
    return count
