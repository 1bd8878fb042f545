"""Campaign writes: schedule, launch, cancel, duplicate, test sends.

The launch is the one big write: in one transaction it locks the campaign, resolves
the recipients (lists and pasted numbers, minus opt-outs, duplicates and invalid
numbers, each counted), renders each message, reserves the credits (the account row
is locked by `credits_add`, so concurrent launches of one account are serialised and
the balance never goes negative) and inserts every message (COPY on PostgreSQL). Not
enough credits: nothing at all happens but a note on the campaign of what is missing.
"""

from __future__ import annotations

import datetime
import itertools
import logging
import re
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from campaigns.models import Campaign, Kind, Message
from campaigns.rendering import Template, contact_values, parse_template
from contacts.models import Contact, Membership, OptOut
from smsmode.accounts.models import Account, User
from smsmode.billing.models import LedgerKind
from smsmode.billing.services import InsufficientCredits, credits_add
from smsmode.sms.encoding import count_segments
from smsmode.sms.numbers import PhoneNumberError, normalize_phone_fast
from smsmode.sms.stop import stop_code_for, with_stop_mention
from smsmode.sms.windows import held_until

logger = logging.getLogger(__name__)

COPY_BATCH = 10_000
MAX_TEST_NUMBERS = 5
_NUMBER_SPLIT = re.compile(r"[\n,;]+")


class CampaignError(ValueError):
    """A campaign change the rules refuse; `code` says which rule."""

    def __init__(self, code: str, **params: object) -> None:
        self.code = code
        self.params = params
        super().__init__(code)


# --------------------------------------------------------------------- rendering


def final_text(campaign: Campaign, account: Account, body: str) -> str:
    """What is sent: the body with the STOP mention for marketing."""
    if campaign.kind == Kind.MARKETING:
        return with_stop_mention(body, code=stop_code_for(account))
    return body


def split_numbers(text: str) -> list[str]:
    return [item.strip() for item in _NUMBER_SPLIT.split(text or "") if item.strip()]


@dataclass
class _Recipient:
    contact_id: int | None
    phone: str
    values: dict


@dataclass
class Audience:
    """Who a campaign goes to, and who was left out, by reason."""

    recipients: Iterable[_Recipient]
    opted_out: int = 0
    duplicate: int = 0
    invalid: int = 0
    list_query: object = None  # the list contacts kept (a queryset), None without lists
    pasted_count: int = 0

    def count(self) -> int:
        """How many recipients, without reading them: one COUNT for the lists."""
        return (self.list_query.count() if self.list_query is not None else 0) + (self.pasted_count)


def list_contacts_query(campaign: Campaign, list_ids: list[int]) -> QuerySet[Contact]:
    """The account's contacts in any of these lists, each once: a semi-join (EXISTS),
    not a join and a DISTINCT over a million rows."""
    in_a_list = Membership.objects.filter(contact_id=OuterRef("pk"), contact_list_id__in=list_ids)
    return Contact.objects.filter(Exists(in_a_list), account_id=campaign.account_id).order_by("id")


def _active_optouts(account_id: int):
    return OptOut.objects.filter(account_id=account_id, removed_at__isnull=True)


def campaign_audience(*, campaign: Campaign) -> Audience:
    """The recipients of `campaign` (a lazy iterator of the list contacts, then the
    pasted numbers) and the counts of those excluded. Reads only."""
    account = campaign.account
    list_ids = list(campaign.lists.values_list("pk", flat=True))
    optouts = _active_optouts(account.pk)
    audience = Audience(recipients=())
    in_lists = list_contacts_query(campaign, list_ids) if list_ids else Contact.objects.none()
    if list_ids:
        audience.opted_out = in_lists.filter(phone__in=optouts.values("phone")).count()
    pasted: list[str] = []
    seen_pasted: set[str] = set()
    for raw in split_numbers(campaign.numbers):
        try:
            phone = normalize_phone_fast(raw, default_region=account.country or "FR")
        except PhoneNumberError:
            audience.invalid += 1
            continue
        if phone in seen_pasted:
            audience.duplicate += 1
            continue
        seen_pasted.add(phone)
        pasted.append(phone)
    if pasted:
        in_list = set(in_lists.filter(phone__in=pasted).values_list("phone", flat=True))
        opted = set(optouts.filter(phone__in=pasted).values_list("phone", flat=True))
        kept = []
        for phone in pasted:
            if phone in in_list:
                audience.duplicate += 1
            elif phone in opted:
                audience.opted_out += 1
            else:
                kept.append(phone)
        pasted = kept
    known = {
        row[1]: row
        for row in Contact.objects.filter(account_id=account.pk, phone__in=pasted).values_list(
            "id", "phone", "first_name", "last_name", "custom"
        )
    }

    kept_in_lists = in_lists.exclude(phone__in=optouts.values("phone")) if list_ids else None
    audience.list_query = kept_in_lists
    audience.pasted_count = len(pasted)

    def recipients() -> Iterator[_Recipient]:
        if kept_in_lists is not None:
            rows = kept_in_lists.values_list(
                "id", "phone", "first_name", "last_name", "custom"
            ).iterator(chunk_size=5000)
            for contact_id, phone, first, last, custom in rows:
                yield _Recipient(contact_id, phone, contact_values(first, last, custom))
        for phone in pasted:
            row = known.get(phone)
            if row:
                yield _Recipient(row[0], phone, contact_values(row[2], row[3], row[4]))
            else:
                yield _Recipient(None, phone, {})

    audience.recipients = recipients()
    return audience


