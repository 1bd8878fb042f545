"""The public page (/p/<slug>): rendering, safety, images, clicks, forms, weight."""

import datetime
import io
import re
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import django_rq
import pytest
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.test import Client, RequestFactory
from django.utils import timezone

from campaigns.models import Campaign, Message
from landingpages import events
from landingpages.blocks import validate_blocks
from landingpages.models import FormSubmission, LandingPage, PageEvent, PageImage
from landingpages.personalize import recipient_token
from landingpages.rendering import MAPS_SEARCH, PREVIEW_POLICY, PUBLIC_POLICY, page_response

pytestmark = pytest.mark.django_db

PHONE_UA = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36"
)
PREVIEW_UA = "WhatsApp/2.23.20.0 A"
STATIC = Path(django_settings.BASE_DIR) / "static"


@pytest.fixture(autouse=True)
def _redis():
    connection_ = django_rq.get_connection("default")
    connection_.flushdb()  # this test worker's own Redis database
    yield
    connection_.flushdb()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def visitor(address: str = "203.0.113.7", agent: str = PHONE_UA, **extra) -> Client:
    return Client(HTTP_USER_AGENT=agent, REMOTE_ADDR=address, **extra)


def make_image(account, width: int = 1080, height: int = 720) -> PageImage:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 120, 40)).save(out, "JPEG", quality=80)
    image = PageImage(account=account, format="jpg", width=width, height=height, size=out.tell())
    image.file.save("upload.jpg", ContentFile(out.getvalue()), save=False)
    image.save()
    return image


def typical_blocks(image: PageImage | None = None) -> list[dict]:
    blocks = [
        {"type": "heading", "data": {"text": "Hello {first_name|there}!"}},
        {
            "type": "text",
            "data": {
                "html": "<p>Our <strong>spring sale</strong> starts today, {first_name|friend}: "
                "<em>30 % off</em> everything in store and online.</p>"
                "<ul><li>Free delivery</li><li>Free returns</li></ul>"
            },
        },
        {
            "type": "button",
            "data": {"label": "Shop now", "action": "link", "target": "https://shop.example/sale"},
        },
        {
            "type": "button",
            "data": {"label": "Call us", "action": "call", "target": "+33 1 23 45 67 89"},
        },
        {
            "type": "coupon",
            "data": {"code": "SPRING25", "note": "In store or online.", "barcode": "qr"},
        },
        {
            "type": "countdown",
            "data": {
                "until": (timezone.now() + datetime.timedelta(days=3)).isoformat(),
                "label": "The sale ends in",
            },
        },
        {"type": "map", "data": {"address": "12 rue de Rivoli, 75004 Paris"}},
        {
            "type": "video",
            "data": {"url": "https://video.example/watch?v=abc", "title": "The new collection"},
        },
        {
            "type": "form",
            "data": {
                "title": "Book a fitting",
                "ask_email": True,
                "questions": [{"key": "size", "label": "Your size", "required": True}],
            },
        },
    ]
    if image is not None:
        blocks.insert(
            1, {"type": "image", "data": {"image": str(image.public_id), "alt": "Our shop"}}
        )
    return validate_blocks(blocks)


def make_page(
    team, blocks=None, *, slug="spring-sale", status="published", **fields
) -> LandingPage:
    return LandingPage.objects.create(
        account=team.account,
        title="Spring sale",
        slug=slug,
        blocks=typical_blocks() if blocks is None else validate_blocks(blocks),
        status=status,
        **fields,
    )


def block_of(page: LandingPage, kind: str, n: int = 0) -> dict:
    return [block for block in page.blocks if block["type"] == kind][n]


