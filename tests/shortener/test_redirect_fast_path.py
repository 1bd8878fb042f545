"""The redirect's fast path: answered by the early middleware on both hosts, one Redis
command per click, each click stored exactly once."""

import datetime

import django_rq
import pytest
from django.test import Client
from django.urls import resolve, reverse
from django.utils import timezone

from shortener import clicks
from shortener.clicks import PENDING, clicks_flush
from shortener.models import Click, ShortLink
from shortener.safety import is_bot
from shortener.services import _cache_key, link_create, link_update, links_delete
from shortener.views import redirect
from shortener.views.redirect import APP_PREFIX, follow

pytestmark = pytest.mark.django_db
PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) Version/17.5 Mobile Safari/604.1"
TARGET = "https://shop.example/promo?utm_source=sms"


@pytest.fixture(autouse=True)
def _redis():
    connection_ = django_rq.get_connection("default")
    connection_.flushdb()  # this test worker's own Redis database
    yield
    connection_.flushdb()


@pytest.fixture
def short_domain(settings):
    settings.SHORT_LINK_DOMAIN = "go.test"
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "go.test"]
    return "go.test"


def make_link(team, **extra):
    return link_create(account=team.account, url=TARGET, by=team.owner, **extra)


def pending() -> list[bytes]:
    return django_rq.get_connection("default").lrange(PENDING, 0, -1)


def assert_redirects_to_target(response) -> None:
    assert response.status_code == 302
    assert response["Location"] == TARGET
    assert response["Cache-Control"] == "no-store"
    assert response["Referrer-Policy"] == "no-referrer"


# ------------------------------------------------------------ the early middleware


def test_the_app_host_answers_before_sessions_and_accounts(
    team, owner_client, django_assert_num_queries
):
    link = make_link(team)
    owner_client.get(f"/s/{link.code}")  # the cache entry
    with django_assert_num_queries(0):  # no session read, no membership, no link query
        response = owner_client.get(f"/s/{link.code}", HTTP_USER_AGENT=PHONE)
    assert_redirects_to_target(response)
    request = response.wsgi_request
    assert not hasattr(request, "session") and not hasattr(request, "user")
    assert not response.cookies and not response.has_header("Vary")
    assert clicks_flush() == 2


def test_the_early_answer_is_the_route_of_short_links():
    # The middleware answers /s/<code> in place of the URL resolver: nothing else may
    # be routed there.
    assert reverse("short_link", args=["abcd2345"]) == f"{APP_PREFIX}abcd2345"
    assert resolve(f"{APP_PREFIX}abcd2345").func is follow


def test_an_expired_link_on_the_app_host_is_a_translated_410_counted_nowhere(team):
    link = make_link(team, expires_at=timezone.now() - datetime.timedelta(minutes=1))
    response = Client(HTTP_USER_AGENT=PHONE, HTTP_ACCEPT_LANGUAGE="fr").get(f"/s/{link.code}")
    assert response.status_code == 410
    assert "Ce lien a expiré" in response.content.decode()  # through the locale middleware
    assert len(pending()) == 1  # one lookup, one event: the view reused the middleware's
    assert clicks_flush() == 0


def test_an_unknown_code_on_the_app_host_is_404_with_one_lookup(team):
    response = Client(HTTP_USER_AGENT=PHONE).get("/s/zzzzzzzz")
    assert response.status_code == 404
    assert "This link does not exist" in response.content.decode()
    assert len(pending()) == 1
    assert clicks_flush() == 0


def test_a_deleted_link_is_404_at_once(team):
    link = make_link(team)
    assert Client().get(f"/s/{link.code}").status_code == 302
    links_delete(account=team.account, links=ShortLink.objects.filter(pk=link.pk))
    assert Client().get(f"/s/{link.code}").status_code == 404


