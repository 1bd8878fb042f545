"""Payment providers: how an unpaid order gets paid.

`manual` (the default): the order's page shows bank-transfer instructions; staff mark
the order paid in Django admin. `stripe` (when STRIPE_SECRET_KEY is set): Stripe
Checkout, confirmed by a signed webhook. Either way only `order_mark_paid` fulfils
an order, exactly once.
"""

from __future__ import annotations

from typing import Protocol

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from smsmode.billing.models import Order


class PaymentProvider(Protocol):
    name: str

    def start(self, request: HttpRequest, order: Order) -> HttpResponse:
        """Send the buyer on to pay `order` (a redirect)."""
        ...


class ManualProvider:
    name = "manual"

    def start(self, request: HttpRequest, order: Order) -> HttpResponse:
        return redirect("billing:order", public_id=order.public_id)


def get_provider(name: str | None = None) -> PaymentProvider:
    name = name or settings.PAYMENT_PROVIDER
    if name == "stripe":
        from smsmode.billing.stripe_provider import StripeProvider

        return StripeProvider()
    return ManualProvider()
