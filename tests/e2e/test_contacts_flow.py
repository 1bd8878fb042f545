import re

import pytest

from contacts.models import Contact, OptOut
from smsmode.accounts.services import account_create
from tests.conftest import make_user
from tests.e2e.conftest import screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_marketer_adds_a_contact_finds_it_and_opts_it_out(page):
    owner = make_user("owner@florist.test")
    account_create(name="Florist", owner=owner, language="en")
    page.goto("/accounts/login/")
    page.fill("input[name=login]", "owner@florist.test")
    page.fill("input[name=password]", "correct horse battery")
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/$"))

    page.goto("/contacts/")
    assert page.get_by_test_id("empty-state").is_visible()
    page.goto("/contacts/new/")
    form = page.get_by_test_id("contact-form")
    form.locator("input[name=phone]").fill("06 12 34 56 78")
    form.locator("input[name=first_name]").fill("Rose")
    form.locator("input[name=last_name]").fill("Lavande")
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/contacts/[0-9a-f-]{36}/$"))
    assert "+33 6 12 34 56 78" in page.content()
    assert Contact.objects.get(first_name="Rose").phone == "+33612345678"

    # A second one with the same number in another format is refused, and what was
    # typed stays in the form.
    page.goto("/contacts/new/")
    form = page.get_by_test_id("contact-form")
    form.locator("input[name=phone]").fill("+33 6 12 34 56 78")
    form.locator("button[type=submit]").click()
    assert "already has the number" in page.content()
    assert form.locator("input[name=phone]").input_value() == "+33 6 12 34 56 78"
    screenshot(page, "30-contact-duplicate")

    page.goto("/contacts/?q=0612")
    table = page.get_by_test_id("contacts-table")
    assert "Lavande" in table.inner_text()
    assert not page.get_by_test_id("bulk-bar").is_visible()  # until a row is ticked
    table.locator("input[name=ids]").first.check()
    assert page.get_by_test_id("bulk-bar").is_visible()
    screenshot(page, "31-contacts-bulk")
    page.get_by_role("button", name="Opt out").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("opted-out").first.is_visible()
    assert OptOut.objects.filter(phone="+33612345678", removed_at__isnull=True).count() == 1
    page.goto("/contacts/opt-outs/")
    assert "+33 6 12 34 56 78" in page.content()
    screenshot(page, "32-opt-outs")
    assert page.csp_violations == []
