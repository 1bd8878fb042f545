"""The landing pages tab: the list, a new page, the editor (blocks through htmx beside a
live preview), the settings, publish / unpublish / duplicate / delete.

Every view goes through `landing_view`: the page (or image) in the URL is looked up in
the current account first (anyone else's: 404, whatever their plan), then the plan is
checked (no landing pages: what they do and an upgrade button). Members may edit.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from functools import wraps
from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from landingpages import rendering
from landingpages.blocks import MAX_BLOCKS, BlockError
from landingpages.forms import (
    BLOCK_ICONS,
    BLOCK_LABELS,
    BLOCK_MENU,
    BlockForm,
    ImageAddForm,
    PageCreateForm,
    PageSettingsForm,
    block_form,
)
from landingpages.images import ImageRefused, image_upload
from landingpages.models import FormSubmission, LandingPage, PageEvent, PageImage
from landingpages.services import (
    BlockConflict,
    BlockNotFound,
    PageError,
    block_add,
    block_delete,
    block_fingerprint,
    block_move,
    block_update,
    page_create,
    page_delete,
    page_duplicate,
    page_publish,
    page_unpublish,
    page_update_settings,
)
from landingpages.starters import STARTERS
from landingpages.views import locked_response
from smsmode.accounts.access import account_required
from smsmode.accounts.middleware import AccountRequest
from smsmode.billing.features import account_has_feature
from smsmode.billing.models import Feature

PAGE_SIZE = 25
PREVIEW_EVENT = "landingChanged"  # static/js/landing-editor.js reloads the preview on it


def landing_view(view: Callable) -> Callable:
    """Logged in, the page or image of the URL in the current account (else 404), then
    the plan (else the upgrade prompt: 200 on the list, 403 elsewhere)."""

    @account_required
    @wraps(view)
    def wrapper(request: AccountRequest, *args: object, **kwargs: object) -> HttpResponse:
        if "public_id" in kwargs:
            kwargs["page"] = get_object_or_404(
                LandingPage.objects.select_related("account", "logo"),
                account=request.account,
                public_id=kwargs.pop("public_id"),
            )
        if "image_id" in kwargs:
            kwargs["image"] = get_object_or_404(
                PageImage, account=request.account, public_id=kwargs.pop("image_id")
            )
        if not account_has_feature(request.account, Feature.LANDING_PAGES):
            status = 200 if request.resolver_match.url_name == "index" else 403
            return locked_response(request, status=status)
        return view(request, *args, **kwargs)

    return wrapper


def _is_htmx(request: AccountRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def public_url(request: AccountRequest, page: LandingPage) -> str:
    """The page's public address (/p/<slug>, served by the public side)."""
    try:
        path = reverse("landing_public:page", args=[page.slug])
    except NoReverseMatch:
        path = f"/p/{page.slug}"
    return request.build_absolute_uri(path)


# ------------------------------------------------------------------------ the list


@landing_view
@require_GET
def page_list(request: AccountRequest) -> HttpResponse:
    """The account's pages, newest first, with their views and submissions counted
    by subqueries on indexed columns: one query for the whole list."""

    def counted(queryset: QuerySet) -> Coalesce:
        return Coalesce(
            Subquery(
                queryset.filter(page=OuterRef("pk"))
                .order_by()
                .values("page")
                .annotate(n=Count("*"))
                .values("n"),
                output_field=IntegerField(),
            ),
            Value(0),
        )

    pages = (
        LandingPage.objects.filter(account=request.account)
        .annotate(
            views=counted(PageEvent.objects.filter(kind=PageEvent.Kind.VIEW, is_bot=False)),
            submission_count=counted(FormSubmission.objects.all()),
        )
        .order_by("-created_at", "-id")
    )
    paginator = Paginator(pages, PAGE_SIZE)
    listing = paginator.get_page(request.GET.get("page"))
    return render(request, "landingpages/list.html", {"listing": listing})


