"""Adding and editing a contact: number normalised, errors next to the field,
custom fields validated by type, list memberships kept in sync."""

import pytest

from contacts.models import Contact, ContactList, CustomField
from contacts.services import contact_save, lists_add_contacts

pytestmark = pytest.mark.django_db

NEW = "/contacts/new/"


def edit_url(contact) -> str:
    return f"/contacts/{contact.public_id}/edit/"


@pytest.fixture
def fields(team):
    return {
        kind: CustomField.objects.create(account=team.account, key=key, label=label, type=kind)
        for kind, key, label in [
            ("text", "city", "City"),
            ("number", "points", "Loyalty points"),
            ("date", "birthday", "Birthday"),
        ]
    }


@pytest.mark.parametrize("client_name", ["owner_client", "admin_client_", "member_client"])
def test_every_role_adds_a_contact_with_its_number_normalised(request, team, client_name):
    client = request.getfixturevalue(client_name)
    response = client.post(
        NEW,
        {"phone": "06 12 34 56 78", "first_name": " Ada ", "last_name": "Lovelace", "email": ""},
    )
    contact = Contact.objects.get(account=team.account)
    assert response.status_code == 302
    assert response["Location"] == f"/contacts/{contact.public_id}/"
    assert contact.phone == "+33612345678"
    assert contact.first_name == "Ada"
    assert contact.source == Contact.Source.MANUAL
    page = client.get(response["Location"]).content.decode()
    assert "Contact +33 6 12 34 56 78 added." in page


def test_the_form_shows_the_accounts_lists_and_custom_fields_only(owner_client, team, fields):
    ContactList.objects.create(account=team.account, name="Newsletter")
    ContactList.objects.create(account=team.outsider_account, name="Their list")
    CustomField.objects.create(account=team.outsider_account, key="secret", label="Their field")
    content = owner_client.get(NEW).content.decode()
    assert "Newsletter" in content
    assert "Their list" not in content
    assert "Loyalty points" in content
    assert 'type="date"' in content
    assert "Their field" not in content


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("12345", "This phone number is too short."),
        ("01 23 45 67 89", "This number cannot receive SMS"),
        ("call me", "This is not a phone number"),
        ("", "This field is required."),
    ],
)
def test_an_invalid_number_is_shown_next_to_the_field_keeps_the_input_and_saves_nothing(
    owner_client, team, typed, message
):
    response = owner_client.post(NEW, {"phone": typed, "first_name": "Ada"})
    assert response.status_code == 400
    content = response.content.decode()
    assert message in content
    assert 'class="invalid-feedback d-block"' in content
    assert f'value="{typed}"' in content or not typed
    assert 'value="Ada"' in content
    assert not Contact.objects.exists()


def test_a_number_another_contact_has_is_refused_next_to_the_phone_field(owner_client, team):
    contact_save(account=team.account, phone="+33612345678")
    response = owner_client.post(NEW, {"phone": "06.12.34.56.78"})
    assert response.status_code == 400
    content = response.content.decode()
    assert "Another contact already has the number +33612345678." in content
    assert 'value="06.12.34.56.78"' in content
    assert Contact.objects.count() == 1


def test_the_same_number_in_another_account_is_no_duplicate(owner_client, team):
    contact_save(account=team.outsider_account, phone="+33612345678")
    response = owner_client.post(NEW, {"phone": "06 12 34 56 78"})
    assert response.status_code == 302
    assert Contact.objects.filter(account=team.account, phone="+33612345678").exists()


def test_an_invalid_email_is_refused(owner_client):
    response = owner_client.post(NEW, {"phone": "06 12 34 56 78", "email": "not-an-email"})
    assert response.status_code == 400
    assert b"Enter a valid email address." in response.content
    assert not Contact.objects.exists()


def test_custom_fields_are_validated_by_type(owner_client, fields):
    response = owner_client.post(
        NEW,
        {
            "phone": "06 12 34 56 78",
            "custom_city": "Paris",
            "custom_points": "twelve",
            "custom_birthday": "31/02/2020",
        },
    )
    assert response.status_code == 400
    content = response.content.decode()
    assert "Enter a number." in content
    assert "Enter a valid date." in content
    assert 'value="twelve"' in content
    assert not Contact.objects.exists()


