"""Contact import of a 1,000,000-row CSV through the real RQ job, against a bare COPY.

The baseline is PostgreSQL's own `COPY ... FROM STDIN (FORMAT csv)` of the same file
into a table without indexes: the floor on this machine. The import runs in a real
`rqworker --burst` process (parse and normalise every number, stage with COPY, merge
into the indexed contacts table, fill a list, write the report); the worker's peak
memory is read from the kernel (RUSAGE_CHILDREN). Needs PostgreSQL (DATABASE_URL).

BENCH_IMPORT_ROWS changes the size (default 1,000,000).
"""

import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import unicodedata
import uuid
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import connection, transaction

ROOT = Path(__file__).resolve().parent.parent
FIRST = ["Jean", "Marie", "Léa", "Hugo", "Chloé", "Lucas", "Emma", "Louis", "Inès", "Noah"]
LAST = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand"]
CITIES = ["Paris", "Lyon", "Marseille", "Toulouse", "Nantes", "Lille", "Bordeaux"]


def ascii_name(name: str) -> str:
    return unicodedata.normalize("NFKD", name.lower()).encode("ascii", "ignore").decode()


def _write_csv(path: Path, rows: int) -> None:
    rng = random.Random(42)
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write("Mobile;Prénom;Nom;Email;Ville\n")
        for i in range(rows):
            # 061 and a permutation of 0..10^7-1: valid, unique numbers, in no order.
            digits = f"1{(i * 7919 + 12345) % 10_000_000:07d}"
            first, last = rng.choice(FIRST), rng.choice(LAST)
            if i % 3 == 0:
                phone = f"+33 6 {digits[:2]} {digits[2:4]} {digits[4:6]} {digits[6:]}"
            elif i % 3 == 1:
                phone = f"06{digits}"
            else:
                phone = f"06 {digits[:2]} {digits[2:4]} {digits[4:6]} {digits[6:]}"
            email = f"{ascii_name(first)}.{ascii_name(last)}{i}@example.com"
            out.write(f"{phone};{first};{last};{email};{rng.choice(CITIES)}\n")


def _copy_floor(path: Path) -> float:
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_bare")
        cursor.execute(
            "CREATE TABLE bench_bare (phone text, first_name text, last_name text, "
            "email text, city text)"
        )
        start = time.perf_counter()
        with (
            open(path, "rb") as source,
            cursor.cursor.copy(
                "COPY bench_bare FROM STDIN (FORMAT csv, HEADER true, DELIMITER ';')"
            ) as copy,
        ):
            while chunk := source.read(1 << 20):
                copy.write(chunk)
        elapsed = time.perf_counter() - start
        cursor.execute("DROP TABLE bench_bare")
    return elapsed


def _indexed_floor(path: Path, account_id: int, list_id: int) -> float:
    """COPY of the same contacts, already normalised, straight into clones of the
    contacts and list-membership tables with all their indexes and foreign keys, in
    one transaction: what any import must pay for this schema, with no parsing."""
    tsv = path.with_suffix(".tsv")
    rows = 0
    with open(path, encoding="utf-8") as source, open(tsv, "w", encoding="utf-8") as out:
        next(source)
        for i, line in enumerate(source, 1):
            rows = i
            phone, first, last, email, city = line.rstrip("\n").split(";")
            digits = "".join(c for c in phone if c.isdigit())
            e164 = "+33" + digits[-9:]
            out.write(
                f"{i}\t{uuid.uuid4()}\t{account_id}\t{e164}\t{first}\t{last}\t{email}\t"
                f'{{"ville": "{city}"}}\timport\t2026-01-01 00:00:00+00\t2026-01-01 00:00:00+00\n'
            )
    columns = (
        "id, public_id, account_id, phone, first_name, last_name, email, custom, source, "
        "created_at, updated_at"
    )
    with connection.cursor() as cursor:
        for table in ("bench_membership", "bench_contact"):
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
        cursor.execute("CREATE TABLE bench_contact (LIKE contacts_contact INCLUDING ALL)")
        cursor.execute(
            "ALTER TABLE bench_contact ADD FOREIGN KEY (account_id) "
            "REFERENCES accounts_account (id) DEFERRABLE INITIALLY DEFERRED"
        )
        cursor.execute("CREATE TABLE bench_membership (LIKE contacts_membership INCLUDING ALL)")
        cursor.execute("CREATE INDEX ON bench_membership (contact_id)")
        cursor.execute(
            "ALTER TABLE bench_membership ADD FOREIGN KEY (contact_id) "
            "REFERENCES bench_contact (id) DEFERRABLE INITIALLY DEFERRED"
        )
        cursor.execute(
            "ALTER TABLE bench_membership ADD FOREIGN KEY (contact_list_id) "
            "REFERENCES contacts_contactlist (id) DEFERRABLE INITIALLY DEFERRED"
        )
        start = time.perf_counter()
        with transaction.atomic():
            with (
                open(tsv, "rb") as source,
                cursor.cursor.copy(f"COPY bench_contact ({columns}) FROM STDIN") as copy,
            ):
                while chunk := source.read(1 << 20):
                    copy.write(chunk)
            with cursor.cursor.copy(
                "COPY bench_membership (contact_id, contact_list_id, added_at) FROM STDIN"
            ) as copy:
                for i in range(1, rows + 1):
                    copy.write_row((i, list_id, "2026-01-01 00:00:00+00"))
        elapsed = time.perf_counter() - start
        for table in ("bench_membership", "bench_contact"):
            cursor.execute(f"DROP TABLE {table}")
    tsv.unlink()
    return elapsed