@landing_view
@require_http_methods(["GET", "POST"])
def page_new(request: AccountRequest) -> HttpResponse:
    form = PageCreateForm(
        request.POST if request.method == "POST" else None,
        initial={"template": request.GET.get("template", "")},
    )
    if request.method == "POST" and form.is_valid():
        try:
            page = page_create(
                account=request.account,
                by=request.user,
                title=form.cleaned_data["title"],
                template=form.cleaned_data["template"] or None,
            )
        except PageError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Page created. Add blocks, then publish it."))
            return redirect("landingpages:edit", public_id=page.public_id)
    return render(request, "landingpages/new.html", {"form": form, "starters": STARTERS})


# ------------------------------------------------------------------------ the editor


def _items(page: LandingPage) -> list[dict]:
    """Each block with its (unbound) form."""
    count = len(page.blocks)
    return [
        _item(block, block_form(block), index=index, count=count)
        for index, block in enumerate(page.blocks)
    ]


def _item(block: dict, form: BlockForm, *, index: int, count: int) -> dict:
    data = block["data"]
    extra: dict[str, object] = {}
    if block["type"] == "image":
        try:
            extra["image_url"] = reverse("landingpages:image", args=[UUID(data["image"])])
        except (KeyError, ValueError, TypeError):
            extra["image_url"] = ""
    elif block["type"] == "countdown":
        try:
            extra["until"] = datetime.datetime.fromisoformat(data["until"])
        except (KeyError, ValueError, TypeError):
            extra["until"] = None
    return {
        **extra,
        "block": block,
        "form": form,
        "label": BLOCK_LABELS.get(block["type"], block["type"]),
        "icon": BLOCK_ICONS.get(block["type"], "square"),
        "base": block_fingerprint(data),
        "is_first": index == 0,
        "is_last": index == count - 1,
        "position": index + 1,
    }


def _list_context(page: LandingPage, **extra: object) -> dict:
    return {"page": page, "items": _items(page), "max_blocks": MAX_BLOCKS, **extra}


def _blocks_response(
    request: AccountRequest, page: LandingPage, *, changed: bool, **extra: object
) -> HttpResponse:
    """The block list as a fragment (htmx), or back to the editor (no JavaScript)."""
    if not _is_htmx(request):
        if extra.get("error"):
            messages.error(request, str(extra["error"]))
        return redirect("landingpages:edit", public_id=page.public_id)
    response = render(request, "landingpages/editor/_blocks.html", _list_context(page, **extra))
    if changed:
        response["HX-Trigger"] = PREVIEW_EVENT
    return response


@landing_view
@require_GET
def page_edit(request: AccountRequest, page: LandingPage) -> HttpResponse:
    context = _list_context(
        page,
        menu=BLOCK_MENU,
        image_form=ImageAddForm(auto_id="add-image-%s"),
        public_url=public_url(request, page),
    )
    return render(request, "landingpages/editor/edit.html", context)


@landing_view
@never_cache
@require_GET
def page_preview(request: AccountRequest, page: LandingPage) -> HttpResponse:
    """The page as visitors see it (drafts too, nothing recorded), for the editor's
    360 px frame; `page_response(preview=True)` lets only our own pages frame it."""
    return rendering.page_response(request, page, preview=True)


@landing_view
@require_POST
def block_add_view(request: AccountRequest, page: LandingPage) -> HttpResponse:
    block_type = request.POST.get("type", "")
    data = None
    if block_type == "image":
        form = ImageAddForm(request.POST, request.FILES)
        if not form.is_valid():
            return _blocks_response(
                request, page, changed=False, error=_("Choose an image to add.")
            )
        try:
            image = image_upload(account=page.account, uploaded_file=form.cleaned_data["file"])
        except ImageRefused as exc:
            return _blocks_response(request, page, changed=False, error=exc.message)
        data = {"image": str(image.public_id), "alt": form.cleaned_data["alt"]}
    try:
        block = block_add(page=page, block_type=block_type, data=data)
    except (PageError, BlockError) as exc:
        return _blocks_response(request, page, changed=False, error=exc.message)
    return _blocks_response(
        request, page, changed=True, open_id=block["id"], just_added=block["id"]
    )


