"""The import job: figures of the report, rejected rows, policies, and recovery.

Runs against the real database (SQLite locally, PostgreSQL in CI, where the staging
goes through COPY) and calls the job's service directly; one test goes through RQ.
"""

import datetime
import io
import os

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rq import SimpleWorker

from contacts.importing import service
from contacts.importing.reader import ImportFileError, guess_mapping
from contacts.importing.service import (
    import_create,
    import_retry,
    import_run,
    import_start,
    imports_recover_stalled,
)
from contacts.models import (
    Contact,
    ContactImport,
    ContactList,
    CustomField,
    Membership,
    OptOut,
)

pytestmark = pytest.mark.django_db

FIGURES = ("created", "updated", "skipped_existing", "skipped_in_file", "invalid", "opted_out")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def upload(team, content: bytes | str, name: str = "contacts.csv") -> ContactImport:
    data = content.encode() if isinstance(content, str) else content
    return import_create(account=team.account, by=team.owner, upload=SimpleUploadedFile(name, data))


def start(contact_import: ContactImport, **options) -> ContactImport:
    mapping = options.pop("mapping", None) or guess_mapping(contact_import.headers)
    new_fields = options.pop("new_fields", None)
    if new_fields is None:
        new_fields = {
            target.removeprefix("custom:"): contact_import.headers[index]
            for index, target in mapping.items()
            if target.startswith("custom:")
        }
    assert import_start(
        contact_import=contact_import, mapping=mapping, new_fields=new_fields, **options
    )
    return contact_import


def run(contact_import: ContactImport) -> ContactImport:
    import_run(import_id=contact_import.pk)
    contact_import.refresh_from_db()
    return contact_import


def figures(contact_import: ContactImport) -> dict[str, int]:
    return {name: getattr(contact_import, name) for name in FIGURES}


def rejected(contact_import: ContactImport) -> list[tuple[int, str, str]]:
    return list(
        contact_import.rejected_rows.order_by("line").values_list("line", "reason", "detail")
    )


def test_it_imports_a_file_and_reports_every_figure(team, django_capture_on_commit_callbacks):
    Contact.objects.create(account=team.account, phone="+33612345679", first_name="Old")
    Contact.objects.create(account=team.account, phone="+33612345682", first_name="Same")
    OptOut.objects.create(account=team.account, phone="+33612345680", source="stop")
    content = (
        "Mobile;Prénom;Nom;E-mail;Ville\n"
        "06 12 34 56 78;Jean;Dupont;jean@example.com;Paris\n"  # 2 created
        "+33612345678;Again;;;\n"  # 3 duplicate of line 2
        "0612345679;New;;;Lyon\n"  # 4 updated
        "0612345680;Opted;;;\n"  # 5 created, opted out
        "abc;;;;\n"  # 6 not a number
        "01 23 45 67 89;;;;\n"  # 7 a landline
        ";;;;\n"  # blank: not a row
        "0612345681;A;B;not-an-email;\n"  # 9 bad email
        ";Nobody;;;\n"  # 10 no number
        "0612345682;Same;;;\n"  # 11 already there, nothing new
        "+32 470 12 34 56;Belge;;;\n"  # 12 created (Belgium)
    )
    contact_import = start(upload(team, content), new_list_name="Salon 2026")
    path = contact_import.file.path
    with django_capture_on_commit_callbacks(execute=True):
        import_run(import_id=contact_import.pk)
    contact_import.refresh_from_db()

    assert contact_import.status == ContactImport.Status.DONE
    assert contact_import.rows_read == 10  # the blank line is not a row
    assert figures(contact_import) == {
        "created": 3,
        "updated": 1,
        "skipped_existing": 1,
        "skipped_in_file": 1,
        "invalid": 4,
        "opted_out": 1,
    }
    assert rejected(contact_import) == [
        (3, "duplicate", "2"),
        (6, "phone", "not_a_number"),
        (7, "phone", "not_mobile"),
        (9, "email", ""),
        (10, "no_phone", ""),
    ]
    jean = Contact.objects.get(account=team.account, phone="+33612345678")
    assert (jean.first_name, jean.last_name, jean.email) == ("Jean", "Dupont", "jean@example.com")
    assert jean.custom == {"ville": "Paris"}
    assert jean.source == Contact.Source.IMPORT
    updated = Contact.objects.get(account=team.account, phone="+33612345679")
    assert (updated.first_name, updated.custom) == ("New", {"ville": "Lyon"})
    assert Contact.objects.filter(account=team.account, phone="+32470123456").exists()
    # The opted-out number is a contact now, and still opted out.
    assert OptOut.objects.filter(
        account=team.account, phone="+33612345680", removed_at__isnull=True
    ).exists()
    # Every valid number of the file is in the list, old and new.
    salon = ContactList.objects.get(account=team.account, name="Salon 2026")
    assert contact_import.target_list == salon
    assert salon.contact_count == 5
    assert set(salon.contacts.values_list("phone", flat=True)) == {
        "+33612345678",
        "+33612345679",
        "+33612345680",
        "+33612345682",
        "+32470123456",
    }
    assert CustomField.objects.get(account=team.account, key="ville").label == "Ville"
    assert not contact_import.file  # the file is dropped once done
    assert not os.path.exists(path)


