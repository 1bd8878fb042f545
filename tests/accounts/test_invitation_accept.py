import re
from datetime import timedelta
from urllib.parse import unquote

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.messages import get_messages
from django.core import mail
from django.utils import timezone

from smsmode.accounts.adapter import INVITATION_SESSION_KEY
from smsmode.accounts.middleware import SESSION_KEY
from smsmode.accounts.models import Account, Invitation, Membership, Role, User
from smsmode.accounts.services import invitation_create, invitation_token
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

PASSPHRASE = "a long enough passphrase"


def _invitation(team, email="new@acme.test", role=Role.ADMIN, **extra) -> Invitation:
    return Invitation.objects.create(
        account=team.account, email=email, role=role, invited_by=team.owner, **extra
    )


def _url(invitation: Invitation) -> str:
    return f"/invitations/{invitation_token(invitation)}/"


def test_an_anonymous_visitor_sees_the_join_page_and_the_token_is_kept_for_sign_up(client, team):
    invitation = _invitation(team)
    token = invitation_token(invitation)
    response = client.get(f"/invitations/{token}/")
    assert response.status_code == 200
    assert b"Join Acme" in response.content
    assert b"owner@acme.test invited you to join Acme as Admin." in response.content
    assert b"The invitation is for new@acme.test." in response.content
    assert b"/accounts/signup/?next=" in response.content
    assert client.session[INVITATION_SESSION_KEY] == token
    assert not Membership.objects.filter(user__email="new@acme.test").exists()


def test_a_link_made_by_invitation_create_works(client, team):
    invitation = invitation_create(
        account=team.account,
        email="New@Acme.test",
        role=Role.MEMBER,
        by=team.membership(team.owner),
    )
    response = client.get(_url(invitation))
    assert response.status_code == 200
    assert b"Join Acme" in response.content


def test_the_invited_user_accepts_and_works_in_the_account_with_the_invited_role(client, team):
    invitation = _invitation(team)
    user = make_user("new@acme.test")
    client.force_login(user)
    page = client.get(_url(invitation))
    assert page.status_code == 200
    assert b'data-testid="accept-invitation"' in page.content
    assert not Membership.objects.filter(user=user).exists()  # a GET does not accept

    response = client.post(_url(invitation))
    assert response.status_code == 302
    assert response["Location"] == "/"
    membership = Membership.objects.get(user=user)
    assert membership.account == team.account
    assert membership.role == Role.ADMIN
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None
    assert invitation.accepted_by == user
    assert client.session[SESSION_KEY] == str(team.account.public_id)
    home = client.get("/")
    assert home.status_code == 200
    assert b'<span class="account-name">Acme</span>' in home.content


def test_accepting_switches_away_from_the_users_own_account(client, team):
    # The invitee already owns an account; after accepting they work in the new one.
    invitation = _invitation(team, email="outsider@other.test", role=Role.MEMBER)
    client.force_login(team.outsider)
    assert b'<span class="account-name">Other Co</span>' in client.get("/").content
    response = client.post(_url(invitation))
    assert response.status_code == 302
    assert Membership.objects.get(user=team.outsider, account=team.account).role == Role.MEMBER
    assert client.session[SESSION_KEY] == str(team.account.public_id)
    assert b'<span class="account-name">Acme</span>' in client.get("/").content
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert "Welcome to Acme." in messages


def test_the_email_match_ignores_case(client, team):
    invitation = _invitation(team, email="new@acme.test")
    user = User.objects.create_user(email="x@x.test")
    User.objects.filter(pk=user.pk).update(email="NEW@Acme.Test")
    user.refresh_from_db()
    client.force_login(user)
    assert client.post(_url(invitation)).status_code == 302
    assert Membership.objects.filter(user=user, account=team.account).exists()


def test_posting_twice_does_not_create_two_memberships(client, team):
    invitation = _invitation(team)
    user = make_user("new@acme.test")
    client.force_login(user)
    assert client.post(_url(invitation)).status_code == 302
    # The link now simply leads the member into the account it joined.
    second = client.post(_url(invitation))
    assert second.status_code == 302
    assert second["Location"] == "/"
    assert Membership.objects.filter(user=user).count() == 1
    assert Membership.objects.get(user=user).role == Role.ADMIN


def test_a_user_with_another_email_cannot_use_a_forwarded_link(client, team):
    invitation = _invitation(team)
    client.force_login(team.outsider)
    response = client.post(_url(invitation))
    assert response.status_code == 403
    assert b"This invitation is for new@acme.test." in response.content
    assert not Membership.objects.filter(user=team.outsider, account=team.account).exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None
    assert client.session[SESSION_KEY] == str(team.outsider_account.public_id)


def test_an_expired_invitation_is_gone(client, team):
    invitation = _invitation(team, expires_at=timezone.now() - timedelta(seconds=1))
    response = client.get(_url(invitation))
    assert response.status_code == 410
    assert b"This invitation has expired." in response.content
    assert INVITATION_SESSION_KEY not in client.session


def test_an_expired_invitation_cannot_be_accepted(client, team):
    invitation = _invitation(team, expires_at=timezone.now() - timedelta(seconds=1))
    user = make_user("new@acme.test")
    client.force_login(user)
    response = client.post(_url(invitation))
    assert response.status_code == 410
    assert b"expired" in response.content
    assert not Membership.objects.filter(user=user).exists()


