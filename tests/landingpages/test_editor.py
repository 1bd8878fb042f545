"""The landing pages editor: every screen and action, the htmx fragments, the plan gate,
and the account boundary (outsiders get 404 on every URL)."""

import io
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from landingpages.blocks import MAX_BLOCKS, validate_blocks
from landingpages.models import FormSubmission, LandingPage, PageEvent, PageImage
from landingpages.services import (
    BlockConflict,
    BlockNotFound,
    PageError,
    block_add,
    block_delete,
    block_fingerprint,
    block_move,
    block_update,
    page_create,
)
from landingpages.starters import STARTERS
from smsmode.accounts.models import Account
from smsmode.billing.models import Plan

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def lp(team) -> LandingPage:
    page = page_create(account=team.account, by=team.owner, title="Spring sale", template=None)
    block_add(page=page, block_type="heading")
    block_add(page=page, block_type="text")
    block_add(page=page, block_type="button")
    return page


def _ids(page: LandingPage) -> list[str]:
    page.refresh_from_db()
    return [block["id"] for block in page.blocks]


def _jpeg(size=(1600, 900)) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", size, "orange").save(out, "JPEG")
    return SimpleUploadedFile("photo.jpg", out.getvalue(), content_type="image/jpeg")


def _put_on(team, code: str) -> None:
    Account.objects.filter(pk=team.account.pk).update(plan=Plan.objects.get(code=code))


def _urls(page: LandingPage, image: PageImage) -> list[tuple[str, str]]:
    """Every editor URL of a page, with its method."""
    block_id = page.blocks[0]["id"]
    pid = page.public_id
    return [
        ("get", reverse("landingpages:edit", args=[pid])),
        ("get", reverse("landingpages:preview", args=[pid])),
        ("get", reverse("landingpages:settings", args=[pid])),
        ("post", reverse("landingpages:settings", args=[pid])),
        ("post", reverse("landingpages:publish", args=[pid])),
        ("post", reverse("landingpages:unpublish", args=[pid])),
        ("post", reverse("landingpages:duplicate", args=[pid])),
        ("get", reverse("landingpages:delete", args=[pid])),
        ("post", reverse("landingpages:delete", args=[pid])),
        ("post", reverse("landingpages:block_add", args=[pid])),
        ("post", reverse("landingpages:block_update", args=[pid, block_id])),
        ("post", reverse("landingpages:block_move", args=[pid, block_id])),
        ("post", reverse("landingpages:block_delete", args=[pid, block_id])),
        ("get", reverse("landingpages:image", args=[image.public_id])),
    ]


@pytest.fixture
def image(team) -> PageImage:
    from landingpages.images import image_upload

    return image_upload(account=team.account, uploaded_file=_jpeg())


# ---------------------------------------------------------------- the boundary


@pytest.mark.parametrize("outsider_plan", ["start", "medium"])
def test_outsiders_get_404_on_every_editor_url(outsider_client, team, lp, image, outsider_plan):
    Account.objects.filter(pk=team.outsider_account.pk).update(
        plan=Plan.objects.get(code=outsider_plan)
    )
    before = LandingPage.objects.get(pk=lp.pk)
    for method, url in _urls(lp, image):
        response = getattr(outsider_client, method)(url, {"type": "heading", "direction": "up"})
        assert response.status_code == 404, (method, url, response.status_code)
    after = LandingPage.objects.get(pk=lp.pk)
    assert (after.blocks, after.status, after.title) == (before.blocks, before.status, before.title)
    assert LandingPage.objects.count() == 1


def test_an_outsider_list_shows_only_their_pages(outsider_client, team, lp):
    _put_on_outsider = Account.objects.filter(pk=team.outsider_account.pk)
    _put_on_outsider.update(plan=Plan.objects.get(code="medium"))
    response = outsider_client.get(reverse("landingpages:index"))
    assert response.status_code == 200
    assert b"Spring sale" not in response.content


def test_anonymous_visitors_are_sent_to_log_in(client, lp, image):
    for method, url in _urls(lp, image):
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert "/accounts/login/" in response["Location"]


def test_an_unknown_block_is_a_404(owner_client, lp):
    url = reverse("landingpages:block_update", args=[lp.public_id, "deadbeef"])
    assert owner_client.post(url, {"text": "x"}).status_code == 404


