"""A real worker process killed in the middle of an import: the import is run again
and ends with every contact exactly once. PostgreSQL only (the worker is another
process and must see the test database)."""

import subprocess
import sys
import time
from pathlib import Path

import django_rq
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from rq import SimpleWorker

from contacts.importing.reader import guess_mapping
from contacts.importing.service import import_create, import_start, imports_recover_stalled
from contacts.models import Contact, ContactImport
from tests.workers import kill_worker, worker_env

ROOT = Path(__file__).resolve().parents[2]
ROWS = 60_000

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_an_import_survives_the_death_of_its_worker(team, settings, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: the worker process must reach the test database")
    settings.MEDIA_ROOT = str(tmp_path / "media")
    queue = django_rq.get_queue("default")
    queue.connection.flushdb()  # this test worker's own Redis database
    content = "phone,first_name\n" + "".join(f"06{10000000 + i:08d},P{i}\n" for i in range(ROWS))
    contact_import = import_create(
        account=team.account,
        by=team.owner,
        upload=SimpleUploadedFile("big.csv", content.encode()),
    )
    assert import_start(
        contact_import=contact_import, mapping=guess_mapping(contact_import.headers)
    )
    assert queue.count == 1

    worker = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "rqworker", "default", "--burst"],
        env=worker_env(),
        cwd=ROOT,
        start_new_session=True,  # its own process group: the work horse dies with it
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            contact_import.refresh_from_db()
            # Killed with some rows staged, before the merge.
            if contact_import.rows_read > 0 or contact_import.is_finished:
                break
            time.sleep(0.02)
        kill_worker(worker)  # no chance to clean up
    finally:
        if worker.poll() is None:
            kill_worker(worker)

    contact_import.refresh_from_db()
    assert contact_import.status == ContactImport.Status.RUNNING, contact_import.status
    assert 0 < contact_import.rows_read < ROWS
    assert not Contact.objects.filter(account=team.account).exists()  # nothing applied

    settings.CONTACTS_IMPORT_STALL_SECONDS = 0
    time.sleep(0.01)
    assert imports_recover_stalled() == 1
    SimpleWorker([queue], connection=queue.connection).work(burst=True)

    contact_import.refresh_from_db()
    assert contact_import.status == ContactImport.Status.DONE
    assert (contact_import.created, contact_import.attempts) == (ROWS, 2)
    assert Contact.objects.filter(account=team.account).count() == ROWS
    queue.connection.flushdb()
