"""Reads of campaigns: the estimate the editor shows before sending, the figures of a
campaign's report. Both stay cheap with a million recipients or messages: counts go
through indexes, the longest rendering is found from the longest values."""

from __future__ import annotations

import datetime
import itertools
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.db.models.functions import Length, TruncHour
from django.utils import timezone

from campaigns.models import Campaign, Message, Reply
from campaigns.rendering import STANDARD_FIELDS, contact_values
from campaigns.services import (
    Renderer,
    campaign_audience,
    campaign_start_preview,
    list_contacts_query,
)
from contacts.forms import phone_international
from shortener.tracking import URL_IN_TEXT, placeholder_url
from smsmode.dashboard import stats

SAMPLE = 300


@dataclass
class Estimate:
    recipients: int
    opted_out: int
    duplicate: int
    invalid: int
    segments_max: int
    encoding: str
    cost_max: Decimal
    balance: Decimal
    preview: str
    preview_for: str
    start: dict
    missing: Decimal = Decimal(0)
    tracked_links: int = 0  # links of the message shortened per recipient
    untracked_links: int = 0  # links left as written (the plan has no shortener)
    short_url_sample: str = ""

    @property
    def balance_after(self) -> Decimal:
        return self.balance - self.cost_max


def campaign_estimate(*, campaign: Campaign, at: datetime.datetime | None = None) -> Estimate:
    """Who will receive the campaign, what it costs at most (every message priced at
    the longest rendering), the balance after, a preview for the recipient with the
    longest message, and when it would really start."""
    account = campaign.account
    audience = campaign_audience(campaign=campaign)
    list_ids = list(campaign.lists.values_list("pk", flat=True))
    renderer = Renderer(campaign, account)
    keys = renderer.template.keys
    recipients = audience.count()
    reader = iter(audience.recipients)
    try:
        samples: list[tuple[str, dict]] = [
            (recipient.phone, recipient.values) for recipient in itertools.islice(reader, SAMPLE)
        ]
    finally:
        reader.close()  # releases the server-side cursor of the lists' contacts
    if list_ids and keys & set(STANDARD_FIELDS):
        base = list_contacts_query(campaign, list_ids)
        for key in keys & set(STANDARD_FIELDS):
            longest = (
                base.annotate(size=Length(key))
                .order_by("-size")
                .values_list("phone", "first_name", "last_name", "custom")
                .first()
            )
            if longest:
                samples.append((longest[0], contact_values(longest[1], longest[2], longest[3])))
    worst = None
    for phone, values in samples or [("", {})]:
        rendered = renderer.render(values)
        if worst is None or (rendered.segments, len(rendered.text)) > (
            worst[1].segments,
            len(worst[1].text),
        ):
            worst = (phone, rendered)
    phone, rendered = worst
    price = account.plan.credits_per_segment
    cost = price * rendered.segments * recipients
    estimate = Estimate(
        recipients=recipients,
        opted_out=audience.opted_out,
        duplicate=audience.duplicate,
        invalid=audience.invalid,
        segments_max=rendered.segments if recipients else 0,
        encoding=rendered.encoding,
        cost_max=cost,
        balance=account.credit_balance,
        preview=rendered.text,
        preview_for=phone_international(phone) if phone else "",
        start=campaign_start_preview(campaign=campaign, at=at),
    )
    if cost > account.credit_balance:
        estimate.missing = cost - account.credit_balance
    if renderer.track:
        estimate.tracked_links = len(rendered.targets)
        estimate.short_url_sample = placeholder_url()
    else:
        estimate.untracked_links = len(URL_IN_TEXT.findall(rendered.text))
    return estimate


@dataclass
class Report:
    by_status: dict[str, int]
    recipients: int
    submitted_ever: int
    delivered: int
    failed: int
    pending: int
    unknown: int
    delivery_rate: float | None
    stop_replies: int
    replies: int
    credits_spent: Decimal
    timeline: list[tuple[datetime.datetime, int]] = field(default_factory=list)
    tracked: bool = False  # the campaign's links were shortened per recipient
    clicks: int = 0
    clickers: int = 0
    click_rate: float | None = None


