"""The messages log and the replies list: filters, keyset pages, tenancy and a bounded
number of queries."""

import html
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from campaigns.models import Campaign, Message, Reply
from contacts.models import Contact

pytestmark = pytest.mark.django_db

MESSAGES = "/messages/"
REPLIES = "/messages/replies/"
ROW_ID = re.compile(r'data-testid="message-row" data-id="([0-9a-f-]{36})"')
REPLY_TEXT = re.compile(r'data-testid="reply-text">([^<]*)<')
NEXT_LINK = re.compile(r'href="([^"]+)" rel="next"')
START = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def ids_on(response) -> list[str]:
    return ROW_ID.findall(response.content.decode())


def replies_on(response) -> list[str]:
    return REPLY_TEXT.findall(response.content.decode())


def next_url(response) -> str | None:
    found = NEXT_LINK.search(response.content.decode())
    return html.unescape(found.group(1)) if found else None


def walk_pages(client, url: str, read=ids_on) -> list[list[str]]:
    pages = []
    while url:
        response = client.get(url)
        assert response.status_code == 200
        pages.append(read(response))
        url = next_url(response)
        assert len(pages) < 20, "the pages never end"
    return pages


def make_messages(account, count: int = 1, *, start: datetime = START, **fields) -> list[Message]:
    """`count` messages made with bulk_create, each one minute after the previous."""
    body = fields.pop("body", None)
    values = {
        "campaign": None,
        "kind": "marketing",
        "phone": "+33612345678",
        "sender": "ACME",
        "encoding": "GSM7",
        "segments": 1,
        "cost": Decimal(1),
        "status": Message.Status.DELIVERED,
        **fields,
    }
    messages = Message.objects.bulk_create(
        [Message(account=account, body=body or f"Message {i:03d}", **values) for i in range(count)]
    )
    for i, message in enumerate(messages):
        message.created_at = start + timedelta(minutes=i)
    Message.objects.bulk_update(messages, ["created_at"])  # auto_now_add set it to now
    return messages


def make_message(account, **fields) -> Message:
    return make_messages(account, 1, **fields)[0]


def make_replies(account, count: int = 1, **fields) -> list[Reply]:
    fields.setdefault("phone", "+33612345678")
    text = fields.pop("text", None)
    return Reply.objects.bulk_create(
        [
            Reply(
                account=account,
                text=text or f"Reply {i:03d}",
                received_at=START + timedelta(minutes=i),
                **fields,
            )
            for i in range(count)
        ]
    )


def public_ids(messages: list[Message]) -> list[str]:
    return [str(m.public_id) for m in messages]


# ----------------------------------------------------------------- the messages log


def test_it_lists_the_accounts_messages_newest_first(owner_client, team):
    messages = make_messages(team.account, 3)
    response = owner_client.get(MESSAGES)
    assert response.status_code == 200
    assert ids_on(response) == public_ids(messages[::-1])


@pytest.mark.parametrize("client_name", ["owner_client", "admin_client_", "member_client"])
def test_every_role_sees_the_messages_log(request, team, client_name):
    make_message(team.account, body="Spring is here")
    response = request.getfixturevalue(client_name).get(MESSAGES)
    assert response.status_code == 200
    assert b"Spring is here" in response.content


def test_it_shows_number_campaign_text_segments_status_error_and_cost(owner_client, team):
    campaign = Campaign.objects.create(account=team.account, name="Spring sale")
    contact = Contact.objects.create(account=team.account, phone="+33612345678")
    make_message(
        team.account,
        campaign=campaign,
        contact=contact,
        body="Hello, -20% today! " * 10,
        segments=2,
        cost=Decimal("1.50"),
        status=Message.Status.REJECTED,
        error_code="E42",
    )
    make_message(team.account, is_test=True, phone="+447400123456", body="A test")
    make_message(team.account, phone="+33655555555", body="From the API")

    content = owner_client.get(MESSAGES).content.decode()

    assert "+33 6 12 34 56 78" in content
    assert f'href="/contacts/{contact.public_id}/"' in content
    assert f'href="{reverse("campaigns:detail", args=[campaign.public_id])}"' in content
    assert "Spring sale" in content
    assert "Rejected by the carrier" in content  # the readable label, not "rejected"
    assert 'data-testid="error-code"' in content
    assert "E42" in content
    assert "1.50" in content
    assert "Hello, -20% today! Hello, -20% …</span>" in content  # truncated, whole in title
    assert "+44 7400 123456" in content
    assert ">Test<" in content
    assert "—" in content  # neither a campaign nor a test