def test_nothing_lands_in_another_account(team):
    Contact.objects.create(account=team.outsider_account, phone="+33612345678", first_name="Theirs")
    contact_import = run(start(upload(team, "phone,first_name\n0612345678,Mine\n")))
    assert contact_import.created == 1
    assert Contact.objects.get(account=team.outsider_account).first_name == "Theirs"
    assert Contact.objects.get(account=team.account).first_name == "Mine"


def test_skip_leaves_existing_contacts_as_they_are_but_adds_them_to_the_list(team):
    vip = ContactList.objects.create(account=team.account, name="VIP")
    Contact.objects.create(
        account=team.account, phone="+33612345678", first_name="Keep", custom={"city": "Nice"}
    )
    contact_import = run(
        start(
            upload(team, "phone,first_name,city\n0612345678,Changed,Paris\n0612345699,New,Lyon\n"),
            target_list=vip,
            on_existing=ContactImport.OnExisting.SKIP,
        )
    )
    assert figures(contact_import) == {
        "created": 1,
        "updated": 0,
        "skipped_existing": 1,
        "skipped_in_file": 0,
        "invalid": 0,
        "opted_out": 0,
    }
    kept = Contact.objects.get(account=team.account, phone="+33612345678")
    assert (kept.first_name, kept.custom) == ("Keep", {"city": "Nice"})
    vip.refresh_from_db()
    assert vip.contact_count == 2


def test_update_never_erases_with_empty_cells_and_merges_custom_values(team):
    Contact.objects.create(
        account=team.account,
        phone="+33612345678",
        first_name="Anne",
        last_name="Durand",
        email="anne@example.com",
        custom={"city": "Nice", "shop": "A"},
    )
    contact_import = run(
        start(upload(team, "phone,first_name,last_name,email,city\n0612345678,,Martin,,Paris\n"))
    )
    assert contact_import.updated == 1
    anne = Contact.objects.get(account=team.account, phone="+33612345678")
    assert (anne.first_name, anne.last_name, anne.email) == ("Anne", "Martin", "anne@example.com")
    assert anne.custom == {"city": "Paris", "shop": "A"}


def test_reimporting_the_same_file_creates_nothing_twice(team):
    content = "phone,first_name\n0612345678,Jean\n0612345679,Marie\n"
    first = run(start(upload(team, content)))
    again = run(start(upload(team, content)))
    assert first.created == 2
    assert (again.created, again.updated, again.skipped_existing) == (0, 0, 2)
    assert Contact.objects.filter(account=team.account).count() == 2


def test_national_numbers_are_read_in_the_accounts_country(team):
    team.account.country = "BE"
    team.account.save(update_fields=["country"])
    contact_import = run(start(upload(team, "gsm\n0470 12 34 56\n+33 6 12 34 56 78\n")))
    assert contact_import.created == 2
    assert set(Contact.objects.filter(account=team.account).values_list("phone", flat=True)) == {
        "+32470123456",
        "+33612345678",
    }


def test_very_long_values_are_refused_with_the_column_and_the_limit(team):
    long_name = "x" * 101
    contact_import = run(
        start(
            upload(
                team,
                f"phone,first_name,note\n0612345678,{long_name},ok\n"
                f"0612345679,Jean,{'y' * 256}\n0612345670,Fine,{'z' * 255}\n",
            )
        )
    )
    assert contact_import.created == 1
    assert rejected(contact_import) == [
        (2, "too_long", "100:first_name"),
        (3, "too_long", "255:note"),
    ]
    # The original cells are kept for the report, even very long ones (cut at 1,000).
    row = contact_import.rejected_rows.get(line=2)
    assert row.cells[1] == long_name


def test_typed_custom_fields_are_checked_and_stored_normalised(team):
    CustomField.objects.create(account=team.account, key="points", label="Points", type="number")
    CustomField.objects.create(account=team.account, key="birthday", label="Birthday", type="date")
    content = (
        "phone,points,birthday\n"
        '0612345678,"1 234,50",31/12/1990\n'
        "0612345679,12,1990-12-31\n"
        "0612345670,lots,\n"
        "0612345671,,someday\n"
    )
    mapping = {0: "phone", 1: "custom:points", 2: "custom:birthday"}
    contact_import = run(start(upload(team, content), mapping=mapping, new_fields={}))
    assert contact_import.created == 2
    assert rejected(contact_import) == [(4, "number", "points"), (5, "date", "birthday")]
    first = Contact.objects.get(account=team.account, phone="+33612345678")
    assert first.custom == {"points": "1234.50", "birthday": "1990-12-31"}
    assert Contact.objects.get(phone="+33612345679").custom == {
        "points": "12",
        "birthday": "1990-12-31",
    }