def test_actions_reject_get(owner_client, lp):
    block_id = lp.blocks[0]["id"]
    for name, args in [
        ("publish", [lp.public_id]),
        ("unpublish", [lp.public_id]),
        ("duplicate", [lp.public_id]),
        ("block_add", [lp.public_id]),
        ("block_update", [lp.public_id, block_id]),
        ("block_move", [lp.public_id, block_id]),
        ("block_delete", [lp.public_id, block_id]),
    ]:
        assert owner_client.get(reverse(f"landingpages:{name}", args=args)).status_code == 405


# ---------------------------------------------------------------- the plan


@pytest.mark.parametrize("code", ["start", "classic"])
def test_start_and_classic_see_what_pages_do_and_an_upgrade_button(owner_client, team, code):
    _put_on(team, code)
    response = owner_client.get(reverse("landingpages:index"))
    assert response.status_code == 200
    assert b'data-testid="upgrade-prompt"' in response.content
    assert b"Upgrade your plan" in response.content
    assert reverse("billing:overview").encode() in response.content


@pytest.mark.parametrize("code", ["start", "classic"])
def test_start_and_classic_cannot_use_any_editor_url(owner_client, team, lp, image, code):
    _put_on(team, code)
    for method, url in _urls(lp, image):
        response = getattr(owner_client, method)(url, {"type": "heading"})
        assert response.status_code == 403, url
        assert b'data-testid="upgrade-prompt"' in response.content
    assert owner_client.post(reverse("landingpages:create"), {"title": "X"}).status_code == 403
    assert LandingPage.objects.count() == 1


def test_members_of_a_locked_account_are_told_to_ask_an_owner(member_client, team):
    _put_on(team, "classic")
    response = member_client.get(reverse("landingpages:index"))
    assert b"Ask an owner of this account to upgrade the plan." in response.content


@pytest.mark.parametrize("code", ["medium", "premium"])
def test_medium_and_premium_have_the_editor(owner_client, team, code):
    _put_on(team, code)
    response = owner_client.get(reverse("landingpages:index"))
    assert b'data-testid="upgrade-prompt"' not in response.content
    assert b"New page" in response.content


def test_the_navigation_links_the_tab(owner_client, team):
    content = owner_client.get("/").content.decode()
    assert 'href="/landing-pages/"' in content
    _put_on(team, "start")
    content = owner_client.get("/").content.decode()
    item = content[
        content.index("Landing pages") : content.index("</a>", content.index("Landing pages"))
    ]
    assert "(not in your plan)" in item


# ---------------------------------------------------------------- the list


def test_the_list_is_empty_at_first(owner_client):
    response = owner_client.get(reverse("landingpages:index"))
    assert response.status_code == 200
    assert b'data-testid="empty-state"' in response.content


def test_the_list_shows_pages_with_status_views_and_submissions(owner_client, team, lp):
    for visitor in ("a", "b", "c"):
        PageEvent.objects.create(page=lp, kind="view", visitor=visitor)
    PageEvent.objects.create(page=lp, kind="view", visitor="bot", is_bot=True)
    PageEvent.objects.create(page=lp, kind="click", visitor="a")
    FormSubmission.objects.create(page=lp, block_id="x", visitor="a")
    other = page_create(account=team.account, by=team.owner, title="Autumn", template=None)
    response = owner_client.get(reverse("landingpages:index"))
    content = response.content.decode()
    assert "Spring sale" in content and "Autumn" in content
    assert content.index("Autumn") < content.index("Spring sale")  # newest first
    rows = {page.pk: page for page in response.context["listing"]}
    assert (rows[lp.pk].views, rows[lp.pk].submission_count) == (3, 1)
    assert (rows[other.pk].views, rows[other.pk].submission_count) == (0, 0)


def test_the_list_costs_the_same_queries_for_1_or_20_pages(
    owner_client, team, django_assert_max_num_queries
):
    page = page_create(account=team.account, by=team.owner, title="One", template=None)
    PageEvent.objects.create(page=page, kind="view", visitor="a")
    owner_client.get(reverse("landingpages:index"))  # warm the session
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        owner_client.get(reverse("landingpages:index"))
    for i in range(19):
        extra = page_create(account=team.account, by=team.owner, title=f"P{i}", template=None)
        FormSubmission.objects.create(page=extra, block_id="x", visitor="a")
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = owner_client.get(reverse("landingpages:index"))
    assert len(response.context["listing"]) == 20


# ---------------------------------------------------------------- new page


