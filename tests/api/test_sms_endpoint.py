"""The smsmode-compatible SMS endpoint: /sms/v1/messages."""

import datetime
import json
from decimal import Decimal
from zoneinfo import ZoneInfo

import django_rq
import pytest
import time_machine
from django.test import Client

from campaigns.models import Message
from contacts.models import OptOut
from smsmode.accounts.models import Account
from smsmode.api.keys import key_create, key_revoke
from smsmode.billing.models import CreditLedgerEntry, LedgerKind
from smsmode.billing.services import credits_add
from tests.campaigns.conftest import run_jobs

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")
TUESDAY_10 = datetime.datetime(2026, 12, 1, 10, 0, tzinfo=PARIS)
SUNDAY_10 = datetime.datetime(2026, 12, 6, 10, 0, tzinfo=PARIS)
URL = "/sms/v1/messages"


@pytest.fixture(autouse=True)
def _setup(settings):
    settings.SMS_GATEWAY = "sandbox"
    settings.SMS_SANDBOX_REPORT_DELAY = 0
    settings.SMS_SUBMIT_PER_SECOND = 0
    redis = django_rq.get_connection("default")
    redis.flushdb()
    with time_machine.travel(TUESDAY_10, tick=True):
        yield
    redis.flushdb()


@pytest.fixture
def account(team) -> Account:
    Account.objects.filter(pk=team.account.pk).update(
        default_sender_id="ACME", credit_balance=Decimal(100)
    )
    team.account.refresh_from_db()
    return team.account


@pytest.fixture
def secret(account, team) -> str:
    return key_create(account=account, name="shop", scope="send", by=team.owner)[1]


def post(secret: str, body: dict, **headers) -> object:
    return Client().post(
        URL,
        data=json.dumps(body),
        content_type="application/json",
        HTTP_X_API_KEY=secret,
        **headers,
    )


def get(secret: str, path: str = URL, **params) -> object:
    return Client().get(path, params, HTTP_X_API_KEY=secret)


MINIMAL = {"recipient": {"to": "+33612345678"}, "body": {"text": "Your code is 1234"}}


# ------------------------------------------------------------------------ sending


def test_a_minimal_send_answers_smsmodes_shape(account, secret):
    response = post(secret, MINIMAL)
    assert response.status_code == 201, response.content
    data = response.json()
    assert set(data) == {
        "messageId",
        "acceptedAt",
        "sentDate",
        "channel",
        "type",
        "direction",
        "recipient",
        "from",
        "body",
        "price",
        "status",
        "refClient",
        "href",
    }
    assert data["type"] == "SMS" and data["direction"] == "MT"
    assert data["channel"] == {"flow": "TRANSACTIONAL"}
    assert data["recipient"] == {"to": "+33612345678"}
    assert data["from"] == "ACME"
    assert data["body"] == {
        "text": "Your code is 1234",
        "stop": False,
        "encoding": "GSM7",
        "messagePartCount": 1,
        "length": 17,
    }
    assert data["price"] == {"amount": 1.0, "currency": "CREDITS"}
    assert data["status"] == {"value": "SCHEDULED", "detail": None, "deliveryDate": None}
    assert data["href"] == f"{URL}/{data['messageId']}"
    assert data["acceptedAt"].endswith("Z")
    message = Message.objects.get(public_id=data["messageId"])
    assert (message.campaign_id, message.api_flow, message.kind) == (
        None,
        "TRANSACTIONAL",
        "notification",
    )
    account.refresh_from_db()
    assert account.credit_balance == Decimal(99)


def test_every_field_of_the_request_is_kept(account, secret):
    body = {
        **MINIMAL,
        "from": "MyShop",
        "refClient": "order-42",
        "callbackUrlStatus": "https://hooks.example/status",
        "callbackUrlMo": "https://hooks.example/mo",
        "channel": {"flow": "OTP"},
    }
    data = post(secret, body).json()
    assert (data["from"], data["refClient"], data["channel"]["flow"]) == (
        "MyShop",
        "order-42",
        "OTP",
    )
    message = Message.objects.get(public_id=data["messageId"])
    assert message.callback_url_status == "https://hooks.example/status"
    assert message.callback_url_mo == "https://hooks.example/mo"


def test_unicode_text_is_counted_as_unicode(account, secret):
    data = post(secret, {**MINIMAL, "body": {"text": "Bonne journée 🌞"}}).json()
    assert data["body"]["encoding"] == "UNICODE"
    assert data["body"]["length"] == 16  # UTF-16 units: the emoji takes two


