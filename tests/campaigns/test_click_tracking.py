"""Automatic shortening: each recipient's own short links, their clicks, the campaign's
CTR, and the plan gate."""

import datetime
import re
from zoneinfo import ZoneInfo

import django_rq
import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign, Message
from campaigns.selectors import campaign_estimate
from campaigns.services import campaign_launch, campaign_schedule, campaign_test_send
from shortener import tracking
from shortener.clicks import clicks_flush
from shortener.models import ShortLink
from shortener.safety import ALPHABET, generate_codes
from shortener.services import link_create
from shortener.tracking import draw_codes, split_links
from smsmode.accounts.models import Account
from smsmode.billing.models import Plan
from smsmode.dashboard import stats
from tests.campaigns.conftest import make_campaign

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")
TUESDAY_10 = datetime.datetime(2026, 12, 1, 10, 0, tzinfo=PARIS)
PHONE_UA = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/126.0 Mobile"
PREVIEW_UA = "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)"
SHORT = re.compile(r"sms\.fr/([a-z0-9]{5})")


@pytest.fixture(autouse=True)
def _setup(settings):
    settings.SHORT_LINK_DOMAIN = "sms.fr"
    redis = django_rq.get_connection("default")
    redis.flushdb()
    with time_machine.travel(TUESDAY_10, tick=True):
        yield
    redis.flushdb()


def launch(campaign: Campaign) -> None:
    assert campaign_schedule(campaign=campaign)
    assert campaign_launch(campaign_id=campaign.pk) == Campaign.Status.SENDING
    campaign.refresh_from_db()


def visit(code: str, agent: str = PHONE_UA, address: str = "203.0.113.7"):
    return Client(HTTP_USER_AGENT=agent, REMOTE_ADDR=address).get(f"/s/{code}")


def set_plan(account: Account, code: str) -> None:
    Account.objects.filter(pk=account.pk).update(plan=Plan.objects.get(code=code))
    account.refresh_from_db()


# ------------------------------------------------------------------ finding links


@pytest.mark.parametrize(
    ("text", "targets"),
    [
        ("Sale: https://shop.fr/a?b=1.", ("https://shop.fr/a?b=1",)),
        ("(see https://shop.fr/x) now!", ("https://shop.fr/x",)),
        ("https://en.wikipedia.org/wiki/Foo_(bar)", ("https://en.wikipedia.org/wiki/Foo_(bar)",)),
        ("Two: http://a.fr, HTTPS://B.FR/Y!", ("http://a.fr", "https://b.fr/Y")),
        ("No scheme: shop.fr/promo or www.shop.fr", ()),
        ("javascript:alert(1) data:text/html,x", ()),
        ("Credentials stay as written: https://user:pw@shop.fr/", ()),
        ("A private address stays too: http://192.168.1.1/admin", ()),
        ('Quoted "https://shop.fr/q"', ("https://shop.fr/q",)),
    ],
)
def test_split_links_finds_the_links_a_short_link_may_point_to(text, targets):
    split = split_links(text)
    assert split.targets == targets
    # Filling the links back gives the text again (modulo a normalised scheme/host).
    assert split.fill(list(targets)).lower() == text.lower()


def test_codes_drawn_in_bulk_are_of_the_alphabet_and_length():
    codes = generate_codes(5, 20_000)
    assert len(codes) == 20_000 and {len(code) for code in codes} == {5}
    assert set("".join(codes)) == set(ALPHABET)  # every character appears, no other
    with pytest.raises(ValueError):
        generate_codes(3, 1)


def test_drawn_codes_avoid_codes_already_taken(team, monkeypatch):
    taken = link_create(account=team.account, url="https://shop.fr/").code
    draws = iter([[taken, taken, "22222"], ["33333", "44444"]])
    monkeypatch.setattr(tracking, "generate_codes", lambda length, count: next(draws))
    assert draw_codes(3) == ["22222", "33333", "44444"]


# ---------------------------------------------------------------------- the launch


def test_each_recipient_gets_own_short_links_counted_at_their_length(funded, customers):
    body = (
        "Hi {first_name|you}: https://shop.example/sale?utm_source=sms and https://shop.example/map"
    )
    campaign = make_campaign(funded, [customers], body=body)
    launch(campaign)
    messages = list(Message.objects.filter(campaign=campaign).order_by("phone"))
    assert len(messages) == 5
    codes = []
    for message in messages:
        found = SHORT.findall(message.body)
        assert len(found) == 2, message.body
        assert "shop.example" not in message.body
        codes += found
        links = {
            link.code: link for link in ShortLink.objects.filter(campaign=campaign, message=message)
        }
        assert [links[code].target_url for code in found] == [
            "https://shop.example/sale?utm_source=sms",
            "https://shop.example/map",
        ]
        # Counted as sent: the short URLs, not the long ones.
        assert message.segments == 1
    assert len(set(codes)) == 10
    assert messages[0].body == f"Hi Anne: sms.fr/{codes[0]} and sms.fr/{codes[1]}\nSTOP 36180"
    assert campaign.tracked_links == 10
    link = ShortLink.objects.filter(campaign=campaign).first()
    assert link.account_id == funded.pk and link.name == ""
    assert datetime.timedelta(days=30) < link.expires_at - campaign.launched_at
    # They stay out of the tab's own list.
    client = Client()
    client.force_login(funded.memberships.get(role="owner").user)
    page = client.get(reverse("shortener:index")).content.decode()
    assert link.code not in page
    page = client.get(reverse("shortener:index") + "?campaign=1").content.decode()
    assert link.code in page


