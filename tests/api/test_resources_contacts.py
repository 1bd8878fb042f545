"""/api/v1/contacts, /api/v1/lists and /api/v1/optouts."""

from __future__ import annotations

import base64
import json
import uuid

import pytest
from django.utils import timezone

from contacts.models import Contact, ContactList, CustomField, Membership, OptOut
from tests.api.conftest import assert_error

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_redis")]

CONTACTS = "/api/v1/contacts"
LISTS = "/api/v1/lists"
OPTOUTS = "/api/v1/optouts"


def make_contact(account, phone="+33612345678", **fields) -> Contact:
    return Contact.objects.create(account=account, phone=phone, **fields)


def make_list(account, name="Customers", contacts=()) -> ContactList:
    contact_list = ContactList.objects.create(
        account=account, name=name, contact_count=len(contacts)
    )
    Membership.objects.bulk_create(
        [Membership(contact=c, contact_list=contact_list) for c in contacts]
    )
    return contact_list


def walk(client, path, **params) -> list[dict]:
    """Every item of every page, following nextCursor."""
    items, cursor, pages = [], "", 0
    while True:
        data = client.get(path, {**params, "cursor": cursor}).json()
        items += data["items"]
        pages += 1
        assert pages < 50
        if not data["nextCursor"]:
            return items
        cursor = data["nextCursor"]


# --------------------------------------------------------------------- authentication


def test_it_requires_a_key(team):
    from django.test import Client

    response = Client().get(CONTACTS)
    body = assert_error(response, 401, "UNAUTHORIZED")
    assert "X-Api-Key" in body["message"]


def test_the_bearer_header_works_too(manage_api, team):
    from django.test import Client

    make_contact(team.account)
    response = Client().get(CONTACTS, HTTP_AUTHORIZATION=f"Bearer {manage_api.secret}")
    assert response.status_code == 200
    assert len(response.json()["items"]) == 1


def test_it_answers_in_english_whatever_the_browser_asks(manage_api):
    response = manage_api.post(CONTACTS, {"phone": "01 23"}, HTTP_ACCEPT_LANGUAGE="fr")
    body = assert_error(response, 422, "INVALID_FIELD", field="phone")
    assert body["message"] == "This phone number is too short."


# --------------------------------------------------------------------------- contacts


def test_it_creates_a_contact(manage_api, team):
    vip = make_list(team.account, "VIP")
    CustomField.objects.create(account=team.account, key="city", label="City")
    CustomField.objects.create(
        account=team.account, key="points", label="Points", type=CustomField.Type.NUMBER
    )
    response = manage_api.post(
        CONTACTS,
        {
            "phone": "06 12 34 56 78",
            "firstName": " Anne ",
            "lastName": "Martin",
            "email": "anne@example.com",
            "custom": {"city": "Lyon", "points": 12.5},
            "lists": [str(vip.public_id)],
        },
    )
    assert response.status_code == 201, response.content
    data = response.json()
    contact = Contact.objects.get(account=team.account)
    assert data == {
        "id": str(contact.public_id),
        "phone": "+33612345678",
        "firstName": "Anne",
        "lastName": "Martin",
        "email": "anne@example.com",
        "custom": {"city": "Lyon", "points": "12.5"},
        "lists": [str(vip.public_id)],
        "optedOut": False,
        "createdAt": data["createdAt"],
        "updatedAt": data["updatedAt"],
    }
    assert contact.source == Contact.Source.API
    vip.refresh_from_db()
    assert vip.contact_count == 1