def _block_response(
    request: AccountRequest,
    page: LandingPage,
    block: dict,
    form: BlockForm,
    *,
    changed: bool,
    **extra: object,
) -> HttpResponse:
    index = next(i for i, b in enumerate(page.blocks) if b["id"] == block["id"])
    context = {
        "page": page,
        "item": _item(block, form, index=index, count=len(page.blocks)),
        "open_id": block["id"],
        **extra,
    }
    response = render(request, "landingpages/editor/_block.html", context)
    if changed:
        response["HX-Trigger"] = PREVIEW_EVENT
    return response


def _find(page: LandingPage, block_id: str) -> dict:
    for block in page.blocks:
        if block.get("id") == block_id:
            return block
    raise Http404


@landing_view
@require_POST
def block_update_view(request: AccountRequest, page: LandingPage, block_id: str) -> HttpResponse:
    """Save one block's form. htmx swaps that block only (others keep their state); a
    block deleted meanwhile swaps the whole list instead."""
    block = _find(page, block_id)
    form = block_form(block, request.POST, request.FILES)
    htmx = _is_htmx(request)

    def failed(message: str | None = None, *, shown: dict | None = None) -> HttpResponse:
        if not htmx:
            messages.error(request, message or _("Check the block's fields."))
            return redirect("landingpages:edit", public_id=page.public_id)
        return _block_response(request, page, shown or block, form, changed=False, error=message)

    if not form.is_valid():
        return failed()
    data = form.to_data()
    upload = form.cleaned_data.get("file") if block["type"] == "image" else None
    if upload:
        try:
            image = image_upload(account=page.account, uploaded_file=upload)
        except ImageRefused as exc:
            form.add_error("file", exc.message)
            return failed()
        data["image"] = str(image.public_id)
    try:
        saved = block_update(
            page=page, block_id=block_id, data=data, base=request.POST.get("base") or None
        )
    except BlockNotFound as exc:
        if not htmx:
            messages.error(request, exc.message)
            return redirect("landingpages:edit", public_id=page.public_id)
        page.refresh_from_db(fields=["blocks"])
        response = _blocks_response(request, page, changed=True, error=exc.message)
        response["HX-Retarget"] = "#block-list"
        response["HX-Reswap"] = "outerHTML"
        return response
    except BlockConflict as exc:
        page.refresh_from_db(fields=["blocks"])
        form = block_form(exc.block)
        return failed(exc.message, shown=exc.block)
    except BlockError as exc:
        field = exc.field.split(".")[0]
        if field in form.fields:
            form.add_error(field, exc.message)
        else:
            form.add_error(None, exc.message)
        return failed()
    except PageError as exc:
        return failed(exc.message)
    if not htmx:
        messages.success(request, _("Block saved."))
        return redirect("landingpages:edit", public_id=page.public_id)
    return _block_response(request, page, saved, block_form(saved), changed=True, saved=True)


@landing_view
@require_POST
def block_move_view(request: AccountRequest, page: LandingPage, block_id: str) -> HttpResponse:
    """Up or down one place (`direction`), or to a position (`to`, from dragging)."""
    direction = request.POST.get("direction") or None
    to = request.POST.get("to")
    try:
        position = int(to) if to not in (None, "") else None
    except ValueError:
        position = None
    if direction is None and position is None:
        return _blocks_response(request, page, changed=False, error=_("Say where it goes."))
    try:
        block_move(
            page=page,
            block_id=block_id,
            direction=direction if position is None else None,
            to=position,
        )
    except PageError as exc:
        page.refresh_from_db(fields=["blocks"])
        return _blocks_response(request, page, changed=True, error=exc.message)
    return _blocks_response(request, page, changed=True)