def test_the_error_code_is_only_shown_for_messages_that_did_not_arrive(owner_client, team):
    make_message(team.account, status=Message.Status.DELIVERED, error_code="000")
    content = owner_client.get(MESSAGES).content.decode()
    assert 'data-testid="error-code"' not in content


def test_an_account_without_messages_explains_them_and_links_to_campaigns(owner_client, team):
    make_message(team.outsider_account)
    content = owner_client.get(MESSAGES).content.decode()
    assert 'data-testid="empty-state"' in content
    assert f'href="{reverse("campaigns:index")}"' in content
    assert 'data-testid="filters"' not in content


def test_filters_that_exclude_everything_say_so(owner_client, team):
    make_message(team.account, status=Message.Status.DELIVERED)
    content = owner_client.get(MESSAGES, {"status": "failed"}).content.decode()
    assert 'data-testid="no-match"' in content
    assert 'data-testid="empty-state"' not in content


def test_it_filters_by_status(owner_client, team):
    make_messages(team.account, 2, status=Message.Status.DELIVERED)
    failed = make_messages(team.account, 2, status=Message.Status.FAILED)
    response = owner_client.get(MESSAGES, {"status": "failed"})
    assert set(ids_on(response)) == set(public_ids(failed))


def test_it_filters_by_kind(owner_client, team):
    make_message(team.account, kind="marketing")
    notice = make_message(team.account, kind="notification")
    assert ids_on(owner_client.get(MESSAGES, {"kind": "notification"})) == [str(notice.public_id)]


def test_it_filters_by_campaign(owner_client, team):
    spring = Campaign.objects.create(account=team.account, name="Spring")
    autumn = Campaign.objects.create(account=team.account, name="Autumn")
    ours = make_messages(team.account, 2, campaign=spring)
    make_messages(team.account, 2, campaign=autumn)
    make_message(team.account)

    response = owner_client.get(MESSAGES, {"campaign": str(spring.public_id)})

    assert set(ids_on(response)) == set(public_ids(ours))
    assert f'<option value="{autumn.public_id}">Autumn</option>' in response.content.decode()


@pytest.mark.parametrize("value", ["other", "not-a-uuid", "00000000-0000-0000-0000-000000000000"])
def test_the_campaign_filter_with_another_accounts_campaign_shows_nothing(
    owner_client, team, value
):
    theirs = Campaign.objects.create(account=team.outsider_account, name="Their secret sale")
    make_message(team.outsider_account, campaign=theirs)
    make_messages(team.account, 3)
    campaign = str(theirs.public_id) if value == "other" else value

    response = owner_client.get(MESSAGES, {"campaign": campaign})

    content = response.content.decode()
    assert response.status_code == 200
    assert ids_on(response) == []
    assert 'data-testid="no-match"' in content
    assert "Their secret sale" not in content


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("06 12 34 56 78", {"fr"}),  # national format
        ("06.12.34.56.78", {"fr"}),
        ("+33 6 12 34 56 78", {"fr"}),
        ("0033612345678", {"fr"}),
        ("+44 7400 123456", {"uk"}),
        ("06 12", {"fr", "fr2"}),  # the beginning of a number
        ("+44", {"uk"}),
        ("07 99", set()),
        ("nobody", set()),  # not a number at all
    ],
)
def test_it_filters_by_a_number_in_any_format(owner_client, team, number, expected):
    made = {
        "fr": make_message(team.account, phone="+33612345678"),
        "fr2": make_message(team.account, phone="+33612999999"),
        "uk": make_message(team.account, phone="+447400123456"),
    }
    make_message(team.outsider_account, phone="+33612345678")
    response = owner_client.get(MESSAGES, {"number": number})
    assert set(ids_on(response)) == {str(made[name].public_id) for name in expected}


