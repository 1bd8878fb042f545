"""An invoice as a PDF (fpdf2), and the wording it shares with the HTML page.

The PDF uses fpdf2's core Helvetica font, which needs no font file. Core fonts are
written with WinAnsiEncoding, so every cp1252 character (accents, "€") prints;
anything outside cp1252 is replaced rather than failing the whole invoice.
"""

from __future__ import annotations

import unicodedata
import zoneinfo
from datetime import date, datetime
from decimal import Decimal

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from smsmode.billing.models import Invoice, Order, OrderStatus

PDF_ENCODING = "windows-1252"

# Layout, in millimetres on A4 portrait.
MARGIN = 20
WIDTH = 210 - 2 * MARGIN
COLUMN = WIDTH / 2 - 5
LINE_COLUMNS = (62, 18, 36, 20, 34)  # description, qty, unit price, VAT, total
TOTALS_LABEL = 45
TOTALS_VALUE = 35


def money(value: Decimal) -> str:
    """An amount in euros as the current language writes it: "1,234.50 €"."""
    return f"{formats.number_format(value, 2, force_grouping=True)}\u00a0€"


def vat_percent(rate: Decimal) -> str:
    """0.2000 → "20%", 0.0550 → "5.5%" (decimal separator of the current language)."""
    percent = (rate * 100).quantize(Decimal("0.01")).normalize()
    return f"{formats.number_format(percent)}%"


