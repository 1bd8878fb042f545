"""A per-key budget of requests per second, shared by every web process through Redis
(a counter per key and second). The answer carries the budget in headers:
`X-RateLimit-Limit`, `X-RateLimit-Remaining`, `X-RateLimit-Reset` (seconds); a request
over budget gets 429 with `Retry-After`."""

from __future__ import annotations

import math
import time

from django.http import HttpRequest, HttpResponse

from smsmode.accounts.models import ApiKey
from smsmode.api.errors import ApiError


def _redis():
    from shortener.clicks import redis_client

    return redis_client()


def check(request: HttpRequest, key: ApiKey) -> None:
    limit = max(1, key.account.api_rate_limit)
    now = time.time()
    second = int(now)
    name = f"api:rate:{key.pk}:{second}"
    pipe = _redis().pipeline(transaction=False)
    pipe.incr(name)
    pipe.expire(name, 2)
    used = pipe.execute()[0]
    reset = max(0.0, second + 1 - now)
    headers = {
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(max(0, limit - used)),
        "X-RateLimit-Reset": str(math.ceil(reset)),
    }
    request.rate_headers = headers
    if used > limit:
        raise ApiError(
            429,
            "RATE_LIMITED",
            f"More than {limit} requests in a second with this key: slow down.",
            headers={**headers, "Retry-After": str(max(1, math.ceil(reset)))},
        )


def add_headers(request: HttpRequest, response: HttpResponse) -> None:
    for name, value in getattr(request, "rate_headers", {}).items():
        response.setdefault(name, value)