@dataclass
class Rendered:
    text: str
    encoding: str
    segments: int


class Renderer:
    """Renders and counts messages of one campaign; a static text is counted once."""

    def __init__(self, campaign: Campaign, account: Account) -> None:
        self.campaign = campaign
        self.account = account
        self.template: Template = parse_template(campaign.body)
        self._static: Rendered | None = None

    def render(self, values: dict) -> Rendered:
        if self.template.is_static:
            if self._static is None:
                self._static = self._count(self.template.render({}))
            return self._static
        return self._count(self.template.render(values))

    def _count(self, body: str) -> Rendered:
        text = final_text(self.campaign, self.account, body)
        encoding, segments = count_segments(text)
        return Rendered(text, encoding, segments)


# ------------------------------------------------------------------ inserting messages

_MESSAGE_COLUMNS = (
    "public_id, account_id, campaign_id, contact_id, is_test, kind, phone, sender, body, "
    "encoding, segments, cost, status, provider_id, error_code, attempts, not_before, "
    "created_at"
)


def _insert_messages(rows: Iterable[tuple]) -> None:
    """Insert message rows (in _MESSAGE_COLUMNS order), COPY_BATCH at a time: COPY on
    PostgreSQL. Each batch is read before its COPY starts: the rows come from a
    server-side cursor on the same connection, which cannot be read during a COPY."""
    source = iter(rows)
    postgres = connection.vendor == "postgresql"
    sql = f"INSERT INTO campaigns_message ({_MESSAGE_COLUMNS}) VALUES ({', '.join(['%s'] * 18)})"
    with connection.cursor() as cursor:
        while batch := list(itertools.islice(source, COPY_BATCH)):
            if postgres:
                copy_sql = f"COPY campaigns_message ({_MESSAGE_COLUMNS}) FROM STDIN"
                with cursor.cursor.copy(copy_sql) as copy:
                    for row in batch:
                        copy.write_row(row)
            else:
                cursor.executemany(sql, [(row[0].hex, *row[1:]) for row in batch])


# --------------------------------------------------------------------------- launch


def _start_time(campaign: Campaign, at: datetime.datetime) -> datetime.datetime:
    """A marketing send outside the window starts at the next allowed minute."""
    held = held_until(at, campaign.account.country or "FR", campaign.kind)
    return held or at


def campaign_start_preview(*, campaign: Campaign, at: datetime.datetime | None) -> dict:
    """When a send asked for `at` (None: now) would really start, for the editor."""
    asked = at or timezone.now()
    start = _start_time(campaign, asked)
    return {"asked": asked, "start": start, "held": start > asked}


def campaign_schedule(
    *, campaign: Campaign, at: datetime.datetime | None = None, by: User | None = None
) -> bool:
    """Send the draft now (at=None) or at `at`; held to the window for marketing.

    Exactly once: False when the campaign is no longer a draft (a double click).
    Raises CampaignError("suspended") for a suspended account."""
    if not campaign.account.can_send:
        raise CampaignError("suspended")
    start = _start_time(campaign, at or timezone.now())
    with transaction.atomic():
        updated = Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.DRAFT).update(
            status=Campaign.Status.SCHEDULED, scheduled_at=start, launch_error=""
        )
        if updated and start <= timezone.now():
            enqueue_launch(campaign.pk)
    campaign.refresh_from_db()
    return bool(updated)


