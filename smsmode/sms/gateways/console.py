"""The console gateway: logs each message and accepts it. For local debugging only:
no delivery report ever comes, so messages stay `submitted`."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence

from smsmode.sms.gateways.base import OutboundSms, SubmitResult

logger = logging.getLogger("smsmode.sms.console")


class ConsoleGateway:
    name = "console"

    def submit(self, messages: Sequence[OutboundSms]) -> list[SubmitResult]:
        results = []
        for message in messages:
            provider_id = f"console-{uuid.uuid4().hex[:16]}"
            logger.info(
                "SMS %s to %s from %s (%s): %s",
                message.reference,
                message.to,
                message.sender,
                provider_id,
                message.text,
            )
            results.append(SubmitResult(reference=message.reference, provider_id=provider_id))
        return results
