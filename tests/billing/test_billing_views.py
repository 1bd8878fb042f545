"""The owners' subscription screens and the staff side in admin."""

from decimal import Decimal

import pytest
from django.test import Client

from smsmode.accounts.models import Account, User
from smsmode.billing.models import CreditPack, LedgerKind, Order, OrderStatus, Plan, Subscription
from smsmode.billing.services import credits_add, order_create_credits, order_mark_paid

pytestmark = pytest.mark.django_db

OWNER_PAGES = [
    "/subscription/",
    "/subscription/credits/",
    "/subscription/ledger/",
    "/subscription/invoices/",
]


@pytest.fixture
def on_start(team) -> Account:
    Account.objects.filter(pk=team.account.pk).update(plan=Plan.objects.get(code="start"))
    team.account.refresh_from_db()
    return team.account


@pytest.fixture
def staff_client(db) -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser(email="staff@platform.test", password="x"))
    return client


@pytest.mark.parametrize("path", OWNER_PAGES)
def test_owner_pages_work(owner_client, path):
    assert owner_client.get(path).status_code == 200


@pytest.mark.parametrize("path", OWNER_PAGES)
def test_owner_pages_are_for_owners_only(admin_client_, member_client, path):
    assert admin_client_.get(path).status_code == 403
    assert member_client.get(path).status_code == 403


def test_the_overview_shows_plan_usage_and_the_comparison(owner_client):
    content = owner_client.get("/subscription/").content.decode()
    assert 'data-testid="current-plan">Medium<' in content
    assert "3 of 10 users" in content
    for name in ("Start", "Classic", "Medium", "Premium"):
        assert name in content
    assert "Upgrade to Premium" in content
    assert "Switch to Classic" in content


def test_an_upgrade_creates_an_order_and_shows_how_to_pay(owner_client, on_start):
    response = owner_client.post("/subscription/plan/", {"plan": "classic", "period": "monthly"})
    order = Order.objects.get(account=on_start)
    assert response.status_code == 302
    assert response["Location"] == f"/subscription/orders/{order.public_id}/"
    page = owner_client.get(response["Location"]).content.decode()
    assert "Pay by bank transfer" in page
    assert order.invoice.number in page
    assert "22,80" in page or "22.80" in page  # 19.00 + 20 % VAT
    on_start.refresh_from_db()
    assert on_start.plan.code == "start"


def test_a_downgrade_is_planned_and_said(owner_client, team):
    Subscription.objects.create(account=team.account)
    response = owner_client.post(
        "/subscription/plan/", {"plan": "classic", "period": "monthly"}, follow=True
    )
    # Staff put Acme on Medium without a paid period, so the downgrade applies at once.
    assert "You are now on the Classic plan." in response.content.decode()
    team.account.refresh_from_db()
    assert team.account.plan.code == "classic"


def test_a_bad_plan_or_period_changes_nothing(owner_client, team):
    assert (
        owner_client.post("/subscription/plan/", {"plan": "nope", "period": "monthly"}).status_code
        == 404
    )
    response = owner_client.post("/subscription/plan/", {"plan": "premium", "period": "weekly"})
    assert response.status_code == 302
    assert not Order.objects.exists()


def test_members_cannot_change_the_plan_or_buy(member_client, team):
    assert (
        member_client.post(
            "/subscription/plan/", {"plan": "premium", "period": "monthly"}
        ).status_code
        == 403
    )
    pack = CreditPack.objects.first()
    assert member_client.post("/subscription/credits/", {"pack": pack.pk}).status_code == 403
    assert not Order.objects.exists()


def test_buying_a_pack_creates_an_unpaid_order(owner_client, team):
    pack = CreditPack.objects.get(credits=1000)
    response = owner_client.post("/subscription/credits/", {"pack": pack.pk})
    order = Order.objects.get(account=team.account)
    assert response["Location"] == f"/subscription/orders/{order.public_id}/"
    assert order.credits == 1000
    team.account.refresh_from_db()
    assert team.account.credit_balance == 20


def test_an_unknown_pack_is_refused(owner_client):
    response = owner_client.post("/subscription/credits/", {"pack": 999999}, follow=True)
    assert "Choose a credit pack." in response.content.decode()
    assert not Order.objects.exists()