def make_message(account, *, campaign=None, contact=None, is_test=False) -> Message:
    return Message.objects.create(
        account=account,
        campaign=campaign,
        contact=contact,
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


def html_of(response) -> str:
    return response.content.decode()


# ---------------------------------------------------------------- published, draft, deleted


def test_a_published_page_is_public(team):
    make_page(team)
    response = visitor().get("/p/spring-sale")
    assert response.status_code == 200
    html = html_of(response)
    assert "Hello there!" in html
    assert "SPRING25" in html
    assert 'class="lp lp-indigo"' in html
    assert "<footer" in html and "Acme" in html


def test_a_draft_is_not_public(team):
    make_page(team, status="draft")
    response = visitor().get("/p/spring-sale")
    assert response.status_code == 404
    assert 'data-testid="page-unavailable"' in html_of(response)
    assert PageEvent.objects.count() == 0


def test_an_unknown_address_says_the_page_is_no_longer_available(db):
    response = visitor().get("/p/no-such-page")
    assert response.status_code == 404
    html = html_of(response)
    assert "This page is no longer available" in html
    assert '<meta name="robots" content="noindex">' in html
    assert response["Content-Security-Policy"] == PUBLIC_POLICY


def test_a_deleted_page_s_short_links_lead_to_the_no_longer_available_page(team, settings):
    from shortener.services import link_create

    settings.SITE_ROOT = "https://app.smsmode.example"
    page = make_page(team)
    link = link_create(
        account=team.account, url=f"{settings.SITE_ROOT}/p/{page.slug}", by=team.owner
    )
    first = visitor().get(f"/s/{link.code}")
    assert first.status_code == 302
    page.delete()
    followed = visitor().get(urlsplit(first["Location"]).path)
    assert followed.status_code == 404
    assert "This page is no longer available" in html_of(followed)


def test_a_page_is_only_read_and_written_through_get_and_head(team):
    make_page(team)
    assert visitor().post("/p/spring-sale").status_code == 405


# ---------------------------------------------------------------- headers


def test_a_page_is_not_indexed_unless_asked(team):
    make_page(team)
    response = visitor().get("/p/spring-sale")
    assert response["X-Robots-Tag"] == "noindex"
    assert '<meta name="robots" content="noindex">' in html_of(response)


def test_an_indexable_page_lets_search_engines_in(team):
    make_page(team, indexable=True)
    response = visitor().get("/p/spring-sale")
    assert "X-Robots-Tag" not in response
    assert 'name="robots"' not in html_of(response)


def test_public_pages_carry_a_strict_content_security_policy(team):
    make_page(team)
    response = visitor().get("/p/spring-sale")
    csp = response["Content-Security-Policy"]
    assert csp == PUBLIC_POLICY
    assert "default-src 'none'" in csp
    assert "script-src 'self';" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "img-src 'self';" in csp
    assert "form-action 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"


def test_a_page_without_a_token_is_revalidated_not_stored_by_shared_caches(team):
    make_page(team)
    assert visitor().get("/p/spring-sale")["Cache-Control"] == "private, no-cache"


def test_the_page_sets_the_csrf_cookie_for_its_form(team):
    make_page(team)
    client = visitor()
    response = client.get("/p/spring-sale")
    assert django_settings.CSRF_COOKIE_NAME in response.cookies
    assert 'name="csrfmiddlewaretoken"' in html_of(response)


def test_the_page_speaks_the_account_s_language(team):
    team.account.language = "fr"
    team.account.save(update_fields=["language"])
    make_page(team)
    assert '<html lang="fr">' in html_of(visitor().get("/p/spring-sale"))


# ---------------------------------------------------------------- the editor's preview


def _preview(page: LandingPage, **kwargs):
    request = RequestFactory().get("/landing-pages/preview")
    return page_response(request, page, preview=True, **kwargs)


def test_the_preview_renders_a_draft_and_records_nothing(team):
    page = make_page(team, status="draft")
    response = _preview(page)
    assert response.status_code == 200
    html = html_of(response)
    assert "Hello there!" in html
    assert PageEvent.objects.count() == 0
    # framed by our own editor only
    assert response["Content-Security-Policy"] == PREVIEW_POLICY
    assert "frame-ancestors 'self'" in PREVIEW_POLICY
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert response["X-Robots-Tag"] == "noindex"
    assert response["Cache-Control"] == "private, no-store"
    # links go straight to their targets (no click recorded), the form cannot be sent
    assert 'href="https://shop.example/sale"' in html
    assert 'href="tel:+33123456789"' in html
    assert "/b/" not in html
    assert re.search(r'<button class="lp-button" type="submit" disabled', html)


def test_the_preview_fills_merge_fields_with_the_values_given(team):
    page = make_page(team, status="draft")
    assert "Hello Alice!" in html_of(_preview(page, values={"first_name": "Alice"}))


def test_the_preview_through_the_public_address_is_never_served(team):
    make_page(team, status="draft")
    assert visitor().get("/p/spring-sale?preview=1").status_code == 404


# ---------------------------------------------------------------- safety of stored content


def parse_tags(html: str) -> list[tuple[str, dict]]:
    """Every start tag of the document, as a browser's tokenizer sees it."""
    from html.parser import HTMLParser

    found: list[tuple[str, dict]] = []

    class Collect(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, {name: value or "" for name, value in attrs}))

        handle_startendtag = handle_starttag

    Collect().feed(html)
    return found


