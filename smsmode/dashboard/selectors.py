"""What the dashboard shows, read from the aggregates (never from the messages table).

Four queries whatever the volume: the daily rows of the period (and of this month),
the hourly rows, the deltas not folded yet, the clicks per day. The deltas are added
in Python, so a message sent a second ago is already in the figures.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from smsmode.dashboard import stats
from smsmode.dashboard.models import ClickStat, DailyStat, HourlyStat, StatDelta

PERIODS = (7, 30, 90)
MAX_DAYS = 366
TOP_OPERATORS = 8
# Chart order and names of the counted states.
STATES = (
    ("delivered", _("Delivered")),
    ("submitted", _("Awaiting delivery report")),
    ("undelivered", _("Not delivered")),
    ("expired", _("Expired")),
    ("rejected", _("Rejected by the carrier")),
    ("failed", _("Failed")),
    ("unknown", _("Unknown")),
)
NOT_DELIVERED = ("undelivered", "expired", "rejected", "failed")


class PeriodError(ValueError):
    pass


@dataclass(frozen=True)
class Period:
    start: datetime.date
    end: datetime.date  # inclusive
    days: int | None  # 7, 30 or 90; None for a custom range

    @property
    def length(self) -> int:
        return (self.end - self.start).days + 1

    def query(self) -> str:
        """The query string that names this period (links, CSV downloads)."""
        if self.days:
            return f"period={self.days}"
        return f"period=custom&start={self.start.isoformat()}&end={self.end.isoformat()}"


def period_from(params, today: datetime.date) -> Period:
    """The period asked for by `period` (7, 30, 90 or custom with `start` and `end`,
    YYYY-MM-DD). Raises PeriodError with a message for the user; no `period`: 30."""
    raw = params.get("period") or "30"
    if raw != "custom":
        try:
            days = int(raw)
        except ValueError:
            days = 0
        if days not in PERIODS:
            raise PeriodError(_("Choose 7, 30 or 90 days, or a custom range."))
        return Period(today - datetime.timedelta(days=days - 1), today, days)
    try:
        start = datetime.date.fromisoformat(params.get("start") or "")
        end = datetime.date.fromisoformat(params.get("end") or "")
    except ValueError:
        raise PeriodError(_("Enter both dates of the range.")) from None
    if start > end:
        raise PeriodError(_("The range ends before it starts."))
    if start > today:
        raise PeriodError(_("The range starts in the future."))
    end = min(end, today)  # days to come have no figures
    if (end - start).days + 1 > MAX_DAYS:
        raise PeriodError(_("A range covers at most 366 days."))
    return Period(start, end, None)


@dataclass
class Dashboard:
    period: Period
    today: datetime.date
    sent_today: int = 0
    sent_month: int = 0
    messages: int = 0
    segments: int = 0
    delivered: int = 0
    not_delivered: int = 0
    awaiting: int = 0
    unknown: int = 0
    delivery_rate: float | None = None
    clicks: int = 0
    clickers: int = 0
    click_rate: float | None = None
    # (day, marketing, notification) for every day of the period
    per_day: list[tuple[datetime.date, int, int]] = field(default_factory=list)
    # (hour 0-23, marketing, notification)
    per_hour: list[tuple[int, int, int]] = field(default_factory=list)
    # (weekday 0 = Monday, marketing, notification)
    per_weekday: list[tuple[int, int, int]] = field(default_factory=list)
    # (operator name, "" for unknown; messages, delivered, delivery rate)
    operators: list[tuple[str, int, int, float | None]] = field(default_factory=list)
    # (state, label, messages) in STATES order, zeros left out
    states: list[tuple[str, str, int]] = field(default_factory=list)
    # (day, clicks, clickers) for every day of the period
    clicks_per_day: list[tuple[datetime.date, int, int]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.messages and not self.clicks


def local_today(account) -> datetime.date:
    """Today in the account's time zone: the periods are its local days."""
    return timezone.now().astimezone(stats.zone(account.time_zone)).date()


def _days(period: Period) -> list[datetime.date]:
    return [period.start + datetime.timedelta(days=n) for n in range(period.length)]


def dashboard(account, period: Period, *, today: datetime.date | None = None) -> Dashboard:
    with stats.one_snapshot():
        return _dashboard(account, period, today)


