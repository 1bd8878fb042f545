"""The campaign screens: list, editor with autosave and estimate, send, test, cancel,
duplicate, report, CSV; and an outsider gets 404 everywhere."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from campaigns.models import Campaign, Message
from campaigns.services import campaign_launch
from smsmode.dashboard import stats
from tests.campaigns.conftest import make_campaign

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")
TUESDAY_10 = datetime.datetime(2026, 12, 1, 10, 0, tzinfo=PARIS)


@pytest.fixture(autouse=True)
def _tuesday():
    with time_machine.travel(TUESDAY_10, tick=True):
        yield


def url(name: str, campaign: Campaign) -> str:
    return reverse(f"campaigns:{name}", args=[campaign.public_id])


def form_data(customers, **extra) -> dict:
    data = {
        "name": "Black Friday",
        "kind": "marketing",
        "sender_id": "ACME",
        "lists": [str(customers.public_id)],
        "numbers": "",
        "body": "Hi {first_name|there}, -30% tonight",
    }
    data.update(extra)
    return data


def test_the_list_shows_the_accounts_campaigns(owner_client, funded):
    make_campaign(funded, name="Mine")
    response = owner_client.get(reverse("campaigns:index"))
    assert response.status_code == 200
    assert "Mine" in response.content.decode()


def test_a_new_account_sees_what_campaigns_are_for(owner_client, funded):
    response = owner_client.get(reverse("campaigns:index"))
    assert 'data-testid="empty-state"' in response.content.decode()


def test_creating_a_campaign_saves_a_draft(owner_client, funded, customers):
    response = owner_client.post(reverse("campaigns:create"), form_data(customers))
    campaign = Campaign.objects.get(account=funded)
    assert response.status_code == 302
    assert response["Location"] == url("edit", campaign)
    assert campaign.status == Campaign.Status.DRAFT
    assert list(campaign.lists.all()) == [customers]


def test_the_editor_shows_the_estimate(owner_client, funded, customers):
    campaign = make_campaign(funded, [customers])
    response = owner_client.get(url("edit", campaign))
    body = response.content.decode()
    assert response.status_code == 200
    estimate = response.context["estimate"]
    assert (estimate.recipients, estimate.segments_max) == (5, 1)
    assert estimate.preview.endswith("STOP 36180")
    assert 'data-testid="send"' in body


def test_autosave_saves_and_returns_the_new_estimate(owner_client, funded, customers):
    campaign = make_campaign(funded, [customers])
    response = owner_client.post(
        url("edit", campaign),
        form_data(customers, body="x" * 200),
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert response.context["estimate"].segments_max == 2
    campaign.refresh_from_db()
    assert campaign.body == "x" * 200


def test_an_unknown_merge_field_is_refused(owner_client, funded, customers):
    campaign = make_campaign(funded, [customers])
    response = owner_client.post(url("edit", campaign), form_data(customers, body="Hi {nickname}"))
    assert "Unknown merge fields: {nickname}." in response.content.decode()


def test_a_message_too_long_is_refused(owner_client, funded, customers):
    campaign = make_campaign(funded, [customers])
    response = owner_client.post(url("edit", campaign), form_data(customers, body="x" * 1600))
    assert response.status_code == 200
    campaign.refresh_from_db()
    assert campaign.body != "x" * 1600


def test_another_accounts_list_cannot_be_chosen(owner_client, funded, customers, team):
    from contacts.models import ContactList

    theirs = ContactList.objects.create(account=team.outsider_account, name="Theirs")
    response = owner_client.post(
        reverse("campaigns:create"), form_data(customers, lists=[str(theirs.public_id)])
    )
    assert response.status_code == 200
    assert not Campaign.objects.exists()


def test_send_now_launches_the_campaign(
    owner_client, funded, customers, django_capture_on_commit_callbacks
):
    campaign = make_campaign(funded, [customers])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = owner_client.post(url("send", campaign), {"when": "now"})
    assert response["Location"] == url("detail", campaign)
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SCHEDULED
    assert len(callbacks) == 1  # the launch job
    assert campaign_launch(campaign_id=campaign.pk) == Campaign.Status.SENDING
    # A second click finds it already sent: nothing more.
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        owner_client.post(url("send", campaign), {"when": "now"})
    assert not callbacks
    assert Message.objects.filter(campaign=campaign).count() == 5


def test_a_held_send_asks_for_confirmation_first(owner_client, funded, customers):
    campaign = make_campaign(funded, [customers])
    response = owner_client.post(url("send", campaign), {"when": "later", "at": "2026-12-06T15:00"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Monday 7 December, 08:00" in body
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT
    response = owner_client.post(
        url("send", campaign), {"when": "later", "at": "2026-12-06T15:00", "confirm": "1"}
    )
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SCHEDULED
    assert campaign.scheduled_at == datetime.datetime(2026, 12, 7, 8, 0, tzinfo=PARIS)


def test_a_date_in_the_past_is_refused(owner_client, funded, customers):
    campaign = make_campaign(funded, [customers])
    owner_client.post(url("send", campaign), {"when": "later", "at": "2020-01-01T10:00"})
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT


def test_a_campaign_without_recipients_cannot_be_sent(owner_client, funded):
    campaign = make_campaign(funded)
    response = owner_client.post(url("send", campaign), {"when": "now"}, follow=True)
    assert "Choose at least one list or add numbers." in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT


def test_the_test_send_reports_a_bad_number(owner_client, funded, customers):
    campaign = make_campaign(funded, [customers])
    response = owner_client.post(url("test", campaign), {"numbers": "0612"}, follow=True)
    assert "too short" in response.content.decode()
    assert not Message.objects.exists()


def test_the_test_send_sends(owner_client, funded, customers, django_capture_on_commit_callbacks):
    campaign = make_campaign(funded, [customers])
    with django_capture_on_commit_callbacks(execute=False):
        response = owner_client.post(
            url("test", campaign), {"numbers": "06 12 34 56 70"}, follow=True
        )
    assert "Test sent to 1 number." in response.content.decode()
    assert Message.objects.get().is_test


def test_the_report_of_a_sending_campaign_polls(owner_client, funded, customers):
    campaign = make_campaign(funded, [customers])
    Campaign.objects.filter(pk=campaign.pk).update(
        status=Campaign.Status.SCHEDULED, scheduled_at=TUESDAY_10
    )
    campaign_launch(campaign_id=campaign.pk)
    response = owner_client.get(url("detail", campaign))
    body = response.content.decode()
    assert 'hx-trigger="every 3s"' in body
    assert response.context["report"].pending == 5
    fragment = owner_client.get(url("report", campaign))
    assert fragment.status_code == 200


def test_the_csv_export_lists_the_messages(owner_client, funded, customers):
    campaign = make_campaign(funded, [customers])
    Campaign.objects.filter(pk=campaign.pk).update(
        status=Campaign.Status.SCHEDULED, scheduled_at=TUESDAY_10
    )
    campaign_launch(campaign_id=campaign.pk)
    response = owner_client.get(url("messages_csv", campaign))
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert text.count("\r\n") == 6  # the header and five messages
    assert "'+33612345670" in text  # defused for spreadsheets


def test_cancel_and_duplicate(owner_client, funded, customers):
    campaign = make_campaign(funded, [customers])
    Campaign.objects.filter(pk=campaign.pk).update(
        status=Campaign.Status.SCHEDULED, scheduled_at=TUESDAY_10 + datetime.timedelta(days=1)
    )
    owner_client.post(url("cancel", campaign))
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.CANCELLED
    response = owner_client.post(url("duplicate", campaign))
    copy = Campaign.objects.exclude(pk=campaign.pk).get()
    assert response["Location"] == url("edit", copy)
    assert copy.status == Campaign.Status.DRAFT and list(copy.lists.all()) == [customers]


def test_unscheduling_makes_it_a_draft_again(owner_client, funded, customers):
    campaign = make_campaign(funded, [customers])
    Campaign.objects.filter(pk=campaign.pk).update(
        status=Campaign.Status.SCHEDULED, scheduled_at=TUESDAY_10 + datetime.timedelta(days=1)
    )
    response = owner_client.post(url("unschedule", campaign))
    assert response["Location"] == url("edit", campaign)
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT


def test_the_launch_error_says_how_many_credits_are_missing(owner_client, funded, customers):
    campaign = make_campaign(funded, [customers])
    Campaign.objects.filter(pk=campaign.pk).update(launch_error="credits:12.50")
    response = owner_client.get(url("edit", campaign))
    assert "12.50 credits are missing" in response.content.decode()


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("detail", "get"),
        ("edit", "get"),
        ("edit", "post"),
        ("estimate", "get"),
        ("send", "post"),
        ("test", "post"),
        ("cancel", "post"),
        ("unschedule", "post"),
        ("duplicate", "post"),
        ("report", "get"),
        ("messages_csv", "get"),
    ],
)
def test_an_outsider_gets_404_on_every_campaign_url(
    outsider_client, funded, customers, name, method
):
    campaign = make_campaign(funded, [customers])
    response = getattr(outsider_client, method)(url(name, campaign))
    assert response.status_code == 404
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT
    assert Campaign.objects.count() == 1


def test_an_outsider_does_not_see_the_campaign_in_their_list(outsider_client, funded):
    make_campaign(funded, name="Secret plan")
    response = outsider_client.get(reverse("campaigns:index"))
    assert "Secret plan" not in response.content.decode()


def test_the_list_shows_delivery_rates_in_a_bounded_number_of_queries(
    owner_client, funded, customers, django_assert_max_num_queries
):
    from django.utils import timezone

    for i in range(10):
        campaign = make_campaign(funded, [customers], name=f"C{i}")
        Campaign.objects.filter(pk=campaign.pk).update(
            status=Campaign.Status.SENT, launched_at=timezone.now(), recipients=2
        )
        common = {"account": funded, "campaign": campaign, "kind": "marketing", "sender": "A"}
        common |= {"body": "x", "encoding": "GSM7", "segments": 1, "cost": 1}
        common |= {"submitted_at": timezone.now()}
        Message.objects.create(phone="+33612345670", status="delivered", **common)
        Message.objects.create(phone="+33612345671", status="undelivered", **common)
    stats.rebuild(funded)  # the figures come from the dashboard's per-campaign counters
    with django_assert_max_num_queries(11):
        response = owner_client.get(reverse("campaigns:index"))
    rates = [campaign.delivery_rate for campaign in response.context["rows"]]
    assert rates == [0.5] * 10
    assert "50 %" in response.content.decode()


def test_too_many_pasted_numbers_are_refused(owner_client, funded, customers):
    campaign = make_campaign(funded, [customers])
    numbers = "\n".join(f"06{i:08d}" for i in range(10_001))
    response = owner_client.post(url("edit", campaign), form_data(customers, numbers=numbers))
    assert "At most 10000 numbers here" in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.numbers == ""
