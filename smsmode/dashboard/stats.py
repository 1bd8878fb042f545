"""Maintaining the dashboard's aggregates (see models.py for what counts and when).

- `record_sent(ids)`: messages that have just left the queue (submitted, failed or
  unknown), called in the transaction that changed them; `record_submitted(rows, at)`
  the same from rows an UPDATE … RETURNING gave (the dispatch's batches).
- `record_moved(message, new_state)`: a delivery report moved a counted message.
- `record_clicks(rows)`: the click flush's people clicks and first clicks per message.
- `fold()`: the job that adds the deltas into the daily, hourly and campaign tables.
- `rebuild(account, since, until)`: recompute local days from the messages and clicks.
"""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce, TruncDate, TruncHour

from smsmode.dashboard.models import (
    CampaignStat,
    ClickStat,
    DailyStat,
    HourlyStat,
    StatDelta,
)

logger = logging.getLogger(__name__)

# The states of a message that has left the queue: the ones the charts count.
COUNTED = (
    "submitted",
    "delivered",
    "undelivered",
    "expired",
    "rejected",
    "failed",
    "unknown",
)
SLOT = datetime.timedelta(minutes=15)
_EPOCH = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
# fold() and rebuild() never run at once (PostgreSQL advisory lock key: "dashstat").
_LOCK_KEY = 0x64617368737461


def slot_of(at: datetime.datetime) -> datetime.datetime:
    """The 15-minute UTC slot of a moment."""
    return at - (at - _EPOCH) % SLOT


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


# ----------------------------------------------------------------------- writers

_MESSAGE_FIELDS = (
    "account_id",
    "submitted_at",
    "final_at",
    "kind",
    "operator",
    "status",
    "segments",
    "campaign_id",
    "is_test",
)


def record_sent(message_ids: Iterable[int]) -> None:
    """+1 for each message of `message_ids` in a counted state. Call it right after
    the statement that moved them out of the queue, with exactly the ids it moved."""
    from campaigns.models import Message

    ids = list(message_ids)
    if not ids:
        return
    deltas: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for start in range(0, len(ids), 10_000):
        rows = Message.objects.filter(pk__in=ids[start : start + 10_000]).values_list(
            *_MESSAGE_FIELDS
        )
        for row in rows:
            account_id, submitted_at, final_at, kind, operator, state, segments = row[:7]
            campaign_id = None if row[8] else row[7]  # test sends count for no campaign
            at = submitted_at or final_at
            if state not in COUNTED or at is None:
                continue
            entry = deltas[(account_id, slot_of(at), kind, operator, state, campaign_id)]
            entry[0] += 1
            entry[1] += segments
    _append(deltas)


def record_submitted(rows: Iterable[tuple], at: datetime.datetime) -> None:
    """+1 "submitted" at `at` for each message `(account_id, kind, operator, segments,
    campaign_id, is_test)` that the caller's UPDATE … RETURNING just submitted: the
    dispatch's hot path, without reading the rows again."""
    deltas: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    slot = slot_of(at)
    for account_id, kind, operator, segments, campaign_id, is_test in rows:
        campaign = None if is_test else campaign_id
        entry = deltas[(account_id, slot, kind, operator, "submitted", campaign)]
        entry[0] += 1
        entry[1] += segments
    _append(deltas)


def record_moved(message, new_state: str) -> None:
    """A report moved `message` (as it was before: status, submitted_at, final_at,
    kind, operator, segments, campaign_id, is_test) to `new_state`, in the same
    bucket."""
    old_state = message.status
    at = message.submitted_at or message.final_at
    if old_state == new_state or at is None or old_state not in COUNTED:
        return
    slot = slot_of(at)
    key = (message.account_id, slot, message.kind, message.operator)
    campaign_id = None if message.is_test else message.campaign_id
    _append(
        {
            (*key, old_state, campaign_id): [-1, -message.segments],
            (*key, new_state, campaign_id): [1, message.segments],
        }
    )