@landing_view
@require_POST
def block_delete_view(request: AccountRequest, page: LandingPage, block_id: str) -> HttpResponse:
    try:
        block_delete(page=page, block_id=block_id)
    except PageError as exc:
        page.refresh_from_db(fields=["blocks"])
        return _blocks_response(request, page, changed=True, error=exc.message)
    if not _is_htmx(request):
        messages.success(request, _("Block deleted."))
    return _blocks_response(request, page, changed=True)


# ------------------------------------------------------------------------ the page


@landing_view
@require_http_methods(["GET", "POST"])
def page_settings(request: AccountRequest, page: LandingPage) -> HttpResponse:
    if request.method == "POST":
        form = PageSettingsForm(request.POST, request.FILES, instance=page)
        if form.is_valid():
            logo = None if form.cleaned_data["remove_logo"] else page.logo
            upload = form.cleaned_data["logo_file"]
            try:
                if upload:
                    logo = image_upload(account=page.account, uploaded_file=upload)
            except ImageRefused as exc:
                form.add_error("logo_file", exc.message)
            else:
                try:
                    page_update_settings(
                        page=page,
                        title=form.cleaned_data["title"],
                        slug=form.cleaned_data["slug"],
                        palette=form.cleaned_data["palette"],
                        indexable=form.cleaned_data["indexable"],
                        logo=logo,
                    )
                except PageError as exc:
                    form.add_error("slug", exc.message)
                else:
                    messages.success(request, _("Settings saved."))
                    return redirect("landingpages:edit", public_id=page.public_id)
        # A rejected ModelForm has already copied the posted values onto the instance.
        page.refresh_from_db()
    else:
        form = PageSettingsForm(instance=page)
    return render(
        request,
        "landingpages/editor/settings.html",
        {"page": page, "form": form, "public_url": public_url(request, page)},
    )


@landing_view
@require_POST
def page_publish_view(request: AccountRequest, page: LandingPage) -> HttpResponse:
    try:
        page_publish(page=page)
    except PageError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("The page is published at %(url)s.") % {"url": public_url(request, page)},
        )
    return redirect("landingpages:edit", public_id=page.public_id)


@landing_view
@require_POST
def page_unpublish_view(request: AccountRequest, page: LandingPage) -> HttpResponse:
    page_unpublish(page=page)
    messages.success(request, _("The page is offline: its links now say that it is not available."))
    return redirect("landingpages:edit", public_id=page.public_id)


@landing_view
@require_POST
def page_duplicate_view(request: AccountRequest, page: LandingPage) -> HttpResponse:
    try:
        copy = page_duplicate(page=page, by=request.user)
    except PageError as exc:
        messages.error(request, exc.message)
        return redirect("landingpages:edit", public_id=page.public_id)
    messages.success(request, _("Copy created, as a draft with its own address."))
    return redirect("landingpages:edit", public_id=copy.public_id)


@landing_view
@require_http_methods(["GET", "POST"])
def page_delete_view(request: AccountRequest, page: LandingPage) -> HttpResponse:
    if request.method == "POST":
        page_delete(page=page)
        messages.success(request, _("Page “%(title)s” deleted.") % {"title": page.title})
        return redirect("landingpages:index")
    return render(
        request,
        "landingpages/editor/delete.html",
        {
            "page": page,
            "submissions": page.submissions.count(),
            "public_url": public_url(request, page),
        },
    )


@landing_view
@require_GET
def image_view(request: AccountRequest, image: PageImage) -> FileResponse:
    """An image of the account, for the editor's thumbnails."""
    try:
        handle = image.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    content_type = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}.get(
        image.format, "application/octet-stream"
    )
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = "private, max-age=86400"
    return response
