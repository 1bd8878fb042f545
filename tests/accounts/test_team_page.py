import pytest

from smsmode.accounts.models import Account, Invitation, Role
from smsmode.billing.models import Plan

pytestmark = pytest.mark.django_db

INVITE_FORM = b'action="/team/invite/"'


def _invite(team, email="newcomer@acme.test", role=Role.MEMBER):
    return Invitation.objects.create(
        account=team.account, email=email, role=role, invited_by=team.owner
    )


@pytest.mark.parametrize("client_name", ["owner_client", "admin_client_", "member_client"])
def test_every_member_of_the_account_sees_the_team_page_with_all_members(request, client_name):
    client = request.getfixturevalue(client_name)
    response = client.get("/team/")
    assert response.status_code == 200
    for email in (b"owner@acme.test", b"admin@acme.test", b"member@acme.test"):
        assert email in response.content
    assert b"outsider@other.test" not in response.content


@pytest.mark.parametrize("client_name", ["owner_client", "admin_client_"])
def test_managers_see_the_invite_form_and_the_invitation_links(request, team, client_name):
    _invite(team)
    response = request.getfixturevalue(client_name).get("/team/")
    assert response.status_code == 200
    assert INVITE_FORM in response.content
    assert b"newcomer@acme.test" in response.content
    assert b"Copy link" in response.content
    assert b'data-copy="http' in response.content
    assert b"/invitations/" in response.content


def test_members_see_pending_invitations_but_no_invite_form_and_no_link(member_client, team):
    _invite(team)
    response = member_client.get("/team/")
    assert response.status_code == 200
    assert b"newcomer@acme.test" in response.content
    assert INVITE_FORM not in response.content
    assert b"Copy link" not in response.content
    assert b"/invitations/" not in response.content
    assert b"/team/members/" not in response.content  # no role or remove controls


def test_an_outsider_only_sees_the_team_of_their_own_account(outsider_client, team):
    _invite(team)
    response = outsider_client.get("/team/")
    assert response.status_code == 200
    assert b"outsider@other.test" in response.content
    assert b"Other Co" in response.content
    for secret in (b"owner@acme.test", b"admin@acme.test", b"member@acme.test"):
        assert secret not in response.content
    assert b"newcomer@acme.test" not in response.content


def test_the_seat_limit_message_replaces_the_invite_form_when_the_plan_is_full(owner_client, team):
    Account.objects.filter(pk=team.account.pk).update(plan=Plan.objects.get(code="start"))
    response = owner_client.get("/team/")
    assert response.status_code == 200
    assert b'data-testid="seat-limit"' in response.content
    assert b"The Start plan includes 1 user." in response.content
    assert b"Upgrade to invite more people" in response.content
    assert INVITE_FORM not in response.content


def test_an_admin_on_a_full_plan_is_told_to_ask_an_owner(admin_client_, team):
    Account.objects.filter(pk=team.account.pk).update(plan=Plan.objects.get(code="start"))
    response = admin_client_.get("/team/")
    assert b'data-testid="seat-limit"' in response.content
    assert b"Ask an owner to upgrade the plan" in response.content


def test_seats_left_are_counted_with_pending_invitations(owner_client, team):
    # Medium allows 10 users: 3 members and 1 pending invitation leave 6.
    _invite(team)
    response = owner_client.get("/team/")
    assert b'data-testid="seat-limit"' not in response.content
    assert b"6 seats left on your plan." in response.content


def test_the_team_page_requires_login(client, team):
    response = client.get("/team/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_large_team_is_paginated_with_a_bounded_number_of_queries(
    owner_client, team, django_assert_max_num_queries
):
    from smsmode.accounts.models import Invitation, Membership, User

    users = User.objects.bulk_create([User(email=f"bulk{i}@acme.test") for i in range(60)])
    Membership.objects.bulk_create([Membership(account=team.account, user=u) for u in users])
    Invitation.objects.bulk_create(
        [Invitation(account=team.account, email=f"inv{i}@acme.test") for i in range(60)]
    )
    owner_client.get("/team/")
    with django_assert_max_num_queries(14):
        response = owner_client.get("/team/")
    content = response.content.decode()
    assert content.count("Page 1 of 2") == 2
    assert "<td>owner@acme.test" in content  # owners come first
    second = owner_client.get("/team/?page=2").content.decode()
    assert "bulk59@acme.test" in second
    assert "<td>owner@acme.test" not in second
