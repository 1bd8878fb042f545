"""The webhooks screen (owners and admins): default URLs, the signing secret, the
recent deliveries with a resend button, and a delivery's page."""

from __future__ import annotations

import json
from urllib.parse import urlencode
from uuid import UUID

from django.contrib import messages
from django.db.models import F
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from contacts.selectors import SORT_CREATED, keyset_page
from smsmode.accounts.access import account_required, require_settings_manager
from smsmode.accounts.middleware import AccountRequest
from smsmode.webhooks import services
from smsmode.webhooks.forms import WebhookSettingsForm
from smsmode.webhooks.models import WebhookDelivery

PAGE_SIZE = 50


def _get_delivery(request: AccountRequest, public_id: UUID) -> WebhookDelivery:
    """A delivery of the current account (anyone else's: 404) for a settings manager
    (a member: 403)."""
    delivery = get_object_or_404(
        WebhookDelivery.objects.annotate(message_public_id=F("message__public_id")),
        account=request.account,
        public_id=public_id,
    )
    require_settings_manager(request)
    return delivery


@account_required
@require_http_methods(["GET", "POST"])
def webhook_index(request: AccountRequest) -> HttpResponse:
    require_settings_manager(request)
    row = services.webhook_settings_get(account_id=request.account.pk)
    form = WebhookSettingsForm(request.POST if request.method == "POST" else None, instance=row)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            services.webhook_settings_update(
                account_id=request.account.pk,
                status_url=form.cleaned_data["status_url"],
                mo_url=form.cleaned_data["mo_url"],
            )
            messages.success(request, _("Webhook settings saved."))
            return redirect("webhooks:index")
        status = 400
    state = request.GET.get("state", "")
    if state not in WebhookDelivery.State.values:
        state = ""
    deliveries = (
        WebhookDelivery.objects.filter(account=request.account)
        .annotate(message_public_id=F("message__public_id"))
        .defer("payload", "attempt_log")
        .order_by("-created_at", "-id")
    )
    if state:
        deliveries = deliveries.filter(state=state)
    page = keyset_page(
        deliveries, sort=SORT_CREATED, after=request.GET.get("after", ""), size=PAGE_SIZE
    )
    base = reverse("webhooks:index")
    params = {"state": state} if state else {}
    return render(
        request,
        "webhooks/index.html",
        {
            "form": form,
            "settings_row": row,
            "page": page,
            "state": state,
            "states": WebhookDelivery.State.choices,
            "first_page_url": f"{base}?{urlencode(params)}" if params else base,
            "next_page_url": f"{base}?{urlencode({**params, 'after': page.next_cursor})}"
            if page.has_next
            else None,
        },
        status=status,
    )


@account_required
@require_POST
def webhook_secret_rotate_view(request: AccountRequest) -> HttpResponse:
    require_settings_manager(request)
    services.webhook_secret_rotate(account_id=request.account.pk)
    messages.success(
        request,
        _("A new signing secret is in use from now on: update it in your receivers."),
    )
    return redirect("webhooks:index")


@account_required
def delivery_detail(request: AccountRequest, public_id: UUID) -> HttpResponse:
    delivery = _get_delivery(request, public_id)
    try:
        payload = json.dumps(json.loads(delivery.payload), indent=2, ensure_ascii=False)
    except ValueError:
        payload = delivery.payload
    return render(
        request,
        "webhooks/delivery_detail.html",
        {"delivery": delivery, "payload": payload, "attempt_log": delivery.attempt_log[::-1]},
    )


@account_required
@require_POST
def delivery_resend_view(request: AccountRequest, public_id: UUID) -> HttpResponse:
    delivery = _get_delivery(request, public_id)
    resend = services.delivery_resend(delivery=delivery)
    messages.success(
        request,
        _("Event %(event)s sent again to %(url)s.") % {"event": resend.event_id, "url": resend.url},
    )
    return redirect("webhooks:index")
