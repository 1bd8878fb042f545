"""`manage.py create_api_key EMAIL --name NAME [--scope] [--account]`."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from smsmode.accounts.models import ApiKey, ApiScope, Membership, Role
from smsmode.api.keys import key_for_secret

pytestmark = pytest.mark.django_db


def test_the_command_is_installed():
    from django.conf import settings
    from django.core.management import get_commands

    # smsmode.api must be an installed app (like smsmode.sms) for manage.py to find it.
    assert "smsmode.api" in settings.INSTALLED_APPS, "add 'smsmode.api' to INSTALLED_APPS"
    assert get_commands()["create_api_key"] == "smsmode.api"


@pytest.fixture(autouse=True)
def _installed(request, settings) -> None:
    """The command's own tests run whether or not settings.py lists the app yet."""
    installed = "smsmode.api" in settings.INSTALLED_APPS
    if request.node.name != "test_the_command_is_installed" and not installed:
        settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "smsmode.api"]


def _run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("create_api_key", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_works(team):
    out, err = _run("owner@acme.test", "--name", "Shop")
    secret = out.strip()
    assert out == secret + "\n"  # the secret alone: `KEY=$(manage.py create_api_key ...)`
    key = key_for_secret(secret)
    assert key is not None
    assert key.account == team.account
    assert key.name == "Shop"
    assert key.scope == ApiScope.SEND  # the default
    assert key.created_by == team.owner
    assert key.secret_hash != secret
    assert "Shop" in err and key.prefix in err and "Acme" in err
    assert secret not in err


def test_it_takes_a_scope_and_any_case_of_the_email(team):
    out, _ = _run("Admin@ACME.test", "--name", "Reports", "--scope", "read")
    assert key_for_secret(out.strip()).scope == ApiScope.READ


def test_it_refuses_a_bad_scope(team):
    with pytest.raises(CommandError, match=r"Unknown scope 'root'.*read, send, manage"):
        _run("owner@acme.test", "--name", "Shop", "--scope", "root")
    assert not ApiKey.objects.exists()


def test_it_refuses_an_unknown_email(team):
    with pytest.raises(CommandError, match=r"No user with the email nobody@acme\.test"):
        _run("nobody@acme.test", "--name", "Shop")


def test_it_refuses_an_empty_or_long_name(team):
    with pytest.raises(CommandError, match="must not be empty"):
        _run("owner@acme.test", "--name", "  ")
    with pytest.raises(CommandError, match="80 characters"):
        _run("owner@acme.test", "--name", "x" * 81)
    assert not ApiKey.objects.exists()


def test_it_requires_the_name(team):
    with pytest.raises(CommandError, match="--name"):
        _run("owner@acme.test")


def test_a_user_of_several_accounts_must_pick_one(team):
    Membership.objects.create(account=team.outsider_account, user=team.owner, role=Role.ADMIN)
    with pytest.raises(CommandError, match=r"several accounts.*--account.*“Acme”.*“Other Co”"):
        _run("owner@acme.test", "--name", "Shop")
    assert not ApiKey.objects.exists()
    out, err = _run("owner@acme.test", "--name", "Shop", "--account", "Other Co")
    assert key_for_secret(out.strip()).account == team.outsider_account
    assert "Other Co" in err


def test_the_account_name_may_differ_in_case(team):
    out, _ = _run("owner@acme.test", "--name", "Shop", "--account", "acme")
    assert key_for_secret(out.strip()).account == team.account


def test_it_refuses_an_account_the_user_is_not_in(team):
    with pytest.raises(CommandError, match="no account named “Other Co”; theirs: “Acme”"):
        _run("owner@acme.test", "--name", "Shop", "--account", "Other Co")
    assert not ApiKey.objects.exists()


def test_it_refuses_a_user_without_an_account(team):
    from tests.conftest import make_user

    make_user("loner@acme.test")
    with pytest.raises(CommandError, match="belongs to no account"):
        _run("loner@acme.test", "--name", "Shop")
