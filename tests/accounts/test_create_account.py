from decimal import Decimal

import pytest

from smsmode.accounts.middleware import SESSION_KEY
from smsmode.accounts.models import Account, Membership, Role
from smsmode.billing.models import CreditLedgerEntry, LedgerKind
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def test_the_create_page_shows_a_form(owner_client, team):
    response = owner_client.get("/account/new/")
    assert response.status_code == 200
    assert b'name="name"' in response.content
    assert b"Create the account" in response.content
    assert Account.objects.count() == 2


def test_creating_a_second_account_makes_the_user_its_owner_and_switches_to_it(owner_client, team):
    response = owner_client.post("/account/new/", {"name": "Acme Labs"})
    assert response.status_code == 302
    assert response["Location"] == "/"
    account = Account.objects.get(name="Acme Labs")
    assert Membership.objects.get(account=account).user == team.owner
    assert Membership.objects.get(account=account).role == Role.OWNER
    assert account.plan.code == "start"
    assert account.credit_balance == Decimal("20")
    entry = CreditLedgerEntry.objects.get(account=account)
    assert entry.kind == LedgerKind.SIGNUP_GIFT
    assert entry.amount == 20
    # The user keeps their first account, and now works in the new one.
    assert team.membership(team.owner).role == Role.OWNER
    assert owner_client.session[SESSION_KEY] == str(account.public_id)
    home = owner_client.get("/", follow=True)
    assert b'<span class="account-name">Acme Labs</span>' in home.content
    assert b"Account Acme Labs created." in home.content


def test_a_name_is_required(owner_client, team):
    response = owner_client.post("/account/new/", {"name": ""})
    assert response.status_code == 200
    assert b"This field is required." in response.content
    assert Account.objects.count() == 2


def test_creating_an_account_requires_login(client):
    response = client.post("/account/new/", {"name": "Nope"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not Account.objects.exists()


def test_a_user_without_an_account_is_sent_to_create_one(client):
    user = make_user("lonely@nowhere.test")
    client.force_login(user)
    for path in ("/", "/team/", "/settings/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == "/account/new/", path
    page = client.get("/account/new/")
    assert page.status_code == 200
    client.post("/account/new/", {"name": "Lonely Ltd"})
    membership = Membership.objects.get(user=user)
    assert membership.account.name == "Lonely Ltd"
    assert membership.role == Role.OWNER
    assert client.get("/").status_code == 200
