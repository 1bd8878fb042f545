"""Launching a campaign: recipients, exclusions, rendering, credits, exactly once."""

import datetime
import threading
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection

from campaigns.models import Campaign, Kind, Message
from campaigns.services import (
    campaign_launch,
    campaign_schedule,
    campaign_start_preview,
    campaigns_launch_due,
)
from contacts.models import Contact, OptOut
from smsmode.accounts.models import Account
from smsmode.billing.models import CreditLedgerEntry, LedgerKind
from tests.campaigns.conftest import make_campaign

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")
# A Tuesday at 10:00 in Paris: inside the marketing window.
TUESDAY_10 = datetime.datetime(2026, 12, 1, 10, 0, tzinfo=PARIS)


@pytest.fixture(autouse=True)
def _inside_the_window():
    with time_machine.travel(TUESDAY_10, tick=True):
        yield


def launch(campaign: Campaign, **schedule) -> str:
    assert campaign_schedule(campaign=campaign, **schedule)
    return campaign_launch(campaign_id=campaign.pk)


def test_a_launch_renders_each_recipient_and_reserves_the_credits(funded, customers):
    OptOut.objects.create(account=funded, phone="+33612345674", source="stop")
    before = funded.credit_balance
    campaign = make_campaign(
        funded,
        [customers],
        numbers="06 12 34 56 70\n+33 6 99 00 00 01\nnot a number\n0699000001",
    )
    assert launch(campaign) == Campaign.Status.SENDING
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SENDING
    # 4 in the list (one opted out), plus one pasted number; the other pasted ones:
    # a contact of the list (duplicate), an invalid one, and a repeat.
    assert (campaign.recipients, campaign.excluded_opted_out) == (5, 1)
    assert (campaign.excluded_duplicate, campaign.excluded_invalid) == (2, 1)
    bodies = dict(Message.objects.filter(campaign=campaign).values_list("phone", "body"))
    assert bodies["+33612345670"] == "Hello Anne, -20% today!\nSTOP 36180"
    assert bodies["+33612345672"] == "Hello friend, -20% today!\nSTOP 36180"  # fallback
    assert bodies["+33699000001"] == "Hello friend, -20% today!\nSTOP 36180"
    assert "+33612345674" not in bodies
    messages = Message.objects.filter(campaign=campaign)
    assert set(messages.values_list("status", flat=True)) == {Message.Status.QUEUED}
    assert set(messages.values_list("sender", "encoding", "segments")) == {("ACME", "GSM7", 1)}
    assert campaign.credits_reserved == Decimal(5)
    funded.refresh_from_db()
    assert funded.credit_balance == before - 5
    reservation = CreditLedgerEntry.objects.get(account=funded, kind=LedgerKind.RESERVATION)
    assert reservation.amount == Decimal(-5)


def test_a_notification_has_no_stop_mention_and_counts_unicode(funded, customers):
    campaign = make_campaign(
        funded, [customers], kind=Kind.NOTIFICATION, body="Votre colis arrive 🚚 " + "x" * 60
    )
    launch(campaign)
    message = Message.objects.filter(campaign=campaign).first()
    assert "STOP" not in message.body
    assert (message.encoding, message.segments) == ("UCS2", 2)
    campaign.refresh_from_db()
    assert campaign.segments == 10 and campaign.credits_reserved == Decimal(10)


def test_the_price_per_segment_comes_from_the_plan(funded, customers):
    funded.plan.credits_per_segment = Decimal("1.5")
    funded.plan.save()
    campaign = make_campaign(funded, [customers], body="x" * 200)  # 2 segments
    launch(campaign)
    campaign.refresh_from_db()
    assert campaign.credits_reserved == Decimal("15.00")  # 5 x 2 x 1.5


def test_without_enough_credits_nothing_is_sent_and_the_user_sees_what_is_missing(team, customers):
    Account.objects.filter(pk=team.account.pk).update(credit_balance=Decimal(3))
    campaign = make_campaign(team.account, [customers])
    assert launch(campaign) == Campaign.Status.DRAFT
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT
    assert campaign.launch_error == "credits:2.00"
    assert not Message.objects.filter(campaign=campaign).exists()
    team.account.refresh_from_db()
    assert team.account.credit_balance == Decimal(3)


