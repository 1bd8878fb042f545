"""delivery_attempt against a real HTTP receiver: headers, signature, retries,
the 24-hour limit, the claim, the safety net."""

import datetime
import hashlib
import hmac
import json
import socket
import time

import pytest
import time_machine
from django.utils import timezone

from smsmode.webhooks import services, transport
from smsmode.webhooks.jobs import webhooks_retry_due
from smsmode.webhooks.models import WebhookDelivery, WebhookSettings
from smsmode.webhooks.services import delivery_attempt, message_status_changed
from tests.webhooks.conftest import api_message, low_queue, run_low_jobs, scheduled

pytestmark = pytest.mark.django_db


def status_delivery(team, url: str) -> WebhookDelivery:
    message = api_message(team.account, callback_url_status=url)
    assert message_status_changed([message.pk]) == 1
    return WebhookDelivery.objects.get(message=message)


def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """A receiver's check, written as docs/webhooks.md tells it (not our code)."""
    timestamp = headers["X-Webhook-Timestamp"]
    expected = hmac.new(
        secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest("sha256=" + expected, headers["X-Webhook-Signature"])


def test_a_status_event_reaches_a_real_receiver_with_signed_headers(
    team, receiver, allow_local, django_capture_on_commit_callbacks
):
    message = api_message(team.account, callback_url_status=receiver.url("/hooks/sms?k=1"))
    with django_capture_on_commit_callbacks(execute=True):
        message_status_changed([message.pk])
    run_low_jobs()  # the job enqueued on commit, in a real RQ worker
    [request] = receiver.received
    delivery = WebhookDelivery.objects.get()
    assert request.path == "/hooks/sms?k=1"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-Webhook-Id"] == str(delivery.event_id)
    assert request.headers["Host"] == f"127.0.0.1:{receiver.port}"
    assert abs(int(request.headers["X-Webhook-Timestamp"]) - time.time()) < 5
    secret = WebhookSettings.objects.get(account=team.account).secret
    assert secret.startswith("whsec_")
    assert verify(secret, request.headers, request.body)
    assert services.signature_valid(
        secret,
        request.headers["X-Webhook-Timestamp"],
        request.body,
        request.headers["X-Webhook-Signature"],
    )
    assert request.body == delivery.payload.encode()
    body = json.loads(request.body)
    assert body["eventType"] == "message.status"
    assert body["messageId"] == str(message.public_id)
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 200)
    assert delivery.delivered_at is not None and delivery.next_attempt_at is None
    assert delivery.attempt_log[0]["statusCode"] == 200


def test_a_tampered_body_or_another_secret_fails_the_check(team, receiver, allow_local):
    delivery = status_delivery(team, receiver.url())
    delivery_attempt(delivery.pk)
    [request] = receiver.received
    secret = WebhookSettings.objects.get(account=team.account).secret
    assert not verify(secret, request.headers, request.body + b" ")
    assert not verify("whsec_other", request.headers, request.body)
    stale = str(int(time.time()) - 3600)
    assert not services.signature_valid(
        secret, stale, request.body, services.sign(secret, stale, request.body)
    )


def test_a_500_is_retried_with_backoff_and_delivered_later(team, receiver, allow_local):
    receiver.plan = [(500, 0), (503, 0)]
    delivery = status_delivery(team, receiver.url())
    before = timezone.now()
    assert delivery_attempt(delivery.pk) == "pending"
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.last_status_code, delivery.last_error) == (
        1,
        500,
        "http_500",
    )
    wait = (delivery.next_attempt_at - before).total_seconds()
    assert 24 <= wait <= 31  # about 30 s, minus up to 20 % of jitter
    [when] = scheduled(delivery.pk)  # the retry is an RQ scheduled job
    assert abs((when - delivery.next_attempt_at).total_seconds()) < 1
    # Not due yet: a job running now (a duplicate, the safety net) does nothing.
    assert delivery_attempt(delivery.pk) == "skipped"
    assert len(receiver.received) == 1

    with time_machine.travel(delivery.next_attempt_at + datetime.timedelta(seconds=1)):
        assert delivery_attempt(delivery.pk) == "pending"
        delivery.refresh_from_db()
        second_wait = (delivery.next_attempt_at - timezone.now()).total_seconds()
        assert 47 <= second_wait <= 61  # about 1 min
        assert delivery.last_error == "http_503"
    with time_machine.travel(delivery.next_attempt_at + datetime.timedelta(seconds=1)):
        assert delivery_attempt(delivery.pk) == "delivered"
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.last_status_code) == ("delivered", 3, 200)
    assert delivery.last_error == ""
    assert [a["statusCode"] for a in delivery.attempt_log] == [500, 503, 200]
    ids = {r.headers["X-Webhook-Id"] for r in receiver.received}
    assert ids == {str(delivery.event_id)}  # the same id on every retry


