"""Stripe Checkout and its webhook.

Webhook events are signed here exactly as Stripe signs them, so the library's own
verification runs. Checkout calls stop at the stripe library's HTTP client: a fake
one records the request and answers with canned JSON; nothing touches the network.

The webhook is posted to its real address, through the whole middleware stack.
"""

import json
import logging
import time
from datetime import timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

import pytest
import stripe
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.urls import resolve
from django.utils import timezone

from smsmode.accounts.models import Account
from smsmode.billing import stripe_provider
from smsmode.billing.models import (
    CreditLedgerEntry,
    CreditPack,
    LedgerKind,
    Order,
    OrderStatus,
    Plan,
    ProcessedEvent,
    Subscription,
)
from smsmode.billing.payments import get_provider
from smsmode.billing.services import order_create_credits, plan_change
from smsmode.billing.stripe_provider import StripeProvider, webhook

pytestmark = pytest.mark.django_db

SECRET = "whsec_test"
URL = "/subscription/stripe/webhook/"
CHECKOUT_URL = "https://checkout.stripe.com/c/pay/cs_test_123"


class FakeStripeHTTP(stripe.HTTPClient):
    """The stripe library's HTTP boundary: records each request, answers canned JSON."""

    name = "fake"

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[dict[str, Any]] = []
        self.status = 200
        self.body: dict[str, Any] = {
            "id": "cs_test_123",
            "object": "checkout.session",
            "url": CHECKOUT_URL,
            "mode": "payment",
            "payment_status": "unpaid",
            "status": "open",
        }

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        self.requests.append(
            {
                "method": method,
                "url": url,
                "headers": dict(headers or {}),
                "form": {k: v[0] for k, v in parse_qs(post_data or "").items()},
            }
        )
        return json.dumps(self.body), self.status, {"Request-Id": "req_test"}

    def request_stream(self, method, url, headers, post_data=None, *, _usage=None):
        raise AssertionError("no streaming request expected")

    def close(self) -> None:
        pass


@pytest.fixture(autouse=True)
def stripe_http(monkeypatch) -> FakeStripeHTTP:
    """Every test runs with the fake client: a Stripe call can never reach the network."""
    fake = FakeStripeHTTP()
    monkeypatch.setattr(stripe, "default_http_client", fake)
    # The library retries 5xx answers after a sleep; one answer is enough here.
    monkeypatch.setattr(stripe, "max_network_retries", 0)
    return fake


@pytest.fixture(autouse=True)
def _stripe_settings(settings) -> None:
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    settings.STRIPE_WEBHOOK_SECRET = SECRET
    settings.PAYMENT_PROVIDER = "stripe"
    settings.SITE_ROOT = "https://app.example.test"


@pytest.fixture
def stripe_client() -> Client:
    # Stripe sends no CSRF token: the webhook must not need one.
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def credits_order(team) -> Order:
    return order_create_credits(
        account=team.account, pack=CreditPack.objects.first(), by=team.owner
    )


@pytest.fixture
def plan_order(team) -> Order:
    Account.objects.filter(pk=team.account.pk).update(plan=Plan.objects.get(code="start"))
    team.account.refresh_from_db()
    order = plan_change(
        account=team.account,
        plan=Plan.objects.get(code="classic"),
        period="monthly",
        by=team.owner,
    )
    assert order is not None
    return order


def cents(order: Order) -> int:
    return int(order.amount_incl_vat * 100)


def session_event(
    order: Order,
    *,
    event_id: str = "evt_1",
    event_type: str = "checkout.session.completed",
    payment_status: str = "paid",
    amount: int | None = None,
    currency: str = "eur",
    public_id: str | None = None,
) -> dict[str, Any]:
    reference = public_id or str(order.public_id)
    return {
        "id": event_id,
        "object": "event",
        "type": event_type,
        "data": {
            "object": {
                "id": "cs_test_123",
                "object": "checkout.session",
                "amount_total": cents(order) if amount is None else amount,
                "currency": currency,
                "payment_status": payment_status,
                "client_reference_id": reference,
                "metadata": {"order": reference},
            }
        },
    }


