"""Short links: create, edit, delete, and the lookup of the redirect."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from shortener.clicks import redis_client
from shortener.models import ShortLink
from shortener.safety import generate_code, validate_target_url
from shortener.tracking import code_length, short_url_for
from smsmode.accounts.models import Account, User

DEFAULT_LIFETIME = datetime.timedelta(days=31)  # "one month from today"
CACHE_SECONDS = 300
_MISSING = "-"


def short_url(link: ShortLink) -> str:
    """The URL as it goes into an SMS: `domain/code`, or the app's own `/s/code`."""
    return short_url_for(link.code)


def default_expiry(now: datetime.datetime | None = None) -> datetime.datetime:
    return (now or timezone.now()) + DEFAULT_LIFETIME


def link_create(
    *,
    account: Account,
    url: str,
    name: str = "",
    expires_at: datetime.datetime | None = None,
    by: User | None = None,
    campaign_id: int | None = None,
) -> ShortLink:
    """A new short link of `account` to `url` (validated: raises TargetUrlError). The
    code is random; a collision (rare) draws again."""
    target = validate_target_url(url)
    for _attempt in range(10):
        try:
            with transaction.atomic():
                link = ShortLink.objects.create(
                    account=account,
                    created_by=by,
                    code=generate_code(code_length()),
                    target_url=target,
                    name=name.strip()[:100],
                    expires_at=expires_at or default_expiry(),
                    campaign_id=campaign_id,
                )
        except IntegrityError:
            continue
        _forget([link.code])  # a lookup may have cached it as unknown
        return link
    raise RuntimeError("no free short code after 10 draws: lengthen the code")


def link_update(*, link: ShortLink, name: str, expires_at: datetime.datetime) -> None:
    ShortLink.objects.filter(pk=link.pk).update(name=name.strip()[:100], expires_at=expires_at)
    _forget([link.code])


def links_delete(*, account: Account, links: QuerySet[ShortLink]) -> int:
    """Delete links of `account` (their clicks with them); their codes answer 404 at once."""
    codes = list(links.filter(account=account).values_list("code", flat=True))
    ShortLink.objects.filter(account=account, code__in=codes).delete()
    _forget(codes)
    return len(codes)


@dataclass(frozen=True)
class Target:
    link_id: int
    url: str
    expires_at: float  # a timestamp


# The redirect's cache lives in Redis under its own keys, read in the same round trip
# as the click is appended (shortener.clicks): "link id|expiry timestamp|url", or "-"
# for an unknown code (so a scan of random codes does not reach the database).
_PREFIX = "shortlink:"


def _cache_key(code: str) -> str:
    return f"{_PREFIX}{code}"


def _forget(codes: list[str]) -> None:
    if codes:
        redis_client().delete(*[_cache_key(code) for code in codes])


def target_from_cache(value: bytes | None) -> Target | str | None:
    """The cached entry as a Target, None for a known-unknown code, "" for a miss."""
    if value is None:
        return ""
    if value == _MISSING.encode():
        return None
    link_id, expires, url = value.decode().split("|", 2)
    return Target(int(link_id), url, float(expires))


def target_load(code: str) -> Target | None:
    """A cache miss: one indexed query, then the entry is cached."""
    row = ShortLink.objects.filter(code=code).values_list("pk", "target_url", "expires_at").first()
    key = _cache_key(code)
    if row is None:
        redis_client().set(key, _MISSING, ex=60)
        return None
    target = Target(row[0], row[1], row[2].timestamp())
    redis_client().set(key, f"{target.link_id}|{target.expires_at}|{target.url}", ex=CACHE_SECONDS)
    return target


def link_lookup(code: str) -> Target | None:
    """The lookup alone (no click), through the same cache."""
    found = target_from_cache(redis_client().get(_cache_key(code)))
    return target_load(code) if found == "" else found
