"""The public rendering of a page: what a visitor sees at /p/<slug>, and what the
editor's preview frame shows (`preview=True`: the same page, nothing recorded, drafts
too).

Stored blocks are validated on save (`landingpages.blocks`), but rendering trusts none
of it: every block is read defensively (a block that does not make sense is left out),
rich text is sanitised again after the merge fields are filled, plain text is escaped
by the templates, link targets are checked again, and the page carries a strict
Content-Security-Policy (no inline script or style, images and forms of our own only).
"""

from __future__ import annotations

import datetime
import re
import uuid
import zoneinfo
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from django import forms
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from campaigns.rendering import parse_template
from landingpages.blocks import clean_html
from landingpages.models import LandingPage, PageImage, Palette

# Public pages are stricter than the customer area: nothing from anywhere else, no
# inline anything, forms post only to us, framed by nobody (the preview: by our own
# editor only).
PUBLIC_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'"
)
PREVIEW_POLICY = PUBLIC_POLICY.replace("frame-ancestors 'none'", "frame-ancestors 'self'")

# The blocks a visitor can click through (their click endpoint exists).
CLICKABLE = {"button", "map", "video"}
BLOCK_TEMPLATES = {
    kind: f"landingpages/public/blocks/{kind}.html"
    for kind in ("heading", "text", "image", "button", "coupon", "countdown", "map", "video")
} | {"form": "landingpages/public/blocks/form.html"}

MAPS_SEARCH = "https://www.google.com/maps/search/?api=1&query="
_DIAL = re.compile(r"[^0-9+]")
_PHONE = re.compile(r"^\+?[0-9]{3,20}$")


# ---------------------------------------------------------------- merge fields


def fill_text(text: str, values: dict | None) -> str:
    """Plain text with its merge fields filled (the template escapes it)."""
    if "{" not in text:
        return text
    return parse_template(text).render(values or {})


def fill_html(html: str, values: dict | None) -> SafeString:
    """Rich text: the merge fields filled with escaped values, then the whole sanitised
    (again: what was stored may not have gone through validation, and a value placed
    in an attribute could otherwise make a link of its own)."""
    if "{" in html:
        escaped = {key: escape(str(value)) for key, value in (values or {}).items()}
        html = parse_template(html).render(escaped)
    return mark_safe(clean_html(html))  # noqa: S308 (nh3's output is safe markup)


# ---------------------------------------------------------------- link targets


def _dial(number: object) -> str | None:
    digits = _DIAL.sub("", str(number or ""))
    return digits if _PHONE.match(digits) else None


def maps_url(address: object) -> str:
    return MAPS_SEARCH + quote(str(address or "").strip()[:300], safe="")


def block_target(block: dict) -> str | None:
    """Where a click on the block goes, rebuilt from the stored block and checked
    again; None when it does not make a safe destination (nothing is then linked)."""
    from shortener.safety import TargetUrlError, validate_target_url

    data = block.get("data")
    if not isinstance(data, dict):
        return None
    kind = block.get("type")
    if kind == "button":
        action, target = data.get("action"), data.get("target")
        if not isinstance(target, str) or not target.strip():
            return None
        if action == "link":
            try:
                return validate_target_url(target)
            except TargetUrlError:
                return None
        if action in ("call", "sms"):
            number = _dial(target)
            return f"{'tel' if action == 'call' else 'sms'}:{number}" if number else None
        if action == "directions":
            return maps_url(target)
        return None
    if kind == "map":
        address = data.get("address")
        return maps_url(address) if isinstance(address, str) and address.strip() else None
    if kind == "video":
        try:
            return validate_target_url(str(data.get("url") or ""))
        except TargetUrlError:
            return None
    return None


def find_block(page: LandingPage, block_id: str, kinds: set[str]) -> dict | None:
    for block in page.blocks if isinstance(page.blocks, list) else ():
        if (
            isinstance(block, dict)
            and block.get("id") == block_id
            and block.get("type") in kinds
            and isinstance(block.get("data"), dict)
        ):
            return block
    return None


# ---------------------------------------------------------------- the form


