"""A page's statistics, its submissions and their CSV export."""

import csv
import datetime
import io
import re
import uuid
from decimal import Decimal

import django_rq
import pytest
from django.test import Client
from django.urls import get_resolver, include, path, reverse

from campaigns.models import Campaign, Message
from landingpages.blocks import validate_blocks
from landingpages.models import FormSubmission, LandingPage, PageEvent
from landingpages.personalize import recipient_token
from landingpages.selectors import page_stats
from smsmode import urls as root_urls
from smsmode.accounts.models import Account
from smsmode.billing.models import Plan

# The stats are mounted by the project's urlconf at /landing-pages/<uuid>/stats/; until
# they are, this module is the urlconf of its tests with that include added.
urlpatterns = list(root_urls.urlpatterns)
if "landing_stats" not in get_resolver(root_urls.__name__).namespace_dict:
    urlpatterns.insert(
        0, path("landing-pages/<uuid:public_id>/stats/", include("landingpages.stats_urls"))
    )

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

PHONE_UA = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36"
)
BOT_UA = "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)"


@pytest.fixture(autouse=True)
def _redis():
    connection_ = django_rq.get_connection("default")
    connection_.flushdb()
    yield
    connection_.flushdb()


def make_page(account, *, slug="spring-sale") -> LandingPage:
    return LandingPage.objects.create(
        account=account,
        title="Spring sale",
        slug=slug,
        status="published",
        blocks=validate_blocks(
            [
                {"type": "heading", "data": {"text": "Spring"}},
                {
                    "type": "button",
                    "data": {
                        "label": "Shop now",
                        "action": "link",
                        "target": "https://shop.example/",
                    },
                },
                {"type": "map", "data": {"address": "12 rue de Rivoli, Paris"}},
                {
                    "type": "form",
                    "data": {
                        "title": "Book a fitting",
                        "ask_email": True,
                        "questions": [
                            {"key": "size", "label": "Your size"},
                            {"key": "email", "label": "Work email"},
                        ],
                    },
                },
            ]
        ),
    )


def block(page, kind) -> str:
    return next(b["id"] for b in page.blocks if b["type"] == kind)


def make_message(account, campaign=None, *, is_test=False) -> Message:
    return Message.objects.create(
        account=account,
        campaign=campaign,
        is_test=is_test,
        kind="marketing",
        phone="+33612345678",
        sender="ACME",
        body="x",
        encoding="GSM7",
        segments=1,
        cost=Decimal(1),
        status=Message.Status.DELIVERED,
    )


def person(address: str, agent: str = PHONE_UA) -> Client:
    return Client(HTTP_USER_AGENT=agent, REMOTE_ADDR=address)


def overview_url(page) -> str:
    return reverse("landing_stats:overview", args=[page.public_id])


def submissions_url(page) -> str:
    return reverse("landing_stats:submissions", args=[page.public_id])


def csv_url(page) -> str:
    return reverse("landing_stats:submissions_csv", args=[page.public_id])


@pytest.fixture
def traffic(team):
    """Alice (campaign link) views twice and clicks; Bob views and sends the form; Carol
    only looks; a link preview views and clicks; Dave clicks without a view; a test send
    views."""
    page = make_page(team.account)
    spring = Campaign.objects.create(account=team.account, name="Spring SMS", body="x")
    alice_token = recipient_token(make_message(team.account, spring).public_id)
    test_token = recipient_token(make_message(team.account, spring, is_test=True).public_id)
    alice, bob, carol = person("203.0.113.1"), person("203.0.113.2"), person("203.0.113.3")
    bot, dave, tester = person("203.0.113.4", BOT_UA), person("203.0.113.5"), person("203.0.113.6")
    button, form = block(page, "button"), block(page, "form")

    alice.get(f"/p/spring-sale?r={alice_token}")
    alice.get(f"/p/spring-sale?r={alice_token}")
    alice.get(f"/p/spring-sale/b/{button}?r={alice_token}")
    bob.get("/p/spring-sale")
    bob.post(
        f"/p/spring-sale/f/{form}", {"name": "Bob", "phone": "0612345678", "email": "b@b.example"}
    )
    carol.get("/p/spring-sale")
    bot.get("/p/spring-sale")
    bot.get(f"/p/spring-sale/b/{button}")
    dave.get(f"/p/spring-sale/b/{button}")
    tester.get(f"/p/spring-sale?r={test_token}")
    return page, spring


# ---------------------------------------------------------------- the figures


