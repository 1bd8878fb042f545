"""Campaigns, the messages they (and test sends) create, delivery reports waiting for
their message, and the replies people send back."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Kind(models.TextChoices):
    MARKETING = "marketing", _("Marketing")
    NOTIFICATION = "notification", _("Notification")


class Campaign(models.Model):
    """A message to many recipients.

    draft → scheduled (a start time, now included) → sending (launched: its messages
    exist and their credits are reserved) → sent (nothing left to submit), or
    cancelled. The launch is one transaction: a campaign is either still scheduled
    or sending with all its messages.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        SENDING = "sending", _("Sending")
        SENT = "sent", pgettext_lazy("campaign status", "Sent")
        CANCELLED = "cancelled", _("Cancelled")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="campaigns", db_index=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.MARKETING)
    sender_id = models.CharField(_("sender ID"), max_length=15, blank=True)
    body = models.TextField(_("message"), blank=True)
    lists = models.ManyToManyField("contacts.ContactList", related_name="+", blank=True)
    numbers = models.TextField(_("other numbers"), blank=True)  # pasted, one per line
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    scheduled_at = models.DateTimeField(_("scheduled for"), null=True, blank=True)
    launched_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # Why the last launch did not happen (e.g. "credits:12.50" missing), shown to the user.
    launch_error = models.CharField(max_length=255, blank=True)
    # Figures of the launch.
    recipients = models.PositiveIntegerField(default=0)
    excluded_opted_out = models.PositiveIntegerField(default=0)
    excluded_duplicate = models.PositiveIntegerField(default=0)
    excluded_invalid = models.PositiveIntegerField(default=0)
    segments = models.PositiveIntegerField(default=0)
    credits_reserved = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    credits_refunded = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    # Click tracking: the per-recipient short links made at launch, the clicks on them
    # (people, not bots) and the recipients who clicked at least once; maintained by
    # shortener.clicks.clicks_flush.
    tracked_links = models.PositiveIntegerField(default=0)
    clicks = models.PositiveIntegerField(default=0)
    clickers = models.PositiveIntegerField(default=0)
    dispatch_heartbeat = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        indexes = [
            models.Index(fields=["account", "-created_at"], name="campaign_recent"),
            models.Index(fields=["status", "scheduled_at"], name="campaign_due"),
        ]

    def __str__(self) -> str:
        return self.name


class ApiFlow(models.TextChoices):
    """The `channel.flow` of a message sent through the API (smsmode's names)."""

    MARKETING = "MARKETING", "MARKETING"
    TRANSACTIONAL = "TRANSACTIONAL", "TRANSACTIONAL"
    OTP = "OTP", "OTP"


