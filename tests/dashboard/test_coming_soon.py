import pytest

from smsmode.accounts.models import Account
from smsmode.billing.models import Plan

pytestmark = pytest.mark.django_db


def test_landing_pages_are_built_no_longer_coming_soon(member_client):
    response = member_client.get("/landing-pages/")
    assert response.status_code == 200
    assert b'data-testid="coming-soon"' not in response.content
    assert b"Create your first page" in response.content


def test_a_feature_outside_the_plan_shows_an_upgrade_button_to_owners(owner_client, team):
    Account.objects.filter(pk=team.account.pk).update(plan=Plan.objects.get(code="start"))
    for path in ["/shortener/", "/landing-pages/"]:
        response = owner_client.get(path)
        assert response.status_code == 200
        assert b'data-testid="upgrade-prompt"' in response.content
        assert b"Upgrade your plan" in response.content


def test_members_are_told_to_ask_an_owner(member_client, team):
    Account.objects.filter(pk=team.account.pk).update(plan=Plan.objects.get(code="classic"))
    response = member_client.get("/landing-pages/")
    assert b"Ask an owner of this account to upgrade the plan." in response.content
    # Classic has the shortener.
    assert b'data-testid="link-create-form"' in member_client.get("/shortener/").content


def test_the_navigation_marks_locked_features(owner_client, team):
    Account.objects.filter(pk=team.account.pk).update(plan=Plan.objects.get(code="start"))
    content = owner_client.get("/").content.decode()
    assert content.count("(not in your plan)") == 2


def test_api_keys_are_built_and_for_owners_and_admins(owner_client, admin_client_, member_client):
    response = owner_client.get("/api-keys/")
    assert response.status_code == 200
    assert b'data-testid="coming-soon"' not in response.content
    assert b"Create an API key" in response.content
    assert admin_client_.get("/api-keys/").status_code == 200
    assert member_client.get("/api-keys/").status_code == 403
