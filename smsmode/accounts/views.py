"""Team, account settings, invitations and the account switcher."""

from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Case, Value, When
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from smsmode.accounts.access import (
    account_required,
    get_invitation_for_update,
    get_membership_for_update,
    require_settings_manager,
    require_team_manager,
)
from smsmode.accounts.adapter import INVITATION_SESSION_KEY
from smsmode.accounts.forms import AccountSettingsForm, CreateAccountForm, InviteForm, RoleForm
from smsmode.accounts.middleware import SESSION_KEY, AccountRequest
from smsmode.accounts.models import Invitation, Membership, Role
from smsmode.accounts.services import (
    InvitationInvalid,
    TeamError,
    account_create,
    invitation_accept,
    invitation_create,
    invitation_from_token,
    invitation_public_id,
    invitation_url,
    membership_remove,
    membership_set_role,
)
from smsmode.billing.features import account_seats_left
from smsmode.dashboard.jobs import enqueue_stats_rebuild

TEAM_PAGE_SIZE = 50


def _team_context(request: AccountRequest, invite_form: InviteForm | None = None) -> dict:
    """Members and pending invitations, 50 of each per page (pages ?page= and ?ipage=)."""
    account = request.account
    rank = Case(
        When(role=Role.OWNER, then=Value(0)), When(role=Role.ADMIN, then=Value(1)), default=Value(2)
    )
    members = Paginator(
        account.memberships.select_related("user").order_by(rank, "user__email", "pk"),
        TEAM_PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    invitations = Paginator(
        account.invitations.filter(accepted_at__isnull=True)
        .select_related("invited_by")
        .order_by("email", "pk"),
        TEAM_PAGE_SIZE,
    ).get_page(request.GET.get("ipage"))
    manager = request.membership.can_manage_team
    return {
        "members": members,
        "invitations_page": invitations,
        "invitations": [
            (inv, invitation_url(inv) if manager else None) for inv in invitations.object_list
        ],
        "invite_form": invite_form or InviteForm(),
        "seats_left": account_seats_left(account),
        "can_manage": manager,
        "invitation_days": settings.INVITATION_MAX_AGE_DAYS,
    }


@account_required
def team(request: AccountRequest) -> HttpResponse:
    return render(request, "accounts/team.html", _team_context(request))


@account_required
@require_POST
def invite(request: AccountRequest) -> HttpResponse:
    by = require_team_manager(request)
    form = InviteForm(request.POST)
    if form.is_valid():
        try:
            invitation = invitation_create(
                account=request.account,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                by=by,
            )
        except TeamError as exc:
            form.add_error("email", exc.message)
        else:
            messages.success(
                request, _("Invitation sent to %(email)s.") % {"email": invitation.email}
            )
            return redirect("accounts:team")
    return render(request, "accounts/team.html", _team_context(request, form), status=400)


@account_required
@require_POST
def revoke_invitation(request: AccountRequest, public_id: UUID) -> HttpResponse:
    invitation = get_invitation_for_update(request, public_id)
    invitation.delete()
    messages.success(request, _("Invitation to %(email)s withdrawn.") % {"email": invitation.email})
    return redirect("accounts:team")


@account_required
@require_POST
def change_role(request: AccountRequest, public_id: UUID) -> HttpResponse:
    membership = get_membership_for_update(request, public_id)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid role."))
        return redirect("accounts:team")
    try:
        membership_set_role(
            membership=membership, role=form.cleaned_data["role"], by=request.membership
        )
    except TeamError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("%(email)s is now %(role)s.")
            % {"email": membership.user.email, "role": membership.get_role_display()},
        )
    return redirect("accounts:team")


@account_required
def remove_member(request: AccountRequest, public_id: UUID) -> HttpResponse:
    membership = get_membership_for_update(request, public_id)
    if request.method == "POST":
        try:
            membership_remove(membership=membership, by=request.membership)
        except TeamError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("%(email)s no longer has access to %(account)s.")
                % {"email": membership.user.email, "account": request.account.name},
            )
        return redirect("accounts:team")
    return render(request, "accounts/remove_member.html", {"target": membership})