XSS = '<script>alert("x")</script>'
ATTR = '"><script>alert(1)</script><img src=x onerror=alert(1)>'


def test_stored_blocks_never_run_script(team):
    """Blocks written to the database directly (no validation) render no markup of
    their own: every classic payload comes out as text or not at all."""
    image = make_image(team.account)
    page = make_page(team, blocks=[])
    LandingPage.objects.filter(pk=page.pk).update(
        palette='"><img src=x',  # as long as the column allows
        title=ATTR,
        blocks=[
            {
                "id": "00000001",
                "type": "heading",
                "data": {"text": XSS, "level": "1 onclick=alert(1)"},
            },
            {
                "id": "00000002",
                "type": "text",
                "data": {
                    "html": XSS
                    + '<img src=x onerror="alert(1)"><a href="javascript:alert(1)">a</a>'
                    + '<iframe src="https://evil.example"></iframe><svg onload=alert(1)></svg>'
                    + '<p style="background:url(javascript:alert(1))" onmouseover="alert(1)">p</p>'
                    + "<style>body{display:none}</style><object data=x></object>"
                    + '<a href="data:text/html,<script>alert(1)</script>">d</a>'
                    + "<form action=https://evil.example><input name=x></form>"
                },
            },
            {
                "id": "00000003",
                "type": "image",
                "data": {"image": str(image.public_id), "alt": ATTR},
            },
            {"id": "00000004", "type": "image", "data": {"image": ATTR, "alt": "x"}},
            {
                "id": "00000005",
                "type": "button",
                "data": {"label": XSS, "action": "link", "target": "javascript:alert(1)"},
            },
            {
                "id": "00000006",
                "type": "button",
                "data": {"label": "Call", "action": "call", "target": "javascript:alert(1)"},
            },
            {
                "id": "00000007",
                "type": "coupon",
                "data": {"code": XSS, "note": ATTR, "barcode": "qr"},
            },
            {"id": "00000008", "type": "countdown", "data": {"until": ATTR, "label": XSS}},
            {"id": "00000009", "type": "map", "data": {"address": ATTR}},
            {
                "id": "0000000a",
                "type": "video",
                "data": {"url": "javascript:alert(1)", "title": XSS},
            },
            {
                "id": "0000000b",
                "type": "form",
                "data": {
                    "title": XSS,
                    "ask_name": True,
                    "questions": [
                        {"key": "ok", "label": ATTR, "required": False},
                        {"key": '"><script>', "label": "bad key"},
                    ],
                    "consent_text": ATTR,
                    "submit_label": XSS,
                    "thanks": XSS,
                },
            },
            {"id": "0000000c", "type": "script", "data": {"html": XSS}},
            {"id": '"><script>x', "type": "heading", "data": {"text": "bad id"}},
            {"id": "0000000d", "type": "text", "data": "not an object"},
            "not a block",
        ],
    )
    response = visitor().get("/p/spring-sale")
    assert response.status_code == 200
    html = html_of(response)
    tags = parse_tags(html)
    names = {name for name, _attrs in tags}
    assert "script" not in names  # not even the countdown's: its date was not one
    images = [attrs for name, attrs in tags if name == "img"]
    assert images == [
        {
            "src": f"/p/i/{image.public_id}",
            "width": "1080",
            "height": "720",
            "alt": ATTR,  # an attribute's value: text
            "decoding": "async",
        }
    ]
    assert not names & {"iframe", "object", "embed", "style"}
    assert [name for name, _attrs in tags if name == "form"] == ["form"]  # ours only
    for name, attrs in tags:
        for attr, value in attrs.items():
            assert not attr.startswith("on"), (name, attr)
            assert attr != "style", name
            if attr in ("href", "src", "action"):
                assert value.startswith(("/", "https://", "tel:", "sms:")), (name, attr, value)
                assert "evil.example" not in value
    assert "javascript:" not in html
    assert 'class="lp lp-indigo"' in html  # an unknown palette falls back
    assert '<h1 class="lp-block lp-h1" id="b-00000001">&lt;script&gt;' in html
    assert "bad id" not in html and "bad key" not in html
    assert "&lt;script&gt;" in html  # the payloads are there, as text