def test_a_link_older_than_the_maximum_age_is_expired_even_if_the_invitation_is_not(client, team):
    invitation = _invitation(team, expires_at=timezone.now() + timedelta(days=30))
    token = invitation_token(invitation)
    later = timezone.now() + timedelta(days=settings.INVITATION_MAX_AGE_DAYS, minutes=1)
    user = make_user("new@acme.test")
    client.force_login(user)
    with time_machine.travel(later, tick=False):
        assert not Invitation.objects.get(pk=invitation.pk).is_expired
        response = client.post(f"/invitations/{token}/")
    assert response.status_code == 410
    assert b"This invitation has expired." in response.content
    assert not Membership.objects.filter(user=user).exists()


def test_a_link_just_within_its_maximum_age_still_works(client, team):
    invitation = _invitation(team)
    token = invitation_token(invitation)
    later = timezone.now() + timedelta(days=settings.INVITATION_MAX_AGE_DAYS, minutes=-1)
    with time_machine.travel(later, tick=False):
        response = client.get(f"/invitations/{token}/")
    assert response.status_code == 200


def test_a_tampered_link_is_refused(client, team):
    invitation = _invitation(team)
    token = invitation_token(invitation)
    value, signature = token.rsplit(":", 1)
    tampered = f"{value}:{signature[:-1]}{'A' if signature[-1] != 'A' else 'B'}"
    response = client.get(f"/invitations/{tampered}/")
    assert response.status_code == 410
    assert b"This invitation link is not valid." in response.content
    assert client.get("/invitations/garbage/").status_code == 410


def test_a_withdrawn_invitation_is_gone(client, team):
    invitation = _invitation(team)
    url = _url(invitation)
    invitation.delete()
    user = make_user("new@acme.test")
    client.force_login(user)
    response = client.post(url)
    assert response.status_code == 410
    assert b"This invitation was withdrawn." in response.content
    assert not Membership.objects.filter(user=user).exists()


def test_an_accepted_invitation_cannot_be_used_again(client, team):
    invitation = _invitation(team, accepted_at=timezone.now(), accepted_by=team.member)
    response = client.get(_url(invitation))
    assert response.status_code == 410
    assert b"This invitation has already been used." in response.content


def test_signing_up_through_an_invitation_joins_the_inviting_account(client, team):
    invitation = _invitation(team, email="new@acme.test", role=Role.ADMIN)
    accounts_before = Account.objects.count()
    assert client.get(_url(invitation)).status_code == 200

    response = client.post(
        "/accounts/signup/",
        {
            "email": "new@acme.test",
            "password1": PASSPHRASE,
            "password2": PASSPHRASE,
            "company_name": "Ignored",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email="new@acme.test")
    membership = Membership.objects.get(user=user)
    assert membership.account == team.account
    assert membership.role == Role.ADMIN
    assert Account.objects.count() == accounts_before
    assert not Account.objects.filter(name="Ignored").exists()
    invitation.refresh_from_db()
    assert invitation.accepted_by == user
    # The link proved the address: no verification email, logged in at once.
    assert EmailAddress.objects.get(user=user).verified
    assert mail.outbox == []
    home = client.get("/")
    assert home.status_code == 200
    assert b'<span class="account-name">Acme</span>' in home.content


def test_signing_up_with_another_email_after_opening_an_invitation_keeps_the_typed_email(
    client, team
):
    invitation = _invitation(team, email="new@acme.test")
    client.get(_url(invitation))
    client.post(
        "/accounts/signup/",
        {
            "email": "someone.else@acme.test",
            "password1": PASSPHRASE,
            "password2": PASSPHRASE,
            "company_name": "Own Co",
        },
    )
    # The typed address is the login, unverified (a verification email goes out),
    # and the invited address is not given to this person.
    assert not User.objects.filter(email="new@acme.test").exists()
    user = User.objects.get(email="someone.else@acme.test")
    assert not EmailAddress.objects.filter(email="new@acme.test").exists()
    assert not EmailAddress.objects.get(user=user).verified
    assert [m.to for m in mail.outbox] == [["someone.else@acme.test"]]
    assert Membership.objects.get(user=user).account.name == "Own Co"
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_signing_up_from_the_join_page_button_lands_in_the_inviting_account(client, team):
    invitation = _invitation(team, email="new@acme.test", role=Role.ADMIN)
    # One link: a token made a second later carries another timestamp.
    link = _url(invitation)
    page = client.get(link)
    match = re.search(r'href="(/accounts/signup/\?next=([^"]+))"', page.content.decode())
    assert match, page.content
    signup_url, next_url = match.group(1), unquote(match.group(2))
    assert next_url == link
    response = client.post(
        signup_url,
        {
            "email": "new@acme.test",
            "password1": PASSPHRASE,
            "password2": PASSPHRASE,
            "company_name": "Ignored",
            "next": next_url,
        },
        follow=True,
    )
    # The sign-up itself worked...
    assert Membership.objects.get(user__email="new@acme.test").account == team.account
    # ...and the person lands in the account, not on an error page.
    assert response.status_code == 200
    assert b"This invitation has already been used." not in response.content
    assert b'<span class="account-name">Acme</span>' in response.content