def local_date(invoice: Invoice, moment: datetime) -> date:
    """The day of `moment` in the account's time zone, whoever looks at the invoice."""
    try:
        zone = zoneinfo.ZoneInfo(invoice.account.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = timezone.get_default_timezone()
    return timezone.localtime(moment, zone).date()


def status_label(invoice: Invoice) -> str:
    order = invoice.order
    if order.status == OrderStatus.PAID:
        if order.paid_at is None:
            return str(OrderStatus.PAID.label)
        paid_on = formats.date_format(local_date(invoice, order.paid_at), "DATE_FORMAT")
        return _("Paid on %(date)s") % {"date": paid_on}
    return str(OrderStatus(order.status).label)


def bank_transfer_due(order: Order) -> bool:
    """An unpaid order paid by bank transfer: the invoice says where to send the money."""
    return order.status == OrderStatus.PENDING and order.provider == "manual"


def _latin(text: object) -> str:
    """`text` reduced to what the core font can print (accents kept, the rest folded)."""
    out = []
    for char in str(text):
        try:
            char.encode(PDF_ENCODING)
        except UnicodeEncodeError:
            folded = unicodedata.normalize("NFKD", char)
            char = folded.encode(PDF_ENCODING, errors="ignore").decode(PDF_ENCODING) or "?"
        out.append(char)
    return "".join(out)


class _InvoicePDF(FPDF):
    def write_line(self, text: object, *, size: float = 10, bold: bool = False) -> None:
        self.set_font("helvetica", "B" if bold else "", size)
        self.multi_cell(WIDTH, size * 0.5, _latin(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def block(self, x: float, y: float, title: str, lines: list[str]) -> float:
        """A titled block of lines at (x, y); returns the y below it."""
        self.set_xy(x, y)
        self.set_font("helvetica", "B", 9)
        self.set_text_color(110)
        self.cell(COLUMN, 5, _latin(title.upper()), new_x=XPos.LEFT, new_y=YPos.NEXT)
        self.set_text_color(0)
        self.set_font("helvetica", "", 10)
        for line in lines:
            self.multi_cell(COLUMN, 5, _latin(line), align="L", new_x=XPos.LEFT, new_y=YPos.NEXT)
        return self.get_y()


def render_invoice_pdf(invoice: Invoice) -> bytes:
    """The invoice as PDF bytes, in the current language. Uncompressed, so its text
    can be found in the bytes; dated at issue time, so the same invoice gives the
    same file."""
    order = invoice.order
    seller = invoice.seller
    customer = invoice.customer
    issued_on = formats.date_format(local_date(invoice, invoice.issued_at), "DATE_FORMAT")
    title = _("Invoice %(number)s") % {"number": invoice.number}

    pdf = _InvoicePDF(orientation="portrait", unit="mm", format="A4")
    pdf.core_fonts_encoding = PDF_ENCODING
    pdf.set_compression(False)
    pdf.set_creation_date(invoice.issued_at)
    pdf.set_title(_latin(title))
    pdf.set_author(_latin(seller.get("name", "")))
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(auto=True, margin=MARGIN)
    pdf.add_page()

    # Heading: seller on the left, number on the right.
    pdf.set_font("helvetica", "B", 14)
    pdf.cell(COLUMN, 8, _latin(seller.get("name", "")))
    pdf.set_font("helvetica", "B", 18)
    pdf.cell(WIDTH - COLUMN, 8, _latin(title), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("helvetica", "", 10)
    pdf.cell(
        WIDTH,
        6,
        _latin(_("Issue date: %(date)s") % {"date": issued_on}),
        align="R",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.cell(
        WIDTH,
        6,
        _latin(_("Status: %(status)s") % {"status": status_label(invoice)}),
        align="R",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.ln(6)

    # Seller and customer side by side.
    top = pdf.get_y()
    seller_lines = [seller.get("name", ""), *seller.get("address", "").splitlines()]
    if seller.get("vat_number"):
        seller_lines.append(_("VAT number: %(number)s") % {"number": seller["vat_number"]})
    if seller.get("registration"):
        seller_lines.append(seller["registration"])
    customer_lines = [customer.get("name", ""), *customer.get("address", "").splitlines()]
    if customer.get("vat_number"):
        customer_lines.append(_("VAT number: %(number)s") % {"number": customer["vat_number"]})
    if customer.get("country"):
        customer_lines.append(_("Country: %(country)s") % {"country": customer["country"]})
    bottom = max(
        pdf.block(MARGIN, top, _("Seller"), seller_lines),
        pdf.block(MARGIN + WIDTH - COLUMN, top, _("Bill to"), customer_lines),
    )
    pdf.set_xy(MARGIN, bottom + 10)

    # The invoice line.
    headers = (
        _("Description"),
        _("Quantity"),
        _("Unit price excl. VAT"),
        _("VAT rate"),
        _("Total excl. VAT"),
    )
    pdf.set_font("helvetica", "B", 9)
    pdf.set_fill_color(235)
    for header, width, align in zip(headers, LINE_COLUMNS, "LRRRR", strict=True):
        pdf.cell(width, 8, _latin(header), border="B", align=align, fill=True)
    pdf.ln()
    pdf.set_font("helvetica", "", 10)
    cells = (
        order.description,
        "1",
        money(order.amount_excl_vat),
        vat_percent(order.vat_rate),
        money(order.amount_excl_vat),
    )
    for text, width, align in zip(cells, LINE_COLUMNS, "LRRRR", strict=True):
        pdf.cell(width, 8, _latin(text), border="B", align=align)
    pdf.ln(12)

    # Totals, right-aligned.
    totals = (
        (_("Total excl. VAT"), order.amount_excl_vat, False),
        (_("VAT (%(rate)s)") % {"rate": vat_percent(order.vat_rate)}, order.vat_amount, False),
        (_("Total incl. VAT"), order.amount_incl_vat, True),
    )
    for label, amount, bold in totals:
        pdf.set_x(MARGIN + WIDTH - TOTALS_LABEL - TOTALS_VALUE)
        pdf.set_font("helvetica", "B" if bold else "", 11 if bold else 10)
        pdf.cell(TOTALS_LABEL, 7, _latin(label), border="T" if bold else 0)
        pdf.cell(
            TOTALS_VALUE,
            7,
            _latin(money(amount)),
            border="T" if bold else 0,
            align="R",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
    pdf.ln(8)

    if bank_transfer_due(order):
        pdf.write_line(_("Payment by bank transfer"), size=11, bold=True)
        pdf.ln(1)
        pdf.write_line(_("IBAN: %(iban)s") % {"iban": seller.get("iban", "")})
        pdf.write_line(_("BIC: %(bic)s") % {"bic": seller.get("bic", "")})
        pdf.write_line(_("Reference: %(number)s") % {"number": invoice.number})
        pdf.ln(6)

    # The legal line.
    pdf.set_text_color(90)
    pdf.write_line(legal_line(invoice), size=8)
    return bytes(pdf.output())


def legal_line(invoice: Invoice) -> str:
    """Seller identity and VAT rate, printed at the foot of the invoice."""
    seller = invoice.seller
    parts = [
        seller.get("name", ""),
        ", ".join(seller.get("address", "").splitlines()),
        _("VAT number: %(number)s") % {"number": seller["vat_number"]}
        if seller.get("vat_number")
        else "",
        seller.get("registration", ""),
        _("VAT: %(rate)s") % {"rate": vat_percent(invoice.order.vat_rate)},
    ]
    return " · ".join(part for part in parts if part)
