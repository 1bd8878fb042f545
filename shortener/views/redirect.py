"""The redirect: the busiest endpoint. A cached lookup, an event appended to Redis,
a 302. No session, no account, no database write.

`ShortDomainMiddleware`, right after the security middleware, answers it before the
rest of the stack (sessions, locale, CSRF, accounts, the URL resolver) does any work:
every path on SHORT_LINK_DOMAIN, and `/s/<code>` on the app's own host. On the app's
host only a live link is answered there; a 404 or 410 page goes on through the stack
(the visitor's language, the signed-in user's top bar), with the lookup already done
(`follow` reuses it: one event, one Redis round trip)."""

from __future__ import annotations

import time

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_safe

from shortener.clicks import follow_and_record
from shortener.services import Target

# The app host's short URLs, as smsmode.urls routes them ("s/<str:code>": one segment).
APP_PREFIX = "/s/"
_LOOKED_UP = "_short_link_looked_up"  # request attribute: (code, target, time)


def _code(raw: str) -> str:
    # Codes are lower-case: a code typed by hand or capitalised by a phone still works.
    return raw[:16].lower()


def _redirect(target: Target) -> HttpResponse:
    response = HttpResponseRedirect(target.url)  # refuses any scheme but http(s)
    response["Cache-Control"] = "no-store"  # every visit must reach us to be counted
    response["Referrer-Policy"] = "no-referrer"
    return response


def _answer(request: HttpRequest, target: Target | None, now: float) -> HttpResponse:
    if target is None:
        return render(request, "shortener/unknown.html", status=404)
    if target.expires_at <= now:
        return render(request, "shortener/expired.html", status=410)
    return _redirect(target)


@require_safe
def follow(request: HttpRequest, code: str) -> HttpResponse:
    code = _code(code)
    looked_up = getattr(request, _LOOKED_UP, None)
    if looked_up is not None and looked_up[0] == code:
        return _answer(request, looked_up[1], looked_up[2])  # counted by the middleware
    now = time.time()  # the click's time and the expiry's reference: one instant
    return _answer(request, follow_and_record(request, code, at=now), now)


class ShortDomainMiddleware:
    """Answers short links before the rest of the stack does any work: on
    SHORT_LINK_DOMAIN every path is a code; on the app's host `/s/<code>`."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        domain = settings.SHORT_LINK_DOMAIN
        if domain and request.get_host().split(":")[0] == domain:
            code = request.path.strip("/")
            if code and "/" not in code:
                return follow(request, code)
            return render(request, "shortener/unknown.html", status=404)
        path = request.path_info
        if path.startswith(APP_PREFIX) and request.method in ("GET", "HEAD"):
            code = path[len(APP_PREFIX) :]
            if code and "/" not in code:
                if not domain:
                    request.get_host()  # DisallowedHost (400) for a foreign Host, as before
                code, now = _code(code), time.time()
                target = follow_and_record(request, code, at=now)
                if target is not None and target.expires_at > now:
                    return _redirect(target)
                setattr(request, _LOOKED_UP, (code, target, now))
        return self.get_response(request)