def test_create_names_the_field_of_a_bad_number(manage_api):
    body = assert_error(
        manage_api.post(CONTACTS, {"phone": "01 23 45 67 89"}), 422, "INVALID_FIELD", "phone"
    )
    assert "cannot receive SMS" in body["message"]
    assert_error(manage_api.post(CONTACTS, {}), 422, "INVALID_FIELD", "phone")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"phone": "0612345678", "email": "not-an-email"}, "email"),
        ({"phone": "0612345678", "firstName": "x" * 101}, "firstName"),
        ({"phone": "0612345678", "favourite": "blue"}, "favourite"),
        ({"phone": "0612345678", "custom": {"shoe": "42"}}, "custom.shoe"),
        ({"phone": "0612345678", "custom": {"points": "many"}}, "custom.points"),
        ({"phone": "0612345678", "lists": ["not-a-uuid"]}, "lists.0"),
        ({"phone": "0612345678", "lists": [str(uuid.uuid4())]}, "lists"),
        ({"phone": "0612\x005678"}, "phone"),
    ],
)
def test_create_names_the_field_at_fault(manage_api, team, body, field):
    CustomField.objects.create(
        account=team.account, key="points", label="Points", type=CustomField.Type.NUMBER
    )
    assert_error(manage_api.post(CONTACTS, body), 422, "INVALID_FIELD", field)
    assert not Contact.objects.exists()


def test_create_refuses_another_accounts_list(manage_api, team):
    theirs = make_list(team.outsider_account, "Theirs")
    response = manage_api.post(CONTACTS, {"phone": "0612345678", "lists": [str(theirs.public_id)]})
    assert_error(response, 422, "INVALID_FIELD", "lists")


def test_a_number_the_account_has_is_409_with_the_existing_id(manage_api, team):
    existing = make_contact(team.account, "+33612345678")
    body = assert_error(
        manage_api.post(CONTACTS, {"phone": "+33 6 12 34 56 78"}), 409, "CONTACT_EXISTS", "phone"
    )
    assert body["id"] == str(existing.public_id)
    # The same number in another account is another contact.
    make_contact(team.outsider_account, "+33612345679")
    assert manage_api.post(CONTACTS, {"phone": "0612345679"}).status_code == 201


def test_get_works(read_api, team):
    contact = make_contact(team.account, first_name="Anne", custom={"city": "Paris"})
    vip = make_list(team.account, "VIP", [contact])
    OptOut.objects.create(account=team.account, phone=contact.phone, source="manual")
    data = read_api.get(f"{CONTACTS}/{contact.public_id}").json()
    assert data["firstName"] == "Anne"
    assert data["custom"] == {"city": "Paris"}
    assert data["lists"] == [str(vip.public_id)]
    assert data["optedOut"] is True


def test_patch_changes_only_the_fields_given(manage_api, team):
    CustomField.objects.create(account=team.account, key="city", label="City")
    CustomField.objects.create(account=team.account, key="shoe", label="Shoe")
    contact = make_contact(
        team.account, first_name="Anne", last_name="Martin", custom={"city": "Paris", "shoe": "38"}
    )
    old, new = make_list(team.account, "Old", [contact]), make_list(team.account, "New")
    response = manage_api.patch(
        f"{CONTACTS}/{contact.public_id}",
        {
            "lastName": "Durand",
            "custom": {"shoe": None, "city": "Nice"},
            "lists": [str(new.public_id)],
        },
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["firstName"], data["lastName"]) == ("Anne", "Durand")
    assert data["custom"] == {"city": "Nice"}
    assert data["lists"] == [str(new.public_id)]
    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.contact_count, new.contact_count) == (0, 1)


def test_patch_changes_the_number(manage_api, team):
    contact = make_contact(team.account)
    response = manage_api.patch(f"{CONTACTS}/{contact.public_id}", {"phone": "06 98 76 54 32"})
    assert response.json()["phone"] == "+33698765432"


def test_patch_refuses_another_contacts_number_and_null(manage_api, team):
    contact = make_contact(team.account, "+33612345678")
    other = make_contact(team.account, "+33612345679")
    body = assert_error(
        manage_api.patch(f"{CONTACTS}/{contact.public_id}", {"phone": "0612345679"}),
        409,
        "CONTACT_EXISTS",
        "phone",
    )
    assert body["id"] == str(other.public_id)
    assert_error(
        manage_api.patch(f"{CONTACTS}/{contact.public_id}", {"firstName": None}),
        422,
        "INVALID_FIELD",
        "firstName",
    )


