"""Campaign fixtures: an account with credits, contacts in lists, and RQ helpers."""

from decimal import Decimal

import django_rq
import pytest
from rq import SimpleWorker
from rq.scheduler import RQScheduler

from campaigns.models import Campaign
from contacts.models import Contact, ContactList, Membership
from smsmode.billing.models import LedgerKind
from smsmode.billing.services import credits_add


@pytest.fixture
def funded(team):
    """The team's account with 1,000 credits."""
    credits_add(account_id=team.account.pk, amount=Decimal(1000), kind=LedgerKind.ADJUSTMENT)
    team.account.refresh_from_db()
    return team.account


@pytest.fixture
def customers(funded):
    """A list of 5 contacts (+33 6 12 34 56 70 ... 74)."""
    lst = ContactList.objects.create(account=funded, name="Customers")
    contacts = [
        Contact.objects.create(
            account=funded,
            phone=f"+3361234567{i}",
            first_name=["Anne", "Bruno", "", "Dina", "Eve"][i],
            custom={"city": "Paris"},
        )
        for i in range(5)
    ]
    Membership.objects.bulk_create([Membership(contact=c, contact_list=lst) for c in contacts])
    return lst


def make_campaign(account, lists=(), **fields) -> Campaign:
    fields.setdefault("name", "Spring sale")
    fields.setdefault("body", "Hello {first_name|friend}, -20% today!")
    fields.setdefault("sender_id", "ACME")
    campaign = Campaign.objects.create(account=account, **fields)
    campaign.lists.set(lists)
    return campaign


@pytest.fixture
def queues():
    """The test worker's own Redis database, empty before and after."""
    connection = django_rq.get_connection("default")
    connection.flushdb()
    yield connection
    connection.flushdb()


def run_jobs(*names: str) -> None:
    """Run every queued job of these queues, and the scheduled ones that are due."""
    queues = [django_rq.get_queue(name) for name in names or ("default", "sms")]
    scheduler = RQScheduler(queues, connection=queues[0].connection)
    scheduler.acquire_locks()
    scheduler.enqueue_scheduled_jobs()
    scheduler.release_locks()
    SimpleWorker(queues, connection=queues[0].connection).work(burst=True)