def test_a_merge_value_cannot_make_markup_or_a_link(team):
    from contacts.models import Contact

    contact = Contact.objects.create(
        account=team.account,
        phone="+33612345678",
        first_name="javascript:alert(1)",
        last_name="<img src=x onerror=alert(1)>",
    )
    message = make_message(team.account, contact=contact)
    page = make_page(team, blocks=[])
    LandingPage.objects.filter(pk=page.pk).update(
        blocks=[
            {
                "id": "00000001",
                "type": "text",
                "data": {"html": '<p><a href="{first_name}">link</a> {last_name}</p>'},
            },
            {"id": "00000002", "type": "heading", "data": {"text": "Hi {last_name}"}},
        ]
    )
    html = html_of(visitor().get(f"/p/spring-sale?r={recipient_token(message.public_id)}"))
    assert "javascript:" not in html
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


# ---------------------------------------------------------------- blocks


def test_images_have_their_size_and_load_lazily_after_the_first(team):
    first, second = make_image(team.account), make_image(team.account, 800, 600)
    make_page(
        team,
        blocks=[
            {"type": "image", "data": {"image": str(first.public_id), "alt": "First"}},
            {"type": "image", "data": {"image": str(second.public_id), "alt": "Second"}},
        ],
    )
    html = html_of(visitor().get("/p/spring-sale"))
    tags = re.findall(r"<img [^>]+>", html)
    assert len(tags) == 2
    assert f'src="/p/i/{first.public_id}"' in tags[0] and 'width="1080" height="720"' in tags[0]
    assert "loading=" not in tags[0]
    assert 'loading="lazy"' in tags[1] and 'alt="Second"' in tags[1]


def test_an_image_of_another_account_is_not_shown(team):
    theirs = make_image(team.outsider_account)
    page = make_page(team, blocks=[])
    LandingPage.objects.filter(pk=page.pk).update(
        blocks=[{"id": "00000001", "type": "image", "data": {"image": str(theirs.public_id)}}]
    )
    assert "<img" not in html_of(visitor().get("/p/spring-sale"))


def test_the_image_view_serves_the_file_with_long_cache_headers(team):
    image = make_image(team.account)
    response = visitor().get(f"/p/i/{image.public_id}")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert (
        "immutable" in response["Cache-Control"] and "max-age=31536000" in response["Cache-Control"]
    )
    assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"
    assert visitor().get("/p/i/00000000-0000-0000-0000-000000000000").status_code == 404


def test_the_logo_shows_at_the_top(team):
    logo = make_image(team.account, 400, 100)
    make_page(team, logo=logo)
    html = html_of(visitor().get("/p/spring-sale"))
    assert (
        f'<header class="lp-logo"><img src="/p/i/{logo.public_id}" width="400" height="100"' in html
    )


