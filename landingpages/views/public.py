"""The public side of landing pages: the page, its images, the click endpoint of its
buttons, and its forms. No login; published pages only (a draft, a deleted page or a
mistyped address: the "no longer available" page, 404)."""

from __future__ import annotations

from urllib.parse import urlencode
from uuid import UUID

from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.views.decorators.http import require_POST, require_safe

from landingpages import events
from landingpages.models import LandingPage, PageImage
from landingpages.personalize import TOKEN_PARAM, message_for, values_for
from landingpages.rendering import (
    CLICKABLE,
    block_target,
    find_block,
    form_for,
    page_response,
    secure_public_response,
)

IMAGE_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp", "gif": "image/gif"}


class _BlockRedirect(HttpResponseRedirect):
    # Buttons may call or text a number: tel: and sms: besides the web.
    allowed_schemes = ["https", "http", "tel", "sms"]


def _published(slug: str) -> LandingPage | None:
    return (
        LandingPage.objects.select_related("account", "logo")
        .filter(slug=slug, status=LandingPage.Status.PUBLISHED)
        .first()
    )


def unavailable(
    request: HttpRequest, *, status: int = 404, template: str = "unavailable"
) -> HttpResponse:
    """The friendly page of a link that leads nowhere (any more), or of a limit."""
    html = render_to_string(f"landingpages/public/{template}.html", request=request)
    response = HttpResponse(html, status=status)
    secure_public_response(response)
    response["Cache-Control"] = "no-store"
    return response


def _token(request: HttpRequest) -> str | None:
    return request.GET.get(TOKEN_PARAM) or None


@require_safe
def page(request: HttpRequest, slug: str) -> HttpResponse:
    """A published page; a view recorded per GET (HEAD and the thank-you state after a
    form, which is the same visit, are not views)."""
    landing = _published(slug)
    if landing is None:
        return unavailable(request)
    values, message = values_for(_token(request), landing)
    sent = request.GET.get("sent", "")[:16]
    response = page_response(
        request,
        landing,
        preview=False,
        values=values,
        token=_token(request) if message is not None else None,
        sent=sent,
    )
    if _token(request):  # even a bad token: the address is someone's own
        response["Cache-Control"] = "private, no-store"
    if request.method == "GET" and not sent:
        events.record_view(request, landing, message=message)
    return response


@require_safe
def image(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """An uploaded image, as stored (resized and re-encoded on upload). Its address
    never changes content (a new upload is a new id): cached for a year."""
    found = get_object_or_404(PageImage.objects.only("file", "format"), public_id=public_id)
    content_type = IMAGE_TYPES.get(found.format)
    if content_type is None:
        raise Http404
    try:
        handle = found.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


@require_safe
def click(request: HttpRequest, slug: str, block_id: str) -> HttpResponse:
    """A click on a button, map or video block: recorded, then a 302 to the block's
    own stored target, checked again (nothing from the request decides where to go)."""
    landing = _published(slug)
    if landing is None:
        return unavailable(request)
    block = find_block(landing, block_id, CLICKABLE)
    target = block_target(block) if block is not None else None
    if target is None:
        return unavailable(request)
    if request.method == "GET":
        message = message_for(_token(request), landing)
        events.record_click(request, landing, block_id, message=message)
    response = _BlockRedirect(target)
    response["Cache-Control"] = "no-store"  # each click must reach us to be counted
    response["Referrer-Policy"] = "no-referrer"  # the recipient token stays here
    return response


@require_POST
def submit(request: HttpRequest, slug: str, block_id: str) -> HttpResponse:
    """A form sent (CSRF checked by Django's middleware; the page set the cookie).
    Rate limited per visitor and page; errors show the page again with what was typed;
    success redirects to the page's thank-you state (POST, redirect, GET)."""
    landing = _published(slug)
    if landing is None:
        return unavailable(request)
    block = find_block(landing, block_id, {"form"})
    if block is None:
        return unavailable(request)
    visitor = events.visitor_of(request)
    if events.form_rate_limited(landing, visitor):
        with translation.override(landing.account.language or "en"):
            return unavailable(request, status=429, template="limited")
    token = _token(request)
    values, message = values_for(token, landing)
    token = token if message is not None else None
    form = form_for(block, region=landing.account.country, data=request.POST)
    if not form.is_valid():
        return page_response(
            request, landing, preview=False, values=values, token=token, forms={block_id: form}
        )
    if not form.is_spam:  # the honeypot: answered as a success, nothing kept
        events.record_submission(
            request,
            landing,
            block_id,
            data=form.submission_data(),
            consent=bool(form.cleaned_data.get("consent")),
            message=message,
        )
    query = {"sent": block_id} | ({TOKEN_PARAM: token} if token else {})
    url = f"{reverse('landing_public:page', args=[landing.slug])}?{urlencode(query)}#b-{block_id}"
    response = HttpResponseRedirect(url)
    response["Cache-Control"] = "no-store"
    return response
