"""The API keys screen: list, create (the secret shown once), revoke."""

import datetime
import hashlib

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from smsmode.accounts.models import ApiKey, ApiScope
from smsmode.api.keys import key_create, key_for_secret
from smsmode.api.views import keys_for_account
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

INDEX = "/api-keys/"
CREATE = "/api-keys/new/"


def _revoke_url(key: ApiKey) -> str:
    return f"/api-keys/{key.public_id}/revoke/"


def _create(client, name="Online shop", scope="send"):
    return client.post(CREATE, {"name": name, "scope": scope})


# The list


def test_it_works(owner_client, team):
    key, _ = key_create(account=team.account, name="CRM sync", scope=ApiScope.READ, by=team.owner)
    response = owner_client.get(INDEX)
    assert response.status_code == 200
    content = response.content.decode()
    assert "CRM sync" in content
    assert f"{key.prefix}…" in content
    assert "owner@acme.test" in content
    assert "never" in content  # not used yet
    assert 'data-testid="key-active"' in content
    assert "Create an API key" in content
    assert reverse("api_keys:create") in content
    assert 'href="/api/docs"' in content
    assert "no-store" in response["Cache-Control"]


def test_the_urls_are_named():
    assert reverse("api_keys:index") == INDEX
    assert reverse("api_keys:create") == CREATE


def test_it_links_to_the_webhooks_settings_when_they_exist(owner_client):
    content = owner_client.get(INDEX).content.decode()
    try:
        url = reverse("webhooks:index")
    except NoReverseMatch:  # the webhooks screen is not built yet: no dead link
        assert 'data-testid="webhooks-link"' not in content
    else:
        assert f'href="{url}"' in content
        assert "Status callbacks and signing secret" in content


def test_an_empty_account_is_invited_to_create_a_key(owner_client):
    content = owner_client.get(INDEX).content.decode()
    assert 'data-testid="empty-state"' in content
    assert "No API keys yet" in content


def test_it_is_for_owners_and_admins(owner_client, admin_client_, member_client):
    assert owner_client.get(INDEX).status_code == 200
    assert admin_client_.get(INDEX).status_code == 200
    assert member_client.get(INDEX).status_code == 403
    assert member_client.get(CREATE).status_code == 403


def test_it_requires_login(client):
    response = client.get(INDEX)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_it_shows_only_the_current_accounts_keys(outsider_client, team):
    key_create(account=team.account, name="Acme secret integration", by=team.owner)
    content = outsider_client.get(INDEX).content.decode()
    assert "Acme secret integration" not in content


def test_it_shows_last_use_and_revoked_keys_greyed_with_their_date(owner_client, team):
    used, _ = key_create(account=team.account, name="Used key", by=team.owner)
    revoked, _ = key_create(account=team.account, name="Old key", by=team.owner)
    when = timezone.make_aware(datetime.datetime(2025, 3, 14, 9, 26))
    ApiKey.objects.filter(pk=used.pk).update(last_used_at=when)
    ApiKey.objects.filter(pk=revoked.pk).update(revoked_at=when)
    content = owner_client.get(INDEX).content.decode()
    assert content.count('data-testid="key-revoked"') == 1
    assert content.count('data-testid="key-active"') == 1
    assert "revoked" in content
    assert content.count("03/14/2025") == 2  # last used, and revoked on
    revoked_row = content.split(f'data-key="{revoked.public_id}"')[1].split("</tr>")[0]
    assert "text-body-secondary" in revoked_row
    assert 'data-testid="revoke"' not in revoked_row  # nothing left to revoke


def test_the_list_is_one_query_whatever_the_number_of_keys(owner_client, team):
    key_create(account=team.account, name="First", by=team.owner)
    owner_client.get(INDEX)  # the first page of a session writes it: not what is measured
    with CaptureQueriesContext(connection) as one:
        assert owner_client.get(INDEX).status_code == 200
    for i in range(15):
        creator = make_user(f"dev{i}@acme.test")
        key_create(account=team.account, name=f"Key {i}", by=creator)
    with CaptureQueriesContext(connection) as many:
        assert owner_client.get(INDEX).status_code == 200
    assert len(many) == len(one)
    assert sum("accounts_apikey" in q["sql"] for q in many.captured_queries) == 1


def test_the_selector_is_one_query(team, django_assert_num_queries):
    for i in range(3):
        key_create(account=team.account, name=f"Key {i}", by=make_user(f"dev{i}@acme.test"))
    with django_assert_num_queries(1):
        keys = keys_for_account(account=team.account)
        assert {key.created_by.email for key in keys} == {f"dev{i}@acme.test" for i in range(3)}


def test_the_list_is_bounded_to_the_newest(owner_client, team, monkeypatch):
    monkeypatch.setattr("smsmode.api.views.LIST_LIMIT", 3)
    for i in range(5):
        key_create(account=team.account, name=f"Key number {i}", by=team.owner)
    content = owner_client.get(INDEX).content.decode()
    assert content.count('data-testid="key-active"') == 3
    assert "Key number 4" in content and "Key number 0" not in content
    assert 'data-testid="truncated"' in content


# Create


def test_the_form_offers_the_three_scopes_with_their_help(owner_client):
    content = owner_client.get(CREATE).content.decode()
    for value in ("read", "send", "manage"):
        assert f'value="{value}"' in content
    assert 'id="id_scope_send" value="send" aria-describedby="id_scope_send_help" checked' in (
        content
    )
    assert "What most integrations need." in content
    assert "Nothing is sent or changed" in content


