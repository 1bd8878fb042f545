"""Stripe Checkout: the buyer pays on Stripe's page; a signed webhook confirms it.

`StripeProvider.start` opens a Checkout Session for an order and redirects to it.
Nothing is fulfilled there: only the webhook, after checking Stripe's signature and
the amount paid, calls `order_mark_paid` (which fulfils an order exactly once).

The webhook promises:
- exactly once: each event id is recorded in `ProcessedEvent` in the same transaction
  as its handling, so a replayed (or concurrently redelivered) event is a no-op, and
  an event whose handling failed is rolled back whole and handled again on retry;
- out-of-order safe: every transition goes through a service that only moves a
  pending order (`order_mark_paid`, `order_cancel`), so "expired" after "completed",
  or "async_payment_succeeded" after "completed", changes nothing;
- never a retry loop for a bad event: an unknown order or a wrong amount is logged
  and answered 200 (Stripe retries any other answer for days).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from decimal import Decimal
from functools import wraps
from typing import Any

import stripe
from django.conf import settings
from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from smsmode.billing.models import Order, OrderStatus, ProcessedEvent
from smsmode.billing.services import order_cancel, order_mark_paid

logger = logging.getLogger(__name__)

PROVIDER = "stripe"
CURRENCY = "eur"

# Events that fulfil the order (when the session says it is paid) or cancel it.
PAID_EVENTS = {"checkout.session.completed", "checkout.session.async_payment_succeeded"}
CANCEL_EVENTS = {"checkout.session.async_payment_failed", "checkout.session.expired"}


def amount_in_cents(amount: Decimal) -> int:
    """An amount in euros as Stripe's integer cents, exactly (no float on the way)."""
    cents = Decimal(amount) * 100
    if cents != cents.to_integral_value():
        raise ValueError(f"{amount} is not a whole number of cents")
    return int(cents)


def _order_url(order: Order, query: str) -> str:
    path = reverse("billing:order", args=[order.public_id])
    return f"{settings.SITE_ROOT.rstrip('/')}{path}?{query}"


class StripeProvider:
    """Pay an order through Stripe Checkout."""

    name = PROVIDER

    def start(self, request: HttpRequest, order: Order) -> HttpResponse:
        """Open a Checkout Session for `order` and redirect (303) the buyer to it.

        Safe to call twice for one order: the idempotency key makes Stripe return the
        same session. Only the session id is stored (`provider_ref`); nothing is
        fulfilled here. When Stripe refuses, the order is left as it was and the buyer
        goes back to the order page with an error message.
        """
        if order.status != OrderStatus.PENDING:
            return redirect("billing:order", public_id=order.public_id)
        try:
            session = stripe.checkout.Session.create(
                api_key=settings.STRIPE_SECRET_KEY,
                mode="payment",
                line_items=[
                    {
                        "price_data": {
                            "currency": CURRENCY,
                            "unit_amount": amount_in_cents(order.amount_incl_vat),
                            "product_data": {"name": order.description},
                        },
                        "quantity": 1,
                    }
                ],
                client_reference_id=str(order.public_id),
                metadata={"order": str(order.public_id)},
                success_url=_order_url(order, "paid=1"),
                cancel_url=_order_url(order, "cancelled=1"),
                customer_email=request.user.email,
                idempotency_key=f"order-{order.public_id}",
            )
        except stripe.StripeError:
            logger.exception("Stripe refused a Checkout Session for order %s", order.public_id)
            messages.error(
                request,
                _("The payment could not be started. Please try again in a few minutes."),
            )
            return redirect("billing:order", public_id=order.public_id)
        order.provider_ref = session.id
        order.save(update_fields=["provider_ref"])
        # 303: the browser follows with a GET whatever method brought it here.
        response = HttpResponseRedirect(session.url)
        response.status_code = 303
        return response


def _webhook_configured(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Without a webhook secret the endpoint is absent (404), not broken."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not settings.STRIPE_WEBHOOK_SECRET:
            raise Http404("The Stripe webhook is not configured.")
        return view(request, *args, **kwargs)

    return wrapped


@csrf_exempt
@_webhook_configured
@require_POST
def webhook(request: HttpRequest) -> HttpResponse:
    """Receive a Stripe event: verify its signature, then handle it exactly once.

    400 for a missing or bad signature (nothing changes), 200 {"received": true} for
    everything else, including replays, ignored types, unknown orders and amount
    mismatches. An exception while handling rolls the whole event back (500), so
    Stripe's retry handles it afresh.
    """
    try:
        event = stripe.Webhook.construct_event(
            request.body,
            request.headers.get("Stripe-Signature"),
            settings.STRIPE_WEBHOOK_SECRET,
        )
    except (ValueError, stripe.SignatureVerificationError):
        logger.warning("Stripe webhook with a missing or bad signature refused")
        return HttpResponseBadRequest("Bad signature")

    data = event.to_dict()
    event_id, event_type = str(data["id"]), str(data["type"])
    with transaction.atomic():
        try:
            # A savepoint of its own, so a replay's IntegrityError leaves the outer
            # transaction usable; the row commits (or rolls back) with the handling.
            with transaction.atomic():
                ProcessedEvent.objects.create(
                    provider=PROVIDER, event_id=event_id, event_type=event_type
                )
        except IntegrityError:
            logger.info("Stripe event %s (%s) already processed", event_id, event_type)
            return _received()
        _handle(event_id, event_type, data["data"]["object"])
    return _received()


def _received() -> JsonResponse:
    return JsonResponse({"received": True})


def _handle(event_id: str, event_type: str, session: dict[str, Any]) -> None:
    if event_type not in PAID_EVENTS | CANCEL_EVENTS:
        logger.info("Stripe event %s of type %s ignored", event_id, event_type)
        return
    order = _order_for(session)
    if order is None:
        logger.error(
            "Stripe event %s (%s) names no known order (session %s)",
            event_id,
            event_type,
            session.get("id"),
        )
        return
    if event_type in CANCEL_EVENTS:
        if order_cancel(order_id=order.pk):
            logger.info("Order %s cancelled by Stripe event %s", order.public_id, event_type)
        return
    if session.get("payment_status") != "paid":
        # Delayed methods (SEPA debit...): async_payment_succeeded or _failed follows.
        logger.info("Order %s awaits a delayed Stripe payment", order.public_id)
        return
    expected = amount_in_cents(order.amount_incl_vat)
    if session.get("amount_total") != expected or session.get("currency") != CURRENCY:
        logger.error(
            "Stripe event %s: order %s paid %s %s, expected %s %s; not fulfilled",
            event_id,
            order.public_id,
            session.get("amount_total"),
            session.get("currency"),
            expected,
            CURRENCY,
        )
        return
    if order_mark_paid(order_id=order.pk, provider_ref=str(session.get("id") or "")):
        logger.info("Order %s paid through Stripe (%s)", order.public_id, event_type)


def _order_for(session: dict[str, Any]) -> Order | None:
    reference = (session.get("metadata") or {}).get("order") or session.get("client_reference_id")
    try:
        public_id = uuid.UUID(str(reference))
    except ValueError:
        return None
    return Order.objects.filter(public_id=public_id).first()
