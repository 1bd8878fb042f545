import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail

from smsmode.accounts.models import Account, Membership, Role, User
from smsmode.billing.models import CreditLedgerEntry, LedgerKind

pytestmark = pytest.mark.django_db

SIGNUP = {
    "email": "Jane@Shop.test",
    "password1": "a long enough passphrase",
    "password2": "a long enough passphrase",
    "company_name": "Jane's Shop",
}


def _confirmation_link(message: str) -> str:
    match = re.search(r"https?://[^/\s]+(/accounts/confirm-email/[^\s]+/)", message)
    assert match, message
    return match.group(1)


def test_signup_creates_an_account_owned_by_the_user_on_the_start_plan(client):
    response = client.post("/accounts/signup/", SIGNUP)
    assert response.status_code == 302
    user = User.objects.get(email="jane@shop.test")
    membership = Membership.objects.select_related("account__plan").get(user=user)
    assert membership.role == Role.OWNER
    assert membership.account.name == "Jane's Shop"
    assert membership.account.plan.code == "start"
    assert membership.account.country == "FR"
    assert membership.account.time_zone == "Europe/Paris"


def test_signup_gives_twenty_credits_recorded_in_the_ledger(client):
    client.post("/accounts/signup/", SIGNUP)
    account = Account.objects.get(name="Jane's Shop")
    assert account.credit_balance == 20
    entry = CreditLedgerEntry.objects.get(account=account)
    assert entry.kind == LedgerKind.SIGNUP_GIFT
    assert entry.amount == 20
    assert entry.balance_after == 20


def test_signup_requires_the_company_name_and_keeps_what_was_typed(client):
    response = client.post("/accounts/signup/", {**SIGNUP, "company_name": ""})
    assert response.status_code == 200
    assert not User.objects.exists()
    assert b"This field is required" in response.content
    assert b'value="Jane@Shop.test"' in response.content


def test_signup_with_a_taken_email_creates_nothing_and_reveals_nothing(client, team):
    # allauth prevents account enumeration: the page looks like a normal sign-up,
    # and the owner of the address gets an email saying someone tried.
    response = client.post("/accounts/signup/", {**SIGNUP, "email": "OWNER@acme.test"})
    assert response.status_code == 302
    assert User.objects.filter(email__iexact="owner@acme.test").count() == 1
    assert not Account.objects.filter(name="Jane's Shop").exists()
    assert mail.outbox[0].to == ["owner@acme.test"]


def test_signup_sends_a_verification_email_and_login_waits_for_it(client):
    client.post("/accounts/signup/", SIGNUP)
    assert len(mail.outbox) == 1
    assert "jane@shop.test" in mail.outbox[0].to
    # Not verified yet: logging in leads to the "verify your email" page, not the app.
    client.logout()
    response = client.post(
        "/accounts/login/", {"login": "jane@shop.test", "password": SIGNUP["password1"]}
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    assert client.get("/").status_code == 302


def test_following_the_verification_link_in_the_same_browser_verifies_and_logs_in(client):
    client.post("/accounts/signup/", SIGNUP)
    link = _confirmation_link(mail.outbox[0].body)
    response = client.post(link)
    assert response.status_code == 302
    assert EmailAddress.objects.get(email="jane@shop.test").verified
    home = client.get("/")
    assert home.status_code == 200
    assert b"Jane&#x27;s Shop" in home.content


def test_password_reset_sends_a_working_link(client, team):
    client.post("/accounts/password/reset/", {"email": "owner@acme.test"})
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/[^\s]+/)", mail.outbox[0].body)
    assert link
    response = client.get(link.group(1), follow=True)
    assert response.status_code == 200
    form_url = response.redirect_chain[-1][0] if response.redirect_chain else link.group(1)
    done = client.post(
        form_url, {"password1": "a brand new passphrase", "password2": "a brand new passphrase"}
    )
    assert done.status_code == 302
    assert User.objects.get(email="owner@acme.test").check_password("a brand new passphrase")


def test_verifying_in_another_browser_verifies_but_asks_to_log_in(client):
    client.post("/accounts/signup/", SIGNUP)
    link = _confirmation_link(mail.outbox[0].body)
    client.logout()
    assert client.post(link).status_code == 302
    assert EmailAddress.objects.get(email="jane@shop.test").verified
    assert client.get("/").status_code == 302
    client.post("/accounts/login/", {"login": "jane@shop.test", "password": SIGNUP["password1"]})
    assert client.get("/").status_code == 200