def test_it_filters_by_a_date_range_in_the_accounts_time_zone(owner_client, team):
    assert team.account.time_zone == "Europe/Paris"  # UTC+1 in early March
    at = {
        "before": datetime(2024, 3, 2, 22, 30, tzinfo=UTC),  # 2 March, 23:30 in Paris
        "first": datetime(2024, 3, 2, 23, 30, tzinfo=UTC),  # 3 March, 00:30 in Paris
        "last": datetime(2024, 3, 4, 22, 30, tzinfo=UTC),  # 4 March, 23:30 in Paris
        "after": datetime(2024, 3, 4, 23, 30, tzinfo=UTC),  # 5 March, 00:30 in Paris
    }
    made = {name: make_message(team.account, start=when) for name, when in at.items()}

    response = owner_client.get(MESSAGES, {"date_from": "2024-03-03", "date_to": "2024-03-04"})
    only_from = owner_client.get(MESSAGES, {"date_from": "2024-03-03"})
    only_to = owner_client.get(MESSAGES, {"date_to": "2024-03-04"})

    assert ids_on(response) == [str(made["last"].public_id), str(made["first"].public_id)]
    assert set(ids_on(only_from)) == {str(made[n].public_id) for n in ("first", "last", "after")}
    assert set(ids_on(only_to)) == {str(made[n].public_id) for n in ("before", "first", "last")}


def test_the_dates_are_shown_in_the_accounts_time_zone(owner_client, team):
    make_message(team.account, start=datetime(2024, 3, 2, 23, 30, tzinfo=UTC))
    content = owner_client.get(MESSAGES).content.decode()
    assert 'datetime="2024-03-03T00:30:00+01:00"' in content


def test_an_end_date_before_the_start_date_is_refused_and_not_applied(owner_client, team):
    message = make_message(team.account, start=datetime(2024, 3, 3, 12, tzinfo=UTC))
    response = owner_client.get(MESSAGES, {"date_from": "2024-03-01", "date_to": "2024-02-01"})
    assert "The end date is before the start date." in response.content.decode()
    assert ids_on(response) == [str(message.public_id)]


def test_filters_combine(owner_client, team):
    campaign = Campaign.objects.create(account=team.account, name="Spring")
    wanted = make_message(
        team.account, campaign=campaign, status=Message.Status.FAILED, phone="+33612345678"
    )
    make_message(
        team.account, campaign=campaign, status=Message.Status.FAILED, phone="+33799999999"
    )
    make_message(team.account, campaign=campaign, phone="+33612345678")
    make_message(team.account, status=Message.Status.FAILED, phone="+33612345678")

    response = owner_client.get(
        MESSAGES,
        {"campaign": str(campaign.public_id), "status": "failed", "number": "06 12 34 56 78"},
    )

    assert ids_on(response) == [str(wanted.public_id)]


def test_keyset_pagination_returns_page_two_without_overlap(owner_client, team):
    messages = make_messages(team.account, 120)

    pages = walk_pages(owner_client, MESSAGES)

    assert [len(page) for page in pages] == [50, 50, 20]
    assert not set(pages[0]) & set(pages[1])
    seen = [public_id for page in pages for public_id in page]
    assert seen == public_ids(messages[::-1])  # no duplicates, no gaps, newest first


def test_keyset_pages_do_not_skip_messages_sent_at_the_same_instant(owner_client, team):
    messages = make_messages(team.account, 120)
    Message.objects.update(created_at=START)
    seen = [i for page in walk_pages(owner_client, MESSAGES) for i in page]
    assert sorted(seen) == sorted(public_ids(messages))
    assert len(seen) == len(set(seen)) == 120


