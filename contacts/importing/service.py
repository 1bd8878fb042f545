"""The contact import: from an uploaded file to contacts, lists and a report.

Three steps, each its own function:

1. ``import_create`` (the upload view): checks the file with the reader and keeps it
   with its header and an estimate of its rows. Status ``mapping``.
2. ``import_start`` (the mapping view): records the column mapping, the target list
   and what to do with numbers the account already has, then queues the job, exactly
   once even when the form is posted twice. Status ``queued``.
3. ``import_run`` (the RQ job): claims the import, reads the file row by row into a
   temporary staging table (COPY on PostgreSQL, batched inserts elsewhere), keeping
   memory flat and the progress current, then merges the staging table into the
   contacts with a few set-based statements **in one transaction** that also writes
   the figures, the rejected rows and the ``done`` status.

Because the merge is all-or-nothing and numbers are unique per account, an import
whose worker died is simply run again (``imports_recover_stalled``, every minute, or
the "Try again" button): nothing was applied, or everything was and the import says
``done``. It never creates a duplicate contact.

What counts as what (the report):
- ``invalid``: rows refused (no number, a number an SMS cannot reach, a bad email, a
  custom value of the wrong type, a value over its column's length);
- ``skipped_in_file``: rows whose number appeared on an earlier line (the first wins);
- ``created``: new contacts;
- ``updated``: contacts the account had, changed by the file (``on_existing=update``:
  non-empty cells replace the stored values; empty cells erase nothing);
- ``skipped_existing``: contacts the account had and that were left as they were
  (``on_existing=skip``, or nothing in the file differed);
- ``opted_out``: numbers of the file on the opt-out list: imported, and still opted out
  (an import never opts a number back in).
Every number of the file that is not invalid or a duplicate goes into the target list.
"""

from __future__ import annotations

import datetime
import json
import logging
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import connection, transaction
from django.db.models import F
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from contacts.importing.reader import ImportFileError, Table, open_table
from contacts.models import (
    Contact,
    ContactImport,
    ContactList,
    CustomField,
    ImportRejectedRow,
)
from contacts.services import list_refresh_counts
from smsmode.accounts.models import Account, User
from smsmode.sms.numbers import PhoneNumberError, normalize_phone_fast

logger = logging.getLogger(__name__)

BATCH_ROWS = 20_000  # rows staged between two progress updates
STANDARD_TARGETS = ("phone", "first_name", "last_name", "email")
FIELD_LIMITS = {"first_name": 100, "last_name": 100, "email": 254}
CUSTOM_LIMIT = 255
MAX_ATTEMPTS = 3
Reason = ImportRejectedRow.Reason


class ImportError_(ValueError):
    """A mapping the import cannot run with; the message is shown to the user."""


def import_max_bytes() -> int:
    return settings.CONTACTS_IMPORT_MAX_BYTES


def stall_seconds() -> int:
    """How long a running import may go without a heartbeat before it is run again."""
    return settings.CONTACTS_IMPORT_STALL_SECONDS


# ------------------------------------------------------------------- 1. the upload


def _estimate_rows(table: Table) -> int | None:
    """Data rows, counted cheaply: newlines of a CSV (a quoted multi-line cell makes
    it a slight overestimate), the dimension a workbook declares (None if it has none)."""
    if table.delimiter is None:
        import openpyxl

        with open(table.path, "rb") as raw:
            workbook = openpyxl.load_workbook(raw, read_only=True, data_only=True)
            try:
                sheet = workbook.worksheets[0]
                rows = sheet.max_row
            finally:
                workbook.close()
        return max(rows - table.header_line, 1) if rows else None
    lines, last = 0, b"\n"
    with open(table.path, "rb") as raw:
        while chunk := raw.read(1 << 20):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    if last != b"\n":
        lines += 1
    return max(lines - table.header_line, 1)


