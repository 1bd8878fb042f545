"""Issue #8, end to end: a marketer builds a landing page with a form, a campaign links
to it, a recipient opens her own short link on her phone (greeted by name), sends the
form, and the owner sees the view, the submission and the click, campaign by campaign.

The page's address must be one a short link may lead to: `validate_target_url` refuses
loopback hosts, so a link to the live server's http://localhost:<port>/p/<slug> would
go out as written (no short link, no recipient token). SITE_ROOT is therefore a public
looking name, shop.example, on the live server's port; the phone's browser resolves it
to the live server (Chromium's --host-resolver-rules).
"""

import re
import time
from urllib.parse import urlsplit

import django_rq
import pytest
from playwright.sync_api import expect

from campaigns.models import Campaign, Message
from contacts.models import Contact, ContactList, Membership
from landingpages.models import FormSubmission, LandingPage, PageEvent
from shortener.clicks import clicks_flush
from shortener.models import ShortLink
from smsmode.accounts.models import Account
from smsmode.accounts.services import account_create
from smsmode.billing.models import Plan
from tests.campaigns.conftest import run_jobs
from tests.conftest import make_user
from tests.e2e.conftest import CHROMIUM, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

HOST = "shop.example"
IPHONE_SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


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


def _expect_types(page, wanted: list[str], timeout: float = 10) -> None:
    """Wait until the block list shows `wanted` (polled: htmx swaps the list)."""
    deadline = time.monotonic() + timeout
    types: list[str] = []
    while time.monotonic() < deadline:
        try:
            types = _types(page)
        except Exception:
            types = []  # the list is being swapped
        if types == wanted:
            return
        time.sleep(0.1)
    raise AssertionError(f"the block list is {types!r}, not {wanted!r}")


def _preview_order(page, *texts: str, timeout: float = 10) -> None:
    """Wait until the preview shows `texts` in this order (polled: the page's CSP
    forbids wait_for_function's string predicates)."""
    deadline = time.monotonic() + timeout
    body = ""
    while time.monotonic() < deadline:
        try:
            body = page.frame_locator("#landing-preview").locator("body").inner_text(timeout=2000)
        except Exception:
            body = ""  # the frame is reloading
        if all(text in body for text in texts) and [body.index(t) for t in texts] == sorted(
            body.index(t) for t in texts
        ):
            return
        time.sleep(0.1)
    raise AssertionError(f"the preview shows {body!r}")


def _open_block(page, kind: str):
    block = page.locator(f"#block-list [data-type={kind}]")
    if not block.locator("details").evaluate("d => d.open"):
        block.get_by_test_id("block-edit").click()
    return block


def _save_block(page, kind: str) -> None:
    page.locator(f"#block-list [data-type={kind}]").get_by_test_id("block-save").click()
    page.locator(f"#block-list [data-type={kind}] [data-testid=block-saved]").wait_for()


def _move(page, kind: str, direction: str, expected: list[str]) -> None:
    page.locator(f"#block-list [data-type={kind}] [data-testid=block-{direction}]").click()
    _expect_types(page, expected)


def test_a_recipient_opens_her_page_from_the_sms_and_the_owner_sees_her_visit(
    page, browser, live_server, settings
):
    settings.SMS_GATEWAY = "sandbox"
    settings.SMS_SANDBOX_REPORT_DELAY = 0
    settings.SMS_SUBMIT_PER_SECOND = 0
    port = urlsplit(live_server.url).port
    site_root = f"http://{HOST}:{port}"
    settings.SITE_ROOT = site_root
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, HOST]
    connection = django_rq.get_connection("default")
    connection.flushdb()  # this test worker's own Redis database
    try:
        _run(page, browser, site_root)
    finally:
        connection.flushdb()


