"""The import screens: upload, mapping, progress, report, rejected rows, history."""

import csv
import io
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from contacts.importing.service import import_create, import_run
from contacts.models import Contact, ContactImport, ContactList, CustomField

pytestmark = pytest.mark.django_db

CONTENT = (
    "Téléphone;Prénom;Nom;Ville\n"
    "06 12 34 56 78;Jean;Dupont;Paris\n"
    "0612;Short;;\n"
    '06 12 34 56 79;=HYPERLINK("http://evil");;Lyon\n'
    "+33612345678;Dup;;\n"
)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def _upload(team, content: str = CONTENT, name: str = "clients.csv") -> ContactImport:
    return import_create(
        account=team.account, by=team.owner, upload=SimpleUploadedFile(name, content.encode())
    )


def _mapping_post(contact_import: ContactImport, **extra) -> dict:
    data = {"column_0": "phone", "column_1": "first_name", "column_2": "last_name"}
    data["column_3"] = "new:ville"
    data["on_existing"] = "update"
    data.update(extra)
    return data


def _url(name: str, contact_import: ContactImport) -> str:
    return reverse(f"contacts:{name}", args=[contact_import.public_id])


# ----------------------------------------------------------------------- upload


def test_the_upload_page_works(owner_client):
    response = owner_client.get(reverse("contacts:import_upload"))
    assert response.status_code == 200
    assert b'enctype="multipart/form-data"' in response.content
    assert b"data-max-bytes" in response.content


def test_uploading_a_file_leads_to_the_mapping(owner_client, team):
    response = owner_client.post(
        reverse("contacts:import_upload"),
        {"file": SimpleUploadedFile("clients.csv", CONTENT.encode())},
    )
    contact_import = ContactImport.objects.get(account=team.account)
    assert response.status_code == 302
    assert response["Location"] == _url("import_mapping", contact_import)
    assert contact_import.status == ContactImport.Status.MAPPING
    assert contact_import.created_by == team.owner
    assert contact_import.headers == ["Téléphone", "Prénom", "Nom", "Ville"]
    assert contact_import.rows_estimate == 4


