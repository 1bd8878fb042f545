"""Writes to landing pages: create (blank or from a starter), settings, the blocks,
publish and unpublish, duplicate, delete.

Every block write locks the page row (`SELECT ... FOR UPDATE`), applies one change to
the blocks as they are *now* in the database (not as the editor last saw them), and
validates the whole list before saving. Two tabs editing one page therefore keep each
other's changes: one adds a block while the other edits another, both stay. When they
touch the same block, the second is told (BlockNotFound: deleted meanwhile;
BlockConflict: changed meanwhile) instead of silently overwriting.
"""

from __future__ import annotations

import copy
import hashlib
import json
import secrets
import uuid
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from landingpages.blocks import (
    BLOCK_TYPES,
    MAX_BLOCKS,
    BlockError,
    new_block_id,
    validate_block,
    validate_blocks,
)
from landingpages.models import LandingPage, PageImage, RetiredSlug, slug_taken
from landingpages.starters import STARTERS, copy_title, default_data, starter_blocks
from smsmode.accounts.models import Account, User

SLUG_MAX = LandingPage._meta.get_field("slug").max_length
SLUG_MIN = 3
_SUFFIX_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
_SUFFIX_LENGTH = 5


class PageError(Exception):
    """A change that cannot be made; `message` is translated, for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BlockNotFound(PageError):
    def __init__(self) -> None:
        super().__init__(_("This block is no longer on the page (deleted in another tab?)."))


class BlockConflict(PageError):
    """The block changed since the editor showed it; `block` is how it is now."""

    def __init__(self, block: dict) -> None:
        super().__init__(
            _(
                "This block was changed in another tab meanwhile: here is its current "
                "version. Make your change again."
            )
        )
        self.block = block


def block_fingerprint(data: dict) -> str:
    """A short digest of a block's data: the editor sends back the one it started from."""
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# ------------------------------------------------------------------------ pages


def _slug_base(title: str) -> str:
    base = slugify(title)[: SLUG_MAX - _SUFFIX_LENGTH - 1].strip("-")
    return base or "page"


def _random_suffix() -> str:
    return "".join(secrets.choice(_SUFFIX_ALPHABET) for _ in range(_SUFFIX_LENGTH))


def _save_with_new_slug(page: LandingPage) -> LandingPage:
    """Insert `page` with a free slug: its title plus a random suffix (retried on the
    rare collision, including one with a concurrent insert)."""
    base = _slug_base(page.title)
    for _attempt in range(8):
        page.slug = f"{base}-{_random_suffix()}"
        if slug_taken(page.slug, account_id=page.account_id):
            continue
        try:
            with transaction.atomic():
                page.save()
            return page
        except IntegrityError:
            page.pk = None
            continue
    raise PageError(_("No free address was found for this page: try again."))


def page_create(
    *, account: Account, by: User | None, title: str, template: str | None = None
) -> LandingPage:
    """A new draft page, blank or filled from a starter (`STARTERS`: promotion, event,
    store) in the account's language. The slug is the title plus a random suffix."""
    if template and template not in STARTERS:
        raise PageError(_("Unknown starter page."))
    blocks = validate_blocks(starter_blocks(template, account.language)) if template else []
    page = LandingPage(account=account, created_by=by, title=title.strip()[:120], blocks=blocks)
    return _save_with_new_slug(page)


def _check_logo(account: Account, logo: PageImage | None) -> None:
    if logo is not None and logo.account_id != account.pk:
        raise PageError(_("This image does not belong to this account."))


def page_update_settings(
    *,
    page: LandingPage,
    title: str,
    slug: str,
    palette: str,
    indexable: bool,
    logo: PageImage | None,
) -> LandingPage:
    """Title, address, colours, logo and indexing. A taken address raises PageError
    (the form checks first; the unique index decides between two concurrent saves)."""
    _check_logo(page.account, logo)
    old_slug = LandingPage.objects.filter(pk=page.pk).values_list("slug", flat=True).first()
    page.title = title.strip()[:120]
    page.slug = slug
    page.palette = palette
    page.indexable = indexable
    page.logo = logo
    try:
        with transaction.atomic():
            page.save(update_fields=["title", "slug", "palette", "indexable", "logo", "updated_at"])
            if old_slug and old_slug != slug and page.published_at is not None:
                _retire(page.account_id, old_slug)
            RetiredSlug.objects.filter(slug=slug, account_id=page.account_id).delete()
    except IntegrityError:
        raise PageError(_("This address is already taken: choose another one.")) from None
    return page


def page_publish(*, page: LandingPage) -> bool:
    """Make the page public. Idempotent: False when it was already published. A page
    without blocks, or whose blocks no longer validate, is refused (PageError)."""
    with transaction.atomic():
        locked = LandingPage.objects.select_for_update().get(pk=page.pk)
        if not locked.blocks:
            raise PageError(_("Add at least one block before publishing the page."))
        try:
            validate_blocks(locked.blocks)
        except BlockError as exc:
            raise PageError(exc.message) from None
        if locked.status == LandingPage.Status.PUBLISHED:
            return False
        now = timezone.now()
        LandingPage.objects.filter(pk=page.pk).update(
            status=LandingPage.Status.PUBLISHED, published_at=now, updated_at=now
        )
    page.status, page.published_at = LandingPage.Status.PUBLISHED, now
    return True


def page_unpublish(*, page: LandingPage) -> bool:
    """Take the page offline (its links then say it is not available). Idempotent."""
    changed = LandingPage.objects.filter(pk=page.pk, status=LandingPage.Status.PUBLISHED).update(
        status=LandingPage.Status.DRAFT, updated_at=timezone.now()
    )
    page.status = LandingPage.Status.DRAFT
    return bool(changed)


