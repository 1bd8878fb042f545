import re
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

from smsmode.accounts.models import ApiKey
from smsmode.accounts.services import account_create
from smsmode.api.keys import key_for_secret
from tests.conftest import make_user
from tests.e2e.conftest import screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _api_get(base_url: str, path: str, secret: str) -> int:
    request = urllib.request.Request(f"{base_url}{path}", headers={"X-Api-Key": secret})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_an_owner_creates_a_key_sees_it_once_and_revokes_it(page, live_server):
    owner = make_user("owner@garage.test")
    account_create(name="Garage", owner=owner, language="en")
    page.goto("/accounts/login/")
    page.fill("input[name=login]", "owner@garage.test")
    page.fill("input[name=password]", "correct horse battery")
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/$"))

    page.goto("/contacts/")
    page.get_by_role("link", name="API keys").click()
    page.wait_for_url(re.compile(r".*/api-keys/$"))
    assert page.get_by_test_id("empty-state").is_visible()
    screenshot(page, "60-api-keys-empty")

    page.locator(".page-header").get_by_role("link", name="Create an API key").click()
    page.wait_for_url(re.compile(r".*/api-keys/new/$"))
    form = page.get_by_test_id("key-create-form")
    form.locator("input[name=name]").fill("Online shop")
    assert form.locator("input[value=send]").is_checked()
    form.get_by_label("Read").check()
    screenshot(page, "61-api-keys-create")
    page.get_by_test_id("key-create").click()

    # The secret, once, with a copy button and the warning.
    page.wait_for_url(re.compile(r".*/api-keys/$"))
    reveal = page.get_by_test_id("secret-reveal")
    assert "it will not be shown again" in reveal.inner_text()
    secret = page.get_by_test_id("secret").input_value()
    assert secret.startswith("smk_")
    assert secret not in page.url
    # The copy button puts the secret on the clipboard and says so.
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_test_id("copy-secret").click()
    expect(page.get_by_test_id("copy-secret")).to_contain_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == secret
    table = page.get_by_test_id("api-keys")
    row = table.locator("tbody tr").first
    assert "Online shop" in row.inner_text()
    assert "Read" in row.inner_text() and "never" in row.inner_text()
    screenshot(page, "62-api-keys-secret-once")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "62-api-keys-secret-once-phone")
    page.set_viewport_size({"width": 1280, "height": 800})
    key = ApiKey.objects.get(name="Online shop")
    assert key.secret_hash != secret

    # The endpoint answers the key (or, while it is still a stub, the key is found).
    before = _api_get(live_server.url, "/sms/v1/messages", secret)
    endpoint_built = before not in (404, 405)
    if endpoint_built:
        assert before != 401
    assert key_for_secret(secret) == key

    page.reload()
    assert page.get_by_test_id("secret-reveal").count() == 0
    assert secret not in page.content()

    # Revoke, after a confirmation that says what stops.
    page.get_by_test_id("revoke").click()
    assert "will stop at once" in page.get_by_test_id("revoke-warning").inner_text()
    screenshot(page, "63-api-keys-revoke-confirm")
    page.get_by_test_id("confirm-revoke").click()
    page.wait_for_url(re.compile(r".*/api-keys/$"))
    assert "revoked" in page.locator(".messages").inner_text()
    assert page.get_by_test_id("key-revoked").count() == 1
    assert page.get_by_test_id("revoke").count() == 0
    screenshot(page, "64-api-keys-revoked")

    if endpoint_built:
        assert _api_get(live_server.url, "/sms/v1/messages", secret) == 401
    assert key_for_secret(secret) is None
    assert not page.csp_violations
