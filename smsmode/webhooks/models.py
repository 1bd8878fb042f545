"""Webhooks: an account's default URLs and signing secret, and the outbox of events.

A `WebhookDelivery` is one event on its way to one URL. It is written in the same
transaction as the change it reports (an outbox: the event is never lost, and never
sent for a change that rolled back), then delivered by an RQ job, retried with
backoff for 24 hours. A resend is a new delivery of the same event (same `event_id`,
same payload bytes): receivers dedupe on the event id.
"""

from __future__ import annotations

import secrets
import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    """256 random bits, URL-safe, with a prefix that tells what it is when it leaks."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


class WebhookSettings(models.Model):
    """An account's default webhook URLs and the secret that signs every request.
    Created on first use (the screen, or the first delivery of the account)."""

    account = models.OneToOneField(
        "accounts.Account", on_delete=models.CASCADE, related_name="webhook_settings"
    )
    status_url = models.CharField(
        _("default status URL"),
        max_length=2048,
        blank=True,
        help_text=_("Receives the status changes of messages sent without callbackUrlStatus."),
    )
    mo_url = models.CharField(
        _("default reply URL"),
        max_length=2048,
        blank=True,
        help_text=_("Receives the replies (MO) to messages sent without callbackUrlMo."),
    )
    secret = models.CharField(max_length=80, default=new_secret, editable=False)
    secret_rotated_at = models.DateTimeField(null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("webhook settings")
        verbose_name_plural = _("webhook settings")

    def __str__(self) -> str:
        return f"webhooks of account {self.account_id}"

    @property
    def masked_secret(self) -> str:
        return f"{SECRET_PREFIX}{'•' * 12}{self.secret[-4:]}"


class WebhookDelivery(models.Model):
    """One event sent (or to send) to one URL. Claimed by a conditional update before
    each attempt, so two workers never make the same attempt."""

    class Kind(models.TextChoices):
        STATUS = "status", "message.status"
        MO = "mo", "message.inbound"

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    class UrlSource(models.TextChoices):
        MESSAGE = "message", _("the message's callback URL")
        SETTINGS = "settings", _("the account's default URL")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    account = models.ForeignKey(
        "accounts.Account",
        on_delete=models.CASCADE,
        related_name="webhook_deliveries",
        db_index=False,  # the "recent" index starts with the account
    )
    event_id = models.UUIDField(_("event ID"), default=uuid.uuid4, editable=False)
    kind = models.CharField(_("event type"), max_length=6, choices=Kind.choices)
    message = models.ForeignKey(
        "campaigns.Message",
        on_delete=models.SET_NULL,
        related_name="webhook_deliveries",
        null=True,
        blank=True,
    )
    # A resend is a new delivery of an event already recorded (same event id).
    is_resend = models.BooleanField(_("resend"), default=False)
    url = models.CharField(_("URL"), max_length=2048)
    url_source = models.CharField(max_length=8, choices=UrlSource.choices)
    # The exact body sent (and signed): a resend sends the same bytes.
    payload = models.TextField(_("payload"))
    state = models.CharField(_("state"), max_length=9, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(
        _("last HTTP status"), null=True, blank=True
    )
    last_error = models.CharField(_("last error"), max_length=40, blank=True)
    # The attempts, oldest first: [{"at", "statusCode", "error", "ms"}], the last 50.
    attempt_log = models.JSONField(default=list, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [
            # The screen's list, newest first (keyset).
            models.Index(fields=["account", "-created_at", "-id"], name="webhook_recent"),
            # The safety net's scan of pending deliveries that are due.
            models.Index(
                fields=["next_attempt_at"],
                name="webhook_due",
                condition=models.Q(state="pending"),
            ),
        ]
        constraints = [
            # One first delivery per event; resends share its event id.
            models.UniqueConstraint(
                fields=["event_id"],
                name="webhook_event_unique",
                condition=models.Q(is_resend=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.event_id} ({self.state})"