def test_a_timeout_is_retried(team, receiver, allow_local, settings):
    settings.WEBHOOK_TIMEOUT = 0.3
    receiver.plan = [(200, 1.5)]  # answers too late
    delivery = status_delivery(team, receiver.url())
    assert delivery_attempt(delivery.pk) == "pending"
    delivery.refresh_from_db()
    assert (delivery.last_error, delivery.last_status_code) == ("timeout", None)
    assert scheduled(delivery.pk)
    with time_machine.travel(delivery.next_attempt_at + datetime.timedelta(seconds=1)):
        assert delivery_attempt(delivery.pk) == "delivered"


def test_a_refused_connection_is_retried(team, allow_local):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    delivery = status_delivery(team, f"http://127.0.0.1:{port}/hook")
    assert delivery_attempt(delivery.pk) == "pending"
    delivery.refresh_from_db()
    assert delivery.last_error == "connection_error"


def test_a_redirect_is_not_followed_and_counts_as_a_failure(team, receiver, allow_local):
    receiver.plan = [(302, 0)]
    delivery = status_delivery(team, receiver.url())
    assert delivery_attempt(delivery.pk) == "pending"
    delivery.refresh_from_db()
    assert (delivery.last_status_code, delivery.last_error) == (302, "http_302")
    assert len(receiver.received) == 1


def test_the_retry_delays_double_from_30_s_up_to_an_hour():
    for attempt, base in [(1, 30), (2, 60), (3, 120), (4, 240), (7, 1920), (8, 3600), (40, 3600)]:
        delays = [services.retry_delay(attempt) for _ in range(50)]
        assert all(base * 0.8 <= d <= base for d in delays), attempt
        assert len(set(delays)) > 1  # jitter


def test_a_delivery_fails_after_24_hours_of_failures(team, receiver, allow_local):
    receiver.plan = [(500, 0)] * 3
    delivery = status_delivery(team, receiver.url())
    assert delivery_attempt(delivery.pk) == "pending"
    delivery.refresh_from_db()
    # 23 hours later it is still retried…
    with time_machine.travel(delivery.created_at + datetime.timedelta(hours=23)):
        WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
        assert delivery_attempt(delivery.pk) == "pending"
    # …but a retry that would come after the 24 hours is not scheduled.
    late = delivery.created_at + datetime.timedelta(hours=23, minutes=59, seconds=50)
    with time_machine.travel(late):
        WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
        assert delivery_attempt(delivery.pk) == "failed"
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.next_attempt_at) == ("failed", 3, None)
    assert delivery.last_error == "http_500"
    assert delivery_attempt(delivery.pk) == "skipped"  # failed is final
    assert len(receiver.received) == 3


def test_two_attempts_at_the_same_moment_send_once(team, receiver, allow_local, monkeypatch):
    delivery = status_delivery(team, receiver.url())
    real_post = transport.post
    inner = []

    def post_while_another_worker_tries(url, **kwargs):
        # A second worker runs the same delivery while the first one is sending.
        inner.append(delivery_attempt(delivery.pk))
        return real_post(url, **kwargs)

    monkeypatch.setattr(transport, "post", post_while_another_worker_tries)
    assert delivery_attempt(delivery.pk) == "delivered"
    assert inner == ["skipped"]
    assert len(receiver.received) == 1
    assert delivery_attempt(delivery.pk) == "skipped"  # delivered is final


