"""Sender IDs: the name or number an SMS appears to come from.

Two kinds reach a handset:

- alphanumeric: 3 to 11 ASCII letters, digits or spaces, with at least one letter
  ("MyShop", "Shop 2"). A sender made of digits and spaces only would go out as a
  number, so it must be written as one.
- numeric: 3 to 15 digits (a phone number or short code), sent without the "+".
"""

from django.utils.translation import gettext

ALPHANUMERIC_MAX = 11
NUMERIC_MAX = 15
SENDER_MIN = 3

_ALPHANUMERIC_CHARACTERS = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 "
)


class SenderIdError(ValueError):
    """A sender ID carriers would refuse or rewrite.

    ``code`` is one of: empty, invalid_characters, no_letter, too_short, too_long;
    ``message`` is translated into the active language.
    """

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(message)


def validate_sender_id(value: str) -> str:
    """Return the sender ID as it will be sent, or raise SenderIdError.

    Normalisation: whitespace at both ends is removed and a leading "+" before
    digits is dropped ("+33612345678" -> "33612345678"). Nothing else is changed:
    the case and the inner spaces are the customer's choice.
    """
    sender = value.strip()
    if sender.startswith("+") and sender[1:].isascii() and sender[1:].isdigit():
        sender = sender[1:]
    if not sender:
        raise SenderIdError("empty", gettext("Enter a sender ID."))

    if sender.isascii() and sender.isdigit():
        if len(sender) < SENDER_MIN:
            raise SenderIdError(
                "too_short",
                gettext("A numeric sender ID has at least %(min)d digits.") % {"min": SENDER_MIN},
            )
        if len(sender) > NUMERIC_MAX:
            raise SenderIdError(
                "too_long",
                gettext("A numeric sender ID has at most %(max)d digits.") % {"max": NUMERIC_MAX},
            )
        return sender

    if not _ALPHANUMERIC_CHARACTERS.issuperset(sender):
        raise SenderIdError(
            "invalid_characters",
            gettext(
                "A sender ID may only contain letters without accents (A-Z), digits and spaces."
            ),
        )
    if not any(char.isalpha() for char in sender):
        raise SenderIdError(
            "no_letter",
            gettext(
                "A sender ID needs at least one letter, or it is a number written without spaces."
            ),
        )
    if len(sender) < SENDER_MIN:
        raise SenderIdError(
            "too_short",
            gettext("A sender ID has at least %(min)d characters.") % {"min": SENDER_MIN},
        )
    if len(sender) > ALPHANUMERIC_MAX:
        raise SenderIdError(
            "too_long",
            gettext("A sender name has at most %(max)d characters (a number: %(digits)d digits).")
            % {"max": ALPHANUMERIC_MAX, "digits": NUMERIC_MAX},
        )
    return sender
