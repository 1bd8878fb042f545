import pytest

from smsmode.billing.models import LedgerKind
from smsmode.billing.services import credits_add

pytestmark = pytest.mark.django_db


def test_it_works(owner_client, team):
    credits_add(
        account_id=team.account.pk, amount=100, kind=LedgerKind.PURCHASE, description="Pack 100"
    )
    response = owner_client.get("/subscription/")
    assert response.status_code == 200
    content = response.content.decode()
    assert "Medium" in content
    assert "Pack 100" in content
    assert "Free test credits" in content


def test_it_is_for_owners_only(admin_client_, member_client):
    assert admin_client_.get("/subscription/").status_code == 403
    assert member_client.get("/subscription/").status_code == 403


def test_it_shows_only_the_current_accounts_ledger(outsider_client, team):
    credits_add(
        account_id=team.account.pk, amount=100, kind=LedgerKind.PURCHASE, description="Acme pack"
    )
    content = outsider_client.get("/subscription/").content.decode()
    assert "Acme pack" not in content
    assert "Other Co" in content


def test_the_navigation_hides_owner_pages_from_members(member_client):
    content = member_client.get("/").content.decode()
    assert "/subscription/" not in content
    assert "/settings/" not in content
    assert "/api-keys/" not in content