def test_the_figures_follow_their_definitions(traffic):
    page, _spring = traffic
    stats = page_stats(page)
    assert stats["views"] == 5  # alice 2, bob, carol, tester
    assert stats["unique_views"] == 4
    assert stats["bot_views"] == 1
    assert stats["clicks"] == 2  # alice and dave; the preview is not counted
    assert stats["submissions"] == 1
    assert stats["converted"] == 2  # alice and bob; dave never saw the page
    assert stats["conversion_rate"] == pytest.approx(2 / 4)


def test_clicks_are_split_per_block_in_the_page_s_order(traffic):
    page, _spring = traffic
    blocks = {b["id"]: b for b in page_stats(page)["blocks"]}
    assert list(blocks) == [block(page, "button"), block(page, "map"), block(page, "form")]
    assert blocks[block(page, "button")] | {} == {
        "id": block(page, "button"),
        "type": "button",
        "label": "Shop now",
        "clicks": 2,
        "clickers": 2,
        "submissions": 0,
        "percent": 100,
    }
    assert blocks[block(page, "map")]["clicks"] == 0
    assert blocks[block(page, "form")]["submissions"] == 1
    assert blocks[block(page, "form")]["percent"] == 50


def test_per_campaign_figures_leave_out_test_sends_and_other_visits(traffic):
    page, spring = traffic
    [row] = page_stats(page)["campaigns"]
    assert row == {
        "campaign": "Spring SMS",
        "campaign_id": spring.pk,
        "views": 2,
        "unique_views": 1,
        "clicks": 1,
        "submissions": 0,
        "converted": 1,
        "conversion_rate": 1.0,
    }


def test_a_page_without_visits_has_no_conversion_rate(team):
    stats = page_stats(make_page(team.account))
    assert stats["views"] == stats["unique_views"] == stats["converted"] == 0
    assert stats["conversion_rate"] is None
    assert stats["campaigns"] == []


def test_clicks_of_a_removed_block_still_show(team):
    page = make_page(team.account)
    PageEvent.objects.create(page=page, kind="click", block_id="0badc0de", visitor="v")
    removed = page_stats(page)["blocks"][-1]
    assert removed["id"] == "0badc0de" and removed["removed"] and removed["clicks"] == 1


def test_the_figures_take_a_bounded_number_of_queries(traffic, django_assert_max_num_queries):
    page, _spring = traffic
    with django_assert_max_num_queries(5):
        page_stats(page)


# ---------------------------------------------------------------- the stats page


def test_the_stats_page_shows_the_figures(traffic, owner_client):
    page, _spring = traffic
    response = owner_client.get(overview_url(page))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-figure="views">5<' in html
    assert 'data-figure="unique_views">4<' in html
    assert 'data-figure="clicks">2<' in html
    assert 'data-figure="submissions">1<' in html
    assert 'data-figure="conversion_rate">50.0 %<' in html
    assert 'data-figure="bot_views">1<' in html
    assert re.search(r'<progress class="bar" max="100" value="100">', html)
    assert "Spring SMS" in html


def test_members_see_the_stats(traffic, member_client):
    page, _spring = traffic
    assert member_client.get(overview_url(page)).status_code == 200
    assert member_client.get(submissions_url(page)).status_code == 200


@pytest.mark.parametrize("url_of", [overview_url, submissions_url, csv_url])
def test_it_checks_the_account(team, outsider_client, url_of):
    page = make_page(team.account)
    assert outsider_client.get(url_of(page)).status_code == 404


@pytest.mark.parametrize("url_of", [overview_url, submissions_url, csv_url])
def test_an_unknown_page_is_a_404(owner_client, url_of):
    fake = LandingPage(public_id=uuid.uuid4())
    assert owner_client.get(url_of(fake)).status_code == 404


@pytest.mark.parametrize("url_of", [overview_url, submissions_url, csv_url])
def test_it_requires_a_login(team, client, url_of):
    response = client.get(url_of(make_page(team.account)))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("url_of", [overview_url, submissions_url, csv_url])
def test_it_obeys_the_plan(team, owner_client, url_of):
    page = make_page(team.account)
    Account.objects.filter(pk=team.account.pk).update(plan=Plan.objects.get(code="classic"))
    response = owner_client.get(url_of(page))
    assert response.status_code == 403
    assert 'data-testid="upgrade-prompt"' in response.content.decode()


@pytest.mark.parametrize("url_of", [overview_url, submissions_url, csv_url])
def test_it_rejects_post(team, owner_client, url_of):
    assert owner_client.post(url_of(make_page(team.account))).status_code == 405


# ---------------------------------------------------------------- submissions