@account_required
def leave(request: AccountRequest) -> HttpResponse:
    if request.method == "POST":
        try:
            membership_remove(membership=request.membership, by=request.membership)
        except TeamError as exc:
            messages.error(request, exc.message)
            return redirect("accounts:team")
        request.session.pop(SESSION_KEY, None)
        messages.success(request, _("You left %(account)s.") % {"account": request.account.name})
        return redirect("dashboard:home")
    return render(request, "accounts/leave.html")


@account_required
def account_settings(request: AccountRequest) -> HttpResponse:
    require_settings_manager(request)
    form = AccountSettingsForm(request.POST or None, instance=request.account)
    if request.method == "POST":
        if form.is_valid():
            form.save()
            if "time_zone" in form.changed_data:  # the statistics' days move with it
                enqueue_stats_rebuild(request.account.pk)
            messages.success(request, _("Settings saved."))
            return redirect("accounts:settings")
        return render(request, "accounts/settings.html", {"form": form}, status=400)
    return render(request, "accounts/settings.html", {"form": form})


@login_required
@require_POST
def switch_account(request: HttpRequest) -> HttpResponse:
    try:
        public_id = UUID(request.POST.get("account", ""))
    except ValueError as exc:
        raise Http404 from exc
    membership = get_object_or_404(
        Membership.objects.select_related("account"),
        user=request.user,
        account__public_id=public_id,
    )
    request.session[SESSION_KEY] = str(membership.account.public_id)
    messages.success(
        request, _("You are now working in %(account)s.") % {"account": membership.account.name}
    )
    return redirect("dashboard:home")


@login_required
def create_account(request: HttpRequest) -> HttpResponse:
    form = CreateAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        account = account_create(name=form.cleaned_data["name"], owner=request.user)
        request.session[SESSION_KEY] = str(account.public_id)
        messages.success(request, _("Account %(account)s created.") % {"account": account.name})
        return redirect("dashboard:home")
    return render(request, "accounts/create.html", {"form": form})


def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """The page a signed invitation link opens: join, or sign up / log in first."""
    try:
        inv = invitation_from_token(token)
    except InvitationInvalid as exc:
        joined = _joined_through(request, token)
        if joined is not None:  # e.g. back here after signing up through the link
            request.session[SESSION_KEY] = str(joined.account.public_id)
            return redirect("dashboard:home")
        return render(
            request, "accounts/invitation_invalid.html", {"reason": exc.reason}, status=410
        )
    if not request.user.is_authenticated:
        # The adapter reads this: a sign-up with the invited address joins the
        # account (and needs no verification email: the link proved the address).
        request.session[INVITATION_SESSION_KEY] = token
        return render(request, "accounts/invitation.html", {"invitation": inv, "token": token})
    if request.method == "POST":
        try:
            membership = invitation_accept(invitation=inv, user=request.user)
        except TeamError as exc:
            messages.error(request, exc.message)
            return render(
                request, "accounts/invitation.html", {"invitation": inv, "token": token}, status=403
            )
        request.session.pop(INVITATION_SESSION_KEY, None)
        request.session[SESSION_KEY] = str(membership.account.public_id)
        messages.success(
            request, _("Welcome to %(account)s.") % {"account": membership.account.name}
        )
        return redirect("dashboard:home")
    return render(request, "accounts/invitation.html", {"invitation": inv, "token": token})


def _joined_through(request: HttpRequest, token: str) -> Membership | None:
    """The membership the logged-in user got from this (already used) invitation link."""
    if not request.user.is_authenticated:
        return None
    try:
        public_id = invitation_public_id(token)
    except InvitationInvalid:
        return None
    invitation = Invitation.objects.filter(public_id=public_id, accepted_by=request.user).first()
    if invitation is None:
        return None
    return (
        Membership.objects.select_related("account")
        .filter(account_id=invitation.account_id, user=request.user)
        .first()
    )
