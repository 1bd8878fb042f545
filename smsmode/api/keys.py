"""API keys: create (the secret is returned once), revoke, and find a request's key."""

from __future__ import annotations

import hashlib
import secrets

from django.utils import timezone

from smsmode.accounts.models import Account, ApiKey, ApiScope, User

KEY_PREFIX = "smk_"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def key_create(
    *, account: Account, name: str, scope: str = ApiScope.SEND, by: User | None = None
) -> tuple[ApiKey, str]:
    """A new key of `account`; returns it and its secret, which is never stored."""
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey.objects.create(
        account=account,
        name=name.strip()[:80] or "API key",
        scope=ApiScope(scope),
        prefix=secret[:12],
        secret_hash=_digest(secret),
        created_by=by,
    )
    return key, secret


def key_revoke(*, key: ApiKey) -> bool:
    """Revoke at once: the next request with it answers 401. False if already revoked."""
    return bool(
        ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    )


def key_for_secret(secret: str) -> ApiKey | None:
    """The active key with this secret (and its account), or None."""
    if not secret or not secret.startswith(KEY_PREFIX) or len(secret) > 100:
        return None
    return (
        ApiKey.objects.select_related("account__plan")
        .filter(secret_hash=_digest(secret), revoked_at__isnull=True)
        .first()
    )