class PageForm(forms.Form):
    """A form block's fields: name, phone, email as the block asks (each then
    required), its questions, the consent box (never ticked beforehand, not required:
    it records permission for marketing contact, it is not the price of an answer),
    and a honeypot that people never see."""

    website = forms.CharField(required=False, max_length=200)  # the honeypot

    def __init__(self, data_: dict, *args: Any, region: str = "FR", **kwargs: Any) -> None:
        self.block = data_
        self.region = region or "FR"
        super().__init__(*args, **kwargs)
        if data_.get("ask_name"):
            self.fields["name"] = forms.CharField(
                label=_("Name"),
                max_length=100,
                widget=forms.TextInput(attrs={"autocomplete": "name"}),
            )
        if data_.get("ask_phone"):
            self.fields["phone"] = forms.CharField(
                label=_("Mobile number"),
                max_length=30,
                widget=forms.TextInput(
                    attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}
                ),
            )
        if data_.get("ask_email"):
            self.fields["email"] = forms.EmailField(
                label=_("Email"),
                max_length=254,
                widget=forms.EmailInput(attrs={"autocomplete": "email"}),
            )
        questions = data_.get("questions") if isinstance(data_.get("questions"), list) else []
        self.questions: list[tuple[str, str]] = []  # (field name, stored key)
        for question in questions[:10]:
            if not isinstance(question, dict) or not re.fullmatch(
                r"[a-z][a-z0-9_]{0,29}", str(question.get("key", ""))
            ):
                continue
            key = str(question["key"])
            name = f"q_{key}"
            if name in self.fields:
                continue
            self.fields[name] = forms.CharField(
                label=str(question.get("label") or key)[:120],
                max_length=500,
                required=bool(question.get("required")),
            )
            # The standard fields own their keys; a question named like one keeps apart.
            stored = f"question_{key}" if key in ("name", "phone", "email") else key
            self.questions.append((name, stored))
        self.fields["consent"] = forms.BooleanField(
            label=str(data_.get("consent_text") or _("I agree to be contacted."))[:300],
            required=False,
            initial=False,
        )

    def clean_phone(self) -> str:
        from smsmode.sms.numbers import PhoneNumberError, normalize_phone

        try:
            return normalize_phone(self.cleaned_data["phone"], default_region=self.region)
        except PhoneNumberError:
            raise forms.ValidationError(
                _("Enter a valid mobile number, e.g. +33 6 12 34 56 78.")
            ) from None

    @property
    def is_spam(self) -> bool:
        return bool(self.cleaned_data.get("website"))

    def submission_data(self) -> dict:
        data = {key: self.cleaned_data[key] for key in ("name", "phone", "email") if key in self}
        for name, stored in self.questions:
            data[stored] = self.cleaned_data.get(name, "")
        return data

    def __contains__(self, name: str) -> bool:
        return name in self.fields

    def answer_fields(self) -> list:
        return [self[name] for name in self.fields if name not in ("website", "consent")]


def form_for(block: dict, *, region: str = "FR", data: Any = None) -> PageForm:
    return PageForm(
        block["data"], data, region=region, auto_id=f"f{block['id']}-%s", label_suffix=""
    )


# ---------------------------------------------------------------- the page


@dataclass
class RenderedBlock:
    id: str
    type: str
    template: str
    data: dict
    extra: dict = field(default_factory=dict)


