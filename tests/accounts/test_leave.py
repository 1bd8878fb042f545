import pytest
from django.contrib.messages import get_messages

from smsmode.accounts.middleware import SESSION_KEY
from smsmode.accounts.models import Membership, Role, User

pytestmark = pytest.mark.django_db


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _is_member(team, user) -> bool:
    return Membership.objects.filter(account=team.account, user=user).exists()


def test_the_leave_page_asks_for_confirmation_and_changes_nothing(member_client, team):
    response = member_client.get("/team/leave/")
    assert response.status_code == 200
    assert b"Leave Acme?" in response.content
    assert b'<form method="post">' in response.content
    assert _is_member(team, team.member)


def test_a_member_leaves(member_client, team):
    response = member_client.post("/team/leave/")
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert not _is_member(team, team.member)
    assert User.objects.filter(pk=team.member.pk).exists()
    assert "You left Acme." in _messages(response)
    # With no account left, the home page offers to create one.
    home = member_client.get("/")
    assert home.status_code == 302
    assert home["Location"] == "/account/new/"


def test_an_admin_leaves(admin_client_, team):
    admin_client_.post("/team/leave/")
    assert not _is_member(team, team.admin)


def test_leaving_moves_to_the_users_other_account(member_client, team):
    Membership.objects.create(account=team.outsider_account, user=team.member, role=Role.MEMBER)
    member_client.post("/account/switch/", {"account": str(team.account.public_id)})
    member_client.post("/team/leave/")
    assert not _is_member(team, team.member)
    home = member_client.get("/")
    assert home.status_code == 200
    assert b'<span class="account-name">Other Co</span>' in home.content
    assert member_client.session[SESSION_KEY] == str(team.outsider_account.public_id)


def test_the_last_owner_cannot_leave(owner_client, team):
    response = owner_client.post("/team/leave/")
    assert response.status_code == 302
    assert response["Location"] == "/team/"
    assert team.membership(team.owner).role == Role.OWNER
    assert (
        "The last owner cannot leave or be removed. Make someone else an owner first."
        in _messages(response)
    )


def test_an_owner_leaves_when_another_owner_remains(owner_client, team):
    Membership.objects.filter(account=team.account, user=team.admin).update(role=Role.OWNER)
    owner_client.post("/team/leave/")
    assert not _is_member(team, team.owner)
    assert team.membership(team.admin).role == Role.OWNER


def test_leaving_only_leaves_the_current_account(outsider_client, team):
    outsider_client.post("/team/leave/")  # the outsider is the last owner of Other Co
    assert Membership.objects.filter(user=team.outsider).count() == 1
    assert Membership.objects.filter(account=team.account).count() == 3
