"""Dispatch through the sandbox gateway: submitted once, reports, refunds, states."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import django_rq
import pytest
import time_machine
from django.utils import timezone

from campaigns.dispatch import (
    campaign_dispatch,
    messages_sweep_stale,
    on_delivery_report,
)
from campaigns.models import Campaign, Message, PendingReport, Reply
from campaigns.services import (
    campaign_cancel,
    campaign_launch,
    campaign_schedule,
    campaign_test_send,
)
from contacts.models import Contact, ContactList, Membership, OptOut
from smsmode.sms.gateways.base import DeliveryReport, DeliveryState
from smsmode.sms.gateways.sandbox import RECORD_KEY, simulate_inbound
from tests.campaigns.conftest import make_campaign, run_jobs

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")
TUESDAY_10 = datetime.datetime(2026, 12, 1, 10, 0, tzinfo=PARIS)


@pytest.fixture(autouse=True)
def _setup(settings, queues):
    settings.SMS_GATEWAY = "sandbox"
    settings.SMS_SANDBOX_REPORT_DELAY = 0
    settings.SMS_SANDBOX_RECORD = True
    settings.SMS_SUBMIT_PER_SECOND = 0
    with time_machine.travel(TUESDAY_10, tick=True):
        yield


def launched(account, lists=(), **fields) -> Campaign:
    campaign = make_campaign(account, lists, **fields)
    assert campaign_schedule(campaign=campaign)
    assert campaign_launch(campaign_id=campaign.pk) == Campaign.Status.SENDING
    return campaign


def states(campaign) -> dict[str, str]:
    return dict(Message.objects.filter(campaign=campaign).values_list("phone", "status"))


def test_a_campaign_is_submitted_then_delivered(funded, customers):
    campaign = launched(funded, [customers])
    assert campaign_dispatch(campaign_id=campaign.pk) == 5
    assert set(states(campaign).values()) == {Message.Status.SUBMITTED}
    assert all(Message.objects.filter(campaign=campaign).values_list("provider_id", flat=True))
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SENT  # nothing left to submit
    run_jobs("sms")  # the sandbox's delivery reports
    assert set(states(campaign).values()) == {Message.Status.DELIVERED}
    record = django_rq.get_connection("sms").hgetall(RECORD_KEY)
    assert len(record) == 5 and set(record.values()) == {b"1"}


def test_every_outcome_of_the_sandbox_ends_in_a_visible_state(funded):
    lst = ContactList.objects.create(account=funded, name="Test range")
    numbers = [f"+3369999000{i}" for i in range(1, 6)] + ["+33612345670"]
    contacts = [Contact.objects.create(account=funded, phone=phone) for phone in numbers]
    Membership.objects.bulk_create([Membership(contact=c, contact_list=lst) for c in contacts])
    before = funded.credit_balance
    campaign = launched(funded, [lst])
    for _ in range(6):  # throttled keeps coming back until its attempts run out
        campaign_dispatch(campaign_id=campaign.pk)
    run_jobs("sms")
    assert states(campaign) == {
        "+33699990001": Message.Status.UNDELIVERED,
        "+33699990002": Message.Status.REJECTED,
        "+33699990003": Message.Status.EXPIRED,
        "+33699990004": Message.Status.FAILED,
        "+33699990005": Message.Status.FAILED,
        "+33612345670": Message.Status.DELIVERED,
    }
    failed = Message.objects.get(campaign=campaign, phone="+33699990005")
    assert (failed.error_code, failed.attempts) == ("retries_exhausted", 5)
    # Rejected and failed messages are refunded: 3 of the 6 credits come back.
    funded.refresh_from_db()
    assert funded.credit_balance == before - 6 + 3
    campaign.refresh_from_db()
    assert (campaign.credits_reserved, campaign.credits_refunded) == (Decimal(6), Decimal(3))
    assert campaign.status == Campaign.Status.SENT


def test_a_retried_dispatch_submits_nothing_twice(funded, customers):
    campaign = launched(funded, [customers])
    assert campaign_dispatch(campaign_id=campaign.pk) == 5
    assert campaign_dispatch(campaign_id=campaign.pk) == 0  # the same job, retried
    record = django_rq.get_connection("sms").hgetall(RECORD_KEY)
    assert set(record.values()) == {b"1"}


def test_a_report_before_its_provider_id_waits_and_is_applied(funded, customers):
    on_delivery_report(DeliveryReport(provider_id="sbx-early", state=DeliveryState.DELIVERED))
    assert PendingReport.objects.filter(provider_id="sbx-early").exists()
    campaign = launched(funded, [customers])
    message = Message.objects.filter(campaign=campaign).order_by("pk").first()
    Message.objects.filter(pk=message.pk).update(
        status=Message.Status.SUBMITTING, claimed_at=timezone.now()
    )
    from campaigns.dispatch import _record
    from smsmode.sms.gateways.base import SubmitResult

    _record(
        [SubmitResult(reference=str(message.pk), provider_id="sbx-early")],
        {str(message.pk): message.pk},
        funded.pk,
    )
    message.refresh_from_db()
    assert message.status == Message.Status.DELIVERED
    assert not PendingReport.objects.exists()


def test_a_final_state_is_never_overwritten_by_a_late_report(funded, customers):
    campaign = launched(funded, [customers])
    campaign_dispatch(campaign_id=campaign.pk)
    message = Message.objects.filter(campaign=campaign).first()
    on_delivery_report(
        DeliveryReport(provider_id=message.provider_id, state=DeliveryState.DELIVERED)
    )
    on_delivery_report(
        DeliveryReport(provider_id=message.provider_id, state=DeliveryState.REJECTED)
    )
    message.refresh_from_db()
    assert message.status == Message.Status.DELIVERED


def test_messages_left_submitting_by_a_dead_worker_become_unknown_never_resent(
    funded, customers, settings
):
    settings.SMS_SUBMITTING_TIMEOUT = 60
    campaign = launched(funded, [customers])
    stale = timezone.now() - datetime.timedelta(minutes=5)
    Message.objects.filter(campaign=campaign).update(
        status=Message.Status.SUBMITTING, claimed_at=stale
    )
    assert messages_sweep_stale() == 5
    assert set(states(campaign).values()) == {Message.Status.UNKNOWN}
    assert campaign_dispatch(campaign_id=campaign.pk) == 0
    assert not django_rq.get_connection("sms").hgetall(RECORD_KEY)
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SENT


def test_a_campaign_without_a_dispatcher_gets_one(
    funded, customers, settings, django_capture_on_commit_callbacks
):
    settings.SMS_SUBMITTING_TIMEOUT = 60
    campaign = launched(funded, [customers])
    Campaign.objects.filter(pk=campaign.pk).update(
        dispatch_heartbeat=timezone.now() - datetime.timedelta(minutes=5)
    )
    django_rq.get_queue("sms").empty()  # its jobs were lost with Redis
    with django_capture_on_commit_callbacks(execute=True):
        messages_sweep_stale()
    run_jobs("sms")
    assert set(states(campaign).values()) <= {Message.Status.SUBMITTED, Message.Status.DELIVERED}


def test_cancelling_a_sending_campaign_cancels_and_refunds_what_is_not_submitted(funded, customers):
    campaign = launched(funded, [customers])
    first = Message.objects.filter(campaign=campaign).order_by("pk").first()
    Message.objects.filter(pk=first.pk).update(status=Message.Status.SUBMITTED, provider_id="x")
    before = Campaign.objects.get(pk=campaign.pk).account.credit_balance
    assert campaign_cancel(campaign=campaign)
    assert not campaign_cancel(campaign=campaign)  # once
    assert campaign.status == Campaign.Status.CANCELLED
    values = states(campaign)
    assert list(values.values()).count(Message.Status.CANCELLED) == 4
    funded.refresh_from_db()
    assert funded.credit_balance == before + 4
    assert campaign_dispatch(campaign_id=campaign.pk) == 0


def test_outside_the_window_marketing_messages_are_held_then_sent(funded, customers):
    campaign = launched(funded, [customers])
    saturday_night = datetime.datetime(2026, 12, 5, 21, 0, tzinfo=PARIS)
    with time_machine.travel(saturday_night, tick=False):
        assert campaign_dispatch(campaign_id=campaign.pk) == 0
    held = Message.objects.filter(campaign=campaign)
    assert set(held.values_list("status", flat=True)) == {Message.Status.HELD}
    assert held.first().not_before == datetime.datetime(2026, 12, 7, 8, 0, tzinfo=PARIS)
    with time_machine.travel(datetime.datetime(2026, 12, 7, 8, 1, tzinfo=PARIS), tick=False):
        assert campaign_dispatch(campaign_id=campaign.pk) == 5


def test_a_test_send_goes_out_now_and_is_charged(funded, customers):
    campaign = make_campaign(funded, [customers])
    before = funded.credit_balance
    assert (
        campaign_test_send(campaign=campaign, numbers=["06 12 34 56 70", "+33 6 99 00 00 09"]) == 2
    )
    campaign_dispatch(campaign_id=campaign.pk)
    tests = Message.objects.filter(campaign=campaign, is_test=True)
    assert set(tests.values_list("status", flat=True)) == {Message.Status.SUBMITTED}
    assert tests.get(phone="+33612345670").body.startswith("Hello Anne")
    funded.refresh_from_db()
    assert funded.credit_balance == before - 2
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT


def test_a_test_send_is_limited_to_five_valid_numbers(funded, customers):
    from campaigns.services import CampaignError

    campaign = make_campaign(funded, [customers])
    with pytest.raises(CampaignError) as error:
        campaign_test_send(campaign=campaign, numbers=[f"0612345{i:03d}" for i in range(6)])
    assert error.value.code == "too_many"
    with pytest.raises(CampaignError) as error:
        campaign_test_send(campaign=campaign, numbers=["0612"])
    assert error.value.code == "invalid"
    assert not Message.objects.exists()


def test_a_reply_is_kept_and_a_stop_opts_the_number_out(funded, customers):
    campaign = launched(funded, [customers])
    campaign_dispatch(campaign_id=campaign.pk)
    simulate_inbound(sender="+33612345670", text="STOP")
    simulate_inbound(sender="+33612345671", text="Merci, à samedi !")
    run_jobs("sms")
    replies = Reply.objects.filter(account=funded).order_by("phone")
    assert [(r.phone, r.is_stop, r.campaign_id) for r in replies] == [
        ("+33612345670", True, campaign.pk),
        ("+33612345671", False, campaign.pk),
    ]
    assert OptOut.objects.filter(account=funded, phone="+33612345670").exists()


def test_a_claim_never_exceeds_one_seconds_budget(funded, customers, settings):
    from campaigns.dispatch import _claim

    settings.SMS_SUBMIT_PER_SECOND = 2
    campaign = launched(funded, [customers])
    assert len(_claim(campaign.pk, timezone.now())) == 2
    assert Message.objects.filter(campaign=campaign, status=Message.Status.SUBMITTING).count() == 2


def test_a_suspended_account_sends_nothing(funded, customers):
    from campaigns.services import CampaignError

    campaign = launched(funded, [customers])
    type(funded).objects.filter(pk=funded.pk).update(is_suspended=True)
    assert campaign_dispatch(campaign_id=campaign.pk) == 0
    assert set(states(campaign).values()) == {Message.Status.QUEUED}
    other = make_campaign(funded, [customers], name="Other")
    other.account.refresh_from_db()
    with pytest.raises(CampaignError):
        campaign_schedule(campaign=other)
    with pytest.raises(CampaignError):
        campaign_test_send(campaign=other, numbers=["0612345670"])
    type(funded).objects.filter(pk=funded.pk).update(is_suspended=False)
    assert campaign_dispatch(campaign_id=campaign.pk) == 5


def test_a_campaign_scheduled_before_a_suspension_waits_as_a_draft(funded, customers):
    campaign = make_campaign(funded, [customers])
    assert campaign_schedule(campaign=campaign)
    type(funded).objects.filter(pk=funded.pk).update(is_suspended=True)
    assert campaign_launch(campaign_id=campaign.pk) == Campaign.Status.DRAFT
    campaign.refresh_from_db()
    assert (campaign.status, campaign.launch_error) == (Campaign.Status.DRAFT, "suspended")
    assert not Message.objects.filter(campaign=campaign).exists()