def import_create(*, account: Account, by: User | None, upload: UploadedFile) -> ContactImport:
    """Keep an uploaded file as a new import waiting for its mapping.

    Raises ImportFileError (with a user-facing message) for a file over the limit,
    empty, header-only, binary or not a workbook; nothing is kept then."""
    limit = import_max_bytes()
    if upload.size is not None and upload.size > limit:
        raise ImportFileError("too_big", limit=filesizeformat(limit))
    contact_import = ContactImport(
        account=account,
        created_by=by,
        filename=os.path.basename(upload.name or "contacts.csv")[:255],
        size=upload.size or 0,
    )
    contact_import.file.save(upload.name or "contacts.csv", upload, save=False)
    try:
        table = open_table(contact_import.file.path, filename=upload.name or "", max_bytes=limit)
        rows_estimate = _estimate_rows(table)
    except BaseException:
        contact_import.file.delete(save=False)
        raise
    contact_import.encoding = table.encoding or ""
    contact_import.delimiter = table.delimiter or ""
    contact_import.header_line = table.header_line
    contact_import.headers = table.headers
    contact_import.rows_estimate = rows_estimate
    contact_import.save()
    return contact_import


def import_table(contact_import: ContactImport) -> Table:
    """The import's file as the reader sees it (no re-detection)."""
    return Table(
        path=contact_import.file.path,
        headers=list(contact_import.headers),
        encoding=contact_import.encoding or None,
        delimiter=contact_import.delimiter or None,
        header_line=contact_import.header_line,
    )


def import_preview(contact_import: ContactImport, *, rows: int = 5) -> list[list[str]]:
    """The first data rows, padded to the header's width."""
    width = len(contact_import.headers)
    preview = []
    source = import_table(contact_import).rows()
    try:
        for _line, cells in source:
            preview.append((cells + [""] * width)[: max(width, len(cells))])
            if len(preview) == rows:
                break
    finally:
        source.close()
    return preview


# ------------------------------------------------------------ 2. the mapping


def import_start(
    *,
    contact_import: ContactImport,
    mapping: dict[int, str],
    target_list: ContactList | None = None,
    new_list_name: str = "",
    new_fields: dict[str, str] | None = None,
    on_existing: str = ContactImport.OnExisting.UPDATE,
) -> bool:
    """Record the mapping and queue the job. Returns False (and changes nothing) when
    the import has already left the mapping step: a second click of "Import".

    ``mapping``: column index -> "phone", "first_name", "last_name", "email" or
    "custom:<key>"; exactly one column must be the phone. ``new_fields``: key -> label
    of custom fields to create (text) for the columns mapped to new keys.
    ``new_list_name`` creates that list (or reuses the account's list of that name)."""
    targets = list(mapping.values())
    if targets.count("phone") != 1:
        raise ImportError_("phone")
    for target in set(targets):
        if targets.count(target) > 1:
            raise ImportError_("twice")
    account = contact_import.account
    with transaction.atomic():
        locked = (
            ContactImport.objects.select_for_update()
            .filter(pk=contact_import.pk, status=ContactImport.Status.MAPPING)
            .first()
        )
        if locked is None:
            return False
        for key, label in (new_fields or {}).items():
            CustomField.objects.get_or_create(
                account=account, key=key, defaults={"label": label[:80] or key}
            )
        if new_list_name:
            target_list, _created = ContactList.objects.get_or_create(
                account=account, name=new_list_name[:100]
            )
        locked.mapping = {str(index): target for index, target in mapping.items()}
        locked.target_list = target_list
        locked.on_existing = on_existing
        locked.status = ContactImport.Status.QUEUED
        locked.save(
            update_fields=["mapping", "target_list", "on_existing", "status"],
        )
        import_enqueue(locked)
    contact_import.refresh_from_db()
    return True


def import_enqueue(contact_import: ContactImport) -> None:
    """Queue the job on commit (django-rq's commit mode)."""
    import django_rq

    from contacts.jobs import import_run_job  # the job module imports this one

    django_rq.get_queue("default").enqueue(
        import_run_job, contact_import.pk, job_timeout=3 * 3600, result_ttl=3600
    )


def import_retry(*, contact_import: ContactImport) -> bool:
    """Queue a failed import again (the user's "Try again"). False if it is not failed."""
    with transaction.atomic():
        updated = ContactImport.objects.filter(
            pk=contact_import.pk, status=ContactImport.Status.FAILED
        ).update(status=ContactImport.Status.QUEUED, error="", attempts=0)
        if updated:
            import_enqueue(contact_import)
    return bool(updated)


