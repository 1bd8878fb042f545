"""The editor's forms: a new page, the page's settings, and one small form per block type.

Block forms only shape what the user typed into a block's data; `landingpages.blocks`
remains the judge (the services validate every write), so a constraint here is for a
friendlier message next to the field, never the only check.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from django import forms
from django.core.validators import MinLengthValidator
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from landingpages.blocks import MAX_TEXT
from landingpages.models import LandingPage, Palette, slug_taken
from landingpages.services import SLUG_MIN
from landingpages.starters import STARTERS

# Block types in the order of the "Add a block" menu: (type, label, Bootstrap icon).
BLOCK_MENU = [
    ("heading", _("Heading"), "type-h1"),
    ("text", _("Text"), "text-paragraph"),
    ("image", _("Image"), "image"),
    ("button", _("Button"), "hand-index"),
    ("coupon", _("Coupon code"), "ticket-perforated"),
    ("countdown", _("Countdown or date"), "hourglass-split"),
    ("map", _("Map / address"), "geo-alt"),
    ("video", _("Video link"), "play-btn"),
    ("form", _("Form"), "ui-checks"),
]
BLOCK_LABELS = {kind: label for kind, label, _icon in BLOCK_MENU}
BLOCK_ICONS = {kind: icon for kind, _label, icon in BLOCK_MENU}

IMAGE_ACCEPT = "image/jpeg,image/png,image/webp,image/gif"
IMAGE_HELP = _("JPEG, PNG, WebP or GIF, 5 MB at most. Resized to 1200 pixels wide.")


def _image_input() -> forms.ClearableFileInput:
    return forms.FileInput(attrs={"accept": IMAGE_ACCEPT})


# ------------------------------------------------------------------------ pages


class PageCreateForm(forms.Form):
    title = forms.CharField(
        label=_("Title"),
        max_length=120,
        help_text=_("For you and for the browser tab; visitors see it as the page's name."),
    )
    template = forms.ChoiceField(
        label=_("Start from"),
        choices=[("", _("A blank page"))]
        + [(name, info["label"]) for name, info in STARTERS.items()],
        required=False,
        widget=forms.RadioSelect,
    )


class PageSettingsForm(forms.ModelForm):
    logo_file = forms.FileField(
        label=_("Image file"), required=False, help_text=IMAGE_HELP, widget=_image_input()
    )
    remove_logo = forms.BooleanField(label=_("Remove the logo"), required=False)

    class Meta:
        model = LandingPage
        fields = ["title", "slug", "palette", "indexable"]
        widgets = {"palette": forms.RadioSelect}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        slug = self.fields["slug"]
        slug.validators.append(MinLengthValidator(SLUG_MIN))
        slug.help_text = _("The end of the page's address: lower-case letters, digits and hyphens.")
        if self.instance.is_published:
            slug.help_text += " " + _(
                "The page is published: links already sent stop working if you change it."
            )
        self.fields["palette"].choices = Palette.choices

    def clean_slug(self) -> str:
        slug = self.cleaned_data["slug"].lower()
        if slug_taken(slug, account_id=self.instance.account_id, page_id=self.instance.pk):
            raise forms.ValidationError(_("This address is already taken: choose another one."))
        return slug


class ImageAddForm(forms.Form):
    file = forms.FileField(label=_("Image"), help_text=IMAGE_HELP, widget=_image_input())
    alt = forms.CharField(
        label=_("Description"),
        max_length=200,
        required=False,
        help_text=_("Read aloud to visitors who cannot see the image."),
    )


# ------------------------------------------------------------------------ blocks


class BlockForm(forms.Form):
    """One block's form: initial values from its data, `to_data()` back."""

    block_type = ""

    def __init__(self, *args: Any, block: dict | None = None, **kwargs: Any) -> None:
        self.block = block
        if block is not None:
            kwargs.setdefault("auto_id", f"b{block['id']}-%s")
            kwargs.setdefault("initial", self.initial_from(block["data"]))
        super().__init__(*args, **kwargs)

    def initial_from(self, data: dict) -> dict:
        return dict(data)

    def to_data(self) -> dict:
        return dict(self.cleaned_data)


