"""Invoices: a printable page and its PDF. Owners only, like the rest of billing."""

from uuid import UUID

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render

from smsmode.accounts.access import account_required, require_owner
from smsmode.accounts.middleware import AccountRequest
from smsmode.billing.invoice_pdf import (
    bank_transfer_due,
    legal_line,
    local_date,
    money,
    render_invoice_pdf,
    status_label,
    vat_percent,
)
from smsmode.billing.models import Invoice, OrderStatus

STATUS_BADGES = {
    OrderStatus.PENDING: "text-bg-warning",
    OrderStatus.PAID: "text-bg-success",
    OrderStatus.CANCELLED: "text-bg-secondary",
    OrderStatus.REFUNDED: "text-bg-info",
}


def _get_invoice_for_owner(request: AccountRequest, public_id: UUID) -> Invoice:
    """The current account's invoice (404 for anyone else's), for an owner (403)."""
    invoice = get_object_or_404(
        Invoice.objects.select_related("order", "account"),
        account=request.account,
        public_id=public_id,
    )
    require_owner(request)
    return invoice


@account_required
def invoice_html(request: AccountRequest, public_id: UUID) -> HttpResponse:
    invoice = _get_invoice_for_owner(request, public_id)
    order = invoice.order
    context = {
        "invoice": invoice,
        "order": order,
        "seller": invoice.seller,
        "customer": invoice.customer,
        "issued_on": local_date(invoice, invoice.issued_at),
        "status_label": status_label(invoice),
        "status_badge": STATUS_BADGES.get(order.status, "text-bg-secondary"),
        "vat_percent": vat_percent(order.vat_rate),
        "amount_excl_vat": money(order.amount_excl_vat),
        "vat_amount": money(order.vat_amount),
        "amount_incl_vat": money(order.amount_incl_vat),
        "bank_transfer_due": bank_transfer_due(order),
        "legal_line": legal_line(invoice),
    }
    return render(request, "billing/invoice.html", context)


@account_required
def invoice_pdf(request: AccountRequest, public_id: UUID) -> HttpResponse:
    invoice = _get_invoice_for_owner(request, public_id)
    response = HttpResponse(render_invoice_pdf(invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="invoice-{invoice.number}.pdf"'
    return response