def _dashboard(account, period: Period, today: datetime.date | None) -> Dashboard:
    tz = stats.zone(account.time_zone)
    today = today or local_today(account)
    month_start = today.replace(day=1)
    data = Dashboard(period=period, today=today)
    wanted = Q(day__gte=period.start, day__lte=period.end) | Q(day__gte=month_start, day__lte=today)

    # Daily rows (period, this month, today), with the deltas not folded yet.
    daily: dict[tuple, int] = defaultdict(int)
    rows = (
        DailyStat.objects.filter(wanted, account=account)
        .values_list("day", "kind", "operator", "state")
        .annotate(n=Sum("messages"), s=Sum("segments"))
        .order_by()
    )
    segments = 0
    for day, kind, operator, state, n, s in rows:
        daily[(day, kind, operator, state)] += n
        if period.start <= day <= period.end:
            segments += s
    hourly: dict[tuple, int] = defaultdict(int)
    for day, hour, kind, n in (
        HourlyStat.objects.filter(account=account, day__gte=period.start, day__lte=period.end)
        .values_list("day", "hour", "kind")
        .annotate(n=Sum("messages"))
        .order_by()
    ):
        hourly[(day, hour, kind)] += n
    pending = (
        StatDelta.objects.filter(account=account)
        .values_list("account_id", "slot", "kind", "operator", "state")
        .annotate(n=Sum("messages"), s=Sum("segments"))
        .order_by()
    )
    more_daily, more_hourly = stats.local_buckets(pending, {account.pk: tz})
    for (_account, day, kind, operator, state), (n, s) in more_daily.items():
        daily[(day, kind, operator, state)] += n
        if period.start <= day <= period.end:
            segments += s
    for (_account, day, hour, kind), (n, _s) in more_hourly.items():
        hourly[(day, hour, kind)] += n

    by_day: dict[datetime.date, list[int]] = defaultdict(lambda: [0, 0])
    by_state: dict[str, int] = defaultdict(int)
    by_operator: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for (day, kind, operator, state), n in daily.items():
        if day == today:
            data.sent_today += n
        if month_start <= day <= today:
            data.sent_month += n
        if not period.start <= day <= period.end:
            continue
        by_day[day][0 if kind == "marketing" else 1] += n
        by_state[state] += n
        by_operator[operator][0] += n
        if state == "delivered":
            by_operator[operator][1] += n
    data.segments = segments
    data.messages = sum(by_state.values())
    data.delivered = by_state["delivered"]
    data.not_delivered = sum(by_state[state] for state in NOT_DELIVERED)
    data.awaiting = by_state["submitted"]
    data.unknown = by_state["unknown"]
    data.delivery_rate = _rate(data.delivered, data.messages - data.awaiting)
    data.per_day = [(day, *by_day[day]) for day in _days(period)]
    weekdays = [[0, 0] for _ in range(7)]
    for day, marketing, notification in data.per_day:
        weekdays[day.weekday()][0] += marketing
        weekdays[day.weekday()][1] += notification
    data.per_weekday = [(n, *weekdays[n]) for n in range(7)]
    hours = [[0, 0] for _ in range(24)]
    for (_day, hour, kind), n in hourly.items():
        hours[hour][0 if kind == "marketing" else 1] += n
    data.per_hour = [(hour, *hours[hour]) for hour in range(24)]
    data.states = [
        (state, str(label), by_state[state]) for state, label in STATES if by_state[state]
    ]
    data.operators = _operators(by_operator)

    clicks = {
        day: (c, u)
        for day, c, u in ClickStat.objects.filter(
            account=account, day__gte=period.start, day__lte=period.end
        ).values_list("day", "clicks", "clickers")
    }
    data.clicks_per_day = [(day, *clicks.get(day, (0, 0))) for day in _days(period)]
    data.clicks = sum(c for _d, c, _u in data.clicks_per_day)
    data.clickers = sum(u for _d, _c, u in data.clicks_per_day)
    data.click_rate = _rate(data.clickers, data.delivered)
    return data


def _rate(part: int, whole: int) -> float | None:
    return min(part / whole, 1.0) if whole > 0 else None


def _operators(by_operator: dict[str, list[int]]) -> list[tuple[str, int, int, float | None]]:
    """The biggest operators first; beyond TOP_OPERATORS, and unknown ones, as one
    last "" row (the template calls it "Other")."""
    known = sorted(
        ((name, n, d) for name, (n, d) in by_operator.items() if name and n),
        key=lambda row: (-row[1], row[0]),
    )
    top, rest = known[:TOP_OPERATORS], known[TOP_OPERATORS:]
    other_n = sum(n for _name, n, _d in rest) + by_operator.get("", [0, 0])[0]
    other_d = sum(d for _name, _n, d in rest) + by_operator.get("", [0, 0])[1]
    rows = [(name, n, d, _rate(d, n)) for name, n, d in top]
    if other_n:
        rows.append(("", other_n, other_d, _rate(other_d, other_n)))
    return rows


def scheduled_campaigns(account, limit: int = 5):
    from campaigns.models import Campaign

    return list(
        Campaign.objects.filter(account=account, status=Campaign.Status.SCHEDULED)
        .filter(~Q(scheduled_at=None))
        .order_by("scheduled_at", "pk")[:limit]
    )


def recent_campaigns(account, limit: int = 5):
    """The last campaigns launched, with (delivered, delivery rate) each."""
    from campaigns.models import Campaign
    from campaigns.selectors import campaign_list_figures

    campaigns = list(
        Campaign.objects.filter(account=account, launched_at__isnull=False).order_by(
            "-launched_at", "-pk"
        )[:limit]
    )
    figures = campaign_list_figures(campaigns=campaigns)
    return [(campaign, *figures.get(campaign.pk, (0, None))) for campaign in campaigns]
