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
    # No index of its own: every index of the table starts with the account, and each
    # one more costs every row of a million-row import.
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="contacts", db_index=False
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
            # The email search uses the UPPER(email) prefix index (migration 0002).
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
    # Indexed by the unique (contact_list, contact) constraint, which starts with it.
    contact_list = models.ForeignKey(
        ContactList, on_delete=models.CASCADE, related_name="memberships", db_index=False
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


def _import_upload_to(instance: "ContactImport", filename: str) -> str:
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "csv"
    return f"imports/{instance.public_id}.{suffix}"


class ContactImport(models.Model):
    """One upload of a contact file, from the mapping step to its report.

    The job (`contacts.importing.service.import_run`) reads the file into a staging
    table and merges it in one transaction that also records the figures and the
    rejected rows: either the whole import is applied or nothing is, so a dead worker
    is recovered by running it again (`attempts`, `heartbeat_at`).
    """

    class Status(models.TextChoices):
        MAPPING = "mapping", _("Waiting for the column mapping")
        QUEUED = "queued", _("Waiting to start")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Finished")
        FAILED = "failed", _("Failed")

    class OnExisting(models.TextChoices):
        UPDATE = "update", _("Update them with the values of the file")
        SKIP = "skip", _("Leave them as they are")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="imports"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    file = models.FileField(upload_to=_import_upload_to, max_length=200, blank=True)
    filename = models.CharField(_("file"), max_length=255)
    size = models.PositiveBigIntegerField(default=0)
    encoding = models.CharField(max_length=20, blank=True)  # empty for a workbook
    delimiter = models.CharField(max_length=1, blank=True)  # empty for a workbook
    header_line = models.PositiveIntegerField(default=1)
    headers = models.JSONField(default=list)
    rows_estimate = models.PositiveIntegerField(null=True, blank=True)
    # Column index (as text) -> "phone", "first_name", "last_name", "email", "custom:<key>".
    mapping = models.JSONField(default=dict, blank=True)
    target_list = models.ForeignKey(
        ContactList, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    on_existing = models.CharField(
        max_length=8, choices=OnExisting.choices, default=OnExisting.UPDATE
    )
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.MAPPING
    )
    rows_read = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    skipped_in_file = models.PositiveIntegerField(default=0)
    skipped_existing = models.PositiveIntegerField(default=0)
    opted_out = models.PositiveIntegerField(default=0)
    invalid = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("contact import")
        verbose_name_plural = _("contact imports")
        indexes = [
            models.Index(fields=["account", "-created_at"], name="import_recent"),
            models.Index(fields=["status", "heartbeat_at"], name="import_status"),
        ]

    def __str__(self) -> str:
        return self.filename

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def imported(self) -> int:
        """Numbers of the file now in the account through this import."""
        return self.created + self.updated + self.skipped_existing

    @property
    def percent(self) -> int | None:
        """Progress of the reading phase, 0-100; None when the size is unknown."""
        if self.status == self.Status.DONE:
            return 100
        if not self.rows_estimate:
            return None
        return min(99, int(self.rows_read * 100 / self.rows_estimate))


class ImportRejectedRow(models.Model):
    """A row of an import that was not applied: invalid, or a number already seen
    higher up in the same file. `cells` are the row as read, for the error report."""

    class Reason(models.TextChoices):
        PHONE = "phone", _("Invalid mobile number")
        NO_PHONE = "no_phone", _("No mobile number")
        DUPLICATE = "duplicate", _("Same number as a line above")
        EMAIL = "email", _("Invalid email")
        TOO_LONG = "too_long", _("Value too long")
        NUMBER = "number", _("Not a number")
        DATE = "date", _("Not a date")

    contact_import = models.ForeignKey(  # indexed by import_rejected_line
        ContactImport, on_delete=models.CASCADE, related_name="rejected_rows", db_index=False
    )
    line = models.PositiveIntegerField()
    reason = models.CharField(max_length=10, choices=Reason.choices)
    detail = models.CharField(max_length=255, blank=True)
    cells = models.JSONField(default=list)

    class Meta:
        verbose_name = _("rejected import row")
        verbose_name_plural = _("rejected import rows")
        indexes = [models.Index(fields=["contact_import", "line"], name="import_rejected_line")]

    def __str__(self) -> str:
        return f"{self.contact_import_id}:{self.line}"