def test_the_coupon_shows_its_code_and_a_server_drawn_qr_code(team):
    make_page(team)
    html = html_of(visitor().get("/p/spring-sale"))
    assert '<p class="lp-coupon-code">SPRING25</p>' in html
    assert re.search(r'<div class="lp-qr"><svg [^>]*viewBox="0 0 \d+ \d+"', html)


def test_a_countdown_shows_the_time_left_and_its_date(team):
    make_page(team)
    html = html_of(visitor().get("/p/spring-sale"))
    assert 'data-countdown="' in html
    assert re.search(r'<b data-part="days">[23]</b>', html)
    assert '<script src="/static/js/landing-countdown.js" defer></script>' in html


def test_an_ended_countdown_says_so_and_needs_no_script(team):
    make_page(
        team,
        blocks=[
            {"type": "countdown", "data": {"until": "2020-01-01T10:00:00+00:00", "label": "Sale"}}
        ],
    )
    html = html_of(visitor().get("/p/spring-sale"))
    assert "This offer has ended." in html
    assert "<script" not in html


def test_a_video_is_a_link_never_an_embed(team):
    page = make_page(team)
    video = block_of(page, "video")
    html = html_of(visitor().get("/p/spring-sale"))
    assert "<iframe" not in html
    assert f'href="/p/spring-sale/b/{video["id"]}"' in html
    assert "The new collection" in html


def test_the_consent_box_is_never_ticked_beforehand(team):
    make_page(team)
    html = html_of(visitor().get("/p/spring-sale?consent=1&consent=on"))
    box = re.search(r'<input type="checkbox" name="consent"[^>]*>', html).group(0)
    assert "checked" not in box


# ---------------------------------------------------------------- views


def test_views_count_unique_visitors_and_bots_apart(team):
    page = make_page(team)
    alice, bob = visitor("203.0.113.7"), visitor("198.51.100.9")
    alice.get("/p/spring-sale")
    alice.get("/p/spring-sale")
    bob.get("/p/spring-sale")
    visitor("192.0.2.1", agent=PREVIEW_UA).get("/p/spring-sale")
    views = PageEvent.objects.filter(page=page, kind="view")
    assert views.count() == 4
    assert views.filter(is_unique=True).count() == 2
    assert views.filter(is_bot=True).count() == 1
    assert views.filter(is_bot=True, is_unique=True).count() == 0


def test_head_the_thank_you_state_and_the_preview_are_not_views(team):
    page = make_page(team)
    visitor().head("/p/spring-sale")
    visitor().get(f"/p/spring-sale?sent={block_of(page, 'form')['id']}")
    _preview(page)
    assert PageEvent.objects.count() == 0


def test_two_first_views_at_once_make_one_unique_view(team):
    """The database has not yet seen the first view's row when the second asks:
    Redis's SET NX is the tie-breaker."""
    page = make_page(team)
    request = RequestFactory().get(
        "/p/spring-sale", HTTP_USER_AGENT=PHONE_UA, REMOTE_ADDR="203.0.113.7"
    )
    first = events.record_view(request, page)
    PageEvent.objects.filter(pk=first.pk).delete()  # as if not committed yet
    second = events.record_view(request, page)
    assert first.is_unique is True
    assert second.is_unique is False


def test_a_view_through_a_recipient_link_counts_for_its_campaign(team):
    campaign = Campaign.objects.create(account=team.account, name="Spring", body="x")
    message = make_message(team.account, campaign=campaign)
    page = make_page(team)
    visitor().get(f"/p/spring-sale?r={recipient_token(message.public_id)}")
    view = PageEvent.objects.get(page=page)
    assert view.message_id == message.pk
    assert view.campaign_id == campaign.pk