class HeadingForm(BlockForm):
    block_type = "heading"
    text = forms.CharField(label=_("Heading"), max_length=120)
    level = forms.TypedChoiceField(
        label=_("Size"), choices=[(1, _("Large")), (2, _("Medium"))], coerce=int
    )


_BLOCK_TAG = re.compile(r"<\s*(p|ul|ol|li|br)\b", re.IGNORECASE)


class TextForm(BlockForm):
    block_type = "text"
    html = forms.CharField(
        label=_("Text"),
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 6, "data-rich-text": ""}),
        help_text=_(
            "Bold, italic, links and lists (the buttons above, or the tags <strong>, <em>, "
            "<a href>, <ul>, <ol>, <li>, <p>, <br>). Anything else is removed."
        ),
    )

    def clean_html(self) -> str:
        """Plain text with line breaks becomes paragraphs, so that it reads as typed."""
        text = self.cleaned_data["html"].replace("\r\n", "\n").strip()
        if "\n" in text and not _BLOCK_TAG.search(text):
            paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
            text = "".join(f"<p>{p.replace(chr(10), '<br>')}</p>" for p in paragraphs)
        return text


class ImageForm(BlockForm):
    block_type = "image"
    file = forms.FileField(
        label=_("Replace the image"), required=False, help_text=IMAGE_HELP, widget=_image_input()
    )
    alt = forms.CharField(
        label=_("Description"),
        max_length=200,
        required=False,
        help_text=_("Read aloud to visitors who cannot see the image."),
    )

    def initial_from(self, data: dict) -> dict:
        return {"alt": data.get("alt", "")}

    def to_data(self) -> dict:
        # The image is kept unless the view uploaded a new one (it sets `image`).
        image = self.block["data"]["image"] if self.block else ""
        return {"image": image, "alt": self.cleaned_data["alt"]}


class ButtonForm(BlockForm):
    block_type = "button"
    label = forms.CharField(label=_("Label"), max_length=60)
    action = forms.ChoiceField(
        label=_("Action"),
        choices=[
            ("link", _("Open a web page")),
            ("call", _("Call a number")),
            ("sms", _("Send an SMS")),
            ("directions", _("Get directions")),
        ],
    )
    target = forms.CharField(
        label=_("Address or number"),
        max_length=500,
        help_text=_(
            "A web address (https://…) to open, a phone number to call or text, or a postal "
            "address for directions."
        ),
    )


class CouponForm(BlockForm):
    block_type = "coupon"
    code = forms.CharField(label=_("Code"), max_length=40)
    note = forms.CharField(
        label=_("Conditions"),
        max_length=200,
        required=False,
        help_text=_("Optional, e.g. “Valid until Sunday, one use per customer”."),
    )
    barcode = forms.ChoiceField(
        label=_("Show"),
        choices=[("none", _("The code only")), ("qr", _("The code and its QR code"))],
    )


