import re

import django_rq
import pytest

from campaigns.models import Campaign, Message
from contacts.models import Contact, ContactList, Membership
from smsmode.accounts.models import Account
from smsmode.accounts.services import account_create
from smsmode.billing.models import Plan
from tests.campaigns.conftest import run_jobs
from tests.conftest import make_user
from tests.e2e.conftest import screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_marketer_writes_sends_and_watches_a_campaign_get_delivered(page, settings):
    settings.SMS_GATEWAY = "sandbox"
    settings.SMS_SANDBOX_REPORT_DELAY = 0
    settings.SMS_SUBMIT_PER_SECOND = 0
    connection = django_rq.get_connection("default")
    connection.flushdb()  # this test worker's own Redis database
    owner = make_user("owner@bakery.test")
    account = account_create(name="Bakery", owner=owner, language="en")
    Account.objects.filter(pk=account.pk).update(
        credit_balance=100, default_sender_id="BAKERY", country="FR"
    )
    # Notifications go out at any hour: the test must not depend on the clock.
    lst = ContactList.objects.create(account=account, name="Regulars")
    for i, name in enumerate(["Anne", "Bruno", "Chloé"]):
        contact = Contact.objects.create(account=account, phone=f"+3361234560{i}", first_name=name)
        Membership.objects.create(contact=contact, contact_list=lst)
    page.goto("/accounts/login/")
    page.fill("input[name=login]", "owner@bakery.test")
    page.fill("input[name=password]", "correct horse battery")
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/$"))

    page.goto("/campaigns/")
    page.get_by_role("link", name="Write your first campaign").click()
    page.fill("input[name=name]", "Croissants")
    page.get_by_label("Notification").check()
    page.get_by_label("Regulars").check()
    body = page.locator("textarea[name=body]")
    counter = page.get_by_test_id("sms-counter")
    body.fill("Fresh croissants today, 2 for 3 €")
    assert counter.locator("[data-count=encoding]").inner_text() == "GSM-7"
    assert counter.locator("[data-count=segments]").inner_text() == "1"
    page.get_by_role("button", name="First name").click()
    body.press_sequentially(" 🥐 " + "see you soon " * 4)
    assert counter.locator("[data-count=encoding]").inner_text() == "Unicode"
    assert counter.locator("[data-count=segments]").inner_text() == "2"
    screenshot(page, "40-campaign-editor")
    page.get_by_test_id("save-draft").click()
    page.wait_for_url(re.compile(r".*/campaigns/[0-9a-f-]{36}/edit/$"))

    estimate = page.get_by_test_id("estimate-figures")
    assert estimate.locator("[data-figure=recipients]").inner_text() == "3"
    assert estimate.locator("[data-figure=segments]").inner_text() == "2 (Unicode)"
    assert "6 credits" in estimate.locator("[data-figure=cost]").inner_text()
    preview = page.get_by_test_id("preview").inner_text()
    assert any(name in preview for name in ("Anne", "Bruno", "Chloé"))  # merge field filled
    screenshot(page, "41-campaign-estimate")
    page.get_by_test_id("send").click()
    page.wait_for_url(re.compile(r".*/campaigns/[0-9a-f-]{36}/$"))

    run_jobs("default")  # the launch
    run_jobs("sms")  # the dispatch
    run_jobs("sms")  # the sandbox's delivery reports
    # The report polls every 3 s: no reload needed to see the deliveries.
    report = page.locator("[data-testid=campaign-report][data-status=sent]")
    report.locator("[data-figure=delivered]", has_text="3").wait_for(timeout=15_000)
    screenshot(page, "42-campaign-report")
    assert not page.csp_violations
    campaign = Campaign.objects.get(name="Croissants")
    assert set(Message.objects.filter(campaign=campaign).values_list("status", flat=True)) == {
        "delivered"
    }
    connection.flushdb()


def test_each_recipient_gets_a_short_link_and_the_report_shows_who_clicked(
    page, browser, live_server, settings
):
    settings.SMS_GATEWAY = "sandbox"
    settings.SMS_SANDBOX_REPORT_DELAY = 0
    settings.SMS_SUBMIT_PER_SECOND = 0
    connection = django_rq.get_connection("default")
    connection.flushdb()
    owner = make_user("owner@florist.test")
    account = account_create(name="Florist", owner=owner, language="en")
    Account.objects.filter(pk=account.pk).update(
        credit_balance=100,
        default_sender_id="FLORIST",
        country="FR",
        plan=Plan.objects.get(code="classic"),
    )
    lst = ContactList.objects.create(account=account, name="Friends")
    for i, name in enumerate(["Anne", "Bruno", "Chloé"]):
        contact = Contact.objects.create(account=account, phone=f"+3361234560{i}", first_name=name)
        Membership.objects.create(contact=contact, contact_list=lst)
    page.goto("/accounts/login/")
    page.fill("input[name=login]", "owner@florist.test")
    page.fill("input[name=password]", "correct horse battery")
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/$"))

    page.goto("/campaigns/new/")
    page.fill("input[name=name]", "Roses")
    page.get_by_label("Notification").check()
    page.get_by_label("Friends").check()
    long_url = "https://florist.example/bouquets/roses?utm_source=sms&utm_campaign=" + "x" * 120
    page.locator("textarea[name=body]").fill(f"Roses are in, {{first_name}}: {long_url}")
    counter = page.get_by_test_id("sms-counter")
    # The link counts as its short URL: one SMS, not two.
    assert counter.locator("[data-count=segments]").inner_text() == "1"
    page.get_by_test_id("save-draft").click()
    page.wait_for_url(re.compile(r".*/campaigns/[0-9a-f-]{36}/edit/$"))
    assert "own short link" in page.get_by_test_id("tracked-note").inner_text()
    assert (
        page.get_by_test_id("estimate-figures").locator("[data-figure=segments]").inner_text()
        == "1 (GSM-7)"
    )
    page.get_by_test_id("send").click()
    page.wait_for_url(re.compile(r".*/campaigns/[0-9a-f-]{36}/$"))
    run_jobs("default")
    run_jobs("sms")
    run_jobs("sms")
    page.locator("[data-testid=campaign-report][data-status=sent]").wait_for(timeout=15_000)

    # Anne taps her link on her phone.
    campaign = Campaign.objects.get(name="Roses")
    body = Message.objects.get(campaign=campaign, phone="+33612345600").body
    code = re.search(r"/s/([a-z0-9]{8})", body).group(1)
    phone = browser.new_context(
        base_url=live_server.url,
        user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    )
    response = phone.request.get(f"/s/{code}", max_redirects=0)
    assert response.status == 302 and response.headers["location"] == long_url
    phone.close()

    page.reload()
    details = page.get_by_test_id("report-details")
    assert details.locator("[data-figure=clickers]").inner_text() == "1"
    assert details.locator("[data-figure=ctr]").inner_text() == "33.3 %"
    clickers = page.get_by_test_id("report-clickers")
    assert "Anne" in clickers.inner_text()
    screenshot(page, "43-campaign-clicks")
    assert not page.csp_violations
    connection.flushdb()
