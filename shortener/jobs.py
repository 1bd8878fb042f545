"""RQ entry points of the shortener."""

from shortener import clicks


def clicks_flush_job() -> int:
    """Store pending click events. Idempotent; scheduled a few seconds after a click,
    and every minute by cron as a safety net."""
    return clicks.clicks_flush()
