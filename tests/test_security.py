import subprocess
import sys

import pytest
from django.test import Client

from smsmode.security import ADMIN_POLICY, POLICY

pytestmark = pytest.mark.django_db


def test_pages_carry_a_strict_content_security_policy(owner_client):
    response = owner_client.get("/")
    csp = response["Content-Security-Policy"]
    assert csp == POLICY
    assert "script-src 'self';" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp


def test_the_admin_keeps_its_inline_styles_but_not_scripts(client):
    response = client.get("/admin/login/")
    assert response["Content-Security-Policy"] == ADMIN_POLICY
    assert "script-src 'self';" in ADMIN_POLICY


def test_pages_cannot_be_framed(client):
    assert client.get("/accounts/login/")["X-Frame-Options"] == "DENY"


def test_posts_without_a_csrf_token_are_refused(team):
    client = Client(enforce_csrf_checks=True)
    client.force_login(team.owner)
    response = client.post("/settings/", {"name": "Hacked"})
    assert response.status_code == 403
    team.account.refresh_from_db()
    assert team.account.name == "Acme"


def test_templates_have_no_inline_scripts_or_styles():
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "templates"
    for template in root.rglob("*.html"):
        text = template.read_text()
        assert "<script>" not in text, template
        assert " style=" not in text, template
        assert " onclick=" not in text, template


def _settings_in_subprocess(env: dict[str, str], code: str) -> subprocess.CompletedProcess:
    import os

    full_env = {**os.environ, **env, "DJANGO_SETTINGS_MODULE": "smsmode.settings"}
    return subprocess.run(
        [
            sys.executable,
            "-c",
            f"import django; django.setup(); from django.conf import settings; {code}",
        ],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_it_refuses_to_start_with_debug_off_and_the_default_secret_key():
    env = {"DEBUG": "False", "SECRET_KEY": ""}
    result = _settings_in_subprocess(env, "print('started')")
    assert result.returncode != 0
    assert "Set SECRET_KEY" in result.stderr


def test_debug_off_turns_on_secure_cookies_and_hsts():
    env = {"DEBUG": "False", "SECRET_KEY": "a-real-secret-for-this-test-only"}
    result = _settings_in_subprocess(
        env,
        "print(settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE, "
        "settings.SECURE_HSTS_SECONDS > 0, settings.DEBUG)",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True", "True", "False"]


def test_a_malformed_boolean_is_refused():
    result = _settings_in_subprocess({"DEBUG": "yes please"}, "print('started')")
    assert result.returncode != 0
    assert "DEBUG must be True or False" in result.stderr
