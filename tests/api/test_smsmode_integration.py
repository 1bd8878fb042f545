"""An existing smsmode integration, unchanged but for its base URL: a plain HTTP client
sends through the compatible endpoint of a running server, the message goes through
the sandbox gateway to DELIVERED, and the signed status callbacks reach a receiver."""

import hashlib
import hmac
import json
import urllib.request
from decimal import Decimal

import django_rq
import pytest

from smsmode.accounts.models import Account
from smsmode.api.keys import key_create
from smsmode.webhooks.services import webhook_settings_get
from tests.campaigns.conftest import run_jobs
from tests.webhooks.conftest import run_low_jobs, start_receiver

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _call(method: str, url: str, secret: str, body: dict | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode() if body is not None else None,
        method=method,
        headers={
            "X-Api-Key": secret,
            "Content-Type": "application/json",
            "Accept": "application/json",
        },
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, json.loads(response.read())


def test_an_smsmode_client_sends_follows_and_receives_signed_callbacks(live_server, settings, team):
    settings.SMS_GATEWAY = "sandbox"
    settings.SMS_SANDBOX_REPORT_DELAY = 0
    settings.SMS_SUBMIT_PER_SECOND = 0
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    redis = django_rq.get_connection("default")
    redis.flushdb()
    Account.objects.filter(pk=team.account.pk).update(credit_balance=Decimal(50))
    _key, secret = key_create(account=team.account, name="shop backend", scope="send")
    receiver = start_receiver()
    try:
        # The request of smsmode's documentation, field for field.
        status, sent = _call(
            "POST",
            f"{live_server.url}/sms/v1/messages",
            secret,
            {
                "recipient": {"to": "+33612345678"},
                "body": {"text": "Your order #1042 has shipped.", "stop": False},
                "from": "MyShop",
                "refClient": "order-1042",
                "callbackUrlStatus": receiver.url("/smsmode/status"),
                "callbackUrlMo": receiver.url("/smsmode/mo"),
                "sentDate": "2026-12-01T09:00:00Z",
                "channel": {"flow": "TRANSACTIONAL"},
            },
        )
        assert status == 201
        assert sent["status"]["value"] == "SCHEDULED"
        assert (sent["from"], sent["refClient"]) == ("MyShop", "order-1042")

        run_jobs("sms")  # the dispatch: submitted to the sandbox
        run_jobs("sms")  # the sandbox's delivery report
        run_low_jobs()  # the status callbacks
        status, current = _call("GET", f"{live_server.url}{sent['href']}", secret)
        assert status == 200
        assert current["status"]["value"] == "DELIVERED"
        assert current["status"]["deliveryDate"]

        account_secret = webhook_settings_get(account_id=team.account.pk).secret
        events = []
        for request in receiver.received:
            assert request.path == "/smsmode/status"
            timestamp = request.headers["X-Webhook-Timestamp"]
            expected = hmac.new(
                account_secret.encode(), f"{timestamp}.".encode() + request.body, hashlib.sha256
            ).hexdigest()
            assert request.headers["X-Webhook-Signature"] == f"sha256={expected}"
            event = json.loads(request.body)
            assert event["eventId"] == request.headers["X-Webhook-Id"]
            assert event["messageId"] == sent["messageId"]
            assert event["refClient"] == "order-1042"
            events.append(event["status"]["value"])
        assert events == ["ENROUTE", "DELIVERED"]
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()
        redis.flushdb()