def test_a_file_with_the_wrong_delimiter_ends_with_every_row_refused(team):
    contact_import = run(start(upload(team, "phone|name\n0612345678|Jean\n0612345679|Marie\n")))
    assert contact_import.status == ContactImport.Status.DONE
    assert (contact_import.created, contact_import.invalid) == (0, 2)
    assert {reason for _line, reason, _detail in rejected(contact_import)} == {"phone"}


def test_ten_thousand_rows_with_one_broken_row(team):
    lines = ["phone,first_name"] + [f"06{10000000 + i:08d},P{i}" for i in range(10_000)]
    lines.insert(5001, "06 12 AB,Broken")
    contact_import = run(start(upload(team, "\n".join(lines) + "\n")))
    assert contact_import.created == 10_000
    assert rejected(contact_import) == [(5002, "phone", "not_a_number")]
    assert Contact.objects.filter(account=team.account).count() == 10_000


def test_a_quote_left_open_fails_the_import_with_its_line_and_applies_nothing(team, settings):
    lines = ["phone,first_name"] + [f"06{10000000 + i:08d},P{i}" for i in range(300)]
    lines.insert(101, '0612345678,"Unclosed ' + "x" * 200_000)
    contact_import = run(start(upload(team, "\n".join(lines) + "\n")))
    assert contact_import.status == ContactImport.Status.FAILED
    assert contact_import.error.startswith("file:unreadable:")
    assert not Contact.objects.filter(account=team.account).exists()
    assert contact_import.file  # kept for "Try again"


def test_it_imports_an_xlsx_workbook(team):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Téléphone", "Prénom", "Date d'inscription"])
    sheet.append([33612345678, "Zoé", datetime.datetime(2024, 3, 1)])
    sheet.append(["06 12 34 56 79", "Léo", None])
    data = io.BytesIO()
    workbook.save(data)
    contact_import = upload(team, data.getvalue(), name="export.xlsx")
    assert contact_import.delimiter == "" and contact_import.rows_estimate == 2
    contact_import = run(start(contact_import))
    assert contact_import.created == 2
    zoe = Contact.objects.get(account=team.account, phone="+33612345678")
    assert zoe.first_name == "Zoé"
    assert zoe.custom == {"date_dinscription": "2024-03-01"}


@pytest.mark.parametrize(
    ("content", "name", "code"),
    [
        (b"", "contacts.csv", "empty"),
        (b"phone,name\n", "contacts.csv", "header_only"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200), "photo.csv", "binary"),
        (b"phone\n0612345678\n", "contacts.xlsx", "not_xlsx"),
    ],
)
def test_files_that_cannot_be_imported_are_refused_and_not_kept(
    team, settings, content, name, code
):
    with pytest.raises(ImportFileError) as error:
        upload(team, content, name=name)
    assert error.value.code == code
    assert not ContactImport.objects.exists()
    media = settings.MEDIA_ROOT
    assert not os.path.exists(media) or not any(files for _root, _dirs, files in os.walk(media))


def test_a_file_over_the_limit_is_refused(team, settings):
    settings.CONTACTS_IMPORT_MAX_BYTES = 100
    with pytest.raises(ImportFileError) as error:
        upload(team, "phone\n" + "0612345678\n" * 20)
    assert error.value.code == "too_big"
    assert not ContactImport.objects.exists()


def test_starting_twice_queues_one_job(team, django_capture_on_commit_callbacks):
    import django_rq

    queue = django_rq.get_queue("default")
    queue.connection.flushdb()  # this test worker's own Redis database
    contact_import = upload(team, "phone\n0612345678\n")
    mapping = guess_mapping(contact_import.headers)
    with django_capture_on_commit_callbacks(execute=True):
        assert import_start(contact_import=contact_import, mapping=mapping)
    stale = ContactImport.objects.get(pk=contact_import.pk)
    stale.status = ContactImport.Status.MAPPING  # a second tab still shows the form
    with django_capture_on_commit_callbacks(execute=True):
        assert not import_start(contact_import=stale, mapping=mapping)
    assert queue.count == 1
    SimpleWorker([queue], connection=queue.connection).work(burst=True)
    contact_import.refresh_from_db()
    assert contact_import.status == ContactImport.Status.DONE
    assert contact_import.created == 1
    queue.connection.flushdb()


