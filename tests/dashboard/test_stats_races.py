"""Races of the statistics on PostgreSQL, with real concurrent transactions: two
reports of one message, a click flush during a rebuild, a fold between two reads."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.db import connection, connections, transaction

from campaigns import dispatch
from campaigns.models import Kind, Message
from smsmode.dashboard import stats
from smsmode.dashboard.models import ClickStat, DailyStat
from smsmode.dashboard.selectors import Period, dashboard
from smsmode.sms.gateways.base import DeliveryReport, DeliveryState

UTC = datetime.UTC
AT = datetime.datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
DAY = datetime.date(2026, 12, 1)


def sent(account, provider_id: str) -> Message:
    message = Message.objects.create(
        account=account,
        kind=Kind.NOTIFICATION,
        phone="+33612345678",
        operator="SFR",
        sender="ACME",
        body="Hi",
        encoding="GSM7",
        segments=1,
        cost=Decimal(1),
        status=Message.Status.SUBMITTED,
        submitted_at=AT,
        provider_id=provider_id,
    )
    stats.record_sent([message.pk])
    return message


def in_thread(target, name: str = "other") -> threading.Thread:
    def run():
        try:
            target()
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, name=name)
    thread.start()
    return thread


@pytest.fixture
def postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("the races need PostgreSQL's concurrent transactions")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_fold_between_two_reads_of_the_page_changes_nothing(team, monkeypatch, postgresql):
    account = team.account
    sent(account, "a")
    stats.fold()
    sent(account, "b")  # waiting for the fold
    real = stats.local_buckets

    def fold_meanwhile(rows, zones):  # after the daily rows were read, before the deltas
        in_thread(stats.fold).join(10)
        return real(rows, zones)

    monkeypatch.setattr(stats, "local_buckets", fold_meanwhile)
    assert dashboard(account, Period(DAY, DAY, None), today=DAY).messages == 2
    monkeypatch.setattr(stats, "local_buckets", real)
    assert dashboard(account, Period(DAY, DAY, None), today=DAY).messages == 2  # folded


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_reports_of_one_message_at_once_move_it_once(team, monkeypatch, postgresql):
    account = team.account
    message = sent(account, "pid-1")
    first_read = threading.Event()
    real = dispatch._apply_report

    def slow(message, *args):
        if threading.current_thread().name == "slow":
            first_read.set()
            threading.Event().wait(0.5)  # the other report arrives meanwhile
        return real(message, *args)

    monkeypatch.setattr(dispatch, "_apply_report", slow)
    report = DeliveryReport(provider_id="pid-1", state=DeliveryState.DELIVERED)
    thread = in_thread(lambda: dispatch.on_delivery_report(report), name="slow")
    assert first_read.wait(5)
    dispatch.on_delivery_report(
        DeliveryReport(provider_id="pid-1", state=DeliveryState.UNKNOWN)
    )  # waits for the first (the row lock), then finds it final
    thread.join(10)
    message.refresh_from_db()
    stats.fold()
    counts = {r.state: r.messages for r in DailyStat.objects.filter(account=account) if r.messages}
    assert (message.status, counts) == ("delivered", {"delivered": 1})


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_click_flush_during_a_rebuild_waits_for_it(team, monkeypatch, postgresql):
    account = team.account
    sent(account, "p")
    stats.record_clicks([(account.pk, AT)], [])  # a counter row the rebuild replaces
    threads = []
    real = stats.TruncDate

    def flush_meanwhile(*args, **kwargs):  # inside the rebuild, after its snapshot
        monkeypatch.setattr(stats, "TruncDate", real)

        def flush():
            with transaction.atomic():
                stats.record_clicks([(account.pk, AT)], [])

        threads.append(in_thread(flush))
        threading.Event().wait(0.3)  # the flush is now waiting on the lock
        return real(*args, **kwargs)

    monkeypatch.setattr(stats, "TruncDate", flush_meanwhile)
    stats.rebuild(account)  # no serialization failure
    threads[0].join(10)
    # The rebuild counted no Click row (the test wrote counters only); the flush's
    # click came after it.
    assert ClickStat.objects.get(account=account, day=DAY).clicks == 1
