import re

import pytest

from smsmode.accounts.models import User
from smsmode.accounts.services import account_create
from smsmode.billing.models import Order, OrderStatus
from tests.conftest import make_user
from tests.e2e.conftest import screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_an_owner_upgrades_from_start_to_classic_and_the_shortener_unlocks(
    page, browser, live_server
):
    owner = make_user("owner@bakery.test")
    account_create(name="Bakery", owner=owner, language="en")
    User.objects.create_superuser(email="staff@platform.test", password="staff pass 123")

    page.goto("/accounts/login/")
    page.fill("input[name=login]", "owner@bakery.test")
    page.fill("input[name=password]", "correct horse battery")
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/$"))
    page.goto("/shortener/")
    assert page.get_by_test_id("upgrade-prompt").is_visible()
    page.get_by_role("link", name="Upgrade your plan").click()
    page.wait_for_url("**/subscription/")
    screenshot(page, "20-subscription-start")
    page.get_by_test_id("choose-classic").click()
    page.wait_for_url(re.compile(r".*/subscription/orders/.+/$"))
    assert page.get_by_test_id("order-status").inner_text() == "Awaiting payment"
    assert page.get_by_test_id("bank-details").is_visible()
    screenshot(page, "21-order-bank-transfer")
    order = Order.objects.get(account__name="Bakery")

    # Staff confirm the bank transfer in Django admin.
    staff_page = browser.new_context(base_url=live_server.url).new_page()
    staff_page.goto("/admin/login/")
    staff_page.fill("input[name=username]", "staff@platform.test")
    staff_page.fill("input[name=password]", "staff pass 123")
    staff_page.click("input[type=submit]")
    staff_page.goto("/admin/billing/order/")
    staff_page.check(f"input[name=_selected_action][value='{order.pk}']")
    staff_page.select_option("select[name=action]", "mark_paid")
    staff_page.click("button[name=index]")
    staff_page.wait_for_load_state()
    screenshot(staff_page, "22-admin-order-paid")
    staff_page.context.close()
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID

    page.goto("/shortener/")
    assert page.get_by_test_id("link-create-form").is_visible()
    assert page.locator(".plan-badge").inner_text() == "Classic"
    page.goto("/subscription/")
    assert page.get_by_test_id("current-plan").inner_text() == "Classic"
    screenshot(page, "23-subscription-classic")
    assert page.csp_violations == []
