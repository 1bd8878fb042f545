"""Streaming CSV export of contacts, safe to open in a spreadsheet.

Rows are read in chunks and written as they go, so memory stays flat whatever the
number of contacts. Cells that a spreadsheet would run as a formula (starting with
= + - @, a tab or a carriage return) are prefixed with an apostrophe (OWASP's advice
against CSV injection).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

from django.db.models import QuerySet

from contacts.models import Contact, CustomField, OptOut
from contacts.selectors import contacts_with_lists
from smsmode.accounts.models import Account

CHUNK = 2000
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: object) -> str:
    """The cell as text, defused if a spreadsheet would read it as a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


class Echo:
    """A file-like object whose write() hands the line back to the caller."""

    def write(self, value: str) -> str:
        return value


def contacts_csv(*, account: Account, queryset: QuerySet[Contact]) -> Iterator[str]:
    """Yield the CSV lines of the contacts in `queryset` (already limited to `account`).

    Columns: mobile number (E.164, kept as text by the apostrophe rule: "+33…" starts
    with "+"), first name, last name, email, lists, opted out, created, then one
    column per custom field of the account."""
    writer = csv.writer(Echo())
    fields = list(CustomField.objects.filter(account=account).order_by("key"))
    yield "\ufeff"  # a BOM, so that Excel reads UTF-8
    yield writer.writerow(
        ["phone", "first_name", "last_name", "email", "lists", "opted_out", "created_at"]
        + [field.key for field in fields]
    )
    rows = contacts_with_lists(queryset).iterator(chunk_size=CHUNK)
    for chunk in _chunks(rows, CHUNK):
        opted_out = set(
            OptOut.objects.filter(
                account=account, removed_at__isnull=True, phone__in=[c.phone for c in chunk]
            ).values_list("phone", flat=True)
        )
        for contact in chunk:
            yield writer.writerow(
                [
                    csv_safe(contact.phone),
                    csv_safe(contact.first_name),
                    csv_safe(contact.last_name),
                    csv_safe(contact.email),
                    csv_safe("|".join(lst.name for lst in contact.list_names)),
                    "yes" if contact.phone in opted_out else "no",
                    contact.created_at.isoformat(),
                ]
                + [csv_safe(contact.custom.get(field.key, "")) for field in fields]
            )


def _chunks(items: Iterable[Contact], size: int) -> Iterator[list[Contact]]:
    chunk: list[Contact] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
