"""Gateway registry: `get_gateway()` answers the gateway named by settings.SMS_GATEWAY."""

from __future__ import annotations

from importlib import import_module

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from smsmode.sms.gateways.base import Gateway

GATEWAYS = {
    "sandbox": "smsmode.sms.gateways.sandbox.SandboxGateway",
    "console": "smsmode.sms.gateways.console.ConsoleGateway",
    "smpp": "smsmode.sms.gateways.smpp.SmppGateway",
}


def get_gateway(name: str | None = None) -> Gateway:
    """A gateway instance by name (default: settings.SMS_GATEWAY)."""
    name = name or settings.SMS_GATEWAY
    try:
        path = GATEWAYS[name]
    except KeyError as exc:
        raise ImproperlyConfigured(
            f"SMS_GATEWAY={name!r} is not one of {', '.join(sorted(GATEWAYS))}"
        ) from exc
    module, _, cls = path.rpartition(".")
    return getattr(import_module(module), cls)()
