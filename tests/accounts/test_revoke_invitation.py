import pytest
from django.contrib.messages import get_messages
from django.utils import timezone

from smsmode.accounts.models import Invitation, Role

pytestmark = pytest.mark.django_db


def _invitation(team, email="new@acme.test") -> Invitation:
    return Invitation.objects.create(
        account=team.account, email=email, role=Role.MEMBER, invited_by=team.owner
    )


def _url(invitation: Invitation) -> str:
    return f"/team/invitations/{invitation.public_id}/revoke/"


@pytest.mark.parametrize("client_name", ["owner_client", "admin_client_"])
def test_a_manager_withdraws_a_pending_invitation(request, team, client_name):
    invitation = _invitation(team)
    other = _invitation(team, email="other@acme.test")
    response = request.getfixturevalue(client_name).post(_url(invitation))
    assert response.status_code == 302
    assert response["Location"] == "/team/"
    assert not Invitation.objects.filter(pk=invitation.pk).exists()
    assert Invitation.objects.filter(pk=other.pk).exists()
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert "Invitation to new@acme.test withdrawn." in messages


def test_a_member_cannot_withdraw_an_invitation(member_client, team):
    invitation = _invitation(team)
    assert member_client.post(_url(invitation)).status_code == 403
    assert Invitation.objects.filter(pk=invitation.pk).exists()


def test_an_outsider_gets_not_found(outsider_client, team):
    invitation = _invitation(team)
    assert outsider_client.post(_url(invitation)).status_code == 404
    assert Invitation.objects.filter(pk=invitation.pk).exists()


def test_withdrawing_needs_a_post(owner_client, team):
    invitation = _invitation(team)
    assert owner_client.get(_url(invitation)).status_code == 405
    assert Invitation.objects.filter(pk=invitation.pk).exists()


def test_an_accepted_invitation_cannot_be_withdrawn(owner_client, team):
    invitation = Invitation.objects.create(
        account=team.account,
        email="member@acme.test",
        invited_by=team.owner,
        accepted_at=timezone.now(),
        accepted_by=team.member,
    )
    assert owner_client.post(_url(invitation)).status_code == 404
    assert Invitation.objects.filter(pk=invitation.pk).exists()


def test_a_withdrawn_invitation_link_stops_working(owner_client, client, team):
    from smsmode.accounts.services import invitation_token

    invitation = _invitation(team)
    link = f"/invitations/{invitation_token(invitation)}/"
    assert client.get(link).status_code == 200
    owner_client.post(_url(invitation))
    assert client.get(link).status_code == 410