def test_custom_values_are_saved_as_text(owner_client, team, fields):
    response = owner_client.post(
        NEW,
        {
            "phone": "06 12 34 56 78",
            "custom_city": "Paris",
            "custom_points": "12.50",
            "custom_birthday": "1990-05-17",
        },
    )
    assert response.status_code == 302
    contact = Contact.objects.get()
    assert contact.custom == {"city": "Paris", "points": "12.50", "birthday": "1990-05-17"}


def test_a_french_user_types_a_decimal_comma(owner_client, team, fields):
    owner_client.cookies["django_language"] = "fr"
    owner_client.post(NEW, {"phone": "06 12 34 56 78", "custom_points": "3,5"})
    assert Contact.objects.get().custom == {"points": "3.5"}


def test_it_puts_the_new_contact_in_the_ticked_lists(owner_client, team):
    vip = ContactList.objects.create(account=team.account, name="VIP")
    other = ContactList.objects.create(account=team.account, name="Other")
    owner_client.post(NEW, {"phone": "06 12 34 56 78", "lists": [str(vip.public_id)]})
    contact = Contact.objects.get()
    assert list(contact.lists.all()) == [vip]
    vip.refresh_from_db()
    other.refresh_from_db()
    assert (vip.contact_count, other.contact_count) == (1, 0)


def test_another_accounts_list_cannot_be_ticked(owner_client, team):
    theirs = ContactList.objects.create(account=team.outsider_account, name="Theirs")
    response = owner_client.post(NEW, {"phone": "06 12 34 56 78", "lists": [str(theirs.public_id)]})
    assert response.status_code == 400
    assert not Contact.objects.exists()
    assert not theirs.memberships.exists()


def test_editing_shows_the_current_values(owner_client, team, fields):
    vip = ContactList.objects.create(account=team.account, name="VIP")
    contact = contact_save(
        account=team.account, phone="+33612345678", first_name="Ada", custom={"points": "7"}
    )
    lists_add_contacts(contact_list=vip, contact_ids=[contact.pk])
    content = owner_client.get(edit_url(contact)).content.decode()
    assert 'value="+33 6 12 34 56 78"' in content  # shown as people read it
    assert 'value="Ada"' in content
    assert 'value="7"' in content
    assert f'value="{vip.public_id}" class="form-check-input" id="id_lists_0" checked' in content


def test_editing_saves_and_syncs_the_lists(owner_client, team, fields):
    old = ContactList.objects.create(account=team.account, name="Old")
    new = ContactList.objects.create(account=team.account, name="New")
    contact = contact_save(
        account=team.account, phone="+33612345678", custom={"points": "7", "legacy": "kept"}
    )
    lists_add_contacts(contact_list=old, contact_ids=[contact.pk])

    response = owner_client.post(
        edit_url(contact),
        {"phone": "+33 7 55 44 33 22", "last_name": "Byron", "lists": [str(new.public_id)]},
    )

    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.phone == "+33755443322"
    assert contact.last_name == "Byron"
    # An emptied field is removed; a value of a field no longer defined is kept.
    assert contact.custom == {"legacy": "kept"}
    assert list(contact.lists.all()) == [new]
    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.contact_count, new.contact_count) == (0, 1)


def test_editing_to_a_number_another_contact_has_is_refused(owner_client, team):
    contact_save(account=team.account, phone="+33612345678")
    contact = contact_save(account=team.account, phone="+33755443322", first_name="Alan")
    response = owner_client.post(edit_url(contact), {"phone": "0612345678", "first_name": "X"})
    assert response.status_code == 400
    assert b"Another contact already has the number" in response.content
    contact.refresh_from_db()
    assert (contact.phone, contact.first_name) == ("+33755443322", "Alan")


def test_keeping_its_own_number_is_no_duplicate(owner_client, team):
    contact = contact_save(account=team.account, phone="+33612345678")
    response = owner_client.post(edit_url(contact), {"phone": "06 12 34 56 78", "first_name": "A"})
    assert response.status_code == 302


def test_an_outsider_cannot_edit_a_contact(outsider_client, team):
    contact = contact_save(account=team.account, phone="+33612345678")
    assert outsider_client.get(edit_url(contact)).status_code == 404
    assert outsider_client.post(edit_url(contact), {"phone": "0755443322"}).status_code == 404
    contact.refresh_from_db()
    assert contact.phone == "+33612345678"
