"""Payloads of the RQ jobs that hand SMPP receipts and MO to the core.

The jobs themselves are `smsmode.sms.jobs.relay_report` / `relay_inbound`.

The connector process only enqueues (a Redis write, fast, no database): the work that
touches messages and opt-outs runs in ordinary workers, on the "sms" queue. Payloads
are plain dicts of strings so that a job never unpickles a class that has changed.
"""

from __future__ import annotations

from smsmode.sms.gateways.base import DeliveryReport, InboundSms
from smsmode.sms.jobs import relay_inbound, relay_report

__all__ = ["inbound_payload", "relay_inbound", "relay_report", "report_payload"]


def report_payload(report: DeliveryReport) -> dict[str, str]:
    return {
        "provider_id": report.provider_id,
        "state": report.state.value,
        "error_code": report.error_code,
        "at": report.at.isoformat() if report.at else "",
        "gateway": report.gateway,
    }


def inbound_payload(message: InboundSms) -> dict[str, str]:
    return {
        "sender": message.sender,
        "recipient": message.recipient,
        "text": message.text,
        "at": message.at.isoformat() if message.at else "",
        "provider_id": message.provider_id,
        "gateway": message.gateway,
    }
