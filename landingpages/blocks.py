"""The blocks of a landing page: their types, their validation, and the sanitiser of
rich text.

A page's `blocks` is a list of `{"id": "<8 chars>", "type": "<type>", "data": {...}}`.
Every write goes through `validate_blocks` (unknown type, missing or oversized field:
BlockError naming the block and the field); rich text is sanitised with nh3 on save
(`clean_html`) and again on render.
"""

from __future__ import annotations

import datetime
import re
import secrets
from typing import Annotated, Any, Literal

import nh3
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

MAX_BLOCKS = 40
MAX_TEXT = 5000  # characters of one text block's HTML

# Rich text: bold, italic, links, lists, paragraphs. Links only to the web, mail, phone.
ALLOWED_TAGS = {"p", "br", "strong", "b", "em", "i", "u", "a", "ul", "ol", "li"}
ALLOWED_ATTRIBUTES = {"a": {"href"}}
URL_SCHEMES = {"http", "https", "mailto", "tel"}


def clean_html(html: str) -> str:
    """Only the allowed tags and attributes survive; links get rel=noopener; scripts,
    styles, event handlers, javascript:/data: URLs and SVG are removed."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def new_block_id() -> str:
    return secrets.token_hex(4)


_PHONE = re.compile(r"^\+?[0-9 .()-]{6,20}$")


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Heading(_Data):
    text: str = Field(min_length=1, max_length=120)
    level: Literal[1, 2] = 1


class Text(_Data):
    html: str = Field(min_length=1, max_length=MAX_TEXT)

    @field_validator("html")
    @classmethod
    def _clean(cls, value: str) -> str:
        cleaned = clean_html(value)
        if not re.sub(r"<[^>]*>", "", cleaned).strip():
            raise ValueError("The text is empty.")
        return cleaned


class Image(_Data):
    image: str = Field(min_length=1, max_length=36)  # a PageImage public_id
    alt: str = Field("", max_length=200)


class Button(_Data):
    label: str = Field(min_length=1, max_length=60)
    action: Literal["link", "call", "sms", "directions"]
    # link: an http(s) URL; call / sms: a phone number; directions: an address.
    target: str = Field(min_length=1, max_length=500)

    @field_validator("target")
    @classmethod
    def _target(cls, value: str, info: Any) -> str:
        action = info.data.get("action")
        if action == "link":
            from shortener.safety import TargetUrlError, validate_target_url

            try:
                return validate_target_url(value)
            except TargetUrlError as exc:
                raise ValueError(exc.message) from None
        if action in ("call", "sms") and not _PHONE.match(value):
            raise ValueError("Enter a phone number, e.g. +33 1 23 45 67 89.")
        return value


class Coupon(_Data):
    code: str = Field(min_length=1, max_length=40)
    note: str = Field("", max_length=200)
    barcode: Literal["none", "qr"] = "none"


class Countdown(_Data):
    until: datetime.datetime
    label: str = Field("", max_length=80)


class Map(_Data):
    address: str = Field(min_length=3, max_length=300)


class Video(_Data):
    url: str = Field(min_length=1, max_length=500)
    title: str = Field("", max_length=120)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        from shortener.safety import TargetUrlError, validate_target_url

        try:
            return validate_target_url(value)
        except TargetUrlError as exc:
            raise ValueError(exc.message) from None


class Question(_Data):
    key: str = Field(pattern=r"^[a-z][a-z0-9_]{0,29}$")
    label: str = Field(min_length=1, max_length=120)
    required: bool = False


class Form(_Data):
    title: str = Field("", max_length=120)
    ask_name: bool = True
    ask_phone: bool = True
    ask_email: bool = False
    questions: Annotated[list[Question], Field(max_length=10)] = []
    consent_text: str = Field(
        "I agree to be contacted about this offer.", min_length=1, max_length=300
    )
    submit_label: str = Field("Send", min_length=1, max_length=40)
    thanks: str = Field("Thank you!", min_length=1, max_length=200)


BLOCK_TYPES: dict[str, type[_Data]] = {
    "heading": Heading,
    "text": Text,
    "image": Image,
    "button": Button,
    "coupon": Coupon,
    "countdown": Countdown,
    "map": Map,
    "video": Video,
    "form": Form,
}


class BlockError(ValueError):
    """A block that cannot be saved: `index` in the page, `field`, `message`."""

    def __init__(self, message: str, *, index: int | None = None, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.index = index
        self.field = field


def validate_block(block_type: str, data: dict, *, index: int | None = None) -> dict:
    """The block's data, validated and normalised (rich text sanitised), or BlockError."""
    model = BLOCK_TYPES.get(block_type)
    if model is None:
        raise BlockError(f"Unknown block type: {block_type!r}.", index=index, field="type")
    if not isinstance(data, dict):
        raise BlockError("A block's data is an object.", index=index, field="data")
    try:
        return model.model_validate(data).model_dump(mode="json")
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error.get("loc", ()))
        message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        raise BlockError(message, index=index, field=field) from None


def validate_blocks(blocks: list) -> list[dict]:
    """A whole page's blocks, validated (each keeps or gets an id; ids are unique)."""
    if not isinstance(blocks, list):
        raise BlockError("The blocks are a list.")
    if len(blocks) > MAX_BLOCKS:
        raise BlockError(f"A page has at most {MAX_BLOCKS} blocks.")
    out, seen = [], set()
    for index, block in enumerate(blocks):
        if not isinstance(block, dict):
            raise BlockError("A block is an object.", index=index)
        block_id = str(block.get("id") or new_block_id())
        if not re.fullmatch(r"[0-9a-f]{8}", block_id) or block_id in seen:
            block_id = new_block_id()
        seen.add(block_id)
        block_type = str(block.get("type", ""))
        data = validate_block(block_type, block.get("data") or {}, index=index)
        out.append({"id": block_id, "type": block_type, "data": data})
    return out
