"""The landing page editor in a browser: create a page, add blocks, edit one, reorder
(arrows and dragging), see the preview follow, publish."""

import io
import re
import time

import pytest
from playwright.sync_api import expect

from landingpages.models import LandingPage
from smsmode.accounts.models import Account
from smsmode.accounts.services import account_create
from smsmode.billing.models import Plan
from tests.conftest import make_user
from tests.e2e.conftest import screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _jpeg() -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (1600, 900), (250, 220, 180))
    ImageDraw.Draw(image).rectangle((200, 200, 1400, 700), fill=(180, 90, 40))
    out = io.BytesIO()
    image.save(out, "JPEG")
    return out.getvalue()


def _login(page, email: str) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", "correct horse battery")
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/$"))


def _types(page) -> list[str]:
    return page.locator("#block-list [data-testid=block]").evaluate_all(
        "cards => cards.map(card => card.dataset.type)"
    )


def _preview_text(page) -> str:
    return page.frame_locator("#landing-preview").locator("body").inner_text()


def _wait_for_preview(page, text: str) -> None:
    frame = page.frame_locator("#landing-preview")
    frame.locator("body").get_by_text(text, exact=False).first.wait_for()


def _preview_order(page, first: str, second: str, timeout: float = 10) -> None:
    """Wait until the preview shows `first` above `second` (polled: the page's CSP
    forbids wait_for_function's string predicates)."""
    deadline = time.monotonic() + timeout
    body = ""
    while time.monotonic() < deadline:
        try:
            body = page.frame_locator("#landing-preview").locator("body").inner_text(timeout=2000)
        except Exception:
            body = ""  # the frame is reloading
        if first in body and second in body and body.index(first) < body.index(second):
            return
        time.sleep(0.1)
    raise AssertionError(f"the preview shows {body!r}")


