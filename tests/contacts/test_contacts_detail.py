"""One contact's page, and deleting it (its opt-out stays)."""

import pytest

from contacts.models import Contact, ContactList, CustomField, OptOut
from contacts.services import contact_save, lists_add_contacts, optout_add

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada(team):
    CustomField.objects.create(account=team.account, key="city", label="City")
    contact = contact_save(
        account=team.account,
        phone="+33612345678",
        first_name="Ada",
        last_name="Lovelace",
        email="ada@example.test",
        custom={"city": "London"},
    )
    vip = ContactList.objects.create(account=team.account, name="VIP")
    lists_add_contacts(contact_list=vip, contact_ids=[contact.pk])
    return contact


def detail_url(contact) -> str:
    return f"/contacts/{contact.public_id}/"


def delete_url(contact) -> str:
    return f"/contacts/{contact.public_id}/delete/"


@pytest.mark.parametrize("client_name", ["owner_client", "admin_client_", "member_client"])
def test_every_role_sees_the_contact_page(request, ada, client_name):
    response = request.getfixturevalue(client_name).get(detail_url(ada))
    assert response.status_code == 200
    content = response.content.decode()
    for text in ("+33 6 12 34 56 78", "Ada", "Lovelace", "ada@example.test", "London", "VIP"):
        assert text in content
    assert "Messages received" in content
    assert 'data-testid="no-messages"' in content
    assert f'href="/contacts/{ada.public_id}/edit/"' in content
    assert f'href="/contacts/{ada.public_id}/delete/"' in content
    assert 'href="/contacts/opt-outs/"' in content
    assert "may receive your SMS" in content


def test_it_shows_the_opt_out_state(owner_client, team, ada):
    optout_add(account=team.account, phone=ada.phone, source=OptOut.Source.STOP)
    content = owner_client.get(detail_url(ada)).content.decode()
    assert "This number is on the opt-out list" in content


def test_an_opt_out_in_another_account_does_not_show(owner_client, team, ada):
    optout_add(account=team.outsider_account, phone=ada.phone, source=OptOut.Source.STOP)
    assert b"This number is on the opt-out list" not in owner_client.get(detail_url(ada)).content


@pytest.mark.parametrize("suffix", ["", "edit/", "delete/"])
def test_an_outsider_gets_404_on_every_contact_url(outsider_client, ada, suffix):
    url = f"{detail_url(ada)}{suffix}"
    assert outsider_client.get(url).status_code == 404
    assert outsider_client.post(url).status_code == 404
    assert Contact.objects.filter(pk=ada.pk).exists()


def test_an_unknown_contact_is_404(owner_client):
    assert owner_client.get("/contacts/00000000-0000-0000-0000-000000000000/").status_code == 404


def test_delete_asks_for_confirmation_and_says_the_opt_out_is_kept(owner_client, ada):
    response = owner_client.get(delete_url(ada))
    assert response.status_code == 200
    assert b"+33 6 12 34 56 78" in response.content
    assert b"Its opt-out is kept" in response.content
    assert Contact.objects.filter(pk=ada.pk).exists()


@pytest.mark.parametrize("client_name", ["owner_client", "member_client"])
def test_deleting_a_contact_keeps_its_opt_out_and_updates_list_counts(
    request, team, ada, client_name
):
    optout_add(account=team.account, phone=ada.phone, source=OptOut.Source.STOP)
    response = request.getfixturevalue(client_name).post(delete_url(ada), follow=True)
    assert response.redirect_chain[-1][0] == "/contacts/"
    assert "Contact +33 6 12 34 56 78 deleted." in response.content.decode()
    assert not Contact.objects.filter(pk=ada.pk).exists()
    assert OptOut.objects.filter(account=team.account, phone=ada.phone).exists()
    assert ContactList.objects.get(name="VIP").contact_count == 0


def test_it_lists_the_messages_sent_to_the_number_and_only_this_accounts(owner_client, team, ada):
    from campaigns.models import Campaign, Message

    campaign = Campaign.objects.create(account=team.account, name="Spring")
    theirs = Campaign.objects.create(account=team.outsider_account, name="Theirs")
    common = {"kind": "marketing", "sender": "ACME", "encoding": "GSM7", "segments": 1, "cost": 1}
    Message.objects.create(
        account=team.account,
        campaign=campaign,
        phone=ada.phone,
        body="Hello Ada",
        status="delivered",
        **common,
    )
    Message.objects.create(
        account=team.outsider_account,
        campaign=theirs,
        phone=ada.phone,
        body="Not yours",
        status="delivered",
        **common,
    )
    response = owner_client.get(f"/contacts/{ada.public_id}/")
    body = response.content.decode()
    assert "Hello Ada" in body and "Spring" in body
    assert "Not yours" not in body and "Theirs" not in body
