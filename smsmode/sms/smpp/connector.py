"""The SMPP connector: one long-running process (`manage.py smpp_connector`) that holds
the bind and submits the batches dispatch jobs hand it through Redis.

Why a process and not a bind per job: binding costs a round trip or three and carriers
limit binds per account; at volume a job must not wait for one, and the window and
throughput limit only mean something on one long-lived connection.

The hand-off (keys under SMPP_REDIS_PREFIX, "smpp:" by default):
- `smpp:outbox`: a list of batches, JSON `{"batch_id", "deadline", "messages": [...]}`.
  The gateway RPUSHes, the connector BLPOPs: one batch goes to exactly one connector.
- `smpp:results:<batch_id>`: the connector RPUSHes one JSON document with a result
  per message, kept 300 s. The gateway BLPOPs it.

A batch whose deadline has passed is not sent: its gateway has stopped waiting (or
died), so nobody could record what happened to it.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
import time
from typing import Any

from django.conf import settings
from redis import Redis, RedisError

from smsmode.sms.gateways.base import DeliveryReport, InboundSms, OutboundSms, SubmitResult
from smsmode.sms.smpp import relay
from smsmode.sms.smpp.session import SmppSession

logger = logging.getLogger(__name__)

RESULTS_TTL_SECONDS = 300


def outbox_key(prefix: str) -> str:
    return f"{prefix}outbox"


def results_key(prefix: str, batch_id: str) -> str:
    return f"{prefix}results:{batch_id}"


class SmppConnector:
    """Takes batches from Redis, submits them through one `SmppSession`, answers the
    results, and relays receipts and MO as RQ jobs.

    `batch_threads` batches are submitted at once; they share the session's window
    and throughput limit, so small batches from many jobs still fill the window.
    `run()` blocks until `stop()` (the management command calls it on SIGTERM): the
    batches being submitted finish, then the session unbinds.
    """

    def __init__(
        self,
        *,
        session: SmppSession | None = None,
        redis: Redis | None = None,
        prefix: str | None = None,
        queue: Any = None,
        batch_threads: int = 4,
        poll_seconds: float = 1.0,
    ) -> None:
        self.session = session or SmppSession.from_settings()
        self.session.on_report = self.relay_report
        self.session.on_inbound = self.relay_inbound
        self.redis = redis or Redis.from_url(settings.REDIS_URL)
        self.prefix = settings.SMPP_REDIS_PREFIX if prefix is None else prefix
        self._queue = queue
        self.batch_threads = max(1, batch_threads)
        self.poll_seconds = poll_seconds
        self._stop = threading.Event()

    @property
    def queue(self) -> Any:
        if self._queue is None:
            import django_rq

            # "auto": the connector has no transaction to wait for.
            self._queue = django_rq.get_queue("sms", commit_mode="auto")
        return self._queue

    def run(self) -> None:
        """Bind, then take batches until `stop()`; unbind on the way out."""
        self.session.start()
        logger.info("SMPP connector: waiting for batches on %s", outbox_key(self.prefix))
        threads = [
            threading.Thread(target=self._take_batches, name=f"smpp-batches-{i}", daemon=True)
            for i in range(self.batch_threads)
        ]
        for thread in threads:
            thread.start()
        try:
            for thread in threads:
                thread.join()
        finally:
            self.session.stop()
            logger.info("SMPP connector stopped")

    def stop(self) -> None:
        """Ask `run()` to return once the batches in hand are answered. Idempotent."""
        self._stop.set()

    def _take_batches(self) -> None:
        while not self._stop.is_set():
            try:
                item = self.redis.blpop([outbox_key(self.prefix)], timeout=self.poll_seconds)
            except RedisError as exc:
                logger.warning("SMPP connector: Redis unavailable (%s); retrying", exc)
                self._stop.wait(1.0)
                continue
            if item is not None:
                self.handle(item[1])

    def handle(self, raw: bytes | str) -> list[SubmitResult] | None:
        """Submit one batch and answer its results. Returns them (None if the batch
        was unreadable, so there is nobody to answer)."""
        try:
            batch = json.loads(raw)
            batch_id = str(batch["batch_id"])
            messages = [OutboundSms(**message) for message in batch["messages"]]
        except (ValueError, KeyError, TypeError):
            logger.exception("SMPP connector: dropped an unreadable batch %r", raw[:200])
            return None
        deadline = float(batch.get("deadline") or 0)
        if deadline and time.time() > deadline:
            logger.warning(
                "SMPP connector: batch %s arrived after its deadline: not sent", batch_id
            )
            results = [SubmitResult(m.reference, error="expired", retryable=True) for m in messages]
        else:
            results = self.session.submit_batch(messages)
        self._answer(batch_id, results)
        return results

    def _answer(self, batch_id: str, results: list[SubmitResult]) -> None:
        document = json.dumps(
            {"batch_id": batch_id, "results": [dataclasses.asdict(r) for r in results]}
        )
        key = results_key(self.prefix, batch_id)
        for attempt in range(3):
            try:
                pipe = self.redis.pipeline()
                pipe.rpush(key, document)
                pipe.expire(key, RESULTS_TTL_SECONDS)
                pipe.execute()
                return
            except RedisError as exc:
                # The messages are sent: the gateway will time out and report them
                # unknown, which is true. Never submit them again.
                logger.warning("SMPP connector: cannot answer batch %s (%s)", batch_id, exc)
                self._stop.wait(0.5 * (attempt + 1))

    def relay_report(self, report: DeliveryReport) -> None:
        """Enqueue `relay.relay_report`. Raises when Redis is down: the session then
        asks the SMSC to deliver the receipt again later."""
        self.queue.enqueue(relay.relay_report, relay.report_payload(report))

    def relay_inbound(self, message: InboundSms) -> None:
        """Enqueue `relay.relay_inbound` (same rule when Redis is down)."""
        self.queue.enqueue(relay.relay_inbound, relay.inbound_payload(message))
