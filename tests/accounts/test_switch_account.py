import pytest
from django.test import Client

from smsmode.accounts.middleware import SESSION_KEY
from smsmode.accounts.models import Membership, Role

pytestmark = pytest.mark.django_db

ACME = b'<span class="account-name">Acme</span>'
OTHER_CO = b'<span class="account-name">Other Co</span>'


@pytest.fixture
def two_accounts(team):
    """The member of Acme is also a member of Other Co."""
    Membership.objects.create(account=team.outsider_account, user=team.member, role=Role.MEMBER)
    return team


def test_the_top_bar_offers_the_other_account(member_client, two_accounts):
    team = two_accounts
    response = member_client.get("/")
    assert ACME in response.content
    switch_form = f'name="account" value="{team.outsider_account.public_id}"'.encode()
    assert switch_form in response.content
    assert b"Other Co</button>" in response.content


def test_a_user_with_one_account_is_offered_no_other(owner_client, team):
    response = owner_client.get("/")
    assert b'name="account" value=' not in response.content
    assert b"Other Co" not in response.content


def test_switching_changes_the_current_account(member_client, two_accounts):
    team = two_accounts
    member_client.get("/")
    assert member_client.session[SESSION_KEY] == str(team.account.public_id)
    response = member_client.post(
        "/account/switch/", {"account": str(team.outsider_account.public_id)}
    )
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert member_client.session[SESSION_KEY] == str(team.outsider_account.public_id)
    home = member_client.get("/", follow=True)
    assert OTHER_CO in home.content
    assert ACME not in home.content
    assert b"You are now working in Other Co." in home.content
    # The team page now shows the other account's people.
    team_page = member_client.get("/team/")
    assert b"outsider@other.test" in team_page.content
    assert b"owner@acme.test" not in team_page.content
    # And back.
    member_client.post("/account/switch/", {"account": str(team.account.public_id)})
    assert member_client.session[SESSION_KEY] == str(team.account.public_id)
    assert ACME in member_client.get("/").content


def test_switching_to_an_account_the_user_is_not_in_is_not_found(outsider_client, team):
    outsider_client.get("/")
    response = outsider_client.post("/account/switch/", {"account": str(team.account.public_id)})
    assert response.status_code == 404
    assert outsider_client.session[SESSION_KEY] == str(team.outsider_account.public_id)
    assert OTHER_CO in outsider_client.get("/").content


def test_a_stale_session_account_falls_back_to_a_real_membership(outsider_client, team):
    session = outsider_client.session
    session[SESSION_KEY] = str(team.account.public_id)
    session.save()
    response = outsider_client.get("/team/")
    assert b"owner@acme.test" not in response.content
    assert OTHER_CO in response.content


def test_switching_needs_a_post(member_client, two_accounts):
    team = two_accounts
    member_client.get("/")
    response = member_client.get(
        "/account/switch/", {"account": str(team.outsider_account.public_id)}
    )
    assert response.status_code == 405
    assert member_client.session[SESSION_KEY] == str(team.account.public_id)


def test_switching_requires_login(client, team):
    response = client.post("/account/switch/", {"account": str(team.account.public_id)})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("data", [{"account": "not-a-uuid"}, {}], ids=["malformed", "missing"])
def test_switching_with_a_malformed_account_id_is_not_found(team, data):
    client = Client(raise_request_exception=False)
    client.force_login(team.member)
    client.get("/")
    response = client.post("/account/switch/", data)
    assert response.status_code == 404
    assert client.session[SESSION_KEY] == str(team.account.public_id)
