"""A STOP reply opts its sender out of every account that has the number as a contact."""

import django_rq
import pytest
from rq import SimpleWorker

from contacts.models import Contact, OptOut
from smsmode.sms import events
from smsmode.sms.gateways.base import InboundSms
from smsmode.sms.gateways.sandbox import simulate_inbound

pytestmark = pytest.mark.django_db

PHONE = "+33612345678"


@pytest.fixture
def known_by_two(team):
    """The number is a contact of both accounts of the team fixture."""
    Contact.objects.create(account=team.account, phone=PHONE, first_name="Ana")
    Contact.objects.create(account=team.outsider_account, phone=PHONE)
    return team


@pytest.fixture
def sms_queue():
    queue = django_rq.get_queue("sms")
    queue.connection.flushdb()  # this test worker's own Redis database
    yield queue
    queue.connection.flushdb()


def _reply(text: str, sender: str = PHONE) -> None:
    # Through the event hub, as every gateway does: tests the subscription too.
    events.receive_inbound(InboundSms(sender=sender, recipient="36180", text=text))


def _optouts() -> list[tuple[int, str, str]]:
    return sorted(
        OptOut.objects.filter(removed_at__isnull=True).values_list("account_id", "phone", "source")
    )


def test_a_stop_opts_the_number_out_of_every_account_that_knows_it(known_by_two):
    _reply("STOP")
    team = known_by_two
    assert _optouts() == sorted(
        [(team.account.pk, PHONE, "stop"), (team.outsider_account.pk, PHONE, "stop")]
    )
    assert OptOut.objects.filter(created_by__isnull=False).count() == 0


@pytest.mark.parametrize("text", ["Stop 36180", "stop", " STOP! ", "Arrêt", "STOP36180"])
def test_stop_with_the_short_code_or_written_otherwise_counts(known_by_two, text):
    _reply(text)
    assert len(_optouts()) == 2


@pytest.mark.parametrize("text", ["Bonjour", "Stopper la promo ?", "non-stop", ""])
def test_other_replies_do_nothing(known_by_two, text):
    _reply(text)
    assert _optouts() == []


def test_a_national_format_sender_is_matched(known_by_two):
    _reply("STOP", sender="0612345678")
    assert len(_optouts()) == 2


def test_a_number_no_account_knows_does_nothing(known_by_two):
    _reply("STOP", sender="+33698765432")
    assert not OptOut.objects.exists()


def test_an_unreadable_sender_does_nothing(known_by_two):
    _reply("STOP", sender="ACME")
    assert not OptOut.objects.exists()


def test_a_repeated_stop_is_idempotent(known_by_two):
    _reply("STOP")
    first = set(OptOut.objects.values_list("pk", flat=True))
    _reply("STOP")
    _reply("stop 36180")
    assert set(OptOut.objects.values_list("pk", flat=True)) == first
    assert len(first) == 2


def test_a_stop_after_an_optout_by_hand_keeps_the_one_by_hand(known_by_two):
    team = known_by_two
    by_hand = OptOut.objects.create(
        account=team.account, phone=PHONE, source="manual", created_by=team.owner
    )
    _reply("STOP")
    assert OptOut.objects.filter(account=team.account).get() == by_hand
    assert OptOut.objects.filter(account=team.outsider_account, source="stop").count() == 1


def test_a_stop_after_a_removal_opts_out_again(known_by_two):
    from django.utils import timezone

    team = known_by_two
    OptOut.objects.create(
        account=team.account,
        phone=PHONE,
        source="stop",
        removed_at=timezone.now(),
        removed_by=team.owner,
    )
    _reply("STOP")
    assert OptOut.objects.filter(account=team.account).count() == 2
    assert OptOut.objects.filter(account=team.account, removed_at__isnull=True).count() == 1


def test_a_stop_through_the_sandbox_and_the_sms_queue(known_by_two, sms_queue):
    simulate_inbound(sender=PHONE, text="STOP")
    assert not OptOut.objects.exists()  # nothing happens before a worker runs the job
    SimpleWorker([sms_queue], connection=sms_queue.connection).work(burst=True)
    team = known_by_two
    optout = OptOut.objects.get(account=team.account, removed_at__isnull=True)
    assert optout.phone == PHONE
    assert optout.source == OptOut.Source.STOP
    assert OptOut.objects.filter(account=team.outsider_account, source="stop").exists()
    assert len(sms_queue.failed_job_registry) == 0