def test_a_blank_page_is_created(owner_client, team):
    response = owner_client.post(reverse("landingpages:create"), {"title": "Soldes d'été !"})
    page = LandingPage.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("landingpages:edit", args=[page.public_id])
    assert page.blocks == []
    assert page.status == "draft"
    assert not page.indexable
    assert page.created_by == team.owner
    assert page.slug.startswith("soldes-dete-")
    assert len(page.slug) == len("soldes-dete-") + 5


@pytest.mark.parametrize("template", list(STARTERS))
def test_a_page_starts_from_each_starter(owner_client, template):
    owner_client.post(reverse("landingpages:create"), {"title": "T", "template": template})
    page = LandingPage.objects.get()
    assert page.blocks
    assert validate_blocks(page.blocks) == page.blocks


def test_a_french_account_gets_french_starters(owner_client, team):
    Account.objects.filter(pk=team.account.pk).update(language="fr")
    owner_client.post(reverse("landingpages:create"), {"title": "T", "template": "event"})
    page = LandingPage.objects.get()
    assert page.blocks[0]["data"]["text"] == "Vous êtes invité"


def test_the_new_page_form_needs_a_title_and_a_known_starter(owner_client):
    response = owner_client.post(reverse("landingpages:create"), {"title": "", "template": "x"})
    assert response.status_code == 200
    assert response.context["form"].errors.keys() == {"title", "template"}
    assert not LandingPage.objects.exists()


def test_the_new_page_form_shows_the_three_starters(member_client):
    content = member_client.get(reverse("landingpages:create")).content.decode()
    for name in ["blank", *STARTERS]:
        assert f'data-testid="starter-{name}"' in content


def test_slugs_are_unique_even_for_the_same_title(team):
    slugs = {
        page_create(account=team.account, by=None, title="Offer", template=None).slug
        for _ in range(20)
    }
    assert len(slugs) == 20
    assert page_create(account=team.account, by=None, title="!!!", template=None).slug.startswith(
        "page-"
    )


def test_an_unknown_starter_is_refused_by_the_service(team):
    with pytest.raises(PageError):
        page_create(account=team.account, by=None, title="X", template="nope")


# ---------------------------------------------------------------- the editor


def test_the_editor_shows_blocks_the_menu_and_the_preview_frame(member_client, lp):
    response = member_client.get(reverse("landingpages:edit", args=[lp.public_id]))
    assert response.status_code == 200
    content = response.content.decode()
    assert content.count('data-testid="block"') == 3
    assert f'src="{reverse("landingpages:preview", args=[lp.public_id])}"' in content
    assert "css/landing-editor.css" in content and "js/landing-editor.js" in content
    for kind in ["heading", "text", "button", "coupon", "countdown", "map", "video", "form"]:
        assert f'data-testid="add-{kind}"' in content
    assert 'data-testid="add-image-form"' in content
    assert "<script>" not in content and " style=" not in content


def test_the_preview_renders_a_draft_and_may_be_framed_by_us(owner_client, lp):
    response = owner_client.get(reverse("landingpages:preview", args=[lp.public_id]))
    assert response.status_code == 200
    assert b"Spring sale" in response.content or b"Your heading" in response.content
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in response["Content-Security-Policy"]
    assert "no-store" in response.get("Cache-Control", "") or "no-cache" in response.get(
        "Cache-Control", ""
    )
    assert not PageEvent.objects.exists()  # the preview records nothing


# ---------------------------------------------------------------- blocks: add


@pytest.mark.parametrize(
    "kind", ["heading", "text", "button", "coupon", "countdown", "map", "video", "form"]
)
def test_each_block_type_is_added_with_valid_content(member_client, lp, kind):
    url = reverse("landingpages:block_add", args=[lp.public_id])
    response = member_client.post(url, {"type": kind}, headers=HTMX)
    assert response.status_code == 200
    assert response["HX-Trigger"] == "landingChanged"
    content = response.content.decode()
    assert content.startswith('\n<div id="block-list"') or 'id="block-list"' in content[:200]
    assert "<html" not in content  # a fragment
    lp.refresh_from_db()
    assert [b["type"] for b in lp.blocks][-1] == kind
    assert content.count('data-testid="block"') == 4
    assert "data-just-added" in content


def test_adding_without_htmx_goes_back_to_the_editor(owner_client, lp):
    url = reverse("landingpages:block_add", args=[lp.public_id])
    response = owner_client.post(url, {"type": "coupon"})
    assert response.status_code == 302
    assert response["Location"] == reverse("landingpages:edit", args=[lp.public_id])


