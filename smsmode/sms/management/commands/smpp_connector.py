"""`manage.py smpp_connector`: hold the SMPP bind and submit the batches of the `smpp`
gateway. Run exactly as many as the carrier allows binds (usually one per account)."""

from __future__ import annotations

import signal
from typing import Any

from django.core.management.base import BaseCommand

from smsmode.sms.smpp.connector import SmppConnector


class Command(BaseCommand):
    help = "Hold the SMPP bind and submit the batches that dispatch jobs queue in Redis."

    def handle(self, *args: Any, **options: Any) -> None:
        connector = SmppConnector()

        def request_stop(signum: int, frame: object) -> None:
            # Finish the batches in hand (their senders are waiting), then unbind.
            connector.stop()

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        connector.run()
