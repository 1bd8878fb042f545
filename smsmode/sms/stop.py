"""The STOP mention on marketing SMS, and recognising STOP replies.

Outbound: every marketing SMS ends with "STOP <code>" on its own line; the code is
the account's (set by staff) or the platform's (settings.SMS_STOP_CODE).

Inbound: a reply is a stop request when its *first word* is a stop keyword, after
folding case and accents and treating punctuation as spaces. The keyword may be
glued to the short code ("STOP36180"). So "Stop", " stop! ", "STOP 36180",
"Arrêt", "STOP SMS", "Stop, merci" are requests; "Stopper la promo ?", "non-stop"
and "bus stop" are not (the first word is not a keyword).

Keywords (STOP_KEYWORDS): STOP, STOPSMS, STOPPUB, STOPALL, ARRET, DESABONNER,
DESABONNEMENT, DESINSCRIRE, DESINSCRIPTION, UNSUBSCRIBE. The US CTIA words CANCEL,
END and QUIT are left out on purpose: "Cancel" or "Annuler" answers an appointment
reminder (a notification) and must not unsubscribe the customer from marketing.
"""

import re
import unicodedata
from typing import Protocol

from django.conf import settings

STOP_KEYWORDS = frozenset(
    {
        "STOP",
        "STOPSMS",
        "STOPPUB",
        "STOPALL",
        "ARRET",
        "DESABONNER",
        "DESABONNEMENT",
        "DESINSCRIRE",
        "DESINSCRIPTION",
        "UNSUBSCRIBE",
    }
)

_FIRST_WORD = re.compile(r"[^A-Z0-9]*([A-Z]+)[0-9]*(?:[^A-Z0-9]|$)")


class HasStopCode(Protocol):
    stop_code: str


def stop_code_for(account: HasStopCode) -> str:
    """The short code of the account's STOP mention: its own, else the platform's."""
    return (account.stop_code or "").strip() or settings.SMS_STOP_CODE


def stop_mention(code: str) -> str:
    """The mention itself, "STOP 36180". Raises ValueError for a blank code."""
    code = code.strip()
    if not code:
        raise ValueError("A STOP mention needs a short code.")
    return f"STOP {code}"


def with_stop_mention(body: str, *, code: str) -> str:
    """The body with the STOP mention on a last line of its own.

    Trailing whitespace of the body is removed first. Idempotent: a body that
    already ends with this exact mention (as a separate word) is returned as is,
    so rendering twice never doubles it. An empty body becomes the mention alone.
    """
    mention = stop_mention(code)
    body = body.rstrip()
    if not body:
        return mention
    if body.endswith(mention) and (len(body) == len(mention) or body[-len(mention) - 1].isspace()):
        return body
    return f"{body}\n{mention}"


def _fold(text: str) -> str:
    # "Arrêt" -> "ARRET": decompose, drop what is not ASCII (the accents), upper-case.
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").upper()


def is_stop_request(text: str) -> bool:
    """True when an inbound reply asks to stop marketing SMS (see the module docstring)."""
    match = _FIRST_WORD.match(_fold(text))
    return match is not None and match.group(1) in STOP_KEYWORDS
