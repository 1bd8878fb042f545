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

``normalize_phone_fast`` is ``normalize_phone`` for bulk imports, over ten times
faster: for the shapes people usually write ("06 12 34 56 78", "+33 6 12 34 56 78",
"0033612345678", "33612345678" ...) it redoes phonenumbers' parsing and typing with
regexes compiled once per country, and it hands everything else to
``normalize_phone``, every number to refuse included, so that the answer and the
error code are always the ones ``normalize_phone`` gives.
"""

import re
from dataclasses import dataclass
from typing import Final

import phonenumbers
from django.utils.translation import gettext, gettext_noop
from phonenumbers import (
    COUNTRY_CODE_TO_REGION_CODE,
    NumberParseException,
    PhoneMetadata,
    PhoneNumberType,
    ValidationResult,
    carrier,
)

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


# phonenumbers' carrier data names ranges by at most 9 digits after the "+" (its
# CARRIER_LONGEST_PREFIX), and a number's type follows from its leading digits and its
# length: numbers alike in both have one operator.
_OPERATORS: dict[tuple[str, int], str] = {}


def operator_of(e164: str) -> str:
    """operator_name, remembered per range: a million messages cost a few thousand
    lookups (the launch and the statistics call it for every message)."""
    key = (e164[:10], len(e164))
    name = _OPERATORS.get(key)
    if name is None:
        if len(_OPERATORS) > 100_000:  # numbers of every country of the world
            _OPERATORS.clear()
        name = _OPERATORS[key] = operator_name(e164)
    return name


# ---------------------------------------------------------------------------
# Fast path. Every step below mirrors one of phonenumbers.phonenumberutil (9.0.43):
# parse, _maybe_extract_country_code, _maybe_strip_national_prefix_carrier_code,
# _test_number_length and _number_type_helper. Wherever a step could go more than
# one way, the fast path gives up (returns None) and normalize_phone decides.

# Only the characters that _PHONE_CHARACTERS accepts *and* phonenumbers treats as
# punctuation anywhere in a number (_VALID_PUNCTUATION): the other ones
# _PHONE_CHARACTERS lets through (tabs, narrow no-break spaces, direction marks)
# make phonenumbers refuse the number when they sit between two digits.
_FAST_SEPARATORS: Final = " \u00a0\u3000()-./\u2010\u2011\u2012\u2013\u2014\u2015\u2212"
_DELETE_SEPARATORS: Final = str.maketrans("", "", _FAST_SEPARATORS)
# bytes.translate is several times faster than str.translate, and imports are ASCII.
_ASCII_SEPARATORS: Final = _FAST_SEPARATORS.encode("ascii", "ignore")

_MAX_INPUT_LENGTH: Final = 250  # phonenumbers' _MAX_INPUT_STRING_LENGTH
_MIN_NSN_LENGTH: Final = 2  # _MIN_LENGTH_FOR_NSN
_MAX_NSN_LENGTH: Final = 17  # _MAX_LENGTH_FOR_NSN
_COUNTRY_CODES: Final = {str(code): code for code in COUNTRY_CODE_TO_REGION_CODE}
_UNUSABLE_LENGTHS: Final = (
    ValidationResult.TOO_SHORT,
    ValidationResult.IS_POSSIBLE_LOCAL_ONLY,
    ValidationResult.INVALID_LENGTH,
)
_MISSING: Final = object()


def _pattern_for_length(desc, length: int) -> str | None:
    """The pattern of ``desc`` if _is_number_matching_desc can accept that length."""
    if desc is None or not desc.national_number_pattern:
        return None
    if desc.possible_length and length not in desc.possible_length:
        return None
    return desc.national_number_pattern


class _Plan:
    """What the fast path needs of the metadata of one calling code."""

    __slots__ = (
        "country_code",
        "general_pattern",
        "lengths",
        "local_lengths",
        "metadata",
        "national_prefix",
        "prefix_transform",
        "sms_patterns",
    )

    def __init__(self, metadata) -> None:
        general = metadata.general_desc
        self.metadata = metadata
        self.country_code = str(metadata.country_code)
        prefix = metadata.national_prefix_for_parsing
        self.national_prefix = re.compile(prefix) if prefix else None
        self.prefix_transform = bool(metadata.national_prefix_transform_rule)
        pattern = general.national_number_pattern
        self.general_pattern = re.compile(pattern) if pattern else None
        self.lengths = tuple(general.possible_length)
        self.local_lengths = frozenset(general.possible_length_local_only)
        self.sms_patterns: dict[int, re.Pattern[str] | None] = {}

    def viable(self, number: str) -> bool:
        """_match_national_number(number, general_desc): the pattern, not the lengths."""
        pattern = self.general_pattern
        return pattern is not None and pattern.fullmatch(number) is not None

    def strip_national_prefix(self, number: str) -> str | None:
        """_maybe_strip_national_prefix_carrier_code; None when a transform rule applies."""
        if not number or self.national_prefix is None:
            return number
        match = self.national_prefix.match(number)
        if match is None:
            return number
        if self.prefix_transform:
            return None
        stripped = number[match.end() :]
        if self.viable(number) and not self.viable(stripped):
            return number
        return stripped

    def length_result(self, length: int) -> int:
        """_test_number_length(number, metadata) for the UNKNOWN type."""
        if length in self.local_lengths:
            return ValidationResult.IS_POSSIBLE_LOCAL_ONLY
        lengths = self.lengths
        if lengths[0] == length:
            return ValidationResult.IS_POSSIBLE
        if lengths[0] > length:
            return ValidationResult.TOO_SHORT
        if lengths[-1] < length:
            return ValidationResult.TOO_LONG
        if length in lengths[1:]:
            return ValidationResult.IS_POSSIBLE
        return ValidationResult.INVALID_LENGTH

    def receives_sms(self, nsn: str) -> bool:
        """_number_type_helper(nsn, metadata) in SMS_NUMBER_TYPES."""
        pattern = self.sms_patterns.get(len(nsn), _MISSING)
        if pattern is _MISSING:
            pattern = self.sms_patterns[len(nsn)] = self._sms_pattern(len(nsn))
        return pattern is not None and pattern.fullmatch(nsn) is not None

    def _sms_pattern(self, length: int) -> re.Pattern[str] | None:
        """One regex for _number_type_helper's whole walk, for the NSNs of one length.

        Running the dozen patterns of a country one by one costs more than the
        rest of the fast path together. _number_type_helper answers MOBILE or
        FIXED_LINE_OR_MOBILE exactly when the number matches the general desc,
        none of the types it checks first (premium rate ... voicemail), and the
        mobile desc (or the fixed-line one when both patterns are the same).
        Descs whose possible lengths exclude ``length`` cannot match: left out.
        """
        metadata = self.metadata
        general = _pattern_for_length(metadata.general_desc, length)
        sms_desc = (
            metadata.fixed_line if metadata.same_mobile_and_fixed_line_pattern else metadata.mobile
        )
        sms = _pattern_for_length(sms_desc, length)
        if general is None or sms is None:
            return None
        other_descs = (
            metadata.premium_rate,
            metadata.toll_free,
            metadata.shared_cost,
            metadata.voip,
            metadata.personal_number,
            metadata.pager,
            metadata.uan,
            metadata.voicemail,
        )
        others = [p for p in (_pattern_for_length(d, length) for d in other_descs) if p]
        # Metadata patterns use neither backreferences nor inline flags, so they nest.
        pattern = rf"(?=(?:{general})\Z)"
        if others:
            pattern += "(?!(?:" + "|".join(f"(?:{p})" for p in others) + r")\Z)"
        return re.compile(f"{pattern}(?:{sms})")


def _build_plan(country_code: int) -> _Plan | None:
    regions = COUNTRY_CODE_TO_REGION_CODE.get(country_code, ())
    # With several regions (+1, +44, +7 ...) number_type first picks the region
    # number by number: not worth redoing.
    if len(regions) != 1:
        return None
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(country_code, regions[0])
    if metadata is None or not metadata.general_desc.possible_length:
        return None
    return _Plan(metadata)


class _Home:
    """The default region: its international prefix and its own plan."""

    __slots__ = ("international_prefix", "plan")

    def __init__(self, metadata) -> None:
        prefix = metadata.international_prefix
        self.international_prefix = re.compile(prefix) if prefix is not None else None
        self.plan = _plan(metadata.country_code)


def _build_home(region: str) -> _Home | None:
    code = region.upper() if isinstance(region, str) else None
    if code not in phonenumbers.SUPPORTED_REGIONS:
        return None
    metadata = PhoneMetadata.metadata_for_region(code, None)
    return _Home(metadata) if metadata is not None else None


# Built on first use: an import only ever meets a handful of countries.
_PLANS: dict[int, _Plan | None] = {}
_HOMES: dict[str, _Home | None] = {}


def _plan(country_code: int) -> _Plan | None:
    plan = _PLANS.get(country_code, _MISSING)
    if plan is _MISSING:
        plan = _PLANS[country_code] = _build_plan(country_code)
    return plan


def _fast_e164(raw: str, default_region: str) -> str | None:
    """The E.164 form normalize_phone would return, or None when not certain."""
    if not raw or len(raw) > _MAX_INPUT_LENGTH:
        return None
    if raw.isascii():
        digits = raw.encode().translate(None, _ASCII_SEPARATORS).decode()
    else:
        digits = raw.translate(_DELETE_SEPARATORS)
    plus = digits[:1] == "+"
    if plus:
        digits = digits[1:]
    # Non-ASCII digits, a second "+", letters, tabs ...: phonenumbers' business.
    if not (digits.isascii() and digits.isdigit()):
        return None
    home = _HOMES.get(default_region, _MISSING)
    if home is _MISSING:
        home = _HOMES[default_region] = _build_home(default_region)
    if home is None:
        return None

    international = None
    if plus:
        international = digits
    elif home.international_prefix is not None:
        match = home.international_prefix.match(digits)
        # A 0 after the prefix cannot start a country code: phonenumbers then reads
        # the whole number as national.
        if match is not None and digits[match.end() : match.end() + 1] != "0":
            international = digits[match.end() :]

    if international is not None:
        if len(international) <= _MIN_NSN_LENGTH or international[0] == "0":
            return None
        for size in (1, 2, 3):
            country_code = _COUNTRY_CODES.get(international[:size])
            if country_code is not None:
                break
        else:
            return None
        plan = _plan(country_code)
        if plan is None:
            return None
        national = international[size:]
    else:
        plan = home.plan
        if plan is None:
            return None
        national = digits
        if digits.startswith(plan.country_code):
            # The country code without + or 00 ("33612345678"): phonenumbers drops
            # it when the rest looks better than the whole.
            rest = plan.strip_national_prefix(digits[len(plan.country_code) :])
            if rest is None:
                return None
            if (not plan.viable(digits) and plan.viable(rest)) or plan.length_result(
                len(digits)
            ) == ValidationResult.TOO_LONG:
                national = rest

    if len(national) < _MIN_NSN_LENGTH:
        return None
    stripped = plan.strip_national_prefix(national)
    if stripped is None:
        return None
    nsn = stripped if plan.length_result(len(stripped)) not in _UNUSABLE_LENGTHS else national
    # A leading 0 kept in the NSN (Italy, Ivory Coast) goes through phonenumbers'
    # "Italian leading zero" bookkeeping: left to the slow path.
    if not _MIN_NSN_LENGTH <= len(nsn) <= _MAX_NSN_LENGTH or nsn[0] == "0":
        return None
    if not plan.receives_sms(nsn):
        return None
    return "+" + plan.country_code + nsn


def normalize_phone_fast(raw: str, *, default_region: str = "FR") -> str:
    """normalize_phone, over ten times faster on the usual shapes of numbers.

    Same result, same PhoneNumberError codes: whatever the fast path is not certain
    about, including every number to refuse, goes to normalize_phone.
    """
    e164 = _fast_e164(raw, default_region)
    if e164 is None:
        return normalize_phone(raw, default_region=default_region)
    return e164
