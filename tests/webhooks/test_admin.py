"""Webhook deliveries in Django admin: read-only, with a Resend action."""

import pytest
from django.test import Client

from smsmode.accounts.models import User
from smsmode.webhooks.models import WebhookDelivery, WebhookSettings
from smsmode.webhooks.services import message_status_changed
from tests.webhooks.conftest import api_message, low_queue

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(db) -> Client:
    staff = User.objects.create_superuser(email="staff@platform.test", password="x")
    client = Client()
    client.force_login(staff)
    return client


def test_the_admin_pages_load_and_hide_the_secret(staff_client, team):
    WebhookSettings.objects.create(account=team.account, status_url="https://h.example.com/")
    message_status_changed(
        [api_message(team.account, callback_url_status="https://h.example.com/").pk]
    )
    delivery = WebhookDelivery.objects.get()
    assert staff_client.get("/admin/webhooks/webhookdelivery/").status_code == 200
    found = staff_client.get("/admin/webhooks/webhookdelivery/", {"q": str(delivery.event_id)})
    assert str(delivery.event_id) in found.content.decode()
    page = staff_client.get(f"/admin/webhooks/webhookdelivery/{delivery.pk}/change/")
    assert page.status_code == 200
    row = WebhookSettings.objects.get()
    assert staff_client.get("/admin/webhooks/webhooksettings/").status_code == 200
    detail = staff_client.get(f"/admin/webhooks/webhooksettings/{row.pk}/change/")
    assert row.secret not in detail.content.decode()


def test_the_resend_action_records_a_new_delivery_of_the_same_event(
    staff_client, team, django_capture_on_commit_callbacks
):
    message_status_changed(
        [api_message(team.account, callback_url_status="https://h.example.com/").pk]
    )
    original = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(pk=original.pk).update(state="failed")
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            "/admin/webhooks/webhookdelivery/",
            {"action": "resend", "_selected_action": [original.pk]},
        )
    assert response.status_code == 302
    resend = WebhookDelivery.objects.get(is_resend=True)
    assert (resend.event_id, resend.payload) == (original.event_id, original.payload)
    assert [job.args for job in low_queue().get_jobs()] == [(resend.pk,)]
