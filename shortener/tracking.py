"""Automatic shortening: every http(s) link in a campaign message becomes a short link
of its own recipient, so a click tells who clicked.

A message's text is split once into the pieces around its links (`split_links`); the
editor counts it with a placeholder code (same length, same alphabet: the count is
exact), and the launch fills each recipient's own codes (`draw_codes`, checked against
the table in bulk) and writes the links with COPY next to the messages.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import connection

from shortener.safety import TargetUrlError, generate_codes, validate_target_url

# A link as people write it in a message: a scheme, then everything up to a space (or
# a character no URL contains unescaped). Trailing punctuation is the sentence's.
URL_IN_TEXT = re.compile(r"https?://[^\s<>\"{}|\\^`]+", re.IGNORECASE)
_TRAILING = ".,;:!?'\""


def _trim(url: str) -> str:
    while url and url[-1] in _TRAILING + ")]":
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break  # https://en.wikipedia.org/wiki/Foo_(bar)
        if url[-1] == "]" and url.count("[") >= url.count("]"):
            break
        url = url[:-1]
    return url


@dataclass(frozen=True)
class Split:
    """A text cut around the links to shorten: len(pieces) == len(targets) + 1."""

    pieces: tuple[str, ...]
    targets: tuple[str, ...]

    def fill(self, urls: Sequence[str]) -> str:
        out = [self.pieces[0]]
        for url, piece in zip(urls, self.pieces[1:], strict=True):
            out.append(url)
            out.append(piece)
        return "".join(out)


def split_links(text: str, checked: dict[str, str | None] | None = None) -> Split:
    """Cut `text` around its http(s) links that a short link may point to. A link that
    `validate_target_url` refuses (credentials, a private address...) stays as written.
    `checked` caches the verdicts across the messages of one launch."""
    checked = {} if checked is None else checked
    pieces: list[str] = []
    targets: list[str] = []
    position = 0
    for match in URL_IN_TEXT.finditer(text):
        url = _trim(match.group(0))
        if url not in checked:
            if _own_landing_page(url):
                checked[url] = url  # ours, even when SITE_ROOT is local (development)
            else:
                try:
                    checked[url] = validate_target_url(url)
                except TargetUrlError:
                    checked[url] = None
        target = checked[url]
        if target is None:
            continue
        pieces.append(text[position : match.start()])
        targets.append(target)
        position = match.start() + len(url)
    pieces.append(text[position:])
    return Split(tuple(pieces), tuple(targets))


_OWN_PAGE = re.compile(r"/p/[-a-zA-Z0-9_]+(\?[-a-zA-Z0-9_=&%.]*)?")


def _own_landing_page(url: str) -> bool:
    """A link to one of our landing pages (`SITE_ROOT/p/<slug>`), which is shortened
    even when the site runs on a private address, as in development."""
    root = settings.SITE_ROOT.rstrip("/")
    return url.startswith(root + "/p/") and bool(_OWN_PAGE.fullmatch(url[len(root) :]))


def code_length() -> int:
    """The code fills a 12-character short URL: SHORT_LINK_DOMAIN + "/" + code (8 without
    a domain, in development; never fewer than 5)."""
    domain = settings.SHORT_LINK_DOMAIN
    if not domain:
        return 8
    return max(5, 12 - len(domain) - 1)


def short_url_for(code: str) -> str:
    """The URL as it goes into an SMS: `domain/code`, or the app's own `/s/code`."""
    if settings.SHORT_LINK_DOMAIN:
        return f"{settings.SHORT_LINK_DOMAIN}/{code}"
    return f"{settings.SITE_ROOT.rstrip('/')}/s/{code}"


def placeholder_url() -> str:
    """What a link becomes in the editor's count and preview: a short URL of the real
    length, its code shown as x's (in the code alphabet, so the count is exact)."""
    return short_url_for("x" * code_length())


def draw_codes(count: int) -> list[str]:
    """`count` fresh codes: distinct, and not in the table (one indexed query per
    draw). A concurrent writer may still take one before our commit: its insert then
    fails on the unique index and is retried (a launch runs again; `link_create` draws
    again)."""
    from shortener.models import ShortLink

    length = code_length()
    codes: list[str] = []
    seen: set[str] = set()
    for _attempt in range(20):
        need = count - len(codes)
        if need <= 0:
            return codes
        fresh = [code for code in generate_codes(length, need) if code not in seen]
        fresh = list(dict.fromkeys(fresh))
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT code FROM shortener_shortlink WHERE code = ANY(%s)", [fresh])
                taken = {row[0] for row in cursor.fetchall()}
        else:
            taken = set(ShortLink.objects.filter(code__in=fresh).values_list("code", flat=True))
        for code in fresh:
            if code not in taken:
                seen.add(code)
                codes.append(code)
    if len(codes) < count:
        raise RuntimeError("no free short codes after 20 draws: lengthen the codes")
    return codes[:count]
