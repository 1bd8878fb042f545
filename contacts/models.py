"""Contacts, lists, custom fields and the opt-out (STOP) list of an account."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class CustomField(models.Model):
    class Type(models.TextChoices):
        TEXT = "text", _("Text")
        NUMBER = "number", pgettext_lazy("custom field type", "Number")
        DATE = "date", _("Date")

    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="custom_fields"
    )
    key = models.SlugField(
        _("key"), max_length=40, help_text=_("Used as {key} in messages, e.g. {city}.")
    )
    label = models.CharField(_("label"), max_length=80)
    type = models.CharField(_("type"), max_length=8, choices=Type.choices, default=Type.TEXT)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["label"]
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")
        constraints = [
            models.UniqueConstraint(fields=["account", "key"], name="custom_field_unique_key")
        ]

    def __str__(self) -> str:
        return self.label


class ContactList(models.Model):
    """A named list of contacts. Deleting a list never deletes its contacts.

    `contact_count` is kept by the services that add and remove members, so list
    pages never count a million rows.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="lists")
    name = models.CharField(_("name"), max_length=100)
    description = models.CharField(_("description"), max_length=255, blank=True)
    contact_count = models.PositiveIntegerField(_("contacts"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("list")
        verbose_name_plural = _("lists")
        constraints = [
            models.UniqueConstraint(fields=["account", "name"], name="contact_list_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class Contact(models.Model):
    class Source(models.TextChoices):
        MANUAL = "manual", _("Added by hand")
        IMPORT = "import", _("Import")
        API = "api", _("API")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="contacts"
    )
    phone = models.CharField(_("mobile number"), max_length=16)  # E.164
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    email = models.EmailField(_("email"), blank=True)
    custom = models.JSONField(_("custom fields"), default=dict, blank=True)
    lists = models.ManyToManyField(
        ContactList, through="Membership", related_name="contacts", blank=True
    )
    source = models.CharField(
        _("source"), max_length=8, choices=Source.choices, default=Source.MANUAL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        constraints = [
            models.UniqueConstraint(fields=["account", "phone"], name="contact_unique_phone")
        ]
        indexes = [
            # Newest first, keyset-paginated: (created_at, id) per account.
            models.Index(fields=["account", "-created_at", "-id"], name="contact_recent"),
            models.Index(fields=["account", "last_name", "first_name"], name="contact_name"),
            models.Index(fields=["account", "email"], name="contact_email"),
            # A STOP reply names only the number: find the accounts that know it.
            models.Index(fields=["phone"], name="contact_phone"),
        ]

    def __str__(self) -> str:
        return self.phone

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class Membership(models.Model):
    """A contact in a list."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="memberships")
    contact_list = models.ForeignKey(
        ContactList, on_delete=models.CASCADE, related_name="memberships"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("list membership")
        verbose_name_plural = _("list memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["contact_list", "contact"], name="contact_list_membership_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.contact_id} in {self.contact_list_id}"


class OptOut(models.Model):
    """A number that must not receive marketing SMS from this account.

    Independent of contacts: deleting a contact keeps its opt-out, and re-importing
    the number does not opt it back in. Removing one is recorded (`removed_*`) rather
    than deleted, so there is a trace of who did it.
    """

    class Source(models.TextChoices):
        STOP = "stop", _("STOP reply")
        MANUAL = "manual", _("Added by hand")
        IMPORT = "import", _("Import")
        API = "api", _("API")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="optouts"
    )
    phone = models.CharField(_("mobile number"), max_length=16)
    source = models.CharField(_("source"), max_length=8, choices=Source.choices)
    created_at = models.DateTimeField(_("opted out on"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("opt-out")
        verbose_name_plural = _("opt-outs")
        constraints = [
            # One active opt-out per number; removed ones stay as history.
            models.UniqueConstraint(
                fields=["account", "phone"],
                condition=models.Q(removed_at__isnull=True),
                name="optout_active_once",
            )
        ]
        indexes = [models.Index(fields=["account", "-created_at"], name="optout_recent")]

    def __str__(self) -> str:
        return self.phone
