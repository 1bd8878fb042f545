"""Short links and their clicks."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ShortLink(models.Model):
    """A code that redirects to an account's URL until it expires.

    The counters are maintained by `shortener.clicks.clicks_flush` from the click
    events the redirect appends to Redis: the redirect never updates this row.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="short_links", db_index=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    code = models.CharField(max_length=16, unique=True)
    target_url = models.CharField(_("URL"), max_length=2048)
    name = models.CharField(_("name"), max_length=100, blank=True)
    expires_at = models.DateTimeField(_("expires"))
    # Per-recipient links (of a campaign's messages, or of API messages) stay out of
    # the tab's default list.
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # the (campaign, message) index serves it
    )
    # The message a per-recipient link was made for: a click tells who clicked.
    message = models.ForeignKey(
        "campaigns.Message",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="short_links",
        db_index=False,
    )
    clicks = models.PositiveIntegerField(_("clicks"), default=0)
    unique_clicks = models.PositiveIntegerField(default=0)
    bot_clicks = models.PositiveIntegerField(default=0)
    last_click_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("short link")
        verbose_name_plural = _("short links")
        indexes = [
            # The tab lists the account's own links, and on demand the per-recipient
            # links (of campaigns and API messages): a partial index each, so a
            # million campaign links never slow the tab.
            models.Index(
                fields=["account", "-created_at", "-id"],
                name="shortlink_recent",
                condition=models.Q(message__isnull=True),
            ),
            models.Index(
                fields=["account", "-created_at", "-id"],
                name="shortlink_recent_campaign",
                condition=models.Q(message__isnull=False),
            ),
            models.Index(fields=["campaign", "message"], name="shortlink_campaign"),
        ]

    def __str__(self) -> str:
        return self.code


class Click(models.Model):
    """One visit of a short link. No IP address is stored: `visitor` is a keyed hash of
    the address and the user agent, enough to tell unique clicks apart."""

    event_id = models.UUIDField(unique=True)
    link = models.ForeignKey(ShortLink, on_delete=models.CASCADE, related_name="click_events")
    at = models.DateTimeField()
    is_bot = models.BooleanField(default=False)
    is_unique = models.BooleanField(default=False)
    visitor = models.CharField(max_length=32)
    user_agent = models.CharField(max_length=300, blank=True)
    referrer = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = _("click")
        verbose_name_plural = _("clicks")
        indexes = [
            models.Index(fields=["link", "at"], name="click_link_at"),
            models.Index(fields=["link", "visitor"], name="click_link_visitor"),
        ]

    def __str__(self) -> str:
        return f"{self.link_id} at {self.at}"
