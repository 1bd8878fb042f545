"""The home page (the dashboard), its CSV downloads, the pages other issues will fill,
and the health check."""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import redis
from django.conf import settings
from django.db import connection
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    JsonResponse,
)
from django.shortcuts import render
from django.utils.dates import WEEKDAYS
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from contacts.exports import Echo, csv_safe
from smsmode.accounts.access import account_required, require_settings_manager
from smsmode.accounts.middleware import AccountRequest
from smsmode.billing.features import account_has_feature
from smsmode.dashboard import stats
from smsmode.dashboard.selectors import (
    PERIODS,
    Dashboard,
    PeriodError,
    dashboard,
    local_today,
    period_from,
    recent_campaigns,
    scheduled_campaigns,
)

logger = logging.getLogger(__name__)

# Pages that an open issue builds; until then they say what they will do.
COMING_SOON = {
    "shortener": {
        "title": _("URL shortener"),
        "help": _("Short links of 12 characters for your SMS, with click statistics."),
        "promise": _(
            "Create short links, follow their clicks and shorten every link of a "
            "campaign automatically."
        ),
        "icon": "link-45deg",
        "feature": "url_shortener",
    },
}


# ------------------------------------------------------------------------ charts
#
# Each chart is a table first: the page shows it (the numbers, for everyone and
# for screen readers), the CSV download writes it, and static/js/dashboard.js draws
# the chart from it. One structure for the three keeps them equal.


@dataclass(frozen=True)
class Column:
    key: str  # its colour in the chart: the CSS variable --chart-<key>
    label: str
    plot: bool = True  # drawn in the chart, or only in the table
    percent: bool = False  # a rate (0..1), shown and written as a percentage


@dataclass(frozen=True)
class Cell:
    value: str  # unlocalised: the CSV cell and the table's data-value
    text: str  # localised: what the table shows


@dataclass(frozen=True)
class Row:
    label: str  # as the table shows it
    csv_label: str  # as the CSV writes it (ISO dates, hour numbers)
    cells: tuple[Cell, ...]
    key: str = ""  # its colour (the slices of a doughnut)


@dataclass(frozen=True)
class Chart:
    slug: str
    title: str
    kind: str  # stacked-bar, hbar, doughnut or line (dashboard.js)
    label_header: str
    columns: tuple[Column, ...]
    rows: list[Row]


CHARTS = ("per-day", "per-hour", "per-weekday", "operators", "states", "clicks")


def _cells(columns: Sequence[Column], values: Sequence[int | float | None]) -> tuple[Cell, ...]:
    cells = []
    for column, value in zip(columns, values, strict=True):
        if value is None:
            cells.append(Cell("", "—"))
        elif column.percent:
            percent = round(value * 100, 1)
            cells.append(Cell(str(percent), f"{number_format(percent, 1)} %"))
        else:
            cells.append(Cell(str(value), number_format(value, force_grouping=True)))
    return tuple(cells)


def _row(
    columns: Sequence[Column],
    label: str,
    csv_label: str,
    values: Sequence[int | float | None],
    key: str = "",
) -> Row:
    return Row(label, csv_label, _cells(columns, values), key)


def dashboard_charts(data: Dashboard) -> list[Chart]:
    """The six charts of the period, in page order, labelled in the active language."""
    period = data.period
    # The locale's own formats ("November 30", "30 novembre"); the year once a range
    # spans two.
    day_format = "MONTH_DAY_FORMAT" if period.start.year == period.end.year else "DATE_FORMAT"
    kinds = (
        Column("marketing", gettext("Marketing")),
        Column("notification", gettext("Notification")),
    )
    operators = (
        Column("messages", gettext("Messages")),
        Column("delivered", gettext("Delivered")),
        Column("rate", gettext("Delivery rate"), plot=False, percent=True),
    )
    states = (Column("messages", gettext("Messages")),)
    clicks = (
        Column("clicks", gettext("Clicks")),
        Column("clickers", gettext("Recipients who clicked")),
    )
    other = gettext("Other")
    return [
        Chart(
            "per-day",
            gettext("SMS sent per day"),
            "stacked-bar",
            gettext("Day"),
            kinds,
            [
                _row(kinds, date_format(day, day_format), day.isoformat(), (m, n))
                for day, m, n in data.per_day
            ],
        ),
        Chart(
            "per-hour",
            gettext("SMS sent by hour of the day"),
            "stacked-bar",
            gettext("Hour"),
            kinds,
            [_row(kinds, f"{hour:02d}:00", str(hour), (m, n)) for hour, m, n in data.per_hour],
        ),
        Chart(
            "per-weekday",
            gettext("SMS sent by day of the week"),
            "stacked-bar",
            gettext("Day of the week"),
            kinds,
            [
                _row(kinds, str(WEEKDAYS[day]), str(WEEKDAYS[day]), (m, n))
                for day, m, n in data.per_weekday
            ],
        ),
        Chart(
            "operators",
            gettext("SMS sent by operator"),
            "hbar",
            gettext("Operator"),
            operators,
            [
                _row(operators, name or other, name or other, (n, delivered, rate))
                for name, n, delivered, rate in data.operators
            ],
        ),
        Chart(
            "states",
            gettext("Delivery states"),
            "doughnut",
            gettext("State"),
            states,
            [_row(states, label, label, (n,), key=state) for state, label, n in data.states],
        ),
        Chart(
            "clicks",
            gettext("Clicks per day"),
            "line",
            gettext("Day"),
            clicks,
            [
                _row(clicks, date_format(day, day_format), day.isoformat(), (c, u))
                for day, c, u in data.clicks_per_day
            ],
        ),
    ]


