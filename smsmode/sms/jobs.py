"""RQ entry points of the SMS core. Thin: they rebuild events and hand them on."""

from __future__ import annotations

from datetime import datetime

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


def relay_report(payload: dict[str, str]) -> None:
    """Hand one delivery report to the subscribers. May be retried: subscribers treat
    a report they already applied as a no-op (and an SMSC may repeat a receipt too).
    Payloads are plain dicts of strings so a job never unpickles a changed class."""
    events.report_delivery(
        DeliveryReport(
            provider_id=payload["provider_id"],
            state=DeliveryState(payload["state"]),
            error_code=payload.get("error_code", ""),
            at=_parse_at(payload.get("at", "")),
            gateway=payload.get("gateway", ""),
        )
    )


def relay_inbound(payload: dict[str, str]) -> None:
    """Hand one inbound message (a carrier's MO or the sandbox's simulation) to the
    subscribers. May be retried (an opt-out already recorded stays recorded)."""
    events.receive_inbound(
        InboundSms(
            sender=payload["sender"],
            recipient=payload.get("recipient", ""),
            text=payload["text"],
            at=_parse_at(payload.get("at", "")) or timezone.now(),
            provider_id=payload.get("provider_id", ""),
            gateway=payload.get("gateway", ""),
        )
    )


def _parse_at(value: str) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
