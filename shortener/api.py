"""The short links resource of the API (plans with the URL shortener: Classic and up;
a Start account gets 403 FEATURE_NOT_IN_PLAN on every operation).

Targets go through `validate_target_url` (the web tab's rule): a refused URL is a 422
naming `url` with its message. A link's target is fixed once created (it may already
be printed or sent); its name and expiry may change.
"""

from __future__ import annotations

import datetime
from uuid import UUID

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from contacts.api import (
    Input,
    PageQuery,
    Text,
    account_of,
    account_zone,
    answers,
    keyset,
)
from shortener.clicks import clicks_flush
from shortener.models import ShortLink
from shortener.safety import TargetUrlError
from shortener.services import default_expiry, link_create, link_update, links_delete, short_url
from shortener.views.links import links_search
from smsmode.accounts.models import ApiKey
from smsmode.api.auth import api_auth, require_feature, require_scope
from smsmode.api.errors import ApiError, not_found
from smsmode.billing.models import Feature

router = Router(auth=api_auth)

MAX_LIFETIME = datetime.timedelta(days=3 * 366)  # as the tab's form
STATISTICS_DAYS = 60

# -------------------------------------------------------------------------- schemas


class LinkOut(Schema):
    id: UUID
    code: str
    shortUrl: str = Field(description="What goes into an SMS: `domain/code`.")
    url: str = Field(description="The target.")
    name: str
    expiresAt: datetime.datetime
    expired: bool
    clicks: int = Field(description="Clicks by people (bots and link previews left out).")
    uniqueClicks: int
    botClicks: int
    lastClickAt: datetime.datetime | None
    campaign: UUID | None = Field(description="The campaign of a per-recipient link.")
    recipient: str | None = Field(description="The number a per-recipient link was sent to.")
    createdAt: datetime.datetime


class LinkPage(Schema):
    items: list[LinkOut]
    nextCursor: str | None


class LinkIn(Input):
    url: str = Field(description="http(s) only, no credentials, 2,048 characters at most.")
    name: Text = Field("", max_length=100)
    expiresAt: datetime.datetime | None = Field(
        None, description="Default: one month from now. At most three years ahead."
    )


class LinkPatch(Input):
    name: Text = Field(None, max_length=100)
    expiresAt: datetime.datetime = Field(None)


class LinkQuery(PageQuery):
    q: Text = Field("", max_length=200, description="Part of the name or target, or the code.")
    campaign: bool = Field(False, description="true: the per-recipient links of campaigns instead.")


class DayOut(Schema):
    date: datetime.date
    clicks: int
    uniqueClicks: int


class LinkStatisticsOut(Schema):
    clicks: int
    uniqueClicks: int
    botClicks: int
    lastClickAt: datetime.datetime | None
    perDay: list[DayOut] = Field(
        description="The last 60 days with clicks by people, in the account's time zone."
    )


# -------------------------------------------------------------------------- helpers


def _gate(request: HttpRequest, scope: str) -> ApiKey:
    """The plan gate first: a Start account learns that it lacks the feature, whatever
    the id it asked for."""
    require_feature(request, Feature.URL_SHORTENER)
    return require_scope(request, scope)


def _links(request: HttpRequest) -> QuerySet[ShortLink]:
    return ShortLink.objects.filter(account=account_of(request)).select_related(
        "campaign", "message"
    )


def _get_link(request: HttpRequest, public_id: UUID) -> ShortLink:
    link = _links(request).filter(public_id=public_id).first()
    if link is None:
        raise not_found("short link")
    return link


def _link_out(link: ShortLink, now: datetime.datetime | None = None) -> dict:
    now = now or timezone.now()
    return {
        "id": link.public_id,
        "code": link.code,
        "shortUrl": short_url(link),
        "url": link.target_url,
        "name": link.name,
        "expiresAt": link.expires_at,
        "expired": link.expires_at <= now,
        "clicks": link.clicks,
        "uniqueClicks": link.unique_clicks,
        "botClicks": link.bot_clicks,
        "lastClickAt": link.last_click_at,
        "campaign": link.campaign.public_id if link.campaign_id else None,
        "recipient": link.message.phone if link.message_id and link.message else None,
        "createdAt": link.created_at,
    }