def test_a_worker_that_died_mid_attempt_leaves_it_to_the_next_one(team, receiver, allow_local):
    delivery = status_delivery(team, receiver.url())
    # A worker claims the attempt and dies before storing anything.
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        attempts=1, next_attempt_at=timezone.now() + services.LEASE
    )
    assert delivery_attempt(delivery.pk) == "skipped"  # the claim still holds
    with time_machine.travel(timezone.now() + services.LEASE + datetime.timedelta(seconds=1)):
        assert delivery_attempt(delivery.pk) == "delivered"
    delivery.refresh_from_db()
    assert delivery.attempts == 2
    # The dead worker's late result (if it ever came) is not stored over it.
    stale = WebhookDelivery.objects.get(pk=delivery.pk)
    stale.attempts = 1
    assert services._record(stale, status_code=500, error="http_500", final=False, ms=1) == (
        "skipped"
    )
    delivery.refresh_from_db()
    assert delivery.state == "delivered"


def test_the_safety_net_re_enqueues_deliveries_whose_job_was_lost(team, receiver, allow_local):
    lost = status_delivery(team, receiver.url())
    WebhookDelivery.objects.filter(pk=lost.pk).update(
        next_attempt_at=timezone.now() - datetime.timedelta(minutes=10)
    )
    just_due = status_delivery(team, receiver.url("/other"))  # its job is on its way
    WebhookDelivery.objects.filter(pk=just_due.pk).update(
        next_attempt_at=timezone.now() - datetime.timedelta(seconds=30)
    )
    assert low_queue().count == 0
    assert webhooks_retry_due() == 1
    assert [job.args for job in low_queue().get_jobs()] == [(lost.pk,)]
    assert webhooks_retry_due() == 0  # pushed back: not re-enqueued every minute
    run_low_jobs()
    lost.refresh_from_db()
    assert lost.state == "delivered"
    assert [r.path for r in receiver.received] == ["/hook"]


def test_old_finished_deliveries_are_purged(team, settings):
    settings.WEBHOOK_RETENTION_DAYS = 30
    old = status_delivery(team, "https://hooks.example.com/a")
    old_pending = status_delivery(team, "https://hooks.example.com/b")
    recent = status_delivery(team, "https://hooks.example.com/c")
    long_ago = timezone.now() - datetime.timedelta(days=31)
    WebhookDelivery.objects.filter(pk=old.pk).update(created_at=long_ago, state="delivered")
    WebhookDelivery.objects.filter(pk=old_pending.pk).update(created_at=long_ago)
    WebhookDelivery.objects.filter(pk=recent.pk).update(state="failed")
    assert services.deliveries_purge_old() == 1
    assert set(WebhookDelivery.objects.values_list("pk", flat=True)) == {
        old_pending.pk,
        recent.pk,
    }


def test_the_cron_configuration_registers_the_safety_net():
    import django_rq
    from rq.cron import CronScheduler

    scheduler = CronScheduler(connection=django_rq.get_connection("low"))
    scheduler.load_config_from_file("smsmode.cron")
    jobs = {job.func_name: job for job in scheduler.get_jobs()}
    job = jobs["smsmode.webhooks.jobs.webhooks_retry_due"]
    assert job.queue_name == "low"


def test_a_cancelled_api_message_reports_through_the_existing_caller(
    team, receiver, allow_local, django_capture_on_commit_callbacks
):
    from campaigns.api_messages import message_cancel
    from campaigns.models import Message

    message = api_message(
        team.account, status=Message.Status.QUEUED, callback_url_status=receiver.url()
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert message_cancel(message=message)
    run_low_jobs()
    [request] = receiver.received
    body = json.loads(request.body)
    assert body["status"]["value"] == "CANCELLED"
    assert body["messageId"] == str(message.public_id)
