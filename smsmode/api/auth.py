"""Authentication of API requests: `X-Api-Key: <key>` (smsmode's header) or
`Authorization: Bearer <key>`. The key's account becomes `request.account`; each
request then passes the key's rate limit (ratelimit.py) and records its use at most
once a minute."""

from __future__ import annotations

import datetime

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import APIKeyHeader, HttpBearer

from smsmode.accounts.models import ApiKey
from smsmode.api import ratelimit
from smsmode.api.errors import ApiError
from smsmode.api.keys import key_for_secret
from smsmode.billing.features import account_has_feature

_TOUCH_EVERY = datetime.timedelta(minutes=1)


def _authenticate(request: HttpRequest, secret: str | None) -> ApiKey | None:
    key = key_for_secret(secret or "")
    if key is None:
        return None
    ratelimit.check(request, key)
    now = timezone.now()
    if key.last_used_at is None or key.last_used_at < now - _TOUCH_EVERY:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    request.api_key = key
    request.account = key.account
    return key


class ApiKeyHeaderAuth(APIKeyHeader):
    param_name = "X-Api-Key"

    def authenticate(self, request: HttpRequest, key: str | None) -> ApiKey | None:
        return _authenticate(request, key)


class BearerAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> ApiKey | None:
        return _authenticate(request, token)


api_auth = [ApiKeyHeaderAuth(), BearerAuth()]


def require_scope(request: HttpRequest, scope: str) -> ApiKey:
    """403 INSUFFICIENT_SCOPE unless the request's key includes `scope`."""
    key: ApiKey = request.auth
    if not key.allows(scope):
        raise ApiError(
            403,
            "INSUFFICIENT_SCOPE",
            f"This API key has the '{key.scope}' scope; this operation needs '{scope}'.",
        )
    return key


def require_feature(request: HttpRequest, feature: str) -> None:
    """403 FEATURE_NOT_IN_PLAN when the account's plan lacks `feature`."""
    if not account_has_feature(request.auth.account, feature):
        raise ApiError(
            403,
            "FEATURE_NOT_IN_PLAN",
            f"The account's plan does not include '{feature}': upgrade to use it.",
        )


def require_can_send(request: HttpRequest) -> None:
    if not request.auth.account.can_send:
        raise ApiError(403, "ACCOUNT_SUSPENDED", "This account is suspended: it sends nothing.")