def test_an_unknown_block_type_is_refused(owner_client, lp):
    url = reverse("landingpages:block_add", args=[lp.public_id])
    response = owner_client.post(url, {"type": "marquee"}, headers=HTMX)
    assert response.status_code == 200
    assert "HX-Trigger" not in response
    assert b'data-testid="block-list-error"' in response.content
    assert len(_ids(lp)) == 3


def test_a_page_holds_at_most_max_blocks(owner_client, team):
    page = page_create(account=team.account, by=None, title="Full", template=None)
    for _ in range(MAX_BLOCKS):
        block_add(page=page, block_type="heading")
    url = reverse("landingpages:block_add", args=[page.public_id])
    response = owner_client.post(url, {"type": "heading"}, headers=HTMX)
    assert f"at most {MAX_BLOCKS} blocks".encode() in response.content
    assert len(_ids(page)) == MAX_BLOCKS


def test_an_image_block_is_added_with_its_upload(owner_client, lp):
    url = reverse("landingpages:block_add", args=[lp.public_id])
    response = owner_client.post(
        url, {"type": "image", "file": _jpeg(), "alt": "Our shop"}, headers=HTMX
    )
    assert response["HX-Trigger"] == "landingChanged"
    lp.refresh_from_db()
    block = lp.blocks[-1]
    image = PageImage.objects.get()
    assert block["type"] == "image"
    assert block["data"] == {"image": str(image.public_id), "alt": "Our shop"}
    assert image.width == 1200
    assert reverse("landingpages:image", args=[image.public_id]).encode() in response.content


def test_a_refused_image_adds_nothing_and_says_why(owner_client, lp):
    url = reverse("landingpages:block_add", args=[lp.public_id])
    php = SimpleUploadedFile("shell.jpg", b"<?php echo 1; ?>", content_type="image/jpeg")
    response = owner_client.post(url, {"type": "image", "file": php}, headers=HTMX)
    assert b"JPEG, PNG, WebP or GIF" in response.content
    assert "HX-Trigger" not in response
    assert len(_ids(lp)) == 3
    assert not PageImage.objects.exists()


# ---------------------------------------------------------------- blocks: edit


def _update(client, page, block, data, **headers):
    url = reverse("landingpages:block_update", args=[page.public_id, block["id"]])
    return client.post(url, {"base": block_fingerprint(block["data"]), **data}, headers=headers)


def test_a_block_is_saved_and_only_its_card_comes_back(member_client, lp):
    heading = lp.blocks[0]
    response = _update(member_client, lp, heading, {"text": "Big news", "level": "1"}, **HTMX)
    assert response.status_code == 200
    assert response["HX-Trigger"] == "landingChanged"
    content = response.content.decode()
    assert f'id="block-{heading["id"]}"' in content
    assert content.count('data-testid="block"') == 1
    assert 'data-testid="block-saved"' in content
    lp.refresh_from_db()
    assert lp.blocks[0]["data"] == {"text": "Big news", "level": 1}


def test_field_errors_come_back_next_to_the_field(owner_client, lp):
    button = lp.blocks[2]
    response = _update(
        owner_client,
        lp,
        button,
        {"label": "Go", "action": "link", "target": "javascript:alert(1)"},
        **HTMX,
    )
    assert response.status_code == 200
    assert "HX-Trigger" not in response
    assert b"http:// or https://" in response.content
    assert b"invalid-feedback" in response.content
    lp.refresh_from_db()
    assert lp.blocks[2] == button


def test_a_phone_button_needs_a_number(owner_client, lp):
    button = lp.blocks[2]
    response = _update(
        owner_client, lp, button, {"label": "Call", "action": "call", "target": "soon"}, **HTMX
    )
    assert b"phone number" in response.content
    response = _update(
        owner_client,
        lp,
        button,
        {"label": "Call", "action": "call", "target": "+33 1 23 45 67 89"},
        **HTMX,
    )
    lp.refresh_from_db()
    assert lp.blocks[2]["data"]["target"] == "+33 1 23 45 67 89"


def test_rich_text_is_sanitised_on_save(owner_client, lp):
    text = lp.blocks[1]
    payload = (
        '<p onclick="x">Hi <strong>you</strong><script>alert(1)</script>'
        '<img src=x onerror=alert(1)></p><a href="javascript:alert(1)">x</a>'
    )
    _update(owner_client, lp, text, {"html": payload}, **HTMX)
    lp.refresh_from_db()
    html = lp.blocks[1]["data"]["html"]
    assert html.startswith("<p>Hi <strong>you</strong>")
    for bad in ["script", "onerror", "onclick", "javascript", "<img"]:
        assert bad not in html