def make_submissions(page, count: int, **fields) -> list[FormSubmission]:
    start = datetime.datetime(2025, 3, 1, 9, 0, tzinfo=datetime.UTC)
    rows = FormSubmission.objects.bulk_create(
        [
            FormSubmission(
                page=page,
                block_id=block(page, "form"),
                data={"name": f"Person {i:03d}", "phone": "+33612345678", "size": "M"},
                visitor=f"v{i}",
                **fields,
            )
            for i in range(count)
        ]
    )
    for i, row in enumerate(rows):
        row.created_at = start + datetime.timedelta(minutes=i)
    FormSubmission.objects.bulk_update(rows, ["created_at"])
    return rows


def names_on(response) -> list[str]:
    return re.findall(r"<td>(Person \d{3})</td>", response.content.decode())


def test_submissions_are_listed_newest_first_a_page_at_a_time(team, owner_client):
    page = make_page(team.account)
    make_submissions(page, 55)
    first = owner_client.get(submissions_url(page))
    assert first.status_code == 200
    assert names_on(first)[:2] == ["Person 054", "Person 053"]
    assert len(names_on(first)) == 50
    next_url = re.search(r'href="([^"]+)" rel="next"', first.content.decode()).group(1)
    second = owner_client.get(next_url.replace("&amp;", "&"))
    assert names_on(second) == [f"Person {i:03d}" for i in range(4, -1, -1)]
    assert 'rel="next"' not in second.content.decode()


def test_the_list_takes_a_bounded_number_of_queries(
    team, owner_client, django_assert_max_num_queries
):
    page = make_page(team.account)
    campaign = Campaign.objects.create(account=team.account, name="Spring SMS", body="x")
    make_submissions(page, 50, campaign=campaign)
    # session, user, membership, page, rows, the sidebar's memberships, the session saved
    with django_assert_max_num_queries(10):
        response = owner_client.get(submissions_url(page))
    assert response.content.decode().count("Spring SMS") == 50


def test_submissions_show_their_answers_and_consent(team, owner_client):
    page = make_page(team.account)
    FormSubmission.objects.create(
        page=page,
        block_id=block(page, "form"),
        visitor="v",
        consent=True,
        data={
            "name": "Alice",
            "email": "a@a.example",
            "size": "L",
            "question_email": "a@work.example",
        },
    )
    html = owner_client.get(submissions_url(page)).content.decode()
    assert "Your size:</span> L" in html
    assert "Work email:</span> a@work.example" in html
    assert "Book a fitting" in html
    assert '<span class="badge text-bg-success">yes</span>' in html


def test_no_submission_yet_says_what_to_do(team, owner_client):
    html = owner_client.get(submissions_url(make_page(team.account))).content.decode()
    assert 'data-testid="empty-state"' in html


# ---------------------------------------------------------------- the CSV


def read_csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def test_the_csv_has_every_submission_and_is_formula_safe(team, owner_client):
    page = make_page(team.account)
    campaign = Campaign.objects.create(account=team.account, name='=HYPERLINK("x")', body="x")
    FormSubmission.objects.create(
        page=page,
        block_id=block(page, "form"),
        visitor="v",
        consent=True,
        campaign=campaign,
        data={
            "name": "=cmd|' /C calc'!A0",
            "phone": "+33612345678",
            "email": "@SUM(1+1)",
            "size": "-2+3",
            "question_email": "\tx",
            "legacy": "\rold",
        },
    )
    FormSubmission.objects.create(
        page=page, block_id=block(page, "form"), visitor="w", data={"name": "Bob"}
    )
    response = owner_client.get(csv_url(page))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment;" in response["Content-Disposition"]
    header, bob, alice = read_csv(response)
    assert header == [
        "submitted_at",
        "form",
        "name",
        "phone",
        "email",
        "consent",
        "campaign",
        "size",
        "question_email",
        "other",
    ]
    row = dict(zip(header, alice, strict=True))
    assert row["name"] == "'=cmd|' /C calc'!A0"
    assert row["phone"] == "'+33612345678"
    assert row["email"] == "'@SUM(1+1)"
    assert row["size"] == "'-2+3"
    assert row["question_email"] == "'\tx"
    assert row["campaign"] == '\'=HYPERLINK("x")'
    assert row["other"] == "legacy: \rold"  # starts with a letter: nothing to defuse
    assert row["consent"] == "yes" and row["form"] == "Book a fitting"
    assert dict(zip(header, bob, strict=True))["consent"] == "no"
    for cell in alice + bob:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