def test_a_merge_field_inside_a_link_gives_each_recipient_a_target(funded, customers):
    campaign = make_campaign(
        funded, [customers], body="Your order: https://shop.example/o?name={first_name|x}"
    )
    launch(campaign)
    targets = set(ShortLink.objects.filter(campaign=campaign).values_list("target_url", flat=True))
    assert "https://shop.example/o?name=Anne" in targets
    assert "https://shop.example/o?name=x" in targets  # the contact without a first name


def test_a_long_link_no_longer_costs_a_second_sms(funded, customers):
    long_url = "https://shop.example/" + "a" * 150
    campaign = make_campaign(funded, [customers], body=f"Sale {long_url}", kind="notification")
    estimate = campaign_estimate(campaign=campaign)
    assert estimate.segments_max == 1 and estimate.tracked_links == 1
    assert "sms.fr/xxxxx" in estimate.preview
    launch(campaign)
    assert set(Message.objects.filter(campaign=campaign).values_list("segments", flat=True)) == {1}
    assert campaign.segments == 5


def test_start_accounts_links_are_sent_as_written(funded, customers):
    set_plan(funded, "start")
    campaign = make_campaign(funded, [customers], body="See https://shop.example/sale")
    estimate = campaign_estimate(campaign=campaign)
    assert estimate.tracked_links == 0 and estimate.untracked_links == 1
    launch(campaign)
    assert not ShortLink.objects.exists()
    assert campaign.tracked_links == 0
    body = Message.objects.filter(campaign=campaign).values_list("body", flat=True).first()
    assert body.startswith("See https://shop.example/sale")


def test_a_message_without_links_makes_none(funded, customers):
    launch(make_campaign(funded, [customers], body="No link, shop.fr"))
    assert not ShortLink.objects.exists()


def test_a_test_send_has_its_own_links(funded, customers):
    campaign = make_campaign(funded, [customers], body="Try https://shop.example/t")
    assert campaign_test_send(campaign=campaign, numbers=["+33612345670"]) == 1
    message = Message.objects.get(campaign=campaign, is_test=True)
    link = ShortLink.objects.get(message=message)
    assert f"sms.fr/{link.code}" in message.body


# ------------------------------------------------------------------------ the clicks


def _codes_by_phone(campaign: Campaign) -> dict[str, str]:
    return {
        phone: code
        for phone, code in ShortLink.objects.filter(campaign=campaign).values_list(
            "message__phone", "code"
        )
    }


def test_clicks_tell_who_clicked_and_make_the_ctr(funded, customers):
    campaign = make_campaign(funded, [customers], body="Sale https://shop.example/sale")
    launch(campaign)
    Message.objects.filter(campaign=campaign).update(
        status=Message.Status.DELIVERED, submitted_at=timezone.now()
    )
    stats.rebuild(funded)  # delivered as if by reports (the list's figures)
    codes = _codes_by_phone(campaign)
    assert visit(codes["+33612345670"]).status_code == 302
    assert visit(codes["+33612345670"]).status_code == 302  # again: one clicker
    assert visit(codes["+33612345671"], address="198.51.100.9").status_code == 302
    assert visit(codes["+33612345672"], agent=PREVIEW_UA).status_code == 302  # a preview
    assert clicks_flush() == 4
    campaign.refresh_from_db()
    assert (campaign.clicks, campaign.clickers) == (3, 2)
    clicked = set(
        Message.objects.filter(campaign=campaign, clicked_at__isnull=False).values_list(
            "phone", flat=True
        )
    )
    assert clicked == {"+33612345670", "+33612345671"}

    client = Client()
    client.force_login(funded.memberships.get(role="owner").user)
    report = client.get(reverse("campaigns:report", args=[campaign.public_id])).content.decode()
    assert 'data-figure="clicks_total">3<' in report
    assert 'data-figure="clickers">2<' in report
    assert 'data-figure="ctr">40.0 %<' in report  # 2 of 5 delivered
    assert "+33 6 12 34 56 70" in report.split('data-testid="report-clickers"')[1]
    listing = client.get(reverse("campaigns:index")).content.decode()
    assert "40.0 %" in listing
    export = b"".join(
        client.get(reverse("campaigns:messages_csv", args=[campaign.public_id])).streaming_content
    ).decode()
    header, *rows = export.lstrip("\ufeff").splitlines()
    assert "clicked_at" in header.split(",")
    assert sum(1 for row in rows if "+33612345670" in row and "2026-12-01" in row) == 1


