"""Multi-step writes for accounts and teams. Views call these; they hold the rules."""

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from smsmode.accounts.models import Account, Invitation, Membership, Role, User
from smsmode.billing.features import account_seats_left
from smsmode.billing.models import LedgerKind, Plan
from smsmode.billing.services import credits_add

INVITATION_SALT = "smsmode.accounts.invitation"


class TeamError(ValidationError):
    """A team change that the rules forbid; its message is shown to the user."""


def account_create(
    *,
    name: str,
    owner: User,
    language: str | None = None,
    country: str = settings.DEFAULT_COUNTRY,
    time_zone: str = settings.DEFAULT_ACCOUNT_TIME_ZONE,
) -> Account:
    """Create a customer account on the default plan with `owner` as its owner.

    The account gets the sign-up gift of free test credits as a ledger entry.
    """
    with transaction.atomic():
        account = Account.objects.create(
            name=name.strip() or owner.email,
            plan=Plan.default(),
            language=language or translation.get_language() or "en",
            country=country,
            time_zone=time_zone,
        )
        Membership.objects.create(account=account, user=owner, role=Role.OWNER)
        if settings.SIGNUP_FREE_CREDITS:
            credits_add(
                account_id=account.pk,
                amount=settings.SIGNUP_FREE_CREDITS,
                kind=LedgerKind.SIGNUP_GIFT,
                description=_("Free test credits"),
            )
    return account


def invitation_token(invitation: Invitation) -> str:
    return signing.dumps(str(invitation.public_id), salt=INVITATION_SALT)


def invitation_url(invitation: Invitation) -> str:
    path = reverse("accounts:invitation", args=[invitation_token(invitation)])
    return settings.SITE_ROOT.rstrip("/") + path


