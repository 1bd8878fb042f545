"""The public rendering of a page (being built): the editor's preview uses it too."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from landingpages.models import LandingPage


def page_response(
    request: HttpRequest, page: LandingPage, *, preview: bool, values: dict | None = None
) -> HttpResponse:
    """The page as a visitor sees it (`preview`: for the editor's frame, no event)."""
    return render(request, "landingpages/public/page_stub.html", {"page": page, "preview": preview})