def test_plain_text_lines_become_paragraphs(owner_client, lp):
    _update(owner_client, lp, lp.blocks[1], {"html": "First line\nsecond\n\nNew paragraph"})
    lp.refresh_from_db()
    assert lp.blocks[1]["data"]["html"] == "<p>First line<br>second</p><p>New paragraph</p>"


def test_each_block_type_saves_through_its_form(owner_client, team):
    page = page_create(account=team.account, by=None, title="All", template=None)
    posted = {
        "coupon": {"code": "SAVE5", "note": "Today", "barcode": "qr"},
        "countdown": {"until": "2030-06-01T18:30", "label": "Opening in"},
        "map": {"address": "12 rue Victor Hugo, Lyon"},
        "video": {"url": "https://video.example/watch?v=1", "title": "Tour"},
        "form": {
            "title": "Register",
            "ask_name": "on",
            "ask_email": "on",
            "consent_text": "OK to contact me",
            "submit_label": "Go",
            "thanks": "Thanks",
            "q0_label": "Your size?",
            "q0_required": "on",
            "q1_label": "Name of a friend",
        },
    }
    for kind, data in posted.items():
        block = block_add(page=page, block_type=kind)
        response = _update(owner_client, page, block, data, **HTMX)
        assert "HX-Trigger" in response, (kind, response.content.decode()[:2000])
    page.refresh_from_db()
    saved = {b["type"]: b["data"] for b in page.blocks}
    assert saved["coupon"] == {"code": "SAVE5", "note": "Today", "barcode": "qr"}
    assert saved["countdown"]["until"].startswith("2030-06-01T18:30:00+02:00")  # Paris, summer
    assert saved["map"]["address"] == "12 rue Victor Hugo, Lyon"
    assert saved["form"]["ask_phone"] is False
    assert saved["form"]["questions"] == [
        {"key": "your_size", "label": "Your size?", "required": True},
        {"key": "name_of_a_friend", "label": "Name of a friend", "required": False},
    ]


def test_form_question_keys_stay_when_their_label_changes(owner_client, team):
    page = page_create(account=team.account, by=None, title="F", template="event")
    form_block = next(b for b in page.blocks if b["type"] == "form")
    data = {
        **{k: v for k, v in form_block["data"].items() if k != "questions"},
        "ask_name": "on",
        "q0_label": "How many people?",
        "q0_key": "guests",
    }
    data = {k: v for k, v in data.items() if v is not False}
    _update(owner_client, page, form_block, data)
    page.refresh_from_db()
    saved = next(b for b in page.blocks if b["type"] == "form")["data"]
    assert saved["questions"] == [{"key": "guests", "label": "How many people?", "required": False}]


def test_an_image_block_gets_a_new_image_and_a_description(owner_client, lp, image):
    block = block_add(page=lp, block_type="image", data={"image": str(image.public_id)})
    url = reverse("landingpages:block_update", args=[lp.public_id, block["id"]])
    owner_client.post(url, {"alt": "Front", "file": _jpeg((400, 300))}, headers=HTMX)
    lp.refresh_from_db()
    data = lp.blocks[-1]["data"]
    assert data["alt"] == "Front"
    assert data["image"] != str(image.public_id)
    assert PageImage.objects.get(public_id=data["image"]).width == 400


def test_an_image_of_another_account_cannot_be_used(team, lp):
    from landingpages.images import image_upload

    theirs = image_upload(account=team.outsider_account, uploaded_file=_jpeg())
    with pytest.raises(PageError):
        block_add(page=lp, block_type="image", data={"image": str(theirs.public_id)})
    with pytest.raises(PageError):
        block_add(page=lp, block_type="image", data={"image": "not-a-uuid"})
    assert len(_ids(lp)) == 3


# ---------------------------------------------------------------- two tabs


def test_two_tabs_keep_each_others_changes(team, lp):
    tab_a = LandingPage.objects.get(pk=lp.pk)
    tab_b = LandingPage.objects.get(pk=lp.pk)
    added = block_add(page=tab_b, block_type="coupon")
    # Tab A has not seen the coupon; it edits the heading, then moves the button up.
    block_update(
        page=tab_a,
        block_id=tab_a.blocks[0]["id"],
        data={"text": "From A", "level": 1},
        base=block_fingerprint(tab_a.blocks[0]["data"]),
    )
    block_move(page=tab_a, block_id=lp.blocks[2]["id"], direction="up")
    lp.refresh_from_db()
    assert [b["type"] for b in lp.blocks] == ["heading", "button", "text", "coupon"]
    assert lp.blocks[0]["data"]["text"] == "From A"
    assert lp.blocks[3]["id"] == added["id"]


