"""How many SMS a text costs: GSM 03.38 or UCS-2, units, segments, and the parts themselves.

A wrong segment count is a wrong bill, so this module is exact rather than fast, and
``static/js/sms-counter.js`` is its twin for the live counter in the browser. Both are
checked against ``tests/sms/vectors.json`` and against each other; change them together.

The rules:

- A text is GSM-7 when every character is in the GSM 03.38 basic table (1 septet) or its
  extension table (escape + character, 2 septets). One other character makes the whole
  text UCS-2, counted in UTF-16 code units (a character outside the BMP counts 2).
- One part holds 160 septets or 70 UCS-2 units. A longer text is sent as concatenated
  parts of 153 septets or 67 units (the rest of each PDU carries the UDH).
- An escape sequence and a surrogate pair are never split across two parts, so parts
  are filled greedily, character by character; dividing units by 153 would undercount.

Characters are taken as they are: CR and LF are one septet each (so CRLF costs two),
nothing is normalised, and a raw ESC character (U+001B) is not GSM text.

Pure Python: Django is only touched for the default of ``validate_body`` and for the
translation of its messages, both at call time.
"""

# ruff: noqa: RUF003  (the look-alike characters are the subject of the comments)
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

from django.conf import settings
from django.utils.translation import gettext

__all__ = [
    "GSM7",
    "UCS2",
    "SmsBodyError",
    "SmsCount",
    "analyze",
    "count_segments",
    "is_gsm_char",
    "replace_unicode",
    "split_segments",
    "suggest_replacements",
    "validate_body",
]

Encoding = Literal["GSM7", "UCS2"]
GSM7: Encoding = "GSM7"
UCS2: Encoding = "UCS2"

# GSM 03.38 default alphabet in septet order 0x00-0x7F (3GPP TS 23.038 §6.2.1): the
# SMPP codec encodes with it. 0x1B is the escape to the extension table, never a
# character a text can contain. 0x09 is Ç, as in the original table and the Unicode
# mapping (GSM0338.TXT): "ç" is not GSM and forces UCS-2.
GSM_DEFAULT_ALPHABET = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
GSM_BASIC = frozenset(GSM_DEFAULT_ALPHABET) - {"\x1b"}
# The extension table: each is sent as ESC (0x1B) + its code, so it costs two septets.
# Form feed (ESC 0x0A) is in the table and counted like the others.
GSM_EXTENSION_CODES = {
    "\f": 0x0A,
    "^": 0x14,
    "{": 0x28,
    "}": 0x29,
    "\\": 0x2F,
    "[": 0x3C,
    "~": 0x3D,
    "]": 0x3E,
    "|": 0x40,
    "€": 0x65,
}
GSM_EXTENSION = frozenset(GSM_EXTENSION_CODES)

SINGLE_PART = {GSM7: 160, UCS2: 70}
MULTI_PART = {GSM7: 153, UCS2: 67}

# The characters that slip into texts pasted from a word processor or typed on a phone,
# and their GSM look-alikes. Deliberately typographic only: dropping an accent (ê → e,
# ç → c) or a ligature (œ → oe) changes the spelling, which is the author's call.
REPLACEMENTS: dict[str, str] = {
    # Single quotes, apostrophes, primes and stray accents.
    "\u2018": "'",  # ‘
    "\u2019": "'",  # ’
    "\u201a": "'",  # ‚
    "\u201b": "'",  # ‛
    "\u2032": "'",  # ′
    "\u2039": "'",  # ‹
    "\u203a": "'",  # ›
    "\u0060": "'",  # `
    "\u00b4": "'",  # ´
    # Double quotes and guillemets.
    "\u201c": '"',  # “
    "\u201d": '"',  # ”
    "\u201e": '"',  # „
    "\u201f": '"',  # ‟
    "\u2033": '"',  # ″
    "\u00ab": '"',  # «
    "\u00bb": '"',  # »
    # Hyphens, dashes and the minus sign.
    "\u2010": "-",  # hyphen
    "\u2011": "-",  # non-breaking hyphen
    "\u2012": "-",  # figure dash
    "\u2013": "-",  # – en dash
    "\u2014": "-",  # — em dash
    "\u2015": "-",  # ― horizontal bar
    "\u2212": "-",  # − minus sign
    # Ellipsis and bullet.
    "\u2026": "...",  # …
    "\u2022": "-",  # •
    # Spaces that look like a space: tab, no-break (French typography puts a narrow one
    # before ; : ! ?), the typographic widths, the ideographic space.
    "\t": " ",
    "\u00a0": " ",
    "\u2000": " ",
    "\u2001": " ",
    "\u2002": " ",
    "\u2003": " ",
    "\u2004": " ",
    "\u2005": " ",
    "\u2006": " ",
    "\u2007": " ",
    "\u2008": " ",
    "\u2009": " ",
    "\u200a": " ",
    "\u202f": " ",
    "\u205f": " ",
    "\u3000": " ",
    # Invisible characters that only cost money. The zero-width joiners are kept: they
    # glue emoji together, and a text with emoji is UCS-2 anyway.
    "\u00ad": "",  # soft hyphen
    "\u200b": "",  # zero-width space
    "\u2060": "",  # word joiner
    "\ufeff": "",  # byte order mark / zero-width no-break space
}