def test_a_marketer_builds_reorders_and_publishes_a_page(page):
    owner = make_user("owner@bakery.test")
    account = account_create(name="Bakery", owner=owner, language="en")
    Account.objects.filter(pk=account.pk).update(plan=Plan.objects.get(code="medium"))
    _login(page, "owner@bakery.test")

    page.get_by_role("link", name="Landing pages").click()
    page.wait_for_url(re.compile(r".*/landing-pages/$"))
    screenshot(page, "60-landing-list-empty")
    page.get_by_test_id("first-page").click()
    page.fill("input[name=title]", "Croissant week")
    screenshot(page, "61-landing-new")
    page.get_by_test_id("page-create").click()
    page.wait_for_url(re.compile(r".*/landing-pages/[0-9a-f-]{36}/$"))
    assert page.get_by_test_id("no-blocks").is_visible()

    # Three blocks, each through htmx (no reload: the marker stays on the window).
    page.evaluate("window.__noReload = true")
    for kind in ["heading", "text", "button"]:
        count = page.locator("#block-list [data-testid=block]").count()
        page.get_by_test_id(f"add-{kind}").click()
        expect(page.locator("#block-list [data-testid=block]")).to_have_count(count + 1)
    assert _types(page) == ["heading", "text", "button"]
    assert page.evaluate("window.__noReload") is True
    _wait_for_preview(page, "Find out more")

    # Edit the heading: the preview follows.
    heading = page.locator("#block-list [data-type=heading]")
    if not heading.locator("details").evaluate("d => d.open"):
        heading.get_by_test_id("block-edit").click()
    heading.locator("input[name=text]").fill("Fresh croissants, all week")
    heading.get_by_test_id("block-save").click()
    page.locator("#block-list [data-type=heading] [data-testid=block-saved]").wait_for()
    _wait_for_preview(page, "Fresh croissants, all week")

    # The text block's toolbar makes bold text.
    text = page.locator("#block-list [data-type=text]")
    if not text.locator("details").evaluate("d => d.open"):
        text.get_by_test_id("block-edit").click()
    area = text.locator("textarea[name=html]")
    area.fill("Butter and love")
    area.evaluate("a => a.setSelectionRange(0, 6)")
    text.locator("[data-wrap=strong]").click()
    assert area.input_value() == "<strong>Butter</strong> and love"
    text.get_by_test_id("block-save").click()
    page.locator("#block-list [data-type=text] [data-testid=block-saved]").wait_for()
    _wait_for_preview(page, "Butter and love")
    screenshot(page, "62-landing-editor-three-blocks")

    # Reorder with the arrows: the button goes to the top.
    first = page.locator("#block-list [data-testid=block]").first
    page.locator("#block-list [data-type=button] [data-testid=block-up]").click()
    expect(page.locator("#block-list [data-testid=block]").nth(1)).to_have_attribute(
        "data-type", "button"
    )
    page.locator("#block-list [data-type=button] [data-testid=block-up]").click()
    expect(first).to_have_attribute("data-type", "button")
    assert _types(page) == ["button", "heading", "text"]
    _preview_order(page, "Find out more", "Fresh croissants")

    # Fold the blocks, then drag the text block to the top.
    opened = page.locator("#block-list details[open] > summary")
    while opened.count():
        opened.first.click()
    expect(page.locator("#block-list details[open]")).to_have_count(0)
    page.get_by_test_id("block-list").scroll_into_view_if_needed()
    screenshot(page, "63-landing-editor-folded")
    handle = page.locator("#block-list [data-type=text] .drag-handle")
    target = page.locator("#block-list [data-testid=block]").first
    with page.expect_response(lambda r: "/move/" in r.url and r.status == 200):
        handle.drag_to(target, target_position={"x": 40, "y": 8})
    expect(page.locator("#block-list [data-testid=block]").first).to_have_attribute(
        "data-type", "text"
    )
    assert _types(page) == ["text", "button", "heading"]
    saved = LandingPage.objects.get()
    assert [b["type"] for b in saved.blocks] == ["text", "button", "heading"]
    _preview_order(page, "Butter", "Find out more")
    screenshot(page, "64-landing-editor-reordered")

    # Delete a block, after the confirmation.
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#block-list [data-type=heading] [data-testid=block-delete]").click()
    expect(page.locator("#block-list [data-testid=block]")).to_have_count(2)
    assert page.evaluate("window.__noReload") is True

    # An image, uploaded through the menu; then a form with a question of its own.
    page.get_by_test_id("add-image").click()
    form = page.get_by_test_id("add-image-form")
    form.locator("input[type=file]").set_input_files(
        {"name": "shop.jpg", "mimeType": "image/jpeg", "buffer": _jpeg()}
    )
    form.locator("input[name=alt]").fill("Our shop window")
    form.get_by_test_id("add-image-submit").click()
    expect(page.locator("#block-list [data-testid=block]")).to_have_count(3)
    expect(page.locator("#block-list [data-type=image] img.block-thumb")).to_be_visible()
    expect(form).to_be_hidden()  # the upload form folds away
    page.get_by_test_id("add-form").click()
    expect(page.locator("#block-list [data-testid=block]")).to_have_count(4)
    expect(page.locator("#block-list details[open]")).to_have_count(1)  # only the new one
    form_block = page.locator("#block-list [data-type=form]")
    form_block.locator("input[name=q0_label]").fill("Your favourite pastry?")
    form_block.get_by_test_id("block-save").click()
    form_block = page.locator("#block-list [data-type=form]")
    form_block.get_by_test_id("block-saved").wait_for()
    _preview_order(page, "Butter", "Your favourite pastry?")
    screenshot(page, "65-landing-editor-image-and-form")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "66-landing-editor-phone")
    page.set_viewport_size({"width": 1280, "height": 800})

    # Settings, then publish.
    page.get_by_test_id("page-settings").click()
    page.locator("label[for=id_palette_3]").click()  # sunset
    screenshot(page, "67-landing-settings")
    page.get_by_test_id("settings-save").click()
    page.wait_for_url(re.compile(r".*/landing-pages/[0-9a-f-]{36}/$"))
    page.get_by_test_id("page-publish").click()
    page.wait_for_url(re.compile(r".*/landing-pages/[0-9a-f-]{36}/$"))
    assert page.get_by_test_id("page-status").get_attribute("data-status") == "published"
    saved.refresh_from_db()
    assert saved.status == "published" and saved.palette == "sunset"

    page.goto("/landing-pages/")
    screenshot(page, "68-landing-list")
    assert "Croissant week" in page.get_by_test_id("pages-table").inner_text()
    assert not page.csp_violations, page.csp_violations
