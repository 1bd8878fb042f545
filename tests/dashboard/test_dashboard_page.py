"""The dashboard page and its CSV downloads, read from aggregates seeded directly."""

import csv
import datetime
import io
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from campaigns.models import Campaign
from smsmode.accounts.models import Account
from smsmode.dashboard.models import ClickStat, DailyStat, HourlyStat, StatDelta
from tests.campaigns.conftest import make_campaign
from tests.conftest import make_user

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")
# Monday 30 November 2026, noon in Paris: the last 30 days are 1-30 November.
NOW = datetime.datetime(2026, 11, 30, 12, 0, tzinfo=PARIS)
NOV = datetime.date(2026, 11, 1)
DASH = "\N{EN DASH}"
CHARTS = ("per-day", "per-hour", "per-weekday", "operators", "states", "clicks")


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


def day(n: int) -> datetime.date:
    return datetime.date(2026, 11, n)


def seed(account: Account) -> None:
    """85 messages in November (75 delivered, 3 awaiting), 1,000 in October, one delta
    not folded yet, and 15 clicks by 11 recipients."""
    daily = [
        (day(30), "marketing", "Orange", "delivered", 40),
        (day(30), "notification", "SFR", "delivered", 10),
        (day(29), "marketing", "Orange", "undelivered", 5),
        (day(29), "notification", "", "submitted", 3),
        (day(20), "notification", "Free", "delivered", 20),
        (day(20), "marketing", "Bouygues", "failed", 2),
        (datetime.date(2026, 10, 15), "marketing", "Orange", "delivered", 1000),
    ]
    DailyStat.objects.bulk_create(
        DailyStat(account=account, day=d, kind=k, operator=o, state=s, messages=n, segments=n)
        for d, k, o, s, n in daily
    )
    hourly = [
        (day(30), 9, "marketing", 40),
        (day(30), 14, "notification", 10),
        (day(29), 9, "marketing", 5),
        (day(29), 20, "notification", 3),
        (day(20), 9, "notification", 20),
        (day(20), 9, "marketing", 2),
        (datetime.date(2026, 10, 15), 8, "marketing", 1000),
    ]
    HourlyStat.objects.bulk_create(
        HourlyStat(account=account, day=d, hour=h, kind=k, messages=n, segments=n)
        for d, h, k, n in hourly
    )
    # 10:00 UTC is 11:00 in Paris, today.
    StatDelta.objects.create(
        account=account,
        slot=datetime.datetime(2026, 11, 30, 10, 0, tzinfo=datetime.UTC),
        kind="marketing",
        operator="Orange",
        state="delivered",
        messages=5,
        segments=5,
    )
    ClickStat.objects.create(account=account, day=day(30), clicks=12, clickers=9)
    ClickStat.objects.create(account=account, day=day(29), clicks=3, clickers=2)


def seed_outsider(account: Account) -> None:
    DailyStat.objects.create(
        account=account,
        day=day(30),
        kind="marketing",
        operator="Evilcorp",
        state="rejected",
        messages=777,
        segments=777,
    )
    HourlyStat.objects.create(
        account=account, day=day(30), hour=3, kind="marketing", messages=777, segments=777
    )
    ClickStat.objects.create(account=account, day=day(30), clicks=999, clickers=888)


@pytest.fixture
def seeded(team):
    seed(team.account)
    return team.account