def test_an_edited_expiry_takes_effect_at_once(team):
    link = make_link(team)
    assert Client().get(f"/s/{link.code}").status_code == 302
    link_update(link=link, name="", expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert Client().get(f"/s/{link.code}").status_code == 410


def test_a_post_to_a_short_link_is_refused_and_not_counted(team):
    link = make_link(team)
    assert Client().post(f"/s/{link.code}").status_code == 405
    assert pending() == []


def test_a_head_request_on_the_short_domain_is_not_counted(team, short_domain):
    link = make_link(team)
    response = Client(HTTP_HOST=short_domain).head(f"/{link.code}")
    assert_redirects_to_target(response)
    assert pending() == [] and clicks_flush() == 0


def test_a_foreign_host_is_still_refused_on_the_fast_path(team):
    link = make_link(team)
    assert Client(HTTP_HOST="evil.example").get(f"/s/{link.code}").status_code == 400
    assert pending() == []


def test_every_path_on_the_short_domain_is_a_code(team, short_domain):
    link = make_link(team)
    client = Client(HTTP_HOST=short_domain, HTTP_USER_AGENT=PHONE)
    assert_redirects_to_target(client.get(f"/{link.code.upper()}"))
    assert client.get(f"/{link.code}/").status_code == 302
    assert client.get("/").status_code == 404
    assert client.get(f"/s/{link.code}").status_code == 404  # one segment only
    assert clicks_flush() == 2


def test_a_cached_target_that_is_not_http_is_never_followed(team):
    # The cache is trusted no more than the response class allows: http(s) only.
    link = make_link(team)
    redis = django_rq.get_connection("default")
    redis.set(_cache_key(link.code), f"{link.pk}|9999999999.0|javascript:alert(1)")
    response = Client(raise_request_exception=False).get(f"/s/{link.code}")
    assert response.status_code == 400
    assert not response.has_header("Location")


# ------------------------------------------------------------------ the click's time


class _Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def time(self) -> float:
        return self.now


@pytest.mark.parametrize(("before", "status", "stored"), [(0.001, 302, 1), (0, 410, 0)])
def test_a_click_is_counted_exactly_when_it_was_redirected(
    team, monkeypatch, before, status, stored
):
    link = make_link(team)
    monkeypatch.setattr(redirect, "time", _Clock(link.expires_at.timestamp() - before))
    assert Client(HTTP_USER_AGENT=PHONE).get(f"/s/{link.code}").status_code == status
    assert clicks_flush() == stored


# ------------------------------------------------------------------ events


def test_an_event_appended_twice_in_one_batch_is_stored_once(team):
    # A command sent again after a lost reply: the same event id twice, in one batch.
    link = make_link(team)
    Client(HTTP_USER_AGENT=PHONE).get(f"/s/{link.code}")
    redis = django_rq.get_connection("default")
    redis.rpush(PENDING, *redis.lrange(PENDING, 0, -1))
    assert clicks_flush() == 1
    link.refresh_from_db()
    assert link.clicks == 1 and Click.objects.count() == 1
    assert pending() == []


def test_a_click_stores_no_address_and_keeps_the_agent_and_referrer(team):
    link = make_link(team)
    Client(
        HTTP_USER_AGENT=PHONE, REMOTE_ADDR="198.51.100.9", HTTP_REFERER="https://r.example/"
    ).get(f"/s/{link.code}")
    [raw] = pending()
    assert b"198.51.100" not in raw
    clicks_flush()
    click = Click.objects.get()
    assert (click.user_agent, click.referrer, click.is_bot) == (PHONE, "https://r.example/", False)
    assert len(click.visitor) == 32


def test_scripts_flushed_from_redis_are_loaded_again_and_count_once(team):
    link = make_link(team)
    django_rq.get_connection("default").script_flush()
    assert Client(HTTP_USER_AGENT=PHONE).get(f"/s/{link.code}").status_code == 302
    assert clicks_flush() == 1


def test_the_first_click_schedules_one_flush(team):
    link = make_link(team)
    registry = django_rq.get_queue("default").scheduled_job_registry
    for _ in range(3):
        Client(HTTP_USER_AGENT=PHONE).get(f"/s/{link.code}")
    assert len(registry.get_job_ids()) == 1


# ------------------------------------------------------------------ the bot check


def test_the_bot_check_is_remembered_per_agent_and_bounded():
    agents = [PHONE, "WhatsApp/2.23.20.0 A", "", "curl/8.5", "Mozilla/5.0 Cubot_P20"]
    for agent in agents:
        assert clicks._is_bot(agent) is is_bot(agent)
    clicks._is_bot_cached.cache_clear()
    clicks._is_bot(PHONE)
    clicks._is_bot(PHONE)
    info = clicks._is_bot_cached.cache_info()
    assert (info.hits, info.misses) == (1, 1)
    long_bot = "bot " + "x" * 600  # longer than what is kept: checked, not remembered
    assert clicks._is_bot(long_bot) is True
    assert clicks._is_bot_cached.cache_info().currsize == 1
    assert info.maxsize == 4096