def test_a_marketing_sms_gets_the_stop_mention_and_honours_opt_outs(account, secret):
    body = {**MINIMAL, "body": {"text": "-20% today"}, "channel": {"flow": "MARKETING"}}
    data = post(secret, body).json()
    assert data["body"]["text"] == "-20% today\nSTOP 36180"
    assert data["body"]["stop"] is True
    OptOut.objects.create(account=account, phone="+33612345678", source="stop")
    response = post(secret, body)
    assert response.status_code == 422
    assert response.json()["code"] == "RECIPIENT_OPTED_OUT"
    assert response.json()["errors"] == [
        {"field": "recipient.to", "reason": response.json()["message"]}
    ]
    # A transactional SMS to that number still goes (an order confirmation).
    assert post(secret, MINIMAL).status_code == 201


def test_a_marketing_sms_on_sunday_waits_for_monday_8am(account, secret):
    with time_machine.travel(SUNDAY_10, tick=False):
        data = post(secret, {**MINIMAL, "channel": {"flow": "MARKETING"}}).json()
        assert data["status"] == {
            "value": "SCHEDULED",
            "detail": "HELD_FOR_SENDING_WINDOW",
            "deliveryDate": None,
        }
        assert data["sentDate"] == "2026-12-07T07:00:00Z"  # 8:00 in Paris
        run_jobs("sms")
        assert Message.objects.get(public_id=data["messageId"]).status == "held"


def test_stop_true_adds_the_mention_to_a_transactional_sms(account, secret):
    data = post(secret, {**MINIMAL, "body": {"text": "Hello", "stop": True}}).json()
    assert data["body"]["text"] == "Hello\nSTOP 36180" and data["body"]["stop"] is True


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"recipient": {"to": "+33612345678"}}, "body"),
        ({"body": {"text": "x"}}, "recipient"),
        ({**MINIMAL, "recipient": {"to": "12"}}, "recipient.to"),
        ({**MINIMAL, "recipient": {"to": "not a number"}}, "recipient.to"),
        ({**MINIMAL, "body": {"text": ""}}, "body.text"),
        ({**MINIMAL, "body": {"text": "   "}}, "body.text"),
        ({**MINIMAL, "body": {"text": "x" * 1600}}, "body.text"),
        ({**MINIMAL, "from": "a" * 16}, "from"),
        ({**MINIMAL, "from": "bad!sender"}, "from"),
        ({**MINIMAL, "callbackUrlStatus": "javascript:alert(1)"}, "callbackUrlStatus"),
        ({**MINIMAL, "sentDate": "tomorrow"}, "sentDate"),
        ({**MINIMAL, "sentDate": "2031-01-01T00:00:00Z"}, "sentDate"),
        ({**MINIMAL, "channel": {"flow": "SPAM"}}, "channel.flow"),
    ],
)
def test_bad_requests_name_the_field_and_charge_nothing(account, secret, body, field):
    response = post(secret, body)
    assert response.status_code == 422, response.content
    data = response.json()
    assert data["code"] == "INVALID_FIELD"
    assert field in [error["field"] for error in data["errors"]], data
    assert not Message.objects.exists()
    account.refresh_from_db()
    assert account.credit_balance == Decimal(100)


def test_malformed_json_is_a_client_error(account, secret):
    response = Client().post(
        URL, data="{not json", content_type="application/json", HTTP_X_API_KEY=secret
    )
    assert 400 <= response.status_code < 500
    assert response.json()["code"]


def test_without_enough_credits_402_insufficient_credit(account, secret):
    Account.objects.filter(pk=account.pk).update(credit_balance=Decimal("0.50"))
    response = post(secret, MINIMAL)
    assert response.status_code == 402
    assert response.json()["code"] == "INSUFFICIENT_CREDIT"
    assert response.json()["status"]["detail"] == "INSUFFICIENT_CREDIT"
    assert not Message.objects.exists()


def test_a_suspended_account_sends_nothing(account, secret):
    Account.objects.filter(pk=account.pk).update(is_suspended=True)
    response = post(secret, MINIMAL)
    assert response.status_code == 403 and response.json()["code"] == "ACCOUNT_SUSPENDED"


# ------------------------------------------------------------------ authentication