def test_a_block_changed_in_another_tab_is_not_overwritten(owner_client, team, lp):
    heading = lp.blocks[0]
    stale_base = block_fingerprint(heading["data"])
    block_update(page=lp, block_id=heading["id"], data={"text": "Other tab", "level": 2})
    with pytest.raises(BlockConflict):
        block_update(page=lp, block_id=heading["id"], data={"text": "Mine"}, base=stale_base)
    url = reverse("landingpages:block_update", args=[lp.public_id, heading["id"]])
    response = owner_client.post(
        url, {"base": stale_base, "text": "Mine", "level": "1"}, headers=HTMX
    )
    assert b"changed in another tab" in response.content
    assert b"Other tab" in response.content  # the current version is shown
    assert "HX-Trigger" not in response
    lp.refresh_from_db()
    assert lp.blocks[0]["data"]["text"] == "Other tab"


def test_a_block_deleted_in_another_tab_says_so(lp):
    heading = lp.blocks[0]
    stale = LandingPage.objects.get(pk=lp.pk)
    block_delete(page=lp, block_id=heading["id"])
    with pytest.raises(BlockNotFound):
        block_update(page=stale, block_id=heading["id"], data={"text": "x"})
    with pytest.raises(BlockNotFound):
        block_move(page=stale, block_id=heading["id"], direction="up")
    with pytest.raises(BlockNotFound):
        block_delete(page=stale, block_id=heading["id"])
    assert len(_ids(lp)) == 2


def test_the_view_swaps_the_list_when_the_block_is_gone(owner_client, lp, monkeypatch):
    heading = lp.blocks[0]
    from landingpages import services

    real = services._write_blocks

    def delete_first(page, change):  # another tab deletes the block just before
        LandingPage.objects.filter(pk=page.pk).update(blocks=page.blocks[1:])
        return real(page, change)

    monkeypatch.setattr(services, "_write_blocks", delete_first)
    response = _update(owner_client, lp, heading, {"text": "x", "level": "1"}, **HTMX)
    assert response["HX-Retarget"] == "#block-list"
    assert b"no longer on the page" in response.content
    assert response.content.decode().count('data-testid="block"') == 2


# ---------------------------------------------------------------- blocks: move, delete


def test_blocks_move_up_and_down(member_client, lp):
    first, second, third = _ids(lp)
    url = reverse("landingpages:block_move", args=[lp.public_id, third])
    response = member_client.post(url, {"direction": "up"}, headers=HTMX)
    assert response["HX-Trigger"] == "landingChanged"
    assert _ids(lp) == [first, third, second]
    member_client.post(
        reverse("landingpages:block_move", args=[lp.public_id, first]),
        {"direction": "down"},
        headers=HTMX,
    )
    assert _ids(lp) == [third, first, second]
    # Past either end: nothing moves.
    member_client.post(
        reverse("landingpages:block_move", args=[lp.public_id, third]), {"direction": "up"}
    )
    assert _ids(lp) == [third, first, second]


def test_a_block_moves_to_a_position_when_dragged(owner_client, lp):
    first, second, third = _ids(lp)
    url = reverse("landingpages:block_move", args=[lp.public_id, first])
    response = owner_client.post(url, {"to": "2"}, headers=HTMX)
    assert _ids(lp) == [second, third, first]
    content = response.content.decode()
    assert content.index(f'id="block-{second}"') < content.index(f'id="block-{first}"')
    owner_client.post(url, {"to": "-5"}, headers=HTMX)
    assert _ids(lp) == [first, second, third]


def test_a_move_without_a_place_changes_nothing(owner_client, lp):
    before = _ids(lp)
    url = reverse("landingpages:block_move", args=[lp.public_id, before[0]])
    response = owner_client.post(url, {"to": "soon"}, headers=HTMX)
    assert b'data-testid="block-list-error"' in response.content
    assert _ids(lp) == before


def test_a_block_is_deleted(member_client, lp):
    first, second, third = _ids(lp)
    url = reverse("landingpages:block_delete", args=[lp.public_id, second])
    response = member_client.post(url, headers=HTMX)
    assert response["HX-Trigger"] == "landingChanged"
    assert _ids(lp) == [first, third]
    assert response.content.decode().count('data-testid="block"') == 2
    assert b"hx-confirm" in response.content  # the next delete asks first, too
    again = member_client.post(url, headers=HTMX)
    assert b"no longer on the page" in again.content