def test_keyset_pages_keep_the_filters(owner_client, team):
    failed = make_messages(team.account, 60, status=Message.Status.FAILED)
    make_messages(team.account, 60, status=Message.Status.DELIVERED, start=START + timedelta(1))

    pages = walk_pages(owner_client, f"{MESSAGES}?status=failed")

    assert [len(page) for page in pages] == [50, 10]
    assert {i for page in pages for i in page} == set(public_ids(failed))


def test_the_second_page_links_back_to_the_first(owner_client, team):
    make_messages(team.account, 60)
    first = owner_client.get(MESSAGES)
    assert b"50+ messages" in first.content
    assert b"First page" not in first.content
    second = owner_client.get(next_url(first))
    assert b"First page" in second.content
    assert next_url(second) is None


@pytest.mark.parametrize("cursor", ["garbage", "eyJzIjoibmFtZSJ9", "e30", ""])
def test_a_tampered_cursor_shows_the_first_page(owner_client, team, cursor):
    make_messages(team.account, 3)
    response = owner_client.get(MESSAGES, {"after": cursor})
    assert response.status_code == 200
    assert len(ids_on(response)) == 3


def _messages_of_campaigns(account, count: int) -> None:
    campaigns = [Campaign.objects.create(account=account, name=f"Campaign {n}") for n in range(3)]
    contacts = Contact.objects.bulk_create(
        [Contact(account=account, phone=f"+336100000{n:02d}") for n in range(count)]
    )
    for n, contact in enumerate(contacts):
        make_message(
            account,
            campaign=campaigns[n % 3] if n % 4 else None,
            contact=contact,
            phone=contact.phone,
            status=Message.Status.FAILED if n % 5 == 0 else Message.Status.DELIVERED,
            error_code="E1" if n % 5 == 0 else "",
            start=START + timedelta(minutes=n),
        )


def test_a_page_of_50_needs_a_bounded_number_of_queries_and_no_count(
    owner_client, team, django_assert_max_num_queries
):
    _messages_of_campaigns(team.account, 60)
    old = Campaign.objects.create(account=team.account, name="Old")
    Campaign.objects.filter(pk=old.pk).update(created_at=START - timedelta(days=365))

    owner_client.get(MESSAGES)  # the first request of a session also writes the session
    # session, user, membership, the account's campaigns, one page of messages with
    # their campaign and contact, the account switcher.
    with django_assert_max_num_queries(6):
        response = owner_client.get(MESSAGES)
    assert len(ids_on(response)) == 50
    with django_assert_max_num_queries(6):
        response = owner_client.get(next_url(response))
    assert len(ids_on(response)) == 10
    with django_assert_max_num_queries(6):
        response = owner_client.get(
            MESSAGES,
            {
                "status": "delivered",
                "kind": "marketing",
                "number": "06 10",
                "date_from": "2024-01-01",
            },
        )
    assert len(ids_on(response)) == 48

    with CaptureQueriesContext(connection) as queries:
        owner_client.get(MESSAGES)
    assert not [q for q in queries if "COUNT(" in q["sql"].upper()]


def test_the_number_of_queries_does_not_grow_with_the_rows(owner_client, team):
    _messages_of_campaigns(team.account, 2)
    owner_client.get(MESSAGES)  # the first request of a session also writes the session
    with CaptureQueriesContext(connection) as few:
        owner_client.get(MESSAGES)
    _messages_of_campaigns(team.outsider_account, 1)  # noise in another account
    Campaign.objects.filter(account=team.account).delete()  # and their messages
    Contact.objects.filter(account=team.account).delete()
    Message.objects.filter(account=team.account).delete()
    _messages_of_campaigns(team.account, 60)
    with CaptureQueriesContext(connection) as many:
        owner_client.get(MESSAGES)
    assert len(many) == len(few)


# --------------------------------------------------------------------------- replies