def signature(payload: str, *, secret: str = SECRET, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = stripe.WebhookSignature._compute_signature(f"{timestamp}.{payload}", secret)
    return f"t={timestamp},v1={digest}"


def post_event(
    client: Client, event: dict[str, Any] | str, *, header: str | None = None
) -> HttpResponse:
    payload = event if isinstance(event, str) else json.dumps(event)
    headers = {"Stripe-Signature": signature(payload) if header is None else header}
    return client.post(URL, payload, content_type="application/json", headers=headers)


def balance(team) -> Decimal:
    team.account.refresh_from_db()
    return team.account.credit_balance


def purchases(team) -> int:
    return CreditLedgerEntry.objects.filter(account=team.account, kind=LedgerKind.PURCHASE).count()


# The webhook.


def test_a_paid_checkout_credits_the_pack_and_marks_the_order_paid(
    team, credits_order, stripe_client
):
    before = balance(team)
    response = post_event(stripe_client, session_event(credits_order))

    assert response.status_code == 200
    assert response.json() == {"received": True}
    assert balance(team) == before + credits_order.credit_pack.credits
    entry = CreditLedgerEntry.objects.get(account=team.account, kind=LedgerKind.PURCHASE)
    assert entry.amount == credits_order.credit_pack.credits
    credits_order.refresh_from_db()
    assert credits_order.status == OrderStatus.PAID
    assert credits_order.provider_ref == "cs_test_123"
    assert credits_order.paid_at is not None
    assert ProcessedEvent.objects.filter(
        provider="stripe", event_id="evt_1", event_type="checkout.session.completed"
    ).exists()


def test_a_replayed_event_changes_nothing_more(team, credits_order, stripe_client):
    event = session_event(credits_order)
    post_event(stripe_client, event)
    after_first = balance(team)

    response = post_event(stripe_client, event)

    assert response.status_code == 200
    assert response.json() == {"received": True}
    assert balance(team) == after_first
    assert purchases(team) == 1
    assert ProcessedEvent.objects.count() == 1


def test_a_second_payment_event_for_a_paid_order_changes_nothing_more(
    team, credits_order, stripe_client
):
    post_event(stripe_client, session_event(credits_order))
    after_first = balance(team)

    response = post_event(
        stripe_client,
        session_event(
            credits_order,
            event_id="evt_2",
            event_type="checkout.session.async_payment_succeeded",
        ),
    )

    assert response.status_code == 200
    assert balance(team) == after_first
    assert purchases(team) == 1
    assert ProcessedEvent.objects.count() == 2


@pytest.mark.parametrize(
    "tamper",
    ["wrong secret", "altered body", "stale timestamp", "garbage header"],
)
def test_a_forged_signature_is_refused_and_changes_nothing(
    team, credits_order, stripe_client, tamper
):
    payload = json.dumps(session_event(credits_order))
    header = signature(payload)
    if tamper == "wrong secret":
        header = signature(payload, secret="whsec_other")
    elif tamper == "altered body":
        payload = json.dumps(session_event(credits_order, event_id="evt_forged"))
    elif tamper == "stale timestamp":
        header = signature(payload, timestamp=int(time.time()) - 3600)
    else:
        header = "nonsense"
    before = balance(team)

    response = post_event(stripe_client, payload, header=header)

    assert response.status_code == 400
    assert balance(team) == before
    credits_order.refresh_from_db()
    assert credits_order.status == OrderStatus.PENDING
    assert not ProcessedEvent.objects.exists()


def test_a_missing_signature_is_refused(team, credits_order, stripe_client):
    response = stripe_client.post(
        URL, json.dumps(session_event(credits_order)), content_type="application/json"
    )

    assert response.status_code == 400
    credits_order.refresh_from_db()
    assert credits_order.status == OrderStatus.PENDING
    assert not ProcessedEvent.objects.exists()


def test_a_signed_body_that_is_not_json_is_refused(stripe_client):
    response = post_event(stripe_client, "not json")

    assert response.status_code == 400
    assert not ProcessedEvent.objects.exists()


def test_the_webhook_is_absent_when_not_configured(team, credits_order, stripe_client, settings):
    settings.STRIPE_WEBHOOK_SECRET = ""

    response = post_event(stripe_client, session_event(credits_order))

    assert response.status_code == 404
    credits_order.refresh_from_db()
    assert credits_order.status == OrderStatus.PENDING
    assert not ProcessedEvent.objects.exists()


def test_it_rejects_get(stripe_client):
    assert stripe_client.get(URL).status_code == 405


@pytest.mark.parametrize(
    "event_type", ["checkout.session.expired", "checkout.session.async_payment_failed"]
)
def test_an_expired_or_failed_session_cancels_a_pending_order(
    team, credits_order, stripe_client, event_type
):
    response = post_event(
        stripe_client,
        session_event(credits_order, event_type=event_type, payment_status="unpaid"),
    )

    assert response.status_code == 200
    credits_order.refresh_from_db()
    assert credits_order.status == OrderStatus.CANCELLED
    assert purchases(team) == 0


def test_an_expired_session_after_the_payment_leaves_the_order_paid(
    team, credits_order, stripe_client
):
    post_event(stripe_client, session_event(credits_order))
    after_payment = balance(team)

    response = post_event(
        stripe_client,
        session_event(credits_order, event_id="evt_2", event_type="checkout.session.expired"),
    )

    assert response.status_code == 200
    credits_order.refresh_from_db()
    assert credits_order.status == OrderStatus.PAID
    assert balance(team) == after_payment


def test_a_payment_after_the_session_expired_does_not_fulfil_the_cancelled_order(
    team, credits_order, stripe_client
):
    post_event(
        stripe_client,
        session_event(credits_order, event_id="evt_1", event_type="checkout.session.expired"),
    )
    before = balance(team)

    post_event(stripe_client, session_event(credits_order, event_id="evt_2"))

    credits_order.refresh_from_db()
    assert credits_order.status == OrderStatus.CANCELLED
    assert balance(team) == before


def test_an_unknown_event_type_is_recorded_and_ignored(team, credits_order, stripe_client):
    event = session_event(credits_order, event_type="payment_intent.created")

    response = post_event(stripe_client, event)

    assert response.status_code == 200
    assert ProcessedEvent.objects.filter(event_id="evt_1", event_type="payment_intent.created")
    credits_order.refresh_from_db()
    assert credits_order.status == OrderStatus.PENDING


@pytest.mark.parametrize("reference", ["3f0c2c1e-0000-4000-8000-000000000000", "not-a-uuid"])
def test_an_event_for_an_unknown_order_is_acknowledged_and_logged(
    team, credits_order, stripe_client, caplog, reference
):
    with caplog.at_level(logging.ERROR, logger="smsmode.billing.stripe_provider"):
        response = post_event(stripe_client, session_event(credits_order, public_id=reference))

    assert response.status_code == 200
    assert "no known order" in caplog.text
    credits_order.refresh_from_db()
    assert credits_order.status == OrderStatus.PENDING
    assert purchases(team) == 0


@pytest.mark.parametrize(
    ("delta", "currency"), [(-1, "eur"), (1, "eur"), (0, "usd")], ids=["less", "more", "usd"]
)
def test_a_wrong_amount_does_not_fulfil_the_order(
    team, credits_order, stripe_client, caplog, delta, currency
):
    event = session_event(credits_order, amount=cents(credits_order) + delta, currency=currency)
    with caplog.at_level(logging.ERROR, logger="smsmode.billing.stripe_provider"):
        response = post_event(stripe_client, event)

    assert response.status_code == 200
    assert "not fulfilled" in caplog.text
    credits_order.refresh_from_db()
    assert credits_order.status == OrderStatus.PENDING
    assert purchases(team) == 0


def test_a_paid_plan_order_switches_the_plan_and_starts_a_month(team, plan_order, stripe_client):
    response = post_event(stripe_client, session_event(plan_order))

    assert response.status_code == 200
    team.account.refresh_from_db()
    assert team.account.plan.code == "classic"
    subscription = Subscription.objects.get(account=team.account)
    assert subscription.period == "monthly"
    assert subscription.pending_plan is None
    length = subscription.current_period_end - timezone.now()
    assert timedelta(days=27) < length <= timedelta(days=31)
    plan_order.refresh_from_db()
    assert plan_order.status == OrderStatus.PAID


def test_a_completed_session_awaiting_a_delayed_payment_does_not_fulfil_yet(
    team, credits_order, stripe_client
):
    before = balance(team)
    post_event(stripe_client, session_event(credits_order, payment_status="unpaid"))

    credits_order.refresh_from_db()
    assert credits_order.status == OrderStatus.PENDING
    assert balance(team) == before

    post_event(
        stripe_client,
        session_event(
            credits_order,
            event_id="evt_2",
            event_type="checkout.session.async_payment_succeeded",
        ),
    )

    credits_order.refresh_from_db()
    assert credits_order.status == OrderStatus.PAID
    assert balance(team) == before + credits_order.credits


def test_a_failure_while_handling_rolls_the_event_back_so_a_retry_handles_it(
    team, credits_order, monkeypatch
):
    real = stripe_provider.order_mark_paid
    calls: list[int] = []

    def fails_once(**kwargs: Any) -> bool:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database went away")
        return real(**kwargs)

    monkeypatch.setattr(stripe_provider, "order_mark_paid", fails_once)
    client = Client(raise_request_exception=False)
    event = session_event(credits_order)

    assert post_event(client, event).status_code == 500
    assert not ProcessedEvent.objects.exists()

    assert post_event(client, event).status_code == 200
    credits_order.refresh_from_db()
    assert credits_order.status == OrderStatus.PAID
    assert ProcessedEvent.objects.count() == 1


def test_the_webhook_is_routed_under_the_subscription_prefix():
    match = resolve(URL)

    assert match.func is webhook
    assert match.view_name == "billing:stripe_webhook"


# Checkout.


def test_buying_credits_goes_to_stripe_checkout(team, owner_client, stripe_http):
    pack = CreditPack.objects.first()

    response = owner_client.post("/subscription/credits/", {"pack": pack.pk})

    assert response.status_code == 303
    assert response["Location"] == CHECKOUT_URL
    order = Order.objects.get(account=team.account)
    assert order.provider == "stripe"
    assert order.provider_ref == "cs_test_123"
    assert order.status == OrderStatus.PENDING
    (sent,) = stripe_http.requests
    assert sent["form"]["metadata[order]"] == str(order.public_id)


def test_a_stripe_error_while_buying_credits_shows_the_order_page_with_the_error(
    team, owner_client, stripe_http
):
    stripe_http.status = 402
    stripe_http.body = {"error": {"type": "card_error", "message": "Declined."}}

    response = owner_client.post(
        "/subscription/credits/", {"pack": CreditPack.objects.first().pk}, follow=True
    )

    order = Order.objects.get(account=team.account)
    assert response.redirect_chain == [(f"/subscription/orders/{order.public_id}/", 302)]
    assert response.status_code == 200
    assert "The payment could not be started" in response.content.decode()
    assert order.status == OrderStatus.PENDING
    assert order.provider_ref == ""


def checkout_request(user) -> HttpRequest:
    request = RequestFactory().post("/subscription/credits/")
    request.user = user
    SessionMiddleware(lambda r: HttpResponse()).process_request(request)
    request._messages = FallbackStorage(request)
    return request


def test_it_opens_a_checkout_session_and_redirects_to_it(team, credits_order, stripe_http):
    provider = get_provider()
    assert isinstance(provider, StripeProvider)

    response = provider.start(checkout_request(team.owner), credits_order)

    assert response.status_code == 303
    assert response["Location"] == CHECKOUT_URL
    credits_order.refresh_from_db()
    assert credits_order.provider_ref == "cs_test_123"
    assert credits_order.status == OrderStatus.PENDING

    (sent,) = stripe_http.requests
    assert sent["method"] == "post"
    assert sent["url"] == "https://api.stripe.com/v1/checkout/sessions"
    assert sent["headers"]["Authorization"] == "Bearer sk_test_x"
    assert sent["headers"]["Idempotency-Key"] == f"order-{credits_order.public_id}"
    form = sent["form"]
    public_id = str(credits_order.public_id)
    assert form["mode"] == "payment"
    assert form["line_items[0][price_data][unit_amount]"] == "960" == str(cents(credits_order))
    assert form["line_items[0][price_data][currency]"] == "eur"
    assert form["line_items[0][price_data][product_data][name]"] == credits_order.description
    assert form["line_items[0][quantity]"] == "1"
    assert form["metadata[order]"] == public_id
    assert form["client_reference_id"] == public_id
    assert form["customer_email"] == team.owner.email
    order_url = f"https://app.example.test/subscription/orders/{public_id}/"
    assert form["success_url"] == f"{order_url}?paid=1"
    assert form["cancel_url"] == f"{order_url}?cancelled=1"


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (402, {"type": "card_error", "code": "card_declined", "message": "Declined."}),
        (500, {"type": "api_error", "message": "Something went wrong."}),
    ],
    ids=["declined", "stripe-down"],
)
def test_a_stripe_error_leaves_the_order_pending_and_shows_an_error(
    team, credits_order, stripe_http, status, error
):
    stripe_http.status = status
    stripe_http.body = {"error": error}
    request = checkout_request(team.owner)

    response = StripeProvider().start(request, credits_order)

    assert response.status_code == 302
    assert response["Location"] == f"/subscription/orders/{credits_order.public_id}/"
    assert len(stripe_http.requests) == 1
    credits_order.refresh_from_db()
    assert credits_order.status == OrderStatus.PENDING
    assert credits_order.provider_ref == ""
    assert [m.level_tag for m in get_messages(request)] == ["error"]


def test_an_order_no_longer_pending_is_not_sent_to_stripe(team, credits_order, stripe_http):
    Order.objects.filter(pk=credits_order.pk).update(status=OrderStatus.PAID)
    credits_order.refresh_from_db()

    response = StripeProvider().start(checkout_request(team.owner), credits_order)

    assert response.status_code == 302
    assert response["Location"] == f"/subscription/orders/{credits_order.public_id}/"
    assert stripe_http.requests == []
