"""What the report of an import says: reasons of rejected rows, failures, the CSV of
the rows that were not imported. Rendered in the reader's language from stored codes."""

from __future__ import annotations

import csv
from collections.abc import Iterator

from django.utils.translation import gettext as _

from contacts.exports import Echo, csv_safe
from contacts.importing.reader import ImportFileError
from contacts.models import ContactImport, ImportRejectedRow
from smsmode.sms.numbers import PhoneNumberError

Reason = ImportRejectedRow.Reason


def rejected_reason(reason: str, detail: str) -> str:
    """The reason a row was not imported, in the active language."""
    if reason == Reason.PHONE:
        try:
            message = PhoneNumberError(detail).message
        except KeyError:
            message = ""
        return (
            _("Invalid mobile number: %(why)s") % {"why": message}
            if message
            else _("Invalid mobile number")
        )
    if reason == Reason.DUPLICATE:
        return _("Same number as line %(line)s") % {"line": detail}
    if reason == Reason.TOO_LONG:
        limit, _sep, column = detail.partition(":")
        return _("“%(column)s” is longer than %(limit)s characters") % {
            "column": column,
            "limit": limit,
        }
    if reason == Reason.NUMBER:
        return _("“%(column)s” is not a number") % {"column": detail}
    if reason == Reason.DATE:
        return _("“%(column)s” is not a date (write it as 2025-12-31 or 31/12/2025)") % {
            "column": detail
        }
    if reason == Reason.EMAIL:
        return _("Invalid email address")
    return _("No mobile number")


def failure_message(error: str) -> str:
    """Why an import failed, from the code `import_run` stored."""
    if error.startswith("file:"):
        _prefix, code, line = [*error.split(":"), "", ""][:3]
        key = "unreadable_line" if code == "unreadable" and line else code
        try:
            return ImportFileError(code, message_key=key, line=line, limit="").message
        except KeyError:
            pass
    if error == "stalled":
        return _(
            "The import stopped several times before the end. Nothing was imported: "
            "try again, or split the file in smaller ones."
        )
    return _("Something went wrong on our side. Nothing was imported: try again.")


def rejected_rows_csv(contact_import: ContactImport) -> Iterator[str]:
    """The rejected rows: line, reason, then the row's original cells (defused)."""
    writer = csv.writer(Echo())
    headers = list(contact_import.headers)
    yield "\ufeff"  # Excel reads UTF-8 with a BOM
    yield writer.writerow([_("line"), _("reason")] + [csv_safe(h) for h in headers])
    rows = (
        contact_import.rejected_rows.order_by("line")
        .only("line", "reason", "detail", "cells")
        .iterator(chunk_size=2000)
    )
    for row in rows:
        cells = list(row.cells) + [""] * (len(headers) - len(row.cells))
        yield writer.writerow(
            [row.line, rejected_reason(row.reason, row.detail)] + [csv_safe(c) for c in cells]
        )