def test_the_replies_list_shows_the_accounts_replies_newest_first(owner_client, team):
    campaign = Campaign.objects.create(account=team.account, name="Spring sale")
    make_replies(team.account, 2, campaign=campaign)
    make_replies(team.outsider_account, 1, text="Not yours")

    response = owner_client.get(REPLIES)

    content = response.content.decode()
    assert replies_on(response) == ["Reply 001", "Reply 000"]
    assert "+33 6 12 34 56 78" in content
    assert "Spring sale" in content
    assert f'href="{reverse("campaigns:detail", args=[campaign.public_id])}"' in content
    assert "Not yours" not in content


def test_the_replies_list_filters_stop_requests_and_marks_them(owner_client, team):
    make_replies(team.account, 1, text="Thanks!")
    make_replies(team.account, 1, text="STOP", is_stop=True)

    every = owner_client.get(REPLIES)
    stops = owner_client.get(REPLIES, {"stop": "on"})

    assert every.content.count(b'data-testid="stop-badge"') == 1
    assert set(replies_on(every)) == {"Thanks!", "STOP"}
    assert replies_on(stops) == ["STOP"]


def test_the_replies_list_searches_a_number_in_any_format(owner_client, team):
    make_replies(team.account, 1, phone="+33612345678", text="Mine")
    make_replies(team.account, 1, phone="+447400123456", text="British")
    assert replies_on(owner_client.get(REPLIES, {"number": "06 12 34 56 78"})) == ["Mine"]
    assert replies_on(owner_client.get(REPLIES, {"number": "+44"})) == ["British"]
    assert replies_on(owner_client.get(REPLIES, {"number": "nobody"})) == []


def test_an_account_without_replies_explains_them(owner_client, team):
    content = owner_client.get(REPLIES).content.decode()
    assert 'data-testid="empty-state"' in content
    no_match = owner_client.get(REPLIES, {"stop": "on"}).content.decode()
    assert 'data-testid="no-match"' in no_match


def test_reply_pages_cover_every_reply_once_in_a_bounded_number_of_queries(
    owner_client, team, django_assert_max_num_queries
):
    make_replies(team.account, 120)
    Reply.objects.filter(text__in=["Reply 050", "Reply 051"]).update(received_at=START)

    pages = walk_pages(owner_client, REPLIES, read=replies_on)
    with django_assert_max_num_queries(5):  # session, user, membership, page, switcher
        owner_client.get(REPLIES)

    assert [len(page) for page in pages] == [50, 50, 20]
    seen = [text for page in pages for text in page]
    assert sorted(seen) == sorted(f"Reply {i:03d}" for i in range(120))
    assert len(set(seen)) == 120


# ----------------------------------------------------------------------- access


def test_an_outsider_sees_none_of_the_teams_messages_or_replies(outsider_client, team):
    campaign = Campaign.objects.create(account=team.account, name="Team sale")
    make_messages(team.account, 3, campaign=campaign, body="Team secret")
    make_replies(team.account, 2, text="Team reply", campaign=campaign)

    messages = outsider_client.get(MESSAGES).content.decode()
    replies = outsider_client.get(REPLIES).content.decode()
    by_campaign = outsider_client.get(MESSAGES, {"campaign": str(campaign.public_id)})

    assert "Team secret" not in messages
    assert "Team sale" not in messages
    assert 'data-testid="empty-state"' in messages
    assert "Team reply" not in replies
    assert ids_on(by_campaign) == []


def test_messages_of_another_account_never_show_in_the_log(owner_client, team):
    make_message(team.outsider_account, body="Their message")
    mine = make_message(team.account, body="My message")
    response = owner_client.get(MESSAGES)
    assert ids_on(response) == [str(mine.public_id)]
    assert b"Their message" not in response.content


@pytest.mark.parametrize("url", [MESSAGES, REPLIES])
def test_anonymous_visitors_are_redirected_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("url", [MESSAGES, REPLIES])
def test_it_rejects_post(owner_client, url):
    assert owner_client.post(url).status_code == 405


def test_the_tabs_lead_to_messages_and_replies(owner_client, team):
    content = owner_client.get(REPLIES).content.decode()
    assert 'data-testid="messages-nav"' in content
    assert f'href="{MESSAGES}"' in content
    assert 'aria-current="page"><i class="bi bi-reply"' in content