class _Tables(HTMLParser):
    """The rows of every table with a data-testid: [header cell, cells...] as text."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.values: dict[str, list[list[str]]] = {}
        self._table: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._in_body = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and attrs.get("data-testid"):
            self._table = attrs["data-testid"]
            self.tables[self._table] = []
            self.values[self._table] = []
        elif self._table and tag == "tbody":
            self._in_body = True
        elif self._table and self._in_body and tag == "tr":
            self._row = []
            self.values[self._table].append([])
        elif self._row is not None and tag in ("td", "th"):
            self._cell = []
            if "data-value" in attrs:
                self.values[self._table][-1].append(attrs["data-value"])

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "tbody":
            self._in_body = False
        elif tag == "table":
            self._table = None


def tables(content: str) -> _Tables:
    parser = _Tables()
    parser.feed(content)
    return parser


def page(client: Client, query: str = "") -> str:
    response = client.get(f"/?{query}")
    assert response.status_code == 200
    return response.content.decode()


def read_csv(response) -> list[list[str]]:
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


# ------------------------------------------------------------------------- page


def test_it_shows_the_figures_of_the_period(owner_client, seeded):
    content = page(owner_client)
    assert 'data-figure="sent_today">55<' in content
    assert 'data-figure="sent_month">85<' in content
    # 75 delivered of 82 with a final report (3 still awaiting theirs).
    assert 'data-figure="delivery_rate">91.5 %<' in content
    assert 'data-figure="clicks">15<' in content
    # 11 recipients clicked of 75 delivered.
    assert 'data-figure="ctr">14.7 %<' in content
    assert f'data-testid="period-label">Nov. 1, 2026 {DASH} Nov. 30, 2026<' in content
    assert "Europe/Paris" in content
    assert "Get started" not in content


def test_the_per_day_table_splits_marketing_and_notification(owner_client, seeded):
    found = tables(page(owner_client))
    rows = found.tables["table-per-day"]
    assert len(rows) == 30
    assert rows[0] == ["November 1", "0", "0"]
    assert rows[19] == ["November 20", "2", "20"]
    assert rows[28] == ["November 29", "5", "3"]
    # Today's folded 40 and the 5 not folded yet.
    assert rows[29] == ["November 30", "45", "10"]
    assert found.values["table-per-day"][29] == ["45", "10"]


def test_the_hour_and_weekday_tables(owner_client, seeded):
    found = tables(page(owner_client))
    hours = found.tables["table-per-hour"]
    assert [row[0] for row in hours] == [f"{h:02d}:00" for h in range(24)]
    assert hours[9] == ["09:00", "47", "20"]
    assert hours[11] == ["11:00", "5", "0"]
    assert hours[14] == ["14:00", "0", "10"]
    assert hours[8] == ["08:00", "0", "0"]  # October's 1,000 are outside the period
    weekdays = found.tables["table-per-weekday"]
    assert [row[0] for row in weekdays] == [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ]
    assert weekdays[0] == ["Monday", "45", "10"]  # 30 November
    assert weekdays[4] == ["Friday", "2", "20"]  # 20 November
    assert weekdays[6] == ["Sunday", "5", "3"]  # 29 November


def test_operators_are_sorted_with_other_last(owner_client, seeded):
    rows = tables(page(owner_client)).tables["table-operators"]
    assert rows == [
        ["Orange", "50", "45", "90.0 %"],
        ["Free", "20", "20", "100.0 %"],
        ["SFR", "10", "10", "100.0 %"],
        ["Bouygues", "2", "0", "0.0 %"],
        ["Other", "3", "0", "0.0 %"],
    ]


def test_the_states_table_leaves_zeros_out(owner_client, seeded):
    rows = tables(page(owner_client)).tables["table-states"]
    assert rows == [
        ["Delivered", "75"],
        ["Awaiting delivery report", "3"],
        ["Not delivered", "5"],
        ["Failed", "2"],
    ]


def test_the_clicks_table_has_every_day(owner_client, seeded):
    rows = tables(page(owner_client)).tables["table-clicks"]
    assert len(rows) == 30
    assert rows[28] == ["November 29", "3", "2"]
    assert rows[29] == ["November 30", "12", "9"]


def test_each_chart_has_its_table_canvas_and_csv_link(owner_client, seeded):
    content = page(owner_client)
    for chart in CHARTS:
        assert f'data-canvas="chart-{chart}-canvas"' in content
        assert f'<canvas id="chart-{chart}-canvas"' in content
        assert f'href="/dashboard/{chart}.csv?period=30"' in content
    assert 'data-chart="stacked-bar"' in content
    assert 'data-chart="hbar"' in content
    assert 'data-chart="doughnut"' in content
    assert 'data-chart="line"' in content
    assert "vendor/chartjs/chart.umd.min.js" in content
    assert "js/dashboard.js" in content


def test_numbers_are_localised(owner_client, seeded):
    DailyStat.objects.create(
        account=seeded,
        day=day(10),
        kind="marketing",
        operator="Orange",
        state="delivered",
        messages=12345,
        segments=12345,
    )
    content = page(owner_client)
    assert 'data-value="12345">12,345<' in content
    owner_client.cookies["django_language"] = "fr"
    content = page(owner_client)
    assert 'data-value="12345">12\xa0345<' in content  # a non-breaking space
    assert "lundi" in content
    assert f"1 novembre 2026 {DASH} 30 novembre 2026" in content


def test_the_last_7_days(owner_client, seeded):
    content = page(owner_client, "period=7")
    assert f'data-testid="period-label">Nov. 24, 2026 {DASH} Nov. 30, 2026<' in content
    assert 'aria-current="true">Last 7 days<' in content
    rows = tables(content).tables["table-per-day"]
    assert rows[0][0] == "November 24"
    assert len(rows) == 7
    assert 'data-figure="sent_month">85<' in content  # the month does not follow the period
    assert tables(content).tables["table-states"][0] == ["Delivered", "55"]
    assert 'href="/dashboard/per-day.csv?period=7"' in content


def test_the_last_90_days_reach_october(owner_client, seeded):
    content = page(owner_client, "period=90")
    assert f'data-testid="period-label">Sept. 2, 2026 {DASH} Nov. 30, 2026<' in content
    found = tables(content)
    assert len(found.tables["table-per-day"]) == 90
    assert found.tables["table-operators"][0] == ["Orange", "1,050", "1,045", "99.5 %"]
    assert found.tables["table-per-hour"][8] == ["08:00", "1,000", "0"]


def test_a_custom_range(owner_client, seeded):
    content = page(owner_client, "period=custom&start=2026-11-20&end=2026-11-29")
    assert f'data-testid="period-label">Nov. 20, 2026 {DASH} Nov. 29, 2026<' in content
    assert 'value="2026-11-20"' in content
    assert 'value="2026-11-29"' in content
    rows = tables(content).tables["table-per-day"]
    assert len(rows) == 10
    assert rows[0] == ["November 20", "2", "20"]
    assert 'data-figure="sent_today">55<' in content  # today is outside, still shown
    assert "period=custom&amp;start=2026-11-20&amp;end=2026-11-29" in content


def test_a_range_over_two_years_shows_the_years_of_its_days(owner_client, seeded):
    content = page(owner_client, "period=custom&start=2025-12-30&end=2026-01-02")
    assert [row[0] for row in tables(content).tables["table-per-day"]] == [
        "Dec. 30, 2025",
        "Dec. 31, 2025",
        "Jan. 1, 2026",
        "Jan. 2, 2026",
    ]


@pytest.mark.parametrize(
    "query, message",
    [
        ("period=12", "Choose 7, 30 or 90 days, or a custom range."),
        ("period=custom&start=2026-11-20", "Enter both dates of the range."),
        ("period=custom&start=2026-11-20&end=2026-11-01", "The range ends before it starts."),
        ("period=custom&start=2024-01-01&end=2026-11-01", "A range covers at most 366 days."),
    ],
)
def test_a_bad_period_shows_why_and_the_last_30_days(owner_client, seeded, query, message):
    content = page(owner_client, query)
    assert 'role="alert" id="period-error"' in content
    assert message in content
    assert f'data-testid="period-label">Nov. 1, 2026 {DASH} Nov. 30, 2026<' in content
    assert len(tables(content).tables["table-per-day"]) == 30


def test_a_new_account_sees_its_first_steps_not_empty_charts(owner_client, team):
    content = page(owner_client)
    assert 'data-testid="first-steps"' in content
    assert "Choose your default sender ID" in content
    assert "data-chart=" not in content
    assert "chart.umd.min.js" not in content
    assert 'data-testid="period-picker"' not in content
    assert 'data-figure="sent_month">0<' in content


def test_a_new_account_sees_its_scheduled_campaign(owner_client, team):
    make_campaign(
        team.account,
        name="Black Friday",
        status=Campaign.Status.SCHEDULED,
        scheduled_at=NOW + datetime.timedelta(days=2),
    )
    content = page(owner_client)
    assert 'data-testid="first-steps"' in content
    assert "Black Friday" in content


def test_an_account_that_sent_before_sees_an_empty_period_not_the_first_steps(owner_client, team):
    make_campaign(
        team.account,
        name="Old one",
        status=Campaign.Status.SENT,
        launched_at=NOW - datetime.timedelta(days=200),
    )
    content = page(owner_client)
    assert 'data-testid="first-steps"' not in content
    assert 'data-testid="period-empty"' in content
    assert 'data-chart="stacked-bar"' in content
    assert "Nothing to show for this period." in content  # operators and states
    assert "Old one" in content


def test_it_lists_the_next_scheduled_and_the_last_campaigns(owner_client, seeded):
    later = make_campaign(
        seeded,
        name="Later",
        status=Campaign.Status.SCHEDULED,
        scheduled_at=NOW + datetime.timedelta(days=3),
    )
    make_campaign(
        seeded,
        name="Sooner",
        status=Campaign.Status.SCHEDULED,
        scheduled_at=NOW + datetime.timedelta(hours=3),
    )
    sent = make_campaign(
        seeded,
        name="Summer sale",
        status=Campaign.Status.SENT,
        launched_at=NOW - datetime.timedelta(days=3),
    )
    make_campaign(seeded, name="A draft")
    content = page(owner_client)
    scheduled = content.split('data-testid="scheduled-campaigns"')[1].split("</ul>")[0]
    assert scheduled.index("Sooner") < scheduled.index("Later")
    assert f'href="/campaigns/{later.public_id}/"' in scheduled
    recent = tables(content).tables["recent-campaigns"]
    assert recent[0][0] == "Summer sale"
    assert recent[0][2:] == ["0", "—"]
    assert f'href="/campaigns/{sent.public_id}/"' in content
    assert "A draft" not in content


def test_only_owners_get_the_buy_button(owner_client, member_client, admin_client_, seeded):
    assert 'href="/subscription/credits/"' in page(owner_client)
    assert 'data-testid="buy-credits"' not in page(member_client)
    assert 'data-testid="buy-credits"' not in page(admin_client_)


def test_it_never_shows_another_accounts_data(owner_client, outsider_client, team, seeded):
    seed_outsider(team.outsider_account)
    content = page(owner_client)
    for leaked in ("Evilcorp", "777", "999", "888", "Rejected by the carrier"):
        assert leaked not in content
    for chart in CHARTS:
        body = owner_client.get(f"/dashboard/{chart}.csv").content.decode()
        for leaked in ("Evilcorp", "777", "999", "888"):
            assert leaked not in body, chart
    # And the outsider sees only theirs.
    rows = tables(page(outsider_client)).tables["table-operators"]
    assert rows == [["Evilcorp", "777", "0", "0.0 %"]]


def test_it_requires_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_it_rejects_post(owner_client):
    assert owner_client.post("/").status_code == 405


def test_it_runs_the_same_queries_with_or_without_data(
    owner_client, team, django_assert_num_queries
):
    """Bounded whatever the volume: counted with an account that sent before but not
    in the period, then with a year of data, many operators and campaigns."""
    make_campaign(
        team.account,
        status=Campaign.Status.SENT,
        launched_at=NOW - datetime.timedelta(days=200),
    )
    owner_client.get("/")  # warm the session
    # session, user, membership, 4 aggregates, campaigns x2 and their 2 counters,
    # members, account switcher
    with django_assert_num_queries(13) as empty:
        page(owner_client, "period=90")
    count = len(empty)
    for n in range(365):
        d = NOW.date() - datetime.timedelta(days=n)
        DailyStat.objects.bulk_create(
            DailyStat(
                account=team.account,
                day=d,
                kind=("marketing", "notification")[n % 2],
                operator=f"Operator {k}",
                state=("delivered", "undelivered", "submitted")[k % 3],
                messages=n + k,
                segments=n + k,
            )
            for k in range(12)
        )
        HourlyStat.objects.create(
            account=team.account, day=d, hour=n % 24, kind="marketing", messages=n, segments=n
        )
        ClickStat.objects.create(account=team.account, day=d, clicks=n, clickers=n // 2)
    StatDelta.objects.bulk_create(
        StatDelta(
            account=team.account,
            slot=datetime.datetime(2026, 11, 30, 9, 0, tzinfo=datetime.UTC),
            kind="marketing",
            operator="Orange",
            state="delivered",
            messages=1,
            segments=1,
        )
        for _ in range(50)
    )
    for n in range(8):
        make_campaign(
            team.account,
            name=f"Campaign {n}",
            status=Campaign.Status.SENT,
            launched_at=NOW - datetime.timedelta(days=n),
        )
        make_campaign(
            team.account,
            name=f"Later {n}",
            status=Campaign.Status.SCHEDULED,
            scheduled_at=NOW + datetime.timedelta(days=n + 1),
        )
    owner_client.get("/")  # the new campaigns' figures into the cache
    with django_assert_num_queries(count):
        content = page(owner_client, "period=90")
    assert len(tables(content).tables["table-operators"]) == 9  # 8 and Other


def test_a_new_accounts_page_is_bounded_too(owner_client, django_assert_max_num_queries):
    owner_client.get("/")
    # the 11 of a dashboard and the checklist's (contacts, invitations) at most
    with django_assert_max_num_queries(13):
        page(owner_client)


# -------------------------------------------------------------------------- CSV

EXPECTED_CSV = {
    "per-day": (["Day", "Marketing", "Notification"], 30, ["2026-11-30", "45", "10"]),
    "per-hour": (["Hour", "Marketing", "Notification"], 24, ["23", "0", "0"]),
    "per-weekday": (["Day of the week", "Marketing", "Notification"], 7, ["Sunday", "5", "3"]),
    "operators": (
        ["Operator", "Messages", "Delivered", "Delivery rate"],
        5,
        ["Other", "3", "0", "0.0"],
    ),
    "states": (["State", "Messages"], 4, ["Failed", "2"]),
    "clicks": (["Day", "Clicks", "Recipients who clicked"], 30, ["2026-11-30", "12", "9"]),
}


@pytest.mark.parametrize("chart", CHARTS)
def test_each_chart_downloads_as_csv(owner_client, seeded, chart):
    response = owner_client.get(f"/dashboard/{chart}.csv?period=30")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        response["Content-Disposition"]
        == f'attachment; filename="sms-{chart}-2026-11-01-2026-11-30.csv"'
    )
    assert response["Cache-Control"] == "private, no-store"
    rows = read_csv(response)
    header, count, last = EXPECTED_CSV[chart]
    assert rows[0] == header
    assert len(rows) == count + 1
    assert rows[-1] == last


def test_the_csv_has_the_numbers_of_the_table(owner_client, seeded):
    rows = read_csv(owner_client.get("/dashboard/operators.csv"))
    assert rows[1:] == [
        ["Orange", "50", "45", "90.0"],
        ["Free", "20", "20", "100.0"],
        ["SFR", "10", "10", "100.0"],
        ["Bouygues", "2", "0", "0.0"],
        ["Other", "3", "0", "0.0"],
    ]
    rows = read_csv(owner_client.get("/dashboard/per-hour.csv"))
    assert rows[10] == ["9", "47", "20"]


def test_the_csv_follows_the_period(owner_client, seeded):
    response = owner_client.get(
        "/dashboard/per-day.csv?period=custom&start=2026-11-20&end=2026-11-21"
    )
    assert (
        response["Content-Disposition"]
        == 'attachment; filename="sms-per-day-2026-11-20-2026-11-21.csv"'
    )
    assert read_csv(response) == [
        ["Day", "Marketing", "Notification"],
        ["2026-11-20", "2", "20"],
        ["2026-11-21", "0", "0"],
    ]
    response = owner_client.get("/dashboard/states.csv?period=7")
    assert response["Content-Disposition"].endswith('"sms-states-2026-11-24-2026-11-30.csv"')


def test_the_csv_defuses_formulas(owner_client, seeded):
    DailyStat.objects.create(
        account=seeded,
        day=day(30),
        kind="marketing",
        operator="=HYPERLINK(1)",
        state="delivered",
        messages=500,
        segments=500,
    )
    rows = read_csv(owner_client.get("/dashboard/operators.csv"))
    assert rows[1] == ["'=HYPERLINK(1)", "500", "500", "100.0"]


def test_the_csv_headers_are_translated(owner_client, seeded):
    owner_client.cookies["django_language"] = "fr"
    rows = read_csv(owner_client.get("/dashboard/per-weekday.csv"))
    assert rows[0] == ["Jour de la semaine", "Marketing", "Notification"]
    assert rows[1][0] == "lundi"


def test_an_unknown_chart_is_404(owner_client, seeded):
    assert owner_client.get("/dashboard/secrets.csv").status_code == 404


def test_a_bad_period_is_400_with_a_plain_message(owner_client, seeded):
    response = owner_client.get("/dashboard/per-day.csv?period=custom&start=2026-11-20")
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == "Enter both dates of the range."


def test_the_csv_requires_login(client):
    response = client.get("/dashboard/per-day.csv")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_user_without_an_account_is_sent_to_create_one(client):
    user = make_user("lonely@example.test")
    client.force_login(user)
    response = client.get("/dashboard/per-day.csv")
    assert response.status_code == 302
    assert "/accounts/login/" not in response["Location"]