PENDING = (
    Message.Status.QUEUED,
    Message.Status.HELD,
    Message.Status.SUBMITTING,
    Message.Status.SUBMITTED,
)
NOT_DELIVERED = (
    Message.Status.UNDELIVERED,
    Message.Status.EXPIRED,
    Message.Status.REJECTED,
    Message.Status.FAILED,
)


def delivery_rate(by_status: dict[str, int]) -> float | None:
    """Delivered over the messages whose fate is known or lost (delivered, not
    delivered, unknown); None before any."""
    delivered = by_status.get(Message.Status.DELIVERED, 0)
    reached = (
        delivered
        + by_status.get(Message.Status.UNKNOWN, 0)
        + sum(by_status.get(state, 0) for state in NOT_DELIVERED)
    )
    return delivered / reached if reached else None


def click_rate(campaign: Campaign, delivered: int) -> float | None:
    """CTR: the recipients who clicked (people, not link previews) over the messages
    delivered; None for a campaign without tracked links or before any delivery."""
    if not campaign.tracked_links or not delivered:
        return None
    return min(campaign.clickers / delivered, 1.0)


def campaign_report(*, campaign: Campaign) -> Report:
    """The campaign's figures, from its messages (test sends left out): one grouped
    count over the (campaign, status) index, one for replies, one for the timeline."""
    messages = Message.objects.filter(campaign=campaign, is_test=False)
    by_status = dict(messages.values("status").annotate(n=Count("id")).values_list("status", "n"))
    delivered = by_status.get(Message.Status.DELIVERED, 0)
    failed = sum(by_status.get(status, 0) for status in NOT_DELIVERED)
    pending = sum(by_status.get(status, 0) for status in PENDING)
    unknown = by_status.get(Message.Status.UNKNOWN, 0)
    reached = delivered + failed + unknown
    replies = Reply.objects.filter(campaign=campaign).aggregate(
        all=Count("id"), stop=Count("id", filter=Q(is_stop=True))
    )
    timeline = list(
        messages.filter(status=Message.Status.DELIVERED, final_at__isnull=False)
        .annotate(hour=TruncHour("final_at", tzinfo=timezone.get_current_timezone()))
        .values("hour")
        .annotate(n=Count("id"))
        .order_by("hour")
        .values_list("hour", "n")[:200]
    )
    return Report(
        by_status=by_status,
        recipients=campaign.recipients,
        submitted_ever=reached + by_status.get(Message.Status.SUBMITTED, 0),
        delivered=delivered,
        failed=failed,
        pending=pending,
        unknown=unknown,
        delivery_rate=delivery_rate(by_status),
        stop_replies=replies["stop"],
        replies=replies["all"],
        credits_spent=campaign.credits_reserved - campaign.credits_refunded,
        timeline=timeline,
        tracked=bool(campaign.tracked_links),
        clicks=campaign.clicks,
        clickers=campaign.clickers,
        click_rate=click_rate(campaign, delivered),
    )


def campaign_list_figures(*, campaigns: list[Campaign]) -> dict[int, tuple[int, float | None]]:
    """(delivered, delivery rate) per campaign of a list, from the dashboard's
    per-campaign counters and the deltas not folded yet: two small queries, however
    many messages the campaigns have (test sends left out)."""
    ids = [campaign.pk for campaign in campaigns if campaign.launched_at is not None]
    counts: dict[int, dict[str, int]] = {pk: {} for pk in ids}
    if ids:
        with stats.one_snapshot():
            rows = _campaign_counts(campaigns, ids)
        for campaign_id, state, n in rows:
            counts[campaign_id][state] = counts[campaign_id].get(state, 0) + n
    return {
        pk: (by_status.get(Message.Status.DELIVERED, 0), delivery_rate(by_status))
        for pk, by_status in counts.items()
    }


def _campaign_counts(campaigns: list[Campaign], ids: list[int]) -> list[tuple[int, str, int]]:
    """The counters of these campaigns, then their deltas not folded yet."""
    from smsmode.dashboard.models import CampaignStat, StatDelta

    rows = list(
        CampaignStat.objects.filter(campaign_id__in=ids).values_list(
            "campaign_id", "state", "messages"
        )
    )
    rows += list(
        StatDelta.objects.filter(
            account_id__in={campaign.account_id for campaign in campaigns},
            campaign_id__in=ids,
        )
        .values_list("campaign_id", "state")
        .annotate(n=Sum("messages"))
        .order_by()
    )
    return rows
