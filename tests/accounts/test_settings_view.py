import pytest
from django.conf import settings as django_settings

from smsmode.accounts.models import Account

pytestmark = pytest.mark.django_db

VALID = {
    "name": "Acme Belgium",
    "country": "BE",
    "time_zone": "Europe/Brussels",
    "default_sender_id": "MyShop",
    "language": "fr",
}


def _reload(account: Account) -> Account:
    return Account.objects.get(pk=account.pk)


@pytest.mark.parametrize("client_name", ["owner_client", "admin_client_"])
def test_owners_and_admins_see_the_settings_of_their_account(request, team, client_name):
    response = request.getfixturevalue(client_name).get("/settings/")
    assert response.status_code == 200
    assert b'name="name"' in response.content
    assert b'value="Acme"' in response.content
    assert b'name="default_sender_id"' in response.content


def test_a_member_cannot_see_or_change_the_settings(member_client, team):
    assert member_client.get("/settings/").status_code == 403
    assert member_client.post("/settings/", VALID).status_code == 403
    assert _reload(team.account).name == "Acme"


@pytest.mark.parametrize("client_name", ["owner_client", "admin_client_"])
def test_saving_the_settings(request, team, client_name):
    client = request.getfixturevalue(client_name)
    response = client.post("/settings/", VALID)
    assert response.status_code == 302
    assert response["Location"] == "/settings/"
    account = _reload(team.account)
    assert account.name == "Acme Belgium"
    assert account.country == "BE"
    assert account.time_zone == "Europe/Brussels"
    assert account.default_sender_id == "MyShop"
    assert account.language == "fr"


def test_the_saved_confirmation_is_shown(owner_client, team):
    response = owner_client.post("/settings/", {**VALID, "language": "en"}, follow=True)
    assert b"Settings saved." in response.content
    assert b'value="Acme Belgium"' in response.content


@pytest.mark.parametrize("sender", ["AB", "ABCDEFGHIJKL", "12345678901234567", "Shop!", "12"])
def test_an_invalid_sender_id_is_refused_and_nothing_is_saved(owner_client, team, sender):
    response = owner_client.post("/settings/", {**VALID, "default_sender_id": sender})
    assert response.status_code == 400
    assert b'class="invalid-feedback d-block"' in response.content
    account = _reload(team.account)
    assert account.default_sender_id == ""
    assert account.name == "Acme"
    assert account.country == "FR"


def test_the_sender_id_rule_is_explained(owner_client, team):
    response = owner_client.post("/settings/", {**VALID, "default_sender_id": "Shop!"})
    assert response.status_code == 400
    assert (
        b"A sender ID may only contain letters without accents (A-Z), digits and spaces."
        in response.content
    )


@pytest.mark.parametrize("sender", ["MyShop", "My Shop 2", "33612345678", "+33612345678", "ABC"])
def test_valid_sender_ids_are_saved(owner_client, team, sender):
    response = owner_client.post("/settings/", {**VALID, "default_sender_id": sender})
    assert response.status_code == 302
    assert _reload(team.account).default_sender_id == sender.removeprefix("+")


def test_a_fifteen_digit_number_is_a_valid_sender_id(owner_client, team):
    response = owner_client.post("/settings/", {**VALID, "default_sender_id": "123456789012345"})
    assert response.status_code == 302
    assert _reload(team.account).default_sender_id == "123456789012345"


def test_a_fifteen_digit_number_with_a_plus_is_saved_without_the_plus(owner_client, team):
    response = owner_client.post("/settings/", {**VALID, "default_sender_id": "+123456789012345"})
    assert response.status_code == 302
    assert _reload(team.account).default_sender_id == "123456789012345"


def test_the_sender_id_is_trimmed_and_may_be_empty(owner_client, team):
    owner_client.post("/settings/", {**VALID, "default_sender_id": "  MyShop  "})
    assert _reload(team.account).default_sender_id == "MyShop"
    owner_client.post("/settings/", {**VALID, "default_sender_id": ""})
    assert _reload(team.account).default_sender_id == ""


@pytest.mark.parametrize("time_zone", ["Mars/Olympus_Mons", "UTC+2", ""])
def test_an_unknown_time_zone_is_refused(owner_client, team, time_zone):
    response = owner_client.post("/settings/", {**VALID, "time_zone": time_zone})
    assert response.status_code == 400
    assert _reload(team.account).time_zone == "Europe/Paris"


def test_an_unknown_country_or_language_is_refused(owner_client, team):
    assert owner_client.post("/settings/", {**VALID, "country": "XX"}).status_code == 400
    assert owner_client.post("/settings/", {**VALID, "language": "de"}).status_code == 400
    account = _reload(team.account)
    assert account.country == "FR"
    assert account.language == "en"


def test_an_empty_name_is_refused(owner_client, team):
    assert owner_client.post("/settings/", {**VALID, "name": ""}).status_code == 400
    assert _reload(team.account).name == "Acme"


def test_an_outsider_only_changes_their_own_account(outsider_client, team):
    response = outsider_client.post("/settings/", VALID)
    assert response.status_code == 302
    assert _reload(team.outsider_account).name == "Acme Belgium"
    account = _reload(team.account)
    assert account.name == "Acme"
    assert account.country == "FR"
    assert account.time_zone == "Europe/Paris"
    assert account.default_sender_id == ""
    assert account.language == "en"


def test_the_dashboard_uses_the_account_time_zone(owner_client, team):
    owner_client.post("/settings/", {**VALID, "time_zone": "Asia/Tokyo", "language": "en"})
    assert _reload(team.account).time_zone == "Asia/Tokyo"
    response = owner_client.get("/")
    assert response.status_code == 200
    assert b"Asia/Tokyo" in response.content
    assert response.wsgi_request.account.time_zone == "Asia/Tokyo"


def test_the_account_language_is_the_default_language(owner_client, team):
    Account.objects.filter(pk=team.account.pk).update(language="fr")
    assert django_settings.LANGUAGE_COOKIE_NAME not in owner_client.cookies
    response = owner_client.get("/")
    assert response.status_code == 200
    assert b'<html lang="fr">' in response.content


def test_a_language_the_user_picked_wins_over_the_account_language(owner_client, team):
    Account.objects.filter(pk=team.account.pk).update(language="fr")
    owner_client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    response = owner_client.get("/")
    assert b'<html lang="en">' in response.content


def test_an_english_account_renders_in_english(owner_client, team):
    response = owner_client.get("/")
    assert b'<html lang="en">' in response.content