def test_a_test_send_counts_for_no_campaign(team):
    campaign = Campaign.objects.create(account=team.account, name="Spring", body="x")
    message = make_message(team.account, campaign=campaign, is_test=True)
    page = make_page(team)
    visitor().get(f"/p/spring-sale?r={recipient_token(message.public_id)}")
    view = PageEvent.objects.get(page=page)
    assert view.message_id == message.pk and view.campaign_id is None


def test_the_public_page_takes_a_bounded_number_of_queries(team, django_assert_max_num_queries):
    from contacts.models import Contact

    image = make_image(team.account)
    logo = make_image(team.account, 400, 100)
    contact = Contact.objects.create(account=team.account, phone="+33612345678", first_name="Alice")
    message = make_message(team.account, contact=contact)
    page = make_page(team, blocks=typical_blocks(image), logo=logo)
    client = visitor()
    url = f"/p/spring-sale?r={recipient_token(message.public_id)}"
    # the page with the account and logo, the images, the message and contact,
    # "seen before?", the view's INSERT
    with django_assert_max_num_queries(5):
        response = client.get(url)
    assert response.status_code == 200 and "Hello Alice!" in html_of(response)
    with django_assert_max_num_queries(5):
        client.get(url)
    assert PageEvent.objects.filter(page=page).count() == 2


# ---------------------------------------------------------------- clicks


def test_a_click_is_recorded_and_goes_to_the_stored_target(team):
    page = make_page(team)
    button = block_of(page, "button")
    response = visitor().get(
        f"/p/spring-sale/b/{button['id']}?url=https://evil.example&next=//evil.example"
    )
    assert response.status_code == 302
    assert response["Location"] == "https://shop.example/sale"
    assert response["Cache-Control"] == "no-store"
    assert response["Referrer-Policy"] == "no-referrer"
    click = PageEvent.objects.get(page=page, kind="click")
    assert click.block_id == button["id"] and not click.is_bot


def test_call_sms_directions_and_map_clicks_go_where_they_should(team):
    page = make_page(
        team,
        blocks=[
            {
                "type": "button",
                "data": {"label": "Call", "action": "call", "target": "+33 1 23 45 67 89"},
            },
            {
                "type": "button",
                "data": {"label": "Text", "action": "sms", "target": "06 12 34 56 78"},
            },
            {
                "type": "button",
                "data": {
                    "label": "Go",
                    "action": "directions",
                    "target": "12 rue de Rivoli & co, Paris",
                },
            },
            {"type": "map", "data": {"address": "1 place d'Italie, Paris"}},
        ],
    )
    locations = [
        visitor().get(f"/p/spring-sale/b/{block['id']}")["Location"] for block in page.blocks
    ]
    assert locations[0] == "tel:+33123456789"
    assert locations[1] == "sms:0612345678"
    assert locations[2] == MAPS_SEARCH + "12%20rue%20de%20Rivoli%20%26%20co%2C%20Paris"
    assert parse_qs(urlsplit(locations[3]).query)["query"] == ["1 place d'Italie, Paris"]
    assert PageEvent.objects.filter(page=page, kind="click").count() == 4


def test_a_click_on_a_block_that_does_not_exist_is_a_404_not_a_redirect(team):
    page = make_page(team)
    heading = block_of(page, "heading")
    assert visitor().get("/p/spring-sale/b/deadbeef").status_code == 404
    assert visitor().get(f"/p/spring-sale/b/{heading['id']}").status_code == 404  # not clickable
    assert visitor().get("/p/spring-sale/b/https:evil").status_code == 404
    assert PageEvent.objects.filter(kind="click").count() == 0


def test_a_tampered_target_is_never_followed(team):
    page = make_page(team)
    blocks = page.blocks
    block_of(page, "button")["data"]["target"] = "javascript:alert(1)"
    LandingPage.objects.filter(pk=page.pk).update(blocks=blocks)
    response = visitor().get(f"/p/spring-sale/b/{blocks[2]['id']}")
    assert response.status_code == 404


