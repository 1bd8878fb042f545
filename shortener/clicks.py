"""Clicks: the redirect appends an event to Redis and returns at once; a job turns the
events into Click rows and counters. No request ever waits on a shared row, so one hot
link does not serialise its visitors.

Exactly once: events carry an id; the flush runs under a Redis lock, reads a batch
from the head of the list, skips ids already stored (a flush that died after its
commit but before trimming the list), inserts the rest with the counters in one
transaction, then trims the batch. Events are never lost: they leave Redis only after
their commit.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import hmac
import json
import uuid
from collections import Counter, defaultdict

import django_rq
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone

from shortener.models import Click, ShortLink
from shortener.safety import is_bot

PENDING = "clicks:pending"
LOCK = "clicks:flush-lock"
SCHEDULED = "clicks:flush-scheduled"
BATCH = 5000
FLUSH_DELAY = 2  # seconds: a click shows in the counts within a few seconds


@functools.cache
def _redis():
    """One client per process: a new one per click would open a TCP connection each
    time (redis-py resets its pool by itself in a forked worker)."""
    return django_rq.get_connection("default")


def _visitor(request: HttpRequest) -> str:
    """A keyed hash of the address and the browser: tells visitors apart, and cannot
    be turned back into an IP address without the secret key."""
    address = request.META.get("REMOTE_ADDR", "")
    agent = request.META.get("HTTP_USER_AGENT", "")
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"{address}|{agent}".encode(), hashlib.sha256).hexdigest()[:32]


def click_record(request: HttpRequest, link_id: int) -> None:
    """Append a click event (one Redis round trip) and make sure a flush is coming."""
    agent = request.META.get("HTTP_USER_AGENT", "")
    event = {
        "id": uuid.uuid4().hex,
        "link": link_id,
        "at": timezone.now().timestamp(),
        "bot": is_bot(agent),
        "visitor": _visitor(request),
        "ua": agent[:300],
        "ref": request.META.get("HTTP_REFERER", "")[:500],
    }
    redis = _redis()
    pipe = redis.pipeline(transaction=False)  # one round trip, no MULTI/EXEC
    pipe.rpush(PENDING, json.dumps(event))
    pipe.set(SCHEDULED, "1", nx=True, ex=FLUSH_DELAY)
    _pushed, first = pipe.execute()
    if first:
        from shortener.jobs import clicks_flush_job

        queue = django_rq.get_queue("default", commit_mode="auto")
        queue.enqueue_in(datetime.timedelta(seconds=FLUSH_DELAY), clicks_flush_job)


def clicks_flush(*, max_batches: int = 100) -> int:
    """Move pending click events into Click rows and the links' counters. Safe to run
    at any time and concurrently (a lock); returns how many clicks were stored."""
    redis = _redis()
    lock = redis.lock(LOCK, timeout=60, blocking_timeout=5)
    if not lock.acquire():
        return 0
    stored = 0
    try:
        for _ in range(max_batches):
            raw = redis.lrange(PENDING, 0, BATCH - 1)
            if not raw:
                break
            stored += _store([json.loads(item) for item in raw])
            redis.ltrim(PENDING, len(raw), -1)
            lock.extend(60, replace_ttl=True)
    finally:
        lock.release()
    return stored


def _store(events: list[dict]) -> int:
    ids = {uuid.UUID(event["id"]) for event in events}
    seen = set(Click.objects.filter(event_id__in=ids).values_list("event_id", flat=True))
    fresh = [event for event in events if uuid.UUID(event["id"]) not in seen]
    live = set(
        ShortLink.objects.filter(pk__in={event["link"] for event in fresh}).values_list(
            "pk", flat=True
        )
    )
    fresh = [event for event in fresh if event["link"] in live]  # a link deleted meanwhile
    if not fresh:
        return 0
    # A visitor's first (non-bot) click of a link is a unique click.
    pairs = {(event["link"], event["visitor"]) for event in fresh if not event["bot"]}
    known = set(
        Click.objects.filter(
            link_id__in={link for link, _v in pairs},
            visitor__in={visitor for _l, visitor in pairs},
            is_bot=False,
        ).values_list("link_id", "visitor")
    )
    rows, first_seen = [], set()
    for event in sorted(fresh, key=lambda e: e["at"]):
        pair = (event["link"], event["visitor"])
        unique = not event["bot"] and pair not in known and pair not in first_seen
        if unique:
            first_seen.add(pair)
        rows.append(
            Click(
                event_id=uuid.UUID(event["id"]),
                link_id=event["link"],
                at=datetime.datetime.fromtimestamp(event["at"], tz=datetime.UTC),
                is_bot=event["bot"],
                is_unique=unique,
                visitor=event["visitor"],
                user_agent=event["ua"],
                referrer=event["ref"],
            )
        )
    clicks: Counter = Counter()
    uniques: Counter = Counter()
    bots: Counter = Counter()
    last: dict[int, datetime.datetime] = defaultdict(
        lambda: datetime.datetime.min.replace(tzinfo=datetime.UTC)
    )
    for row in rows:
        if row.is_bot:
            bots[row.link_id] += 1
        else:
            clicks[row.link_id] += 1
            uniques[row.link_id] += int(row.is_unique)
        last[row.link_id] = max(last[row.link_id], row.at)
    with transaction.atomic():
        Click.objects.bulk_create(rows, batch_size=1000)
        for link_id in last:
            ShortLink.objects.filter(pk=link_id).update(
                clicks=F("clicks") + clicks[link_id],
                unique_clicks=F("unique_clicks") + uniques[link_id],
                bot_clicks=F("bot_clicks") + bots[link_id],
                last_click_at=last[link_id],
            )
    return len(rows)