def campaign_unschedule(*, campaign: Campaign) -> bool:
    """Back to draft (to edit it) while it has not started."""
    return bool(
        Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.SCHEDULED).update(
            status=Campaign.Status.DRAFT, scheduled_at=None
        )
    )


def enqueue_launch(campaign_id: int) -> None:
    import django_rq

    from campaigns.jobs import campaign_launch_job

    django_rq.get_queue("default").enqueue(campaign_launch_job, campaign_id, job_timeout=3600)


def enqueue_dispatch(campaign_id: int, *, jobs: int | None = None) -> None:
    import django_rq

    from campaigns.jobs import campaign_dispatch_job

    queue = django_rq.get_queue("sms")
    for _ in range(jobs or settings.CAMPAIGN_DISPATCH_JOBS):
        queue.enqueue(campaign_dispatch_job, campaign_id, job_timeout=1800)


def campaigns_launch_due() -> int:
    """The periodic job: launch every scheduled campaign whose time has come. Each is
    launched under its row lock, so overlapping runs launch it once."""
    due = list(
        Campaign.objects.filter(
            status=Campaign.Status.SCHEDULED, scheduled_at__lte=timezone.now()
        ).values_list("pk", flat=True)[:100]
    )
    launched = 0
    for campaign_id in due:
        launched += int(campaign_launch(campaign_id=campaign_id) == "sending")
    return launched


def campaign_launch(*, campaign_id: int) -> str:
    """Launch a due scheduled campaign. Returns its status afterwards ("skipped" when
    another launcher has it, or it is not due). Safe to run twice or concurrently."""
    now = timezone.now()
    try:
        with transaction.atomic():
            campaign = (
                # Only the campaign's row: the account's is locked by credits_add,
                # later, for as short as possible.
                Campaign.objects.select_for_update(
                    skip_locked=connection.vendor == "postgresql", of=("self",)
                )
                .select_related("account__plan")
                .filter(pk=campaign_id, status=Campaign.Status.SCHEDULED, scheduled_at__lte=now)
                .first()
            )
            if campaign is None:
                return "skipped"
            account = campaign.account
            if not account.can_send:
                # Suspended since it was scheduled: it waits as a draft, nothing charged.
                Campaign.objects.filter(pk=campaign.pk).update(
                    status=Campaign.Status.DRAFT, launch_error="suspended"
                )
                return Campaign.Status.DRAFT
            audience = campaign_audience(campaign=campaign)
            renderer = Renderer(campaign, account)
            price = account.plan.credits_per_segment.quantize(Decimal("0.01"))
            sender = campaign.sender_id or account.default_sender_id
            totals = {"recipients": 0, "segments": 0}

            def rows() -> Iterator[tuple]:
                for recipient in audience.recipients:
                    rendered = renderer.render(recipient.values)
                    totals["recipients"] += 1
                    totals["segments"] += rendered.segments
                    yield (
                        uuid.uuid4(),
                        account.pk,
                        campaign.pk,
                        recipient.contact_id,
                        False,
                        campaign.kind,
                        recipient.phone,
                        sender,
                        rendered.text,
                        rendered.encoding,
                        rendered.segments,
                        price * rendered.segments,
                        Message.Status.QUEUED,
                        "",
                        "",
                        0,
                        None,
                        now,
                    )

            _insert_messages(rows())
            cost = price * totals["segments"]
            if cost:
                credits_add(
                    account_id=account.pk,
                    amount=-cost,
                    kind=LedgerKind.RESERVATION,
                    description=f"Campaign: {campaign.name}"[:255],
                )
            Campaign.objects.filter(pk=campaign.pk).update(
                status=Campaign.Status.SENDING if totals["recipients"] else Campaign.Status.SENT,
                launched_at=now,
                completed_at=None if totals["recipients"] else now,
                recipients=totals["recipients"],
                segments=totals["segments"],
                excluded_opted_out=audience.opted_out,
                excluded_duplicate=audience.duplicate,
                excluded_invalid=audience.invalid,
                credits_reserved=cost,
                launch_error="",
            )
            if totals["recipients"]:
                transaction.on_commit(lambda: enqueue_dispatch(campaign_id))
    except InsufficientCredits as exc:
        # Nothing was inserted or reserved (rolled back): the campaign goes back to
        # draft, saying how many credits it lacks.
        Campaign.objects.filter(pk=campaign_id, status=Campaign.Status.SCHEDULED).update(
            status=Campaign.Status.DRAFT,
            launch_error=f"credits:{Decimal(exc.missing).quantize(Decimal('0.01'))}",
        )
        return Campaign.Status.DRAFT
    return Campaign.Status.SENDING if totals["recipients"] else Campaign.Status.SENT


