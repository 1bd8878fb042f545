import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from smsmode.accounts.models import Account, Invitation, Role
from smsmode.accounts.services import invitation_from_token
from smsmode.billing.models import Plan

pytestmark = pytest.mark.django_db


def _post_invite(client, capture, email="new@acme.test", role="member"):
    with capture(execute=True):
        return client.post("/team/invite/", {"email": email, "role": role})


def _link_token(body: str) -> str:
    match = re.search(r"https?://[^/\s]+/invitations/([^/\s]+)/", body)
    assert match, body
    return match.group(1)


@pytest.mark.parametrize(
    ("client_name", "inviter"),
    [("owner_client", "owner@acme.test"), ("admin_client_", "admin@acme.test")],
)
def test_managers_invite_and_the_invitee_gets_an_email_with_a_working_link(
    request, team, django_capture_on_commit_callbacks, client_name, inviter
):
    client = request.getfixturevalue(client_name)
    response = _post_invite(client, django_capture_on_commit_callbacks, role="admin")
    assert response.status_code == 302
    assert response["Location"] == "/team/"
    invitation = Invitation.objects.get(account=team.account)
    assert invitation.email == "new@acme.test"
    assert invitation.role == Role.ADMIN
    assert invitation.invited_by.email == inviter
    assert invitation.accepted_at is None
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new@acme.test"]
    assert "Acme" in mail.outbox[0].subject
    token = _link_token(mail.outbox[0].body)
    assert invitation_from_token(token) == invitation


def test_the_invited_email_is_stored_in_lower_case(
    owner_client, team, django_capture_on_commit_callbacks
):
    _post_invite(owner_client, django_capture_on_commit_callbacks, email="  New@ACME.test ")
    assert Invitation.objects.get(account=team.account).email == "new@acme.test"
    assert mail.outbox[0].to == ["new@acme.test"]


def test_a_successful_invite_flashes_a_confirmation(
    owner_client, team, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(
            "/team/invite/", {"email": "new@acme.test", "role": "member"}, follow=True
        )
    assert b"Invitation sent to new@acme.test." in response.content


def test_a_member_cannot_invite(member_client, team, django_capture_on_commit_callbacks):
    response = _post_invite(member_client, django_capture_on_commit_callbacks)
    assert response.status_code == 403
    assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_inviting_needs_a_post(owner_client, team):
    response = owner_client.get("/team/invite/", {"email": "new@acme.test", "role": "member"})
    assert response.status_code == 405
    assert not Invitation.objects.exists()


def test_an_outsider_invites_into_their_own_account_only(
    outsider_client, team, django_capture_on_commit_callbacks
):
    Account.objects.filter(pk=team.outsider_account.pk).update(plan=Plan.objects.get(code="medium"))
    response = _post_invite(outsider_client, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert not Invitation.objects.filter(account=team.account).exists()
    assert Invitation.objects.get(email="new@acme.test").account == team.outsider_account


@pytest.mark.parametrize("email", ["member@acme.test", "MEMBER@Acme.Test"])
def test_inviting_an_existing_member_is_refused(
    owner_client, team, django_capture_on_commit_callbacks, email
):
    response = _post_invite(owner_client, django_capture_on_commit_callbacks, email=email)
    assert response.status_code == 400
    assert b"member@acme.test is already a member of this account." in response.content
    assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_a_second_pending_invitation_for_the_same_email_is_refused_whatever_the_case(
    owner_client, team, django_capture_on_commit_callbacks
):
    _post_invite(owner_client, django_capture_on_commit_callbacks, email="new@acme.test")
    response = _post_invite(owner_client, django_capture_on_commit_callbacks, email="NEW@acme.TEST")
    assert response.status_code == 400
    assert b"new@acme.test has already been invited." in response.content
    assert Invitation.objects.filter(account=team.account).count() == 1
    assert len(mail.outbox) == 1


def test_an_invalid_email_is_refused_and_what_was_typed_is_kept(
    owner_client, team, django_capture_on_commit_callbacks
):
    response = _post_invite(owner_client, django_capture_on_commit_callbacks, email="not-an-email")
    assert response.status_code == 400
    assert b"Enter a valid email address." in response.content
    assert b'value="not-an-email"' in response.content
    assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_an_unknown_role_is_refused(owner_client, team, django_capture_on_commit_callbacks):
    response = _post_invite(owner_client, django_capture_on_commit_callbacks, role="superuser")
    assert response.status_code == 400
    assert not Invitation.objects.exists()


def test_an_admin_cannot_invite_an_owner(admin_client_, team, django_capture_on_commit_callbacks):
    response = _post_invite(admin_client_, django_capture_on_commit_callbacks, role="owner")
    assert response.status_code == 400
    assert b"Only an owner can invite another owner." in response.content
    assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_an_owner_can_invite_an_owner(owner_client, team, django_capture_on_commit_callbacks):
    response = _post_invite(owner_client, django_capture_on_commit_callbacks, role="owner")
    assert response.status_code == 302
    assert Invitation.objects.get(account=team.account).role == Role.OWNER


def test_the_seat_limit_of_the_plan_is_enforced(
    outsider_client, team, django_capture_on_commit_callbacks
):
    # The outsider's account is on the default Start plan: 1 user, already taken.
    assert team.outsider_account.plan.code == "start"
    response = _post_invite(outsider_client, django_capture_on_commit_callbacks)
    assert response.status_code == 400
    # The page comes back with the plan's limit in place of the invite form.
    assert b'data-testid="seat-limit"' in response.content
    assert b"The Start plan includes 1 user." in response.content
    assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_pending_invitations_take_seats(owner_client, team, django_capture_on_commit_callbacks):
    # Classic allows 3 users and the team already has 3 members.
    Account.objects.filter(pk=team.account.pk).update(plan=Plan.objects.get(code="classic"))
    response = _post_invite(owner_client, django_capture_on_commit_callbacks)
    assert response.status_code == 400
    assert not Invitation.objects.exists()
    # Free a seat: one invitation fits, the next one does not.
    team.membership(team.member).delete()
    assert _post_invite(owner_client, django_capture_on_commit_callbacks).status_code == 302
    response = _post_invite(owner_client, django_capture_on_commit_callbacks, email="two@acme.test")
    assert response.status_code == 400
    assert list(Invitation.objects.values_list("email", flat=True)) == ["new@acme.test"]


def test_an_expired_pending_invitation_does_not_block_inviting_the_same_email_again(
    owner_client, team, django_capture_on_commit_callbacks
):
    old = Invitation.objects.create(
        account=team.account,
        email="new@acme.test",
        invited_by=team.owner,
        expires_at=timezone.now() - timedelta(minutes=1),
    )
    response = _post_invite(owner_client, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    fresh = Invitation.objects.get(account=team.account, email="new@acme.test")
    assert fresh.pk != old.pk
    assert not fresh.is_expired
    assert len(mail.outbox) == 1


def test_an_expired_invitation_does_not_hold_a_seat(
    outsider_client, team, django_capture_on_commit_callbacks
):
    Account.objects.filter(pk=team.outsider_account.pk).update(
        plan=Plan.objects.get(code="classic")
    )
    for email in ("a@other.test", "b@other.test"):
        Invitation.objects.create(
            account=team.outsider_account,
            email=email,
            invited_by=team.outsider,
            expires_at=timezone.now() - timedelta(days=1),
        )
    response = _post_invite(outsider_client, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert Invitation.objects.filter(email="new@acme.test").exists()
