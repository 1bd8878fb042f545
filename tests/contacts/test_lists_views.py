"""Lists: index, create, rename, members, delete (never their contacts)."""

import html
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from contacts.models import Contact, ContactList
from contacts.services import contact_save, lists_add_contacts

pytestmark = pytest.mark.django_db

INDEX = "/contacts/lists/"
NEW = "/contacts/lists/new/"
ROW_LINK = re.compile(r'href="/contacts/([0-9a-f-]{36})/"')
NEXT_LINK = re.compile(r'href="([^"]+)" rel="next"')


@pytest.fixture
def vip(team):
    contact_list = ContactList.objects.create(
        account=team.account, name="VIP", description="Our best customers"
    )
    ada = contact_save(account=team.account, phone="+33612345678", first_name="Ada")
    lists_add_contacts(contact_list=contact_list, contact_ids=[ada.pk])
    contact_list.refresh_from_db()
    return contact_list


def url(contact_list, suffix="") -> str:
    return f"/contacts/lists/{contact_list.public_id}/{suffix}"


@pytest.mark.parametrize("client_name", ["owner_client", "admin_client_", "member_client"])
def test_every_role_sees_the_lists_with_their_counts(request, team, vip, client_name):
    ContactList.objects.create(account=team.outsider_account, name="Their list")
    response = request.getfixturevalue(client_name).get(INDEX)
    assert response.status_code == 200
    content = response.content.decode()
    assert "VIP" in content
    assert "Our best customers" in content
    assert '<td class="text-end">1</td>' in content
    assert 'href="/contacts/lists/new/"' in content
    assert "Their list" not in content


def test_no_lists_yet_explains_what_they_are_for(owner_client):
    content = owner_client.get(INDEX).content.decode()
    assert 'data-testid="empty-state"' in content
    assert "Campaigns are sent to lists." in content


def test_the_contacts_area_tabs_show_the_current_section(owner_client, vip):
    content = owner_client.get(INDEX).content.decode()
    assert 'class="nav-link active" href="/contacts/lists/" aria-current="page"' in content
    assert 'href="/contacts/opt-outs/"' in content
    content = owner_client.get("/contacts/").content.decode()
    assert 'class="nav-link active" href="/contacts/" aria-current="page"' in content


@pytest.mark.parametrize("client_name", ["owner_client", "member_client"])
def test_it_creates_a_list(request, team, client_name):
    client = request.getfixturevalue(client_name)
    response = client.post(NEW, {"name": " Newsletter ", "description": "Monthly"}, follow=True)
    created = ContactList.objects.get(account=team.account)
    assert (created.name, created.description) == ("Newsletter", "Monthly")
    assert response.redirect_chain[-1][0] == url(created)
    assert "List “Newsletter” created." in response.content.decode()


def test_a_name_already_used_in_the_account_is_refused_clearly(owner_client, team, vip):
    response = owner_client.post(NEW, {"name": "VIP"})
    assert response.status_code == 400
    content = response.content.decode()
    assert "A list named “VIP” already exists: choose another name." in content
    assert 'value="VIP"' in content
    assert ContactList.objects.filter(account=team.account).count() == 1


def test_the_same_name_in_another_account_is_fine(owner_client, team):
    ContactList.objects.create(account=team.outsider_account, name="VIP")
    assert owner_client.post(NEW, {"name": "VIP"}).status_code == 302
    assert ContactList.objects.filter(account=team.account, name="VIP").exists()


def test_a_name_is_required(owner_client):
    response = owner_client.post(NEW, {"name": "  "})
    assert response.status_code == 400
    assert b"This field is required." in response.content
    assert not ContactList.objects.exists()


def test_it_renames_a_list(owner_client, team, vip):
    response = owner_client.post(url(vip, "edit/"), {"name": "Gold", "description": ""})
    assert response.status_code == 302
    vip.refresh_from_db()
    assert (vip.name, vip.description, vip.contact_count) == ("Gold", "", 1)


def test_renaming_to_another_lists_name_is_refused_but_keeping_its_own_is_fine(
    owner_client, team, vip
):
    ContactList.objects.create(account=team.account, name="Other")
    assert owner_client.post(url(vip, "edit/"), {"name": "Other"}).status_code == 400
    assert (
        owner_client.post(url(vip, "edit/"), {"name": "VIP", "description": "x"}).status_code == 302
    )


def test_the_list_page_shows_its_members_and_links_to_the_filtered_table(owner_client, team, vip):
    contact_save(account=team.account, phone="+33755443322", first_name="NotInTheList")
    content = owner_client.get(url(vip)).content.decode()
    assert "+33 6 12 34 56 78" in content
    assert "NotInTheList" not in content
    assert "1 contact" in content
    assert f'href="/contacts/?list={vip.public_id}"' in content


def test_the_members_are_keyset_paginated(owner_client, team):
    contact_list = ContactList.objects.create(account=team.account, name="Big")
    contacts = Contact.objects.bulk_create(
        [Contact(account=team.account, phone=f"+3361{i:07d}") for i in range(120)]
    )
    start = timezone.now() - timedelta(days=1)
    for i, contact in enumerate(contacts):
        contact.created_at = start + timedelta(minutes=i)
    Contact.objects.bulk_update(contacts, ["created_at"])
    lists_add_contacts(contact_list=contact_list, contact_ids=[c.pk for c in contacts[:110]])

    seen, next_url = [], url(contact_list)
    while next_url:
        page = owner_client.get(next_url).content.decode()
        seen += ROW_LINK.findall(page)
        found = NEXT_LINK.search(page)
        next_url = html.unescape(found.group(1)) if found else None
    assert seen == [str(c.public_id) for c in reversed(contacts[:110])]


def test_delete_asks_for_confirmation_and_says_contacts_are_kept(owner_client, vip):
    response = owner_client.get(url(vip, "delete/"))
    assert response.status_code == 200
    assert b"Its 1 contact is kept" in response.content
    assert ContactList.objects.filter(pk=vip.pk).exists()


def test_deleting_a_list_keeps_its_contacts(owner_client, team, vip):
    response = owner_client.post(url(vip, "delete/"), follow=True)
    assert response.redirect_chain[-1][0] == INDEX
    assert "List “VIP” deleted. Its contacts are kept." in response.content.decode()
    assert not ContactList.objects.filter(pk=vip.pk).exists()
    assert Contact.objects.filter(account=team.account, phone="+33612345678").exists()


@pytest.mark.parametrize("suffix", ["", "edit/", "delete/"])
def test_an_outsider_gets_404_on_every_list_url(outsider_client, vip, suffix):
    assert outsider_client.get(url(vip, suffix)).status_code == 404
    assert outsider_client.post(url(vip, suffix), {"name": "Hacked"}).status_code == 404
    vip.refresh_from_db()
    assert vip.name == "VIP"