class Message(models.Model):
    """One SMS to one number: of a campaign, a test send, or the API (no campaign).

    A message is submitted at most once: dispatch claims it (queued → submitting) with
    a conditional update, and one left in submitting by a dead worker becomes unknown,
    never queued again.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        HELD = "held", _("Held until the sending window opens")
        SUBMITTING = "submitting", _("Submitting")
        SUBMITTED = "submitted", _("Sent, awaiting delivery")
        DELIVERED = "delivered", _("Delivered")
        UNDELIVERED = "undelivered", _("Not delivered")
        EXPIRED = "expired", _("Expired")
        REJECTED = "rejected", _("Rejected by the carrier")
        FAILED = "failed", _("Failed")
        UNKNOWN = "unknown", _("Unknown")
        CANCELLED = "cancelled", pgettext_lazy("message status", "Cancelled")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="messages", db_index=False
    )
    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.CASCADE,
        related_name="messages",
        null=True,
        blank=True,
        db_index=False,
    )
    contact = models.ForeignKey(
        "contacts.Contact",
        on_delete=models.SET_NULL,
        related_name="messages",
        null=True,
        blank=True,
        db_index=False,
    )
    is_test = models.BooleanField(default=False)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    phone = models.CharField(_("mobile number"), max_length=16)
    # The carrier the number's range belongs to (statistics; "" when unknown).
    operator = models.CharField(_("operator"), max_length=40, blank=True, default="", db_default="")
    sender = models.CharField(max_length=15)
    body = models.TextField()
    encoding = models.CharField(max_length=4)  # GSM7 or UCS2
    segments = models.PositiveSmallIntegerField()
    cost = models.DecimalField(max_digits=10, decimal_places=2)
    status = models.CharField(_("status"), max_length=11, choices=Status.choices)
    provider_id = models.CharField(max_length=80, blank=True)
    error_code = models.CharField(max_length=40, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    not_before = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    final_at = models.DateTimeField(null=True, blank=True)
    # The first click (by a person) on one of the message's short links.
    clicked_at = models.DateTimeField(_("clicked"), null=True, blank=True)
    # Sent through the API: its flow, the client's reference and callback URLs.
    # (Database defaults: the launch COPYs messages without these columns.)
    api_flow = models.CharField(
        max_length=13, choices=ApiFlow.choices, blank=True, default="", db_default=""
    )
    ref_client = models.CharField(max_length=255, blank=True, default="", db_default="")
    callback_url_status = models.CharField(max_length=2048, blank=True, default="", db_default="")
    callback_url_mo = models.CharField(max_length=2048, blank=True, default="", db_default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        indexes = [
            # The messages log, newest first (keyset).
            models.Index(fields=["account", "-created_at", "-id"], name="message_recent"),
            # A contact's messages, and the log filtered by number.
            models.Index(fields=["account", "phone", "-created_at"], name="message_phone"),
            # A reply names only the number: find who last wrote to it, any account.
            models.Index(fields=["phone", "-created_at"], name="message_reply_lookup"),
            # The campaign report's figures, and the claim of queued messages.
            models.Index(fields=["campaign", "status"], name="message_campaign_status"),
            # Delivery reports find their message by the carrier's id.
            models.Index(
                fields=["provider_id"],
                name="message_provider_id",
                condition=~models.Q(provider_id=""),
            ),
            # The report's "who clicked", newest first: only clicked messages are in it.
            models.Index(
                fields=["campaign", "-clicked_at"],
                name="message_clicked",
                condition=models.Q(clicked_at__isnull=False),
            ),
            # The API's list of its messages, newest first (only messages of no campaign).
            models.Index(
                fields=["account", "-created_at", "-id"],
                name="message_api_recent",
                condition=models.Q(campaign__isnull=True),
            ),
            # The API's queue: messages of no campaign waiting to go (sentDate, window).
            models.Index(
                fields=["status", "not_before"],
                name="message_api_queue",
                condition=models.Q(campaign__isnull=True, status__in=["queued", "held"]),
            ),
            # The sweep of messages left in submitting by a dead worker.
            models.Index(
                fields=["claimed_at"],
                name="message_submitting",
                condition=models.Q(status="submitting"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.phone} ({self.status})"


FINAL_STATES = (
    Message.Status.DELIVERED,
    Message.Status.UNDELIVERED,
    Message.Status.EXPIRED,
    Message.Status.REJECTED,
    Message.Status.FAILED,
    Message.Status.UNKNOWN,
    Message.Status.CANCELLED,
)
# Not taken by the carrier, or refused by it: the credits come back.
REFUNDED_STATES = (Message.Status.FAILED, Message.Status.REJECTED, Message.Status.CANCELLED)


class PendingReport(models.Model):
    """A delivery report whose message is not known (yet): it arrived before the
    dispatch job stored the provider id. Matched when the id is stored, never dropped."""

    provider_id = models.CharField(max_length=80, unique=True)
    state = models.CharField(max_length=11)
    error_code = models.CharField(max_length=40, blank=True)
    at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("pending delivery report")
        verbose_name_plural = _("pending delivery reports")

    def __str__(self) -> str:
        return f"{self.provider_id}: {self.state}"


class Reply(models.Model):
    """An SMS someone sent back (MO), tied to the account and campaign that last wrote
    to that number."""

    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="replies", db_index=False
    )
    campaign = models.ForeignKey(
        Campaign, on_delete=models.SET_NULL, related_name="replies", null=True, blank=True
    )
    phone = models.CharField(_("mobile number"), max_length=16)
    text = models.TextField(_("text"))
    is_stop = models.BooleanField(_("STOP request"), default=False)
    provider_id = models.CharField(max_length=80, blank=True)
    received_at = models.DateTimeField(_("received"))

    class Meta:
        verbose_name = _("reply")
        verbose_name_plural = _("replies")
        indexes = [models.Index(fields=["account", "-received_at", "-id"], name="reply_recent")]

    def __str__(self) -> str:
        return f"{self.phone}: {self.text[:30]}"
