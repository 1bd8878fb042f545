"""Invoices: numbering without gaps, exact amounts, frozen details, the page and the PDF."""

import re
from decimal import Decimal

import pytest
import time_machine
from django.db import transaction
from django.urls import reverse

from smsmode.accounts.models import Account
from smsmode.billing.invoice_pdf import render_invoice_pdf
from smsmode.billing.models import CreditPack, Invoice, Order
from smsmode.billing.services import order_cancel, order_create_credits, order_mark_paid

pytestmark = pytest.mark.django_db

IBAN = "FR76 1111 2222 3333 4444 5555 666"


@pytest.fixture(autouse=True)
def _billing_settings(settings) -> None:
    settings.PAYMENT_PROVIDER = "manual"
    settings.BILLING_VAT_RATE = "0.20"
    settings.BILLING_SELLER = {
        "name": "smsmode SAS",
        "address": "1 rue de l'Exemple\n75001 Paris\nFrance",
        "vat_number": "FR00123456789",
        "registration": "RCS Paris 123 456 789",
        "iban": IBAN,
        "bic": "XXXXFRPP",
    }


def _pack(price: str) -> CreditPack:
    return CreditPack.objects.create(name="Pack", credits=500, price=Decimal(price))


def _order(team, price: str = "37.50") -> Order:
    return order_create_credits(account=team.account, pack=_pack(price), by=team.owner)


@pytest.fixture
def invoice(team) -> Invoice:
    return _order(team).invoice


def _page_url(invoice: Invoice) -> str:
    return reverse("billing:invoice", kwargs={"public_id": invoice.public_id})


def _pdf_url(invoice: Invoice) -> str:
    return reverse("billing:invoice_pdf", kwargs={"public_id": invoice.public_id})


def _pdf_shows(pdf: bytes, text: str) -> bool:
    """Whether uncompressed PDF bytes contain `text` as a core font writes it."""
    encoded = text.encode("cp1252")
    escaped = encoded.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
    return escaped in pdf


# Numbering


def test_invoices_are_numbered_in_sequence_without_gaps(team):
    with time_machine.travel("2026-06-15 12:00:00+00:00", tick=False):
        invoices = [_order(team).invoice for _ in range(3)]
    assert [i.sequence for i in invoices] == [1, 2, 3]
    assert [i.number for i in invoices] == ["2026-000001", "2026-000002", "2026-000003"]
    assert {i.year for i in invoices} == {2026}


def test_the_sequence_restarts_at_one_in_a_new_year(team):
    with time_machine.travel("2026-12-31 12:00:00+00:00", tick=False):
        _order(team)
        last_of_2026 = _order(team).invoice
    with time_machine.travel("2027-01-01 00:00:01+00:00", tick=False):
        first_of_2027 = _order(team).invoice
        second_of_2027 = _order(team).invoice
    assert last_of_2026.number == "2026-000002"
    assert (first_of_2027.year, first_of_2027.sequence) == (2027, 1)
    assert first_of_2027.number == "2027-000001"
    assert second_of_2027.number == "2027-000002"


def test_a_rolled_back_order_gives_its_number_back(team):
    with time_machine.travel("2026-06-15 12:00:00+00:00", tick=False):
        _order(team)
        with pytest.raises(RuntimeError), transaction.atomic():
            _order(team)
            raise RuntimeError("payment page crashed")
        after = _order(team).invoice
    assert after.number == "2026-000002"
    assert list(Invoice.objects.order_by("sequence").values_list("sequence", flat=True)) == [1, 2]


# Amounts


def test_the_amounts_and_the_vat_are_exact(team):
    order = _order(team, "37.50")
    assert order.amount_excl_vat == Decimal("37.50")
    assert order.vat_rate == Decimal("0.20")
    assert order.vat_amount == Decimal("7.50")
    assert order.amount_incl_vat == Decimal("45.00")


def test_the_vat_is_rounded_to_the_cent(team):
    order = _order(team, "8.33")  # 1.666
    assert order.vat_amount == Decimal("1.67")
    assert order.amount_incl_vat == Decimal("10.00")


def test_the_vat_rounds_half_up_not_to_even(team, settings):
    settings.BILLING_VAT_RATE = "0.055"
    order = _order(team, "3.00")  # 0.165: half-even would give 0.16
    assert order.vat_amount == Decimal("0.17")
    assert order.amount_incl_vat == Decimal("3.17")


# Snapshots


def test_the_invoice_keeps_the_details_it_was_issued_with(team, owner_client, settings):
    Account.objects.filter(pk=team.account.pk).update(
        billing_address="2 avenue du Test\n69001 Lyon", vat_number="FR99999999999"
    )
    team.account.refresh_from_db()
    invoice = _order(team).invoice
    Account.objects.filter(pk=team.account.pk).update(
        name="Renamed Corp", billing_address="Elsewhere", vat_number=""
    )
    settings.BILLING_SELLER = {**settings.BILLING_SELLER, "name": "New Seller SA"}

    invoice.refresh_from_db()
    assert invoice.customer == {
        "name": "Acme",
        "address": "2 avenue du Test\n69001 Lyon",
        "vat_number": "FR99999999999",
        "country": "FR",
    }
    assert invoice.seller["name"] == "smsmode SAS"
    html = owner_client.get(_page_url(invoice)).content.decode()
    assert "Acme" in html
    assert "69001 Lyon" in html
    assert "Renamed Corp" not in html
    assert "New Seller SA" not in html


