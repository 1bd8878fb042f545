"""The redirect: the busiest endpoint. A cached lookup, an event appended to Redis,
a 302. No session, no account, no database write."""

from __future__ import annotations

import time

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_safe

from shortener.clicks import follow_and_record


@require_safe
def follow(request: HttpRequest, code: str) -> HttpResponse:
    # Codes are lower-case: a code typed by hand or capitalised by a phone still works.
    target = follow_and_record(request, code[:16].lower())
    if target is None:
        return render(request, "shortener/unknown.html", status=404)
    if target.expires_at <= time.time():
        return render(request, "shortener/expired.html", status=410)
    response = HttpResponseRedirect(target.url)
    response["Cache-Control"] = "no-store"  # every visit must reach us to be counted
    response["Referrer-Policy"] = "no-referrer"
    return response


class ShortDomainMiddleware:
    """On SHORT_LINK_DOMAIN, every path is a code: answer before the rest of the stack
    (sessions, accounts) does any work."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.conf import settings

        domain = settings.SHORT_LINK_DOMAIN
        if domain and request.get_host().split(":")[0] == domain:
            code = request.path.strip("/")
            if code and "/" not in code:
                return follow(request, code)
            return render(request, "shortener/unknown.html", status=404)
        return self.get_response(request)
