"""Read an uploaded contact file (CSV or XLSX) as a header and a stream of rows.

Pure Python, no database. Memory stays flat whatever the file size: only the
first 64 kB are read to detect the encoding and the delimiter, and rows are
yielded one at a time (``Table.rows()`` reopens the file on every call, so a
preview and the import job can each iterate it).

CSV: comma, semicolon or tab; UTF-8 (with or without BOM), else Windows-1252.
Windows-1252 is read instead of Latin-1 because it is a superset of it for
printable text: the two differ only in 0x80-0x9F, which Latin-1 maps to
invisible control characters and Windows-1252 to "€", "œ" and the curly
apostrophe that French spreadsheets saved by Excel do contain. The five bytes Windows-1252 leaves
undefined are replaced by U+FFFD rather than failing the whole import.

XLSX: openpyxl in read-only mode, first sheet, every cell turned into text
(dates in ISO 8601, whole numbers without ".0" so phone numbers survive).

Cells are stripped; rows may be shorter or longer than the header. Very long
cells are kept as they are: the import rejects them with the row's line number.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import os
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Generator
from dataclasses import dataclass

from django.template.defaultfilters import filesizeformat
from django.utils.text import slugify
from django.utils.translation import gettext, gettext_noop

SAMPLE_SIZE = 64 * 1024
DELIMITERS = (",", ";", "\t")
XLSX_EXTENSIONS = (".xlsx", ".xlsm")
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old .xls (and .doc) files
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)

_MESSAGES = {
    "empty": gettext_noop("The file is empty."),
    "header_only": gettext_noop(
        "The file only has a header line: there are no contacts to import below it."
    ),
    "binary": gettext_noop(
        "This is not a text CSV file. Save your spreadsheet as “CSV UTF-8” or as an "
        "Excel workbook (.xlsx) and upload it again."
    ),
    "utf16": gettext_noop(
        "This file is encoded in UTF-16 (“Unicode text”), which is not supported. "
        "Save it as “CSV UTF-8” and upload it again."
    ),
    "too_big": gettext_noop("The file is too big: the limit is %(limit)s."),
    "unreadable": gettext_noop("The file could not be read. Save it as “CSV UTF-8” and try again."),
    "unreadable_line": gettext_noop(
        "The file could not be read after line %(line)s (broken quotes or an unexpected "
        "character?). Save it as “CSV UTF-8” and try again."
    ),
    "not_xlsx": gettext_noop(
        "This is not a valid Excel workbook (.xlsx). Old .xls files are not supported: "
        "save it as .xlsx or as “CSV UTF-8”."
    ),
}


class ImportFileError(ValueError):
    """A file that cannot be imported at all (as opposed to an invalid row).

    ``code`` is one of: empty, header_only, binary, too_big, unreadable, not_xlsx;
    ``message`` is translated into the language active when it was raised.
    """

    def __init__(self, code: str, *, message_key: str | None = None, **params: object) -> None:
        self.code = code
        self.params = params
        self.message = gettext(_MESSAGES[message_key or code]) % params
        super().__init__(self.message)


def detect_encoding(sample: bytes, *, complete: bool = False) -> str:
    """ "utf-8-sig", "utf-8" or "cp1252" for the first bytes of a text file.

    ``complete`` says the sample is the whole file (so it cannot end mid-character).
    Raises ImportFileError("binary") for NUL bytes: images, archives, old .xls
    files and UTF-16 text (refused with its own message) all contain them.
    """
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith(_UTF16_BOMS):
        raise ImportFileError("binary", message_key="utf16")
    if b"\x00" in sample:
        # UTF-16 without BOM: every other byte is NUL in Latin text.
        if sample[1::2].count(0) > len(sample) // 4 or sample[0::2].count(0) > len(sample) // 4:
            raise ImportFileError("binary", message_key="utf16")
        raise ImportFileError("binary")
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A sample cut from a longer file may end inside a multibyte character (at
        # most 3 of its 4 bytes). In a whole file the same error is a Latin-1 "é"
        # as the last byte.
        truncated = exc.reason == "unexpected end of data" and exc.start >= len(sample) - 3
        if complete or not truncated:
            return "cp1252"
    return "utf-8"


def _column_counts(lines: list[str], delimiter: str) -> list[int]:
    try:
        return [len(row) for row in csv.reader(lines, delimiter=delimiter) if row]
    except csv.Error:
        return []


def _consistency(lines: list[str], delimiter: str) -> tuple[float, int]:
    """(share of rows having the most common column count, that count) if > 1."""
    counts = _column_counts(lines, delimiter)
    if not counts:
        return (0.0, 0)
    columns, rows = Counter(counts).most_common(1)[0]
    if columns < 2:
        return (0.0, 0)
    return (rows / len(counts), columns)


def detect_delimiter(sample_text: str) -> str:
    """The delimiter among "," ";" and tab that splits the sample into a table.

    csv.Sniffer first, kept only if it gives a consistent multi-column split;
    else the candidate giving the most consistent column count above one. A file
    of a single column (a plain list of numbers) gets ",".
    """
    # Drop a last line cut in the middle by the sample size.
    if "\n" in sample_text and not sample_text.endswith("\n"):
        sample_text = sample_text[: sample_text.rindex("\n") + 1]
    lines = sample_text.splitlines(keepends=True)[:50]
    scores = {delimiter: _consistency(lines, delimiter) for delimiter in DELIMITERS}
    try:
        sniffed = csv.Sniffer().sniff("".join(lines), delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        sniffed = None
    best = max(DELIMITERS, key=lambda d: scores[d])  # ties: the order of DELIMITERS
    if sniffed in scores and scores[sniffed][0] >= scores[best][0] and scores[sniffed][1] > 1:
        return sniffed
    if scores[best][1] > 1:
        return best
    return ","


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0, 0) and value.tzinfo is None:
            return value.date().isoformat()  # Excel stores dates as midnight datetimes
        return value.isoformat()
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # 33612345678.0 is a phone number typed as a number
    return str(value).strip()


def _is_blank(cells: list[str]) -> bool:
    return not any(cells)


@dataclass
class Table:
    """A header and lazily read rows. ``delimiter`` is None for a workbook."""

    path: str
    headers: list[str]
    encoding: str | None
    delimiter: str | None
    header_line: int = 1

    def rows(self) -> Generator[tuple[int, list[str]]]:
        """Yield (line number as the user sees it, stripped cells), skipping blank rows.

        Raises ImportFileError("unreadable") if the file breaks part-way.
        """
        if self.delimiter is None:
            source = _read_xlsx(self.path)
        else:
            source = _read_csv(self.path, self.encoding or "utf-8", self.delimiter)
        try:
            for line, cells in source:
                if line > self.header_line and not _is_blank(cells):
                    yield line, cells
        finally:
            source.close()  # closes the file at once when the caller stops early


def _read_csv(path: str, encoding: str, delimiter: str) -> Generator[tuple[int, list[str]]]:
    errors = "replace" if encoding == "cp1252" else "strict"
    with open(path, "rb") as raw:
        text = io.TextIOWrapper(raw, encoding=encoding, errors=errors, newline="")
        reader = csv.reader(text, delimiter=delimiter)
        # A quoted cell may span several physical lines: a row starts on the line
        # after the one where the previous row ended.
        previous_end = 0
        try:
            for row in reader:
                yield previous_end + 1, [cell.strip() for cell in row]
                previous_end = reader.line_num
        except (UnicodeDecodeError, csv.Error):
            # csv.Error includes a field over csv.field_size_limit(): an unclosed
            # quote stops there instead of swallowing the rest of the file.
            raise ImportFileError(
                "unreadable", message_key="unreadable_line", line=previous_end
            ) from None


def _read_xlsx(path: str) -> Generator[tuple[int, list[str]]]:
    import openpyxl  # only workbooks pay for the import

    # A file object, not the path: openpyxl refuses paths not ending in .xlsx, and
    # uploads are saved under temporary names.
    raw = open(path, "rb")  # noqa: SIM115 - closed in the finally below
    try:
        workbook = openpyxl.load_workbook(raw, read_only=True, data_only=True)
    except Exception:  # openpyxl raises a zoo of errors for a corrupt file
        raw.close()
        raise ImportFileError("not_xlsx") from None
    line = 0
    try:
        if not workbook.worksheets:
            return
        # Read-only sheets fill missing rows with empty ones, so the count is the
        # row number Excel shows.
        for line, values in enumerate(workbook.worksheets[0].iter_rows(values_only=True), 1):
            yield line, [_cell_text(value) for value in values]
    except ImportFileError:
        raise
    except Exception:
        raise ImportFileError("unreadable", message_key="unreadable_line", line=line) from None
    finally:
        workbook.close()
        raw.close()


def _is_xlsx(filename: str, head: bytes) -> bool:
    if filename.lower().endswith(XLSX_EXTENSIONS):
        return True
    return head.startswith(_ZIP_MAGIC)


def open_table(path: str, *, filename: str, max_bytes: int) -> Table:
    """Check the file at ``path`` and read its header; rows are read later.

    ``filename`` is the name the user uploaded (its extension decides between CSV
    and XLSX, along with the file's first bytes). Raises ImportFileError for a
    file too big, empty, header-only, binary, or not a workbook despite its name.
    """
    size = os.path.getsize(path)
    if size > max_bytes:
        raise ImportFileError("too_big", limit=filesizeformat(max_bytes))
    if size == 0:
        raise ImportFileError("empty")
    with open(path, "rb") as raw:
        head = raw.read(SAMPLE_SIZE)

    if head.startswith(_OLE_MAGIC) or filename.lower().endswith(".xls"):
        raise ImportFileError("not_xlsx")
    if _is_xlsx(filename, head):
        if not zipfile.is_zipfile(path):
            raise ImportFileError("not_xlsx")
        encoding, delimiter = None, None
        source = _read_xlsx(path)
    else:
        encoding = detect_encoding(head, complete=size <= len(head))
        delimiter = detect_delimiter(head.decode(encoding, errors="replace"))
        source = _read_csv(path, encoding, delimiter)

    try:
        header_line, headers = next(
            ((line, cells) for line, cells in source if not _is_blank(cells)), (0, None)
        )
    finally:
        source.close()
    if headers is None:
        raise ImportFileError("empty")
    while headers and not headers[-1]:
        headers.pop()  # spreadsheets often report empty columns after the data

    table = Table(
        path=path,
        headers=headers,
        encoding=encoding,
        delimiter=delimiter,
        header_line=header_line,
    )
    rows = table.rows()
    try:
        if next(rows, None) is None:
            raise ImportFileError("header_only")
    finally:
        rows.close()
    return table


# Headers are compared without case, accents, spaces or punctuation.
_SYNONYMS = {
    "phone": {
        "phone",
        "phonenumber",
        "mobile",
        "mobilephone",
        "mobilenumber",
        "portable",
        "telephone",
        "tel",
        "telportable",
        "numero",
        "numerodetelephone",
        "numerotelephone",
        "numerodeportable",
        "numeroportable",
        "numeromobile",
        "num",
        "gsm",
        "msisdn",
        "cell",
        "cellphone",
        "cellular",
        "sms",
    },
    "first_name": {"firstname", "prenom", "first", "givenname", "forename"},
    "last_name": {"lastname", "nom", "name", "surname", "nomdefamille", "familyname", "last"},
    "email": {
        "email",
        "mail",
        "courriel",
        "emailaddress",
        "adressemail",
        "adresseemail",
        "adressecourriel",
    },
}
# Headers such as "Téléphone 2" or "Mobile (pro)": a keyword inside the header.
_PHONE_WORDS = ("phone", "mobile", "portable", "telephone", "gsm", "msisdn")
_EMAIL_WORDS = ("mail", "courriel")
_CUSTOM_KEY_LENGTH = 40  # CustomField.key max_length


def _normalize(header: str) -> str:
    decomposed = unicodedata.normalize("NFKD", header.casefold())
    return "".join(c for c in decomposed if c.isalnum() and not unicodedata.combining(c))


def _target_for(normalized: str) -> str | None:
    for target, names in _SYNONYMS.items():
        if normalized in names:
            return target
    if any(word in normalized for word in _PHONE_WORDS):
        return "phone"
    if any(word in normalized for word in _EMAIL_WORDS):
        return "email"
    return None


def guess_mapping(headers: list[str]) -> dict[int, str]:
    """Column index → "phone", "first_name", "last_name", "email" or "custom:<key>".

    Each standard target goes to the first column that matches it; a later match
    becomes a custom field like any unknown header. Columns without a header (or
    whose header has no letter or digit) are left out: the user maps them by hand.
    """
    mapping: dict[int, str] = {}
    used: set[str] = set()
    for index, header in enumerate(headers):
        target = _target_for(_normalize(header))
        if target and target not in used:
            mapping[index] = target
            used.add(target)
            continue
        # Underscores, not hyphens: the key is typed as {date_of_birth} in messages.
        key = slugify(header).replace("-", "_")[:_CUSTOM_KEY_LENGTH].strip("_")
        if not key:
            continue
        unique, suffix = key, 2
        while f"custom:{unique}" in used:
            unique = f"{key[: _CUSTOM_KEY_LENGTH - 1 - len(str(suffix))]}_{suffix}"
            suffix += 1
        mapping[index] = f"custom:{unique}"
        used.add(mapping[index])
    return mapping
