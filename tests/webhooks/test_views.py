"""The webhooks screen: settings form, secret rotation, deliveries, resend, access."""

import json

import pytest

from smsmode.webhooks import views
from smsmode.webhooks.models import WebhookDelivery, WebhookSettings
from smsmode.webhooks.services import message_status_changed
from tests.webhooks.conftest import api_message, low_queue

pytestmark = pytest.mark.django_db
INDEX = "/webhooks/"


def make_delivery(account, url="https://hooks.example.com/sms", **fields) -> WebhookDelivery:
    message = api_message(account, callback_url_status=url)
    message_status_changed([message.pk])
    delivery = WebhookDelivery.objects.get(message=message)
    if fields:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(**fields)
        delivery.refresh_from_db()
    return delivery


# ------------------------------------------------------------------ the page


@pytest.mark.parametrize("client_name", ["owner_client", "admin_client_"])
def test_it_works_for_owners_and_admins(request, team, client_name):
    response = request.getfixturevalue(client_name).get(INDEX)
    assert response.status_code == 200
    content = response.content.decode()
    assert 'name="status_url"' in content and 'name="mo_url"' in content
    row = WebhookSettings.objects.get(account=team.account)  # created on first visit
    assert row.masked_secret in content
    assert row.secret[-4:] in row.masked_secret and row.secret[6:-4] not in row.masked_secret
    assert 'data-testid="empty-state"' in content


def test_it_requires_settings_access(member_client, team):
    assert member_client.get(INDEX).status_code == 403
    response = member_client.post(INDEX, {"status_url": "https://evil.example/x", "mo_url": ""})
    assert response.status_code == 403
    assert not WebhookSettings.objects.filter(account=team.account, status_url__contains="evil")


def test_anonymous_visitors_are_sent_to_the_login(client, db):
    response = client.get(INDEX)
    assert response.status_code == 302 and "/login" in response["Location"]


def test_saving_the_default_urls(owner_client, team):
    data = {
        "status_url": " https://hooks.example.com/status ",
        "mo_url": "http://hooks.example.com/mo",
    }
    response = owner_client.post(INDEX, data)
    assert response.status_code == 302 and response["Location"] == INDEX
    row = WebhookSettings.objects.get(account=team.account)
    assert (row.status_url, row.mo_url) == (
        "https://hooks.example.com/status",
        "http://hooks.example.com/mo",
    )
    assert "Webhook settings saved." in owner_client.get(INDEX).content.decode()
    owner_client.post(INDEX, {"status_url": "", "mo_url": ""})
    row.refresh_from_db()
    assert (row.status_url, row.mo_url) == ("", "")


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("ftp://hooks.example.com/x", "Enter an http:// or https:// URL"),
        ("javascript:alert(1)", "Enter an http:// or https:// URL"),
        ("https://hooks.example.com/" + "a" * 2100, "at most 2048 characters"),
        ("http://10.0.0.1/hook", "private or local network"),
        ("http://169.254.169.254/latest", "private or local network"),
        ("http://localhost:8000/hook", "private or local network"),
        ("http://[::1]/hook", "private or local network"),
    ],
)
def test_the_form_refuses_bad_urls(owner_client, team, settings, value, error):
    settings.DEBUG = False
    settings.WEBHOOK_ALLOWED_HOSTS = []
    response = owner_client.post(INDEX, {"status_url": "", "mo_url": value})
    assert response.status_code == 400
    assert error in response.content.decode()
    assert WebhookSettings.objects.get(account=team.account).mo_url == ""


def test_it_rejects_get_on_rotate(owner_client):
    assert owner_client.get("/webhooks/rotate/").status_code == 405


def test_rotating_the_secret(owner_client, team):
    owner_client.get(INDEX)
    old = WebhookSettings.objects.get(account=team.account).secret
    response = owner_client.post("/webhooks/rotate/")
    assert response.status_code == 302
    row = WebhookSettings.objects.get(account=team.account)
    assert row.secret != old and row.secret.startswith("whsec_") and len(row.secret) > 40
    assert row.secret_rotated_at is not None
    page = owner_client.get(INDEX).content.decode()
    assert "A new signing secret is in use" in page
    assert row.masked_secret in page


def test_a_member_cannot_rotate(member_client, team):
    WebhookSettings.objects.create(account=team.account)
    old = WebhookSettings.objects.get(account=team.account).secret
    assert member_client.post("/webhooks/rotate/").status_code == 403
    assert WebhookSettings.objects.get(account=team.account).secret == old


