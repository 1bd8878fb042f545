"""The URL shortener tab, the redirect and the click pipeline."""

import datetime
import threading

import django_rq
import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from shortener.clicks import PENDING, clicks_flush
from shortener.models import Click, ShortLink
from shortener.safety import ALPHABET
from shortener.services import code_length, link_create, link_lookup, short_url
from smsmode.accounts.models import Account
from smsmode.billing.models import Plan

pytestmark = pytest.mark.django_db
PHONE = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36"
)
PREVIEW = "WhatsApp/2.23.20.0 A"


@pytest.fixture(autouse=True)
def _redis():
    connection_ = django_rq.get_connection("default")
    connection_.flushdb()  # this test worker's own Redis database
    yield
    connection_.flushdb()


def visit(code: str, agent: str = PHONE, address: str = "203.0.113.7"):
    return Client(HTTP_USER_AGENT=agent, REMOTE_ADDR=address).get(f"/s/{code}")


def make_link(team, url="https://shop.example/promo?utm_source=sms", **extra) -> ShortLink:
    return link_create(account=team.account, url=url, by=team.owner, **extra)


# ---------------------------------------------------------------- links and the redirect


def test_a_link_has_a_random_code_of_the_alphabet(team, settings):
    settings.SHORT_LINK_DOMAIN = "sms.fr"
    link = make_link(team)
    assert len(link.code) == code_length() == 5
    assert set(link.code) <= set(ALPHABET)
    assert short_url(link) == f"sms.fr/{link.code}" and len(short_url(link)) == 12


def test_the_default_expiry_is_one_month(team):
    link = make_link(team)
    assert (
        datetime.timedelta(days=30)
        < link.expires_at - timezone.now()
        <= datetime.timedelta(days=31)
    )


def test_a_known_link_redirects_and_counts_the_click(team):
    link = make_link(team)
    response = visit(link.code)
    assert response.status_code == 302
    assert response["Location"] == "https://shop.example/promo?utm_source=sms"
    assert clicks_flush() == 1
    link.refresh_from_db()
    assert (link.clicks, link.unique_clicks, link.bot_clicks) == (1, 1, 0)


def test_an_expired_link_says_so_with_410(team):
    link = make_link(team, expires_at=timezone.now() - datetime.timedelta(minutes=1))
    response = visit(link.code)
    assert response.status_code == 410
    assert "This link has expired" in response.content.decode()
    assert clicks_flush() == 0


def test_an_unknown_or_deleted_link_is_404(team, owner_client):
    assert visit("zzzzzzzz").status_code == 404
    link = make_link(team)
    assert visit(link.code).status_code == 302  # cached now
    owner_client.post(
        reverse("shortener:bulk_delete"), {"ids": [str(link.public_id)], "confirm": "1"}
    )
    assert not ShortLink.objects.filter(pk=link.pk).exists()
    assert visit(link.code).status_code == 404  # the cache was cleared


def test_the_lookup_goes_through_the_cache(team, django_assert_num_queries):
    link = make_link(team)
    link_lookup(link.code)
    with django_assert_num_queries(0):
        assert link_lookup(link.code).url == link.target_url


def test_bots_and_previews_are_kept_but_not_counted(team):
    link = make_link(team)
    visit(link.code, agent=PREVIEW)
    visit(link.code, agent="")
    visit(link.code)
    clicks_flush()
    link.refresh_from_db()
    assert (link.clicks, link.unique_clicks, link.bot_clicks) == (1, 1, 2)
    assert Click.objects.filter(link=link, is_bot=True).count() == 2


def test_unique_clicks_count_visitors_once_and_no_ip_is_stored(team):
    link = make_link(team)
    for _ in range(3):
        visit(link.code, address="198.51.100.1")
    visit(link.code, address="198.51.100.2")
    clicks_flush()
    visit(link.code, address="198.51.100.1")  # a later flush still knows this visitor
    clicks_flush()
    link.refresh_from_db()
    assert (link.clicks, link.unique_clicks) == (5, 2)
    stored = " ".join(Click.objects.values_list("visitor", "user_agent", "referrer").first())
    assert "198.51.100" not in stored


