"""Plans (data, edited in admin) and the append-only credit ledger."""

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Feature(models.TextChoices):
    URL_SHORTENER = "url_shortener", _("URL shortener")
    LANDING_PAGES = "landing_pages", _("Landing pages")


class Plan(models.Model):
    code = models.SlugField(unique=True)
    name = models.CharField(_("name"), max_length=60)
    sort_order = models.PositiveSmallIntegerField(default=0)
    monthly_price = models.DecimalField(
        _("monthly price (EUR)"), max_digits=10, decimal_places=2, default=Decimal("0")
    )
    yearly_price = models.DecimalField(
        _("yearly price (EUR)"), max_digits=10, decimal_places=2, default=Decimal("0")
    )
    credits_per_segment = models.DecimalField(
        _("credits per SMS segment"), max_digits=6, decimal_places=3, default=Decimal("1")
    )
    max_users = models.PositiveIntegerField(
        _("maximum users"), null=True, blank=True, help_text=_("Empty means unlimited.")
    )
    feature_url_shortener = models.BooleanField(_("URL shortener and click tracking"))
    feature_landing_pages = models.BooleanField(_("landing pages"))
    is_default = models.BooleanField(
        _("default for new accounts"), default=False, help_text=_("Exactly one plan should be.")
    )

    class Meta:
        ordering = ["sort_order"]
        verbose_name = _("plan")
        verbose_name_plural = _("plans")

    def __str__(self) -> str:
        return self.name

    def has_feature(self, feature: str) -> bool:
        return bool(getattr(self, f"feature_{Feature(feature).value}"))

    @classmethod
    def default(cls) -> "Plan":
        return cls.objects.filter(is_default=True).order_by("sort_order").first() or (
            cls.objects.order_by("sort_order").first()
        )


class LedgerKind(models.TextChoices):
    SIGNUP_GIFT = "signup_gift", _("Free test credits")
    PURCHASE = "purchase", _("Purchase")
    ALLOWANCE = "allowance", _("Plan allowance")
    RESERVATION = "reservation", _("Reserved for a send")
    REFUND = "refund", _("Refund")
    ADJUSTMENT = "adjustment", _("Adjustment by staff")


class CreditLedgerEntry(models.Model):
    """One change of an account's credit balance. Rows are never updated or deleted."""

    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="ledger_entries"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=LedgerKind.choices)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    balance_after = models.DecimalField(_("balance after"), max_digits=14, decimal_places=2)
    description = models.CharField(_("description"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("credit ledger entry")
        verbose_name_plural = _("credit ledger entries")
        indexes = [models.Index(fields=["account", "-created_at"], name="ledger_account_recent")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(balance_after__gte=0), name="ledger_balance_after_gte_0"
            )
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.kind} {self.amount}"


class BillingPeriod(models.TextChoices):
    MONTHLY = "monthly", _("Monthly")
    YEARLY = "yearly", _("Yearly")


class Subscription(models.Model):
    """An account's paid period and any plan change waiting for its end.

    The plan in force is `Account.plan` (what the gate reads). A downgrade is kept here
    as `pending_plan` until `current_period_end`, when a cron job applies it.
    """

    account = models.OneToOneField(
        "accounts.Account", on_delete=models.CASCADE, related_name="subscription"
    )
    period = models.CharField(
        _("billing period"),
        max_length=8,
        choices=BillingPeriod.choices,
        default=BillingPeriod.MONTHLY,
    )
    current_period_start = models.DateTimeField(null=True, blank=True)
    current_period_end = models.DateTimeField(null=True, blank=True)
    pending_plan = models.ForeignKey(
        Plan,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("plan from the end of the period"),
    )
    low_balance_threshold = models.DecimalField(
        _("low-balance alert threshold"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Email the owners when the balance falls below this."),
    )
    low_balance_alerted = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        indexes = [
            models.Index(
                fields=["current_period_end"],
                name="subscription_pending_due",
                condition=models.Q(pending_plan__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.period}"


class CreditPack(models.Model):
    """Credits sold in packs (data, edited in admin)."""

    name = models.CharField(_("name"), max_length=60)
    credits = models.PositiveIntegerField(_("credits"))
    price = models.DecimalField(_("price excl. VAT (EUR)"), max_digits=10, decimal_places=2)
    is_active = models.BooleanField(_("on sale"), default=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "credits"]
        verbose_name = _("credit pack")
        verbose_name_plural = _("credit packs")

    def __str__(self) -> str:
        return self.name


class OrderStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting payment")
    PAID = "paid", _("Paid")
    CANCELLED = "cancelled", _("Cancelled")
    REFUNDED = "refunded", _("Refunded")


class Order(models.Model):
    """Something an owner buys: a credit pack or a plan for a period.

    It is fulfilled (credits added, plan activated) exactly once, when its payment is
    confirmed: by staff for the manual provider, by a webhook for Stripe.
    """

    class Kind(models.TextChoices):
        CREDITS = "credits", _("Credits")
        PLAN = "plan", _("Plan")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    account = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="orders")
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    credit_pack = models.ForeignKey(CreditPack, on_delete=models.PROTECT, null=True, blank=True)
    credits = models.PositiveIntegerField(_("credits"), default=0)
    plan = models.ForeignKey(
        Plan, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    period = models.CharField(max_length=8, choices=BillingPeriod.choices, blank=True)
    description = models.CharField(_("description"), max_length=200)
    amount_excl_vat = models.DecimalField(max_digits=12, decimal_places=2)
    vat_rate = models.DecimalField(max_digits=5, decimal_places=4)
    vat_amount = models.DecimalField(max_digits=12, decimal_places=2)
    amount_incl_vat = models.DecimalField(max_digits=12, decimal_places=2)
    status = models.CharField(
        _("status"), max_length=10, choices=OrderStatus.choices, default=OrderStatus.PENDING
    )
    provider = models.CharField(_("payment provider"), max_length=16, default="manual")
    provider_ref = models.CharField(max_length=255, blank=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The staff member who confirmed a manual payment."),
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        indexes = [models.Index(fields=["account", "-created_at"], name="order_account_recent")]

    def __str__(self) -> str:
        return self.description


class InvoiceCounter(models.Model):
    """The last invoice number of a year; locked while a number is taken (no gaps)."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class Invoice(models.Model):
    """A numbered invoice, one per order. Numbers run without gaps within a year.

    Seller and customer details are copied at issue time: an invoice never changes
    when the account's or the platform's details do.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    order = models.OneToOneField(Order, on_delete=models.PROTECT, related_name="invoice")
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.PROTECT, related_name="invoices"
    )
    year = models.PositiveSmallIntegerField()
    sequence = models.PositiveIntegerField()
    number = models.CharField(_("number"), max_length=20, unique=True)
    issued_at = models.DateTimeField()
    seller = models.JSONField()
    customer = models.JSONField()

    class Meta:
        ordering = ["-year", "-sequence"]
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        constraints = [
            models.UniqueConstraint(fields=["year", "sequence"], name="invoice_number_per_year")
        ]

    def __str__(self) -> str:
        return self.number


class ProcessedEvent(models.Model):
    """A payment provider's webhook event already handled (replays are no-ops)."""

    provider = models.CharField(max_length=16)
    event_id = models.CharField(max_length=255)
    event_type = models.CharField(max_length=100)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="processed_event_once")
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.event_id}"
