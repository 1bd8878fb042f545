"""The campaigns resource of the API: create drafts, schedule (or send now), cancel,
duplicate, and read their statistics.

Scopes: reading needs "read"; creating and duplicating drafts "manage"; scheduling
and cancelling "send" (a key that may send SMS may start or stop a campaign someone
prepared). Drafts are checked by the editor's own form (CampaignForm), scheduling
follows the editor's rules (ready, someone to send to, the marketing window).
"""

from __future__ import annotations

import datetime
from typing import Literal
from uuid import UUID

from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from campaigns.forms import MAX_PASTED_NUMBERS, CampaignForm, ReadyCheck
from campaigns.models import Campaign
from campaigns.selectors import campaign_report
from campaigns.services import (
    CampaignError,
    campaign_audience,
    campaign_cancel,
    campaign_duplicate,
    campaign_schedule,
    split_numbers,
)
from contacts.api import (
    Input,
    PageQuery,
    Text,
    account_of,
    account_zone,
    answers,
    keyset,
)
from contacts.models import ContactList
from shortener.clicks import clicks_flush
from smsmode.api.auth import api_auth, require_can_send, require_scope
from smsmode.api.errors import ApiError, not_found

router = Router(auth=api_auth)

MAX_AHEAD = datetime.timedelta(days=365)
# The form's field names, as the API names them.
_FIELDS = {
    "name": "name",
    "kind": "kind",
    "sender_id": "senderId",
    "body": "body",
    "lists": "lists",
    "numbers": "numbers",
}

# -------------------------------------------------------------------------- schemas


class CampaignOut(Schema):
    id: UUID
    name: str
    kind: str = Field(description="marketing or notification.")
    senderId: str = Field(description="Empty: the account's default sender ID.")
    body: str
    lists: list[UUID]
    numbers: list[str]
    status: str = Field(description="draft, scheduled, sending, sent or cancelled.")
    scheduledAt: datetime.datetime | None
    launchedAt: datetime.datetime | None
    completedAt: datetime.datetime | None
    cancelledAt: datetime.datetime | None
    launchError: str = Field(
        description='Why the last launch did not happen, e.g. "credits:12.50" missing.'
    )
    createdAt: datetime.datetime


class CampaignPage(Schema):
    items: list[CampaignOut]
    nextCursor: str | None


class CampaignIn(Input):
    name: Text = Field(min_length=1, max_length=120)
    kind: Literal["marketing", "notification"] = "marketing"
    senderId: Text = Field("", max_length=15)
    body: Text = Field("", max_length=5000)
    lists: list[UUID] = Field(default_factory=list, max_length=1000)
    numbers: list[Text] = Field(default_factory=list, max_length=MAX_PASTED_NUMBERS)


class CampaignQuery(PageQuery):
    status: Literal["draft", "scheduled", "sending", "sent", "cancelled"] = Field(None)
    kind: Literal["marketing", "notification"] = Field(None)


class ScheduleIn(Input):
    at: datetime.datetime | None = Field(
        None,
        description="When to send (ISO 8601; without an offset: the account's time zone). "
        "null or absent: now.",
    )


class ScheduleOut(Schema):
    campaign: CampaignOut
    requestedAt: datetime.datetime
    startsAt: datetime.datetime = Field(description="The real start (the window may hold it).")
    held: bool = Field(description="A marketing send moved to the next allowed minute.")


class StatisticsOut(Schema):
    status: str
    recipients: int
    excludedOptedOut: int
    excludedDuplicate: int
    excludedInvalid: int
    delivered: int
    failed: int
    pending: int
    unknown: int
    deliveryRate: float | None = Field(
        description="Delivered over the messages whose fate is known."
    )
    clicks: int = Field(description="Clicks by people on the campaign's tracked links.")
    clickers: int = Field(description="Recipients who clicked at least once.")
    clickRate: float | None = Field(description="CTR: clickers over delivered.")
    replies: int
    stopReplies: int
    segments: int
    creditsReserved: str
    creditsRefunded: str
    creditsSpent: str
    byStatus: dict[str, int]


# -------------------------------------------------------------------------- helpers


def _with_lists(queryset: QuerySet[Campaign]) -> QuerySet[Campaign]:
    # One more query for a whole page, not one per campaign.
    return queryset.prefetch_related(
        Prefetch("lists", queryset=ContactList.objects.only("pk", "public_id").order_by("name"))
    )


