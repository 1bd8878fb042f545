"""RQ entry points of webhooks (queue "low"). Thin: they take ids and call services."""

from smsmode.webhooks import services


def webhook_deliver_job(delivery_id: int) -> str:
    """One attempt of a delivery. Safe to run twice or at once: the attempt is claimed
    by a conditional update, a second run finds nothing due and returns "skipped"."""
    return services.delivery_attempt(delivery_id)


def webhooks_retry_due() -> int:
    """Every minute, the safety net: re-enqueue pending deliveries whose scheduled job
    was lost (overdue by more than two minutes), and delete finished deliveries older
    than WEBHOOK_RETENTION_DAYS (1,000 per run). Returns how many were re-enqueued."""
    services.deliveries_purge_old()
    return services.deliveries_retry_due()
