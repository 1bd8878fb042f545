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
from landingpages.personalize import page_url_with_recipient
from shortener.tracking import Split, draw_codes, placeholder_url, short_url_for, split_links
from smsmode.accounts.models import Account, User
from smsmode.billing.features import account_has_feature
from smsmode.billing.models import Feature, LedgerKind
from smsmode.billing.services import InsufficientCredits, credits_add
from smsmode.sms.encoding import count_segments
from smsmode.sms.numbers import PhoneNumberError, normalize_phone_fast, operator_of
from smsmode.sms.stop import stop_code_for, with_stop_mention
from smsmode.sms.windows import held_until

logger = logging.getLogger(__name__)

COPY_BATCH = 10_000
LINK_LIFETIME = datetime.timedelta(days=31)  # a campaign's links, from its launch
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
    text: str  # with a placeholder short URL for each tracked link
    encoding: str
    segments: int
    split: Split | None = None  # a tracked message: its text around the links

    @property
    def targets(self) -> tuple[str, ...]:
        return self.split.targets if self.split else ()


class Renderer:
    """Renders and counts messages of one campaign; a static text is counted once.

    With click tracking (the plan's URL shortener), each http(s) link is counted as a
    short URL of the real length; `finish` puts in the recipient's own codes."""

    def __init__(self, campaign: Campaign, account: Account, *, track: bool | None = None) -> None:
        self.campaign = campaign
        self.account = account
        self.template: Template = parse_template(campaign.body)
        self.track = account_has_feature(account, Feature.URL_SHORTENER) if track is None else track
        self._static: Rendered | None = None
        self._checked: dict[str, str | None] = {}
        self._placeholder = placeholder_url()
        self._url_prefix = short_url_for("")  # settings read once, not per link

    def render(self, values: dict) -> Rendered:
        if self.template.is_static:
            if self._static is None:
                self._static = self._make(self.template.render({}))
            return self._static
        return self._make(self.template.render(values))

    def finish(self, rendered: Rendered, codes: list[str]) -> str:
        """The text as sent: the rendering with these codes in its short URLs."""
        if rendered.split is None:
            return rendered.text
        urls = [self._url_prefix + code for code in codes]
        return final_text(self.campaign, self.account, rendered.split.fill(urls))

    def _make(self, body: str) -> Rendered:
        split = None
        if self.track:
            if len(self._checked) > 10_000:  # links with merge fields: each one differs
                self._checked.clear()
            split = split_links(body, self._checked)
            if split.targets:
                body = split.fill([self._placeholder] * len(split.targets))
            else:
                split = None
        text = final_text(self.campaign, self.account, body)
        encoding, segments = count_segments(text)
        return Rendered(text, encoding, segments, split)


# ------------------------------------------------------------------ inserting rows

_MESSAGE_COLUMNS = (
    "public_id",
    "account_id",
    "campaign_id",
    "contact_id",
    "is_test",
    "kind",
    "phone",
    "operator",
    "sender",
    "body",
    "encoding",
    "segments",
    "cost",
    "status",
    "provider_id",
    "error_code",
    "attempts",
    "not_before",
    "created_at",
)
_LINK_COLUMNS = (
    "public_id",
    "account_id",
    "code",
    "target_url",
    "name",
    "expires_at",
    "campaign_id",
    "message_id",
    "clicks",
    "unique_clicks",
    "bot_clicks",
    "created_at",
)


def _copy_rows(table: str, columns: tuple[str, ...], batch: list[tuple]) -> None:
    """Insert rows (in `columns` order; UUIDs first): COPY on PostgreSQL. The batch is
    a list, read before the COPY starts: rows come from a server-side cursor on the
    same connection, which cannot be read during a COPY."""
    names = ", ".join(columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in batch:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(
                f"INSERT INTO {table} ({names}) VALUES ({marks})",
                [(row[0].hex, *row[1:]) for row in batch],
            )


def _message_ids(public_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    """The ids the database gave to messages just inserted, by public id (one array
    parameter on PostgreSQL: the ORM's IN of 10,000 values costs more to build than
    to run)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT public_id, id FROM campaigns_message WHERE public_id = ANY(%s)",
                [public_ids],
            )
            return dict(cursor.fetchall())
    return dict(Message.objects.filter(public_id__in=public_ids).values_list("public_id", "pk"))


def _personal_target(target: str, public_id: uuid.UUID) -> str:
    """A link to one of our landing pages carries the recipient's signed token: the
    page greets them by name and credits their visit to the campaign."""
    personal = page_url_with_recipient(target, public_id)
    return personal if len(personal) <= 2048 else target


def _write_messages(
    renderer: Renderer,
    batch: list[_Recipient],
    *,
    price: Decimal,
    sender: str,
    now: datetime.datetime,
    is_test: bool,
) -> tuple[int, int]:
    """Render and insert one batch of messages, and the recipients' own short links
    when the campaign tracks clicks. Returns (segments, links)."""
    campaign, account = renderer.campaign, renderer.account
    renderings = [renderer.render(recipient.values) for recipient in batch]
    wanted = sum(len(rendered.targets) for rendered in renderings)
    codes = iter(draw_codes(wanted)) if wanted else iter(())
    messages: list[tuple] = []
    links: list[tuple[str, str, uuid.UUID]] = []
    segments = 0
    for recipient, rendered in zip(batch, renderings, strict=True):
        public_id = uuid.uuid4()
        text = rendered.text
        if rendered.split is not None:
            mine = [next(codes) for _target in rendered.targets]
            text = renderer.finish(rendered, mine)
            links.extend(zip(mine, rendered.targets, itertools.repeat(public_id), strict=False))
        segments += rendered.segments
        messages.append(
            (
                public_id,
                account.pk,
                campaign.pk,
                recipient.contact_id,
                is_test,
                campaign.kind,
                recipient.phone,
                operator_of(recipient.phone),
                sender,
                text,
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
        )
    _copy_rows("campaigns_message", _MESSAGE_COLUMNS, messages)
    if links:
        ids = _message_ids(list({public_id for _c, _t, public_id in links}))
        expires = now + LINK_LIFETIME
        _copy_rows(
            "shortener_shortlink",
            _LINK_COLUMNS,
            [
                (
                    uuid.uuid4(),
                    account.pk,
                    code,
                    _personal_target(target, pid),
                    "",
                    expires,
                    campaign.pk,
                    ids[pid],
                    0,
                    0,
                    0,
                    now,
                )
                for code, target, pid in links
            ],
        )
    return segments, len(links)


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
            totals = {"recipients": 0, "segments": 0, "links": 0}
            reader = iter(audience.recipients)
            while batch := list(itertools.islice(reader, COPY_BATCH)):
                segments, links = _write_messages(
                    renderer, batch, price=price, sender=sender, now=now, is_test=False
                )
                totals["recipients"] += len(batch)
                totals["segments"] += segments
                totals["links"] += links
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
                tracked_links=totals["links"],
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
    recipients = [_Recipient(None, phone, known.get(phone, {})) for phone in phones]
    cost = sum(
        (price * renderer.render(recipient.values).segments for recipient in recipients),
        Decimal(0),
    )
    with transaction.atomic():
        if cost:
            credits_add(
                account_id=account.pk,
                amount=-cost,
                kind=LedgerKind.RESERVATION,
                description=f"Test: {campaign.name}"[:255],
                by_user=by,
            )
        _write_messages(
            renderer, recipients, price=price, sender=sender, now=timezone.now(), is_test=True
        )
        transaction.on_commit(lambda: enqueue_dispatch(campaign.pk, jobs=1))
    return len(recipients)