def test_a_flush_interrupted_after_its_commit_stores_nothing_twice(team):
    link = make_link(team)
    visit(link.code)
    redis = django_rq.get_connection("default")
    events = redis.lrange(PENDING, 0, -1)
    clicks_flush()
    redis.rpush(PENDING, *events)  # as if the flush had died before trimming the list
    clicks_flush()
    link.refresh_from_db()
    assert link.clicks == 1 and Click.objects.count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_clicks_are_counted_exactly(team):
    link = make_link(team)
    total, threads = 200, 8

    def hammer(n):
        try:
            client = Client(HTTP_USER_AGENT=PHONE)
            for _ in range(n):
                assert client.get(f"/s/{link.code}").status_code == 302
        finally:
            connection.close()

    workers = [threading.Thread(target=hammer, args=(total // threads,)) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    clicks_flush()
    link.refresh_from_db()
    assert link.clicks == total
    assert Click.objects.filter(link=link).count() == total


# ------------------------------------------------------------------------ the tab


def test_creating_a_link_with_the_default_expiry(owner_client, team):
    page = owner_client.get(reverse("shortener:index"))
    expiry = page.context["form"]["expires"].value()
    response = owner_client.post(
        reverse("shortener:index"),
        {"url": "https://shop.example/soldes", "name": "Soldes", "expires": expiry.isoformat()},
    )
    assert response.status_code == 302
    link = ShortLink.objects.get(account=team.account)
    assert (link.name, link.target_url) == ("Soldes", "https://shop.example/soldes")


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "data:text/html;base64,PHNjcmlwdD4=",
        "http://user:pass@bank.example/",
        "ftp://files.example/a",
        "https://shop.example/" + "a" * 2100,
    ],
)
def test_a_dangerous_url_is_refused_with_a_clear_error(owner_client, team, url):
    response = owner_client.post(
        reverse("shortener:index"),
        {"url": url, "expires": (timezone.localdate() + datetime.timedelta(days=3)).isoformat()},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["url"]
    assert not ShortLink.objects.exists()


def test_search_finds_by_name_url_and_code(owner_client, team):
    soldes = make_link(team, name="Soldes d'hiver")
    make_link(team, url="https://other.example/x", name="Other")
    for q in ("soldes", "shop.example", soldes.code):
        response = owner_client.get(reverse("shortener:index"), {"q": q})
        assert [link.pk for link in response.context["page"].rows] == [soldes.pk], q


def test_the_list_shows_current_click_counts_without_waiting_for_the_job(owner_client, team):
    link = make_link(team)
    visit(link.code)
    visit(link.code, address="192.0.2.9")
    response = owner_client.get(reverse("shortener:index"))
    row = response.context["page"].rows[0]
    assert row.clicks == 2


def test_tick_and_delete_asks_for_confirmation(owner_client, team):
    first, second = make_link(team, name="A"), make_link(team, name="B")
    response = owner_client.post(reverse("shortener:bulk_delete"), {"ids": [str(first.public_id)]})
    assert "1 short link will be deleted" in response.content.decode()
    assert ShortLink.objects.count() == 2
    owner_client.post(
        reverse("shortener:bulk_delete"), {"ids": [str(first.public_id)], "confirm": "1"}
    )
    assert list(ShortLink.objects.all()) == [second]


def test_delete_all_matching_the_search(owner_client, team):
    make_link(team, name="Promo 1")
    make_link(team, name="Promo 2")
    keep = make_link(team, url="https://shop.example/news", name="Keep")
    owner_client.post(
        reverse("shortener:bulk_delete"), {"all_matching": "1", "q": "promo", "confirm": "1"}
    )
    assert list(ShortLink.objects.all()) == [keep]


def test_editing_the_name_and_expiry(owner_client, team):
    link = make_link(team)
    day = timezone.localdate() + datetime.timedelta(days=90)
    owner_client.post(
        reverse("shortener:edit", args=[link.public_id]),
        {"name": "Renamed", "expires": day.isoformat()},
    )
    link.refresh_from_db()
    assert link.name == "Renamed"
    assert timezone.localtime(link.expires_at).date() == day


def test_the_detail_page_shows_clicks_per_day(owner_client, team):
    link = make_link(team)
    visit(link.code)
    visit(link.code, agent=PREVIEW)
    response = owner_client.get(reverse("shortener:detail", args=[link.public_id]))
    assert response.status_code == 200
    assert [n for _day, n, _pct in response.context["per_day"]] == [1]
    assert response.context["link"].bot_clicks == 1


def test_start_accounts_see_the_upgrade_prompt(owner_client, team):
    Account.objects.filter(pk=team.account.pk).update(plan=Plan.objects.get(code="start"))
    response = owner_client.get(reverse("shortener:index"))
    assert response.status_code == 200
    assert 'data-testid="upgrade-prompt"' in response.content.decode()
    response = owner_client.post(reverse("shortener:index"), {"url": "https://a.example/"})
    assert response.status_code == 200
    assert not ShortLink.objects.exists()


@pytest.mark.parametrize("name", ["detail", "edit"])
def test_an_outsider_gets_404(outsider_client, team, name):
    link = make_link(team)
    response = outsider_client.get(reverse(f"shortener:{name}", args=[link.public_id]))
    # The outsider's plan (Start) has no shortener: either answer reveals nothing.
    assert response.status_code in (403, 404)
    Account.objects.filter(pk=team.outsider_account.pk).update(plan=Plan.objects.get(code="medium"))
    response = outsider_client.get(reverse(f"shortener:{name}", args=[link.public_id]))
    assert response.status_code == 404


def test_an_outsider_cannot_delete_another_accounts_links(outsider_client, team):
    Account.objects.filter(pk=team.outsider_account.pk).update(plan=Plan.objects.get(code="medium"))
    link = make_link(team)
    outsider_client.post(
        reverse("shortener:bulk_delete"), {"ids": [str(link.public_id)], "confirm": "1"}
    )
    outsider_client.post(reverse("shortener:bulk_delete"), {"all_matching": "1", "confirm": "1"})
    assert ShortLink.objects.filter(pk=link.pk).exists()
    response = outsider_client.get(reverse("shortener:index"))
    assert link.code not in response.content.decode()


def test_a_code_typed_in_capitals_still_works(team):
    link = make_link(team)
    assert visit(link.code.upper()).status_code == 302


@pytest.mark.parametrize(
    ("fmt", "content_type", "magic"),
    [("png", "image/png", b"\x89PNG"), ("svg", "image/svg+xml", b"<?xml")],
)
def test_the_qr_code_downloads(owner_client, team, fmt, content_type, magic):
    link = make_link(team)
    response = owner_client.get(reverse("shortener:qr", args=[link.public_id, fmt]))
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response.content.startswith(magic)


def test_an_outsider_gets_404_for_the_qr_code(outsider_client, team):
    Account.objects.filter(pk=team.outsider_account.pk).update(plan=Plan.objects.get(code="medium"))
    link = make_link(team)
    response = outsider_client.get(reverse("shortener:qr", args=[link.public_id, "png"]))
    assert response.status_code == 404


def test_visits_of_unknown_codes_store_nothing_and_leave_nothing_pending(team):
    for code in ("abcdefgh", "zzzzzzzz", "abcdefgh"):
        assert visit(code).status_code == 404
    assert clicks_flush() == 0
    assert django_rq.get_connection("default").llen(PENDING) == 0
    assert not Click.objects.exists()


def test_a_head_request_redirects_without_counting(team):
    link = make_link(team)
    response = Client(HTTP_USER_AGENT=PHONE).head(f"/s/{link.code}")
    assert response.status_code == 302
    assert clicks_flush() == 0