def _uuid(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        return None


def _images(page: LandingPage, blocks: list) -> dict[uuid.UUID, PageImage]:
    """The page's images, in one query, of the page's own account only."""
    wanted = {
        _uuid((block.get("data") or {}).get("image"))
        for block in blocks
        if isinstance(block, dict)
        and block.get("type") == "image"
        and isinstance(block.get("data"), dict)
    } - {None}
    if not wanted:
        return {}
    found = PageImage.objects.filter(account_id=page.account_id, public_id__in=wanted).only(
        "public_id", "width", "height", "account_id"
    )
    return {image.public_id: image for image in found}


def _countdown(data: dict, tz: datetime.tzinfo) -> dict | None:
    raw = data.get("until")
    try:
        until = datetime.datetime.fromisoformat(str(raw))
    except (TypeError, ValueError):
        return None
    if timezone.is_naive(until):
        until = until.replace(tzinfo=tz)
    left = max(int((until - timezone.now()).total_seconds()), 0)
    days, rest = divmod(left, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    return {
        "until": until.astimezone(tz),
        "iso": until.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z"),
        "ended": left == 0,
        "parts": {"days": days, "hours": hours, "minutes": minutes, "seconds": seconds},
    }


def _qr_svg(code: str) -> SafeString | None:
    import segno

    try:
        qr = segno.make(code, error="m", micro=False)
    except (ValueError, segno.DataOverflowError):
        return None
    # Paths only (segno writes no text, no script); sized by the stylesheet.
    svg = qr.svg_inline(scale=1, border=2, omitsize=True, svgclass="lp-qr-code", title=None)
    return mark_safe(svg.replace("<svg ", '<svg role="img" aria-hidden="true" ', 1))  # noqa: S308


def _with_r(url: str, token: str | None) -> str:
    return f"{url}?{urlencode({'r': token})}" if token else url


def _prepare(
    page: LandingPage,
    block: object,
    *,
    preview: bool,
    values: dict,
    token: str | None,
    images: dict,
    forms_: dict,
    sent: str,
    region: str,
    tz: datetime.tzinfo,
) -> RenderedBlock | None:
    if not isinstance(block, dict) or not isinstance(block.get("data"), dict):
        return None
    kind, data = block.get("type"), block["data"]
    block_id = str(block.get("id") or "")
    if kind not in BLOCK_TEMPLATES or not re.fullmatch(r"[0-9a-f]{8}", block_id):
        return None
    extra: dict = {}
    if kind == "heading":
        text = fill_text(str(data.get("text") or ""), values)
        if not text.strip():
            return None
        extra = {"text": text, "level": 2 if data.get("level") in (2, "2") else 1}
    elif kind == "text":
        extra = {"html": fill_html(str(data.get("html") or ""), values)}
    elif kind == "image":
        image = images.get(_uuid(data.get("image")))
        if image is None:
            return None
        extra = {
            "src": reverse("landing_public:image", args=[image.public_id]),
            "image": image,
            "alt": str(data.get("alt") or ""),
        }
    elif kind in CLICKABLE:
        target = block_target(block)
        if target is None:
            return None
        if preview:  # nothing recorded: straight to the destination
            href = target
        else:
            href = _with_r(reverse("landing_public:click", args=[page.slug, block_id]), token)
        extra = {"href": href, "external": target.startswith("http")}
        if kind == "button":
            if not str(data.get("label") or "").strip():
                return None
            extra["action"] = data.get("action")
        elif kind == "map":
            extra["address"] = str(data.get("address"))
    elif kind == "coupon":
        code = str(data.get("code") or "").strip()
        if not code:
            return None
        extra = {"code": code, "qr": _qr_svg(code) if data.get("barcode") == "qr" else None}
    elif kind == "countdown":
        countdown = _countdown(data, tz)
        if countdown is None:
            return None
        extra = countdown
    elif kind == "form":
        extra = {
            "form": forms_.get(block_id) or form_for(block, region=region),
            "action": _with_r(reverse("landing_public:submit", args=[page.slug, block_id]), token),
            "sent": sent == block_id,
        }
    return RenderedBlock(block_id, kind, BLOCK_TEMPLATES[kind], data, extra)


def page_response(
    request: HttpRequest,
    page: LandingPage,
    *,
    preview: bool,
    values: dict | None = None,
    token: str | None = None,
    forms: dict | None = None,
    sent: str = "",
    status: int = 200,
) -> HttpResponse:
    """The page as a visitor sees it. `preview`: for the editor's frame (drafts too,
    framed by our own pages only, links go straight to their targets, the form cannot
    be sent); this function records nothing either way (the public views do).
    `values`: the recipient's merge values (None or {}: every field's fallback).
    `token`: the recipient token to carry through clicks and the form. `forms`: bound
    forms by block id (a submission with errors). `sent`: the id of a form just sent."""
    account = page.account
    language = account.language or "en"
    try:
        tz: datetime.tzinfo = zoneinfo.ZoneInfo(account.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        tz = datetime.UTC
    blocks = page.blocks if isinstance(page.blocks, list) else []
    images = _images(page, blocks)
    logo = page.logo if page.logo_id else None
    if logo is not None and logo.account_id != page.account_id:
        logo = None
    with translation.override(language), timezone.override(tz):
        rendered = [
            prepared
            for block in blocks
            if (
                prepared := _prepare(
                    page,
                    block,
                    preview=preview,
                    values=values or {},
                    token=token,
                    images=images,
                    forms_=forms or {},
                    sent=sent,
                    region=account.country,
                    tz=tz,
                )
            )
            is not None
        ]
        first_image = next((b.id for b in rendered if b.type == "image"), None)
        html = render_to_string(
            "landingpages/public/page.html",
            {
                "page": page,
                "account_name": account.name,
                "language": language,
                "palette": page.palette if page.palette in Palette.values else Palette.INDIGO,
                "blocks": rendered,
                "first_image": first_image,
                "logo": logo,
                "logo_src": reverse("landing_public:image", args=[logo.public_id]) if logo else "",
                "noindex": preview or not page.indexable,
                "preview": preview,
                "has_countdown": any(
                    b.type == "countdown" and not b.extra["ended"] for b in rendered
                ),
            },
            request=request,
        )
    response = HttpResponse(html, status=status)
    return secure_public_response(
        response, preview=preview, noindex=preview or not page.indexable, private=bool(token)
    )


def secure_public_response(
    response: HttpResponse, *, preview: bool = False, noindex: bool = True, private: bool = False
) -> HttpResponse:
    """The headers every public page carries: its CSP and framing, robots, caching."""
    response["Content-Security-Policy"] = PREVIEW_POLICY if preview else PUBLIC_POLICY
    response["X-Frame-Options"] = "SAMEORIGIN" if preview else "DENY"
    if noindex:
        response["X-Robots-Tag"] = "noindex"
    # A personalised page (or the editor's frame) is nobody else's: never stored.
    # Others are revalidated each time: a view is counted per visit.
    response["Cache-Control"] = "private, no-store" if preview or private else "private, no-cache"
    return response