def _expiry_or_422(request: HttpRequest, value: datetime.datetime) -> datetime.datetime:
    if timezone.is_naive(value):
        value = timezone.make_aware(value, account_zone(request))
    now = timezone.now()
    if value <= now:
        raise ApiError(422, "INVALID_FIELD", "Choose a time in the future.", field="expiresAt")
    if value > now + MAX_LIFETIME:
        raise ApiError(422, "INVALID_FIELD", "Choose a date within three years.", field="expiresAt")
    # In UTC: PostgreSQL refuses offsets beyond ±15:59, which ISO 8601 allows.
    return value.astimezone(datetime.UTC)


# ------------------------------------------------------------------------ operations


@router.get(
    "", response=answers({200: LinkPage}), operation_id="listLinks", summary="List short links"
)
def link_list(request: HttpRequest, filters: Query[LinkQuery]) -> dict:
    """The account's short links, newest first (`campaign=true`: the per-recipient
    links of its campaigns)."""
    _gate(request, "read")
    clicks_flush(max_batches=2, wait=False)  # counts current, as the tab does
    # Campaign links come with their campaign and message (links_search joins them).
    queryset = links_search(
        account=account_of(request), q=filters.q, campaign_links=filters.campaign
    )
    page = keyset(queryset, filters)
    now = timezone.now()
    return {"items": [_link_out(link, now) for link in page.rows], "nextCursor": page.next_cursor}


@router.post(
    "", response=answers({201: LinkOut}), operation_id="createLink", summary="Create a short link"
)
def link_create_op(request: HttpRequest, payload: LinkIn) -> Status:
    """A new short link with a random code."""
    key = _gate(request, "manage")
    expires = _expiry_or_422(request, payload.expiresAt) if payload.expiresAt else default_expiry()
    try:
        link = link_create(
            account=account_of(request),
            url=payload.url,
            name=payload.name,
            expires_at=expires,
            by=key.created_by,
        )
    except TargetUrlError as exc:
        raise ApiError(422, "INVALID_FIELD", exc.message, field="url") from None
    return Status(201, _link_out(link))


@router.get(
    "{id}",
    response=answers({200: LinkOut}, 404),
    operation_id="getLink",
    summary="Get a short link",
)
def link_detail(request: HttpRequest, id: UUID) -> dict:
    _gate(request, "read")
    clicks_flush(max_batches=2, wait=False)
    return _link_out(_get_link(request, id))


@router.patch(
    "{id}",
    response=answers({200: LinkOut}, 404),
    operation_id="updateLink",
    summary="Update a short link",
)
def link_update_op(request: HttpRequest, id: UUID, payload: LinkPatch) -> dict:
    """Rename the link or change its expiry (its target stays)."""
    _gate(request, "manage")
    link = _get_link(request, id)
    data = payload.model_dump(exclude_unset=True)  # null is refused by the schema
    expires = _expiry_or_422(request, data["expiresAt"]) if "expiresAt" in data else link.expires_at
    name = data.get("name", link.name)
    link_update(link=link, name=name, expires_at=expires)
    return _link_out(_get_link(request, id))


@router.delete(
    "{id}",
    response=answers({204: None}, 404),
    operation_id="deleteLink",
    summary="Delete a short link",
)
def link_delete(request: HttpRequest, id: UUID) -> Status:
    """Delete the link and its clicks: its short URL answers 404 at once."""
    _gate(request, "manage")
    link = _get_link(request, id)
    links_delete(account=account_of(request), links=ShortLink.objects.filter(pk=link.pk))
    return Status(204, None)


@router.get(
    "{id}/statistics",
    response=answers({200: LinkStatisticsOut}, 404),
    operation_id="getLinkStatistics",
    summary="Get a short link's statistics",
)
def link_statistics(request: HttpRequest, id: UUID) -> dict:
    """Clicks, unique clicks, bot clicks, and clicks by people per day."""
    _gate(request, "read")
    link = _get_link(request, id)
    clicks_flush(max_batches=2, wait=False)
    link.refresh_from_db(fields=["clicks", "unique_clicks", "bot_clicks", "last_click_at"])
    per_day = list(
        link.click_events.filter(is_bot=False)
        .annotate(day=TruncDate("at", tzinfo=account_zone(request)))
        .values("day")
        .annotate(n=Count("id"), unique=Count("id", filter=Q(is_unique=True)))
        .order_by("-day")
        .values_list("day", "n", "unique")[:STATISTICS_DAYS]
    )[::-1]
    return {
        "clicks": link.clicks,
        "uniqueClicks": link.unique_clicks,
        "botClicks": link.bot_clicks,
        "lastClickAt": link.last_click_at,
        "perDay": [{"date": day, "clicks": n, "uniqueClicks": u} for day, n, u in per_day],
    }