def test_delete_works_and_keeps_the_opt_out(manage_api, team):
    contact = make_contact(team.account)
    contact_list = make_list(team.account, contacts=[contact])
    OptOut.objects.create(account=team.account, phone=contact.phone, source="manual")
    response = manage_api.delete(f"{CONTACTS}/{contact.public_id}")
    assert response.status_code == 204
    assert not Contact.objects.exists()
    assert OptOut.objects.filter(phone=contact.phone).exists()
    contact_list.refresh_from_db()
    assert contact_list.contact_count == 0
    assert_error(manage_api.delete(f"{CONTACTS}/{contact.public_id}"), 404, "NOT_FOUND")


def test_the_list_searches_like_the_web_table(read_api, team):
    anne = make_contact(team.account, "+33612345678", first_name="Anne", email="a@shop.example")
    bruno = make_contact(team.account, "+33798765432", last_name="Bruneau")
    vip = make_list(team.account, "VIP", [bruno])

    def ids(**params) -> set[str]:
        return {item["id"] for item in read_api.get(CONTACTS, params).json()["items"]}

    assert ids() == {str(anne.public_id), str(bruno.public_id)}
    assert ids(q="06 12") == {str(anne.public_id)}  # the beginning of a number
    assert ids(q="+33798765432") == {str(bruno.public_id)}
    assert ids(q="brun") == {str(bruno.public_id)}
    assert ids(q="a@shop") == {str(anne.public_id)}
    assert ids(list=str(vip.public_id)) == {str(bruno.public_id)}
    assert ids(list=str(uuid.uuid4())) == set()


def test_pages_walk_every_contact_once_newest_first(read_api, team):
    contacts = [make_contact(team.account, f"+3361234560{i}") for i in range(7)]
    # Two created at the same instant: the id settles the order.
    same = timezone.now()
    Contact.objects.filter(pk__in=[contacts[2].pk, contacts[3].pk]).update(created_at=same)
    make_contact(team.outsider_account, "+33612345699")
    items = walk(read_api, CONTACTS, limit=3)
    expected = list(
        Contact.objects.filter(account=team.account)
        .order_by("-created_at", "-id")
        .values_list("public_id", flat=True)
    )
    assert [item["id"] for item in items] == [str(public_id) for public_id in expected]
    assert len(items) == 7


def test_the_limit_is_bounded(read_api, team):
    for i in range(3):
        make_contact(team.account, f"+3361234560{i}")
    assert len(read_api.get(CONTACTS, {"limit": 2}).json()["items"]) == 2
    assert_error(read_api.get(CONTACTS, {"limit": 101}), 422, "INVALID_FIELD", "limit")
    assert_error(read_api.get(CONTACTS, {"limit": 0}), 422, "INVALID_FIELD", "limit")


def test_a_cursor_that_is_not_ours_is_refused(read_api, team):
    def forged(key) -> str:
        raw = json.dumps({"s": "created", "k": key}).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    for cursor in (
        "garbage",
        forged(["2025-01-01T00:00:00+00:00", 10**30]),  # beyond a bigint
        forged(["2025-01-01T00:00:00+23:00", 1]),  # an offset PostgreSQL refuses
        forged(["2025-01-01T00:00:00", 1]),
    ):
        assert_error(read_api.get(CONTACTS, {"cursor": cursor}), 422, "INVALID_FIELD", "cursor")


def test_the_list_costs_the_same_queries_for_many_contacts(
    read_api, team, django_assert_max_num_queries
):
    lists = [make_list(team.account, f"List {i}") for i in range(3)]
    for i in range(40):
        contact = make_contact(team.account, f"+336123456{i:02d}")
        Membership.objects.bulk_create(
            [Membership(contact=contact, contact_list=lst) for lst in lists]
        )
        if i % 2:
            OptOut.objects.create(account=team.account, phone=contact.phone, source="manual")
    # key + last use, page, opt-outs, memberships
    with django_assert_max_num_queries(6):
        data = read_api.get(CONTACTS).json()
    assert len(data["items"]) == 40
    assert all(len(item["lists"]) == 3 for item in data["items"])
    assert sum(item["optedOut"] for item in data["items"]) == 20


# ------------------------------------------------------------------------------ lists


