"""Bulk actions on ticked contacts or on every contact matching the search."""

import pytest

from contacts.models import Contact, ContactList, Membership, OptOut
from contacts.services import contact_save, lists_add_contacts, optout_add

pytestmark = pytest.mark.django_db

URL = "/contacts/bulk/"


@pytest.fixture
def people(team):
    return [
        contact_save(account=team.account, phone=f"06 12 34 56 7{i}", first_name=name)
        for i, name in enumerate(["Ada", "Alan", "Grace", "Linus"])
    ]


@pytest.fixture
def vip(team):
    return ContactList.objects.create(account=team.account, name="VIP")


def ids(*contacts) -> list[str]:
    return [str(c.public_id) for c in contacts]


def test_it_rejects_get(owner_client):
    assert owner_client.get(URL).status_code == 405


@pytest.mark.parametrize("client_name", ["owner_client", "admin_client_", "member_client"])
def test_every_role_adds_ticked_contacts_to_a_list(request, people, vip, client_name):
    client = request.getfixturevalue(client_name)
    response = client.post(
        URL,
        {"action": "add_to_list", "target_list": str(vip.public_id), "ids": ids(*people[:2])},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/contacts/"
    assert set(vip.contacts.all()) == set(people[:2])
    vip.refresh_from_db()
    assert vip.contact_count == 2
    assert "2 contacts are now in the list “VIP”." in response.content.decode()


def test_adding_needs_a_list(owner_client, people):
    response = owner_client.post(URL, {"action": "add_to_list", "ids": ids(people[0])}, follow=True)
    assert "Choose a list." in response.content.decode()
    assert Membership.objects.count() == 0


def test_nothing_ticked_is_refused_with_a_message(owner_client, vip):
    response = owner_client.post(
        URL, {"action": "add_to_list", "target_list": str(vip.public_id)}, follow=True
    )
    assert "Tick at least one contact first." in response.content.decode()


def test_it_removes_ticked_contacts_from_a_list(owner_client, people, vip):
    lists_add_contacts(contact_list=vip, contact_ids=[c.pk for c in people])
    response = owner_client.post(
        URL,
        {"action": "remove_from_list", "target_list": str(vip.public_id), "ids": ids(people[0])},
        follow=True,
    )
    assert set(vip.contacts.all()) == set(people[1:])
    vip.refresh_from_db()
    assert vip.contact_count == 3
    assert Contact.objects.filter(pk=people[0].pk).exists()  # out of the list, not deleted
    assert "1 contact is no longer in the list “VIP”." in response.content.decode()


def test_it_opts_ticked_contacts_out_by_hand_recording_who(owner_client, team, people):
    optout_add(account=team.account, phone=people[1].phone, source=OptOut.Source.STOP)
    response = owner_client.post(URL, {"action": "opt_out", "ids": ids(*people[:2])}, follow=True)
    active = OptOut.objects.filter(account=team.account, removed_at__isnull=True)
    assert set(active.values_list("phone", flat=True)) == {people[0].phone, people[1].phone}
    made = active.get(phone=people[0].phone)
    assert made.source == OptOut.Source.MANUAL
    assert made.created_by == team.owner
    assert active.get(phone=people[1].phone).source == OptOut.Source.STOP  # untouched
    assert "1 contact opted out." in response.content.decode()


def test_deleting_asks_for_confirmation_first_and_says_opt_outs_are_kept(owner_client, people):
    response = owner_client.post(URL, {"action": "delete", "ids": ids(*people[:3])})
    assert response.status_code == 200
    content = response.content.decode()
    assert "3 contacts will be deleted" in content
    assert "opt-outs are kept" in content
    assert 'name="confirm" value="1"' in content
    assert Contact.objects.count() == 4


def test_confirmed_delete_deletes_the_ticked_contacts_and_keeps_their_opt_outs(
    owner_client, team, people, vip
):
    lists_add_contacts(contact_list=vip, contact_ids=[c.pk for c in people])
    optout_add(account=team.account, phone=people[0].phone, source=OptOut.Source.STOP)
    response = owner_client.post(
        URL, {"action": "delete", "confirm": "1", "ids": ids(*people[:2])}, follow=True
    )
    assert set(Contact.objects.all()) == set(people[2:])
    assert OptOut.objects.filter(account=team.account, phone=people[0].phone).exists()
    vip.refresh_from_db()
    assert vip.contact_count == 2
    assert "2 contacts deleted." in response.content.decode()


def test_all_matching_applies_to_every_contact_of_the_search(owner_client, team, people, vip):
    # "a" matches Ada and Alan; with all_matching the ticked ids do not limit it.
    response = owner_client.post(
        URL,
        {
            "action": "add_to_list",
            "target_list": str(vip.public_id),
            "all_matching": "1",
            "q": "a",
            "ids": ids(people[0]),
        },
    )
    assert set(vip.contacts.all()) == {people[0], people[1]}
    assert response["Location"] == "/contacts/?q=a"


def test_all_matching_keeps_the_list_and_opt_out_filters(owner_client, team, people, vip):
    lists_add_contacts(contact_list=vip, contact_ids=[c.pk for c in people[:3]])
    optout_add(account=team.account, phone=people[2].phone, source=OptOut.Source.STOP)
    response = owner_client.post(
        URL,
        {
            "action": "delete",
            "confirm": "1",
            "all_matching": "1",
            "list": str(vip.public_id),
            "opted_out": "0",
        },
    )
    assert set(Contact.objects.all()) == {people[2], people[3]}
    assert response["Location"] == f"/contacts/?list={vip.public_id}&opted_out=0"


def test_all_matching_delete_confirmation_counts_every_match(owner_client, team, people):
    response = owner_client.post(URL, {"action": "delete", "all_matching": "1", "q": "a"})
    content = response.content.decode()
    assert "2 contacts will be deleted" in content
    assert 'name="all_matching" value="1"' in content
    assert 'name="q" value="a"' in content
    assert Contact.objects.count() == 4


def test_all_matching_works_in_a_bounded_number_of_queries(
    owner_client, team, vip, django_assert_max_num_queries
):
    Contact.objects.bulk_create(
        [Contact(account=team.account, phone=f"+3361000{i:04d}") for i in range(30)]
    )
    # Set-based: the same queries for 30 contacts as for a million.
    with django_assert_max_num_queries(16):
        owner_client.post(URL, {"action": "opt_out", "all_matching": "1"})
    assert OptOut.objects.filter(account=team.account).count() == 30
    with django_assert_max_num_queries(16):
        owner_client.post(
            URL, {"action": "add_to_list", "target_list": str(vip.public_id), "all_matching": "1"}
        )
    vip.refresh_from_db()
    assert vip.contact_count == 30
    with django_assert_max_num_queries(20):
        owner_client.post(URL, {"action": "delete", "all_matching": "1", "confirm": "1"})
    vip.refresh_from_db()
    assert vip.contact_count == 0
    assert not Contact.objects.filter(account=team.account).exists()
    assert OptOut.objects.filter(account=team.account).count() == 30


def test_another_accounts_ids_are_ignored_and_never_touched(owner_client, team, people, vip):
    theirs = contact_save(account=team.outsider_account, phone="06 99 88 77 66")
    for action in ("add_to_list", "opt_out"):
        owner_client.post(
            URL,
            {
                "action": action,
                "target_list": str(vip.public_id),
                "ids": [*ids(theirs, people[0]), "not-a-uuid"],
            },
        )
    owner_client.post(URL, {"action": "delete", "confirm": "1", "ids": ids(theirs)})

    assert Contact.objects.filter(pk=theirs.pk).exists()
    assert list(vip.contacts.all()) == [people[0]]
    assert not OptOut.objects.filter(phone=theirs.phone).exists()
    assert not theirs.memberships.exists()


def test_another_accounts_list_is_refused(owner_client, team, people):
    theirs = ContactList.objects.create(account=team.outsider_account, name="Theirs")
    response = owner_client.post(
        URL,
        {"action": "add_to_list", "target_list": str(theirs.public_id), "ids": ids(people[0])},
        follow=True,
    )
    assert not theirs.memberships.exists()
    assert "Choose one of your lists." in response.content.decode()


def test_all_matching_never_reaches_another_account(owner_client, team, people):
    contact_save(account=team.outsider_account, phone="06 99 88 77 66")
    owner_client.post(URL, {"action": "delete", "confirm": "1", "all_matching": "1"})
    assert Contact.objects.filter(account=team.outsider_account).count() == 1
    assert not Contact.objects.filter(account=team.account).exists()


def test_an_unknown_action_changes_nothing(owner_client, people):
    response = owner_client.post(URL, {"action": "explode", "ids": ids(*people)}, follow=True)
    assert "Choose an action." in response.content.decode()
    assert Contact.objects.count() == 4


def test_all_matching_with_a_list_that_no_longer_exists_does_nothing(owner_client, team, people):
    gone = ContactList.objects.create(account=team.account, name="Gone")
    gone_id = str(gone.public_id)
    gone.delete()
    response = owner_client.post(
        URL,
        {"action": "delete", "confirm": "1", "all_matching": "1", "list": gone_id},
        follow=True,
    )
    assert "The search changed in the meantime: nothing was done." in response.content.decode()
    assert Contact.objects.count() == 4


def test_all_matching_opt_out_of_opted_out_contacts_creates_nothing(owner_client, team, people):
    optout_add(account=team.account, phone=people[0].phone, source=OptOut.Source.STOP)
    response = owner_client.post(
        URL, {"action": "opt_out", "all_matching": "1", "opted_out": "1"}, follow=True
    )
    assert "0 contacts opted out." in response.content.decode()
    assert OptOut.objects.filter(account=team.account).count() == 1


def test_deleting_a_selection_handles_every_model_that_points_at_contacts():
    from django.apps import apps

    from contacts.services import CONTACT_RELATIONS_HANDLED

    related = {
        f"{rel.related_model._meta.app_label}.{rel.related_model.__name__}"
        for rel in apps.get_model("contacts", "Contact")._meta.related_objects
    }
    assert related == CONTACT_RELATIONS_HANDLED


def test_all_matching_delete_within_a_list_deletes_exactly_that_list(
    owner_client, team, people, vip
):
    from contacts.services import lists_add_contacts

    other = ContactList.objects.create(account=team.account, name="Other")
    lists_add_contacts(contact_list=vip, contact_ids=[people[0].pk, people[1].pk])
    lists_add_contacts(contact_list=other, contact_ids=[people[1].pk, people[2].pk])
    owner_client.post(
        URL, {"action": "delete", "all_matching": "1", "confirm": "1", "list": str(vip.public_id)}
    )
    assert set(Contact.objects.filter(account=team.account)) == set(people) - {people[0], people[1]}
    other.refresh_from_db()
    vip.refresh_from_db()
    assert (vip.contact_count, other.contact_count) == (0, 1)