# -------------------------------------------------------------------------- views


def _first_steps(request: AccountRequest, members: int) -> list[dict[str, object]]:
    account = request.account
    manager = request.membership.can_manage_settings
    steps = [
        {
            "done": bool(account.default_sender_id),
            "label": _("Choose your default sender ID"),
            "url": "accounts:settings",
            "show": manager,
        },
        {
            "done": members > 1 or account.invitations.exists(),
            "label": _("Invite your team"),
            "url": "accounts:team",
            "show": manager,
        },
        {
            "done": account.contacts.exists(),
            "label": _("Add your contacts"),
            "url": "contacts:index",
            "show": True,
        },
        {"done": False, "label": _("Send a test SMS"), "url": "campaigns:create", "show": True},
    ]
    return [step for step in steps if step["show"]]


def _percent(rate: float | None) -> float | None:
    return None if rate is None else rate * 100


@account_required
@require_safe
def home(request: AccountRequest) -> HttpResponse:
    """The dashboard of the period asked for (`period_from`). A bad period shows the
    default one with the reason next to the picker (200: the page is still useful)."""
    account = request.account
    today = local_today(account)
    period_error = ""
    try:
        period = period_from(request.GET, today)
    except PeriodError as exc:
        period_error = str(exc)
        period = period_from({}, today)
    data = dashboard(account, period, today=today)
    recent = recent_campaigns(account)
    members = account.memberships.count()
    # A new account sees what to do first, not empty charts.
    first_run = data.empty and not data.sent_month and not recent
    custom = period.days is None or request.GET.get("period") == "custom"
    context = {
        "data": data,
        "period": period,
        "period_error": period_error,
        "periods": PERIODS,
        "custom": custom,
        # After a bad range, the inputs keep what was typed, to be corrected.
        "custom_start": request.GET.get("start", "") if period_error else period.start.isoformat(),
        "custom_end": request.GET.get("end", "") if period_error else period.end.isoformat(),
        "delivery_percent": _percent(data.delivery_rate),
        "click_percent": _percent(data.click_rate),
        "scheduled": scheduled_campaigns(account),
        "recent": recent,
        "members": members,
        "first_run": first_run,
        "charts": [] if first_run else dashboard_charts(data),
        "steps": _first_steps(request, members) if first_run else [],
        "time_zone": stats.zone(account.time_zone).key,
    }
    return render(request, "dashboard/home.html", context)


def _chart_csv(chart: Chart) -> Iterator[str]:
    writer = csv.writer(Echo())
    yield "\ufeff"  # a BOM, so that Excel reads UTF-8
    yield writer.writerow([chart.label_header, *(column.label for column in chart.columns)])
    for row in chart.rows:
        # Operator names come from carriers: defuse them like any outside text.
        yield writer.writerow([csv_safe(row.csv_label), *(cell.value for cell in row.cells)])


@account_required
@require_safe
def chart_csv(request: AccountRequest, chart: str) -> HttpResponse:
    """One chart's numbers as CSV, for the period of the query string (400 when bad)."""
    if chart not in CHARTS:
        raise Http404
    account = request.account
    try:
        today = local_today(account)
        period = period_from(request.GET, today)
    except PeriodError as exc:
        return HttpResponseBadRequest(str(exc), content_type="text/plain; charset=utf-8")
    data = dashboard(account, period, today=today)
    found = next(c for c in dashboard_charts(data) if c.slug == chart)
    response = HttpResponse("".join(_chart_csv(found)), content_type="text/csv; charset=utf-8")
    name = f"sms-{chart}-{period.start.isoformat()}-{period.end.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response


@account_required
def coming_soon(request: AccountRequest, page: str) -> HttpResponse:
    info = COMING_SOON[page]
    if info.get("managers_only"):
        require_settings_manager(request)
    feature = info.get("feature")
    locked = bool(feature) and not account_has_feature(request.account, feature)
    return render(request, "dashboard/coming_soon.html", {"info": info, "locked": locked})


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database and Redis answer, 503 with the failing part otherwise."""
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = "ok"
    except Exception as exc:
        logger.warning("healthz: database check failed: %s", exc)
        checks["database"] = "error"
    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2
        )
        client.ping()
        client.close()
        checks["redis"] = "ok"
    except Exception as exc:
        logger.warning("healthz: redis check failed: %s", exc)
        checks["redis"] = "error"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503
    )