def test_lists_create_read_rename_delete(manage_api, team):
    response = manage_api.post(LISTS, {"name": " VIP ", "description": "Best customers"})
    assert response.status_code == 201, response.content
    created = response.json()
    assert (created["name"], created["description"], created["contactCount"]) == (
        "VIP",
        "Best customers",
        0,
    )
    path = f"{LISTS}/{created['id']}"
    assert manage_api.get(path).json() == created
    renamed = manage_api.patch(path, {"name": "Gold"}).json()
    assert (renamed["name"], renamed["description"]) == ("Gold", "Best customers")
    contact = make_contact(team.account)
    Membership.objects.create(contact=contact, contact_list=ContactList.objects.get())
    assert manage_api.delete(path).status_code == 204
    assert not ContactList.objects.exists()
    assert Contact.objects.filter(pk=contact.pk).exists()  # its contacts stay


def test_a_list_name_is_unique_and_required(manage_api, team):
    existing = make_list(team.account, "VIP")
    other = make_list(team.account, "Other")
    body = assert_error(manage_api.post(LISTS, {"name": "VIP"}), 409, "LIST_EXISTS", "name")
    assert body["id"] == str(existing.public_id)
    assert_error(
        manage_api.patch(f"{LISTS}/{other.public_id}", {"name": "VIP"}), 409, "LIST_EXISTS", "name"
    )
    assert_error(manage_api.post(LISTS, {"name": "  "}), 422, "INVALID_FIELD", "name")
    assert_error(manage_api.post(LISTS, {"name": "x" * 101}), 422, "INVALID_FIELD", "name")
    assert_error(
        manage_api.patch(f"{LISTS}/{other.public_id}", {"name": None}), 422, "INVALID_FIELD", "name"
    )
    # Another account may use the name.
    make_list(team.outsider_account, "Theirs")
    assert manage_api.post(LISTS, {"name": "Theirs"}).status_code == 201


def test_lists_pages_walk_every_list_once(read_api, team):
    for i in range(5):
        make_list(team.account, f"List {i}")
    make_list(team.outsider_account, "Theirs")
    items = walk(read_api, LISTS, limit=2)
    assert sorted(item["name"] for item in items) == [f"List {i}" for i in range(5)]


def test_a_page_is_50_rows_by_default_in_one_query(read_api, team, django_assert_max_num_queries):
    ContactList.objects.bulk_create(
        [ContactList(account=team.account, name=f"List {i}") for i in range(51)]
    )
    with django_assert_max_num_queries(3):  # key, last use, page
        data = read_api.get(LISTS).json()
    assert len(data["items"]) == 50
    assert data["nextCursor"]
    assert len(read_api.get(LISTS, {"cursor": data["nextCursor"]}).json()["items"]) == 1


def test_bulk_add_creates_missing_contacts_and_reports_invalid_numbers(manage_api, team):
    member = make_contact(team.account, "+33612345601")
    known = make_contact(team.account, "+33612345602")
    contact_list = make_list(team.account, contacts=[member])
    make_contact(team.outsider_account, "+33612345603")  # someone else's: not touched
    response = manage_api.post(
        f"{LISTS}/{contact_list.public_id}/contacts",
        {
            "numbers": [
                "06 12 34 56 01",  # already in the list
                "+33612345602",  # a contact, not in the list yet
                "0612345603",  # new to this account
                "hello",
                "+33 6 12 34 56 03",  # the same number again
                "01 23 45 67 89",  # a landline
            ]
        },
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["added"], data["alreadyThere"], data["contactsCreated"]) == (2, 2, 1)
    assert [(item["index"], item["value"]) for item in data["invalid"]] == [
        (3, "hello"),
        (5, "01 23 45 67 89"),
    ]
    assert "cannot receive SMS" in data["invalid"][1]["reason"]
    contact_list.refresh_from_db()
    assert contact_list.contact_count == 3
    assert set(contact_list.contacts.values_list("phone", flat=True)) == {
        "+33612345601",
        "+33612345602",
        "+33612345603",
    }
    created = Contact.objects.get(account=team.account, phone="+33612345603")
    assert created.source == Contact.Source.API
    assert known.memberships.count() == 1
    assert Contact.objects.filter(account=team.outsider_account).count() == 1