def test_members_may_import(member_client, team):
    response = member_client.post(
        reverse("contacts:import_upload"),
        {"file": SimpleUploadedFile("clients.csv", CONTENT.encode())},
    )
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("clients.csv", b"", "The file is empty."),
        ("clients.csv", b"phone;name\n", "only has a header line"),
        (
            "photo.csv",
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8,
            "not a text CSV",
        ),
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "(.xls) are not supported"),
        ("notes.pdf", b"%PDF-1.4", "Upload a CSV file"),
        ("fake.xlsx", b"phone\n0612345678\n", "not a valid Excel workbook"),
    ],
)
def test_bad_files_get_a_clear_error_and_nothing_is_kept(
    owner_client, team, settings, name, content, message
):
    response = owner_client.post(
        reverse("contacts:import_upload"), {"file": SimpleUploadedFile(name, content)}
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ContactImport.objects.exists()
    assert not any(files for _root, _dirs, files in os.walk(settings.MEDIA_ROOT))


def test_a_file_over_the_limit_is_refused_with_the_limit(owner_client, settings):
    settings.CONTACTS_IMPORT_MAX_BYTES = 1000
    response = owner_client.post(
        reverse("contacts:import_upload"),
        {"file": SimpleUploadedFile("big.csv", b"phone\n" + b"0612345678\n" * 200)},
    )
    assert response.status_code == 200
    assert "the limit is 1000\xa0bytes" in response.content.decode()
    assert not ContactImport.objects.exists()


def test_the_upload_rejects_get_without_file(owner_client):
    response = owner_client.post(reverse("contacts:import_upload"), {})
    assert response.status_code == 200
    assert "Choose a file to import." in response.content.decode()


# ----------------------------------------------------------------------- mapping


def test_the_mapping_shows_the_first_rows_and_guesses_the_columns(owner_client, team):
    contact_import = _upload(team)
    response = owner_client.get(_url("import_mapping", contact_import))
    assert response.status_code == 200
    form = response.context["form"]
    assert [form[f"column_{i}"].value() for i in range(4)] == [
        "phone",
        "first_name",
        "last_name",
        "new:ville",
    ]
    assert response.context["preview"][0] == ["06 12 34 56 78", "Jean", "Dupont", "Paris"]
    assert "About 4 rows to import." in response.content.decode()


def test_an_existing_custom_field_is_offered_and_guessed(owner_client, team):
    CustomField.objects.create(account=team.account, key="ville", label="City")
    contact_import = _upload(team)
    response = owner_client.get(_url("import_mapping", contact_import))
    assert response.context["form"]["column_3"].value() == "custom:ville"
    assert "Field: City" in response.content.decode()


def test_the_mapping_needs_a_phone_column(owner_client, team):
    contact_import = _upload(team)
    response = owner_client.post(
        _url("import_mapping", contact_import), _mapping_post(contact_import, column_0="")
    )
    assert response.status_code == 200
    assert "Choose the column that holds the mobile numbers." in response.content.decode()
    contact_import.refresh_from_db()
    assert contact_import.status == ContactImport.Status.MAPPING


def test_the_mapping_refuses_two_columns_for_one_field(owner_client, team):
    contact_import = _upload(team)
    response = owner_client.post(
        _url("import_mapping", contact_import),
        _mapping_post(contact_import, column_2="first_name"),
    )
    assert response.status_code == 200
    assert "are mapped to the same field" in response.content.decode()


def test_the_mapping_refuses_an_existing_and_a_new_list_together(owner_client, team):
    vip = ContactList.objects.create(account=team.account, name="VIP")
    contact_import = _upload(team)
    response = owner_client.post(
        _url("import_mapping", contact_import),
        _mapping_post(contact_import, target_list=str(vip.public_id), new_list_name="Other"),
    )
    assert response.status_code == 200
    assert "not both" in response.content.decode()


def test_the_mapping_refuses_another_accounts_list(owner_client, team):
    theirs = ContactList.objects.create(account=team.outsider_account, name="Theirs")
    contact_import = _upload(team)
    response = owner_client.post(
        _url("import_mapping", contact_import),
        _mapping_post(contact_import, target_list=str(theirs.public_id)),
    )
    assert response.status_code == 200
    assert "Choose one of your lists." in response.content.decode()


def test_submitting_the_mapping_starts_the_import_once(
    owner_client, team, django_capture_on_commit_callbacks
):
    import django_rq

    queue = django_rq.get_queue("default")
    queue.connection.flushdb()
    contact_import = _upload(team)
    data = _mapping_post(contact_import, new_list_name="Salon")
    with django_capture_on_commit_callbacks(execute=True):
        first = owner_client.post(_url("import_mapping", contact_import), data)
        second = owner_client.post(_url("import_mapping", contact_import), data)  # double click
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == _url("import_detail", contact_import)
    contact_import.refresh_from_db()
    assert contact_import.status == ContactImport.Status.QUEUED
    assert contact_import.mapping == {
        "0": "phone",
        "1": "first_name",
        "2": "last_name",
        "3": "custom:ville",
    }
    assert contact_import.target_list.name == "Salon"
    assert CustomField.objects.get(account=team.account, key="ville").label == "Ville"
    assert queue.count == 1
    queue.connection.flushdb()


def test_cancelling_the_mapping_drops_the_import_and_its_file(owner_client, team):
    contact_import = _upload(team)
    path = contact_import.file.path
    response = owner_client.post(_url("import_cancel", contact_import))
    assert response.status_code == 302
    assert not ContactImport.objects.exists()
    assert not os.path.exists(path)


# --------------------------------------------------------------- progress, report


def _started(team, **extra) -> ContactImport:
    contact_import = _upload(team)
    ContactImport.objects.filter(pk=contact_import.pk).update(
        status=ContactImport.Status.QUEUED,
        mapping={"0": "phone", "1": "first_name", "3": "custom:ville"},
        **extra,
    )
    contact_import.refresh_from_db()
    return contact_import


def test_the_progress_polls_while_the_import_runs(owner_client, team):
    contact_import = _started(team)
    ContactImport.objects.filter(pk=contact_import.pk).update(
        status=ContactImport.Status.RUNNING, rows_read=2
    )
    response = owner_client.get(_url("import_detail", contact_import))
    body = response.content.decode()
    assert 'hx-trigger="every 1s"' in body
    assert 'value="50"' in body  # 2 of about 4 rows
    assert "2 of about 4 rows read (50 %)" in body


def test_the_progress_fragment_stops_polling_with_the_report(
    owner_client, team, django_assert_max_num_queries
):
    contact_import = _started(team)
    import_run(import_id=contact_import.pk)
    # Session, user, membership, import, its first rejected rows, the session save.
    with django_assert_max_num_queries(8):
        response = owner_client.get(_url("import_progress", contact_import))
    body = response.content.decode()
    assert response.status_code == 200
    assert "hx-trigger" not in body
    assert 'data-testid="import-report"' in body
    assert response.context["contact_import"].created == 2
    assert response.context["rejected"] == [
        (3, "Invalid mobile number: This phone number is too short."),
        (5, "Same number as line 2"),
    ]
    assert "Download the 2 rows (CSV)" in body


def test_the_rejected_rows_download_has_the_reasons_and_the_original_cells(owner_client, team):
    contact_import = _upload(team, CONTENT.replace("06 12 34 56 79", "bad"))
    contact_import = _started(team)
    ContactImport.objects.filter(pk=contact_import.pk).update(
        mapping={"0": "phone", "1": "first_name"}
    )
    import_run(import_id=contact_import.pk)
    response = owner_client.get(_url("import_rejected", contact_import))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["line", "reason", "Téléphone", "Prénom", "Nom", "Ville"]
    assert rows[1] == [
        "3",
        "Invalid mobile number: This phone number is too short.",
        "0612",
        "Short",
        "",
        "",
    ]
    assert rows[2] == ["5", "Same number as line 2", "", "", "", ""]


def test_a_formula_in_a_rejected_row_is_defused(owner_client, team):
    content = 'phone;name\nnot-a-number;=HYPERLINK("http://evil")\n0612345678;ok\n'
    contact_import = _upload(team, content)
    ContactImport.objects.filter(pk=contact_import.pk).update(
        status=ContactImport.Status.QUEUED, mapping={"0": "phone", "1": "first_name"}
    )
    import_run(import_id=contact_import.pk)
    response = owner_client.get(_url("import_rejected", contact_import))
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1][3] == '\'=HYPERLINK("http://evil")'


