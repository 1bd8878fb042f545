"""Where delivery reports and inbound messages enter the product.

Gateways (and the jobs that relay them) call `report_delivery` and `receive_inbound`.
The code that owns messages and opt-outs subscribes once, at start-up (in its
AppConfig.ready), with `on_delivery_report` and `on_inbound`. Explicit subscriptions,
not Django signals, so a reader can find every handler from here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from smsmode.sms.gateways.base import DeliveryReport, InboundSms

logger = logging.getLogger(__name__)

ReportHandler = Callable[[DeliveryReport], None]
InboundHandler = Callable[[InboundSms], None]

_report_handlers: list[ReportHandler] = []
_inbound_handlers: list[InboundHandler] = []


def on_delivery_report(handler: ReportHandler) -> ReportHandler:
    """Subscribe to delivery reports (usable as a decorator). Idempotent."""
    if handler not in _report_handlers:
        _report_handlers.append(handler)
    return handler


def on_inbound(handler: InboundHandler) -> InboundHandler:
    """Subscribe to inbound messages (usable as a decorator). Idempotent."""
    if handler not in _inbound_handlers:
        _inbound_handlers.append(handler)
    return handler


def unsubscribe(handler: Callable[..., None]) -> None:
    for handlers in (_report_handlers, _inbound_handlers):
        if handler in handlers:
            handlers.remove(handler)


def report_delivery(report: DeliveryReport) -> None:
    """Hand a delivery report to every subscriber. A failing handler does not stop
    the others; the error is logged and re-raised at the end so a job can retry."""
    _dispatch(_report_handlers, report)


def receive_inbound(message: InboundSms) -> None:
    """Hand an inbound message to every subscriber (same error rules)."""
    _dispatch(_inbound_handlers, message)


def _dispatch(handlers: list[Callable[..., None]], event: object) -> None:
    errors: list[Exception] = []
    for handler in list(handlers):
        try:
            handler(event)
        except Exception as exc:
            logger.exception("SMS event handler %r failed on %r", handler, event)
            errors.append(exc)
    if errors:
        raise errors[0]