class CountdownForm(BlockForm):
    block_type = "countdown"
    until = forms.DateTimeField(
        label=_("Date and time"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        help_text=_("In the account's time zone. Before it: a countdown; after it: the date."),
    )
    label = forms.CharField(label=_("Label"), max_length=80, required=False)

    def initial_from(self, data: dict) -> dict:
        until = data.get("until")
        if isinstance(until, str):
            try:
                until = datetime.datetime.fromisoformat(until)
            except ValueError:
                until = None
        if isinstance(until, datetime.datetime) and timezone.is_aware(until):
            until = timezone.localtime(until)
        return {"until": until, "label": data.get("label", "")}

    def to_data(self) -> dict:
        return {
            "until": self.cleaned_data["until"].isoformat(),
            "label": self.cleaned_data["label"],
        }


class MapForm(BlockForm):
    block_type = "map"
    address = forms.CharField(
        label=_("Address"),
        min_length=3,
        max_length=300,
        help_text=_("Visitors open it in their maps app."),
    )


class VideoForm(BlockForm):
    block_type = "video"
    url = forms.CharField(
        label=_("Video address"),
        max_length=500,
        help_text=_("A link to the video (YouTube, Vimeo …): it opens on the video's site."),
    )
    title = forms.CharField(label=_("Title"), max_length=120, required=False)


MAX_QUESTIONS = 10
_RESERVED_KEYS = {"name", "phone", "email", "consent"}


def _question_key(label: str, taken: set[str]) -> str:
    base = slugify(label).replace("-", "_")[:24].strip("_")
    if not base or not base[0].isalpha():
        base = f"q_{base}".strip("_")
    if base in _RESERVED_KEYS:
        base = f"{base}_q"
    key, n = base, 2
    while key in taken:
        key, n = f"{base}_{n}", n + 1
    return key


class FormBlockForm(BlockForm):
    block_type = "form"
    title = forms.CharField(label=_("Title"), max_length=120, required=False)
    ask_name = forms.BooleanField(label=_("Ask for the name"), required=False)
    ask_phone = forms.BooleanField(label=_("Ask for the mobile number"), required=False)
    ask_email = forms.BooleanField(label=_("Ask for the email address"), required=False)
    consent_text = forms.CharField(
        label=_("Consent checkbox"),
        max_length=300,
        help_text=_("Shown next to a checkbox that visitors tick themselves (never pre-ticked)."),
    )
    submit_label = forms.CharField(label=_("Button"), max_length=40)
    thanks = forms.CharField(label=_("Thank-you message"), max_length=200)

    def __init__(self, *args: Any, block: dict | None = None, **kwargs: Any) -> None:
        super().__init__(*args, block=block, **kwargs)
        existing = (block or {}).get("data", {}).get("questions", []) if block else []
        rows = min(MAX_QUESTIONS, len(existing) + 2)
        self.question_rows = []
        for i in range(rows):
            question = existing[i] if i < len(existing) else {}
            self.fields[f"q{i}_label"] = forms.CharField(
                label=_("Question %(n)s") % {"n": i + 1},
                max_length=120,
                required=False,
                initial=question.get("label", ""),
            )
            self.fields[f"q{i}_required"] = forms.BooleanField(
                label=_("Required"), required=False, initial=question.get("required", False)
            )
            self.fields[f"q{i}_key"] = forms.CharField(
                required=False, widget=forms.HiddenInput, initial=question.get("key", "")
            )
            self.question_rows.append(
                (self[f"q{i}_label"], self[f"q{i}_required"], self[f"q{i}_key"])
            )

    def to_data(self) -> dict:
        data = {
            name: self.cleaned_data[name]
            for name in (
                "title",
                "ask_name",
                "ask_phone",
                "ask_email",
                "consent_text",
                "submit_label",
                "thanks",
            )
        }
        questions, taken = [], set()
        for i in range(len(self.question_rows)):
            label = self.cleaned_data.get(f"q{i}_label", "").strip()
            if not label:
                continue
            key = self.cleaned_data.get(f"q{i}_key", "")
            if not re.fullmatch(r"[a-z][a-z0-9_]{0,29}", key) or key in taken:
                key = _question_key(label, taken)
            taken.add(key)
            required = self.cleaned_data.get(f"q{i}_required", False)
            questions.append({"key": key, "label": label, "required": required})
        data["questions"] = questions
        return data


BLOCK_FORMS: dict[str, type[BlockForm]] = {
    form.block_type: form
    for form in (
        HeadingForm,
        TextForm,
        ImageForm,
        ButtonForm,
        CouponForm,
        CountdownForm,
        MapForm,
        VideoForm,
        FormBlockForm,
    )
}


def block_form(block: dict, data: Any = None, files: Any = None) -> BlockForm:
    return BLOCK_FORMS[block["type"]](data, files, block=block)