def test_clicks_on_a_test_send_count_for_no_campaign(funded, customers):
    campaign = make_campaign(funded, [customers], body="Try https://shop.example/t")
    campaign_test_send(campaign=campaign, numbers=["+33612345670"])
    code = ShortLink.objects.get(campaign=campaign).code
    visit(code)
    assert clicks_flush() == 1
    campaign.refresh_from_db()
    assert (campaign.clicks, campaign.clickers) == (0, 0)
    assert ShortLink.objects.get(code=code).clicks == 1  # the link itself counts it


def test_a_click_after_the_link_expired_counts_for_nobody(funded, customers):
    campaign = make_campaign(funded, [customers], body="Sale https://shop.example/sale")
    launch(campaign)
    code = next(iter(_codes_by_phone(campaign).values()))
    with time_machine.travel(TUESDAY_10 + datetime.timedelta(days=40), tick=False):
        assert visit(code).status_code == 410
        assert clicks_flush() == 0
    campaign.refresh_from_db()
    assert campaign.clicks == 0


def test_the_report_of_a_campaign_without_links_says_nothing_was_tracked(
    funded, customers, owner_client
):
    campaign = make_campaign(funded, [customers], body="No link")
    launch(campaign)
    report = owner_client.get(reverse("campaigns:report", args=[campaign.public_id]))
    assert 'data-figure="clicks_total"' not in report.content.decode()
    assert 'data-testid="report-clickers"' not in report.content.decode()


def test_an_outsider_sees_neither_the_report_nor_the_links(funded, customers, outsider_client):
    campaign = make_campaign(funded, [customers], body="Sale https://shop.example/sale")
    launch(campaign)
    link = ShortLink.objects.filter(campaign=campaign).first()
    assert (
        outsider_client.get(reverse("campaigns:report", args=[campaign.public_id])).status_code
        == 404
    )
    set_plan(Account.objects.get(name="Other Co"), "medium")
    assert (
        outsider_client.get(reverse("shortener:detail", args=[link.public_id])).status_code == 404
    )


def test_the_tab_shows_campaign_links_with_their_campaign_and_recipient(
    funded, customers, owner_client, django_assert_max_num_queries
):
    campaign = make_campaign(funded, [customers], body="Sale https://shop.example/sale")
    launch(campaign)
    with django_assert_max_num_queries(12):
        page = owner_client.get(reverse("shortener:index") + "?campaign=1").content.decode()
    assert page.count("Spring sale") >= 5
    assert "+33 6 12 34 56 70" in page
    link = ShortLink.objects.get(campaign=campaign, message__phone="+33612345670")
    detail = owner_client.get(reverse("shortener:detail", args=[link.public_id])).content.decode()
    assert "The own link of +33 6 12 34 56 70 in the campaign" in detail
    assert reverse("campaigns:detail", args=[campaign.public_id]) in detail


def test_a_link_to_a_landing_page_carries_the_recipients_token(funded, customers, settings):
    from landingpages.personalize import message_id_from

    settings.SITE_ROOT = "https://app.example"
    campaign = make_campaign(
        funded, [customers], body="Your offer: https://app.example/p/spring-sale-x2k9"
    )
    launch(campaign)
    for link in ShortLink.objects.filter(campaign=campaign).select_related("message"):
        assert link.target_url.startswith("https://app.example/p/spring-sale-x2k9?r=")
        from urllib.parse import parse_qs, urlsplit

        token = parse_qs(urlsplit(link.target_url).query)["r"][0]
        assert message_id_from(token) == link.message.public_id
    # Any other link is left as written.
    other = make_campaign(funded, [customers], body="See https://shop.example/p/x")
    launch(other)
    targets = set(ShortLink.objects.filter(campaign=other).values_list("target_url", flat=True))
    assert targets == {"https://shop.example/p/x"}


def test_links_to_our_own_pages_are_tracked_even_on_a_local_site(settings):
    settings.SITE_ROOT = "http://127.0.0.1:8000"
    split = split_links("Open http://127.0.0.1:8000/p/sale-x2k9 or http://127.0.0.1:8000/admin")
    assert split.targets == ("http://127.0.0.1:8000/p/sale-x2k9",)  # not the private other
    assert split_links("http://127.0.0.1:8000/p/x/../../admin").targets == ()
