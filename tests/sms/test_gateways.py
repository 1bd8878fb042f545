"""The gateway registry, the console gateway and the sandbox, through real RQ on Redis."""

import logging

import django_rq
import pytest
import redis
from django.core.exceptions import ImproperlyConfigured
from rq import SimpleWorker
from rq.scheduler import RQScheduler

from smsmode.sms import events
from smsmode.sms.gateways import get_gateway
from smsmode.sms.gateways.base import DeliveryState, OutboundSms
from smsmode.sms.gateways.sandbox import simulate_inbound


@pytest.fixture
def sms_queue():
    queue = django_rq.get_queue("sms")
    queue.connection.flushdb()  # this test worker's own Redis database
    yield queue
    queue.connection.flushdb()


@pytest.fixture
def received():
    got: dict[str, list] = {"reports": [], "inbound": []}

    def on_report(report):
        got["reports"].append(report)

    def on_inbound(message):
        got["inbound"].append(message)

    events.on_delivery_report(on_report)
    events.on_inbound(on_inbound)
    yield got
    events.unsubscribe(on_report)
    events.unsubscribe(on_inbound)


def _run_due_jobs(queue) -> None:
    scheduler = RQScheduler([queue], connection=queue.connection)
    scheduler.acquire_locks()
    scheduler.enqueue_scheduled_jobs()
    scheduler.release_locks()
    SimpleWorker([queue], connection=queue.connection).work(burst=True)


def _sms(ref: str, to: str, text: str = "Hello") -> OutboundSms:
    return OutboundSms(reference=ref, to=to, sender="ACME", text=text)


def test_the_default_gateway_is_the_sandbox(settings):
    settings.SMS_GATEWAY = "sandbox"
    assert get_gateway().name == "sandbox"
    assert get_gateway("console").name == "console"


def test_an_unknown_gateway_is_a_configuration_error():
    with pytest.raises(ImproperlyConfigured, match="carrier-pigeon"):
        get_gateway("carrier-pigeon")


def test_the_console_gateway_logs_and_accepts(caplog):
    with caplog.at_level(logging.INFO, logger="smsmode.sms.console"):
        results = get_gateway("console").submit([_sms("m1", "+33612345678", "Bonjour")])
    assert results[0].ok
    assert results[0].provider_id.startswith("console-")
    assert "Bonjour" in caplog.text
    assert "+33612345678" in caplog.text


@pytest.mark.django_db
def test_the_sandbox_accepts_and_reports_delivery_later(sms_queue, received, settings):
    settings.SMS_SANDBOX_REPORT_DELAY = 5
    results = get_gateway("sandbox").submit(
        [_sms("m1", "+33612345678"), _sms("m2", "+33699990001")]
    )
    assert [r.ok for r in results] == [True, True]
    assert results[0].provider_id != results[1].provider_id
    # Nothing is reported before the delay: the report job is scheduled, not queued.
    assert len(sms_queue.scheduled_job_registry) == 1
    SimpleWorker([sms_queue], connection=sms_queue.connection).work(burst=True)
    assert received["reports"] == []


@pytest.mark.django_db
def test_the_sandbox_test_numbers_end_in_every_state(sms_queue, received, settings):
    settings.SMS_SANDBOX_REPORT_DELAY = 0
    numbers = {
        "ok": "+33612345678",
        "undelivered": "+33699990001",
        "rejected": "+33699990002",
        "expired": "+33699990003",
        "invalid": "+33699990004",
        "throttled": "+33699990005",
    }
    results = get_gateway("sandbox").submit([_sms(ref, to) for ref, to in numbers.items()])
    by_ref = {r.reference: r for r in results}
    assert by_ref["invalid"].error == "invalid_destination"
    assert not by_ref["invalid"].retryable
    assert by_ref["throttled"].error == "throttled"
    assert by_ref["throttled"].retryable
    assert not by_ref["throttled"].unknown

    _run_due_jobs(sms_queue)
    states = {r.provider_id: r.state for r in received["reports"]}
    expected = {
        "ok": DeliveryState.DELIVERED,
        "undelivered": DeliveryState.UNDELIVERED,
        "rejected": DeliveryState.REJECTED,
        "expired": DeliveryState.EXPIRED,
    }
    assert states == {by_ref[ref].provider_id: state for ref, state in expected.items()}
    assert all(r.gateway == "sandbox" for r in received["reports"])


@pytest.mark.django_db
def test_the_sandbox_plays_an_inbound_stop(sms_queue, received):
    simulate_inbound(sender="+33612345678", text="STOP")
    SimpleWorker([sms_queue], connection=sms_queue.connection).work(burst=True)
    [message] = received["inbound"]
    assert message.sender == "+33612345678"
    assert message.text == "STOP"
    assert message.gateway == "sandbox"


@pytest.mark.django_db
def test_a_failing_subscriber_does_not_stop_the_others_and_the_job_fails(sms_queue, settings):
    settings.SMS_SANDBOX_REPORT_DELAY = 0
    got = []

    def broken(report):
        raise RuntimeError("database is on fire")

    def fine(report):
        got.append(report)

    events.on_delivery_report(broken)
    events.on_delivery_report(fine)
    try:
        get_gateway("sandbox").submit([_sms("m1", "+33612345678")])
        _run_due_jobs(sms_queue)
    finally:
        events.unsubscribe(broken)
        events.unsubscribe(fine)
    assert len(got) == 1
    # The job failed, so RQ keeps it for a retry instead of losing the report.
    assert len(sms_queue.failed_job_registry) == 1


@pytest.mark.django_db
def test_a_sandbox_whose_redis_is_down_refuses_the_whole_batch(monkeypatch):
    from redis.backoff import NoBackoff
    from redis.retry import Retry
    from rq import Queue

    from smsmode.sms.gateways import sandbox
    from smsmode.sms.gateways.base import GatewayError

    # A real client to a port where nothing listens, without redis-py's retries.
    dead = redis.Redis(host="127.0.0.1", port=1, retry=Retry(NoBackoff(), 0))
    monkeypatch.setattr(
        sandbox.django_rq, "get_queue", lambda *a, **k: Queue("sms", connection=dead)
    )
    with pytest.raises(GatewayError):
        get_gateway("sandbox").submit([_sms("m1", "+33612345678")])
