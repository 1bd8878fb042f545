"""GET /contacts/export/: the current search as a streamed CSV, safe in a spreadsheet."""

import csv
import io

import pytest

from contacts.exports import csv_safe
from contacts.models import Contact, ContactList, CustomField, Membership, OptOut

pytestmark = pytest.mark.django_db


def _rows(response) -> list[dict[str, str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))


@pytest.fixture
def contacts(team):
    CustomField.objects.create(account=team.account, key="city", label="City")
    vip = ContactList.objects.create(account=team.account, name="VIP")
    rose = Contact.objects.create(
        account=team.account,
        phone="+33612345678",
        first_name="Rose",
        last_name="=1+2",
        email="rose@x.test",
        custom={"city": "@Lyon"},
    )
    Contact.objects.create(account=team.account, phone="+33612345679", first_name="Hugo")
    Membership.objects.create(contact=rose, contact_list=vip)
    OptOut.objects.create(account=team.account, phone="+33612345679", source="manual")
    Contact.objects.create(account=team.outsider_account, phone="+33612345670", first_name="Nope")
    return rose


def test_it_exports_the_accounts_contacts_as_csv(member_client, contacts):
    response = member_client.get("/contacts/export/")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="contacts-')
    assert response.streaming
    rows = {row["first_name"]: row for row in _rows(response)}
    assert set(rows) == {"Rose", "Hugo"}  # never another account's contacts
    assert rows["Rose"]["lists"] == "VIP"
    assert rows["Rose"]["opted_out"] == "no"
    assert rows["Hugo"]["opted_out"] == "yes"


def test_cells_that_would_run_as_formulas_are_defused(member_client, contacts):
    rows = {row["first_name"]: row for row in _rows(member_client.get("/contacts/export/"))}
    assert rows["Rose"]["last_name"] == "'=1+2"
    assert rows["Rose"]["city"] == "'@Lyon"
    assert rows["Rose"]["phone"] == "'+33612345678"  # kept as text, not a number


def test_it_follows_the_search(member_client, contacts):
    rows = _rows(member_client.get("/contacts/export/", {"q": "Hugo"}))
    assert [row["first_name"] for row in rows] == ["Hugo"]
    rows = _rows(member_client.get("/contacts/export/", {"opted_out": "0"}))
    assert [row["first_name"] for row in rows] == ["Rose"]


def test_it_needs_a_login_and_only_answers_get(client, member_client):
    assert client.get("/contacts/export/").status_code == 302
    assert member_client.post("/contacts/export/").status_code == 405


@pytest.mark.parametrize(
    ("value", "expected"),
    [("=SUM(A1)", "'=SUM(A1)"), ("-2", "'-2"), ("\tx", "'\tx"), ("Rose", "Rose"), (None, "")],
)
def test_csv_safe(value, expected):
    assert csv_safe(value) == expected


def test_the_contacts_page_links_to_the_export_with_its_filters(member_client, contacts):
    content = member_client.get("/contacts/", {"q": "Hugo"}).content.decode()
    assert 'href="/contacts/export/?q=Hugo"' in content