def page_duplicate(*, page: LandingPage, by: User | None) -> LandingPage:
    """A draft copy (same blocks, colours and logo) with its own address; statistics
    and form submissions stay with the original."""
    title = copy_title(page.title, page.account.language)
    fresh = LandingPage.objects.get(pk=page.pk)  # the blocks as saved, not as shown
    copy_ = LandingPage(
        account_id=fresh.account_id,
        created_by=by,
        title=title[:120],
        palette=fresh.palette,
        logo_id=fresh.logo_id,
        indexable=fresh.indexable,
        blocks=copy.deepcopy(fresh.blocks),
    )
    return _save_with_new_slug(copy_)


def page_delete(*, page: LandingPage) -> None:
    """Delete the page with its events and form submissions. Its address then answers
    "no longer available"; its images stay in the account (duplicates may use them)."""
    with transaction.atomic():
        if page.published_at is not None:
            _retire(page.account_id, page.slug)
        LandingPage.objects.filter(pk=page.pk).delete()


def _retire(account_id: int, slug: str) -> None:
    """Keep a once-public address out of other accounts' reach."""
    RetiredSlug.objects.get_or_create(slug=slug, defaults={"account_id": account_id})


# ------------------------------------------------------------------------ blocks


def _check_images(account_id: int, blocks: list[dict]) -> None:
    """Image blocks may only show this account's images."""
    wanted = set()
    for block in blocks:
        if block["type"] == "image":
            try:
                wanted.add(uuid.UUID(block["data"]["image"]))
            except (KeyError, ValueError):
                raise PageError(_("This image does not belong to this account.")) from None
    if not wanted:
        return
    found = PageImage.objects.filter(account_id=account_id, public_id__in=wanted).count()
    if found != len(wanted):
        raise PageError(_("This image does not belong to this account."))


def _write_blocks(page: LandingPage, change: Callable[[list[dict]], Any]) -> Any:
    """Lock the page row, apply `change` to its current blocks (in place), validate the
    whole list and save it. `page` gets the saved blocks. Returns what `change` did."""
    with transaction.atomic():
        locked = LandingPage.objects.select_for_update().get(pk=page.pk)
        blocks = copy.deepcopy(locked.blocks or [])
        result = change(blocks)
        blocks = validate_blocks(blocks)
        _check_images(locked.account_id, blocks)
        locked.blocks = blocks
        locked.save(update_fields=["blocks", "updated_at"])
    page.blocks, page.updated_at = locked.blocks, locked.updated_at
    return result


def _index_of(blocks: list[dict], block_id: str) -> int:
    for index, block in enumerate(blocks):
        if block.get("id") == block_id:
            return index
    raise BlockNotFound


def _saved(page: LandingPage, block_id: str) -> dict:
    return page.blocks[_index_of(page.blocks, block_id)]


def block_add(
    *,
    page: LandingPage,
    block_type: str,
    data: dict | None = None,
    position: int | None = None,
) -> dict:
    """Add a block (at the end, or at `position`) with `data`, or with the type's
    default content in the account's language. Returns the block as saved."""
    if block_type not in BLOCK_TYPES:
        raise PageError(_("Unknown block type."))
    if data is None:
        if block_type == "image":
            raise PageError(_("Choose an image to add."))
        data = default_data(block_type, page.account.language)
    block = {"id": new_block_id(), "type": block_type, "data": data}

    def add(blocks: list[dict]) -> None:
        if len(blocks) >= MAX_BLOCKS:
            raise PageError(_("A page has at most %(max)s blocks.") % {"max": MAX_BLOCKS})
        while any(b.get("id") == block["id"] for b in blocks):
            block["id"] = new_block_id()
        at = len(blocks) if position is None else max(0, min(position, len(blocks)))
        blocks.insert(at, block)

    _write_blocks(page, add)
    return _saved(page, block["id"])


def block_update(*, page: LandingPage, block_id: str, data: dict, base: str | None = None) -> dict:
    """Replace a block's data (validated; rich text sanitised). With `base` (the
    fingerprint of the data the editor started from), a block changed meanwhile raises
    BlockConflict carrying its current version. Returns the block as saved."""

    def update(blocks: list[dict]) -> None:
        index = _index_of(blocks, block_id)
        current = blocks[index]
        if base is not None and block_fingerprint(current["data"]) != base:
            raise BlockConflict(current)
        # Validate here too, so the error names this block's field.
        blocks[index] = {**current, "data": validate_block(current["type"], data, index=index)}

    _write_blocks(page, update)
    return _saved(page, block_id)


def block_move(
    *, page: LandingPage, block_id: str, direction: str | None = None, to: int | None = None
) -> list[dict]:
    """Move a block one place up or down (`direction`), or to index `to` (clamped).
    Moving past either end changes nothing. Returns the blocks as saved."""
    if direction not in (None, "up", "down") or (direction is None) == (to is None):
        raise PageError(_("Say where the block goes."))

    def move(blocks: list[dict]) -> None:
        index = _index_of(blocks, block_id)
        if direction == "up":
            target = index - 1
        elif direction == "down":
            target = index + 1
        else:
            target = to  # type: ignore[assignment]
        target = max(0, min(target, len(blocks) - 1))
        blocks.insert(target, blocks.pop(index))

    _write_blocks(page, move)
    return page.blocks


def block_delete(*, page: LandingPage, block_id: str) -> None:
    """Remove a block. Deleting a block that is already gone raises BlockNotFound."""

    def delete(blocks: list[dict]) -> None:
        blocks.pop(_index_of(blocks, block_id))

    _write_blocks(page, delete)
