"""RQ entry points of the accounts app. Thin: they call services."""

from datetime import timedelta

from django.utils import timezone

from smsmode.accounts.models import Invitation


def invitations_purge_expired(*, older_than_days: int = 30) -> int:
    """Delete invitations that expired unused more than `older_than_days` ago.

    Idempotent; safe to retry. Returns how many were deleted.
    """
    cutoff = timezone.now() - timedelta(days=older_than_days)
    deleted, _ = Invitation.objects.filter(accepted_at__isnull=True, expires_at__lt=cutoff).delete()
    return deleted