class InvitationInvalid(Exception):
    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def invitation_public_id(token: str) -> str:
    """The invitation UUID a signed link carries, or InvitationInvalid (bad or too old)."""
    max_age = settings.INVITATION_MAX_AGE_DAYS * 86400
    try:
        return signing.loads(token, salt=INVITATION_SALT, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise InvitationInvalid(_("This invitation has expired.")) from exc
    except signing.BadSignature as exc:
        raise InvitationInvalid(_("This invitation link is not valid.")) from exc


def invitation_from_token(token: str) -> Invitation:
    """The pending invitation a link points to, or InvitationInvalid with a reason to show.

    The link is signed and carries its age; both the signature's age and the
    invitation's own expiry are checked, so revoking or shortening works.
    """
    public_id = invitation_public_id(token)
    invitation = (
        Invitation.objects.select_related("account", "invited_by")
        .filter(public_id=public_id)
        .first()
    )
    if invitation is None:
        raise InvitationInvalid(_("This invitation was withdrawn."))
    if invitation.accepted_at is not None:
        raise InvitationInvalid(_("This invitation has already been used."))
    if invitation.is_expired:
        raise InvitationInvalid(_("This invitation has expired."))
    return invitation


def invitation_create(*, account: Account, email: str, role: str, by: Membership) -> Invitation:
    """Invite `email` to `account` with `role` and email them a signed link.

    Enforces the plan's seat limit, refuses existing members and duplicate
    pending invitations, and lets only owners invite owners.
    """
    email = email.strip().lower()
    if not by.can_manage_team:
        raise TeamError(_("Only owners and admins can invite people."))
    if role == Role.OWNER and not by.is_owner:
        raise TeamError(_("Only an owner can invite another owner."))
    with transaction.atomic():
        Account.objects.select_for_update().only("id").get(pk=account.pk)
        # An expired pending invitation no longer holds a seat or blocks a new one.
        account.invitations.filter(
            accepted_at__isnull=True, expires_at__lte=timezone.now()
        ).delete()
        if account.memberships.filter(user__email__iexact=email).exists():
            raise TeamError(_("%(email)s is already a member of this account.") % {"email": email})
        if account.invitations.filter(email__iexact=email, accepted_at__isnull=True).exists():
            raise TeamError(_("%(email)s has already been invited.") % {"email": email})
        seats = account_seats_left(account)
        if seats is not None and seats <= 0:
            limit = account.plan.max_users or 0
            raise TeamError(
                ngettext(
                    "Your plan includes %(count)s user. Upgrade to invite more people.",
                    "Your plan includes %(count)s users. Upgrade to invite more people.",
                    limit,
                )
                % {"count": limit}
            )
        try:
            invitation = Invitation.objects.create(
                account=account, email=email, role=role, invited_by=by.user
            )
        except IntegrityError as exc:  # a concurrent double submit
            raise TeamError(_("%(email)s has already been invited.") % {"email": email}) from exc
        transaction.on_commit(lambda: _send_invitation_email(invitation))
    return invitation


def _send_invitation_email(invitation: Invitation) -> None:
    context = {
        "invitation": invitation,
        "url": invitation_url(invitation),
        "site_name": settings.SITE_NAME,
        "inviter": invitation.invited_by,
    }
    with translation.override(invitation.account.language):
        subject = _("%(name)s invited you to %(account)s on %(site)s") % {
            "name": invitation.invited_by or settings.SITE_NAME,
            "account": invitation.account.name,
            "site": settings.SITE_NAME,
        }
        body = render_to_string("accounts/email/invitation.txt", context)
    send_mail(subject, body, None, [invitation.email])


def invitation_accept(*, invitation: Invitation, user: User) -> Membership:
    """Join the invitation's account as `user`. Safe against double submits.

    The user's email must be the invited one: a forwarded link does not let
    somebody else in.
    """
    if user.email.lower() != invitation.email.lower():
        raise TeamError(
            _("This invitation is for %(email)s. Log in with that address to accept it.")
            % {"email": invitation.email}
        )
    with transaction.atomic():
        locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if locked.accepted_at is not None and locked.accepted_by_id != user.pk:
            raise TeamError(_("This invitation has already been used."))
        if locked.is_expired:
            raise TeamError(_("This invitation has expired."))
        membership, _created = Membership.objects.get_or_create(
            account_id=locked.account_id, user=user, defaults={"role": locked.role}
        )
        if locked.accepted_at is None:
            locked.accepted_at = timezone.now()
            locked.accepted_by = user
            locked.save(update_fields=["accepted_at", "accepted_by"])
    return membership


def _owner_count(account_id: int) -> int:
    return Membership.objects.filter(account_id=account_id, role=Role.OWNER).count()


def membership_set_role(*, membership: Membership, role: str, by: Membership) -> Membership:
    """Change a member's role. Only owners touch the owner role; the last owner stays."""
    if role not in Role.values:
        raise TeamError(_("Unknown role."))
    if not by.can_manage_team:
        raise TeamError(_("Only owners and admins can change roles."))
    if (membership.role == Role.OWNER or role == Role.OWNER) and not by.is_owner:
        raise TeamError(_("Only an owner can grant or remove the owner role."))
    with transaction.atomic():
        Account.objects.select_for_update().only("id").get(pk=membership.account_id)
        membership.refresh_from_db(fields=["role"])
        demoting_owner = membership.role == Role.OWNER and role != Role.OWNER
        if demoting_owner and _owner_count(membership.account_id) <= 1:
            raise TeamError(_("An account needs at least one owner."))
        membership.role = role
        membership.save(update_fields=["role"])
    return membership


def membership_remove(*, membership: Membership, by: Membership) -> None:
    """Remove a member (or, when `by` is the member, leave). The last owner cannot go."""
    leaving = membership.pk == by.pk
    if not leaving:
        if not by.can_manage_team:
            raise TeamError(_("Only owners and admins can remove members."))
        if membership.role == Role.OWNER and not by.is_owner:
            raise TeamError(_("Only an owner can remove another owner."))
    with transaction.atomic():
        Account.objects.select_for_update().only("id").get(pk=membership.account_id)
        membership.refresh_from_db(fields=["role"])
        if membership.role == Role.OWNER and _owner_count(membership.account_id) <= 1:
            raise TeamError(
                _("The last owner cannot leave or be removed. Make someone else an owner first.")
            )
        membership.delete()


def account_suspend(*, account: Account, reason: str = "") -> None:
    Account.objects.filter(pk=account.pk).update(
        is_suspended=True, suspended_reason=reason, suspended_at=timezone.now()
    )


def account_unsuspend(*, account: Account) -> None:
    Account.objects.filter(pk=account.pk).update(
        is_suspended=False, suspended_reason="", suspended_at=None
    )
