import pytest
from django.contrib.messages import get_messages

from smsmode.accounts.models import Membership, Role

pytestmark = pytest.mark.django_db


def _url(membership: Membership) -> str:
    return f"/team/members/{membership.public_id}/role/"


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _role(team, user) -> str:
    return team.membership(user).role


def test_an_owner_promotes_a_member_to_admin(owner_client, team):
    response = owner_client.post(_url(team.membership(team.member)), {"role": "admin"})
    assert response.status_code == 302
    assert response["Location"] == "/team/"
    assert _role(team, team.member) == Role.ADMIN
    assert "member@acme.test is now Admin." in _messages(response)


def test_an_owner_makes_an_admin_an_owner(owner_client, team):
    owner_client.post(_url(team.membership(team.admin)), {"role": "owner"})
    assert _role(team, team.admin) == Role.OWNER


def test_an_admin_changes_members_and_admins(admin_client_, team):
    response = admin_client_.post(_url(team.membership(team.member)), {"role": "admin"})
    assert response.status_code == 302
    assert _role(team, team.member) == Role.ADMIN
    admin_client_.post(_url(team.membership(team.member)), {"role": "member"})
    assert _role(team, team.member) == Role.MEMBER


def test_an_admin_cannot_make_someone_an_owner(admin_client_, team):
    response = admin_client_.post(_url(team.membership(team.member)), {"role": "owner"})
    assert response.status_code == 302
    assert _role(team, team.member) == Role.MEMBER
    assert "Only an owner can grant or remove the owner role." in _messages(response)


def test_an_admin_cannot_make_themselves_an_owner(admin_client_, team):
    admin_client_.post(_url(team.membership(team.admin)), {"role": "owner"})
    assert _role(team, team.admin) == Role.ADMIN


def test_an_admin_cannot_demote_an_owner(admin_client_, team):
    response = admin_client_.post(_url(team.membership(team.owner)), {"role": "member"})
    assert response.status_code == 302
    assert _role(team, team.owner) == Role.OWNER
    assert "Only an owner can grant or remove the owner role." in _messages(response)


def test_an_admin_cannot_demote_an_owner_even_when_there_are_two(admin_client_, team):
    Membership.objects.filter(account=team.account, user=team.member).update(role=Role.OWNER)
    admin_client_.post(_url(team.membership(team.member)), {"role": "admin"})
    assert _role(team, team.member) == Role.OWNER


def test_a_member_cannot_change_roles(member_client, team):
    response = member_client.post(_url(team.membership(team.member)), {"role": "admin"})
    assert response.status_code == 403
    assert _role(team, team.member) == Role.MEMBER
    response = member_client.post(_url(team.membership(team.admin)), {"role": "member"})
    assert response.status_code == 403
    assert _role(team, team.admin) == Role.ADMIN


def test_an_outsider_gets_not_found_for_a_membership_of_another_account(outsider_client, team):
    response = outsider_client.post(_url(team.membership(team.member)), {"role": "owner"})
    assert response.status_code == 404
    assert _role(team, team.member) == Role.MEMBER


def test_an_unknown_membership_is_not_found(owner_client, team):
    response = owner_client.post(
        "/team/members/00000000-0000-0000-0000-000000000000/role/", {"role": "admin"}
    )
    assert response.status_code == 404


def test_the_last_owner_cannot_step_down(owner_client, team):
    response = owner_client.post(_url(team.membership(team.owner)), {"role": "admin"})
    assert response.status_code == 302
    assert _role(team, team.owner) == Role.OWNER
    assert "An account needs at least one owner." in _messages(response)


def test_with_two_owners_one_can_step_down(owner_client, team):
    owner_client.post(_url(team.membership(team.admin)), {"role": "owner"})
    assert _role(team, team.admin) == Role.OWNER
    response = owner_client.post(_url(team.membership(team.owner)), {"role": "member"})
    assert response.status_code == 302
    assert _role(team, team.owner) == Role.MEMBER
    assert _role(team, team.admin) == Role.OWNER
    # Now a member, the former owner can no longer change roles.
    assert (
        owner_client.post(_url(team.membership(team.admin)), {"role": "member"}).status_code == 403
    )
    assert _role(team, team.admin) == Role.OWNER


def test_an_owner_can_demote_another_owner(owner_client, team):
    Membership.objects.filter(account=team.account, user=team.admin).update(role=Role.OWNER)
    owner_client.post(_url(team.membership(team.admin)), {"role": "admin"})
    assert _role(team, team.admin) == Role.ADMIN
    assert _role(team, team.owner) == Role.OWNER


def test_changing_a_role_needs_a_post(owner_client, team):
    response = owner_client.get(_url(team.membership(team.member)), {"role": "admin"})
    assert response.status_code == 405
    assert _role(team, team.member) == Role.MEMBER


@pytest.mark.parametrize("role", ["superuser", "", "OWNER"])
def test_an_unknown_role_changes_nothing(owner_client, team, role):
    response = owner_client.post(_url(team.membership(team.member)), {"role": role})
    assert response.status_code == 302
    assert _role(team, team.member) == Role.MEMBER
    assert "Choose a valid role." in _messages(response)


def test_a_missing_role_changes_nothing(owner_client, team):
    response = owner_client.post(_url(team.membership(team.member)), {})
    assert response.status_code == 302
    assert _role(team, team.member) == Role.MEMBER