def test_a_failed_import_says_why_and_can_be_tried_again(
    owner_client, team, django_capture_on_commit_callbacks
):
    contact_import = _started(team)
    ContactImport.objects.filter(pk=contact_import.pk).update(
        status=ContactImport.Status.FAILED, error="file:unreadable:120"
    )
    response = owner_client.get(_url("import_detail", contact_import))
    body = response.content.decode()
    assert "could not be read after line 120" in body
    assert 'data-testid="import-retry"' in body
    with django_capture_on_commit_callbacks(execute=False):
        response = owner_client.post(_url("import_retry", contact_import))
    assert response.status_code == 302
    contact_import.refresh_from_db()
    assert contact_import.status == ContactImport.Status.QUEUED


def test_the_history_lists_imports_but_not_drafts(owner_client, team):
    draft = _upload(team, name="draft.csv")
    done = _started(team)
    import_run(import_id=done.pk)
    response = owner_client.get(reverse("contacts:import_index"))
    body = response.content.decode()
    assert response.status_code == 200
    assert _url("import_detail", done) in body
    assert _url("import_detail", draft) not in body


def test_the_history_of_a_new_account_explains_imports(owner_client):
    response = owner_client.get(reverse("contacts:import_index"))
    assert 'data-testid="empty-state"' in response.content.decode()


def test_the_contacts_page_offers_the_import(owner_client, team):
    Contact.objects.create(account=team.account, phone="+33612345678")
    response = owner_client.get(reverse("contacts:index"))
    assert reverse("contacts:import_upload") in response.content.decode()


# ----------------------------------------------------------------------- tenancy


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("import_detail", "get"),
        ("import_mapping", "get"),
        ("import_mapping", "post"),
        ("import_progress", "get"),
        ("import_rejected", "get"),
        ("import_retry", "post"),
        ("import_cancel", "post"),
    ],
)
def test_an_outsider_gets_404_on_every_import_url(outsider_client, team, name, method):
    contact_import = _upload(team)
    response = getattr(outsider_client, method)(_url(name, contact_import))
    assert response.status_code == 404
    assert ContactImport.objects.filter(pk=contact_import.pk).exists()


def test_an_outsider_does_not_see_the_import_in_their_history(outsider_client, team):
    done = _started(team)
    import_run(import_id=done.pk)
    response = outsider_client.get(reverse("contacts:import_index"))
    assert _url("import_detail", done) not in response.content.decode()


def test_anonymous_visitors_are_sent_to_the_login(client, team):
    contact_import = _upload(team)
    response = client.get(_url("import_detail", contact_import))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
