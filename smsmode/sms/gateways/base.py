"""The gateway interface: what dispatch jobs hand to a carrier and what comes back.

A gateway submits a batch of outbound SMS and answers, per message, a provider id or
an error. Delivery reports and inbound messages (MO) arrive later, asynchronously, and
are handed to `smsmode.sms.events`, which the campaigns and contacts code subscribe to.

Submitting is at most once: a gateway never retries a message on its own after the
carrier may have accepted it. When it cannot know (a connection lost after the
message left), it answers `unknown=True` and the caller shows the message as unknown
instead of sending it again.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


class DeliveryState(enum.StrEnum):
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    EXPIRED = "expired"
    REJECTED = "rejected"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class OutboundSms:
    """One message to send. `reference` is our id for it (unique, stable across retries)."""

    reference: str
    to: str  # E.164, e.g. "+33612345678"
    sender: str
    text: str  # the final text, STOP mention included


@dataclass(frozen=True)
class SubmitResult:
    """What the gateway says about one submitted message.

    ok: `provider_id` is set. Otherwise `error` is a short code; `retryable` means the
    carrier did not take the message (throttled, not bound) and it may be submitted
    again later; `unknown` means it may or may not have left and must not be resent.
    """

    reference: str
    provider_id: str | None = None
    error: str = ""
    detail: str = ""
    retryable: bool = False
    unknown: bool = False
    parts: int = 1

    @property
    def ok(self) -> bool:
        return self.provider_id is not None and not self.error


@dataclass(frozen=True)
class DeliveryReport:
    provider_id: str
    state: DeliveryState
    error_code: str = ""
    at: datetime | None = None
    gateway: str = ""


@dataclass(frozen=True)
class InboundSms:
    """A reply (MO): `sender` is the phone that wrote, `recipient` our number or code."""

    sender: str
    recipient: str
    text: str
    at: datetime | None = None
    provider_id: str = ""
    gateway: str = ""


class GatewayError(Exception):
    """The gateway cannot take the batch at all (down, misconfigured). Nothing was sent."""

    code = "unavailable"


class Gateway(Protocol):
    name: str

    def submit(self, messages: Sequence[OutboundSms]) -> list[SubmitResult]:
        """Submit a batch; one result per message, in the same order."""
        ...


@dataclass
class RecordedBatch:
    """Used by tests and the console gateway to keep what went out."""

    messages: list[OutboundSms] = field(default_factory=list)