def _append(deltas: dict[tuple, list[int]]) -> None:
    StatDelta.objects.bulk_create(
        [
            StatDelta(
                account_id=account_id,
                slot=slot,
                kind=kind,
                operator=operator,
                state=state,
                campaign_id=campaign_id,
                messages=messages,
                segments=segments,
            )
            for (account_id, slot, kind, operator, state, campaign_id), (
                messages,
                segments,
            ) in deltas.items()
        ]
    )


def record_clicks(
    clicks: Iterable[tuple[int, datetime.datetime]],
    first_clicks: Iterable[tuple[int, datetime.datetime]],
) -> None:
    """People clicks `(account_id, at)` and campaign messages clicked for the first
    time `(account_id, at)`, into their local day. Called by the click flush, which
    runs alone (a lock), so the counters have one writer; in its transaction it waits
    for a rebuild to finish (the rebuild replaces these rows)."""
    _wait_for_rebuild()
    by_day: dict[tuple[int, datetime.date], list[int]] = defaultdict(lambda: [0, 0])
    clicks, first_clicks = list(clicks), list(first_clicks)
    zones = _zones({account_id for account_id, _at in clicks + first_clicks})
    for account_id, at in clicks:
        by_day[(account_id, at.astimezone(zones[account_id]).date())][0] += 1
    for account_id, at in first_clicks:
        by_day[(account_id, at.astimezone(zones[account_id]).date())][1] += 1
    _upsert(
        "dashboard_clickstat",
        ("account_id", "day"),
        ("clicks", "clickers"),
        [(*key, *values) for key, values in sorted(by_day.items())],
    )


def _zones(account_ids: Iterable[int]) -> dict[int, ZoneInfo]:
    from smsmode.accounts.models import Account

    ids = set(account_ids)
    if not ids:
        return {}
    return {
        pk: zone(name)
        for pk, name in Account.objects.filter(pk__in=ids).values_list("pk", "time_zone")
    }


def _upsert(table: str, keys: tuple[str, ...], values: tuple[str, ...], rows: list) -> None:
    """Add `rows` (keys then values) to the counters of `table` (same SQL on
    PostgreSQL and SQLite). Rows sorted by key: concurrent writers lock in one order."""
    if not rows:
        return
    columns = ", ".join(keys + values)
    marks = ", ".join(["%s"] * (len(keys) + len(values)))
    adds = ", ".join(f"{name} = {table}.{name} + excluded.{name}" for name in values)
    conflict = ", ".join(keys)
    sql = f"INSERT INTO {table} ({columns}) VALUES ({marks}) ON CONFLICT ({conflict}) "  # noqa: S608
    with connection.cursor() as cursor:
        cursor.executemany(f"{sql}DO UPDATE SET {adds}", rows)


# -------------------------------------------------------------------------- fold


def fold(*, batch: int = 20_000, max_batches: int = 50) -> int:
    """Add pending deltas into the daily and hourly tables; returns how many were
    folded. Safe at any time, concurrently with writers; skipped while a rebuild
    runs (the next minute's run folds what is left)."""
    folded = 0
    for _ in range(max_batches):
        with transaction.atomic():
            if not _try_lock():
                return folded
            rows = _take_deltas(batch)
            if not rows:
                return folded
            _fold_rows(rows)
            folded += len(rows)
    return folded


def _wait_for_rebuild() -> None:
    """Take the statistics lock for this transaction, waiting for a rebuild."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])


@contextmanager
def one_snapshot() -> Iterator[None]:
    """Reads of several tables that a fold changes together (aggregates, then the
    deltas not folded yet) from one snapshot: a fold committing between two of them
    would otherwise hide or double its deltas. Inside a caller's transaction, that
    transaction decides."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield


def _try_lock() -> bool:
    if connection.vendor != "postgresql":
        return True  # SQLite: one writer at a time anyway
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_LOCK_KEY])
        return cursor.fetchone()[0]


