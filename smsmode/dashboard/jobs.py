"""RQ entry points of the dashboard's statistics."""

from smsmode.dashboard import stats


def stats_fold_job() -> int:
    """Every minute: add the pending deltas into the daily and hourly tables."""
    return stats.fold()


def stats_rebuild_job(account_id: int) -> int:
    """Recompute an account's whole history (after its time zone changed)."""
    from smsmode.accounts.models import Account

    account = Account.objects.filter(pk=account_id).first()
    return stats.rebuild(account) if account is not None else 0


def enqueue_stats_rebuild(account_id: int) -> None:
    import django_rq
    from rq import Retry

    django_rq.get_queue("low").enqueue(
        stats_rebuild_job, account_id, job_timeout=3600, retry=Retry(max=3, interval=60)
    )
