"""The `smpp` gateway end to end: SmppGateway -> Redis -> SmppConnector -> loopback SMSC,
and receipts / MO back through RQ jobs to `smsmode.sms.events`.

Uses the Redis of settings.REDIS_URL with a key prefix and an RQ queue of its own per
test, so parallel test processes never see each other's batches or jobs.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import rq
from redis import Redis

from smsmode.sms import events
from smsmode.sms.gateways.base import (
    DeliveryReport,
    DeliveryState,
    GatewayError,
    InboundSms,
    OutboundSms,
)
from smsmode.sms.gateways.smpp import SmppGateway
from smsmode.sms.smpp.connector import SmppConnector, outbox_key, results_key
from smsmode.sms.smpp.session import SmppSession
from tests.sms.conftest import FAST_SESSION, Smsc

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def redis_client(settings) -> Iterator[Redis]:
    settings.SMPP_REDIS_PREFIX = f"test-smpp-{uuid.uuid4().hex}:"
    client = Redis.from_url(settings.REDIS_URL)
    yield client
    keys = client.keys(settings.SMPP_REDIS_PREFIX + "*")
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def queue(redis_client: Redis) -> Iterator[rq.Queue]:
    queue = rq.Queue(f"test-sms-{uuid.uuid4().hex}", connection=redis_client)
    yield queue
    queue.delete(delete_jobs=True)


@pytest.fixture
def run_connector(
    redis_client: Redis, queue: rq.Queue, settings
) -> Iterator[Callable[[Smsc], SmppConnector]]:
    """Runs a connector in a thread; its relay jobs go to this test's own queue."""
    running: list[tuple[SmppConnector, threading.Thread]] = []

    def run(smsc: Smsc) -> SmppConnector:
        session = SmppSession(
            host="127.0.0.1", port=smsc.port, system_id="smsmode", password="x", **FAST_SESSION
        )
        connector = SmppConnector(
            session=session,
            redis=redis_client,
            prefix=settings.SMPP_REDIS_PREFIX,
            queue=queue,
            poll_seconds=0.1,
        )
        thread = threading.Thread(target=connector.run, daemon=True)
        thread.start()
        running.append((connector, thread))
        assert session.wait_bound(5)
        return connector

    yield run
    for connector, thread in running:
        connector.stop()
        thread.join(5)


def sms(i: int, text: str = "") -> OutboundSms:
    return OutboundSms(f"ref-{i}", "+33612345678", "ACME", text or f"message {i}")


def test_it_submits_through_the_connector(smsc, run_connector, redis_client, settings):
    run_connector(smsc)

    results = SmppGateway().submit([sms(1), sms(2, "Привет")])

    assert all(r.ok for r in results)
    submits = smsc.submits(wait=2)
    assert [r.provider_id for r in results] == [s["assigned_id"] for s in submits]
    assert [s["data_coding"] for s in submits] == [0, 8]
    assert redis_client.llen(outbox_key(settings.SMPP_REDIS_PREFIX)) == 0


def test_it_is_retryable_when_no_connector_runs(redis_client, settings):
    settings.SMPP_SUBMIT_WAIT_SECONDS = 0.3

    start = time.monotonic()
    results = SmppGateway().submit([sms(1), sms(2)])

    assert time.monotonic() - start < 2
    assert [(r.error, r.retryable, r.unknown) for r in results] == [
        ("connector_unavailable", True, False)
    ] * 2
    # Taken back: a connector starting later will not send it.
    assert redis_client.llen(outbox_key(settings.SMPP_REDIS_PREFIX)) == 0


def test_it_is_unknown_when_the_connector_took_the_batch_and_went_silent(redis_client, settings):
    settings.SMPP_SUBMIT_WAIT_SECONDS = 0.5
    outbox = outbox_key(settings.SMPP_REDIS_PREFIX)
    taken: list[object] = []
    # A connector that takes the batch and dies before answering.
    thief = threading.Thread(target=lambda: taken.append(redis_client.blpop([outbox], 5)))
    thief.start()

    results = SmppGateway().submit([sms(1)])

    thief.join(5)
    assert taken and taken[0] is not None
    assert [(r.error, r.retryable, r.unknown) for r in results] == [("timeout", False, True)]


def test_it_raises_gateway_error_when_redis_is_down(settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"

    with pytest.raises(GatewayError):
        SmppGateway().submit([sms(1)])


def test_the_connector_does_not_send_a_batch_past_its_deadline(smsc, redis_client, settings):
    session = SmppSession(host="127.0.0.1", port=smsc.port, system_id="x", password="x")
    connector = SmppConnector(session=session, redis=redis_client)
    batch = {
        "batch_id": "late",
        "deadline": time.time() - 1,
        "messages": [{"reference": "r1", "to": "+33612345678", "sender": "A", "text": "hi"}],
    }

    [result] = connector.handle(json.dumps(batch))

    assert (result.error, result.retryable) == ("expired", True)
    answer = redis_client.lpop(results_key(settings.SMPP_REDIS_PREFIX, "late"))
    assert json.loads(answer)["results"][0]["error"] == "expired"
    assert not smsc.submits()


@pytest.mark.django_db
def test_receipts_and_mo_are_relayed_as_rq_jobs(smsc, run_connector, redis_client, queue):
    reports: list[DeliveryReport] = []
    inbound: list[InboundSms] = []
    events.on_delivery_report(reports.append)
    events.on_inbound(inbound.append)
    try:
        run_connector(smsc)
        [result] = SmppGateway().submit([sms(1)])
        smsc.command("mo:+33612345678:STOP")
        deadline = time.monotonic() + 5
        while queue.count < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert queue.count == 2  # the receipt and the MO, nothing run yet
        assert not reports and not inbound

        rq.SimpleWorker([queue], connection=redis_client).work(burst=True)

        assert [(r.provider_id, r.state, r.gateway) for r in reports] == [
            (result.provider_id, DeliveryState.DELIVERED, "smpp")
        ]
        assert [(m.sender, m.recipient, m.text) for m in inbound] == [
            ("+33612345678", "36180", "STOP")
        ]
    finally:
        events.unsubscribe(reports.append)
        events.unsubscribe(inbound.append)


def test_the_command_unbinds_on_sigterm(smsc, redis_client, settings, tmp_path):
    env = {
        **os.environ,
        "SMPP_HOST": "127.0.0.1",
        "SMPP_PORT": str(smsc.port),
        "SMPP_SYSTEM_ID": "smsmode",
        "SMPP_REDIS_PREFIX": settings.SMPP_REDIS_PREFIX,
        "REDIS_URL": settings.REDIS_URL,
        "PYTHONFAULTHANDLER": "1",  # SIGABRT below prints every thread's stack
    }
    log = tmp_path / "connector.log"
    with open(log, "w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "smpp_connector"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    try:
        smsc.wait_for(lambda s: len(s.pdus("bind_transceiver")) == 1, timeout=20)

        process.send_signal(signal.SIGTERM)

        try:
            returncode = process.wait(10)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGABRT)
            process.wait(5)
            pytest.fail(f"the connector did not stop:\n{log.read_text()}")
        assert returncode == 0, log.read_text()
        smsc.wait_for(lambda s: len(s.pdus("unbind")) == 1)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