def _run(page, browser, site_root: str) -> None:
    owner = make_user("owner@shop.test")
    account = account_create(name="Corner Bakery", owner=owner, language="en")
    Account.objects.filter(pk=account.pk).update(
        plan=Plan.objects.get(code="medium"),
        credit_balance=100,
        default_sender_id="SHOP",
        country="FR",
    )
    lst = ContactList.objects.create(account=account, name="Regulars")
    anne = Contact.objects.create(account=account, phone="+33612345600", first_name="Anne")
    Membership.objects.create(contact=anne, contact_list=lst)

    # 1. The owner builds the page: a heading, a personalised text, a form.
    _login(page, "owner@shop.test")
    page.get_by_role("link", name="Landing pages").click()
    page.wait_for_url(re.compile(r".*/landing-pages/$"))
    page.get_by_test_id("first-page").click()
    page.fill("input[name=title]", "Croissant week")
    expect(page.get_by_test_id("starter-blank")).to_be_checked()
    page.get_by_test_id("page-create").click()
    page.wait_for_url(re.compile(r".*/landing-pages/[0-9a-f-]{36}/$"))
    assert page.get_by_test_id("no-blocks").is_visible()
    for kind in ["heading", "text", "form"]:
        count = page.locator("#block-list [data-testid=block]").count()
        page.get_by_test_id(f"add-{kind}").click()
        expect(page.locator("#block-list [data-testid=block]")).to_have_count(count + 1)
    assert _types(page) == ["heading", "text", "form"]

    heading = _open_block(page, "heading")
    heading.locator("input[name=text]").fill("Croissant week at the Corner Bakery")
    _save_block(page, "heading")
    text = _open_block(page, "text")
    text.locator("textarea[name=html]").fill(
        "Hello {first_name|there}, two croissants for the price of one all week."
    )
    _save_block(page, "text")
    form = _open_block(page, "form")
    expect(form.locator("input[name=ask_name]")).to_be_checked()
    expect(form.locator("input[name=ask_phone]")).to_be_checked()
    expect(form.locator("input[name=ask_email]")).not_to_be_checked()
    form.locator("input[name=title]").fill("Keep me a box")
    form.locator("input[name=consent_text]").fill("Text me the offers of the bakery.")
    _save_block(page, "form")
    # Nobody has a first name in the editor: the fallback shows.
    _preview_order(page, "Croissant week at the", "Hello there,", "Keep me a box")

    # Reorder: the form up to the top, then back down under the text.
    _move(page, "form", "up", ["heading", "form", "text"])
    _move(page, "form", "up", ["form", "heading", "text"])
    _preview_order(page, "Keep me a box", "Croissant week at the", "Hello there,")
    _move(page, "heading", "up", ["heading", "form", "text"])
    _move(page, "form", "down", ["heading", "text", "form"])
    _preview_order(page, "Croissant week at the", "Hello there,", "Keep me a box")
    landing = LandingPage.objects.get()
    assert [b["type"] for b in landing.blocks] == ["heading", "text", "form"]
    page.get_by_test_id("page-publish").click()
    page.wait_for_url(re.compile(r".*/landing-pages/[0-9a-f-]{36}/$"))
    assert page.get_by_test_id("page-status").get_attribute("data-status") == "published"
    _preview_order(page, "Croissant week at the", "Hello there,", "Keep me a box")
    screenshot(page, "80-landing-flow-editor")
    landing.refresh_from_db()
    assert landing.status == LandingPage.Status.PUBLISHED
    edit_url = page.url

    # 2. A notification campaign links to the page.
    page_url = f"{site_root}/p/{landing.slug}"
    page.goto("/campaigns/new/")
    page.fill("input[name=name]", "Croissant SMS")
    page.get_by_label("Notification").check()
    page.get_by_label("Regulars").check()
    page.locator("textarea[name=body]").fill(f"Croissant week starts today: {page_url}")
    page.get_by_test_id("save-draft").click()
    page.wait_for_url(re.compile(r".*/campaigns/[0-9a-f-]{36}/edit/$"))
    assert "own short link" in page.get_by_test_id("tracked-note").inner_text()
    page.get_by_test_id("send").click()
    page.wait_for_url(re.compile(r".*/campaigns/[0-9a-f-]{36}/$"))
    campaign_url = page.url
    run_jobs("default")  # the launch
    run_jobs("sms")  # the dispatch
    run_jobs("sms")  # the sandbox's delivery report
    campaign = Campaign.objects.get(name="Croissant SMS")
    message = Message.objects.get(campaign=campaign, phone="+33612345600")
    assert message.status == Message.Status.DELIVERED

    # 3. Anne's SMS holds her own short link, to the page with her token.
    found = re.search(rf"{re.escape(site_root)}/s/([a-z0-9]{{8}})\b", message.body)
    assert found, message.body
    assert page_url not in message.body
    short_url = found.group(0)
    link = ShortLink.objects.get(code=found.group(1))
    assert link.target_url.startswith(f"{page_url}?r=")

    phone_browser = browser.browser_type.launch(
        executable_path=CHROMIUM,
        args=[*CHROMIUM_ARGS, f"--host-resolver-rules=MAP {HOST} 127.0.0.1"],
    )
    try:
        phone = phone_browser.new_context(
            viewport={"width": 360, "height": 740},
            user_agent=IPHONE_SAFARI,
            is_mobile=True,
            has_touch=True,
            locale="en-GB",
        )
        mobile = phone.new_page()
        mobile.set_default_timeout(15_000)
        violations: list[str] = []
        mobile.on(
            "console",
            lambda msg: "Content Security Policy" in msg.text and violations.append(msg.text),
        )
        response = mobile.goto(short_url)
        assert response.ok
        assert response.request.redirected_from.url == short_url
        assert mobile.url == link.target_url
        assert "Hello Anne," in mobile.locator(".lp-text").inner_text()
        assert "there" not in mobile.locator(".lp-text").inner_text()
        blocks = mobile.locator("main.lp-page > .lp-block")
        expect(blocks).to_have_count(3)
        expect(blocks.first).to_have_text("Croissant week at the Corner Bakery")
        expect(blocks.nth(2)).to_have_class(re.compile(r"\blp-form\b"))
        assert mobile.evaluate("document.documentElement.scrollWidth") <= 360
        screenshot(mobile, "81-landing-flow-phone")

        # 4. She sends the form; the consent box was not ticked for her.
        consent = mobile.locator(".lp-form input[name=consent]")
        expect(consent).not_to_be_checked()
        mobile.locator(".lp-form input[name=name]").fill("Anne Martin")
        mobile.locator(".lp-form input[name=phone]").fill("06 12 34 56 00")
        consent.check()
        mobile.locator(".lp-form button[type=submit]").click()
        mobile.wait_for_url(re.compile(r".*/p/[-a-z0-9]+\?sent=[0-9a-f]{8}&r=.*"))
        expect(mobile.locator(".lp-thanks")).to_have_text("Thank you!")
        expect(mobile.locator(".lp-form form")).to_have_count(0)
        assert "Hello Anne," in mobile.locator(".lp-text").inner_text()
        assert mobile.evaluate("document.documentElement.scrollWidth") <= 360
        screenshot(mobile, "82-landing-flow-thanks")
        assert not violations, violations
        phone.close()
    finally:
        phone_browser.close()

    submission = FormSubmission.objects.get()
    assert submission.data == {"name": "Anne Martin", "phone": "+33612345600"}
    assert submission.consent is True
    assert submission.campaign_id == campaign.pk and submission.message_id == message.pk
    assert PageEvent.objects.filter(kind=PageEvent.Kind.VIEW, is_bot=False).count() == 1

    # 5. The owner's statistics: one view, one visitor, one submission, 100 %.
    page.goto(edit_url)
    page.get_by_test_id("page-stats").click()
    page.wait_for_url(re.compile(r".*/landing-pages/[0-9a-f-]{36}/stats/$"))
    figures = page.get_by_test_id("page-figures")
    assert figures.locator("[data-figure=views]").inner_text() == "1"
    assert figures.locator("[data-figure=unique_views]").inner_text() == "1"
    assert figures.locator("[data-figure=submissions]").inner_text() == "1"
    assert figures.locator("[data-figure=conversion_rate]").inner_text() == "100.0 %"
    assert figures.locator("[data-figure=bot_views]").inner_text() == "0"
    row = page.get_by_test_id("campaign-figures").locator(f"tr[data-campaign='{campaign.pk}']")
    cells = row.locator("td").all_inner_texts()
    assert cells == ["Croissant SMS", "1", "1", "0", "1", "100 %"], cells
    screenshot(page, "83-landing-flow-stats")

    page.get_by_role("link", name="Form submissions").click()
    page.wait_for_url(re.compile(r".*/stats/submissions/$"))
    rows = page.get_by_test_id("submission-row")
    expect(rows).to_have_count(1)
    text = rows.first.inner_text()
    assert "Anne Martin" in text and "Croissant SMS" in text and "Keep me a box" in text
    assert "+33" in rows.first.locator("td").nth(2).inner_text()
    assert rows.first.locator("td").nth(5).inner_text() == "yes"
    screenshot(page, "84-landing-flow-submissions")

    # The short link's click, in the campaign's report.
    clicks_flush()
    campaign.refresh_from_db()
    assert (campaign.clicks, campaign.clickers) == (1, 1)
    page.goto(campaign_url)
    details = page.get_by_test_id("report-details")
    assert details.locator("[data-figure=clicks_total]").inner_text() == "1"
    assert details.locator("[data-figure=clickers]").inner_text() == "1"
    assert details.locator("[data-figure=ctr]").inner_text() == "100.0 %"
    assert "Anne" in page.get_by_test_id("report-clickers").inner_text()
    screenshot(page, "85-landing-flow-campaign-clicks")
    assert not page.csp_violations, page.csp_violations
