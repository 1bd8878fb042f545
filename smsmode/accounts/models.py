"""Users, the customer accounts they belong to, and invitations to join them."""

import uuid
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: object) -> "User":
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: object) -> "User":
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> "User":
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """A person who logs in. Identified by email; belongs to accounts through Membership."""

    username = None  # type: ignore[assignment]
    email = models.EmailField(_("email address"), unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()  # type: ignore[misc]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.email


class Account(models.Model):
    """The customer company. It owns every piece of customer data and the credit balance."""

    class Language(models.TextChoices):
        ENGLISH = "en", _("English")
        FRENCH = "fr", _("French")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("company name"), max_length=120)
    country = models.CharField(
        _("country"), max_length=2, default="FR", help_text=_("ISO 3166 code, e.g. FR")
    )
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Paris")
    default_sender_id = models.CharField(_("default sender ID"), max_length=15, blank=True)
    language = models.CharField(
        _("language"), max_length=8, choices=Language.choices, default=Language.FRENCH
    )
    stop_code = models.CharField(
        _("STOP short code"),
        max_length=11,
        blank=True,
        help_text=_("Empty: the platform's code (SMS_STOP_CODE)."),
    )
    plan = models.ForeignKey(
        "billing.Plan", on_delete=models.PROTECT, related_name="accounts", verbose_name=_("plan")
    )
    credit_balance = models.DecimalField(
        _("credit balance"), max_digits=14, decimal_places=2, default=Decimal("0")
    )
    billing_address = models.TextField(
        _("billing address"), blank=True, help_text=_("Printed on your invoices.")
    )
    vat_number = models.CharField(_("VAT number"), max_length=32, blank=True)
    is_suspended = models.BooleanField(_("suspended"), default=False)
    suspended_reason = models.CharField(_("reason for suspension"), max_length=200, blank=True)
    suspended_at = models.DateTimeField(null=True, blank=True)
    api_shorten_links = models.BooleanField(
        _("Shorten the links of SMS sent through the API"),
        default=False,
        help_text=_(
            "Each http(s) link becomes the recipient's own short link, so clicks are "
            "counted (plans with the URL shortener)."
        ),
    )
    api_rate_limit = models.PositiveIntegerField(_("API requests per second, per key"), default=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(credit_balance__gte=0), name="account_credit_balance_gte_0"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def can_send(self) -> bool:
        """A suspended account can log in and look, but sends nothing."""
        return not self.is_suspended


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    ADMIN = "admin", _("Admin")
    MEMBER = "member", _("Member")


class Membership(models.Model):
    """A user's seat in an account, with a role.

    Owners manage billing and everything else; admins manage the team (except
    owners) and settings; members use the product.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["account", "user"], name="membership_unique_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.account} ({self.role})"

    @property
    def is_owner(self) -> bool:
        return self.role == Role.OWNER

    @property
    def can_manage_team(self) -> bool:
        return self.role in (Role.OWNER, Role.ADMIN)

    @property
    def can_manage_settings(self) -> bool:
        return self.role in (Role.OWNER, Role.ADMIN)

    @property
    def can_manage_billing(self) -> bool:
        return self.role == Role.OWNER


def _default_invitation_expiry() -> "timezone.datetime":
    return timezone.now() + timedelta(days=settings.INVITATION_MAX_AGE_DAYS)


class Invitation(models.Model):
    """A pending invitation to join an account, reached through a signed link that expires."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("email address"))
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.MEMBER)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(default=_default_invitation_expiry)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            models.UniqueConstraint(
                fields=["account", "email"],
                condition=models.Q(accepted_at__isnull=True),
                name="invitation_one_pending_per_email",
            )
        ]

    def __str__(self) -> str:
        return f"{self.email} to {self.account}"

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at


class ApiScope(models.TextChoices):
    """What a key may do; each scope includes the ones before it."""

    READ = "read", _("Read: messages, contacts, campaigns, statistics")
    SEND = "send", _("Send: read, and send or cancel SMS")
    MANAGE = "manage", _("Manage: send, and change contacts, lists, campaigns, links")


SCOPE_ORDER = [ApiScope.READ, ApiScope.SEND, ApiScope.MANAGE]


class ApiKey(models.Model):
    """A developer's key to the API. The secret is shown once: only its SHA-256 is kept
    (a key has 190 random bits, so a fast hash is enough and lets a request find its
    key with one indexed lookup)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(_("name"), max_length=80)
    scope = models.CharField(
        _("scope"), max_length=8, choices=ApiScope.choices, default=ApiScope.SEND
    )
    prefix = models.CharField(max_length=12)  # the first characters, to recognise a key
    secret_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def allows(self, scope: str) -> bool:
        return SCOPE_ORDER.index(ApiScope(self.scope)) >= SCOPE_ORDER.index(ApiScope(scope))
