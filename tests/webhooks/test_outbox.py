"""message_status_changed and reply_received: the outbox rows and what they hold."""

import json

import pytest
from django.db import transaction
from django.utils import timezone

from campaigns.models import Campaign, Message, Reply
from smsmode.webhooks.models import WebhookDelivery, WebhookSettings
from smsmode.webhooks.services import message_status_changed, reply_received
from tests.webhooks.conftest import api_message, low_queue

pytestmark = pytest.mark.django_db
HOOK = "https://hooks.example.com/sms"


class Boom(Exception):
    pass


def test_a_status_event_is_recorded_with_the_message_in_the_api_shape(team):
    message = api_message(team.account, callback_url_status=HOOK)
    assert message_status_changed([message.pk]) == 1
    delivery = WebhookDelivery.objects.get()
    assert (delivery.kind, delivery.url, delivery.state) == ("status", HOOK, "pending")
    assert delivery.url_source == "message" and delivery.message_id == message.pk
    assert delivery.account_id == team.account.pk and delivery.next_attempt_at is not None
    payload = json.loads(delivery.payload)
    assert payload["eventId"] == str(delivery.event_id)
    assert payload["eventType"] == "message.status"
    assert payload["occurredAt"].endswith("Z")
    assert payload["messageId"] == str(message.public_id)
    assert payload["status"]["value"] == "DELIVERED"
    assert payload["refClient"] == "order-42"
    assert payload["recipient"] == {"to": "+33612345678"}


def test_the_accounts_default_status_url_is_used_when_the_message_has_none(team):
    WebhookSettings.objects.create(account=team.account, status_url=HOOK + "/default")
    message = api_message(team.account)
    assert message_status_changed([message.pk]) == 1
    delivery = WebhookDelivery.objects.get()
    assert delivery.url == HOOK + "/default" and delivery.url_source == "settings"


def test_the_messages_own_url_wins_over_the_default(team):
    WebhookSettings.objects.create(account=team.account, status_url=HOOK + "/default")
    message = api_message(team.account, callback_url_status=HOOK + "/own")
    message_status_changed([message.pk])
    assert WebhookDelivery.objects.get().url == HOOK + "/own"


def test_campaign_messages_and_messages_without_any_url_are_ignored(team):
    campaign = Campaign.objects.create(account=team.account, name="Sale", body="Hi")
    of_campaign = api_message(team.account, campaign=campaign, callback_url_status=HOOK)
    test_send = api_message(team.account, api_flow="", callback_url_status=HOOK)
    no_url = api_message(team.account)
    ids = [of_campaign.pk, test_send.pk, no_url.pk]
    assert message_status_changed(ids) == 0
    assert message_status_changed([]) == 0
    assert not WebhookDelivery.objects.exists()


def test_another_accounts_default_is_never_used(team):
    WebhookSettings.objects.create(account=team.outsider_account, status_url=HOOK)
    message = api_message(team.account)
    assert message_status_changed([message.pk]) == 0


def test_many_messages_cost_one_query_to_load_and_one_to_insert(
    team, django_assert_max_num_queries
):
    WebhookSettings.objects.create(account=team.account, status_url=HOOK)
    ids = [api_message(team.account, phone=f"+3361234560{i}").pk for i in range(10)]
    with django_assert_max_num_queries(2):
        assert message_status_changed(ids + ids[:3]) == 10  # duplicates counted once
    assert WebhookDelivery.objects.count() == 10


def test_the_row_commits_with_the_callers_transaction_and_is_enqueued_on_commit(
    team, django_capture_on_commit_callbacks
):
    message = api_message(team.account, callback_url_status=HOOK)
    # The capture stands for the caller's commit (it runs the on_commit callbacks).
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        message_status_changed([message.pk])
        assert WebhookDelivery.objects.count() == 1
        assert low_queue().count == 0  # nothing leaves before the commit
    assert len(callbacks) == 1
    [job] = low_queue().get_jobs()
    assert job.func_name == "smsmode.webhooks.jobs.webhook_deliver_job"
    assert job.args == (WebhookDelivery.objects.get().pk,)


