"""Access helpers: every customer-area view reaches account data through these.

Outsiders get 404 (never a hint that the object exists); members without the
right role get 403.
"""

from collections.abc import Callable
from functools import wraps
from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect

from smsmode.accounts.middleware import AccountRequest
from smsmode.accounts.models import Invitation, Membership

View = Callable[..., HttpResponse]


def account_required(view: View) -> View:
    """Logged in and in an account; a user without one is offered to create one."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if getattr(request, "account", None) is None:
            return redirect("accounts:create")
        return view(request, *args, **kwargs)

    return wrapper


def require_team_manager(request: AccountRequest) -> Membership:
    if request.membership is None or not request.membership.can_manage_team:
        raise PermissionDenied
    return request.membership


def require_settings_manager(request: AccountRequest) -> Membership:
    if request.membership is None or not request.membership.can_manage_settings:
        raise PermissionDenied
    return request.membership


def require_owner(request: AccountRequest) -> Membership:
    if request.membership is None or not request.membership.can_manage_billing:
        raise PermissionDenied
    return request.membership


def get_membership_for_update(request: AccountRequest, public_id: UUID) -> Membership:
    """A membership of the current account that the user may change (404, then 403)."""
    membership = get_object_or_404(
        Membership.objects.select_related("user"), account=request.account, public_id=public_id
    )
    require_team_manager(request)
    return membership


def get_invitation_for_update(request: AccountRequest, public_id: UUID) -> Invitation:
    invitation = get_object_or_404(
        Invitation, account=request.account, public_id=public_id, accepted_at__isnull=True
    )
    require_team_manager(request)
    return invitation
