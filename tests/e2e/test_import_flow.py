import re

import django_rq
import pytest
from rq import SimpleWorker

from contacts.models import Contact, ContactImport, ContactList
from smsmode.accounts.services import account_create
from tests.conftest import make_user
from tests.e2e.conftest import screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _csv(tmp_path):
    lines = ["Téléphone;Prénom;Nom;Ville"]
    lines += [f"06 12 34 {i // 10 % 10}{i % 10} {i:02d};Client{i};Martin;Paris" for i in range(40)]
    lines += ["0612;Trop court;;", "01 45 67 89 10;Fixe;;", "06 12 34 00 00;Doublon;;Lyon"]
    path = tmp_path / "salon.csv"
    path.write_text("\n".join(lines) + "\n", encoding="cp1252")  # as Excel saves it
    return path


def test_a_marketer_imports_a_spreadsheet_and_reads_the_report(page, tmp_path, settings):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    queue = django_rq.get_queue("default")
    queue.connection.flushdb()  # this test worker's own Redis database
    owner = make_user("owner@salon.test")
    account_create(name="Salon", owner=owner, language="en")
    page.goto("/accounts/login/")
    page.fill("input[name=login]", "owner@salon.test")
    page.fill("input[name=password]", "correct horse battery")
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/$"))

    page.goto("/contacts/")
    page.get_by_role("link", name="Import a spreadsheet").click()
    page.wait_for_url(re.compile(r".*/contacts/import/$"))
    page.set_input_files("input[type=file]", str(_csv(tmp_path)))
    screenshot(page, "30-import-upload")
    page.get_by_test_id("import-upload").click()

    # The mapping: the columns are guessed from the French headers.
    page.wait_for_url(re.compile(r".*/contacts/imports/[0-9a-f-]{36}/mapping/$"))
    table = page.get_by_test_id("mapping-table")
    assert table.locator("select").nth(0).input_value() == "phone"
    assert table.locator("select").nth(1).input_value() == "first_name"
    assert table.locator("select").nth(3).input_value() == "new:ville"
    assert "Client0" in table.inner_text()
    page.fill("input[name=new_list_name]", "Salon 2026")
    screenshot(page, "31-import-mapping")
    page.get_by_test_id("import-start").click()

    # The progress page waits for a worker; it polls without reloading.
    page.wait_for_url(re.compile(r".*/contacts/imports/[0-9a-f-]{36}/$"))
    progress = page.get_by_test_id("import-progress")
    assert progress.get_attribute("data-status") == "queued"
    screenshot(page, "32-import-waiting")
    SimpleWorker([queue], connection=queue.connection).work(burst=True)
    page.get_by_test_id("import-done").wait_for(timeout=10_000)

    report = page.get_by_test_id("import-report")
    assert report.locator("[data-figure=created]").inner_text() == "40"
    assert report.locator("[data-figure=invalid]").inner_text() == "2"
    assert report.locator("[data-figure=skipped_in_file]").inner_text() == "1"
    rejected = page.get_by_test_id("import-rejected").inner_text()
    assert "too short" in rejected and "Same number as line 2" in rejected
    screenshot(page, "33-import-report")
    assert not page.csp_violations

    # The report survives a reload, and the rows not imported can be downloaded.
    page.reload()
    assert page.get_by_test_id("import-done").is_visible()
    with page.expect_download() as download:
        page.get_by_test_id("import-rejected-download").click()
    text = download.value.path().read_text(encoding="utf-8-sig")
    assert "Trop court" in text and "Fixe" in text

    salon = ContactList.objects.get(name="Salon 2026")
    assert salon.contact_count == 40
    assert Contact.objects.filter(first_name="Client7", custom={"ville": "Paris"}).exists()
    assert ContactImport.objects.get().status == ContactImport.Status.DONE
    queue.connection.flushdb()