def _worker_env() -> dict[str, str]:
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    if db.get("PASSWORD"):
        url = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    return {
        **os.environ,
        "DATABASE_URL": url,
        "REDIS_URL": settings.REDIS_URL,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "PYTHONPATH": str(ROOT),
    }


def run() -> None:
    if connection.vendor != "postgresql":
        print("   skipped: the import benchmark needs PostgreSQL (set DATABASE_URL)")
        return
    import django_rq

    from contacts.importing.reader import guess_mapping
    from contacts.importing.service import import_create, import_start
    from contacts.models import Contact, ContactImport, ContactList
    from smsmode.accounts.models import User
    from smsmode.accounts.services import account_create

    rows = int(os.environ.get("BENCH_IMPORT_ROWS", "1000000"))
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        settings.MEDIA_ROOT = tmp
        settings.CONTACTS_IMPORT_MAX_BYTES = 1 << 31
        path = Path(tmp) / "contacts.csv"
        _write_csv(path, rows)
        size_mb = path.stat().st_size / 1e6
        floor = min(_copy_floor(path) for _ in range(2))

        owner = User.objects.create_user(email="bench-import@bench.test", password="x")
        account = account_create(name="Bench import", owner=owner, language="en")
        floor_list = ContactList.objects.create(account=account, name="Floor")
        indexed = _indexed_floor(path, account.pk, floor_list.pk)
        django_rq.get_queue("default").empty()
        with open(path, "rb") as raw:
            upload = File(raw, name="contacts.csv")
            upload.size = path.stat().st_size
            contact_import = import_create(account=account, by=owner, upload=upload)
        import_start(
            contact_import=contact_import,
            mapping=guess_mapping(contact_import.headers),
            new_list_name="Bench",
            new_fields={"ville": "Ville"},
        )
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), "rqworker", "default", "--burst"],
            env=_worker_env(),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        wall = time.perf_counter() - start
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        contact_import.refresh_from_db()
        assert contact_import.status == ContactImport.Status.DONE, contact_import.error
        assert contact_import.created == rows, contact_import.created
        assert Contact.objects.filter(account=account).count() == rows
        job = (contact_import.finished_at - contact_import.started_at).total_seconds()

    print(f"   file: {rows:,} rows, {size_mb:.0f} MB")
    print(f"   baseline  COPY into a bare table                 {floor:7.2f} s")
    print(
        f"   floor of the schema: COPY of normalised rows into\n"
        f"     contacts + memberships clones (indexes, FKs)   {indexed:7.2f} s"
        f"  = {indexed / floor:.2f}x"
    )
    print(
        f"   import, worker process start to exit             {wall:7.2f} s"
        f"  = {wall / floor:.2f}x bare, {wall / indexed:.2f}x the schema's floor"
    )
    print(f"     of which the job before its commit             {job:7.2f} s")
    print(f"   worker peak memory (max RSS)          {peak_mb:7.0f} MB")