# ---------------------------------------------------------------- settings


def _settings(client, page, **changes):
    data = {
        "title": page.title,
        "slug": page.slug,
        "palette": page.palette,
        **changes,
    }
    return client.post(reverse("landingpages:settings", args=[page.public_id]), data)


def test_the_settings_are_saved(member_client, lp):
    assert (
        member_client.get(reverse("landingpages:settings", args=[lp.public_id])).status_code == 200
    )
    response = _settings(
        member_client, lp, title="Summer", slug="summer-2026", palette="forest", indexable="on"
    )
    assert response.status_code == 302
    lp.refresh_from_db()
    assert (lp.title, lp.slug, lp.palette, lp.indexable) == (
        "Summer",
        "summer-2026",
        "forest",
        True,
    )


def test_search_engines_are_off_unless_ticked(owner_client, lp):
    LandingPage.objects.filter(pk=lp.pk).update(indexable=True)
    _settings(owner_client, lp)
    lp.refresh_from_db()
    assert lp.indexable is False


@pytest.mark.parametrize("slug", ["UPPER case", "a", "with/slash", "x" * 61, "<script>", "évé"])
def test_a_bad_slug_is_refused(owner_client, lp, slug):
    response = _settings(owner_client, lp, slug=slug)
    assert response.status_code == 200
    assert "slug" in response.context["form"].errors
    lp.refresh_from_db()
    assert lp.slug.startswith("spring-sale-")


def test_a_taken_slug_is_refused_even_from_another_account(owner_client, team, lp):
    theirs = page_create(account=team.outsider_account, by=None, title="Theirs", template=None)
    response = _settings(owner_client, lp, slug=theirs.slug)
    assert b"already taken" in response.content
    lp.refresh_from_db()
    assert lp.slug != theirs.slug


def test_an_unknown_palette_is_refused(owner_client, lp):
    response = _settings(owner_client, lp, palette="neon")
    assert "palette" in response.context["form"].errors


def test_a_logo_is_uploaded_and_removed(owner_client, lp):
    response = owner_client.post(
        reverse("landingpages:settings", args=[lp.public_id]),
        {"title": lp.title, "slug": lp.slug, "palette": lp.palette, "logo_file": _jpeg()},
    )
    assert response.status_code == 302
    lp.refresh_from_db()
    assert lp.logo is not None and lp.logo.account_id == lp.account_id
    page = owner_client.get(reverse("landingpages:settings", args=[lp.public_id]))
    assert b'data-testid="current-logo"' in page.content
    _settings(owner_client, lp, remove_logo="on")
    lp.refresh_from_db()
    assert lp.logo is None


def test_a_bad_logo_is_refused(owner_client, lp):
    response = owner_client.post(
        reverse("landingpages:settings", args=[lp.public_id]),
        {
            "title": "Changed",
            "slug": lp.slug,
            "palette": lp.palette,
            "logo_file": SimpleUploadedFile("logo.png", b"GIF89a not really"),
        },
    )
    assert response.status_code == 200
    assert b"JPEG, PNG, WebP or GIF" in response.content
    lp.refresh_from_db()
    assert lp.title == "Spring sale"
    assert lp.logo is None


# ---------------------------------------------------------------- publish and friends


def test_a_page_is_published_and_unpublished(member_client, lp):
    response = member_client.post(reverse("landingpages:publish", args=[lp.public_id]))
    assert response.status_code == 302
    lp.refresh_from_db()
    assert lp.status == "published" and lp.published_at is not None
    editor = member_client.get(reverse("landingpages:edit", args=[lp.public_id])).content
    assert b'data-testid="page-unpublish"' in editor
    assert f"/p/{lp.slug}".encode() in editor
    member_client.post(reverse("landingpages:unpublish", args=[lp.public_id]))
    lp.refresh_from_db()
    assert lp.status == "draft"


def test_an_empty_page_cannot_be_published(owner_client, team):
    page = page_create(account=team.account, by=None, title="Empty", template=None)
    response = owner_client.post(
        reverse("landingpages:publish", args=[page.public_id]), follow=True
    )
    assert b"Add at least one block" in response.content
    page.refresh_from_db()
    assert page.status == "draft"


