"""The one gate: may this account use a feature of its plan?"""

from django.utils import timezone

from smsmode.accounts.models import Account
from smsmode.billing.models import Feature


def account_has_feature(account: Account, feature: Feature | str) -> bool:
    return account.plan.has_feature(feature)


def account_seats_left(account: Account) -> int | None:
    """Seats still free for members and pending invitations; None when unlimited."""
    limit = account.plan.max_users
    if limit is None:
        return None
    used = (
        account.memberships.count()
        + account.invitations.filter(
            accepted_at__isnull=True, expires_at__gt=timezone.now()
        ).count()
    )
    return max(limit - used, 0)