def test_bulk_add_is_set_based(manage_api, team, django_assert_max_num_queries):
    contact_list = make_list(team.account)
    numbers = [f"+336{i:08d}" for i in range(10_000)]
    with django_assert_max_num_queries(20):
        response = manage_api.post(
            f"{LISTS}/{contact_list.public_id}/contacts", {"numbers": numbers}
        )
    assert response.status_code == 200, response.content
    assert response.json()["added"] == 10_000
    contact_list.refresh_from_db()
    assert contact_list.contact_count == 10_000


def test_bulk_add_takes_10000_numbers_at_most(manage_api, team):
    contact_list = make_list(team.account)
    path = f"{LISTS}/{contact_list.public_id}/contacts"
    assert_error(
        manage_api.post(path, {"numbers": ["0612345678"] * 10_001}), 422, "INVALID_FIELD", "numbers"
    )
    assert_error(manage_api.post(path, {"numbers": []}), 422, "INVALID_FIELD", "numbers")


def test_remove_a_contact_from_a_list(manage_api, team):
    contact = make_contact(team.account)
    contact_list = make_list(team.account, contacts=[contact])
    path = f"{LISTS}/{contact_list.public_id}/contacts/{contact.public_id}"
    assert manage_api.delete(path).status_code == 204
    contact_list.refresh_from_db()
    assert contact_list.contact_count == 0
    assert Contact.objects.filter(pk=contact.pk).exists()
    assert_error(manage_api.delete(path), 404, "NOT_FOUND")


# --------------------------------------------------------------------------- opt-outs


def test_opt_out_a_number_is_idempotent(manage_api, team):
    response = manage_api.post(OPTOUTS, {"phone": "06 12 34 56 78"})
    assert response.status_code == 201, response.content
    created = response.json()
    assert (created["phone"], created["source"]) == ("+33612345678", "api")
    again = manage_api.post(OPTOUTS, {"phone": "+33612345678"})
    assert again.status_code == 200
    assert again.json()["id"] == created["id"]
    assert OptOut.objects.get().created_by == team.owner
    assert_error(manage_api.post(OPTOUTS, {"phone": "12"}), 422, "INVALID_FIELD", "phone")


def test_the_opt_out_list_shows_active_ones_and_searches(read_api, team):
    OptOut.objects.create(account=team.account, phone="+33612345678", source="stop")
    OptOut.objects.create(account=team.account, phone="+33798765432", source="manual")
    OptOut.objects.create(
        account=team.account, phone="+33611111111", source="manual", removed_at=timezone.now()
    )
    OptOut.objects.create(account=team.outsider_account, phone="+33622222222", source="manual")
    phones = [item["phone"] for item in read_api.get(OPTOUTS).json()["items"]]
    assert sorted(phones) == ["+33612345678", "+33798765432"]
    found = read_api.get(OPTOUTS, {"q": "07 98"}).json()["items"]
    assert [item["phone"] for item in found] == ["+33798765432"]
    assert read_api.get(OPTOUTS, {"q": "anne"}).json()["items"] == []


def test_opt_out_pages_walk_every_row_once(read_api, team, django_assert_max_num_queries):
    for i in range(5):
        OptOut.objects.create(account=team.account, phone=f"+3361234560{i}", source="manual")
    assert len({item["id"] for item in walk(read_api, OPTOUTS, limit=2)}) == 5
    with django_assert_max_num_queries(3):  # key, last use, page
        assert len(read_api.get(OPTOUTS).json()["items"]) == 5


@pytest.mark.parametrize("written", ["%2B33612345678", "+33612345678", "0612345678"])
def test_lift_an_opt_out(manage_api, team, written):
    optout = OptOut.objects.create(account=team.account, phone="+33612345678", source="stop")
    assert manage_api.delete(f"{OPTOUTS}/{written}").status_code == 204
    optout.refresh_from_db()
    assert optout.removed_at is not None and optout.removed_by == team.owner
    assert_error(manage_api.delete(f"{OPTOUTS}/{written}"), 404, "NOT_FOUND")


