"""RQ entry points of the SMS core. Thin: they rebuild events and hand them on."""

from __future__ import annotations

from django.utils import timezone

from smsmode.sms import events
from smsmode.sms.gateways.base import DeliveryReport, DeliveryState, InboundSms


def sandbox_report(reports: list[tuple[str, str]]) -> int:
    """Report the sandbox's outcome for each (provider id, state). Safe to retry:
    subscribers treat a report they already applied as a no-op."""
    now = timezone.now()
    for provider_id, state in reports:
        events.report_delivery(
            DeliveryReport(
                provider_id=provider_id, state=DeliveryState(state), at=now, gateway="sandbox"
            )
        )
    return len(reports)


def relay_inbound(payload: dict[str, str]) -> None:
    """Hand an inbound message (sandbox simulation or carrier MO) to the subscribers."""
    events.receive_inbound(
        InboundSms(
            sender=payload["sender"],
            recipient=payload.get("recipient", ""),
            text=payload["text"],
            at=timezone.now(),
            provider_id=payload.get("provider_id", ""),
            gateway=payload.get("gateway", ""),
        )
    )
