import pytest
from django.contrib.messages import get_messages

from smsmode.accounts.models import Membership, Role, User

pytestmark = pytest.mark.django_db


def _url(membership: Membership) -> str:
    return f"/team/members/{membership.public_id}/remove/"


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _is_member(team, user) -> bool:
    return Membership.objects.filter(account=team.account, user=user).exists()


def test_the_confirmation_page_names_the_person_and_removes_nothing(owner_client, team):
    response = owner_client.get(_url(team.membership(team.member)))
    assert response.status_code == 200
    assert b"member@acme.test will lose access to Acme at once." in response.content
    assert b'<form method="post">' in response.content
    assert _is_member(team, team.member)


def test_an_owner_removes_a_member(owner_client, team):
    response = owner_client.post(_url(team.membership(team.member)))
    assert response.status_code == 302
    assert response["Location"] == "/team/"
    assert not _is_member(team, team.member)
    assert "member@acme.test no longer has access to Acme." in _messages(response)


def test_an_admin_removes_a_member_and_another_admin(admin_client_, team):
    admin_client_.post(_url(team.membership(team.member)))
    assert not _is_member(team, team.member)
    other = User.objects.create_user(email="admin2@acme.test")
    second_admin = Membership.objects.create(account=team.account, user=other, role=Role.ADMIN)
    admin_client_.post(_url(second_admin))
    assert not _is_member(team, other)


def test_removing_keeps_the_user_and_their_other_accounts(owner_client, team):
    Membership.objects.create(account=team.outsider_account, user=team.member, role=Role.MEMBER)
    owner_client.post(_url(team.membership(team.member)))
    assert User.objects.filter(pk=team.member.pk, is_active=True).exists()
    assert Membership.objects.filter(user=team.member, account=team.outsider_account).exists()


def test_a_removed_member_loses_access_at_once(owner_client, member_client, team):
    assert member_client.get("/team/").status_code == 200
    owner_client.post(_url(team.membership(team.member)))
    response = member_client.get("/team/")
    assert response.status_code == 302
    assert response["Location"] == "/account/new/"


def test_the_last_owner_cannot_remove_themselves(owner_client, team):
    response = owner_client.post(_url(team.membership(team.owner)))
    assert response.status_code == 302
    assert team.membership(team.owner).role == Role.OWNER
    assert (
        "The last owner cannot leave or be removed. Make someone else an owner first."
        in _messages(response)
    )


def test_an_owner_removes_another_owner(owner_client, team):
    Membership.objects.filter(account=team.account, user=team.admin).update(role=Role.OWNER)
    owner_client.post(_url(team.membership(team.admin)))
    assert not _is_member(team, team.admin)
    assert _is_member(team, team.owner)


def test_an_admin_cannot_remove_an_owner(admin_client_, team):
    response = admin_client_.post(_url(team.membership(team.owner)))
    assert response.status_code == 302
    assert team.membership(team.owner).role == Role.OWNER
    assert "Only an owner can remove another owner." in _messages(response)


def test_an_admin_cannot_remove_an_owner_even_when_there_are_two(admin_client_, team):
    Membership.objects.filter(account=team.account, user=team.member).update(role=Role.OWNER)
    admin_client_.post(_url(team.membership(team.member)))
    assert _is_member(team, team.member)


def test_a_member_cannot_remove_anyone_nor_see_the_confirmation(member_client, team):
    assert member_client.get(_url(team.membership(team.admin))).status_code == 403
    assert member_client.post(_url(team.membership(team.admin))).status_code == 403
    assert member_client.post(_url(team.membership(team.owner))).status_code == 403
    assert _is_member(team, team.admin)
    assert _is_member(team, team.owner)


def test_an_outsider_gets_not_found(outsider_client, team):
    assert outsider_client.get(_url(team.membership(team.member))).status_code == 404
    assert outsider_client.post(_url(team.membership(team.member))).status_code == 404
    assert _is_member(team, team.member)