def test_a_second_run_of_the_same_job_does_nothing(team):
    contact_import = run(start(upload(team, "phone\n0612345678\n")))
    assert import_run(import_id=contact_import.pk) == "skipped"
    contact_import.refresh_from_db()
    assert contact_import.created == 1
    assert Contact.objects.filter(account=team.account).count() == 1


def test_a_crash_in_the_merge_applies_nothing_and_try_again_finishes_it(team, monkeypatch):
    content = "phone\n0612345678\n0612345679\n"
    contact_import = start(upload(team, content), new_list_name="Crash")

    def crash(ids):
        raise RuntimeError("worker lost its database")

    monkeypatch.setattr(service, "list_refresh_counts", crash)
    with pytest.raises(RuntimeError):
        import_run(import_id=contact_import.pk)
    contact_import.refresh_from_db()
    assert contact_import.status == ContactImport.Status.FAILED
    assert contact_import.error == "internal"
    assert not Contact.objects.filter(account=team.account).exists()
    assert not Membership.objects.exists()

    monkeypatch.undo()
    assert import_retry(contact_import=contact_import)
    contact_import = run(contact_import)
    assert contact_import.status == ContactImport.Status.DONE
    assert (contact_import.created, contact_import.invalid) == (2, 0)
    assert ContactList.objects.get(account=team.account, name="Crash").contact_count == 2
    assert contact_import.rejected_rows.count() == 0


def test_an_import_whose_worker_died_is_run_again_without_duplicates(team, settings):
    settings.CONTACTS_IMPORT_STALL_SECONDS = 60
    contact_import = start(
        upload(team, "phone,first_name\n0612345678,A\n0612345679,A\n0612345678,B\n")
    )
    # A worker claimed it and died before the merge committed.
    ContactImport.objects.filter(pk=contact_import.pk).update(
        status=ContactImport.Status.RUNNING,
        attempts=1,
        heartbeat_at=timezone.now() - datetime.timedelta(minutes=5),
    )
    assert imports_recover_stalled() == 1
    contact_import = run(contact_import)
    assert contact_import.status == ContactImport.Status.DONE
    assert (contact_import.created, contact_import.skipped_in_file) == (2, 1)
    assert contact_import.attempts == 2
    assert Contact.objects.filter(account=team.account).count() == 2
    assert imports_recover_stalled() == 0


def test_a_live_worker_is_not_taken_for_dead(team, settings):
    settings.CONTACTS_IMPORT_STALL_SECONDS = 60
    contact_import = start(upload(team, "phone\n0612345678\n"))
    ContactImport.objects.filter(pk=contact_import.pk).update(
        status=ContactImport.Status.RUNNING, attempts=1, heartbeat_at=timezone.now()
    )
    assert imports_recover_stalled() == 0


def test_an_import_that_keeps_dying_ends_failed(team, settings):
    settings.CONTACTS_IMPORT_STALL_SECONDS = 60
    contact_import = start(upload(team, "phone\n0612345678\n"))
    ContactImport.objects.filter(pk=contact_import.pk).update(
        status=ContactImport.Status.RUNNING,
        attempts=service.MAX_ATTEMPTS,
        heartbeat_at=timezone.now() - datetime.timedelta(minutes=5),
    )
    assert imports_recover_stalled() == 0
    contact_import.refresh_from_db()
    assert (contact_import.status, contact_import.error) == (ContactImport.Status.FAILED, "stalled")


def test_an_attempt_taken_over_by_another_applies_nothing(team):
    contact_import = start(upload(team, "phone\n0612345678\n"))
    original = service._heartbeat

    def taken_over(ci, rows):
        # The stall detector re-queued it and a second worker claimed it meanwhile.
        ContactImport.objects.filter(pk=ci.pk).update(attempts=ci.attempts + 1)
        original(ci, rows)

    service._heartbeat = taken_over
    try:
        assert import_run(import_id=contact_import.pk) == "skipped"
    finally:
        service._heartbeat = original
    assert not Contact.objects.filter(account=team.account).exists()


def test_the_progress_is_recorded_batch_by_batch(team, monkeypatch):
    monkeypatch.setattr(service, "BATCH_ROWS", 2)
    seen = []
    original = service._heartbeat

    def spy(ci, rows):
        seen.append(rows)
        original(ci, rows)

    monkeypatch.setattr(service, "_heartbeat", spy)
    content = "phone\n" + "".join(f"06123456{i:02d}\n" for i in range(5))
    contact_import = start(upload(team, content))
    assert contact_import.rows_estimate == 5
    contact_import = run(contact_import)
    assert seen == [2, 4, 5]
    assert contact_import.rows_read == 5 and contact_import.percent == 100
