"""Two-factor authentication with TOTP and recovery codes (django-allauth's mfa)."""

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    SECRET_SESSION_KEY,
    format_hotp_value,
    hotp_value,
    yield_hotp_counters_from_time,
)

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"


def _current_code(secret: str) -> str:
    counters = list(yield_hotp_counters_from_time())
    return format_hotp_value(hotp_value(secret, counters[len(counters) // 2]))


def _login(client, email: str):
    return client.post("/accounts/login/", {"login": email, "password": PASSWORD})


def test_an_owner_turns_on_totp_and_then_logs_in_with_a_recovery_code(client, team):
    _login(client, "owner@acme.test")
    # Turning on 2FA asks for the password again, even right after logging in.
    asked = client.get("/accounts/2fa/totp/activate/")
    assert asked.status_code == 302
    assert asked["Location"].startswith("/accounts/reauthenticate/")
    client.post(asked["Location"], {"password": PASSWORD})
    page = client.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 200
    secret = client.session[SECRET_SESSION_KEY]

    wrong = client.post("/accounts/2fa/totp/activate/", {"code": "000000"})
    assert wrong.status_code == 200
    assert not Authenticator.objects.filter(user=team.owner).exists()

    done = client.post("/accounts/2fa/totp/activate/", {"code": _current_code(secret)})
    assert done.status_code == 302
    kinds = set(Authenticator.objects.filter(user=team.owner).values_list("type", flat=True))
    assert kinds == {Authenticator.Type.TOTP, Authenticator.Type.RECOVERY_CODES}

    client.post("/accounts/logout/")
    step_one = _login(client, "owner@acme.test")
    assert step_one["Location"] == "/accounts/2fa/authenticate/"
    assert client.get("/").status_code == 302  # the password alone is not enough

    recovery = Authenticator.objects.get(user=team.owner, type=Authenticator.Type.RECOVERY_CODES)
    code = recovery.wrap().get_unused_codes()[0]
    step_two = client.post("/accounts/2fa/authenticate/", {"code": code})
    assert step_two.status_code == 302
    assert client.get("/").status_code == 200


def test_the_security_page_is_reachable_from_the_user_menu(owner_client):
    content = owner_client.get("/").content.decode()
    assert 'href="/accounts/2fa/"' in content
    assert owner_client.get("/accounts/2fa/").status_code == 200
