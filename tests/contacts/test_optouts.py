"""The opt-out list screen: list, search, add by hand, upload a file, remove."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from contacts.models import OptOut

pytestmark = pytest.mark.django_db

LIST_URL = "/contacts/opt-outs/"
ADD_URL = "/contacts/opt-outs/add/"
UPLOAD_URL = "/contacts/opt-outs/upload/"


def _remove_url(optout: OptOut) -> str:
    return f"/contacts/opt-outs/{optout.public_id}/remove/"


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _active(account) -> list[str]:
    return sorted(
        OptOut.objects.filter(account=account, removed_at__isnull=True).values_list(
            "phone", flat=True
        )
    )


def _optout(account, phone: str = "+33612345678", **kwargs) -> OptOut:
    return OptOut.objects.create(
        account=account, phone=phone, source=kwargs.pop("source", "stop"), **kwargs
    )


def _upload(client, content: bytes, name: str = "numbers.csv"):
    return client.post(UPLOAD_URL, {"file": SimpleUploadedFile(name, content, "text/csv")})


# ---------------------------------------------------------------------------- list


def test_it_works(member_client, team):
    _optout(team.account, "+33612345678", source="stop")
    _optout(team.account, "+33698765432", source="manual", created_by=team.owner)
    response = member_client.get(LIST_URL)
    assert response.status_code == 200
    assert b"+33 6 12 34 56 78" in response.content
    assert b"+33 6 98 76 54 32" in response.content
    assert b"STOP reply" in response.content
    assert b"owner@acme.test" in response.content
    # Both forms are on the page.
    assert b'action="/contacts/opt-outs/add/"' in response.content
    assert b'enctype="multipart/form-data"' in response.content


def test_it_shows_only_the_accounts_active_optouts(member_client, team):
    _optout(team.outsider_account, "+33611111111")
    _optout(team.account, "+33622222222", removed_at=timezone.now(), removed_by=team.admin)
    response = member_client.get(LIST_URL)
    assert b"+33 6 11 11 11 11" not in response.content
    active_table = response.content.split(b"<details")[0]
    assert b"+33 6 22 22 22 22" not in active_table


def test_the_history_lists_the_last_removals_with_who_and_when(member_client, team):
    _optout(team.account, "+33622222222", removed_at=timezone.now(), removed_by=team.admin)
    response = member_client.get(LIST_URL)
    history = response.content.split(b"<details")[1]
    assert b"+33 6 22 22 22 22" in history
    assert b"admin@acme.test" in history


def test_the_history_stops_at_twenty(member_client, team):
    now = timezone.now()
    for i in range(25):
        _optout(
            team.account,
            f"+336123456{i:02d}",
            removed_at=now - timedelta(minutes=i),
            removed_by=team.admin,
        )
    response = member_client.get(LIST_URL)
    assert len(response.context["history"]) == 20
    assert response.context["history"][0].phone == "+33612345600"  # the latest first


def test_the_list_needs_a_login(client):
    response = client.get(LIST_URL)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_list_query_count_is_bounded(member_client, team, django_assert_max_num_queries):
    for i in range(60):
        _optout(team.account, f"+336123456{i:02d}", source="manual", created_by=team.owner)
    with django_assert_max_num_queries(12):
        assert member_client.get(LIST_URL).status_code == 200


# --------------------------------------------------------------------- search


def test_search_finds_a_number_typed_in_national_format(member_client, team):
    _optout(team.account, "+33612345678")
    _optout(team.account, "+33698765432")
    response = member_client.get(LIST_URL, {"q": "06 12 34 56 78"})
    assert [o.phone for o in response.context["optouts"]] == ["+33612345678"]


def test_search_matches_the_start_of_a_number(member_client, team):
    _optout(team.account, "+33612345678")
    _optout(team.account, "+33612999999")
    _optout(team.account, "+33698765432")
    for query in ("0612", "+33 612", "0033612"):
        response = member_client.get(LIST_URL, {"q": query})
        assert sorted(o.phone for o in response.context["optouts"]) == [
            "+33612345678",
            "+33612999999",
        ], query


def test_search_with_letters_finds_nothing(member_client, team):
    _optout(team.account, "+33612345678")
    response = member_client.get(LIST_URL, {"q": "bob"})
    assert response.status_code == 200
    assert response.context["optouts"] == []
    assert b"No opted-out number matches" in response.content


# ------------------------------------------------------------------ pagination


def test_keyset_pagination_walks_120_optouts_without_gaps_or_repeats(member_client, team):
    now = timezone.now()
    created = []
    for i in range(120):
        optout = _optout(team.account, f"+336120{i:05d}")
        # Some share their timestamp, so the id must break ties.
        OptOut.objects.filter(pk=optout.pk).update(created_at=now - timedelta(seconds=i // 3))
        created.append(optout.phone)

    seen: list[str] = []
    pages = 0
    params: dict[str, str] = {}
    while True:
        response = member_client.get(LIST_URL, params)
        assert response.status_code == 200
        rows = response.context["optouts"]
        pages += 1
        seen += [o.phone for o in rows]
        cursor = response.context["next_cursor"]
        if not cursor:
            break
        assert len(rows) == 50
        assert f'href="/contacts/opt-outs/?after={cursor}" rel="next"'.encode() in response.content
        params = {"after": cursor}
    assert pages == 3
    assert len(seen) == 120
    expected = OptOut.objects.order_by("-created_at", "-pk").values_list("phone", flat=True)
    assert seen == list(expected)
    assert sorted(seen) == sorted(created)


def test_pagination_keeps_the_search(member_client, team):
    for i in range(55):
        _optout(team.account, f"+336120{i:05d}")
    _optout(team.account, "+33698765432")
    first = member_client.get(LIST_URL, {"q": "06120"})
    cursor = first.context["next_cursor"]
    assert f"q=06120&amp;after={cursor}".encode() in first.content
    second = member_client.get(LIST_URL, {"q": "06120", "after": cursor})
    assert len(second.context["optouts"]) == 5
    assert not second.context["next_cursor"]


def test_a_mangled_cursor_shows_the_first_page(member_client, team):
    _optout(team.account, "+33612345678")
    response = member_client.get(LIST_URL, {"after": "!!not-a-cursor"})
    assert response.status_code == 200
    assert [o.phone for o in response.context["optouts"]] == ["+33612345678"]


# ------------------------------------------------------------------ add by hand


def test_a_member_adds_a_number_in_national_format(member_client, team):
    response = member_client.post(ADD_URL, {"phone": "06 12 34 56 78"})
    assert response.status_code == 302
    assert response["Location"] == LIST_URL
    optout = OptOut.objects.get(account=team.account)
    assert optout.phone == "+33612345678"
    assert optout.source == OptOut.Source.MANUAL
    assert optout.created_by == team.member
    assert "+33 6 12 34 56 78 is opted out." in _messages(response)


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("06 12", "This phone number is too short."),
        ("bonjour", "This is not a phone number"),
        ("01 23 45 67 89", "This number cannot receive SMS"),  # a landline
        ("09 70 12 34 56", "This number cannot receive SMS"),  # VoIP
    ],
)
def test_an_invalid_or_non_mobile_number_is_refused_and_kept(member_client, team, typed, error):
    response = member_client.post(ADD_URL, {"phone": typed})
    assert response.status_code == 400
    assert error in response.content.decode()
    assert f'value="{typed}"'.encode() in response.content
    assert b"is-invalid" in response.content
    assert not OptOut.objects.exists()


def test_adding_twice_keeps_one_active_optout(member_client, team):
    member_client.post(ADD_URL, {"phone": "+33 6 12 34 56 78"})
    response = member_client.post(ADD_URL, {"phone": "0612345678"})
    assert response.status_code == 302
    assert "+33 6 12 34 56 78 was already opted out." in _messages(response)
    assert OptOut.objects.filter(account=team.account).count() == 1


def test_adding_rejects_get(member_client):
    assert member_client.get(ADD_URL).status_code == 405


def test_adding_goes_to_the_current_account_only(outsider_client, team):
    outsider_client.post(ADD_URL, {"phone": "0612345678"})
    assert _active(team.account) == []
    assert _active(team.outsider_account) == ["+33612345678"]


# ---------------------------------------------------------------------- upload


def test_a_member_uploads_a_text_file(member_client, team):
    _optout(team.account, "+33698765432")
    content = b"06 12 34 56 78\n+33 6 11 22 33 44\n0698765432\n"
    response = _upload(member_client, content, "numbers.txt")
    assert response.status_code == 302
    assert _active(team.account) == ["+33611223344", "+33612345678", "+33698765432"]
    imported = OptOut.objects.get(account=team.account, phone="+33612345678")
    assert imported.source == OptOut.Source.IMPORT
    assert imported.created_by == team.member
    assert "2 added, 1 already opted out, 0 invalid." in _messages(response)


def test_the_first_column_of_a_csv_with_a_header_is_read(member_client, team):
    content = (
        b"phone;first name;city\r\n"
        b"0612345678;Ana;Lyon\r\n"
        b'"+33 6 11 22 33 44";Bob;Paris\r\n'
        b"0611223344,dup,comma\r\n"
    )
    response = _upload(member_client, content)
    assert _active(team.account) == ["+33611223344", "+33612345678"]
    assert "2 added, 1 already opted out, 0 invalid." in _messages(response)


def test_a_latin1_file_is_read(member_client, team):
    content = "téléphone;prénom\n0612345678;Zoé\n0611223344;Hélène\n".encode("latin-1")
    response = _upload(member_client, content)
    assert response.status_code == 302
    assert _active(team.account) == ["+33611223344", "+33612345678"]


def test_a_utf8_file_with_a_bom_is_read(member_client, team):
    content = "\ufeffnuméro\n0612345678\n".encode()
    _upload(member_client, content)
    assert _active(team.account) == ["+33612345678"]


def test_blank_lines_are_skipped(member_client, team):
    content = b"\n0612345678\n\n   \n;;\n0611223344\n\n"
    response = _upload(member_client, content)
    assert _active(team.account) == ["+33611223344", "+33612345678"]
    assert "2 added, 0 already opted out, 0 invalid." in _messages(response)


def test_invalid_lines_are_reported_with_their_numbers(member_client, team):
    content = b"number\n0612345678\n0123456789\nhello\n0611223344\n06 12\n"
    response = _upload(member_client, content)
    assert response.status_code == 302
    assert _active(team.account) == ["+33611223344", "+33612345678"]
    assert "2 added, 0 already opted out, 3 invalid. Invalid lines: 3, 4, 6." in _messages(response)


def test_only_the_first_twenty_invalid_lines_are_named(member_client, team):
    content = b"0612345678\n" + b"0123456789\n" * 30
    response = _upload(member_client, content)
    [message] = _messages(response)
    lines = ", ".join(str(n) for n in range(2, 22))
    assert message == f"1 added, 0 already opted out, 30 invalid. Invalid lines: {lines}, …."


def test_a_file_over_the_limit_is_refused_and_adds_nothing(member_client, team, settings):
    settings.CONTACTS_OPTOUT_UPLOAD_MAX_BYTES = 100
    content = b"0612345678\n" * 20  # 220 bytes
    response = _upload(member_client, content)
    assert response.status_code == 400
    assert "the limit is 100\xa0bytes. Nothing was added." in response.content.decode()
    assert not OptOut.objects.exists()


def test_the_default_limit_is_1_mb(member_client, settings):
    del settings.CONTACTS_OPTOUT_UPLOAD_MAX_BYTES
    from contacts.views.optouts import upload_max_bytes

    assert upload_max_bytes() == 1024 * 1024


def test_an_empty_file_is_refused(member_client, team):
    response = _upload(member_client, b"")
    assert response.status_code == 400
    assert b"The file is empty" in response.content
    assert not OptOut.objects.exists()


def test_a_file_of_blank_lines_or_a_header_only_is_refused(member_client, team):
    for content in (b"\n\n  \n", b"phone\n"):
        response = _upload(member_client, content)
        assert response.status_code == 400
        assert b"The file holds no phone number" in response.content


def test_a_binary_file_is_refused_and_adds_nothing(member_client, team):
    content = b"0612345678\n" + "0611223344\n".encode("utf-16")
    response = _upload(member_client, content)
    assert response.status_code == 400
    assert b"This is not a text file" in response.content
    assert not OptOut.objects.exists()


def test_another_extension_is_refused(member_client, team):
    response = _upload(member_client, b"0612345678\n", "numbers.xlsx")
    assert response.status_code == 400
    assert b"Upload a .csv or .txt file." in response.content
    assert not OptOut.objects.exists()


def test_a_large_file_goes_in_by_batches(member_client, team):
    content = b"".join(f"+336120{i:05d}\n".encode() for i in range(2500))
    response = _upload(member_client, content)
    assert OptOut.objects.filter(account=team.account).count() == 2500
    assert "2500 added, 0 already opted out, 0 invalid." in _messages(response)


# ---------------------------------------------------------------------- remove


def test_the_confirmation_page_says_what_happens_and_changes_nothing(member_client, team):
    optout = _optout(team.account)
    response = member_client.get(_remove_url(optout))
    assert response.status_code == 200
    assert b"will reach +33 6 12 34 56 78 again" in response.content
    assert b"recorded with your name" in response.content
    assert _active(team.account) == ["+33612345678"]


def test_a_member_removes_an_optout_and_it_is_recorded(member_client, team):
    optout = _optout(team.account)
    response = member_client.post(_remove_url(optout))
    assert response.status_code == 302
    assert response["Location"] == LIST_URL
    optout.refresh_from_db()
    assert optout.removed_by == team.member
    assert optout.removed_at is not None
    assert _active(team.account) == []
    assert any("no longer opted out" in m for m in _messages(response))


def test_removing_twice_is_404(member_client, team):
    optout = _optout(team.account)
    member_client.post(_remove_url(optout))
    assert member_client.post(_remove_url(optout)).status_code == 404
    assert member_client.get(_remove_url(optout)).status_code == 404


def test_removing_checks_the_account(outsider_client, team):
    optout = _optout(team.account)
    assert outsider_client.get(_remove_url(optout)).status_code == 404
    assert outsider_client.post(_remove_url(optout)).status_code == 404
    optout.refresh_from_db()
    assert optout.removed_at is None


def test_a_removed_number_can_be_opted_out_again(member_client, team):
    optout = _optout(team.account)
    member_client.post(_remove_url(optout))
    member_client.post(ADD_URL, {"phone": "0612345678"})
    rows = OptOut.objects.filter(account=team.account, phone="+33612345678")
    assert rows.count() == 2
    again = rows.get(removed_at__isnull=True)
    assert again.pk != optout.pk
    assert again.source == OptOut.Source.MANUAL