def imports_recover_stalled() -> int:
    """Run again the imports whose worker stopped sending heartbeats (it died), and
    give up on those that already failed that way MAX_ATTEMPTS times. Idempotent."""
    limit = timezone.now() - datetime.timedelta(seconds=stall_seconds())
    stalled = ContactImport.objects.filter(
        status=ContactImport.Status.RUNNING, heartbeat_at__lt=limit
    )
    recovered = 0
    for contact_import in stalled:
        with transaction.atomic():
            if contact_import.attempts >= MAX_ATTEMPTS:
                ContactImport.objects.filter(
                    pk=contact_import.pk,
                    status=ContactImport.Status.RUNNING,
                    heartbeat_at__lt=limit,
                ).update(
                    status=ContactImport.Status.FAILED,
                    error="stalled",
                    finished_at=timezone.now(),
                )
                continue
            # Conditional: a worker that is alive after all has moved the heartbeat.
            updated = ContactImport.objects.filter(
                pk=contact_import.pk,
                status=ContactImport.Status.RUNNING,
                heartbeat_at__lt=limit,
            ).update(status=ContactImport.Status.QUEUED)
            if updated:
                import_enqueue(contact_import)
                recovered += 1
    return recovered


# ------------------------------------------------------------ 3. the job


@dataclass
class _Columns:
    phone: int
    first_name: int | None = None
    last_name: int | None = None
    email: int | None = None
    # (column index, key, type, header)
    custom: list[tuple[int, str, str, str]] = field(default_factory=list)


def _columns(contact_import: ContactImport) -> _Columns:
    types = dict(
        CustomField.objects.filter(account=contact_import.account).values_list("key", "type")
    )
    headers = contact_import.headers
    found: dict[str, int] = {}
    custom = []
    for index_text, target in contact_import.mapping.items():
        index = int(index_text)
        if target.startswith("custom:"):
            key = target.removeprefix("custom:")
            header = headers[index] if index < len(headers) else key
            custom.append((index, key, types.get(key, CustomField.Type.TEXT), header))
        elif target in STANDARD_TARGETS:
            found[target] = index
    return _Columns(
        phone=found["phone"],
        first_name=found.get("first_name"),
        last_name=found.get("last_name"),
        email=found.get("email"),
        custom=sorted(custom),
    )


class _Rejected(Exception):
    def __init__(self, reason: str, detail: str = "") -> None:
        self.reason = reason
        self.detail = detail


def _custom_number(text: str) -> str:
    cleaned = text.replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    if "," in cleaned and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(text) from None
    if not value.is_finite():
        raise ValueError(text)
    return format(value.normalize() if value == value.to_integral() else value, "f")


_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y/%m/%d")


def _custom_date(text: str) -> str:
    candidate = text[:10] if len(text) > 10 and text[10] in "T " else text
    for fmt in _DATE_FORMATS:
        try:
            return datetime.datetime.strptime(candidate, fmt).date().isoformat()
        except ValueError:
            continue
    raise ValueError(text)


