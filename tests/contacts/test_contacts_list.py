"""The contacts table: search, filters, keyset pages and a bounded number of queries."""

import html
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from contacts.models import Contact, ContactList, Membership, OptOut
from contacts.selectors import contacts_search
from contacts.services import contact_save, lists_add_contacts, optout_add

pytestmark = pytest.mark.django_db

URL = "/contacts/"
ROW_ID = re.compile(r'name="ids" value="([0-9a-f-]{36})"')
NEXT_LINK = re.compile(r'href="([^"]+)" rel="next"')


def ids_on(response) -> list[str]:
    return ROW_ID.findall(response.content.decode())


def next_url(response) -> str | None:
    found = NEXT_LINK.search(response.content.decode())
    return html.unescape(found.group(1)) if found else None


def make_contact(account, phone, **fields) -> Contact:
    return contact_save(account=account, phone=phone, **fields)


def bulk_contacts(account, count: int, *, same_time: bool = False) -> list[Contact]:
    """`count` contacts made with bulk_create, each created one minute after the
    previous one (or all at the same instant)."""
    contacts = Contact.objects.bulk_create(
        [
            Contact(
                account=account,
                phone=f"+3361{i:07d}",
                first_name=f"First{i:03d}",
                last_name=f"Last{(i * 7) % count:03d}",
            )
            for i in range(count)
        ]
    )
    start = timezone.now() - timedelta(days=1)
    for i, contact in enumerate(contacts):
        contact.created_at = start if same_time else start + timedelta(minutes=i)
    Contact.objects.bulk_update(contacts, ["created_at"])  # auto_now_add ignores bulk_update
    return contacts


def walk_pages(client, url: str) -> list[list[str]]:
    pages = []
    while url:
        response = client.get(url)
        assert response.status_code == 200
        pages.append(ids_on(response))
        url = next_url(response)
        assert len(pages) < 20, "the pages never end"
    return pages


@pytest.mark.parametrize("client_name", ["owner_client", "admin_client_", "member_client"])
def test_every_role_sees_the_contacts_table(request, team, client_name):
    make_contact(team.account, "06 12 34 56 78", first_name="Ada", last_name="Lovelace")
    response = request.getfixturevalue(client_name).get(URL)
    assert response.status_code == 200
    assert b"Ada Lovelace" in response.content


def test_it_shows_number_name_email_lists_and_the_opt_out_badge(owner_client, team):
    ada = make_contact(
        team.account, "06 12 34 56 78", first_name="Ada", last_name="Lovelace", email="ada@x.test"
    )
    vip = ContactList.objects.create(account=team.account, name="VIP customers")
    lists_add_contacts(contact_list=vip, contact_ids=[ada.pk])
    optout_add(account=team.account, phone=ada.phone, source=OptOut.Source.STOP)

    content = owner_client.get(URL).content.decode()

    assert "+33 6 12 34 56 78" in content
    assert "ada@x.test" in content
    assert "VIP customers" in content
    assert 'data-testid="opted-out"' in content
    assert 'name="ids"' in content  # tick boxes for the bulk bar
    assert 'value="add_to_list"' in content
    assert "js/contacts.js" in content


def test_an_empty_account_explains_contacts_and_offers_to_add_one(owner_client):
    content = owner_client.get(URL).content.decode()
    assert 'data-testid="empty-state"' in content
    assert 'href="/contacts/new/"' in content
    assert "import" in content.lower()


def test_it_never_shows_another_accounts_contacts(owner_client, team):
    make_contact(team.outsider_account, "06 99 88 77 66", first_name="Secret")
    make_contact(team.account, "06 12 34 56 78", first_name="Mine")
    content = owner_client.get(URL).content.decode()
    assert "Mine" in content
    assert "Secret" not in content


@pytest.fixture
def people(team):
    return {
        "ada": make_contact(
            team.account,
            "06 12 34 56 78",
            first_name="Ada",
            last_name="Lovelace",
            email="ada@a.test",
        ),
        "alan": make_contact(
            team.account, "07 55 44 33 22", first_name="Alan", last_name="Turing", email="al@b.test"
        ),
        "grace": make_contact(
            team.account,
            "+44 7400 123456",
            first_name="Grace",
            last_name="Hopper",
            email="g@c.test",
        ),
    }


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("ada", {"ada"}),  # first name, any case
        ("LOVE", {"ada"}),  # start of the last name
        ("a", {"ada", "alan"}),
        ("ada love", {"ada"}),  # every word must match
        ("al@", {"alan"}),  # start of the email
        ("06 12 34 56 78", {"ada"}),  # national format
        ("06.12.34.56.78", {"ada"}),
        ("+33 6 12 34 56 78", {"ada"}),  # international format
        ("0033612345678", {"ada"}),
        ("+447400123456", {"grace"}),
        ("07 55", {"alan"}),  # the beginning of a number
        ("+44", {"grace"}),
        ("zzz", set()),
        ("09 99", set()),
    ],
)
def test_it_searches_by_name_email_and_number_in_any_format(owner_client, people, q, expected):
    response = owner_client.get(URL, {"q": q})
    assert response.status_code == 200
    shown = set(ids_on(response))
    assert shown == {str(people[name].public_id) for name in expected}


