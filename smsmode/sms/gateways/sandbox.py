"""The sandbox gateway, the default: a carrier without a carrier.

It accepts every message, gives it a provider id, and a scheduled RQ job reports its
delivery SMS_SANDBOX_REPORT_DELAY seconds later. Numbers in the test range
+33 6 99 99 00 0x end in the other states, so every path can be seen in the demo and
in tests:

| number | outcome |
|---|---|
| +33699990001 | accepted, then `undelivered` |
| +33699990002 | accepted, then `rejected` |
| +33699990003 | accepted, then `expired` |
| +33699990004 | refused at submit: error `invalid_destination` (not retryable) |
| +33699990005 | refused at submit: error `throttled` (retryable: nothing was sent) |
| any other | accepted, then `delivered` |

`simulate_inbound` plays a reply (e.g. "STOP") from a number, through the same path
as a carrier's MO.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta

import django_rq
import redis
from django.conf import settings

from smsmode.sms.gateways.base import DeliveryState, GatewayError, OutboundSms, SubmitResult

REPORT_OUTCOMES = {
    "+33699990001": DeliveryState.UNDELIVERED,
    "+33699990002": DeliveryState.REJECTED,
    "+33699990003": DeliveryState.EXPIRED,
}
RECORD_KEY = "sandbox:submitted"
SUBMIT_ERRORS = {
    "+33699990004": ("invalid_destination", False),
    "+33699990005": ("throttled", True),
}


class SandboxGateway:
    name = "sandbox"

    def submit(self, messages: Sequence[OutboundSms]) -> list[SubmitResult]:
        """Accept the batch and schedule one job reporting on all accepted messages.

        If the report cannot be scheduled (Redis is down), raise GatewayError: the
        caller then treats the whole batch as not sent, as with a carrier that is down.
        """
        results: list[SubmitResult] = []
        reports: list[tuple[str, str]] = []
        for message in messages:
            refused = SUBMIT_ERRORS.get(message.to)
            if refused:
                code, retryable = refused
                results.append(
                    SubmitResult(reference=message.reference, error=code, retryable=retryable)
                )
                continue
            provider_id = f"sbx-{uuid.uuid4().hex}"
            state = REPORT_OUTCOMES.get(message.to, DeliveryState.DELIVERED)
            reports.append((provider_id, state.value))
            results.append(SubmitResult(reference=message.reference, provider_id=provider_id))
        if reports:
            # The report must not depend on the caller's transaction: it describes
            # what the "carrier" did, which has already happened.
            queue = django_rq.get_queue("sms", commit_mode="auto")
            try:
                queue.enqueue_in(
                    timedelta(seconds=settings.SMS_SANDBOX_REPORT_DELAY),
                    "smsmode.sms.jobs.sandbox_report",
                    reports,
                )
            except redis.RedisError as exc:
                raise GatewayError(f"sandbox cannot schedule its reports: {exc}") from exc
            if settings.SMS_SANDBOX_RECORD:
                # The carrier's own ledger of what it took, one count per reference,
                # written once the batch is certainly taken: tests prove from it that
                # nothing went out twice.
                pipe = queue.connection.pipeline()
                for message, result in zip(messages, results, strict=True):
                    if result.ok:
                        pipe.hincrby(RECORD_KEY, message.reference, 1)
                pipe.execute()
        return results


def simulate_inbound(*, sender: str, text: str, recipient: str | None = None) -> None:
    """Play an inbound SMS (a reply) as if the carrier had delivered it to us."""
    from smsmode.sms.jobs import relay_inbound

    queue = django_rq.get_queue("sms", commit_mode="auto")
    queue.enqueue(
        relay_inbound,
        {
            "sender": sender,
            "recipient": recipient or settings.SMS_STOP_CODE,
            "text": text,
            "gateway": "sandbox",
        },
    )
