"""Phone numbers: parse what people type or import, keep what an SMS can reach.

Built on Google's rules (the ``phonenumbers`` library). Called once per row of
contact imports, so it compiles nothing per call and touches no database.

Which numbers are accepted (``SMS_NUMBER_TYPES``):

- ``MOBILE``: the only type that certainly receives SMS.
- ``FIXED_LINE_OR_MOBILE``: countries whose numbering plan does not tell the two
  apart (United States, Canada, China ...). Refusing them would refuse every
  number of those countries.

Refused with the code ``not_mobile``: ``FIXED_LINE`` (French 01-05), ``VOIP``
(French 09: SMS to them is not deliverable in general), ``TOLL_FREE`` (0800),
``PREMIUM_RATE`` (089x), ``SHARED_COST`` (081x), ``PERSONAL_NUMBER`` (UK 070 and
the like: call-forwarding numbers, which carriers do not route SMS to), ``PAGER``,
``UAN`` and ``VOICEMAIL``.

The operator is the one the number range was *allocated* to. Numbers move between
operators (portability), so it is good for a statistics chart, not for routing.
"""

import re
from dataclasses import dataclass

import phonenumbers
from django.utils.translation import gettext, gettext_noop
from phonenumbers import NumberParseException, PhoneNumberType, ValidationResult, carrier

SMS_NUMBER_TYPES = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})

_TYPE_NAMES = {
    value: name
    for name, value in vars(PhoneNumberType).items()
    if name.isupper() and isinstance(value, int)
}

# What a phone number may be written with: digits, spaces (any kind, including the
# non-breaking ones spreadsheets produce), + ( ) - . / and the invisible direction
# marks that copy-paste brings along. A letter means garbage, a vanity number
# ("1-800-FLOWERS") or an extension ("ext. 12"): none of them can receive an SMS.
_PHONE_CHARACTERS = re.compile(r"[\d\s+()\-./\u2010-\u2015\u2212\u200e\u200f\u202a-\u202e\ufeff]*")
_HAS_DIGIT = re.compile(r"\d")

_MESSAGES = {
    "empty": gettext_noop("Enter a phone number."),
    "not_a_number": gettext_noop(
        "This is not a phone number: use only digits, spaces and + ( ) - . /"
    ),
    "too_short": gettext_noop("This phone number is too short."),
    "too_long": gettext_noop("This phone number is too long."),
    "invalid": gettext_noop("This phone number does not exist in its country's numbering plan."),
    "not_mobile": gettext_noop(
        "This number cannot receive SMS (landline, internet, toll-free or premium-rate number)."
    ),
    "invalid_country": gettext_noop(
        "Unknown country: add the international prefix, e.g. +33 for France."
    ),
}

_PARSE_ERRORS = {
    NumberParseException.INVALID_COUNTRY_CODE: "invalid_country",
    NumberParseException.TOO_SHORT_AFTER_IDD: "too_short",
    NumberParseException.TOO_SHORT_NSN: "too_short",
    NumberParseException.TOO_LONG: "too_long",
}

_LENGTH_ERRORS = {
    ValidationResult.TOO_SHORT: "too_short",
    ValidationResult.IS_POSSIBLE_LOCAL_ONLY: "too_short",  # the area code is missing
    ValidationResult.TOO_LONG: "too_long",
    ValidationResult.INVALID_COUNTRY_CODE: "invalid_country",
}


class PhoneNumberError(ValueError):
    """A number an SMS cannot be sent to.

    ``code`` is one of: empty, not_a_number, too_short, too_long, invalid,
    not_mobile, invalid_country (imports count excluded rows by it); ``message``
    is translated into the active language.
    """

    def __init__(self, code: str) -> None:
        self.code = code
        self.message = gettext(_MESSAGES[code])
        super().__init__(self.message)


@dataclass(frozen=True, slots=True)
class ParsedNumber:
    e164: str  # "+33612345678"
    region: str  # ISO 3166 code of the number itself ("GB" for +44 7400 ...), "001" if global
    number_type: str  # a phonenumbers.PhoneNumberType name: "MOBILE", "FIXED_LINE_OR_MOBILE"
    operator: str  # the operator the range was allocated to, in English; "" when unknown


def parse_phone(raw: str, *, default_region: str = "FR") -> ParsedNumber:
    """Parse a number as people write it and promise it can receive an SMS.

    Accepts national and international forms: "06 12 34 56 78", "06.12.34.56.78",
    "+33612345678", "0033 6 12 34 56 78", "+33 (0)6 12-34-56-78". A number without
    an international prefix is read as from ``default_region`` (the account's
    country). Raises PhoneNumberError otherwise; never touches the database.
    """
    text = raw.strip() if raw else ""
    if not text:
        raise PhoneNumberError("empty")
    if not _PHONE_CHARACTERS.fullmatch(text) or not _HAS_DIGIT.search(text):
        raise PhoneNumberError("not_a_number")
    try:
        number = phonenumbers.parse(text, default_region.upper())
    except NumberParseException as exc:
        # With only phone characters and at least one digit, "not a number" means
        # too few digits ("1", "+33").
        raise PhoneNumberError(_PARSE_ERRORS.get(exc.error_type, "too_short")) from None

    number_type = phonenumbers.number_type(number)  # UNKNOWN for an invalid number
    if number_type == PhoneNumberType.UNKNOWN:
        reason = phonenumbers.is_possible_number_with_reason(number)
        raise PhoneNumberError(_LENGTH_ERRORS.get(reason, "invalid"))
    if number_type not in SMS_NUMBER_TYPES:
        raise PhoneNumberError("not_mobile")
    return ParsedNumber(
        e164=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
        region=phonenumbers.region_code_for_number(number) or "",
        number_type=_TYPE_NAMES[number_type],
        operator=carrier.name_for_valid_number(number, "en"),
    )


def normalize_phone(raw: str, *, default_region: str = "FR") -> str:
    """The E.164 form ("+33612345678") of a number that can receive SMS.

    Raises PhoneNumberError exactly when parse_phone does.
    """
    return parse_phone(raw, default_region=default_region).e164


def operator_name(e164: str) -> str:
    """The operator the number's range was allocated to, in English ("Orange France").

    "" when phonenumbers does not know it, when the number is not a mobile one, or
    when ``e164`` is not a number at all: it feeds a chart, it never raises.
    """
    try:
        number = phonenumbers.parse(e164, None)
    except NumberParseException:
        return ""
    return carrier.name_for_number(number, "en")
