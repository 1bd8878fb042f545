import re

import pytest
from django.core import mail

from smsmode.accounts.models import Account
from tests.e2e.conftest import screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _confirmation_path(body: str) -> str:
    match = re.search(r"https?://[^/\s]+(/accounts/confirm-email/[^\s]+/)", body)
    assert match, body
    return match.group(1)


def test_sign_up_verify_log_in_and_switch_to_french(page):
    page.goto("/accounts/signup/")
    screenshot(page, "01-signup")
    page.fill("input[name=email]", "claire@boulangerie.test")
    page.fill("input[name=company_name]", "Boulangerie Claire")
    page.fill("input[name=password1]", "une phrase de passe solide")
    page.fill("input[name=password2]", "une phrase de passe solide")
    page.click("main button[type=submit]")
    page.wait_for_url("**/accounts/confirm-email/")
    assert page.get_by_role("heading", name="Verify Your Email Address").is_visible()

    # The console email backend is the locmem outbox under tests.
    assert len(mail.outbox) == 1
    page.goto(_confirmation_path(mail.outbox[0].body))
    screenshot(page, "02-confirm-email")
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/$"))
    assert page.get_by_test_id("account-switcher").inner_text().strip() == "Boulangerie Claire"
    assert "20 credits" in page.get_by_test_id("credit-balance").inner_text()
    screenshot(page, "03-dashboard")

    # Log out, log back in.
    page.get_by_test_id("user-menu").click()
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/accounts/login/")
    screenshot(page, "04-login")
    page.fill("input[name=login]", "claire@boulangerie.test")
    page.fill("input[name=password]", "une phrase de passe solide")
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/$"))
    assert page.get_by_role("heading", name="Dashboard").is_visible()

    # Switch to French.
    page.get_by_role("button", name="FR").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.get_by_role("heading", name="Tableau de bord").is_visible()
    assert page.get_by_role("link", name="Campagnes").is_visible()
    screenshot(page, "05-dashboard-fr")

    for path, name in [
        ("/team/", "06-team"),
        ("/settings/", "07-settings"),
        ("/subscription/", "08-subscription"),
        ("/shortener/", "09-gated"),
    ]:
        page.goto(path)
        screenshot(page, name)
    assert Account.objects.get(name="Boulangerie Claire").credit_balance == 20
    assert page.csp_violations == []


def test_the_shell_works_on_a_phone(page, browser, live_server):
    from smsmode.accounts.services import account_create
    from tests.conftest import make_user

    user = make_user("phone@shop.test")
    account_create(name="Phone Shop", owner=user, language="en")
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto("/accounts/login/")
    page.fill("input[name=login]", "phone@shop.test")
    page.fill("input[name=password]", "correct horse battery")
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/$"))
    # Nothing scrolls sideways on a phone.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # The navigation hides behind the menu button and opens on demand.
    assert not page.get_by_role("link", name="Campaigns", exact=True).is_visible()
    page.get_by_role("button", name="Open the menu").click()
    page.get_by_role("link", name="Campaigns", exact=True).click()
    page.wait_for_url("**/campaigns/")
    assert page.get_by_test_id("empty-state").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "10-phone-campaigns")