def test_recent_deliveries_are_listed_newest_first_with_their_result(owner_client, team):
    failed = make_delivery(
        team.account,
        url="https://hooks.example.com/one",
        state="failed",
        attempts=3,
        last_error="http_500",
        last_status_code=500,
    )
    delivered = make_delivery(
        team.account, url="https://hooks.example.com/two", state="delivered", attempts=1
    )
    make_delivery(team.outsider_account, url="https://outsider.example.com/secret")
    content = owner_client.get(INDEX).content.decode()
    assert "outsider.example.com" not in content
    assert content.index(str(delivered.public_id)) < content.index(str(failed.public_id))
    assert "http_500" in content and 'data-state="failed"' in content
    assert str(failed.message.public_id)[:10] in content
    only_failed = owner_client.get(INDEX, {"state": "failed"}).content.decode()
    assert str(failed.public_id) in only_failed and str(delivered.public_id) not in only_failed


def test_the_list_pages_with_a_keyset(owner_client, team, monkeypatch):
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    deliveries = [make_delivery(team.account) for _ in range(3)]
    first = owner_client.get(INDEX)
    assert first.context["page"].has_next
    second = owner_client.get(first.context["next_page_url"])
    assert [d.pk for d in second.context["page"].rows] == [deliveries[0].pk]


def test_a_delivery_page_shows_the_payload_and_the_attempts(owner_client, team):
    delivery = make_delivery(
        team.account,
        attempts=1,
        last_status_code=503,
        last_error="http_503",
        attempt_log=[
            {"at": "2026-01-01T10:00:00Z", "statusCode": 503, "error": "http_503", "ms": 12}
        ],
    )
    response = owner_client.get(f"/webhooks/deliveries/{delivery.public_id}/")
    assert response.status_code == 200
    content = response.content.decode()
    assert str(delivery.event_id) in content
    assert "&quot;eventType&quot;: &quot;message.status&quot;" in content
    assert "12 ms" in content and "http_503" in content


def test_it_checks_account(outsider_client, team, django_capture_on_commit_callbacks):
    delivery = make_delivery(team.account)
    assert outsider_client.get(f"/webhooks/deliveries/{delivery.public_id}/").status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        response = outsider_client.post(f"/webhooks/deliveries/{delivery.public_id}/resend/")
    assert response.status_code == 404
    assert WebhookDelivery.objects.count() == 1


def test_a_member_gets_403_on_a_delivery_of_the_account(member_client, team):
    delivery = make_delivery(team.account)
    assert member_client.get(f"/webhooks/deliveries/{delivery.public_id}/").status_code == 403
    assert (
        member_client.post(f"/webhooks/deliveries/{delivery.public_id}/resend/").status_code == 403
    )
    assert WebhookDelivery.objects.count() == 1


def test_an_unknown_delivery_is_404(owner_client, team):
    url = "/webhooks/deliveries/00000000-0000-0000-0000-000000000000/"
    assert owner_client.get(url).status_code == 404


# ------------------------------------------------------------------ resend


def test_resend_creates_a_new_delivery_of_the_same_event_and_enqueues_it(
    owner_client, team, django_capture_on_commit_callbacks
):
    original = make_delivery(team.account, state="failed", attempts=30, last_error="timeout")
    assert owner_client.get(f"/webhooks/deliveries/{original.public_id}/resend/").status_code == 405
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(f"/webhooks/deliveries/{original.public_id}/resend/")
    assert response.status_code == 302 and response["Location"] == INDEX
    resend = WebhookDelivery.objects.exclude(pk=original.pk).get()
    assert resend.event_id == original.event_id and resend.payload == original.payload
    assert json.loads(resend.payload)["eventId"] == str(original.event_id)
    assert (resend.state, resend.attempts, resend.is_resend) == ("pending", 0, True)
    assert resend.url == original.url and resend.message_id == original.message_id
    assert resend.public_id != original.public_id
    original.refresh_from_db()
    assert original.state == "failed"  # the original is left as it was
    assert [job.args for job in low_queue().get_jobs()] == [(resend.pk,)]
    # A resend of the resend is the same event again.
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(f"/webhooks/deliveries/{resend.public_id}/resend/")
    assert set(WebhookDelivery.objects.values_list("event_id", flat=True)) == {original.event_id}
    assert "resend" in owner_client.get(INDEX).content.decode()


def test_a_resend_goes_to_the_fixed_default_url(owner_client, team):
    WebhookSettings.objects.create(account=team.account, status_url="https://old.example.com/h")
    message = api_message(team.account)
    message_status_changed([message.pk])
    original = WebhookDelivery.objects.get()
    assert original.url_source == "settings"
    owner_client.post(INDEX, {"status_url": "https://new.example.com/h", "mo_url": ""})
    owner_client.post(f"/webhooks/deliveries/{original.public_id}/resend/")
    resend = WebhookDelivery.objects.get(is_resend=True)
    assert resend.url == "https://new.example.com/h"