# ------------------------------------------------------------------- cancel, duplicate


def campaign_cancel(*, campaign: Campaign, by: User | None = None) -> bool:
    """Cancel a scheduled or sending campaign. Messages not yet claimed by dispatch are
    cancelled and refunded (one ledger row); those already submitted go on."""
    from campaigns.dispatch import refund_messages

    with transaction.atomic():
        locked = (
            Campaign.objects.select_for_update()
            .filter(pk=campaign.pk, status__in=[Campaign.Status.SCHEDULED, Campaign.Status.SENDING])
            .first()
        )
        if locked is None:
            return False
        now = timezone.now()
        pending = Message.objects.filter(
            campaign=locked, status__in=[Message.Status.QUEUED, Message.Status.HELD]
        )
        ids = list(pending.values_list("pk", flat=True))
        Message.objects.filter(
            pk__in=ids, status__in=[Message.Status.QUEUED, Message.Status.HELD]
        ).update(status=Message.Status.CANCELLED, final_at=now)
        refund_messages(account_id=locked.account_id, message_ids=ids, reason="cancelled")
        Campaign.objects.filter(pk=locked.pk).update(
            status=Campaign.Status.CANCELLED, cancelled_at=now
        )
    campaign.refresh_from_db()
    return True


def campaign_duplicate(*, campaign: Campaign, by: User | None = None) -> Campaign:
    copy = Campaign.objects.create(
        account=campaign.account,
        created_by=by,
        name=f"{campaign.name} (copy)"[:120],
        kind=campaign.kind,
        sender_id=campaign.sender_id,
        body=campaign.body,
        numbers=campaign.numbers,
    )
    copy.lists.set(campaign.lists.all())
    return copy


# ------------------------------------------------------------------------ test sends


def campaign_test_send(*, campaign: Campaign, numbers: list[str], by: User | None = None) -> int:
    """Send the campaign's message to up to 5 numbers now, through the gateway, charged.
    Rendered with the contact's fields when the number is a contact. Returns how many.

    Raises CampaignError("too_many") / ("invalid", number=...) and InsufficientCredits."""
    account = campaign.account
    if not account.can_send:
        raise CampaignError("suspended")
    if len(numbers) > MAX_TEST_NUMBERS:
        raise CampaignError("too_many", limit=MAX_TEST_NUMBERS)
    phones = []
    for raw in numbers:
        try:
            phones.append(normalize_phone_fast(raw, default_region=account.country or "FR"))
        except PhoneNumberError as exc:
            raise CampaignError("invalid", number=raw, why=exc.message) from None
    phones = list(dict.fromkeys(phones))
    known = {
        phone: contact_values(first, last, custom)
        for phone, first, last, custom in Contact.objects.filter(
            account=account, phone__in=phones
        ).values_list("phone", "first_name", "last_name", "custom")
    }
    renderer = Renderer(campaign, account)
    price = account.plan.credits_per_segment
    sender = campaign.sender_id or account.default_sender_id
    with transaction.atomic():
        messages = []
        for phone in phones:
            rendered = renderer.render(known.get(phone, {}))
            messages.append(
                Message(
                    account=account,
                    campaign=campaign,
                    is_test=True,
                    kind=campaign.kind,
                    phone=phone,
                    sender=sender,
                    body=rendered.text,
                    encoding=rendered.encoding,
                    segments=rendered.segments,
                    cost=price * rendered.segments,
                    status=Message.Status.QUEUED,
                )
            )
        cost = sum((m.cost for m in messages), Decimal(0))
        if cost:
            credits_add(
                account_id=account.pk,
                amount=-cost,
                kind=LedgerKind.RESERVATION,
                description=f"Test: {campaign.name}"[:255],
                by_user=by,
            )
        Message.objects.bulk_create(messages)
        transaction.on_commit(lambda: enqueue_dispatch(campaign.pk, jobs=1))
    return len(messages)
