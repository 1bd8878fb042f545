"""Plans (data, edited in admin) and the append-only credit ledger."""

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
