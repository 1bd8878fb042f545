"""The dashboard's aggregates: kept up to date as messages change state, in the
account's local days and hours, and equal to a rebuild from the messages."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import django_rq
import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from campaigns.api_messages import NewMessage, message_accept
from campaigns.dispatch import (
    api_dispatch,
    campaign_dispatch,
    messages_sweep_stale,
    on_delivery_report,
)
from campaigns.models import Campaign, Kind, Message
from campaigns.services import campaign_cancel, campaign_launch, campaign_schedule
from contacts.models import Contact, ContactList, Membership
from shortener.clicks import clicks_flush
from shortener.models import ShortLink
from smsmode.accounts.models import Account
from smsmode.dashboard import stats
from smsmode.dashboard.models import CampaignStat, ClickStat, DailyStat, HourlyStat, StatDelta
from smsmode.dashboard.selectors import Period, dashboard
from smsmode.sms.gateways.base import DeliveryReport, DeliveryState
from tests.campaigns.conftest import make_campaign, run_jobs

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")
UTC = datetime.UTC
TUESDAY_10 = datetime.datetime(2026, 12, 1, 10, 0, tzinfo=PARIS)
PHONE_UA = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/126.0 Mobile"
PREVIEW_UA = "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)"


@pytest.fixture(autouse=True)
def _setup(settings, queues):
    settings.SMS_GATEWAY = "sandbox"
    settings.SMS_SANDBOX_REPORT_DELAY = 0
    settings.SMS_SUBMIT_PER_SECOND = 0
    settings.SHORT_LINK_DOMAIN = "sms.fr"


def launched(account, lists=(), **fields) -> Campaign:
    campaign = make_campaign(account, lists, **fields)
    assert campaign_schedule(campaign=campaign)
    assert campaign_launch(campaign_id=campaign.pk) == Campaign.Status.SENDING
    return campaign


def snapshot(account) -> dict:
    """The account's aggregates after a fold, without zero rows (a fold may leave a
    counter at 0 where a rebuild writes no row)."""
    stats.fold()
    assert not StatDelta.objects.filter(account=account).exists()
    return {
        "daily": {
            (r.day, r.kind, r.operator, r.state): (r.messages, r.segments)
            for r in DailyStat.objects.filter(account=account)
            if r.messages or r.segments
        },
        "hourly": {
            (r.day, r.hour, r.kind): (r.messages, r.segments)
            for r in HourlyStat.objects.filter(account=account)
            if r.messages or r.segments
        },
        "clicks": {
            r.day: (r.clicks, r.clickers)
            for r in ClickStat.objects.filter(account=account)
            if r.clicks or r.clickers
        },
        "campaigns": {
            (r.campaign_id, r.state): r.messages
            for r in CampaignStat.objects.filter(campaign__account=account)
            if r.messages
        },
    }


def assert_rebuild_agrees(account) -> dict:
    incremental = snapshot(account)
    stats.rebuild(account)
    assert snapshot(account) == incremental
    return incremental


def states(figures: dict) -> dict[str, int]:
    out: dict[str, int] = {}
    for (_day, _kind, _operator, state), (n, _s) in figures["daily"].items():
        out[state] = out.get(state, 0) + n
    return out


def message(account, at: datetime.datetime, *, status="submitted", kind=Kind.NOTIFICATION, **kw):
    """A message that left the queue at `at` (for tests of days and hours)."""
    fields = {
        "account": account,
        "kind": kind,
        "phone": "+33612345678",
        "operator": "Orange",
        "sender": "ACME",
        "body": "Hi",
        "encoding": "GSM7",
        "segments": 1,
        "cost": Decimal(1),
        "status": status,
        "submitted_at": at if status != "failed" else None,
        "final_at": at if status != "submitted" else None,
    }
    fields.update(kw)
    return Message.objects.create(**fields)


# ------------------------------------------------------------ through the real flows


def test_a_campaign_counts_once_it_leaves_the_queue_and_moves_with_its_reports(funded, customers):
    with time_machine.travel(TUESDAY_10, tick=True):
        campaign = launched(funded, [customers], kind=Kind.MARKETING)
        assert snapshot(funded)["daily"] == {}  # queued: not sent yet
        assert campaign_dispatch(campaign_id=campaign.pk) == 5
        day = datetime.date(2026, 12, 1)
        assert snapshot(funded)["daily"] == {(day, "marketing", "SFR", "submitted"): (5, 5)}
        run_jobs("sms")  # the sandbox's delivery reports
        figures = assert_rebuild_agrees(funded)
    assert figures["daily"] == {(day, "marketing", "SFR", "delivered"): (5, 5)}
    assert figures["hourly"] == {(day, 10, "marketing"): (5, 5)}  # one message, once
    assert figures["campaigns"] == {(campaign.pk, "delivered"): 5}


def test_every_outcome_is_counted_in_its_state(funded):
    lst = ContactList.objects.create(account=funded, name="Test range")
    numbers = [f"+3369999000{i}" for i in range(1, 6)] + ["+33612345670"]
    contacts = [Contact.objects.create(account=funded, phone=phone) for phone in numbers]
    Membership.objects.bulk_create([Membership(contact=c, contact_list=lst) for c in contacts])
    with time_machine.travel(TUESDAY_10, tick=True):
        campaign = launched(funded, [lst], kind=Kind.NOTIFICATION)
        for _ in range(6):  # the throttled number comes back until its attempts run out
            campaign_dispatch(campaign_id=campaign.pk)
        run_jobs("sms")
        figures = assert_rebuild_agrees(funded)
    assert states(figures) == {
        "undelivered": 1,
        "rejected": 1,
        "expired": 1,
        "failed": 2,
        "delivered": 1,
    }


def test_a_message_lost_by_a_dead_worker_counts_as_unknown(funded, customers, settings):
    settings.SMS_SUBMITTING_TIMEOUT = 60
    with time_machine.travel(TUESDAY_10, tick=True):
        campaign = launched(funded, [customers])
        stale = timezone.now() - datetime.timedelta(minutes=5)
        Message.objects.filter(campaign=campaign).update(
            status=Message.Status.SUBMITTING, claimed_at=stale
        )
        assert messages_sweep_stale() == 5
        assert messages_sweep_stale() == 0  # run again: counted once
        figures = assert_rebuild_agrees(funded)
    assert states(figures) == {"unknown": 5}


def test_a_late_report_of_an_unknown_message_moves_it(funded, customers):
    with time_machine.travel(TUESDAY_10, tick=True):
        campaign = launched(funded, [customers])
        campaign_dispatch(campaign_id=campaign.pk)
        pid = Message.objects.filter(campaign=campaign).order_by("pk")[0].provider_id
        on_delivery_report(DeliveryReport(provider_id=pid, state=DeliveryState.UNKNOWN))
        on_delivery_report(DeliveryReport(provider_id=pid, state=DeliveryState.DELIVERED))
        on_delivery_report(DeliveryReport(provider_id=pid, state=DeliveryState.REJECTED))
        figures = assert_rebuild_agrees(funded)
    assert states(figures) == {"submitted": 4, "delivered": 1}  # the final state stays


def test_cancelled_messages_were_not_sent_and_do_not_count(funded, customers):
    with time_machine.travel(TUESDAY_10, tick=True):
        campaign = launched(funded, [customers])
        assert campaign_cancel(campaign=campaign)
        assert assert_rebuild_agrees(funded)["daily"] == {}


def test_api_messages_count_with_their_kind(funded):
    Account.objects.filter(pk=funded.pk).update(default_sender_id="ACME")
    funded.refresh_from_db()
    with time_machine.travel(TUESDAY_10, tick=True):
        message_accept(account=funded, key=None, new=NewMessage(to="0612345678", text="Code 1"))
        message_accept(account=funded, key=None, new=NewMessage(to="0767123456", text="Code 2"))
        assert api_dispatch() == 2
        run_jobs("sms")
        figures = assert_rebuild_agrees(funded)
    operators = {operator for (_d, _k, operator, _s) in figures["daily"]}
    assert states(figures) == {"delivered": 2}
    assert {kind for (_d, kind, _o, _s) in figures["daily"]} == {"notification"}
    assert operators == {"SFR", "Free Mobile"}


def test_clicks_by_people_count_per_day_and_first_clicks_make_clickers(funded, customers):
    with time_machine.travel(TUESDAY_10, tick=True):
        campaign = launched(funded, [customers], body="Sale https://shop.example/sale")
        campaign_dispatch(campaign_id=campaign.pk)
        codes = list(
            ShortLink.objects.filter(campaign=campaign)
            .order_by("pk")
            .values_list("code", flat=True)
        )
        phone = Client(HTTP_USER_AGENT=PHONE_UA, REMOTE_ADDR="203.0.113.7")
        assert phone.get(f"/s/{codes[0]}").status_code == 302
        assert phone.get(f"/s/{codes[0]}").status_code == 302  # again: one clicker
        assert phone.get(f"/s/{codes[1]}").status_code == 302
        preview = Client(HTTP_USER_AGENT=PREVIEW_UA, REMOTE_ADDR="198.51.100.1")
        assert preview.get(f"/s/{codes[2]}").status_code == 302  # a link preview
        assert clicks_flush() == 4
        figures = assert_rebuild_agrees(funded)
    assert figures["clicks"] == {datetime.date(2026, 12, 1): (3, 2)}


# ------------------------------------------------------------- days, hours, zones


def test_the_day_and_hour_are_the_accounts_local_ones(team):
    account = team.account  # Europe/Paris: UTC+1 in winter
    ids = [
        message(account, datetime.datetime(2026, 12, 1, 22, 50, tzinfo=UTC)).pk,  # 23:50
        message(account, datetime.datetime(2026, 12, 1, 23, 10, tzinfo=UTC)).pk,  # 00:10
    ]
    stats.record_sent(ids)
    figures = assert_rebuild_agrees(account)
    assert figures["hourly"] == {
        (datetime.date(2026, 12, 1), 23, "notification"): (1, 1),
        (datetime.date(2026, 12, 2), 0, "notification"): (1, 1),
    }


def test_a_half_hour_zone_falls_in_the_right_local_day(team):
    Account.objects.filter(pk=team.account.pk).update(time_zone="Asia/Kolkata")  # +05:30
    account = Account.objects.get(pk=team.account.pk)
    stats.record_sent(
        [
            message(account, datetime.datetime(2026, 12, 1, 18, 25, tzinfo=UTC)).pk,  # 23:55
            message(account, datetime.datetime(2026, 12, 1, 18, 40, tzinfo=UTC)).pk,  # 00:10
        ]
    )
    figures = assert_rebuild_agrees(account)
    assert set(figures["hourly"]) == {
        (datetime.date(2026, 12, 1), 23, "notification"),
        (datetime.date(2026, 12, 2), 0, "notification"),
    }


def test_the_autumn_dst_day_has_its_repeated_hour_twice(team):
    account = team.account
    # 25 October 2026, Paris: 03:00 CEST becomes 02:00 CET; 02:30 happens twice.
    ids = [
        message(account, datetime.datetime(2026, 10, 25, 0, 30, tzinfo=UTC)).pk,  # 02:30 CEST
        message(account, datetime.datetime(2026, 10, 25, 1, 30, tzinfo=UTC)).pk,  # 02:30 CET
        message(account, datetime.datetime(2026, 10, 25, 22, 30, tzinfo=UTC)).pk,  # 23:30 CET
    ]
    stats.record_sent(ids)
    figures = assert_rebuild_agrees(account)
    day = datetime.date(2026, 10, 25)
    assert figures["hourly"] == {
        (day, 2, "notification"): (2, 2),
        (day, 23, "notification"): (1, 1),
    }
    assert figures["daily"] == {(day, "notification", "Orange", "submitted"): (3, 3)}


def test_the_spring_dst_day_has_no_two_oclock(team):
    account = team.account
    # 29 March 2026, Paris: 02:00 CET becomes 03:00 CEST.
    ids = [
        message(account, datetime.datetime(2026, 3, 29, 0, 59, tzinfo=UTC)).pk,  # 01:59 CET
        message(account, datetime.datetime(2026, 3, 29, 1, 0, tzinfo=UTC)).pk,  # 03:00 CEST
        message(account, datetime.datetime(2026, 3, 28, 23, 0, tzinfo=UTC)).pk,  # 00:00 CET
    ]
    stats.record_sent(ids)
    figures = assert_rebuild_agrees(account)
    day = datetime.date(2026, 3, 29)
    assert sorted(hour for (d, hour, _k) in figures["hourly"] if d == day) == [0, 1, 3]


def test_a_failed_message_counts_when_it_failed(team):
    account = team.account
    failed = message(account, datetime.datetime(2026, 12, 1, 9, 0, tzinfo=UTC), status="failed")
    stats.record_sent([failed.pk])
    figures = assert_rebuild_agrees(account)
    assert figures["hourly"] == {(datetime.date(2026, 12, 1), 10, "notification"): (1, 1)}


def test_a_new_time_zone_rebuilds_the_accounts_days(
    team, owner_client, django_capture_on_commit_callbacks
):
    account = team.account
    stats.record_sent([message(account, datetime.datetime(2026, 12, 1, 23, 30, tzinfo=UTC)).pk])
    assert set(snapshot(account)["clicks"]) == set()
    assert {d for (d, _h, _k) in snapshot(account)["hourly"]} == {datetime.date(2026, 12, 2)}
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(
            "/settings/",
            {
                "name": account.name,
                "time_zone": "America/New_York",
                "language": "en",
                "country": "FR",
                "default_sender_id": "",
            },
        )
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.time_zone == "America/New_York"
    assert django_rq.get_queue("low").count == 1
    run_jobs("low")
    hourly = snapshot(account)["hourly"]
    assert hourly == {(datetime.date(2026, 12, 1), 18, "notification"): (1, 1)}


# --------------------------------------------------------------- fold and rebuild


def test_the_figures_include_what_is_not_folded_yet(team):
    account = team.account
    stats.record_sent([message(account, datetime.datetime(2026, 12, 1, 9, 0, tzinfo=UTC)).pk])
    period = Period(datetime.date(2026, 11, 25), datetime.date(2026, 12, 1), 7)
    before = dashboard(account, period, today=datetime.date(2026, 12, 1))
    assert StatDelta.objects.exists()
    stats.fold()
    after = dashboard(account, period, today=datetime.date(2026, 12, 1))
    assert before.messages == after.messages == before.sent_today == 1
    assert before.per_hour == after.per_hour and before.per_day == after.per_day


def test_a_second_fold_adds_nothing(team):
    account = team.account
    stats.record_sent([message(account, datetime.datetime(2026, 12, 1, 9, 0, tzinfo=UTC)).pk])
    assert stats.fold() == 1
    assert stats.fold() == 0
    assert DailyStat.objects.get(account=account).messages == 1


def test_record_sent_ignores_messages_still_in_the_queue(team):
    queued = message(
        team.account, datetime.datetime(2026, 12, 1, 9, 0, tzinfo=UTC), status="queued"
    )
    stats.record_sent([queued.pk])
    assert not StatDelta.objects.exists()


def test_a_rebuild_of_some_days_leaves_the_others_alone(team):
    account = team.account
    for day in (1, 2, 3):
        at = datetime.datetime(2026, 11, day, 9, 0, tzinfo=UTC)
        stats.record_sent([message(account, at).pk])
    stats.fold()
    DailyStat.objects.filter(account=account).update(messages=99)  # drifted
    stats.rebuild(account, since=datetime.date(2026, 11, 2), until=datetime.date(2026, 11, 2))
    counts = dict(DailyStat.objects.filter(account=account).values_list("day", "messages"))
    assert counts == {
        datetime.date(2026, 11, 1): 99,
        datetime.date(2026, 11, 2): 1,
        datetime.date(2026, 11, 3): 99,
    }


def test_an_accounts_figures_are_its_own(team):
    mine = message(team.account, datetime.datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    theirs = message(team.outsider_account, datetime.datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    stats.record_sent([mine.pk, theirs.pk])
    stats.fold()
    period = Period(datetime.date(2026, 11, 25), datetime.date(2026, 12, 1), 7)
    assert dashboard(team.account, period, today=datetime.date(2026, 12, 1)).messages == 1
    stats.rebuild(team.outsider_account)
    assert DailyStat.objects.filter(account=team.account).count() == 1  # untouched


def test_the_rebuild_command(team):
    stats.record_sent([message(team.account, datetime.datetime(2026, 12, 1, 9, 0, tzinfo=UTC)).pk])
    stats.fold()
    DailyStat.objects.all().delete()
    call_command("rebuild_stats", "--account", str(team.account.public_id), "--since", "2026-11-01")
    assert DailyStat.objects.get(account=team.account).messages == 1
    with pytest.raises(CommandError, match="not a date"):
        call_command("rebuild_stats", "--since", "yesterday")
    with pytest.raises(CommandError, match="no account"):
        call_command("rebuild_stats", "--account", "not-an-account")
    with pytest.raises(CommandError, match="after"):
        call_command("rebuild_stats", "--since", "2026-12-02", "--until", "2026-12-01")


def test_the_operator_is_remembered_per_range():
    from smsmode.sms.numbers import operator_name, operator_of

    for phone in ("+33612345678", "+33712345678", "+447700900123", "+15555550100", "+33"):
        assert operator_of(phone) == operator_name(phone)
        assert operator_of(phone) == operator_name(phone)  # from the cache


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_rebuild_in_its_own_transaction_holds_the_fold_off(team):
    """The rebuild's snapshot (REPEATABLE READ on PostgreSQL) and its lock: a fold
    while it runs does nothing, and folds the rest afterwards."""
    from django.db import connection, connections

    account = team.account
    stats.record_sent([message(account, datetime.datetime(2026, 12, 1, 9, 0, tzinfo=UTC)).pk])
    assert stats.rebuild(account) == 1  # outside any transaction: its own snapshot
    assert DailyStat.objects.get(account=account).messages == 1
    stats.record_sent([message(account, datetime.datetime(2026, 12, 1, 9, 5, tzinfo=UTC)).pk])
    if connection.vendor != "postgresql":
        return
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:  # as a rebuild running elsewhere
            cursor.execute("SELECT pg_advisory_lock(%s)", [stats._LOCK_KEY])
        assert stats.fold() == 0
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [stats._LOCK_KEY])
    finally:
        other.close()
    assert stats.fold() == 1
    assert DailyStat.objects.get(account=account).messages == 2


def test_a_range_is_cut_at_today_and_may_not_start_in_the_future():
    from smsmode.dashboard.selectors import PeriodError, period_from

    today = datetime.date(2026, 12, 1)
    period = period_from({"period": "custom", "start": "2026-11-20", "end": "2026-12-31"}, today)
    assert (period.start, period.end) == (datetime.date(2026, 11, 20), today)
    with pytest.raises(PeriodError, match="future"):
        period_from({"period": "custom", "start": "2026-12-02", "end": "2026-12-05"}, today)


def test_an_old_range_reads_its_days_and_this_month_only(team):
    account = team.account
    for at in (
        datetime.datetime(2024, 3, 5, 9, 0, tzinfo=UTC),  # in the range
        datetime.datetime(2025, 6, 1, 9, 0, tzinfo=UTC),  # neither
        datetime.datetime(2026, 12, 1, 9, 0, tzinfo=UTC),  # today
    ):
        stats.record_sent([message(account, at).pk])
    stats.fold()
    period = Period(datetime.date(2024, 3, 1), datetime.date(2024, 3, 31), None)
    data = dashboard(account, period, today=datetime.date(2026, 12, 1))
    assert (data.messages, data.sent_today, data.sent_month) == (1, 1, 1)


def test_a_partial_rebuild_keeps_the_campaigns_counts(funded, customers):
    with time_machine.travel(TUESDAY_10, tick=True):
        campaign = launched(funded, [customers])
        campaign_dispatch(campaign_id=campaign.pk)  # deltas, not folded
        stats.rebuild(funded, since=datetime.date(2026, 12, 1), until=datetime.date(2026, 12, 1))
        run_jobs("sms")
        figures = assert_rebuild_agrees(funded)
    assert figures["campaigns"] == {(campaign.pk, "delivered"): 5}


def test_test_sends_count_for_the_account_not_the_campaign(
    funded, customers, django_capture_on_commit_callbacks
):
    from campaigns.services import campaign_test_send

    with time_machine.travel(TUESDAY_10, tick=True):
        campaign = make_campaign(funded, [customers])
        with django_capture_on_commit_callbacks(execute=True):
            assert campaign_test_send(campaign=campaign, numbers=["+33612345679"]) == 1
        run_jobs("sms")
        figures = assert_rebuild_agrees(funded)
    assert states(figures) == {"submitted": 1}
    assert figures["campaigns"] == {}
