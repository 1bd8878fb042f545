import datetime
import re

import django_rq
import pytest
from django.utils import timezone

from shortener.models import ShortLink
from smsmode.accounts.models import Account
from smsmode.accounts.services import account_create
from smsmode.billing.models import Plan
from tests.conftest import make_user
from tests.e2e.conftest import screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_marketer_shortens_finds_deletes_and_sees_clicks(page, browser, live_server):
    django_rq.get_connection("default").flushdb()  # this test worker's own Redis database
    owner = make_user("owner@florist.test")
    account = account_create(name="Florist", owner=owner, language="en")
    Account.objects.filter(pk=account.pk).update(plan=Plan.objects.get(code="classic"))
    page.goto("/accounts/login/")
    page.fill("input[name=login]", "owner@florist.test")
    page.fill("input[name=password]", "correct horse battery")
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/$"))

    page.get_by_role("link", name="URL shortener").click()
    page.wait_for_url(re.compile(r".*/shortener/$"))
    form = page.get_by_test_id("link-create-form")
    expiry = form.locator("input[name=expires]").input_value()
    assert expiry == (timezone.localdate() + datetime.timedelta(days=31)).isoformat()
    for url, name in [
        ("https://florist.example/roses?utm_source=sms", "Roses"),
        ("https://florist.example/tulips", "Tulips"),
    ]:
        form = page.get_by_test_id("link-create-form")
        form.locator("input[name=url]").fill(url)
        form.locator("input[name=name]").fill(name)
        page.get_by_test_id("link-add").click()
        page.wait_for_url(re.compile(r".*/shortener/$"))
    # A dangerous URL is refused with a message next to the field.
    form = page.get_by_test_id("link-create-form")
    form.locator("input[name=url]").fill("javascript:alert(1)")
    page.get_by_test_id("link-add").click()
    assert "http:// or https://" in page.get_by_test_id("link-create-form").inner_text()

    # A visitor follows the short URL: the count rises on the next page load.
    roses = ShortLink.objects.get(name="Roses")
    visitor = browser.new_context(
        base_url=live_server.url,
        user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    )
    response = visitor.request.get(f"/s/{roses.code}", max_redirects=0)
    assert response.status == 302
    assert response.headers["location"] == "https://florist.example/roses?utm_source=sms"
    visitor.close()
    page.goto("/shortener/?q=roses")
    table = page.get_by_test_id("links-table")
    assert table.locator("tbody tr").count() == 1
    assert table.locator("[data-clicks]").inner_text() == "1"
    screenshot(page, "50-shortener-search")

    # Tick and delete, with a confirmation; the short URL then answers 404.
    page.goto("/shortener/")
    page.locator(f'tr[data-code="{roses.code}"] input[name=ids]').check()
    page.get_by_test_id("links-delete").click()
    assert "1 short link will be deleted" in page.get_by_test_id("delete-count").inner_text()
    page.get_by_test_id("confirm-delete").click()
    page.wait_for_url(re.compile(r".*/shortener/$"))
    assert page.get_by_test_id("links-table").locator("tbody tr").count() == 1
    screenshot(page, "51-shortener-after-delete")
    gone = page.request.get(f"/s/{roses.code}", max_redirects=0)
    assert gone.status == 404
    assert not page.csp_violations
