"""RQ entry points of billing. Thin: they call services."""

from smsmode.billing.services import subscriptions_apply_due_changes


def subscriptions_apply_due() -> int:
    """Apply downgrades whose paid period has ended. Idempotent; safe to retry."""
    return subscriptions_apply_due_changes()
