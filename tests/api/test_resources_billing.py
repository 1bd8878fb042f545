"""/api/v1/balance and /api/v1/ledger, and the rate limit every resource shares."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.test import Client

from smsmode.accounts.models import Account
from smsmode.billing.models import LedgerKind, Plan
from smsmode.billing.services import credits_add
from tests.api.conftest import assert_error

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_redis")]


def test_the_balance(read_api, team):
    credits_add(account_id=team.account.pk, amount=Decimal("12.50"), kind=LedgerKind.PURCHASE)
    Plan.objects.filter(code="medium").update(credits_per_segment=Decimal("1.5"))
    response = read_api.get("/api/v1/balance")
    assert response.status_code == 200
    assert response.json() == {"credits": "32.50", "plan": "medium", "pricePerSegment": "1.500"}


def test_the_ledger_is_the_accounts_newest_first(read_api, team):
    credits_add(account_id=team.account.pk, amount=Decimal(100), kind=LedgerKind.PURCHASE)
    credits_add(
        account_id=team.account.pk,
        amount=Decimal("-3"),
        kind=LedgerKind.RESERVATION,
        description="Campaign: Spring sale",
    )
    credits_add(account_id=team.outsider_account.pk, amount=Decimal(7), kind=LedgerKind.PURCHASE)
    items = read_api.get("/api/v1/ledger").json()["items"]
    assert [(i["kind"], i["amount"], i["balanceAfter"]) for i in items] == [
        ("reservation", "-3.00", "117.00"),
        ("purchase", "100.00", "120.00"),
        ("signup_gift", "20.00", "20.00"),
    ]
    assert items[0]["description"] == "Campaign: Spring sale"


def test_ledger_pages_walk_every_entry_once(read_api, team, django_assert_max_num_queries):
    for i in range(8):
        credits_add(account_id=team.account.pk, amount=Decimal(i + 1), kind=LedgerKind.PURCHASE)
    amounts, cursor = [], ""
    while True:
        with django_assert_max_num_queries(3):  # key, last use, page
            data = read_api.get("/api/v1/ledger", {"limit": 4, "cursor": cursor}).json()
        amounts += [item["amount"] for item in data["items"]]
        if not data["nextCursor"]:
            break
        cursor = data["nextCursor"]
    assert amounts == [f"{n}.00" for n in range(8, 0, -1)] + ["20.00"]


def test_billing_needs_a_key(team):
    for path in ("/api/v1/balance", "/api/v1/ledger"):
        assert_error(Client().get(path), 401, "UNAUTHORIZED")
        assert_error(Client().get(path, HTTP_X_API_KEY="smk_unknown"), 401, "UNAUTHORIZED")


def test_another_account_sees_its_own_balance(outsider_api, team):
    credits_add(account_id=team.account.pk, amount=Decimal(500), kind=LedgerKind.PURCHASE)
    assert outsider_api.get("/api/v1/balance").json()["credits"] == "20.00"
    assert len(outsider_api.get("/api/v1/ledger").json()["items"]) == 1


def test_the_rate_limit_answers_429_with_retry_after(read_api, team):
    Account.objects.filter(pk=team.account.pk).update(api_rate_limit=2)
    # Frozen inside one second (an odd one: no other test travels there and counts
    # in the same Redis keys).
    with time_machine.travel(
        datetime.datetime(2031, 3, 4, 5, 6, 7, 250_000, tzinfo=datetime.UTC), tick=False
    ):
        first = read_api.get("/api/v1/balance")
        second = read_api.get("/api/v1/balance")
        third = read_api.get("/api/v1/balance")
    assert (first.status_code, second.status_code) == (200, 200)
    assert (first["X-RateLimit-Limit"], first["X-RateLimit-Remaining"]) == ("2", "1")
    assert second["X-RateLimit-Remaining"] == "0"
    body = assert_error(third, 429, "RATE_LIMITED")
    assert "2 requests" in body["message"]
    assert third["Retry-After"] == "1"
    with time_machine.travel(
        datetime.datetime(2031, 3, 4, 5, 6, 8, 250_000, tzinfo=datetime.UTC), tick=False
    ):
        assert read_api.get("/api/v1/balance").status_code == 200  # the next second