def test_keys_are_checked(account, team):
    key, secret = key_create(account=account, name="old")
    assert Client().post(URL, data=MINIMAL, content_type="application/json").status_code == 401
    assert post("smk_" + "x" * 43, MINIMAL).status_code == 401
    response = Client().post(
        URL,
        data=json.dumps(MINIMAL),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert response.status_code == 201
    key_revoke(key=key)
    response = post(secret, MINIMAL)
    assert response.status_code == 401 and response.json()["code"] == "UNAUTHORIZED"


def test_a_read_key_cannot_send(account):
    _key, secret = key_create(account=account, name="dashboard", scope="read")
    response = post(secret, MINIMAL)
    assert response.status_code == 403 and response.json()["code"] == "INSUFFICIENT_SCOPE"
    assert get(secret).status_code == 200


def test_last_use_is_recorded(account):
    key, secret = key_create(account=account, name="k")
    assert key.last_used_at is None
    get(secret)
    key.refresh_from_db()
    assert key.last_used_at is not None


# ------------------------------------------------------------- reading, cancelling


def test_a_message_is_followed_to_delivered(account, secret, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message_id = post(secret, MINIMAL).json()["messageId"]
    run_jobs("sms")  # the dispatch
    assert get(secret, f"{URL}/{message_id}").json()["status"]["value"] in ("ENROUTE", "DELIVERED")
    run_jobs("sms")  # the sandbox's delivery report
    status = get(secret, f"{URL}/{message_id}").json()["status"]
    assert status["value"] == "DELIVERED" and status["deliveryDate"].endswith("Z")


def test_another_accounts_message_is_404(account, secret, team):
    message_id = post(secret, MINIMAL).json()["messageId"]
    credits_add(account_id=team.outsider_account.pk, amount=Decimal(10), kind=LedgerKind.ADJUSTMENT)
    _key, other = key_create(account=team.outsider_account, name="other")
    assert get(other, f"{URL}/{message_id}").status_code == 404
    assert Client().delete(f"{URL}/{message_id}", HTTP_X_API_KEY=other).status_code == 404
    assert get(other).json()["items"] == []
    assert get(secret, f"{URL}/not-a-uuid").status_code == 404


def test_the_list_filters_and_pages(account, secret):
    ids = [
        post(secret, {**MINIMAL, "refClient": f"r{i % 2}"}).json()["messageId"] for i in range(5)
    ]
    page = get(secret, limit=2).json()
    seen = [item["messageId"] for item in page["items"]]
    while page["nextCursor"]:
        page = get(secret, limit=2, cursor=page["nextCursor"]).json()
        seen += [item["messageId"] for item in page["items"]]
    assert seen == ids[::-1]
    assert len(get(secret, refClient="r0").json()["items"]) == 3
    assert len(get(secret, status="SCHEDULED").json()["items"]) == 5
    assert get(secret, status="DELIVERED").json()["items"] == []
    assert get(secret, cursor="garbage").status_code == 422
    assert get(secret, limit=500).status_code == 422


def test_the_list_costs_a_fixed_number_of_queries(account, secret, django_assert_max_num_queries):
    for _ in range(30):
        post(secret, MINIMAL)
    with django_assert_max_num_queries(6):
        assert len(get(secret, limit=30).json()["items"]) == 30


def test_a_scheduled_message_is_cancelled_and_refunded(account, secret):
    later = (TUESDAY_10 + datetime.timedelta(days=1)).isoformat()
    message_id = post(secret, {**MINIMAL, "sentDate": later}).json()["messageId"]
    run_jobs("sms")
    assert Message.objects.get(public_id=message_id).status == "queued"  # not yet due
    response = Client().delete(f"{URL}/{message_id}", HTTP_X_API_KEY=secret)
    assert response.status_code == 200
    assert response.json()["status"]["value"] == "CANCELLED"
    account.refresh_from_db()
    assert account.credit_balance == Decimal(100)
    assert CreditLedgerEntry.objects.filter(account=account, kind=LedgerKind.REFUND).count() == 1
    again = Client().delete(f"{URL}/{message_id}", HTTP_X_API_KEY=secret)
    assert again.status_code == 409 and again.json()["code"] == "NOT_CANCELLABLE"


def test_a_scheduled_message_leaves_at_its_time(account, secret):
    later = TUESDAY_10 + datetime.timedelta(hours=2)
    message_id = post(secret, {**MINIMAL, "sentDate": later.isoformat()}).json()["messageId"]
    assert get(secret, f"{URL}/{message_id}").json()["sentDate"] == "2026-12-01T11:00:00Z"
    with time_machine.travel(later + datetime.timedelta(minutes=1), tick=False):
        from campaigns.dispatch import api_messages_due

        assert api_messages_due() == 1
        run_jobs("sms")
    assert Message.objects.get(public_id=message_id).status in ("submitted", "delivered")


# ---------------------------------------------------------- rate limit, idempotency


def test_the_rate_limit_answers_429_with_retry_after(account, secret):
    Account.objects.filter(pk=account.pk).update(api_rate_limit=3)
    with time_machine.travel(TUESDAY_10 + datetime.timedelta(hours=1), tick=False):
        answers = [get(secret) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[0]["X-RateLimit-Limit"] == "3"
    assert answers[0]["X-RateLimit-Remaining"] == "2"
    assert answers[3].json()["code"] == "RATE_LIMITED"
    assert int(answers[3]["Retry-After"]) >= 1


def test_the_same_idempotency_key_sends_once(account, secret):
    first = post(secret, MINIMAL, HTTP_IDEMPOTENCY_KEY="order-42-sms")
    again = post(secret, MINIMAL, HTTP_IDEMPOTENCY_KEY="order-42-sms")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Message.objects.count() == 1
    other = post(
        secret, {**MINIMAL, "body": {"text": "another"}}, HTTP_IDEMPOTENCY_KEY="order-42-sms"
    )
    assert other.status_code == 422 and other.json()["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert post(secret, MINIMAL, HTTP_IDEMPOTENCY_KEY="order-43-sms").status_code == 201
    assert Message.objects.count() == 2


def test_a_refused_request_is_replayed_too_and_keys_are_per_credential(account, secret):
    Account.objects.filter(pk=account.pk).update(credit_balance=0)
    assert post(secret, MINIMAL, HTTP_IDEMPOTENCY_KEY="k").status_code == 402
    credits_add(account_id=account.pk, amount=Decimal(10), kind=LedgerKind.ADJUSTMENT)
    assert post(secret, MINIMAL, HTTP_IDEMPOTENCY_KEY="k").status_code == 402  # the first answer
    _key, other = key_create(account=account, name="other")
    assert post(other, MINIMAL, HTTP_IDEMPOTENCY_KEY="k").status_code == 201


# ------------------------------------------------------------- shortened links


def test_links_are_shortened_when_the_account_asks_for_it(account, secret, settings):
    settings.SHORT_LINK_DOMAIN = "sms.fr"
    body = {**MINIMAL, "body": {"text": "Track it: https://shop.example/track?o=42"}}
    assert "https://shop.example" in post(secret, body).json()["body"]["text"]  # off: as written
    Account.objects.filter(pk=account.pk).update(api_shorten_links=True)
    data = post(secret, body).json()
    text = data["body"]["text"]
    assert text.startswith("Track it: sms.fr/") and len(text) == len("Track it: ") + 12
    from shortener.models import ShortLink

    link = ShortLink.objects.get(message__public_id=data["messageId"])
    assert link.target_url == "https://shop.example/track?o=42"
    assert text.endswith(link.code) and link.campaign_id is None
    # Start accounts' links are never shortened.
    from smsmode.billing.models import Plan

    Account.objects.filter(pk=account.pk).update(plan=Plan.objects.get(code="start"))
    assert "https://shop.example" in post(secret, body).json()["body"]["text"]


def test_the_api_answers_in_english_and_in_json_whatever_the_request(account, secret):
    response = Client().post(
        URL,
        data=json.dumps({**MINIMAL, "recipient": {"to": "12"}}),
        content_type="application/json",
        HTTP_X_API_KEY=secret,
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert response.status_code == 422
    assert "numéro" not in response.json()["message"].lower()
    wrong = Client().put(URL, data="{}", content_type="application/json", HTTP_X_API_KEY=secret)
    assert wrong.status_code == 405
    assert wrong.json()["code"] == "METHOD_NOT_ALLOWED"
    far = get(secret, since="0001-01-01T00:00:00+01:00")
    assert far.status_code == 422 and far.json()["errors"][0]["field"] == "since"


def test_a_campaign_message_is_not_the_sms_endpoints(account, secret, team):
    from campaigns.models import Campaign

    campaign = Campaign.objects.create(account=account, name="c", body="x")
    message = Message.objects.create(
        account=account,
        campaign=campaign,
        kind="notification",
        phone="+33612345678",
        sender="ACME",
        body="x",
        encoding="GSM7",
        segments=1,
        cost=1,
        status="queued",
    )
    assert get(secret, f"{URL}/{message.public_id}").status_code == 404
    assert Client().delete(f"{URL}/{message.public_id}", HTTP_X_API_KEY=secret).status_code == 404
    message.refresh_from_db()
    assert message.status == "queued"


def test_odd_dates_and_urls_are_client_errors(account, secret):
    far = post(secret, {**MINIMAL, "sentDate": "2027-01-01T00:00:00+23:00"})
    assert far.status_code == 201  # read in UTC
    assert Message.objects.get(public_id=far.json()["messageId"]).not_before.utcoffset() is not None
    bad = post(secret, {**MINIMAL, "callbackUrlStatus": "http://[::1"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "callbackUrlStatus"


def test_an_idempotency_key_names_one_request_path_included(account):
    from campaigns.models import Campaign

    _key, manage = key_create(account=account, name="m", scope="manage")
    one = Campaign.objects.create(account=account, name="one", body="x")
    two = Campaign.objects.create(account=account, name="two", body="x")

    def duplicate(campaign):
        return Client().post(
            f"/api/v1/campaigns/{campaign.public_id}/duplicate",
            data="{}",
            content_type="application/json",
            HTTP_X_API_KEY=manage,
            HTTP_IDEMPOTENCY_KEY="dup",
        )

    assert duplicate(one).status_code == 201
    again = duplicate(two)  # same key and body, another path: refused, not replayed
    assert again.status_code == 422 and again.json()["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert Campaign.objects.filter(name__startswith="two").count() == 1
