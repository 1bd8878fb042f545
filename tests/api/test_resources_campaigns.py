"""/api/v1/campaigns: drafts, schedule, cancel, duplicate, statistics."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from campaigns.models import Campaign, Message, Reply
from campaigns.services import campaign_launch
from contacts.models import Contact, ContactList, Membership
from smsmode.accounts.models import Account
from smsmode.billing.models import LedgerKind
from smsmode.billing.services import credits_add
from tests.api.conftest import assert_error

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_redis")]

PARIS = ZoneInfo("Europe/Paris")
TUESDAY_10 = datetime.datetime(2026, 12, 1, 10, 0, tzinfo=PARIS)
SUNDAY_15 = datetime.datetime(2026, 12, 6, 15, 0, tzinfo=PARIS)
MONDAY_8 = datetime.datetime(2026, 12, 7, 8, 0, tzinfo=PARIS)
CAMPAIGNS = "/api/v1/campaigns"


@pytest.fixture(autouse=True)
def _tuesday_morning():
    with time_machine.travel(TUESDAY_10, tick=True):
        yield


@pytest.fixture
def customers(team) -> ContactList:
    """1,000 credits and a list of 3 contacts."""
    credits_add(account_id=team.account.pk, amount=Decimal(1000), kind=LedgerKind.ADJUSTMENT)
    contact_list = ContactList.objects.create(account=team.account, name="Customers")
    contacts = [
        Contact.objects.create(account=team.account, phone=f"+3361234567{i}", first_name=name)
        for i, name in enumerate(["Anne", "Bruno", "Chloé"])
    ]
    Membership.objects.bulk_create(
        [Membership(contact=c, contact_list=contact_list) for c in contacts]
    )
    contact_list.contact_count = 3
    contact_list.save()
    return contact_list


def make_campaign(account, lists=(), **fields) -> Campaign:
    fields.setdefault("name", "Spring sale")
    fields.setdefault("body", "Hello {first_name|friend}, -20% today!")
    fields.setdefault("sender_id", "ACME")
    campaign = Campaign.objects.create(account=account, **fields)
    campaign.lists.set(lists)
    return campaign


def path(campaign: Campaign, action: str = "") -> str:
    return f"{CAMPAIGNS}/{campaign.public_id}" + (f"/{action}" if action else "")


# ------------------------------------------------------------------------- drafts


def test_it_creates_a_draft(manage_api, team, customers):
    response = manage_api.post(
        CAMPAIGNS,
        {
            "name": "Spring sale",
            "kind": "notification",
            "senderId": "ACME",
            "body": "Hello {first_name}",
            "lists": [str(customers.public_id)],
            "numbers": ["06 12 34 56 99", "+33698765432"],
        },
    )
    assert response.status_code == 201, response.content
    data = response.json()
    campaign = Campaign.objects.get()
    assert data["id"] == str(campaign.public_id)
    assert (data["status"], data["kind"], data["senderId"]) == ("draft", "notification", "ACME")
    assert data["lists"] == [str(customers.public_id)]
    assert data["numbers"] == ["06 12 34 56 99", "+33698765432"]
    assert data["scheduledAt"] is None and data["launchError"] == ""
    assert campaign.account == team.account and campaign.created_by == team.owner


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 121}, "name"),
        ({"name": "Sale", "kind": "spam"}, "kind"),
        ({"name": "Sale", "senderId": "AC!ME"}, "senderId"),
        ({"name": "Sale", "body": "Hello {shoe_size}"}, "body"),
        ({"name": "Sale", "body": "€" * 1000}, "body"),
        ({"name": "Sale", "lists": [str(uuid.uuid4())]}, "lists"),
        ({"name": "Sale", "numbers": ["0612345678"] * 10_001}, "numbers"),
        ({"name": "Sale", "when": "now"}, "when"),
    ],
)
def test_a_draft_names_the_field_at_fault(manage_api, customers, body, field):
    assert_error(manage_api.post(CAMPAIGNS, body), 422, "INVALID_FIELD", field)
    assert not Campaign.objects.exists()


def test_a_draft_cannot_use_another_accounts_list(manage_api, team):
    theirs = ContactList.objects.create(account=team.outsider_account, name="Theirs")
    response = manage_api.post(CAMPAIGNS, {"name": "Sale", "lists": [str(theirs.public_id)]})
    assert_error(response, 422, "INVALID_FIELD", "lists")


def test_get_and_list(read_api, team, customers):
    first = make_campaign(team.account, [customers], name="First")
    second = make_campaign(team.account, name="Second", kind="notification")
    make_campaign(team.outsider_account, name="Theirs")
    data = read_api.get(path(first)).json()
    assert (data["name"], data["lists"]) == ("First", [str(customers.public_id)])
    names = [item["name"] for item in read_api.get(CAMPAIGNS).json()["items"]]
    assert names == ["Second", "First"]  # newest first
    notifications = read_api.get(CAMPAIGNS, {"kind": "notification"}).json()["items"]
    assert [item["id"] for item in notifications] == [str(second.public_id)]
    assert read_api.get(CAMPAIGNS, {"status": "sent"}).json()["items"] == []
    assert_error(read_api.get(CAMPAIGNS, {"status": "lost"}), 422, "INVALID_FIELD", "status")


def test_pages_walk_every_campaign_once(read_api, team, django_assert_max_num_queries):
    lists = [ContactList.objects.create(account=team.account, name=f"L{i}") for i in range(3)]
    for i in range(7):
        make_campaign(team.account, lists, name=f"Campaign {i}")
    seen, cursor = [], ""
    while True:
        with django_assert_max_num_queries(5):  # key, last use, page, lists
            data = read_api.get(CAMPAIGNS, {"limit": 3, "cursor": cursor}).json()
        seen += [item["name"] for item in data["items"]]
        assert all(len(item["lists"]) == 3 for item in data["items"])
        if not data["nextCursor"]:
            break
        cursor = data["nextCursor"]
    assert seen == [f"Campaign {i}" for i in reversed(range(7))]


def test_duplicate_makes_a_draft_copy(manage_api, team, customers):
    campaign = make_campaign(team.account, [customers], status=Campaign.Status.SENT)
    response = manage_api.post(path(campaign, "duplicate"))
    assert response.status_code == 201
    data = response.json()
    assert (data["name"], data["status"]) == ("Spring sale (copy)", "draft")
    assert data["lists"] == [str(customers.public_id)]


# ----------------------------------------------------------------------- schedule


def test_send_now(send_api, team, customers, django_capture_on_commit_callbacks):
    campaign = make_campaign(team.account, [customers])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = send_api.post(path(campaign, "schedule"), {"at": None})
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["campaign"]["status"] == "scheduled"
    assert data["held"] is False
    assert data["startsAt"] == data["requestedAt"] == data["campaign"]["scheduledAt"]
    assert len(callbacks) == 1  # the launch job, on commit
    assert campaign_launch(campaign_id=campaign.pk) == Campaign.Status.SENDING
    assert Message.objects.filter(campaign=campaign).count() == 3


def test_an_empty_body_means_now(send_api, team, customers):
    campaign = make_campaign(team.account, [customers])
    assert send_api.post(path(campaign, "schedule")).json()["held"] is False


def test_a_marketing_send_outside_the_window_answers_the_real_start(send_api, team, customers):
    campaign = make_campaign(team.account, [customers])
    response = send_api.post(path(campaign, "schedule"), {"at": SUNDAY_15.isoformat()})
    data = response.json()
    assert data["held"] is True
    assert datetime.datetime.fromisoformat(data["requestedAt"]) == SUNDAY_15
    assert datetime.datetime.fromisoformat(data["startsAt"]) == MONDAY_8
    campaign.refresh_from_db()
    assert campaign.scheduled_at == MONDAY_8


def test_a_notification_is_never_held(send_api, team, customers):
    campaign = make_campaign(team.account, [customers], kind="notification")
    data = send_api.post(path(campaign, "schedule"), {"at": SUNDAY_15.isoformat()}).json()
    assert data["held"] is False
    assert datetime.datetime.fromisoformat(data["startsAt"]) == SUNDAY_15


def test_a_time_without_offset_is_in_the_accounts_time_zone(send_api, team, customers):
    campaign = make_campaign(team.account, [customers], kind="notification")
    send_api.post(path(campaign, "schedule"), {"at": "2026-12-02T09:30:00"})
    campaign.refresh_from_db()
    assert campaign.scheduled_at == datetime.datetime(2026, 12, 2, 9, 30, tzinfo=PARIS)


def test_an_offset_postgresql_refuses_is_stored_in_utc(send_api, team, customers):
    campaign = make_campaign(team.account, [customers], kind="notification")
    response = send_api.post(path(campaign, "schedule"), {"at": "2026-12-03T09:30:00+20:30"})
    assert response.status_code == 200, response.content
    campaign.refresh_from_db()
    assert campaign.scheduled_at == datetime.datetime(2026, 12, 2, 13, 0, tzinfo=datetime.UTC)


@pytest.mark.parametrize(
    "at", ["2020-01-01T10:00:00+01:00", "2028-01-01T10:00:00+01:00", "tomorrow", 12]
)
def test_a_bad_time_names_the_field(send_api, team, customers, at):
    campaign = make_campaign(team.account, [customers])
    assert_error(send_api.post(path(campaign, "schedule"), {"at": at}), 422, "INVALID_FIELD", "at")
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT


def test_a_campaign_is_scheduled_once(send_api, team, customers):
    campaign = make_campaign(team.account, [customers])
    assert send_api.post(path(campaign, "schedule")).status_code == 200
    assert_error(send_api.post(path(campaign, "schedule")), 409, "CAMPAIGN_NOT_DRAFT")


def test_an_unready_campaign_is_refused(send_api, team, customers):
    no_body = make_campaign(team.account, [customers], body="")
    body = assert_error(send_api.post(path(no_body, "schedule")), 422, "CAMPAIGN_NOT_READY")
    assert "Write the message." in body["message"]
    no_one = make_campaign(team.account)
    assert_error(send_api.post(path(no_one, "schedule")), 422, "CAMPAIGN_NOT_READY")
    empty = make_campaign(
        team.account, [ContactList.objects.create(account=team.account, name="E")]
    )
    assert_error(send_api.post(path(empty, "schedule")), 422, "NO_RECIPIENTS")


def test_a_suspended_account_sends_nothing(send_api, team, customers):
    campaign = make_campaign(team.account, [customers])
    Account.objects.filter(pk=team.account.pk).update(is_suspended=True)
    assert_error(send_api.post(path(campaign, "schedule")), 403, "ACCOUNT_SUSPENDED")
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT


# ------------------------------------------------------------------------- cancel


def test_cancel_a_scheduled_campaign(send_api, team, customers):
    campaign = make_campaign(
        team.account, [customers], status=Campaign.Status.SCHEDULED, scheduled_at=MONDAY_8
    )
    response = send_api.post(path(campaign, "cancel"))
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "cancelled"
    assert response.json()["cancelledAt"]


def test_cancel_a_sending_campaign_refunds_what_was_not_sent(send_api, team, customers):
    campaign = make_campaign(team.account, [customers], kind="notification")
    Campaign.objects.filter(pk=campaign.pk).update(
        status=Campaign.Status.SCHEDULED, scheduled_at=timezone.now()
    )
    campaign_launch(campaign_id=campaign.pk)
    team.account.refresh_from_db()
    before = team.account.credit_balance
    assert send_api.post(path(campaign, "cancel")).json()["status"] == "cancelled"
    team.account.refresh_from_db()
    assert team.account.credit_balance == before + 3
    assert set(Message.objects.values_list("status", flat=True)) == {Message.Status.CANCELLED}


def test_only_a_scheduled_or_sending_campaign_is_cancelled(send_api, team, customers):
    campaign = make_campaign(team.account, [customers])
    assert_error(send_api.post(path(campaign, "cancel")), 409, "CAMPAIGN_NOT_CANCELLABLE")


# --------------------------------------------------------------------- statistics


def test_statistics(read_api, team, customers):
    campaign = make_campaign(team.account, [customers], kind="notification")
    Campaign.objects.filter(pk=campaign.pk).update(
        status=Campaign.Status.SCHEDULED, scheduled_at=timezone.now()
    )
    campaign_launch(campaign_id=campaign.pk)
    first, second, _third = Message.objects.filter(campaign=campaign).order_by("id")
    Message.objects.filter(pk=first.pk).update(
        status=Message.Status.DELIVERED, final_at=timezone.now()
    )
    Message.objects.filter(pk=second.pk).update(status=Message.Status.UNDELIVERED)
    Campaign.objects.filter(pk=campaign.pk).update(tracked_links=3, clicks=4, clickers=1)
    Reply.objects.create(
        account=team.account,
        campaign=campaign,
        phone=first.phone,
        text="STOP",
        is_stop=True,
        received_at=timezone.now(),
    )
    # A test send is left out of the figures.
    Message.objects.create(
        account=team.account,
        campaign=campaign,
        is_test=True,
        kind="notification",
        phone="+33600000000",
        sender="ACME",
        body="x",
        encoding="GSM7",
        segments=1,
        cost=Decimal(1),
        status=Message.Status.DELIVERED,
    )
    response = read_api.get(path(campaign, "statistics"))
    assert response.status_code == 200, response.content
    data = response.json()
    assert {key: data[key] for key in ("recipients", "delivered", "failed", "pending")} == {
        "recipients": 3,
        "delivered": 1,
        "failed": 1,
        "pending": 1,
    }
    assert data["deliveryRate"] == 0.5
    assert (data["clicks"], data["clickers"], data["clickRate"]) == (4, 1, 1.0)
    assert (data["replies"], data["stopReplies"]) == (1, 1)
    assert (data["creditsReserved"], data["creditsSpent"]) == ("3.00", "3.00")
    assert data["byStatus"] == {"delivered": 1, "undelivered": 1, "queued": 1}


def test_statistics_of_a_draft_are_zero(read_api, team, customers):
    data = read_api.get(path(make_campaign(team.account, [customers]), "statistics")).json()
    assert (data["recipients"], data["deliveryRate"], data["clickRate"]) == (0, None, None)


# ------------------------------------------------------------------ scopes, tenancy


def test_drafts_need_the_manage_scope(send_api, read_api, team, customers):
    campaign = make_campaign(team.account, [customers])
    for client in (send_api, read_api):
        assert_error(client.post(CAMPAIGNS, {"name": "Sale"}), 403, "INSUFFICIENT_SCOPE")
        assert_error(client.post(path(campaign, "duplicate")), 403, "INSUFFICIENT_SCOPE")


def test_schedule_and_cancel_need_the_send_scope(read_api, manage_api, team, customers):
    campaign = make_campaign(team.account, [customers])
    assert_error(read_api.post(path(campaign, "schedule")), 403, "INSUFFICIENT_SCOPE")
    assert_error(read_api.post(path(campaign, "cancel")), 403, "INSUFFICIENT_SCOPE")
    # "manage" includes "send".
    assert manage_api.post(path(campaign, "schedule")).status_code == 200


@pytest.mark.parametrize(
    ("method", "action"),
    [
        ("get", ""),
        ("post", "schedule"),
        ("post", "cancel"),
        ("post", "duplicate"),
        ("get", "statistics"),
    ],
)
def test_another_accounts_campaign_answers_404(outsider_api, team, customers, method, action):
    campaign = make_campaign(
        team.account, [customers], status=Campaign.Status.SCHEDULED, scheduled_at=MONDAY_8
    )
    response = getattr(outsider_api, method)(path(campaign, action))
    assert_error(response, 404, "NOT_FOUND")
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SCHEDULED
    assert Campaign.objects.count() == 1
    assert outsider_api.get(CAMPAIGNS).json()["items"] == []