def test_a_search_without_results_says_so_and_offers_the_full_table(owner_client, people):
    content = owner_client.get(URL, {"q": "nobody"}).content.decode()
    assert 'data-testid="no-match"' in content
    assert 'data-testid="empty-state"' not in content


def test_it_filters_by_list(owner_client, team, people):
    vip = ContactList.objects.create(account=team.account, name="VIP")
    lists_add_contacts(contact_list=vip, contact_ids=[people["ada"].pk, people["grace"].pk])
    shown = set(ids_on(owner_client.get(URL, {"list": str(vip.public_id)})))
    assert shown == {str(people["ada"].public_id), str(people["grace"].public_id)}


def test_a_list_of_another_account_is_not_a_filter_and_reveals_nothing(owner_client, team, people):
    theirs = ContactList.objects.create(account=team.outsider_account, name="Theirs")
    response = owner_client.get(URL, {"list": str(theirs.public_id)})
    assert response.status_code == 200
    assert b"Theirs" not in response.content
    assert len(ids_on(response)) == 3


def test_it_filters_by_opt_out_and_a_lifted_opt_out_does_not_count(owner_client, team, people):
    optout_add(account=team.account, phone=people["ada"].phone, source=OptOut.Source.STOP)
    lifted, _ = optout_add(account=team.account, phone=people["alan"].phone, source="manual")
    OptOut.objects.filter(pk=lifted.pk).update(removed_at=timezone.now())
    # The same number opted out of another account does not count here.
    optout_add(account=team.outsider_account, phone=people["grace"].phone, source="stop")

    opted = set(ids_on(owner_client.get(URL, {"opted_out": "1"})))
    not_opted = set(ids_on(owner_client.get(URL, {"opted_out": "0"})))

    assert opted == {str(people["ada"].public_id)}
    assert not_opted == {str(people["alan"].public_id), str(people["grace"].public_id)}


def test_filters_combine_with_the_search(owner_client, team, people):
    vip = ContactList.objects.create(account=team.account, name="VIP")
    lists_add_contacts(contact_list=vip, contact_ids=[people["ada"].pk, people["alan"].pk])
    shown = ids_on(owner_client.get(URL, {"list": str(vip.public_id), "q": "al"}))
    assert shown == [str(people["alan"].public_id)]


def test_it_sorts_newest_first_by_default_and_by_name_on_request(owner_client, people):
    newest_first = ids_on(owner_client.get(URL))
    by_name = ids_on(owner_client.get(URL, {"sort": "name"}))
    assert newest_first == [str(people[n].public_id) for n in ("grace", "alan", "ada")]
    # Hopper, Lovelace, Turing
    assert by_name == [str(people[n].public_id) for n in ("grace", "ada", "alan")]


def test_keyset_pages_cover_every_contact_once_newest_first(owner_client, team):
    contacts = bulk_contacts(team.account, 120)

    pages = walk_pages(owner_client, URL)

    assert [len(page) for page in pages] == [50, 50, 20]
    seen = [public_id for page in pages for public_id in page]
    expected = [str(c.public_id) for c in reversed(contacts)]
    assert seen == expected  # no duplicates, no gaps, newest first


def test_keyset_pages_sorted_by_name_cover_every_contact_once(owner_client, team):
    contacts = bulk_contacts(team.account, 120)

    pages = walk_pages(owner_client, f"{URL}?sort=name")

    seen = [public_id for page in pages for public_id in page]
    ordered = sorted(contacts, key=lambda c: (c.last_name, c.first_name, c.pk))
    assert seen == [str(c.public_id) for c in ordered]


def test_keyset_pages_do_not_skip_contacts_created_at_the_same_instant(owner_client, team):
    contacts = bulk_contacts(team.account, 120, same_time=True)
    seen = [i for page in walk_pages(owner_client, URL) for i in page]
    assert sorted(seen) == sorted(str(c.public_id) for c in contacts)
    assert len(seen) == len(set(seen)) == 120


