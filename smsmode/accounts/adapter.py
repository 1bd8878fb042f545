"""Hooks into django-allauth: a sign-up creates the company account, or joins an invitation."""

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest

from smsmode.accounts.models import User
from smsmode.accounts.services import (
    InvitationInvalid,
    TeamError,
    account_create,
    invitation_accept,
    invitation_from_token,
)

INVITATION_SESSION_KEY = "invitation_token"
INVITED_EMAIL_SESSION_KEY = "invitation_joined_email"


class AccountAdapter(DefaultAccountAdapter):
    def is_email_verified(self, request: HttpRequest, email: str) -> bool:
        """An address is verified at sign-up when an invitation link to it was opened.

        The link was sent to that address, which proves it. Any other address
        typed at sign-up goes through the usual verification email.
        """
        if request is None:
            return super().is_email_verified(request, email)
        joined = request.session.get(INVITED_EMAIL_SESSION_KEY)
        if joined and joined.lower() == email.lower():
            return True  # save_user just accepted the invitation for this address
        token = request.session.get(INVITATION_SESSION_KEY)
        if token:
            try:
                invitation = invitation_from_token(token)
            except InvitationInvalid:
                return super().is_email_verified(request, email)
            if invitation.email.lower() == email.lower():
                return True
        return super().is_email_verified(request, email)

    def save_user(self, request: HttpRequest, user: User, form, commit: bool = True) -> User:  # type: ignore[override]
        user = super().save_user(request, user, form, commit=commit)
        if not commit:
            return user
        token = request.session.get(INVITATION_SESSION_KEY)
        if token:
            try:
                invitation = invitation_from_token(token)
                membership = invitation_accept(invitation=invitation, user=user)
            except (InvitationInvalid, TeamError):
                pass
            else:
                request.session.pop(INVITATION_SESSION_KEY, None)
                request.session[INVITED_EMAIL_SESSION_KEY] = invitation.email
                request.session["current_account"] = str(membership.account.public_id)
                return user
        company = form.cleaned_data.get("company_name") or ""
        account_create(name=company or user.email, owner=user)
        return user