def _take_deltas(batch: int) -> list[tuple]:
    skip = " FOR UPDATE SKIP LOCKED" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        pick = "SELECT id FROM dashboard_statdelta ORDER BY id LIMIT %s" + skip  # noqa: S608
        cursor.execute(
            f"DELETE FROM dashboard_statdelta WHERE id IN ({pick}) RETURNING "  # noqa: S608
            "account_id, slot, kind, operator, state, messages, segments, campaign_id",
            [batch],
        )
        rows = cursor.fetchall()
    if connection.vendor != "postgresql":  # SQLite returns text; make them datetimes
        from django.db.models import DateTimeField

        field = DateTimeField()
        rows = [
            (row[0], field.to_python(row[1]).replace(tzinfo=datetime.UTC), *row[2:]) for row in rows
        ]
    return rows


def local_buckets(
    rows: Iterable[tuple], zones: dict[int, ZoneInfo]
) -> tuple[dict[tuple, list[int]], dict[tuple, list[int]]]:
    """Delta rows (account, slot, kind, operator, state, messages, segments, ...)
    summed by daily key (account, day, kind, operator, state) and hourly key
    (account, day, hour, kind)."""
    daily: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    hourly: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for account_id, slot, kind, operator, state, messages, segments, *_rest in rows:
        local = slot.astimezone(zones.get(account_id, datetime.UTC))
        day = local.date()
        entry = daily[(account_id, day, kind, operator, state)]
        entry[0] += messages
        entry[1] += segments
        entry = hourly[(account_id, day, local.hour, kind)]
        entry[0] += messages
        entry[1] += segments
    return daily, hourly


_DELTA_FIELDS = (
    "account_id",
    "slot",
    "kind",
    "operator",
    "state",
    "messages",
    "segments",
    "campaign_id",
)


def _fold_campaigns(rows: list[tuple]) -> None:
    """The campaign part of delta rows (campaign_id last) into CampaignStat."""
    by_campaign: dict[tuple[int, str], int] = defaultdict(int)
    for row in rows:
        if row[7] is not None:
            by_campaign[(row[7], row[4])] += row[5]
    _upsert(
        "dashboard_campaignstat",
        ("campaign_id", "state"),
        ("messages",),
        [(*key, n) for key, n in sorted(by_campaign.items()) if n],
    )


def _fold_rows(rows: list[tuple]) -> None:
    _fold_campaigns(rows)
    daily, hourly = local_buckets(rows, _zones(row[0] for row in rows))
    _upsert(
        "dashboard_dailystat",
        ("account_id", "day", "kind", "operator", "state"),
        ("messages", "segments"),
        [(*key, *values) for key, values in sorted(daily.items()) if any(values)],
    )
    _upsert(
        "dashboard_hourlystat",
        ("account_id", "day", "hour", "kind"),
        ("messages", "segments"),
        [(*key, *values) for key, values in sorted(hourly.items()) if any(values)],
    )


# ----------------------------------------------------------------------- rebuild


@contextmanager
def _rebuild_lock() -> Iterator[None]:
    """Hold fold off, and read the messages and the deltas in one snapshot: a
    message changed after it keeps its delta; one changed before is in the counts."""
    if connection.vendor != "postgresql":
        with transaction.atomic():
            yield
        return
    outermost = not connection.in_atomic_block  # else the caller's transaction decides
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [_LOCK_KEY])
    try:
        with transaction.atomic():
            if outermost:
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [_LOCK_KEY])


def day_range_utc(
    tz: ZoneInfo, since: datetime.date | None, until: datetime.date | None
) -> tuple[datetime.datetime | None, datetime.datetime | None]:
    """The UTC moments where local day `since` starts and local day `until` ends."""

    def start_of(day: datetime.date) -> datetime.datetime:
        return datetime.datetime.combine(day, datetime.time(), tzinfo=tz).astimezone(datetime.UTC)

    return (
        start_of(since) if since else None,
        start_of(until + datetime.timedelta(days=1)) if until else None,
    )


