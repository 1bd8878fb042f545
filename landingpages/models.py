"""Landing pages ("Rich SMS"): mobile pages built from blocks, reached from an SMS
through a short link, with their visits, clicks and form submissions."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Palette(models.TextChoices):
    """The colours a page may use (a small palette: always readable)."""

    INDIGO = "indigo", _("Indigo")
    OCEAN = "ocean", _("Ocean")
    FOREST = "forest", _("Forest")
    SUNSET = "sunset", _("Sunset")
    BERRY = "berry", _("Berry")
    GRAPHITE = "graphite", _("Graphite")


class LandingPage(models.Model):
    """A page: settings and an ordered list of typed blocks, stored as validated JSON
    (`landingpages.blocks`). Public at /p/<slug> once published."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="landing_pages", db_index=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    title = models.CharField(_("title"), max_length=120)
    # Globally unique: the public address is /p/<slug>.
    slug = models.SlugField(_("address"), max_length=60, unique=True)
    palette = models.CharField(
        _("colours"), max_length=12, choices=Palette.choices, default=Palette.INDIGO
    )
    logo = models.ForeignKey(
        "landingpages.PageImage",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("logo"),
    )
    indexable = models.BooleanField(
        _("let search engines index this page"),
        default=False,
        help_text=_("Off by default: pages reached from an SMS are usually private offers."),
    )
    blocks = models.JSONField(default=list, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("landing page")
        verbose_name_plural = _("landing pages")
        indexes = [models.Index(fields=["account", "-created_at", "-id"], name="page_recent")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED


def _image_path(instance: "PageImage", filename: str) -> str:
    return f"landing/{instance.account_id}/{instance.public_id}.{instance.format}"


class PageImage(models.Model):
    """An uploaded image, checked, resized and re-encoded (metadata stripped)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="page_images"
    )
    file = models.FileField(upload_to=_image_path, max_length=200)
    format = models.CharField(max_length=4)  # jpg, png, webp, gif
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size = models.PositiveIntegerField()  # bytes, after re-encoding
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("page image")
        verbose_name_plural = _("page images")

    def __str__(self) -> str:
        return f"{self.public_id}.{self.format}"


class PageEvent(models.Model):
    """A view of a page, or a click on one of its buttons (a block id). `visitor` is a
    keyed hash (no IP stored); `message` when reached through a per-recipient link."""

    class Kind(models.TextChoices):
        VIEW = "view", _("View")
        CLICK = "click", _("Click")
        SUBMIT = "submit", _("Form submission")

    page = models.ForeignKey(LandingPage, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=6, choices=Kind.choices)
    block_id = models.CharField(max_length=16, blank=True)
    visitor = models.CharField(max_length=32)
    is_unique = models.BooleanField(default=False)  # the visitor's first view of the page
    is_bot = models.BooleanField(default=False)
    message = models.ForeignKey(
        "campaigns.Message",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("page event")
        verbose_name_plural = _("page events")
        indexes = [
            models.Index(fields=["page", "kind", "block_id"], name="pageevent_page_kind"),
            models.Index(fields=["page", "visitor"], name="pageevent_page_visitor"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} of {self.page_id}"


class FormSubmission(models.Model):
    """What someone sent through a page's form."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    page = models.ForeignKey(LandingPage, on_delete=models.CASCADE, related_name="submissions")
    block_id = models.CharField(max_length=16)
    data = models.JSONField(default=dict)  # field key -> value, as typed
    consent = models.BooleanField(default=False)
    message = models.ForeignKey(
        "campaigns.Message",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    visitor = models.CharField(max_length=32)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("form submission")
        verbose_name_plural = _("form submissions")
        indexes = [models.Index(fields=["page", "-created_at", "-id"], name="submission_recent")]

    def __str__(self) -> str:
        return f"{self.page_id} at {self.created_at}"


class RetiredSlug(models.Model):
    """The address of a page that was published, then deleted or given another address:
    kept so that no other account can take it over (and receive the visitors of the
    SMS already sent). It answers "no longer available"; its own account may reuse it."""

    slug = models.SlugField(max_length=60, unique=True)
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    retired_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("retired page address")
        verbose_name_plural = _("retired page addresses")

    def __str__(self) -> str:
        return self.slug


def slug_taken(slug: str, *, account_id: int, page_id: int | None = None) -> bool:
    """Another page has this address, or another account's retired page had it."""
    pages = LandingPage.objects.filter(slug=slug)
    if page_id is not None:
        pages = pages.exclude(pk=page_id)
    retired = RetiredSlug.objects.filter(slug=slug).exclude(account_id=account_id)
    return pages.exists() or retired.exists()