# Addresses of the common shape, all of which Django's validate_email accepts too: a
# dot-atom of letters, digits and _%+- and a domain of letters, digits and hyphens.
# One compiled match (~1 µs) instead of the validator (~10 µs); anything else still
# goes through the validator.
_PLAIN_EMAIL = re.compile(
    r"[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)


def _row_values(
    cells: list[str], columns: _Columns, region: str, headers: list[str]
) -> tuple[str, str, str, str, str]:
    """(phone E.164, first name, last name, email, custom JSON) or _Rejected."""
    width = len(cells)

    def cell(index: int | None) -> str:
        return cells[index] if index is not None and index < width else ""

    raw_phone = cell(columns.phone)
    if not raw_phone:
        raise _Rejected(Reason.NO_PHONE)
    try:
        phone = normalize_phone_fast(raw_phone, default_region=region)
    except PhoneNumberError as exc:
        raise _Rejected(Reason.PHONE, exc.code) from None
    values = {}
    for target in ("first_name", "last_name", "email"):
        index = getattr(columns, target)
        value = cell(index)
        if len(value) > FIELD_LIMITS[target]:
            header = headers[index] if index is not None and index < len(headers) else target
            raise _Rejected(Reason.TOO_LONG, f"{FIELD_LIMITS[target]}:{header}")
        values[target] = value
    email = values["email"]
    if email and not _PLAIN_EMAIL.fullmatch(email):
        try:
            validate_email(email)
        except ValidationError:
            raise _Rejected(Reason.EMAIL) from None
    custom = {}
    for index, key, kind, header in columns.custom:
        value = cell(index)
        if not value:
            continue
        if len(value) > CUSTOM_LIMIT:
            raise _Rejected(Reason.TOO_LONG, f"{CUSTOM_LIMIT}:{header}")
        try:
            if kind == CustomField.Type.NUMBER:
                value = _custom_number(value)
            elif kind == CustomField.Type.DATE:
                value = _custom_date(value)
        except ValueError:
            raise _Rejected(
                Reason.NUMBER if kind == CustomField.Type.NUMBER else Reason.DATE, header
            ) from None
        custom[key] = value
    custom_json = json.dumps(custom, ensure_ascii=False) if custom else "{}"
    return phone, values["first_name"], values["last_name"], values["email"], custom_json


StageRow = tuple[int, str | None, str, str, str, str, str | None, str, str | None]


def _stage_rows(contact_import: ContactImport, columns: _Columns) -> Iterator[StageRow]:
    """(line, phone, first, last, email, custom, reason, detail, cells) per data row."""
    region = contact_import.account.country or "FR"
    headers = list(contact_import.headers)
    for line, cells in import_table(contact_import).rows():
        try:
            phone, first, last, email, custom = _row_values(cells, columns, region, headers)
        except _Rejected as rejected:
            yield (
                line,
                None,
                "",
                "",
                "",
                "{}",
                rejected.reason,
                rejected.detail,
                json.dumps([cell[:1000] for cell in cells[:200]], ensure_ascii=False),
            )
            continue
        yield (line, phone, first, last, email, custom, None, "", None)


STAGE = "contacts_import_stage"
_STAGE_COLUMNS = "line, phone, first_name, last_name, email, custom, reason, detail, cells"


def _create_stage(cursor) -> None:
    json_type = "jsonb" if connection.vendor == "postgresql" else "text"
    cursor.execute(f"DROP TABLE IF EXISTS {STAGE}")
    cursor.execute(
        f"CREATE TEMPORARY TABLE {STAGE} ("
        "line integer NOT NULL, phone varchar(16), first_name varchar(100) NOT NULL, "
        "last_name varchar(100) NOT NULL, email varchar(254) NOT NULL, "
        f"custom {json_type} NOT NULL, reason varchar(10), detail varchar(255) NOT NULL, "
        f"cells {json_type})"
    )


class _Superseded(Exception):
    """Another attempt owns the import now (this worker was thought dead)."""


def _heartbeat(contact_import: ContactImport, rows_read: int) -> None:
    alive = ContactImport.objects.filter(
        pk=contact_import.pk,
        status=ContactImport.Status.RUNNING,
        attempts=contact_import.attempts,
    ).update(rows_read=rows_read, heartbeat_at=timezone.now())
    if not alive:
        raise _Superseded


def _fill_stage(cursor, contact_import: ContactImport, columns: _Columns) -> int:
    """Stream the file into the staging table, one batch between heartbeats.

    Outside a transaction (as in a worker) each batch and heartbeat commits at once,
    so the progress is visible; inside one (tests) a savepoint keeps a failed COPY
    from breaking the enclosing transaction."""
    if connection.in_atomic_block:
        with transaction.atomic():
            return _fill_stage_batches(cursor, contact_import, columns)
    return _fill_stage_batches(cursor, contact_import, columns)


def _fill_stage_batches(cursor, contact_import: ContactImport, columns: _Columns) -> int:
    rows = _stage_rows(contact_import, columns)
    read = 0
    postgres = connection.vendor == "postgresql"
    insert = f"INSERT INTO {STAGE} ({_STAGE_COLUMNS}) VALUES ({', '.join(['%s'] * 9)})"
    while True:
        batch = 0
        if postgres:
            with cursor.cursor.copy(f"COPY {STAGE} ({_STAGE_COLUMNS}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    batch += 1
                    if batch == BATCH_ROWS:
                        break
        else:
            chunk = []
            for row in rows:
                chunk.append(row)
                if len(chunk) == BATCH_ROWS:
                    break
            cursor.executemany(insert, chunk)
            batch = len(chunk)
        read += batch
        _heartbeat(contact_import, read)
        if batch < BATCH_ROWS:
            return read


def _sql(postgres: bool) -> dict[str, str]:
    """The statements of the merge that differ between PostgreSQL and SQLite."""
    if postgres:
        return {
            "uuid": "gen_random_uuid()",
            "merged": "c.custom || s.custom",
            "changed": "c.custom || s.custom <> c.custom",
        }
    return {
        "uuid": "lower(hex(randomblob(16)))",
        "merged": "json_patch(c.custom, s.custom)",
        "changed": "json_patch(c.custom, s.custom) <> json(c.custom)",
    }


def _merge(cursor, contact_import: ContactImport, now: datetime.datetime) -> dict[str, int]:
    postgres = connection.vendor == "postgresql"
    sql = _sql(postgres)
    account_id = contact_import.account_id
    if postgres:
        cursor.execute(f"ANALYZE {STAGE}")  # temporary tables are never auto-analysed

    # Duplicates inside the file: the first line of a number wins.
    cursor.execute(
        f"UPDATE {STAGE} SET reason = %s, detail = CAST(f.first_line AS varchar(255)) "
        f"FROM (SELECT phone AS dup_phone, MIN(line) AS first_line FROM {STAGE} "
        "WHERE reason IS NULL GROUP BY phone HAVING COUNT(*) > 1) f "
        f"WHERE {STAGE}.phone = f.dup_phone AND {STAGE}.reason IS NULL "
        f"AND {STAGE}.line > f.first_line",
        [Reason.DUPLICATE],
    )
    updated = 0
    if contact_import.on_existing == ContactImport.OnExisting.UPDATE:
        # Before the insert, so that it only meets contacts the account already had.
        cursor.execute(
            f"UPDATE contacts_contact AS c SET "
            "first_name = CASE WHEN s.first_name <> '' THEN s.first_name ELSE c.first_name END, "
            "last_name = CASE WHEN s.last_name <> '' THEN s.last_name ELSE c.last_name END, "
            "email = CASE WHEN s.email <> '' THEN s.email ELSE c.email END, "
            f"custom = {sql['merged']}, updated_at = %s "
            f"FROM {STAGE} s WHERE c.account_id = %s AND c.phone = s.phone "
            "AND s.reason IS NULL AND ("
            "(s.first_name <> '' AND s.first_name <> c.first_name) "
            "OR (s.last_name <> '' AND s.last_name <> c.last_name) "
            "OR (s.email <> '' AND s.email <> c.email) "
            f"OR {sql['changed']})",
            [now, account_id],
        )
        updated = cursor.rowcount
    # Numbers the account has (or that a concurrent add just created) conflict on
    # (account, phone) and are left alone. Phone order keeps the unique index's
    # insertions close together.
    cursor.execute(
        "INSERT INTO contacts_contact (public_id, account_id, phone, first_name, last_name, "
        "email, custom, source, created_at, updated_at) "
        f"SELECT {sql['uuid']}, %s, s.phone, s.first_name, s.last_name, s.email, s.custom, "
        f"%s, %s, %s FROM {STAGE} s WHERE s.reason IS NULL "
        "ORDER BY s.phone ON CONFLICT DO NOTHING",
        [account_id, Contact.Source.IMPORT, now, now],
    )
    created = cursor.rowcount
    if contact_import.target_list_id:
        cursor.execute(
            "INSERT INTO contacts_membership (contact_id, contact_list_id, added_at) "
            f"SELECT c.id, %s, %s FROM {STAGE} s JOIN contacts_contact c "
            "ON c.account_id = %s AND c.phone = s.phone "
            "WHERE s.reason IS NULL ORDER BY c.id ON CONFLICT DO NOTHING",
            [contact_import.target_list_id, now, account_id],
        )
    cursor.execute(
        f"SELECT COUNT(*) FROM {STAGE} s WHERE s.reason IS NULL AND EXISTS ("
        "SELECT 1 FROM contacts_optout o WHERE o.account_id = %s AND o.phone = s.phone "
        "AND o.removed_at IS NULL)",
        [account_id],
    )
    opted_out = cursor.fetchone()[0]
    cursor.execute(
        f"SELECT reason, COUNT(*) FROM {STAGE} GROUP BY reason",
    )
    by_reason = {reason: count for reason, count in cursor.fetchall()}
    kept = by_reason.pop(None, 0)
    cursor.execute(
        "INSERT INTO contacts_importrejectedrow (contact_import_id, line, reason, detail, cells) "
        f"SELECT %s, line, reason, detail, COALESCE(cells, '[]') FROM {STAGE} "
        "WHERE reason IS NOT NULL ORDER BY line",
        [contact_import.pk],
    )
    duplicates = by_reason.pop(Reason.DUPLICATE, 0)
    return {
        "created": created,
        "updated": updated,
        "skipped_existing": kept - created - updated,
        "skipped_in_file": duplicates,
        "opted_out": opted_out,
        "invalid": sum(by_reason.values()),
    }


def import_run(*, import_id: int) -> str:
    """Run a queued import to its end. Safe to call twice, concurrently or after a
    crash: the claim is a conditional update, and the merge is one transaction that
    first checks, under the import's row lock, that this attempt still owns it.
    Returns the final status (or "skipped" when there was nothing to do)."""
    now = timezone.now()
    claimed = ContactImport.objects.filter(pk=import_id, status=ContactImport.Status.QUEUED).update(
        status=ContactImport.Status.RUNNING,
        attempts=F("attempts") + 1,
        heartbeat_at=now,
        started_at=now,
        rows_read=0,
        error="",
    )
    if claimed != 1:
        return "skipped"
    contact_import = ContactImport.objects.select_related("account").get(pk=import_id)
    try:
        columns = _columns(contact_import)
        with connection.cursor() as cursor:
            _create_stage(cursor)
            try:
                started = time.perf_counter()
                rows_read = _fill_stage(cursor, contact_import, columns)
                staged = time.perf_counter()
                with transaction.atomic():
                    owner = (
                        ContactImport.objects.select_for_update()
                        .filter(
                            pk=import_id,
                            status=ContactImport.Status.RUNNING,
                            attempts=contact_import.attempts,
                        )
                        .first()
                    )
                    if owner is None:
                        raise _Superseded
                    if connection.vendor == "postgresql":
                        # Not waiting for the WAL flush is safe here: a server crash
                        # right after the commit loses the whole import, status
                        # included, and the stalled import is run again.
                        cursor.execute("SET LOCAL synchronous_commit = off")
                    figures = _merge(cursor, contact_import, timezone.now())
                    ContactImport.objects.filter(pk=import_id).update(
                        status=ContactImport.Status.DONE,
                        rows_read=rows_read,
                        finished_at=timezone.now(),
                        heartbeat_at=timezone.now(),
                        **figures,
                    )
                    if contact_import.target_list_id:
                        list_refresh_counts([contact_import.target_list_id])
                    transaction.on_commit(lambda: _drop_file(import_id))
                logger.info(
                    "import %s: %s rows staged in %.1f s, merged in %.1f s",
                    import_id,
                    rows_read,
                    staged - started,
                    time.perf_counter() - staged,
                )
            finally:
                cursor.execute(f"DROP TABLE IF EXISTS {STAGE}")
    except _Superseded:
        logger.info("import %s: another attempt owns it now", import_id)
        return "skipped"
    except ImportFileError as exc:
        _fail(contact_import, f"file:{exc.code}:{exc.params.get('line', '')}")
        return ContactImport.Status.FAILED
    except Exception:
        logger.exception("import %s failed", import_id)
        _fail(contact_import, "internal")
        raise
    return ContactImport.Status.DONE


def _fail(contact_import: ContactImport, error: str) -> None:
    ContactImport.objects.filter(
        pk=contact_import.pk,
        status=ContactImport.Status.RUNNING,
        attempts=contact_import.attempts,
    ).update(status=ContactImport.Status.FAILED, error=error, finished_at=timezone.now())


def _drop_file(import_id: int) -> None:
    """The file is not needed once the import is done: the report keeps what was
    rejected. (A failed import keeps its file for "Try again".)"""
    contact_import = ContactImport.objects.filter(pk=import_id).first()
    if contact_import and contact_import.file:
        contact_import.file.delete(save=False)
        ContactImport.objects.filter(pk=import_id).update(file="")
