"""Webhooks: status and reply events delivered to the customer's URLs (being built)."""

from __future__ import annotations


def message_status_changed(message_ids: list[int]) -> int:
    """Call inside the transaction that changed these messages' status."""
    return 0


def reply_received(reply_id: int) -> int:
    """Call inside the transaction that stored this reply."""
    return 0
