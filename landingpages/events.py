"""What public pages record: a row per view, click and submission (`PageEvent`), and
the form's rate limit.

Counting stays right under concurrency because nothing shared is updated: each visit
inserts its own row, and the figures are COUNT queries over the events' indexes
(`landingpages.selectors`). The one decision that two requests could race on, "is this
the visitor's first view of the page?", is taken by the database (has this visitor a
view already: one query on the (page, visitor) index) and by Redis (`SET NX` on the
page and visitor: of two first views arriving together, only one wins it). Bots and
link previews are stored with `is_bot` and never counted as views, unique or not.

The visitor is shortener's keyed hash of the address and the browser: no IP stored,
and the same person has the same hash on a short link and on the page it leads to.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.http import HttpRequest
from redis.exceptions import RedisError

from campaigns.models import Message
from landingpages.models import FormSubmission, LandingPage, PageEvent
from landingpages.personalize import campaign_id_of
from shortener.clicks import _is_bot, _visitor, redis_client

log = logging.getLogger(__name__)

SEEN_TTL = 2 * 86400  # seconds: longer than any two requests can race
FORM_LIMIT = 5  # submissions (attempts) per visitor and page ...
FORM_WINDOW = 600  # ... in this many seconds


def visitor_of(request: HttpRequest) -> str:
    return _visitor(request)


def is_bot_request(request: HttpRequest) -> bool:
    return _is_bot(request.META.get("HTTP_USER_AGENT", ""))


def _first_view_claimed(page: LandingPage, visitor: str) -> bool:
    try:
        return bool(
            redis_client().set(f"lp:seen:{page.public_id}:{visitor}", 1, nx=True, ex=SEEN_TTL)
        )
    except RedisError:  # the database's answer alone: a rare double count, no error page
        log.warning("landing page view: Redis unavailable, unique view from the database only")
        return True


def record_view(
    request: HttpRequest, page: LandingPage, *, message: Message | None = None
) -> PageEvent:
    """One view of a published page (the caller records GETs only, not HEAD nor the
    editor's preview). Unique when it is the visitor's first (non-bot) view."""
    visitor = visitor_of(request)
    bot = is_bot_request(request)
    unique = False
    if not bot:
        seen = PageEvent.objects.filter(
            page=page, visitor=visitor, kind=PageEvent.Kind.VIEW, is_bot=False
        ).exists()
        unique = not seen and _first_view_claimed(page, visitor)
    return PageEvent.objects.create(
        page=page,
        kind=PageEvent.Kind.VIEW,
        visitor=visitor,
        is_unique=unique,
        is_bot=bot,
        message=message,
        campaign_id=campaign_id_of(message),
    )


def record_click(
    request: HttpRequest, page: LandingPage, block_id: str, *, message: Message | None = None
) -> PageEvent:
    """A click through one of the page's blocks (button, map, video)."""
    return PageEvent.objects.create(
        page=page,
        kind=PageEvent.Kind.CLICK,
        block_id=block_id,
        visitor=visitor_of(request),
        is_bot=is_bot_request(request),
        message=message,
        campaign_id=campaign_id_of(message),
    )


def record_submission(
    request: HttpRequest,
    page: LandingPage,
    block_id: str,
    *,
    data: dict,
    consent: bool,
    message: Message | None = None,
) -> FormSubmission:
    """A form sent: its row and its submit event, together or not at all."""
    visitor = visitor_of(request)
    campaign_id = campaign_id_of(message)
    with transaction.atomic():
        submission = FormSubmission.objects.create(
            page=page,
            block_id=block_id,
            data=data,
            consent=consent,
            message=message,
            campaign_id=campaign_id,
            visitor=visitor,
        )
        PageEvent.objects.create(
            page=page,
            kind=PageEvent.Kind.SUBMIT,
            block_id=block_id,
            visitor=visitor,
            is_bot=is_bot_request(request),
            message=message,
            campaign_id=campaign_id,
        )
    return submission


def form_rate_limited(page: LandingPage, visitor: str) -> bool:
    """Counts this attempt and says whether the visitor is over FORM_LIMIT attempts at
    the page's forms in the current FORM_WINDOW (a fixed window started by the first
    attempt). Redis down: not limited (the form keeps working; logged)."""
    key = f"lp:form:{page.public_id}:{visitor}"
    try:
        pipe = redis_client().pipeline(transaction=True)
        pipe.set(key, 0, ex=FORM_WINDOW, nx=True)
        pipe.incr(key)
        _created, attempts = pipe.execute()
    except RedisError:
        log.warning("landing page form: Redis unavailable, rate limit not applied")
        return False
    return int(attempts) > FORM_LIMIT