@dataclass(frozen=True, slots=True)
class SmsCount:
    """What a text costs. Field names are those of the JavaScript counter's result."""

    encoding: Encoding
    characters: int  # Unicode code points, what a person would call characters
    units: int  # septets for GSM-7, UTF-16 code units for UCS-2
    segments: int  # SMS parts billed; 0 for the empty text
    per_segment: int  # 160/70 for a single part, 153/67 once the text is split
    remaining: int  # units still free in the last part before another one is needed
    unicode_chars: list[str]  # the characters that forced UCS-2, in order, without repeats

    def as_dict(self) -> dict[str, object]:
        """The same dictionary the JavaScript ``analyze`` returns (for JSON views)."""
        return asdict(self)


class SmsBodyError(ValueError):
    """A body that must not be sent; ``message`` is translated and meant for the user.

    ``code`` is "empty", "blank" or "too_long"; ``count`` is the analysis when there is one.
    """

    def __init__(self, message: str, *, code: str, count: SmsCount | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.count = count


def is_gsm_char(ch: str) -> bool:
    """True when the character can be sent in GSM-7 (basic or extension table)."""
    return ch in GSM_BASIC or ch in GSM_EXTENSION


def _unicode_chars(text: str) -> list[str]:
    return list(dict.fromkeys(ch for ch in text if not is_gsm_char(ch)))


def _weights(text: str, encoding: Encoding) -> list[int]:
    """Units of each code point, in order: what one character costs and cannot split."""
    if encoding == GSM7:
        return [2 if ch in GSM_EXTENSION else 1 for ch in text]
    # A Python str may hold a lone surrogate (never a valid SMS, but it must not crash
    # the counter): it is one UTF-16 unit, as it is for JavaScript.
    return [2 if ord(ch) > 0xFFFF else 1 for ch in text]


def _part_bounds(weights: list[int], encoding: Encoding) -> list[tuple[int, int, int]]:
    """(start, end, units) of each part: one part if it fits, else greedy fill."""
    total = sum(weights)
    if total == 0:
        return []
    if total <= SINGLE_PART[encoding]:
        return [(0, len(weights), total)]
    limit = MULTI_PART[encoding]
    bounds = []
    start, used = 0, 0
    for index, weight in enumerate(weights):
        if used + weight > limit:
            bounds.append((start, index, used))
            start, used = index, 0
        used += weight
    bounds.append((start, len(weights), used))
    return bounds


def _encoding_of(unicode_chars: list[str]) -> Encoding:
    return UCS2 if unicode_chars else GSM7


def analyze(text: str) -> SmsCount:
    """Count what ``text`` costs, exactly as the gateway will split it.

    The empty text is GSM-7, 0 segments, with a whole first part (160) remaining.
    """
    unicode_chars = _unicode_chars(text)
    encoding = _encoding_of(unicode_chars)
    bounds = _part_bounds(_weights(text, encoding), encoding)
    units = sum(part_units for _, _, part_units in bounds)
    per_segment = MULTI_PART[encoding] if len(bounds) > 1 else SINGLE_PART[encoding]
    last_part_units = bounds[-1][2] if bounds else 0
    return SmsCount(
        encoding=encoding,
        characters=len(text),
        units=units,
        segments=len(bounds),
        per_segment=per_segment,
        remaining=per_segment - last_part_units,
        unicode_chars=unicode_chars,
    )


def count_segments(text: str) -> tuple[Encoding, int]:
    """(encoding, segments) of ``text``, as ``analyze`` gives them, in bulk.

    A campaign launch counts every rendered message: a text of basic GSM characters
    only (no extension character, so nothing can straddle two parts) is counted from
    its length at once; anything else goes through ``analyze``.
    """
    if GSM_BASIC.issuperset(text):
        units = len(text)
        if units == 0:
            return GSM7, 0
        if units <= SINGLE_PART[GSM7]:
            return GSM7, 1
        return GSM7, -(-units // MULTI_PART[GSM7])
    count = analyze(text)
    return count.encoding, count.segments


def split_segments(text: str) -> list[str]:
    """The parts the text is sent as, in order; joined, they give back ``text``.

    Never splits an escape sequence or a surrogate pair; the empty text has no parts.
    ``len(split_segments(text)) == analyze(text).segments`` always holds.
    """
    encoding = _encoding_of(_unicode_chars(text))
    return [text[start:end] for start, end, _ in _part_bounds(_weights(text, encoding), encoding)]


def suggest_replacements(text: str) -> dict[str, str]:
    """The typographic characters of ``text`` that have a GSM look-alike, mapped to it.

    In order of first appearance. Only characters that force UCS-2 are suggested; the
    text may still be UCS-2 after replacement if it holds other characters (emoji, ç…).
    """
    return {ch: REPLACEMENTS[ch] for ch in dict.fromkeys(text) if ch in REPLACEMENTS}


def replace_unicode(text: str) -> str:
    """``text`` with every suggested replacement applied; the rest is left untouched."""
    return text.translate(str.maketrans(REPLACEMENTS))


def validate_body(text: str, *, max_segments: int | None = None) -> SmsCount:
    """The analysis of a body that may be sent, or ``SmsBodyError``.

    Refuses the empty text ("empty"), a text of only whitespace ("blank") and a text of
    more than ``max_segments`` parts ("too_long"; default ``settings.SMS_MAX_SEGMENTS``).
    """
    if text == "":
        raise SmsBodyError(gettext("The message is empty."), code="empty")
    count = analyze(text)
    if text.strip() == "":
        raise SmsBodyError(
            gettext("The message contains only spaces or line breaks."), code="blank", count=count
        )
    limit = settings.SMS_MAX_SEGMENTS if max_segments is None else max_segments
    if count.segments > limit:
        raise SmsBodyError(
            gettext("This message is %(segments)d SMS long; the maximum is %(maximum)d.")
            % {"segments": count.segments, "maximum": limit},
            code="too_long",
            count=count,
        )
    return count