def test_another_accounts_order_is_not_found(outsider_client, team):
    order = order_create_credits(
        account=team.account, pack=CreditPack.objects.first(), by=team.owner
    )
    assert outsider_client.get(f"/subscription/orders/{order.public_id}/").status_code == 404


def test_the_ledger_filters_by_kind_and_date(owner_client, team):
    credits_add(
        account_id=team.account.pk, amount=7, kind=LedgerKind.ADJUSTMENT, description="Gesture"
    )
    content = owner_client.get("/subscription/ledger/", {"kind": "adjustment"}).content.decode()
    assert "Gesture" in content
    assert "<td>Free test credits</td>" not in content
    content = owner_client.get("/subscription/ledger/", {"until": "2000-01-01"}).content.decode()
    assert "No credit movements yet." in content


def test_the_ledger_is_the_accounts_own(outsider_client, team):
    credits_add(
        account_id=team.account.pk, amount=7, kind=LedgerKind.ADJUSTMENT, description="Acme gesture"
    )
    assert "Acme gesture" not in outsider_client.get("/subscription/ledger/").content.decode()


def test_the_low_balance_threshold_is_saved_and_validated(owner_client, team):
    owner_client.post("/subscription/alert/", {"threshold": "150"})
    assert Subscription.objects.get(account=team.account).low_balance_threshold == Decimal(150)
    response = owner_client.post("/subscription/alert/", {"threshold": "-3"}, follow=True)
    assert "Enter a positive number" in response.content.decode()
    assert Subscription.objects.get(account=team.account).low_balance_threshold == Decimal(150)
    owner_client.post("/subscription/alert/", {"threshold": ""})
    assert Subscription.objects.get(account=team.account).low_balance_threshold is None


def test_staff_mark_a_manual_order_paid_once_in_admin(staff_client, team):
    order = order_create_credits(
        account=team.account, pack=CreditPack.objects.get(credits=500), by=team.owner
    )
    for _ in range(2):
        staff_client.post(
            "/admin/billing/order/", {"action": "mark_paid", "_selected_action": [order.pk]}
        )
    team.account.refresh_from_db()
    assert team.account.credit_balance == 520
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert order.paid_by.email == "staff@platform.test"


def test_staff_adjust_credits_with_a_reason(staff_client, team):
    url = f"/admin/accounts/account/{team.account.pk}/adjust-credits/"
    assert staff_client.get(url).status_code == 200
    missing = staff_client.post(url, {"amount": "10", "reason": ""})
    assert missing.status_code == 200
    too_much = staff_client.post(url, {"amount": "-50", "reason": "Chargeback"})
    assert too_much.status_code == 200
    assert b"missing" in too_much.content
    done = staff_client.post(url, {"amount": "-5", "reason": "Chargeback"})
    assert done.status_code == 302
    team.account.refresh_from_db()
    assert team.account.credit_balance == 15
    entry = team.account.ledger_entries.order_by("-pk").first()
    assert entry.description == "Chargeback"
    assert entry.created_by.email == "staff@platform.test"


def test_customers_cannot_adjust_credits(owner_client, team):
    response = owner_client.get(f"/admin/accounts/account/{team.account.pk}/adjust-credits/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_paid_plan_orders_unlock_the_feature_in_the_navigation(owner_client, on_start, team):
    assert "(not in your plan)" in owner_client.get("/").content.decode()
    owner_client.post("/subscription/plan/", {"plan": "classic", "period": "monthly"})
    order_mark_paid(order_id=Order.objects.get(account=on_start).pk)
    content = owner_client.get("/shortener/").content.decode()
    assert 'data-testid="link-create-form"' in content
    assert content.count("(not in your plan)") == 1  # landing pages stay locked


def test_the_threshold_accepts_a_french_decimal_comma(owner_client, team):
    owner_client.post("/i18n/setlang/", {"language": "fr", "next": "/"})
    owner_client.post("/subscription/alert/", {"threshold": "150,5"})
    assert Subscription.objects.get(account=team.account).low_balance_threshold == Decimal("150.5")