def test_a_click_on_a_draft_is_a_404(team):
    page = make_page(team, status="draft")
    assert visitor().get(f"/p/spring-sale/b/{block_of(page, 'button')['id']}").status_code == 404


def test_a_bot_s_click_is_stored_as_a_bot_and_head_is_no_click(team):
    page = make_page(team)
    button = block_of(page, "button")
    visitor(agent=PREVIEW_UA).get(f"/p/spring-sale/b/{button['id']}")
    assert visitor().head(f"/p/spring-sale/b/{button['id']}").status_code == 302
    assert list(PageEvent.objects.values_list("is_bot", flat=True)) == [True]


def test_buttons_of_a_personal_page_carry_the_token_to_the_click(team):
    campaign = Campaign.objects.create(account=team.account, name="Spring", body="x")
    message = make_message(team.account, campaign=campaign)
    page = make_page(team)
    token = recipient_token(message.public_id)
    client = visitor()
    html = html_of(client.get(f"/p/spring-sale?r={token}"))
    button = block_of(page, "button")
    href = re.search(rf'href="(/p/spring-sale/b/{button["id"]}[^"]*)"', html).group(1)
    assert parse_qs(urlsplit(href.replace("&amp;", "&")).query)["r"] == [token]
    client.get(href.replace("&amp;", "&"))
    click = PageEvent.objects.get(kind="click")
    assert click.message_id == message.pk and click.campaign_id == campaign.pk


# ---------------------------------------------------------------- the form


def _form_url(page) -> str:
    return f"/p/{page.slug}/f/{block_of(page, 'form')['id']}"


def _csrf_client() -> tuple[Client, str]:
    client = Client(enforce_csrf_checks=True, HTTP_USER_AGENT=PHONE_UA, REMOTE_ADDR="203.0.113.7")
    html = html_of(client.get("/p/spring-sale"))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    return client, token


VALID = {
    "name": "Alice Martin",
    "phone": "06 12 34 56 78",
    "email": "alice@example.com",
    "q_size": "M",
}


def test_a_form_without_its_csrf_token_is_refused(team):
    page = make_page(team)
    client = Client(enforce_csrf_checks=True, HTTP_USER_AGENT=PHONE_UA)
    client.get("/p/spring-sale")  # the cookie, but no token in the POST
    response = client.post(_form_url(page), VALID)
    assert response.status_code == 403
    assert FormSubmission.objects.count() == 0


def test_a_valid_submission_is_stored_and_redirects_to_the_thanks(team):
    page = make_page(team)
    client, token = _csrf_client()
    response = client.post(_form_url(page), {**VALID, "consent": "1", "csrfmiddlewaretoken": token})
    form_id = block_of(page, "form")["id"]
    assert response.status_code == 302
    assert response["Location"] == f"/p/spring-sale?sent={form_id}#b-{form_id}"
    submission = FormSubmission.objects.get(page=page)
    assert submission.data == {
        "name": "Alice Martin",
        "phone": "+33612345678",
        "email": "alice@example.com",
        "size": "M",
    }
    assert submission.consent is True
    assert submission.block_id == form_id
    assert PageEvent.objects.filter(page=page, kind="submit", block_id=form_id).count() == 1
    views_before = PageEvent.objects.filter(kind="view").count()
    thanks = client.get(response["Location"])
    assert "Thank you!" in html_of(thanks)
    assert "<form" not in html_of(thanks)
    assert PageEvent.objects.filter(kind="view").count() == views_before


def test_consent_is_not_required_and_stored_as_given(team):
    page = make_page(team)
    client, token = _csrf_client()
    assert client.post(_form_url(page), {**VALID, "csrfmiddlewaretoken": token}).status_code == 302
    assert FormSubmission.objects.get().consent is False