def test_lifting_a_bad_number_names_it(manage_api):
    assert_error(manage_api.delete(f"{OPTOUTS}/hello"), 422, "INVALID_FIELD", "phone")


# ---------------------------------------------------------------------------- scopes

WRITES = [
    ("post", CONTACTS, {"phone": "0612345678"}),
    ("patch", CONTACTS + "/{contact}", {"firstName": "Eve"}),
    ("delete", CONTACTS + "/{contact}", None),
    ("post", LISTS, {"name": "New"}),
    ("patch", LISTS + "/{list}", {"name": "Renamed"}),
    ("delete", LISTS + "/{list}", None),
    ("post", LISTS + "/{list}/contacts", {"numbers": ["0612345679"]}),
    ("delete", LISTS + "/{list}/contacts/{contact}", None),
    ("post", OPTOUTS, {"phone": "0612345678"}),
    ("delete", OPTOUTS + "/%2B33612345600", None),
]


def _call(client, method: str, path: str, body):
    if method in ("post", "patch"):
        return getattr(client, method)(path, body)
    return getattr(client, method)(path)


@pytest.fixture
def owned(team) -> dict[str, str]:
    contact = make_contact(team.account, "+33612345601")
    contact_list = make_list(team.account, "Mine", [contact])
    OptOut.objects.create(account=team.account, phone="+33612345600", source="manual")
    return {"contact": str(contact.public_id), "list": str(contact_list.public_id)}


@pytest.mark.parametrize("scope", ["read", "send"])
@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_writes_need_the_manage_scope(api_client_for, owned, scope, method, path, body):
    client = api_client_for(scope)
    response = _call(client, method, path.format(**owned), body)
    body_ = assert_error(response, 403, "INSUFFICIENT_SCOPE")
    assert "'manage'" in body_["message"]


def test_reads_need_the_read_scope_only(read_api, owned):
    for path in (
        CONTACTS,
        f"{CONTACTS}/{owned['contact']}",
        LISTS,
        f"{LISTS}/{owned['list']}",
        OPTOUTS,
    ):
        assert read_api.get(path).status_code == 200, path


# ---------------------------------------------------------------------------- tenancy


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", CONTACTS + "/{contact}", None),
        *[write for write in WRITES if "{" in write[1]],
        ("get", LISTS + "/{list}", None),
    ],
)
def test_another_accounts_ids_answer_404(outsider_api, owned, team, method, path, body):
    response = _call(outsider_api, method, path.format(**owned), body)
    assert_error(response, 404, "NOT_FOUND")
    # Nothing changed, nothing leaked.
    assert Contact.objects.filter(public_id=owned["contact"], first_name="").exists()
    assert ContactList.objects.get(public_id=owned["list"]).name == "Mine"
    assert OptOut.objects.filter(phone="+33612345600", removed_at__isnull=True).exists()
    assert str(owned["contact"]) not in response.content.decode()


def test_another_accounts_contact_in_my_list_answers_404(manage_api, team):
    mine = make_list(team.account)
    theirs = make_contact(team.outsider_account)
    response = manage_api.delete(f"{LISTS}/{mine.public_id}/contacts/{theirs.public_id}")
    assert_error(response, 404, "NOT_FOUND")


def test_lists_and_searches_show_only_the_accounts_rows(outsider_api, owned):
    assert outsider_api.get(CONTACTS).json()["items"] == []
    assert outsider_api.get(LISTS).json()["items"] == []
    assert outsider_api.get(OPTOUTS).json()["items"] == []
    assert outsider_api.get(CONTACTS, {"list": owned["list"]}).json()["items"] == []


# ----------------------------------------------------------------------- idempotency


def test_an_idempotency_key_replays_the_first_answer(manage_api):
    first = manage_api.post(LISTS, {"name": "VIP"}, HTTP_IDEMPOTENCY_KEY="k-1")
    again = manage_api.post(LISTS, {"name": "VIP"}, HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert ContactList.objects.count() == 1
    other = manage_api.post(LISTS, {"name": "Other"}, HTTP_IDEMPOTENCY_KEY="k-1")
    assert_error(other, 422, "IDEMPOTENCY_KEY_REUSED")