def test_a_page_is_duplicated_as_a_draft_with_its_own_address(owner_client, team, lp):
    LandingPage.objects.filter(pk=lp.pk).update(status="published", palette="berry")
    FormSubmission.objects.create(page=lp, block_id="x", visitor="a")
    response = owner_client.post(reverse("landingpages:duplicate", args=[lp.public_id]))
    copy = LandingPage.objects.exclude(pk=lp.pk).get()
    assert response["Location"] == reverse("landingpages:edit", args=[copy.public_id])
    lp.refresh_from_db()
    assert copy.title == "Spring sale (copy)"
    assert copy.blocks == lp.blocks
    assert copy.status == "draft" and copy.palette == "berry"
    assert copy.slug != lp.slug
    assert copy.account == team.account and copy.created_by == team.owner
    assert not copy.submissions.exists()


def test_a_page_is_deleted_after_a_confirmation(member_client, lp):
    FormSubmission.objects.create(page=lp, block_id="x", visitor="a")
    FormSubmission.objects.create(page=lp, block_id="x", visitor="b")
    confirm = member_client.get(reverse("landingpages:delete", args=[lp.public_id]))
    assert confirm.status_code == 200
    assert b"2 form submissions will be deleted" in confirm.content
    assert b"no longer available" in confirm.content
    assert LandingPage.objects.filter(pk=lp.pk).exists()
    response = member_client.post(reverse("landingpages:delete", args=[lp.public_id]))
    assert response["Location"] == reverse("landingpages:index")
    assert not LandingPage.objects.filter(pk=lp.pk).exists()
    assert not FormSubmission.objects.exists()


def test_an_image_is_served_to_its_account(owner_client, image):
    response = owner_client.get(reverse("landingpages:image", args=[image.public_id]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"
    missing = reverse("landingpages:image", args=[uuid.uuid4()])
    assert owner_client.get(missing).status_code == 404


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_block_writes_lose_nothing(team):
    """Two "tabs" (threads, each with its own connection) add blocks at once: the row
    lock serialises them, so every block arrives. PostgreSQL only (SQLite's test
    database is one connection)."""
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("needs a database with row locks and several connections")
    page = page_create(account=team.account, by=None, title="Busy", template=None)
    errors: list[Exception] = []

    def tab(kind: str) -> None:
        try:
            mine = LandingPage.objects.get(pk=page.pk)  # each tab's own, soon stale copy
            for _ in range(10):
                block_add(page=mine, block_type=kind)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=tab, args=(kind,)) for kind in ("heading", "coupon")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    page.refresh_from_db()
    kinds = [b["type"] for b in page.blocks]
    assert kinds.count("heading") == 10 and kinds.count("coupon") == 10


def test_staff_see_pages_in_admin_and_can_unpublish_them(client, team, lp):
    from smsmode.accounts.models import User

    staff = User.objects.create_superuser(email="staff@platform.test", password="x")
    client.force_login(staff)
    LandingPage.objects.filter(pk=lp.pk).update(status="published")
    assert client.get("/admin/landingpages/landingpage/").status_code == 200
    assert client.get(f"/admin/landingpages/landingpage/{lp.pk}/change/").status_code == 200
    assert client.get("/admin/landingpages/pageimage/").status_code == 200
    client.post(
        "/admin/landingpages/landingpage/", {"action": "unpublish", "_selected_action": [lp.pk]}
    )
    lp.refresh_from_db()
    assert lp.status == "draft"


def test_a_french_account_gets_french_content(owner_client, team):
    Account.objects.filter(pk=team.account.pk).update(language="fr")
    team.account.refresh_from_db()
    page = page_create(account=team.account, by=None, title="Soldes", template=None)
    owner_client.post(reverse("landingpages:block_add", args=[page.public_id]), {"type": "heading"})
    page.refresh_from_db()
    assert page.blocks[0]["data"]["text"] == "Votre titre"
    owner_client.post(reverse("landingpages:duplicate", args=[page.public_id]))
    assert LandingPage.objects.exclude(pk=page.pk).get().title == "Soldes (copie)"


def test_a_once_public_address_cannot_be_taken_by_another_account(team):
    from landingpages.models import LandingPage, RetiredSlug, slug_taken
    from landingpages.services import page_delete

    page = LandingPage.objects.create(
        account=team.account,
        title="Sale",
        slug="sale-abc",
        blocks=[],
        status="published",
        published_at=timezone.now(),
    )
    page_delete(page=page)
    assert RetiredSlug.objects.filter(slug="sale-abc").exists()
    assert slug_taken("sale-abc", account_id=team.outsider_account.pk)
    assert not slug_taken("sale-abc", account_id=team.account.pk)  # its own account may