def test_keyset_pages_keep_the_filters(owner_client, team):
    contacts = bulk_contacts(team.account, 120)
    half = ContactList.objects.create(account=team.account, name="Half")
    lists_add_contacts(contact_list=half, contact_ids=[c.pk for c in contacts[::2]])

    pages = walk_pages(owner_client, f"{URL}?list={half.public_id}")

    assert [len(page) for page in pages] == [50, 10]
    assert {i for page in pages for i in page} == {str(c.public_id) for c in contacts[::2]}


def test_the_second_page_links_back_to_the_first(owner_client, team):
    bulk_contacts(team.account, 60)
    first = owner_client.get(URL)
    assert b"50+ contacts" in first.content
    assert b"First page" not in first.content
    second = owner_client.get(next_url(first))
    assert b"First page" in second.content
    assert next_url(second) is None


@pytest.mark.parametrize("cursor", ["garbage", "eyJzIjoibmFtZSJ9", "e30", ""])
def test_a_tampered_cursor_shows_the_first_page(owner_client, team, cursor):
    bulk_contacts(team.account, 3)
    response = owner_client.get(URL, {"after": cursor})
    assert response.status_code == 200
    assert len(ids_on(response)) == 3


def test_a_cursor_from_the_other_sort_shows_the_first_page(owner_client, team):
    bulk_contacts(team.account, 60)
    cursor_by_date = next_url(owner_client.get(URL)).split("after=")[1]
    response = owner_client.get(URL, {"sort": "name", "after": cursor_by_date})
    assert len(ids_on(response)) == 50
    assert b"First page" not in response.content


def _contacts_in_three_lists(account, count: int, lists: str = "List") -> ContactList:
    contacts = bulk_contacts(account, count)
    for n in range(3):
        lst = ContactList.objects.create(account=account, name=f"{lists} {n}")
        lists_add_contacts(contact_list=lst, contact_ids=[c.pk for c in contacts])
    optout_add(account=account, phone=contacts[-1].phone, source="stop")  # the newest
    return lst


def test_the_table_needs_a_bounded_number_of_queries_and_no_count(
    owner_client, team, django_assert_max_num_queries
):
    last_list = _contacts_in_three_lists(team.account, 60)
    assert Membership.objects.count() == 180

    owner_client.get(URL)  # the first request of a session also writes the session
    # session, user, membership, the account's lists, one page of contacts, their
    # lists, their opt-out state, the account switcher.
    with django_assert_max_num_queries(8):
        response = owner_client.get(URL)
    assert len(ids_on(response)) == 50
    assert response.content.count(b'data-testid="opted-out"') == 1
    # Filtering by a list resolves it first: one more.
    with django_assert_max_num_queries(9):
        response = owner_client.get(
            URL, {"q": "first", "opted_out": "0", "sort": "name", "list": last_list.public_id}
        )
    assert response.status_code == 200
    assert len(ids_on(response)) == 50

    with CaptureQueriesContext(connection) as queries:
        owner_client.get(URL)
    assert not [q for q in queries if "COUNT(" in q["sql"].upper()]


def test_the_number_of_queries_does_not_grow_with_the_rows(owner_client, team):
    _contacts_in_three_lists(team.account, 2)
    owner_client.get(URL)  # the first request of a session also writes the session
    with CaptureQueriesContext(connection) as few:
        owner_client.get(URL)
    _contacts_in_three_lists(team.outsider_account, 1)  # noise in another account
    Contact.objects.filter(account=team.account).delete()
    _contacts_in_three_lists(team.account, 60, lists="More")
    with CaptureQueriesContext(connection) as many:
        owner_client.get(URL)
    assert len(many) == len(few)


def test_it_requires_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("06 9", {"+33699999999", "+33690000000"}),  # a prefix ending in 9 carries to +3370
        ("+339", {"+33912345678"}),  # "+339" runs up to "+34"
        ("+999", {"+999123"}),  # nothing to carry into: no upper bound
        ("07", {"+33700000000"}),
    ],
)
def test_a_number_prefix_matches_exactly_the_numbers_that_begin_so(team, q, expected):
    phones = [
        "+33689999999",
        "+33690000000",
        "+33699999999",
        "+33700000000",
        "+33912345678",
        "+34612345678",
        "+999123",
    ]
    Contact.objects.bulk_create([Contact(account=team.account, phone=p) for p in phones])
    found = contacts_search(account=team.account, q=q).values_list("phone", flat=True)
    assert set(found) == expected
