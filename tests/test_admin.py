"""Staff run the platform from Django admin."""

import pytest
from django.test import Client

from smsmode.accounts.models import Account, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(db) -> Client:
    staff = User.objects.create_superuser(email="staff@platform.test", password="x")
    client = Client()
    client.force_login(staff)
    return client


@pytest.mark.parametrize(
    "path",
    [
        "/admin/",
        "/admin/accounts/user/",
        "/admin/accounts/account/",
        "/admin/accounts/membership/",
        "/admin/accounts/invitation/",
        "/admin/billing/plan/",
        "/admin/billing/creditledgerentry/",
    ],
)
def test_admin_pages_load(staff_client, team, path):
    assert staff_client.get(path).status_code == 200


def test_accounts_are_searchable_by_member_email_and_filterable(staff_client, team):
    found = staff_client.get("/admin/accounts/account/", {"q": "member@acme.test"})
    assert b"Acme" in found.content
    assert b"Other Co" not in found.content
    suspended = staff_client.get("/admin/accounts/account/", {"is_suspended__exact": "1"})
    assert b"Acme" not in suspended.content


def test_the_change_pages_load(staff_client, team):
    assert staff_client.get(f"/admin/accounts/account/{team.account.pk}/change/").status_code == 200
    assert staff_client.get(f"/admin/accounts/user/{team.owner.pk}/change/").status_code == 200


def test_staff_suspend_and_reactivate_accounts(staff_client, team):
    response = staff_client.post(
        "/admin/accounts/account/",
        {"action": "suspend", "_selected_action": [team.account.pk]},
    )
    assert response.status_code == 302
    team.account.refresh_from_db()
    assert team.account.is_suspended
    assert not team.account.can_send
    assert "staff@platform.test" in team.account.suspended_reason
    assert not Account.objects.get(pk=team.outsider_account.pk).is_suspended

    staff_client.post(
        "/admin/accounts/account/",
        {"action": "unsuspend", "_selected_action": [team.account.pk]},
    )
    team.account.refresh_from_db()
    assert not team.account.is_suspended
    assert team.account.can_send


def test_a_suspended_account_can_still_log_in(client, team):
    Account.objects.filter(pk=team.account.pk).update(is_suspended=True)
    client.post(
        "/accounts/login/", {"login": "owner@acme.test", "password": "correct horse battery"}
    )
    response = client.get("/")
    assert response.status_code == 200
    assert b"This account is suspended" in response.content


def test_the_ledger_is_read_only_in_admin(staff_client, team):
    entry = team.account.ledger_entries.first()
    response = staff_client.get(f"/admin/billing/creditledgerentry/{entry.pk}/change/")
    assert response.status_code == 200
    assert b'name="amount"' not in response.content
    assert staff_client.get("/admin/billing/creditledgerentry/add/").status_code == 403


def test_customers_cannot_reach_the_admin(owner_client):
    response = owner_client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