def test_nothing_is_recorded_or_sent_when_the_caller_rolls_back(
    team, django_capture_on_commit_callbacks
):
    message = api_message(team.account, callback_url_status=HOOK)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(Boom),
        transaction.atomic(),
    ):
        Message.objects.filter(pk=message.pk).update(status=Message.Status.UNDELIVERED)
        assert message_status_changed([message.pk]) == 1
        raise Boom
    assert callbacks == []
    assert not WebhookDelivery.objects.exists()
    assert low_queue().count == 0


def test_a_redis_outage_at_commit_does_not_break_the_caller(
    team, django_capture_on_commit_callbacks, monkeypatch
):
    import django_rq

    def down(*args, **kwargs):
        raise ConnectionError("redis down")

    monkeypatch.setattr(django_rq.queues.DjangoRQ, "enqueue_many", down)
    message = api_message(team.account, callback_url_status=HOOK)
    with django_capture_on_commit_callbacks(execute=True):
        message_status_changed([message.pk])
    # The row is kept: the safety net (webhooks_retry_due) enqueues it later.
    assert WebhookDelivery.objects.get().state == "pending"


# ------------------------------------------------------------------ replies


def make_reply(account, phone="+33612345678", text="Yes please") -> Reply:
    return Reply.objects.create(account=account, phone=phone, text=text, received_at=timezone.now())


def test_a_reply_goes_to_the_mo_url_of_the_latest_api_message_that_has_one(team):
    older = api_message(team.account, callback_url_mo=HOOK + "/mo-old")
    with_url = api_message(team.account, callback_url_mo=HOOK + "/mo")
    newest = api_message(team.account)  # no MO URL of its own
    campaign = Campaign.objects.create(account=team.account, name="Sale", body="Hi")
    api_message(team.account, campaign=campaign, callback_url_mo=HOOK + "/campaign")
    reply = make_reply(team.account)
    assert reply_received(reply.pk) == 1
    delivery = WebhookDelivery.objects.get()
    assert (delivery.kind, delivery.url, delivery.url_source) == ("mo", HOOK + "/mo", "message")
    payload = json.loads(delivery.payload)
    assert payload["eventType"] == "message.inbound"
    assert payload["eventId"] == str(delivery.event_id)
    assert payload["from"] == "+33612345678" and payload["text"] == "Yes please"
    assert payload["receivedAt"].endswith("Z")
    assert payload["inReplyTo"] == str(newest.public_id)
    assert delivery.message_id == newest.pk
    assert older.pk != with_url.pk


def test_a_reply_falls_back_to_the_accounts_mo_url(team):
    WebhookSettings.objects.create(account=team.account, mo_url=HOOK + "/default-mo")
    reply = make_reply(team.account, phone="+33699999999")
    assert reply_received(reply.pk) == 1
    delivery = WebhookDelivery.objects.get()
    assert delivery.url == HOOK + "/default-mo" and delivery.url_source == "settings"
    assert json.loads(delivery.payload)["inReplyTo"] is None


def test_a_reply_without_any_mo_url_records_nothing(team):
    api_message(team.account, callback_url_status=HOOK)  # a status URL is not an MO URL
    WebhookSettings.objects.create(account=team.outsider_account, mo_url=HOOK)
    assert reply_received(make_reply(team.account).pk) == 0
    assert reply_received(987654) == 0
    assert not WebhookDelivery.objects.exists()


def test_a_reply_event_rolls_back_with_the_reply(team, django_capture_on_commit_callbacks):
    WebhookSettings.objects.create(account=team.account, mo_url=HOOK)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(Boom),
        transaction.atomic(),
    ):
        reply_received(make_reply(team.account).pk)
        raise Boom
    assert callbacks == [] and not WebhookDelivery.objects.exists()