def _campaigns(request: HttpRequest) -> QuerySet[Campaign]:
    return _with_lists(Campaign.objects.filter(account=account_of(request)))


def _get_campaign(request: HttpRequest, public_id: UUID) -> Campaign:
    campaign = (
        _campaigns(request).select_related("account__plan").filter(public_id=public_id).first()
    )
    if campaign is None:
        raise not_found("campaign")
    return campaign


def _reloaded(campaign: Campaign) -> Campaign:
    """The campaign as stored now, with its lists (a service changed it)."""
    return _with_lists(Campaign.objects.filter(pk=campaign.pk)).get()


def _campaign_out(campaign: Campaign) -> dict:
    return {
        "id": campaign.public_id,
        "name": campaign.name,
        "kind": campaign.kind,
        "senderId": campaign.sender_id,
        "body": campaign.body,
        "lists": [lst.public_id for lst in campaign.lists.all()],
        "numbers": split_numbers(campaign.numbers),
        "status": campaign.status,
        "scheduledAt": campaign.scheduled_at,
        "launchedAt": campaign.launched_at,
        "completedAt": campaign.completed_at,
        "cancelledAt": campaign.cancelled_at,
        "launchError": campaign.launch_error,
        "createdAt": campaign.created_at,
    }


def _start_or_422(request: HttpRequest, at: datetime.datetime | None) -> datetime.datetime | None:
    if at is None:
        return None
    if timezone.is_naive(at):
        at = timezone.make_aware(at, account_zone(request))
    now = timezone.now()
    if at <= now:
        raise ApiError(
            422, "INVALID_FIELD", "Choose a time in the future (or null for now).", field="at"
        )
    if at > now + MAX_AHEAD:
        raise ApiError(422, "INVALID_FIELD", "Choose a time within a year.", field="at")
    # In UTC: PostgreSQL refuses offsets beyond ±15:59, which ISO 8601 allows.
    return at.astimezone(datetime.UTC)


# ------------------------------------------------------------------------ operations


@router.get(
    "",
    response=answers({200: CampaignPage}),
    operation_id="listCampaigns",
    summary="List campaigns",
)
def campaign_list(request: HttpRequest, filters: Query[CampaignQuery]) -> dict:
    """The account's campaigns, newest first; filter by `status` and `kind`."""
    require_scope(request, "read")
    queryset = _campaigns(request)
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.kind:
        queryset = queryset.filter(kind=filters.kind)
    page = keyset(queryset, filters)
    return {"items": [_campaign_out(c) for c in page.rows], "nextCursor": page.next_cursor}


@router.post(
    "",
    response=answers({201: CampaignOut}),
    operation_id="createCampaign",
    summary="Create a draft campaign",
)
def campaign_create(request: HttpRequest, payload: CampaignIn) -> Status:
    """A draft, checked as the editor checks it (sender ID, merge fields, length)."""
    key = require_scope(request, "manage")
    account = account_of(request)
    form = CampaignForm(
        {
            "name": payload.name,
            "kind": payload.kind,
            "sender_id": payload.senderId,
            "body": payload.body,
            "lists": [str(public_id) for public_id in payload.lists],
            "numbers": "\n".join(payload.numbers),
        },
        account=account,
    )
    if not form.is_valid():
        errors = [
            {"field": _FIELDS.get(name, name), "reason": " ".join(messages)}
            for name, messages in form.errors.items()
        ]
        first = errors[0]
        raise ApiError(
            422,
            "INVALID_FIELD",
            f"{first['field']}: {first['reason']}",
            extra={"errors": errors},
        )
    campaign = form.save(commit=False)
    campaign.account = account
    campaign.created_by = key.created_by
    campaign.save()
    form.save_m2m()
    return Status(201, _campaign_out(_reloaded(campaign)))


@router.get(
    "{id}",
    response=answers({200: CampaignOut}, 404),
    operation_id="getCampaign",
    summary="Get a campaign",
)
def campaign_detail(request: HttpRequest, id: UUID) -> dict:
    require_scope(request, "read")
    return _campaign_out(_get_campaign(request, id))