def test_a_double_click_launches_once(funded, customers, django_capture_on_commit_callbacks):
    campaign = make_campaign(funded, [customers])
    with django_capture_on_commit_callbacks(execute=False):
        assert campaign_schedule(campaign=campaign)
        assert not campaign_schedule(campaign=campaign)
    assert campaign_launch(campaign_id=campaign.pk) == Campaign.Status.SENDING
    assert campaign_launch(campaign_id=campaign.pk) == "skipped"  # a duplicated job
    assert Message.objects.filter(campaign=campaign).count() == 5
    assert CreditLedgerEntry.objects.filter(kind=LedgerKind.RESERVATION).count() == 1


def test_a_future_schedule_waits_for_the_periodic_job(funded, customers):
    campaign = make_campaign(funded, [customers])
    at = TUESDAY_10 + datetime.timedelta(hours=2)
    assert campaign_schedule(campaign=campaign, at=at)
    assert campaign_launch(campaign_id=campaign.pk) == "skipped"  # not due
    assert campaigns_launch_due() == 0
    with time_machine.travel(at + datetime.timedelta(minutes=1)):
        assert campaigns_launch_due() == 1
        assert campaigns_launch_due() == 0  # an overlapping run finds nothing
    assert Message.objects.filter(campaign=campaign).count() == 5


def test_a_marketing_send_on_sunday_is_held_to_monday_8am(funded, customers):
    campaign = make_campaign(funded, [customers])
    sunday = datetime.datetime(2026, 12, 6, 15, 0, tzinfo=PARIS)
    preview = campaign_start_preview(campaign=campaign, at=sunday)
    assert preview["held"]
    assert preview["start"] == datetime.datetime(2026, 12, 7, 8, 0, tzinfo=PARIS)
    campaign_schedule(campaign=campaign, at=sunday)
    campaign.refresh_from_db()
    assert campaign.scheduled_at == datetime.datetime(2026, 12, 7, 8, 0, tzinfo=PARIS)


def test_a_notification_on_sunday_is_not_held(funded, customers):
    campaign = make_campaign(funded, [customers], kind=Kind.NOTIFICATION)
    sunday = datetime.datetime(2026, 12, 6, 15, 0, tzinfo=PARIS)
    assert not campaign_start_preview(campaign=campaign, at=sunday)["held"]


def test_a_contact_in_two_lists_gets_one_message(funded, customers):
    from contacts.models import ContactList, Membership

    other = ContactList.objects.create(account=funded, name="Other")
    Membership.objects.create(contact=Contact.objects.get(phone="+33612345670"), contact_list=other)
    campaign = make_campaign(funded, [customers, other])
    launch(campaign)
    assert Message.objects.filter(campaign=campaign, phone="+33612345670").count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_campaigns_beyond_the_balance_never_overdraw(team):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    from contacts.models import ContactList, Membership

    Account.objects.filter(pk=team.account.pk).update(credit_balance=Decimal(10))
    lst = ContactList.objects.create(account=team.account, name="Six")
    contacts = Contact.objects.bulk_create(
        [Contact(account=team.account, phone=f"+3361234560{i}") for i in range(6)]
    )
    Membership.objects.bulk_create([Membership(contact=c, contact_list=lst) for c in contacts])
    campaigns = [make_campaign(team.account, [lst], name=f"C{i}") for i in range(3)]
    for campaign in campaigns:
        Campaign.objects.filter(pk=campaign.pk).update(
            status=Campaign.Status.SCHEDULED, scheduled_at=TUESDAY_10
        )
    results = []

    def go(campaign_id):
        try:
            results.append(campaign_launch(campaign_id=campaign_id))
        finally:
            connection.close()

    threads = [threading.Thread(target=go, args=(c.pk,)) for c in campaigns]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["draft", "draft", "sending"]
    team.account.refresh_from_db()
    assert team.account.credit_balance == Decimal(4)
    assert Message.objects.filter(account=team.account).count() == 6