def rebuild(
    account, *, since: datetime.date | None = None, until: datetime.date | None = None
) -> int:
    """Recompute the account's aggregates for local days since..until (inclusive;
    None: from the first, to the last) from its messages and clicks. Returns the
    number of messages counted. Call it outside a transaction (it takes its own
    snapshot); inside one, no message may change meanwhile (seed_demo)."""
    from campaigns.models import Message
    from shortener.models import Click

    tz = zone(account.time_zone)
    start, end = day_range_utc(tz, since, until)
    days = Q()
    if since:
        days &= Q(day__gte=since)
    if until:
        days &= Q(day__lte=until)

    def moment(field: str) -> Q:
        q = Q()
        if start:
            q &= Q(**{f"{field}__gte": start})
        if end:
            q &= Q(**{f"{field}__lt": end})
        return q

    with _rebuild_lock():
        messages = (
            Message.objects.filter(account=account, status__in=COUNTED)
            .annotate(at=Coalesce("submitted_at", "final_at"))
            .filter(moment("at"))
            .annotate(hour=TruncHour("at", tzinfo=tz))
            .values_list("hour", "kind", "operator", "status")
            .annotate(n=Count("id"), segments=Sum("segments"))
            .order_by()
        )
        daily: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
        hourly: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
        total = 0
        for hour, kind, operator, state, n, segments in messages:
            local = hour.astimezone(tz)
            for table, key in (
                (daily, (local.date(), kind, operator, state)),
                (hourly, (local.date(), local.hour, kind)),
            ):
                table[key][0] += n
                table[key][1] += segments
            total += n
        clicks = (
            Click.objects.filter(link__account=account, is_bot=False)
            .filter(moment("at"))
            .annotate(day=TruncDate("at", tzinfo=tz))
            .values_list("day")
            .annotate(n=Count("id"))
            .order_by()
        )
        clickers = (
            Message.objects.filter(
                account=account, is_test=False, campaign__isnull=False, clicked_at__isnull=False
            )
            .filter(moment("clicked_at"))
            .annotate(day=TruncDate("clicked_at", tzinfo=tz))
            .values_list("day")
            .annotate(n=Count("id"))
            .order_by()
        )
        by_day: dict[datetime.date, list[int]] = defaultdict(lambda: [0, 0])
        for day, n in clicks:
            by_day[day][0] = n
        for day, n in clickers:
            by_day[day][1] = n

        deltas = StatDelta.objects.filter(Q(account=account) & moment("slot"))
        if since is None and until is None:  # the whole history: campaigns too
            CampaignStat.objects.filter(campaign__account=account).delete()
            CampaignStat.objects.bulk_create(
                CampaignStat(campaign_id=campaign_id, state=state, messages=n)
                for campaign_id, state, n in Message.objects.filter(
                    account=account, status__in=COUNTED, is_test=False, campaign__isnull=False
                )
                .values_list("campaign_id", "status")
                .annotate(n=Count("id"))
                .order_by()
            )
        else:  # the campaigns' counts are not by day: keep what these deltas say
            _fold_campaigns(list(deltas.values_list(*_DELTA_FIELDS)))
        deltas.delete()
        DailyStat.objects.filter(days, account=account).delete()
        HourlyStat.objects.filter(days, account=account).delete()
        ClickStat.objects.filter(days, account=account).delete()
        DailyStat.objects.bulk_create(
            DailyStat(
                account=account,
                day=day,
                kind=kind,
                operator=operator,
                state=state,
                messages=n,
                segments=segments,
            )
            for (day, kind, operator, state), (n, segments) in daily.items()
        )
        HourlyStat.objects.bulk_create(
            HourlyStat(account=account, day=day, hour=hour, kind=kind, messages=n, segments=s)
            for (day, hour, kind), (n, s) in hourly.items()
        )
        ClickStat.objects.bulk_create(
            ClickStat(account=account, day=day, clicks=c, clickers=u)
            for day, (c, u) in by_day.items()
        )
    logger.info("statistics of account %s rebuilt: %s messages", account.pk, total)
    return total