# The page


def test_the_page_works_for_the_owner(owner_client, invoice):
    response = owner_client.get(_page_url(invoice))
    assert response.status_code == 200
    html = response.content.decode()
    assert invoice.number in html
    assert "smsmode SAS" in html
    assert "1 rue de l&#x27;Exemple<br>75001 Paris<br>France" in html
    assert "FR00123456789" in html
    assert "RCS Paris 123 456 789" in html
    assert "37.50\xa0€" in html
    assert "7.50\xa0€" in html
    assert "45.00\xa0€" in html
    assert "20%" in html
    assert "Awaiting payment" in html
    assert IBAN in html
    assert "XXXXFRPP" in html
    assert f"reference: {invoice.number}" in html
    assert _pdf_url(invoice) in html
    assert "data-print" in html
    assert "js/invoice.js" in html


def test_the_page_obeys_the_content_security_policy(owner_client, invoice):
    html = owner_client.get(_page_url(invoice)).content.decode()
    assert "<style" not in html
    assert "style=" not in html
    assert all(" src=" in tag for tag in re.findall(r"<script[^>]*>", html))


def test_the_page_drops_the_bank_details_once_paid(owner_client, invoice, team):
    assert order_mark_paid(order_id=invoice.order_id, by=team.owner)
    response = owner_client.get(_page_url(invoice))
    assert response.status_code == 200
    html = response.content.decode()
    assert IBAN not in html
    assert "Paid on" in html
    assert "45.00\xa0€" in html


def test_a_cancelled_orders_invoice_says_cancelled(owner_client, invoice):
    assert order_cancel(order_id=invoice.order_id)
    html = owner_client.get(_page_url(invoice)).content.decode()
    assert "Cancelled" in html
    assert IBAN not in html
    pdf = owner_client.get(_pdf_url(invoice)).content
    assert _pdf_shows(pdf, "Cancelled")


@pytest.mark.parametrize("client_fixture", ["admin_client_", "member_client"])
def test_the_page_is_for_owners_only(request, client_fixture, invoice):
    client = request.getfixturevalue(client_fixture)
    assert client.get(_page_url(invoice)).status_code == 403


def test_the_page_checks_the_account(outsider_client, invoice):
    assert outsider_client.get(_page_url(invoice)).status_code == 404


def test_the_page_requires_login(client, invoice):
    response = client.get(_page_url(invoice))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


# The PDF


def test_the_pdf_works(owner_client, invoice):
    response = owner_client.get(_pdf_url(invoice))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="invoice-{invoice.number}.pdf"'
    )
    pdf = response.content
    assert pdf.startswith(b"%PDF")
    assert _pdf_shows(pdf, invoice.number)
    assert _pdf_shows(pdf, "37.50\xa0€")
    assert _pdf_shows(pdf, "7.50\xa0€")
    assert _pdf_shows(pdf, "45.00\xa0€")
    assert _pdf_shows(pdf, "VAT: 20%")
    assert _pdf_shows(pdf, f"IBAN: {IBAN}")
    assert _pdf_shows(pdf, f"Reference: {invoice.number}")


def test_the_pdf_drops_the_bank_details_once_paid(owner_client, invoice, team):
    order_mark_paid(order_id=invoice.order_id, by=team.owner)
    pdf = owner_client.get(_pdf_url(invoice)).content
    assert not _pdf_shows(pdf, IBAN)
    assert _pdf_shows(pdf, "Paid on")


@pytest.mark.parametrize(
    ("client_fixture", "status"),
    [("admin_client_", 403), ("member_client", 403), ("outsider_client", 404)],
)
def test_the_pdf_has_the_same_access_rules(request, client_fixture, status, invoice):
    client = request.getfixturevalue(client_fixture)
    response = client.get(_pdf_url(invoice))
    assert response.status_code == status
    assert response.get("Content-Type") != "application/pdf"


def test_the_pdf_prints_the_euro_sign_and_accents(team):
    Account.objects.filter(pk=team.account.pk).update(
        name="Société Générale", billing_address="3 rue des Fêtes\n13001 Marseille"
    )
    team.account.refresh_from_db()
    pdf = render_invoice_pdf(_order(team).invoice)
    assert b"/WinAnsiEncoding" in pdf  # where byte 0x80 is the euro sign
    assert _pdf_shows(pdf, "Société Générale")
    assert _pdf_shows(pdf, "3 rue des Fêtes")
    assert b"45.00\xa0\x80" in pdf


def test_the_pdf_survives_characters_outside_its_font(team):
    Account.objects.filter(pk=team.account.pk).update(name="Łódź Ōkami 株式会社")
    team.account.refresh_from_db()
    pdf = render_invoice_pdf(_order(team).invoice)
    assert pdf.startswith(b"%PDF")
    assert _pdf_shows(pdf, "?ódz Okami ????")


def test_the_same_invoice_gives_the_same_pdf(invoice):
    assert render_invoice_pdf(invoice) == render_invoice_pdf(invoice)