def test_create_shows_the_secret_once(owner_client, team):
    response = _create(owner_client, name="Online shop", scope="manage")
    assert response.status_code == 302
    assert response["Location"] == INDEX
    assert "smk_" not in response["Location"]
    key = ApiKey.objects.get(account=team.account)
    assert key.name == "Online shop"
    assert key.scope == ApiScope.MANAGE
    assert key.created_by == team.owner

    first = owner_client.get(INDEX)
    content = first.content.decode()
    assert 'data-testid="secret-reveal"' in content
    secret = content.split('id="new-secret" value="')[1].split('"')[0]
    assert secret.startswith("smk_") and secret.startswith(key.prefix)
    assert "it will not be shown again" in content
    assert "API key “Online shop” created." in content  # the flash message, without the secret
    assert content.count(secret) == 1
    assert "no-store" in first["Cache-Control"]
    assert key_for_secret(secret) == key

    second = owner_client.get(INDEX).content.decode()
    assert secret not in second
    assert 'data-testid="secret-reveal"' not in second
    assert f"{key.prefix}…" in second


def test_the_stored_hash_is_not_the_secret(owner_client, team):
    _create(owner_client)
    content = owner_client.get(INDEX).content.decode()
    secret = content.split('id="new-secret" value="')[1].split('"')[0]
    key = ApiKey.objects.get(account=team.account)
    assert key.secret_hash != secret
    assert secret not in key.secret_hash
    assert key.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert len(key.prefix) < len(secret)


def test_the_secret_is_not_left_in_the_session(owner_client):
    _create(owner_client)
    owner_client.get(INDEX)
    assert not any("smk_" in str(value) for value in owner_client.session.values())


def test_another_accounts_page_does_not_reveal_it(owner_client, team):
    from smsmode.accounts.models import Membership, Role

    Membership.objects.create(account=team.outsider_account, user=team.owner, role=Role.OWNER)
    _create(owner_client, name="Acme shop")
    session = owner_client.session
    session["current_account"] = str(team.outsider_account.public_id)
    session.save()
    content = owner_client.get(INDEX).content.decode()
    assert 'data-testid="secret-reveal"' not in content
    assert "smk_" not in content
    assert 'data-testid="key-active"' not in content  # Acme's key is not Other Co's


def test_an_admin_may_create_a_key(admin_client_, team):
    assert _create(admin_client_, scope="read").status_code == 302
    assert ApiKey.objects.get(account=team.account).created_by == team.admin


def test_create_requires_a_name(owner_client, team):
    response = _create(owner_client, name="   ")
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert not ApiKey.objects.exists()


def test_create_refuses_a_long_name_and_a_bad_scope(owner_client):
    response = _create(owner_client, name="x" * 81)
    assert response.status_code == 400
    assert "at most 80 characters" in response.content.decode()
    response = _create(owner_client, scope="root")
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not ApiKey.objects.exists()


def test_a_member_may_not_create_a_key(member_client):
    assert _create(member_client).status_code == 403
    assert not ApiKey.objects.exists()


# Revoke


def test_revoke_asks_for_confirmation_first(owner_client, team):
    key, _ = key_create(account=team.account, name="Shop", by=team.owner)
    response = owner_client.post(_revoke_url(key))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Integrations using this key will stop at once" in content
    assert 'name="confirm" value="1"' in content
    key.refresh_from_db()
    assert key.is_active


def test_revoke_works(owner_client, team):
    key, secret = key_create(account=team.account, name="Shop", by=team.owner)
    response = owner_client.post(_revoke_url(key), {"confirm": "1"}, follow=True)
    assert response.redirect_chain == [(INDEX, 302)]
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert key_for_secret(secret) is None
    content = response.content.decode()
    assert "API key “Shop” revoked" in content
    assert 'data-testid="key-revoked"' in content  # still listed


def test_revoke_is_idempotent(owner_client, team):
    key, _ = key_create(account=team.account, name="Shop", by=team.owner)
    owner_client.post(_revoke_url(key), {"confirm": "1"})
    key.refresh_from_db()
    first = key.revoked_at
    response = owner_client.post(_revoke_url(key), {"confirm": "1"}, follow=True)
    assert response.status_code == 200
    assert "was already revoked" in response.content.decode()
    key.refresh_from_db()
    assert key.revoked_at == first


def test_revoke_checks_the_account(outsider_client, team):
    key, secret = key_create(account=team.account, name="Shop", by=team.owner)
    assert outsider_client.post(_revoke_url(key), {"confirm": "1"}).status_code == 404
    assert key_for_secret(secret) == key


def test_revoke_of_an_unknown_key_is_a_404(owner_client):
    url = "/api-keys/00000000-0000-0000-0000-000000000000/revoke/"
    assert owner_client.post(url, {"confirm": "1"}).status_code == 404


def test_a_member_may_not_revoke(member_client, team):
    key, secret = key_create(account=team.account, name="Shop", by=team.owner)
    assert member_client.post(_revoke_url(key), {"confirm": "1"}).status_code == 403
    assert key_for_secret(secret) == key


def test_revoke_rejects_get(owner_client, team):
    key, secret = key_create(account=team.account, name="Shop", by=team.owner)
    assert owner_client.get(_revoke_url(key)).status_code == 405
    assert key_for_secret(secret) == key


def test_the_navigation_links_managers_to_the_page(owner_client, member_client):
    assert f'href="{INDEX}"' in owner_client.get("/contacts/").content.decode()
    assert f'href="{INDEX}"' not in member_client.get("/contacts/").content.decode()