@router.post(
    "{id}/schedule",
    response=answers({200: ScheduleOut}, 404, 409),
    operation_id="scheduleCampaign",
    summary="Schedule (or send now) a campaign",
)
def campaign_schedule_op(request: HttpRequest, id: UUID, payload: ScheduleIn) -> dict:
    """Send the draft now (`at` null) or at `at`. A marketing campaign outside the
    sending window starts at the next allowed minute: the answer says when (`startsAt`,
    `held`). 409 CAMPAIGN_NOT_DRAFT when it was already scheduled."""
    key = require_scope(request, "send")
    require_can_send(request)
    campaign = _get_campaign(request, id)
    at = _start_or_422(request, payload.at)
    if campaign.status != Campaign.Status.DRAFT:
        raise ApiError(
            409, "CAMPAIGN_NOT_DRAFT", f"The campaign is {campaign.status}: only a draft is sent."
        )
    ready = ReadyCheck(campaign)
    if not ready.ok:
        raise ApiError(422, "CAMPAIGN_NOT_READY", " ".join(ready.problems))
    if campaign_audience(campaign=campaign).count() == 0:
        raise ApiError(
            422, "NO_RECIPIENTS", "Nobody would receive this campaign: check its recipients."
        )
    requested = at or timezone.now()
    try:
        # `requested` rather than None for now: the same instant decides whether the
        # window held it.
        scheduled = campaign_schedule(campaign=campaign, at=requested, by=key.created_by)
    except CampaignError:
        raise ApiError(
            403, "ACCOUNT_SUSPENDED", "This account is suspended: it sends nothing."
        ) from None
    if not scheduled:
        raise ApiError(409, "CAMPAIGN_NOT_DRAFT", "The campaign was scheduled meanwhile.")
    starts = campaign.scheduled_at or requested
    return {
        "campaign": _campaign_out(_reloaded(campaign)),
        "requestedAt": requested,
        "startsAt": starts,
        "held": starts > requested,
    }


@router.post(
    "{id}/cancel",
    response=answers({200: CampaignOut}, 404, 409),
    operation_id="cancelCampaign",
    summary="Cancel a campaign",
)
def campaign_cancel_op(request: HttpRequest, id: UUID) -> dict:
    """Cancel a scheduled or sending campaign: messages not yet submitted are cancelled
    and refunded. 409 CAMPAIGN_NOT_CANCELLABLE for a draft, sent or cancelled one."""
    key = require_scope(request, "send")
    campaign = _get_campaign(request, id)
    if not campaign_cancel(campaign=campaign, by=key.created_by):
        raise ApiError(
            409,
            "CAMPAIGN_NOT_CANCELLABLE",
            f"The campaign is {campaign.status}: only a scheduled or sending one is cancelled.",
        )
    return _campaign_out(_reloaded(campaign))


@router.post(
    "{id}/duplicate",
    response=answers({201: CampaignOut}, 404),
    operation_id="duplicateCampaign",
    summary="Duplicate a campaign",
)
def campaign_duplicate_op(request: HttpRequest, id: UUID) -> Status:
    """A new draft with the campaign's name (+ " (copy)"), message and recipients."""
    key = require_scope(request, "manage")
    copy = campaign_duplicate(campaign=_get_campaign(request, id), by=key.created_by)
    return Status(201, _campaign_out(_reloaded(copy)))


@router.get(
    "{id}/statistics",
    response=answers({200: StatisticsOut}, 404),
    operation_id="getCampaignStatistics",
    summary="Get a campaign's statistics",
)
def campaign_statistics(request: HttpRequest, id: UUID) -> dict:
    """The report's figures (test sends left out): delivery, clicks, replies, credits."""
    require_scope(request, "read")
    campaign = _get_campaign(request, id)
    if campaign.tracked_links:
        clicks_flush(max_batches=2, wait=False)  # the click figures current
        campaign.refresh_from_db(fields=["clicks", "clickers"])
    report = campaign_report(campaign=campaign)
    return {
        "status": campaign.status,
        "recipients": report.recipients,
        "excludedOptedOut": campaign.excluded_opted_out,
        "excludedDuplicate": campaign.excluded_duplicate,
        "excludedInvalid": campaign.excluded_invalid,
        "delivered": report.delivered,
        "failed": report.failed,
        "pending": report.pending,
        "unknown": report.unknown,
        "deliveryRate": report.delivery_rate,
        "clicks": report.clicks,
        "clickers": report.clickers,
        "clickRate": report.click_rate,
        "replies": report.replies,
        "stopReplies": report.stop_replies,
        "segments": campaign.segments,
        "creditsReserved": str(campaign.credits_reserved),
        "creditsRefunded": str(campaign.credits_refunded),
        "creditsSpent": str(report.credits_spent),
        "byStatus": report.by_status,
    }
