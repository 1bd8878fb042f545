"""The `smpp` gateway: hands batches to the SMPP connector process through Redis.

The bind lives in `manage.py smpp_connector` (see `smsmode.sms.smpp.connector`); a
dispatch job never connects to the SMSC itself. `submit` queues the batch and waits
for the connector's answer.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Sequence

from django.conf import settings
from redis import Redis, RedisError

from smsmode.sms.gateways.base import GatewayError, OutboundSms, SubmitResult
from smsmode.sms.smpp.connector import outbox_key, results_key


class SmppGateway:
    name = "smpp"

    def __init__(self) -> None:
        self.prefix: str = settings.SMPP_REDIS_PREFIX
        self.wait_seconds: float = settings.SMPP_SUBMIT_WAIT_SECONDS
        self.redis = Redis.from_url(settings.REDIS_URL, socket_connect_timeout=5)

    def submit(self, messages: Sequence[OutboundSms]) -> list[SubmitResult]:
        """Queue the batch for the connector and wait up to SMPP_SUBMIT_WAIT_SECONDS.

        - Redis down before the batch is queued: GatewayError (nothing was sent).
        - The connector answers: its results (see `SmppSession.submit_batch`).
        - No answer in time: the batch is taken back from the outbox with one LREM,
          which is atomic against the connector's BLPOP. Taken back: nothing was sent,
          every result is retryable ("connector_unavailable"). Already taken by the
          connector: it may be on its way, every result is `unknown` ("timeout").
        Never submits a message twice; not idempotent itself (call it once per batch).
        """
        if not messages:
            return []
        batch_id = uuid.uuid4().hex
        payload = json.dumps(
            {
                "batch_id": batch_id,
                "deadline": time.time() + self.wait_seconds,
                "messages": [
                    {"reference": m.reference, "to": m.to, "sender": m.sender, "text": m.text}
                    for m in messages
                ],
            }
        )
        try:
            self.redis.rpush(outbox_key(self.prefix), payload)
        except RedisError as exc:
            raise GatewayError(f"cannot queue the batch for the SMPP connector: {exc}") from exc
        try:
            answer = self.redis.blpop([results_key(self.prefix, batch_id)], self.wait_seconds)
        except RedisError:
            answer = None
        if answer is not None:
            return self._results(messages, answer[1])
        try:
            taken_back = self.redis.lrem(outbox_key(self.prefix), 1, payload)
        except RedisError:
            taken_back = 0  # cannot tell: assume the connector has it
        if taken_back:
            return [
                SubmitResult(
                    m.reference,
                    error="connector_unavailable",
                    detail="no SMPP connector took the batch in time; nothing was sent",
                    retryable=True,
                )
                for m in messages
            ]
        return [
            SubmitResult(
                m.reference,
                error="timeout",
                detail="the SMPP connector took the batch but did not answer in time",
                unknown=True,
            )
            for m in messages
        ]

    def _results(self, messages: Sequence[OutboundSms], raw: bytes) -> list[SubmitResult]:
        fields = {f for f in SubmitResult.__dataclass_fields__}
        by_reference = {
            item["reference"]: SubmitResult(**{k: v for k, v in item.items() if k in fields})
            for item in json.loads(raw)["results"]
        }
        return [
            by_reference.get(m.reference)
            or SubmitResult(m.reference, error="no_result", detail="missing", unknown=True)
            for m in messages
        ]
