"""The dashboard in a browser: every chart drawn by Chart.js from its table, the
period picker, a CSV download, on a desktop and a phone, without console errors."""

import datetime
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from campaigns.models import Campaign
from smsmode.accounts.models import Account
from smsmode.accounts.services import account_create
from smsmode.billing.models import Plan
from smsmode.dashboard.models import ClickStat, DailyStat, HourlyStat, StatDelta
from tests.campaigns.conftest import make_campaign
from tests.conftest import make_user
from tests.e2e.conftest import screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
PARIS = ZoneInfo("Europe/Paris")
CHARTS = ("per-day", "per-hour", "per-weekday", "operators", "states", "clicks")
OPERATORS = ("Orange", "SFR", "Bouygues Telecom", "Free Mobile", "")
STATES = ("delivered", "delivered", "delivered", "delivered", "undelivered", "submitted")
DRAWN = """() => [...document.querySelectorAll("canvas")].length === 6 &&
    [...document.querySelectorAll("canvas")].every((canvas) => Chart.getChart(canvas))"""


def seed(account: Account) -> datetime.date:
    """Ninety days of sending in the account's days, some clicks, and campaigns."""
    today = timezone.now().astimezone(PARIS).date()
    daily, hourly, clicks = [], [], []
    for n in range(90):
        day = today - datetime.timedelta(days=n)
        weekend = day.weekday() >= 5
        for k, operator in enumerate(OPERATORS):
            for kind in ("marketing", "notification"):
                volume = (40 - n // 3 + 7 * k) * (1 if kind == "marketing" else 2)
                volume = volume // 3 if weekend else volume
                state = STATES[(n + k) % len(STATES)]
                daily.append(
                    DailyStat(
                        account=account,
                        day=day,
                        kind=kind,
                        operator=operator,
                        state=state,
                        messages=max(volume, 1),
                        segments=max(volume, 1),
                    )
                )
        for hour in range(8, 21):
            for kind in ("marketing", "notification"):
                peak = 30 if hour in (10, 11, 18) else 10
                hourly.append(
                    HourlyStat(
                        account=account,
                        day=day,
                        hour=hour,
                        kind=kind,
                        messages=peak if kind == "marketing" else peak // 2 + hour,
                        segments=peak,
                    )
                )
        clicks.append(ClickStat(account=account, day=day, clicks=20 + n % 9, clickers=10 + n % 5))
    DailyStat.objects.bulk_create(daily)
    HourlyStat.objects.bulk_create(hourly)
    ClickStat.objects.bulk_create(clicks)
    StatDelta.objects.create(
        account=account,
        slot=timezone.now().replace(minute=0, second=0, microsecond=0),
        kind="notification",
        operator="Orange",
        state="delivered",
        messages=3,
        segments=3,
    )
    now = timezone.now()
    for n, name in enumerate(("Winter sale", "Order reminders", "New collection")):
        make_campaign(
            account,
            name=name,
            status=Campaign.Status.SENT,
            launched_at=now - datetime.timedelta(days=2 + n * 5),
        )
    make_campaign(
        account,
        name="Christmas teaser",
        status=Campaign.Status.SCHEDULED,
        scheduled_at=now + datetime.timedelta(days=4),
    )
    return today


def assert_drawn(page) -> None:
    page.wait_for_function(DRAWN)
    for chart in CHARTS:
        canvas = page.locator(f"#chart-{chart}-canvas")
        assert canvas.is_visible(), chart
        assert page.evaluate("(id) => Chart.getChart(id) !== undefined", f"chart-{chart}-canvas")
        # Drawn: the table's numbers fold away under "Show the numbers".
        details = page.get_by_test_id(f"chart-{chart}").locator("details")
        assert details.get_attribute("open") is None, chart


def full_screenshot(page, path: str, name: str) -> None:
    """The whole page at its own height: a full-page capture of a shorter viewport
    resizes the charts while it shoots."""
    width = page.viewport_size["width"]
    page.set_viewport_size({"width": width, "height": page.evaluate("document.body.scrollHeight")})
    page.wait_for_timeout(300)
    page.screenshot(path=path, full_page=True)
    screenshot(page, name)


def test_the_dashboard_draws_its_charts_and_follows_the_period(page, browser, live_server):
    errors: list[str] = []
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    owner = make_user("owner@bakery.test")
    account = account_create(name="Bakery", owner=owner, language="en")
    Account.objects.filter(pk=account.pk).update(plan=Plan.objects.get(code="classic"))
    today = seed(account)

    page.goto("/accounts/login/")
    page.fill("input[name=login]", "owner@bakery.test")
    page.fill("input[name=password]", "correct horse battery")
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/$"))
    assert_drawn(page)
    assert page.evaluate("Chart.getChart('chart-per-day-canvas').config.type") == "bar"
    assert page.evaluate("Chart.getChart('chart-operators-canvas').options.indexAxis") == "y"
    assert page.evaluate("Chart.getChart('chart-states-canvas').config.type") == "doughnut"
    assert page.evaluate("Chart.getChart('chart-clicks-canvas').config.type") == "line"
    assert page.evaluate("Chart.getChart('chart-per-day-canvas').data.labels.length") == 30
    # Marketing is the same colour in every chart.
    colours = page.evaluate(
        """() => ["per-day", "per-hour", "per-weekday"].map(
            (c) => Chart.getChart(`chart-${c}-canvas`).data.datasets[0].backgroundColor)"""
    )
    assert len(set(colours)) == 1
    # The numbers are one click away.
    page.get_by_test_id("chart-operators").get_by_text("Show the numbers").click()
    assert page.get_by_test_id("table-operators").is_visible()
    assert "Other" in page.get_by_test_id("table-operators").inner_text()
    assert "Winter sale" in page.get_by_test_id("recent-campaigns").inner_text()
    assert "Christmas teaser" in page.get_by_test_id("scheduled-campaigns").inner_text()
    full_screenshot(page, "/tmp/dashboard.png", "60-dashboard")

    page.get_by_test_id("period-7").click()
    page.wait_for_url(re.compile(r".*\?period=7$"))
    assert_drawn(page)
    assert page.evaluate("Chart.getChart('chart-per-day-canvas').data.labels.length") == 7

    start = today - datetime.timedelta(days=13)
    page.fill("#period-start", start.isoformat())
    page.fill("#period-end", today.isoformat())
    page.get_by_test_id("period-apply").click()
    page.wait_for_url(re.compile(r".*period=custom&start=.*"))
    assert_drawn(page)
    assert page.evaluate("Chart.getChart('chart-per-day-canvas').data.labels.length") == 14

    with page.expect_download() as download:
        page.get_by_test_id("csv-per-day").click()
    assert download.value.suggested_filename == (
        f"sms-per-day-{start.isoformat()}-{today.isoformat()}.csv"
    )
    lines = Path(download.value.path()).read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "Day,Marketing,Notification"
    assert len(lines) == 15

    # A bad range keeps the page, with the reason next to the picker.
    page.goto("/?period=custom&start=2026-11-20&end=2026-11-01")
    assert "ends before it starts" in page.get_by_role("alert").inner_text()
    assert_drawn(page)

    phone = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        reduced_motion="reduce",  # dashboard.js then draws without animation
        locale="en-GB",
        storage_state=page.context.storage_state(),
    )
    small = phone.new_page()
    small.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    small.on("pageerror", lambda exc: errors.append(str(exc)))
    small.goto("/")
    assert_drawn(small)
    width = small.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone: {width}px"
    full_screenshot(small, "/tmp/dashboard-phone.png", "61-dashboard-phone")
    phone.close()

    assert not page.csp_violations
    assert not errors, errors


def test_a_new_account_sees_its_first_steps_without_charts(page):
    owner = make_user("new@shop.test")
    account_create(name="Shop", owner=owner, language="en")
    page.goto("/accounts/login/")
    page.fill("input[name=login]", "new@shop.test")
    page.fill("input[name=password]", "correct horse battery")
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/$"))
    assert page.get_by_test_id("first-steps").is_visible()
    assert page.locator("canvas").count() == 0
    assert page.evaluate("typeof window.Chart") == "undefined"
    assert not page.csp_violations