def test_errors_show_the_page_again_with_what_was_typed(team):
    page = make_page(team)
    client, token = _csrf_client()
    response = client.post(
        _form_url(page),
        {
            "name": "Alice <b>",
            "phone": "12",
            "email": "not-an-email",
            "q_size": "",
            "csrfmiddlewaretoken": token,
        },
    )
    assert response.status_code == 200
    html = html_of(response)
    assert 'value="Alice &lt;b&gt;"' in html
    assert "Enter a valid mobile number" in html
    assert "Enter a valid email address." in html
    assert "This field is required." in html  # the required question
    assert response["Content-Security-Policy"] == PUBLIC_POLICY
    assert FormSubmission.objects.count() == 0


def test_answers_that_are_too_long_are_refused(team):
    page = make_page(team)
    client, token = _csrf_client()
    response = client.post(
        _form_url(page), {**VALID, "name": "x" * 101, "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 200
    assert "at most 100 characters" in html_of(response)
    assert FormSubmission.objects.count() == 0


def test_the_honeypot_is_thanked_and_nothing_is_kept(team):
    page = make_page(team)
    client, token = _csrf_client()
    response = client.post(
        _form_url(page), {**VALID, "website": "https://spam.example", "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    assert FormSubmission.objects.count() == 0
    assert PageEvent.objects.filter(kind="submit").count() == 0


def test_a_visitor_sending_a_form_too_often_gets_a_429(team):
    page = make_page(team)
    client, token = _csrf_client()
    for _ in range(events.FORM_LIMIT):
        assert (
            client.post(_form_url(page), {**VALID, "csrfmiddlewaretoken": token}).status_code == 302
        )
    response = client.post(_form_url(page), {**VALID, "csrfmiddlewaretoken": token})
    assert response.status_code == 429
    assert 'data-testid="form-limited"' in html_of(response)
    assert FormSubmission.objects.count() == events.FORM_LIMIT
    # another visitor is not held back
    other = Client(HTTP_USER_AGENT=PHONE_UA, REMOTE_ADDR="198.51.100.9")
    assert other.post(_form_url(page), VALID).status_code == 302


def test_a_form_of_a_draft_or_an_unknown_block_is_a_404(team):
    page = make_page(team)
    assert visitor().post("/p/spring-sale/f/deadbeef", VALID).status_code == 404
    assert (
        visitor().post(f"/p/spring-sale/f/{block_of(page, 'button')['id']}", VALID).status_code
        == 404
    )
    LandingPage.objects.filter(pk=page.pk).update(status="draft")
    assert visitor().post(_form_url(page), VALID).status_code == 404
    assert visitor().get(_form_url(page)).status_code == 405
    assert FormSubmission.objects.count() == 0


def test_a_submission_through_a_recipient_link_counts_for_its_campaign(team):
    campaign = Campaign.objects.create(account=team.account, name="Spring", body="x")
    message = make_message(team.account, campaign=campaign)
    make_page(team)
    token = recipient_token(message.public_id)
    html = html_of(visitor().get(f"/p/spring-sale?r={token}"))
    action = re.search(r'<form method="post" action="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert parse_qs(urlsplit(action).query)["r"] == [token]
    response = visitor().post(action, VALID)
    assert parse_qs(urlsplit(response["Location"]).query)["r"] == [token]
    submission = FormSubmission.objects.get()
    assert submission.message_id == message.pk and submission.campaign_id == campaign.pk


# ---------------------------------------------------------------- weight


def test_a_typical_page_weighs_well_under_200_kb(team):
    """HTML + CSS + the countdown's script: the image is the rest of the budget (one
    resized photo, < 150 kB)."""
    image = make_image(team.account)
    make_page(team, blocks=typical_blocks(image))
    html = visitor().get("/p/spring-sale").content
    css = (STATIC / "css" / "landing.css").read_bytes()
    js = (STATIC / "js" / "landing-countdown.js").read_bytes()
    text_weight = len(html) + len(css) + len(js)
    assert text_weight < 50_000, text_weight
    linked = re.findall(rb'(?:href|src)="(/static/[^"]+)"', html)
    assert sorted(linked) == [b"/static/css/landing.css", b"/static/js/landing-countdown.js"]
    assert len(re.findall(rb"<img ", html)) == 1
