"""Orders: nothing is credited before payment; payment fulfils exactly once."""

from decimal import Decimal

import pytest
from django.core import mail

from smsmode.accounts.models import Account
from smsmode.billing.models import (
    CreditLedgerEntry,
    CreditPack,
    LedgerKind,
    Order,
    OrderStatus,
    Plan,
    Subscription,
)
from smsmode.billing.services import (
    BillingError,
    credits_add,
    credits_adjust,
    low_balance_threshold_set,
    order_cancel,
    order_create_credits,
    order_mark_paid,
    order_refund,
    plan_change,
    subscriptions_apply_due_changes,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def pack() -> CreditPack:
    return CreditPack.objects.get(credits=500)


def _balance(account: Account) -> Decimal:
    account.refresh_from_db()
    return account.credit_balance


def _on_start(team) -> Account:
    Account.objects.filter(pk=team.account.pk).update(plan=Plan.objects.get(code="start"))
    team.account.refresh_from_db()
    return team.account


def test_an_order_credits_nothing_until_it_is_paid(team, pack):
    order = order_create_credits(account=team.account, pack=pack, by=team.owner)
    assert order.status == OrderStatus.PENDING
    assert order.amount_excl_vat == Decimal("37.50")
    assert order.vat_amount == Decimal("7.50")
    assert order.amount_incl_vat == Decimal("45.00")
    assert order.invoice.number.endswith("-000001")
    assert _balance(team.account) == 20


def test_paying_credits_the_pack_exactly_once(team, pack):
    order = order_create_credits(account=team.account, pack=pack, by=team.owner)
    assert order_mark_paid(order_id=order.pk, provider_ref="transfer-1") is True
    assert order_mark_paid(order_id=order.pk) is False
    assert _balance(team.account) == 520
    entry = CreditLedgerEntry.objects.get(account=team.account, kind=LedgerKind.PURCHASE)
    assert entry.amount == 500
    assert order.invoice.number in entry.description
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert order.provider_ref == "transfer-1"


def test_a_cancelled_order_cannot_be_paid_and_credits_nothing(team, pack):
    order = order_create_credits(account=team.account, pack=pack, by=team.owner)
    assert order_cancel(order_id=order.pk) is True
    assert order_cancel(order_id=order.pk) is False
    assert order_mark_paid(order_id=order.pk) is False
    assert _balance(team.account) == 20


def test_a_pack_no_longer_on_sale_cannot_be_ordered(team, pack):
    pack.is_active = False
    pack.save()
    with pytest.raises(BillingError):
        order_create_credits(account=team.account, pack=pack, by=team.owner)
    assert not Order.objects.exists()


def test_a_refund_takes_the_credits_back_once(team, pack):
    order = order_create_credits(account=team.account, pack=pack, by=team.owner)
    order_mark_paid(order_id=order.pk)
    assert order_refund(order_id=order.pk, by=team.owner) is True
    assert order_refund(order_id=order.pk, by=team.owner) is False
    assert _balance(team.account) == 20


def test_a_refund_of_spent_credits_is_refused_and_changes_nothing(team, pack):
    order = order_create_credits(account=team.account, pack=pack, by=team.owner)
    order_mark_paid(order_id=order.pk)
    credits_add(account_id=team.account.pk, amount=-510, kind=LedgerKind.RESERVATION)
    with pytest.raises(BillingError, match="already spent"):
        order_refund(order_id=order.pk)
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert _balance(team.account) == 10


def test_an_upgrade_to_a_paid_plan_waits_for_payment_then_applies_at_once(team):
    account = _on_start(team)
    order = plan_change(
        account=account, plan=Plan.objects.get(code="classic"), period="monthly", by=team.owner
    )
    assert order is not None
    assert order.amount_excl_vat == Decimal("19.00")
    account.refresh_from_db()
    assert account.plan.code == "start"
    order_mark_paid(order_id=order.pk)
    account.refresh_from_db()
    assert account.plan.code == "classic"
    subscription = Subscription.objects.get(account=account)
    days = (subscription.current_period_end - subscription.current_period_start).days
    assert 28 <= days <= 31


def test_a_yearly_upgrade_costs_the_yearly_price_and_lasts_a_year(team):
    account = _on_start(team)
    order = plan_change(
        account=account, plan=Plan.objects.get(code="premium"), period="yearly", by=team.owner
    )
    assert order.amount_excl_vat == Decimal("990.00")
    order_mark_paid(order_id=order.pk)
    subscription = Subscription.objects.get(account=account)
    assert 365 <= (subscription.current_period_end - subscription.current_period_start).days <= 366


def test_a_downgrade_waits_for_the_end_of_the_paid_period(team, time_machine):
    account = _on_start(team)
    time_machine.move_to("2026-03-10 10:00:00+00:00", tick=False)
    order = plan_change(
        account=account, plan=Plan.objects.get(code="medium"), period="monthly", by=team.owner
    )
    order_mark_paid(order_id=order.pk)
    account.refresh_from_db()
    assert (
        plan_change(
            account=account, plan=Plan.objects.get(code="classic"), period="monthly", by=team.owner
        )
        is None
    )
    account.refresh_from_db()
    assert account.plan.code == "medium"  # nothing locked before the end of the period
    assert Subscription.objects.get(account=account).pending_plan.code == "classic"

    time_machine.move_to("2026-04-09 10:00:00+00:00", tick=False)
    assert subscriptions_apply_due_changes() == 0
    time_machine.move_to("2026-04-10 10:00:01+00:00", tick=False)
    assert subscriptions_apply_due_changes() == 1
    assert subscriptions_apply_due_changes() == 0
    account.refresh_from_db()
    assert account.plan.code == "classic"
    assert Subscription.objects.get(account=account).pending_plan is None


def test_choosing_the_current_plan_again_cancels_a_planned_downgrade(team, time_machine):
    account = _on_start(team)
    order = plan_change(
        account=account, plan=Plan.objects.get(code="medium"), period="monthly", by=team.owner
    )
    order_mark_paid(order_id=order.pk)
    account.refresh_from_db()
    plan_change(
        account=account, plan=Plan.objects.get(code="start"), period="monthly", by=team.owner
    )
    assert Subscription.objects.get(account=account).pending_plan.code == "start"
    plan_change(
        account=account, plan=Plan.objects.get(code="medium"), period="monthly", by=team.owner
    )
    assert Subscription.objects.get(account=account).pending_plan is None


def test_a_downgrade_without_a_paid_period_applies_at_once(team):
    # The team's account was put on Medium by staff, with no paid period.
    plan_change(
        account=team.account, plan=Plan.objects.get(code="start"), period="monthly", by=team.owner
    )
    team.account.refresh_from_db()
    assert team.account.plan.code == "start"


def test_asking_for_the_current_plan_is_an_error(team):
    with pytest.raises(BillingError):
        plan_change(account=team.account, plan=team.account.plan, period="monthly", by=team.owner)


def test_staff_adjustments_need_a_reason_and_are_recorded(team):
    with pytest.raises(BillingError):
        credits_adjust(account=team.account, amount=Decimal(5), reason="  ", by=team.owner)
    entry = credits_adjust(
        account=team.account, amount=Decimal(-5), reason="Duplicate send", by=team.owner
    )
    assert entry.kind == LedgerKind.ADJUSTMENT
    assert entry.description == "Duplicate send"
    assert entry.created_by == team.owner
    assert _balance(team.account) == 15


def test_the_low_balance_alert_is_sent_once_when_the_threshold_is_crossed(
    team, django_capture_on_commit_callbacks
):
    low_balance_threshold_set(account=team.account, threshold=Decimal(10))
    with django_capture_on_commit_callbacks(execute=True):
        credits_add(account_id=team.account.pk, amount=-5, kind=LedgerKind.RESERVATION)
    assert mail.outbox == []  # 15 is not below 10
    with django_capture_on_commit_callbacks(execute=True):
        credits_add(account_id=team.account.pk, amount=-6, kind=LedgerKind.RESERVATION)
        credits_add(account_id=team.account.pk, amount=-1, kind=LedgerKind.RESERVATION)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["owner@acme.test"]
    assert "8" in mail.outbox[0].body
    # Back above the threshold re-arms it.
    with django_capture_on_commit_callbacks(execute=True):
        credits_add(account_id=team.account.pk, amount=50, kind=LedgerKind.PURCHASE)
        credits_add(account_id=team.account.pk, amount=-55, kind=LedgerKind.RESERVATION)
    assert len(mail.outbox) == 2


def test_the_invoice_year_follows_the_sellers_calendar(team, pack, time_machine):
    time_machine.move_to("2026-12-31 23:30:00+00:00", tick=False)  # 00:30 on 1 Jan in Paris
    order = order_create_credits(account=team.account, pack=pack, by=team.owner)
    assert order.invoice.number == "2027-000001"


def test_the_owners_are_told_when_a_payment_is_received(
    team, pack, django_capture_on_commit_callbacks
):
    order = order_create_credits(account=team.account, pack=pack, by=team.owner)
    with django_capture_on_commit_callbacks(execute=True):
        order_mark_paid(order_id=order.pk)
        order_mark_paid(order_id=order.pk)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["owner@acme.test"]
    assert order.invoice.number in mail.outbox[0].body
