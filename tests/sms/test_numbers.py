"""Phone numbers as people type them, and the ones an SMS cannot reach."""

import pytest

from smsmode.sms.numbers import (
    ParsedNumber,
    PhoneNumberError,
    normalize_phone,
    operator_name,
    parse_phone,
)


@pytest.mark.parametrize(
    "raw",
    [
        "06 12 34 56 78",
        "0612345678",
        "+33612345678",
        "+33 6 12 34 56 78",
        "0033 6 12 34 56 78",
        "0033612345678",
        "+33 (0)6 12-34-56-78",
        "06.12.34.56.78",
        "06-12-34-56-78",
        "06/12/34/56/78",
        "  06 12 34 56 78  ",
        "06\u00a012\u00a034\u00a056\u00a078",  # non-breaking spaces, as spreadsheets write them
        "\u200e+33 6 12 34 56 78",  # a left-to-right mark from a copy-paste
    ],
)
def test_it_reads_every_common_french_format(raw):
    assert normalize_phone(raw, default_region="FR") == "+33612345678"


def test_it_returns_region_type_and_operator():
    assert parse_phone("06 12 34 56 78") == ParsedNumber(
        e164="+33612345678", region="FR", number_type="MOBILE", operator="SFR"
    )


@pytest.mark.parametrize(
    ("raw", "operator"),
    [
        # What phonenumbers knows: the operator the range was allocated to, not the
        # current one (numbers are portable), in its own spelling.
        ("06 12 34 56 78", "SFR"),
        ("06 07 12 34 56", "Orange France"),
        ("06 60 12 34 56", "Bouygues"),
        ("06 51 12 34 56", "Free Mobile"),
        ("07 51 12 34 56", "Lycamobile"),
    ],
)
def test_it_names_the_operator_of_a_french_mobile_range(raw, operator):
    assert parse_phone(raw).operator == operator


def test_it_leaves_the_operator_empty_when_phonenumbers_does_not_know_it():
    # 07 30 ... is a valid French mobile range without a carrier name in the data.
    parsed = parse_phone("07 30 12 34 56")
    assert parsed.number_type == "MOBILE"
    assert parsed.operator == ""


def test_operator_name_reads_an_e164_number():
    assert operator_name("+33612345678") == "SFR"
    assert operator_name("+32470123456") == "Proximus"


@pytest.mark.parametrize("e164", ["", "garbage", "+33145678901"])
def test_operator_name_is_empty_for_garbage_and_landlines(e164):
    assert operator_name(e164) == ""


def test_it_reads_a_belgian_number_with_belgium_as_the_default_region():
    parsed = parse_phone("0470 12 34 56", default_region="BE")
    assert (parsed.e164, parsed.region, parsed.operator) == ("+32470123456", "BE", "Proximus")


def test_it_reads_a_german_number_with_germany_as_the_default_region():
    parsed = parse_phone("0151 23456789", default_region="DE")
    assert (parsed.e164, parsed.region, parsed.operator) == ("+4915123456789", "DE", "T-Mobile")


def test_the_same_national_digits_mean_another_number_in_another_region():
    assert normalize_phone("0470 12 34 56", default_region="BE") == "+32470123456"
    with pytest.raises(PhoneNumberError):
        normalize_phone("0470 12 34 56", default_region="FR")


def test_it_accepts_a_lower_case_region():
    assert normalize_phone("06 12 34 56 78", default_region="fr") == "+33612345678"


def test_an_international_number_ignores_the_default_region():
    parsed = parse_phone("+44 7400 123456", default_region="FR")
    assert (parsed.e164, parsed.region, parsed.operator) == ("+447400123456", "GB", "Three")


def test_a_uk_prefix_may_belong_to_guernsey():
    # +44 7911 is allocated to JT in Guernsey: region is the number's, not its prefix's.
    parsed = parse_phone("+44 7911 123456", default_region="FR")
    assert (parsed.region, parsed.operator) == ("GG", "JT")


def test_it_accepts_fixed_line_or_mobile_where_the_plan_cannot_tell():
    parsed = parse_phone("+1 202 555 0123")
    assert (parsed.e164, parsed.region, parsed.number_type) == (
        "+12025550123",
        "US",
        "FIXED_LINE_OR_MOBILE",
    )


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("abc", "not_a_number"),
        ("06 12 34 56 7a", "not_a_number"),
        ("+33 6 12 34 56 78 ext 12", "not_a_number"),
        ("1-800-FLOWERS", "not_a_number"),
        ("--", "not_a_number"),
        ("06#12#34#56#78", "not_a_number"),
        ("1", "too_short"),
        ("+33", "too_short"),
        ("06 12 34 56", "too_short"),
        ("+33 6 12 34 56", "too_short"),
        ("06 12 34 56 78 90", "too_long"),
        ("12345678901234567890", "too_long"),
        ("061234567", "invalid"),  # nine digits with a leading 0: no such French number
        ("07 00 00 00 00", "invalid"),
        ("+44 7700 900123", "invalid"),  # Ofcom's range reserved for TV dramas
        ("+999 123456789", "invalid_country"),
        ("01 45 67 89 01", "not_mobile"),  # fixed line
        ("09 12 34 56 78", "not_mobile"),  # VoIP
        ("08 00 12 34 56", "not_mobile"),  # toll-free
        ("08 99 12 34 56", "not_mobile"),  # premium rate
        ("08 10 12 34 56", "not_mobile"),  # shared cost
        ("+800 1234 5678", "not_mobile"),  # international freephone
    ],
)
def test_it_refuses_with_a_code(raw, code):
    with pytest.raises(PhoneNumberError) as caught:
        parse_phone(raw, default_region="FR")
    assert caught.value.code == code
    assert str(caught.value) == caught.value.message != ""


def test_an_unknown_default_region_is_an_invalid_country():
    with pytest.raises(PhoneNumberError) as caught:
        parse_phone("06 12 34 56 78", default_region="XX")
    assert caught.value.code == "invalid_country"


def test_a_phone_number_error_is_a_value_error():
    with pytest.raises(ValueError, match="too short"):
        normalize_phone("+33")


def test_normalize_phone_refuses_what_parse_phone_refuses():
    with pytest.raises(PhoneNumberError) as caught:
        normalize_phone("01 45 67 89 01", default_region="FR")
    assert caught.value.code == "not_mobile"


def test_the_message_tells_the_user_what_is_wrong():
    with pytest.raises(PhoneNumberError) as caught:
        parse_phone("09 12 34 56 78")
    assert caught.value.message == (
        "This number cannot receive SMS (landline, internet, toll-free or premium-rate number)."
    )
