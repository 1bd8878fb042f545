"""/api/v1/links: short links (plans with the URL shortener)."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from campaigns.models import Campaign, Message
from shortener.clicks import clicks_flush
from shortener.models import ShortLink
from shortener.services import link_create
from smsmode.accounts.models import Account
from smsmode.billing.models import Plan
from tests.api.conftest import assert_error

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_redis")]

LINKS = "/api/v1/links"
PHONE = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36"
)


def make_link(account, url="https://shop.example/promo", **extra) -> ShortLink:
    return link_create(account=account, url=url, **extra)


def path(link: ShortLink, action: str = "") -> str:
    return f"{LINKS}/{link.public_id}" + (f"/{action}" if action else "")


def visit(code: str, agent: str = PHONE, address: str = "203.0.113.7") -> None:
    Client(HTTP_USER_AGENT=agent, REMOTE_ADDR=address).get(f"/s/{code}")


# --------------------------------------------------------------------------- create


def test_it_creates_a_link_valid_one_month(manage_api, team):
    response = manage_api.post(LINKS, {"url": "https://shop.example/promo?utm_source=sms"})
    assert response.status_code == 201, response.content
    data = response.json()
    link = ShortLink.objects.get()
    assert data["id"] == str(link.public_id) and data["code"] == link.code
    assert data["shortUrl"].endswith(f"/{link.code}")
    assert data["url"] == "https://shop.example/promo?utm_source=sms"
    assert (data["clicks"], data["expired"], data["campaign"]) == (0, False, None)
    lifetime = link.expires_at - timezone.now()
    assert datetime.timedelta(days=30) < lifetime <= datetime.timedelta(days=31)
    assert link.account == team.account and link.created_by == team.owner


def test_it_takes_a_name_and_an_expiry(manage_api):
    expires = (timezone.now() + datetime.timedelta(days=3)).replace(microsecond=0)
    data = manage_api.post(
        LINKS, {"url": "https://shop.example/", "name": "Flyer", "expiresAt": expires.isoformat()}
    ).json()
    assert data["name"] == "Flyer"
    assert datetime.datetime.fromisoformat(data["expiresAt"]) == expires


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("javascript:alert(1)", "http:// or https://"),
        ("data:text/html,<b>hi</b>", "http:// or https://"),
        ("https://user:secret@shop.example/", "user name and password"),
        ("https://shop.example/" + "a" * 2048, "2,048 characters"),
        ("http://127.0.0.1/admin", "private or local network"),
        ("", "Enter the web address"),
    ],
)
def test_a_refused_url_names_the_field_with_the_reason(manage_api, url, words):
    body = assert_error(manage_api.post(LINKS, {"url": url}), 422, "INVALID_FIELD", "url")
    assert words in body["message"]
    assert body["errors"][0]["reason"] == body["message"]
    assert not ShortLink.objects.exists()


@pytest.mark.parametrize("days", [-1, 3 * 366 + 2])
def test_an_expiry_must_be_ahead_and_within_three_years(manage_api, days):
    expires = timezone.now() + datetime.timedelta(days=days)
    response = manage_api.post(
        LINKS, {"url": "https://shop.example/", "expiresAt": expires.isoformat()}
    )
    assert_error(response, 422, "INVALID_FIELD", "expiresAt")


# ----------------------------------------------------------------------- read, list


def test_list_and_search(read_api, team):
    promo = make_link(team.account, "https://shop.example/promo", name="Spring")
    make_link(team.account, "https://blog.example/post", name="Blog")
    make_link(team.outsider_account, "https://shop.example/theirs")

    def ids(**params) -> list[str]:
        return [item["id"] for item in read_api.get(LINKS, params).json()["items"]]

    assert len(ids()) == 2
    assert ids(q="spring") == [str(promo.public_id)]  # the name
    assert ids(q="shop.example") == [str(promo.public_id)]  # the target
    assert ids(q=promo.code) == [str(promo.public_id)]  # the code


def test_campaign_links_are_listed_apart(read_api, team):
    own = make_link(team.account)
    campaign = Campaign.objects.create(account=team.account, name="Sale", body="x")
    message = Message.objects.create(
        account=team.account,
        campaign=campaign,
        kind="marketing",
        phone="+33612345678",
        sender="ACME",
        body="x",
        encoding="GSM7",
        segments=1,
        cost=Decimal(1),
        status=Message.Status.DELIVERED,
    )
    per_recipient = make_link(team.account, campaign_id=campaign.pk)
    ShortLink.objects.filter(pk=per_recipient.pk).update(message=message)
    assert [item["id"] for item in read_api.get(LINKS).json()["items"]] == [str(own.public_id)]
    items = read_api.get(LINKS, {"campaign": "true"}).json()["items"]
    assert [item["id"] for item in items] == [str(per_recipient.public_id)]
    assert items[0]["campaign"] == str(campaign.public_id)
    assert items[0]["recipient"] == "+33612345678"


def test_pages_walk_every_link_once(read_api, team, django_assert_max_num_queries):
    for i in range(7):
        make_link(team.account, f"https://shop.example/{i}")
    seen, cursor = set(), ""
    while True:
        with django_assert_max_num_queries(4):  # key, last use, page
            data = read_api.get(LINKS, {"limit": 3, "cursor": cursor}).json()
        seen |= {item["id"] for item in data["items"]}
        if not data["nextCursor"]:
            break
        cursor = data["nextCursor"]
    assert len(seen) == 7


def test_get_shows_the_counters(read_api, team):
    link = make_link(team.account)
    visit(link.code)
    clicks_flush()
    data = read_api.get(path(link)).json()
    assert (data["clicks"], data["uniqueClicks"], data["botClicks"]) == (1, 1, 0)


# ----------------------------------------------------------------- update, delete


def test_patch_renames_and_moves_the_expiry(manage_api, team):
    link = make_link(team.account, name="Old")
    expires = (timezone.now() + datetime.timedelta(days=90)).replace(microsecond=0)
    response = manage_api.patch(path(link), {"name": "New", "expiresAt": expires.isoformat()})
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["name"] == "New"
    assert datetime.datetime.fromisoformat(data["expiresAt"]) == expires
    assert data["url"] == "https://shop.example/promo"
    assert manage_api.patch(path(link), {"name": "Newer"}).json()["expiresAt"] == data["expiresAt"]


def test_the_target_cannot_change_and_null_is_refused(manage_api, team):
    link = make_link(team.account)
    response = manage_api.patch(path(link), {"url": "https://elsewhere.example/"})
    assert_error(response, 422, "INVALID_FIELD", "url")
    for field in ("name", "expiresAt"):
        assert_error(manage_api.patch(path(link), {field: None}), 422, "INVALID_FIELD", field)
    link.refresh_from_db()
    assert link.target_url == "https://shop.example/promo"


def test_delete_stops_the_redirect(manage_api, team):
    link = make_link(team.account)
    assert Client().get(f"/s/{link.code}").status_code == 302
    assert manage_api.delete(path(link)).status_code == 204
    assert not ShortLink.objects.exists()
    assert Client().get(f"/s/{link.code}").status_code == 404
    assert_error(manage_api.delete(path(link)), 404, "NOT_FOUND")


# ---------------------------------------------------------------------- statistics


def test_statistics_count_people_per_day(read_api, team):
    link = make_link(team.account)
    visit(link.code, address="203.0.113.7")
    visit(link.code, address="203.0.113.7")  # the same visitor again
    visit(link.code, address="198.51.100.9")
    visit(link.code, agent="WhatsApp/2.23.20.0 A")  # a link preview
    response = read_api.get(path(link, "statistics"))
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["clicks"], data["uniqueClicks"], data["botClicks"]) == (3, 2, 1)
    assert data["lastClickAt"]
    # Days in the account's time zone.
    today = timezone.localtime(timezone=ZoneInfo(team.account.time_zone)).date()
    assert data["perDay"] == [{"date": today.isoformat(), "clicks": 3, "uniqueClicks": 2}]


# --------------------------------------------------------------- plan, scope, tenancy


@pytest.fixture
def start_api(api_client_for, team):
    """A key of an account on the Start plan (no shortener)."""
    assert not team.outsider_account.plan.feature_url_shortener
    return api_client_for("manage", team.outsider_account)


@pytest.mark.parametrize(
    ("method", "action", "body"),
    [
        ("get", None, None),
        ("post", None, {"url": "https://shop.example/"}),
        ("get", "", None),
        ("patch", "", {"name": "x"}),
        ("delete", "", None),
        ("get", "statistics", None),
    ],
)
def test_a_start_account_is_told_to_upgrade(start_api, team, method, action, body):
    own = make_link(team.outsider_account)  # made before a downgrade, say
    url = LINKS if action is None else path(own, action)
    call = getattr(start_api, method)
    response = call(url, body) if body is not None else call(url)
    body_ = assert_error(response, 403, "FEATURE_NOT_IN_PLAN")
    assert "url_shortener" in body_["message"]


def test_writes_need_the_manage_scope(send_api, read_api, team):
    link = make_link(team.account)
    for client in (send_api, read_api):
        assert_error(client.post(LINKS, {"url": "https://a.example/"}), 403, "INSUFFICIENT_SCOPE")
        assert_error(client.patch(path(link), {"name": "x"}), 403, "INSUFFICIENT_SCOPE")
        assert_error(client.delete(path(link)), 403, "INSUFFICIENT_SCOPE")
        assert client.get(path(link)).status_code == 200


@pytest.mark.parametrize(
    ("method", "action", "body"),
    [
        ("get", "", None),
        ("patch", "", {"name": "Taken over"}),
        ("delete", "", None),
        ("get", "statistics", None),
    ],
)
def test_another_accounts_link_answers_404(api_client_for, team, method, action, body):
    Account.objects.filter(pk=team.outsider_account.pk).update(plan=Plan.objects.get(code="medium"))
    team.outsider_account.refresh_from_db()
    outsider = api_client_for("manage", team.outsider_account)
    link = make_link(team.account, name="Mine")
    call = getattr(outsider, method)
    response = call(path(link, action), body) if body is not None else call(path(link, action))
    assert_error(response, 404, "NOT_FOUND")
    link.refresh_from_db()
    assert link.name == "Mine"
    assert outsider.get(LINKS).json()["items"] == []
    assert_error(outsider.get(f"{LINKS}/{uuid.uuid4()}"), 404, "NOT_FOUND")
