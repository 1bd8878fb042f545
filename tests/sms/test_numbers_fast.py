"""normalize_phone_fast: the same answers as normalize_phone, and error codes, faster.

The fast path redoes part of phonenumbers' parsing; these tests hold it to the slow
path on random input, on the example numbers of every region and type, and on the
shapes contact imports are made of.
"""

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from phonenumbers import PhoneNumberFormat, PhoneNumberType
from phonenumbers import phonenumberutil as pnu

from smsmode.sms import numbers
from smsmode.sms.numbers import PhoneNumberError, normalize_phone, normalize_phone_fast

DEFAULT_REGIONS = ["FR", "BE", "CH", "DE", "GB", "US", "IT", "ES", "RE"]

NUMBER_TYPES = [
    value
    for name, value in vars(PhoneNumberType).items()
    if name.isupper() and isinstance(value, int) and value != PhoneNumberType.UNKNOWN
]

# Every character a number may be written with, and a few it may not, so that the
# generated input also reaches the refusals: tabs, narrow no-break spaces and direction
# marks between digits, a second +, letters, Arabic-Indic digits.
SEPARATORS = [
    " ",
    " ",
    "\u00a0",
    "\u202f",
    "\u3000",
    "\t",
    ".",
    "-",
    "(",
    ")",
    "/",
    "\u2010",
    "\u2013",
    "\u2212",
    "\u200e",
    "\ufeff",
    "+",
    "x",
    "\u0661",
]


def outcome(function, raw, region):
    """What a call gives: the E.164 string, or the error it raises."""
    try:
        return function(raw, default_region=region)
    except PhoneNumberError as exc:
        return ("PhoneNumberError", exc.code)
    except Exception as exc:  # whatever the slow path does, the fast one must do too
        return (type(exc).__name__,)


def assert_agree(raw, region):
    assert outcome(normalize_phone_fast, raw, region) == outcome(normalize_phone, raw, region), (
        raw,
        region,
    )


@st.composite
def sprinkled(draw, text):
    """``text`` with separators drawn at random inserted between its characters."""
    out = []
    for char in text:
        if draw(st.integers(0, 3)) == 0:
            out.append(draw(st.sampled_from(SEPARATORS)))
        out.append(char)
    if draw(st.booleans()):
        out.append(draw(st.sampled_from(SEPARATORS)))
    return "".join(out)


digit_strings = st.builds(
    lambda prefix, digits: prefix + digits,
    st.sampled_from(["", "+", "00", "0", "011", "+0", "33", "+33", "0033", "+330"]),
    st.text("0123456789", min_size=1, max_size=17),
)


@st.composite
def example_numbers(draw):
    region = draw(st.sampled_from(sorted(phonenumbers.SUPPORTED_REGIONS)))
    number = phonenumbers.example_number_for_type(region, draw(st.sampled_from(NUMBER_TYPES)))
    if number is None:
        number = phonenumbers.example_number(region)
    text = phonenumbers.format_number(
        number,
        draw(
            st.sampled_from(
                [
                    PhoneNumberFormat.E164,
                    PhoneNumberFormat.INTERNATIONAL,
                    PhoneNumberFormat.NATIONAL,
                ]
            )
        ),
    )
    # Typing mistakes: a digit more, a digit less, the + dropped.
    edit = draw(st.sampled_from(["none", "append", "drop", "unplus"]))
    if edit == "append":
        text += draw(st.sampled_from("0123456789"))
    elif edit == "drop":
        text = text[:-1]
    elif edit == "unplus":
        text = text.lstrip("+")
    return text, draw(st.sampled_from([region, *DEFAULT_REGIONS]))


@settings(max_examples=600, deadline=None)
@given(raw=digit_strings.flatmap(sprinkled), region=st.sampled_from(DEFAULT_REGIONS))
def test_it_agrees_with_normalize_phone_on_random_digits(raw, region):
    assert_agree(raw, region)


@settings(max_examples=600, deadline=None)
@given(raw=digit_strings, region=st.sampled_from(DEFAULT_REGIONS))
def test_it_agrees_with_normalize_phone_on_bare_digit_strings(raw, region):
    assert_agree(raw, region)


@settings(max_examples=600, deadline=None)
@given(data=st.data(), example=example_numbers())
def test_it_agrees_with_normalize_phone_on_example_numbers(data, example):
    text, region = example
    assert_agree(text, region)
    assert_agree(data.draw(sprinkled(text)), region)


def every_example_number():
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for number_type in NUMBER_TYPES:
            number = phonenumbers.example_number_for_type(region, number_type)
            if number is not None:
                yield region, number
    for code in sorted(phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS):
        number = phonenumbers.example_number_for_non_geo_entity(code)
        if number is not None:
            yield "FR", number


def test_it_agrees_with_normalize_phone_on_every_example_number_of_every_region():
    checked = 0
    for region, number in every_example_number():
        e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
        international = phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)
        national = phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
        for text, default in [
            (e164, region),
            (e164, "FR"),
            (international, region),
            (international, "FR"),
            (national, region),
            (e164[1:], region),  # the + lost in a spreadsheet
        ]:
            assert_agree(text, default)
            checked += 1
    assert checked > 5000


@pytest.mark.parametrize(
    "raw",
    [
        "06 12 34 56 78",
        "0612345678",
        "06.12.34.56.78",
        "+33 6 12 34 56 78",
        "+33612345678",
        "0033612345678",
        "0033 6 12 34 56 78",
        "+33 (0)6 12 34 56 78",
        "06\u00a012\u00a034\u00a056\u00a078",
        "33612345678",
        "612345678",
    ],
)
def test_it_reads_a_french_mobile(raw):
    assert normalize_phone_fast(raw) == "+33612345678"
    assert normalize_phone(raw) == "+33612345678"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("01 45 67 89 01", "not_mobile"),
        ("+33 1 45 67 89 01", "not_mobile"),
        ("09 51 23 45 67", "not_mobile"),
        ("0800 12 34 56", "not_mobile"),
        ("06 12", "too_short"),
        ("06 12 34 56 78 90", "too_long"),
        ("06 12 34 56 7a", "not_a_number"),
        ("call me", "not_a_number"),
        ("", "empty"),
        ("   ", "empty"),
        ("+999 612 345 678", "invalid_country"),
        ("06\t12\t34\t56\t78", "too_short"),  # phonenumbers refuses tabs between digits
    ],
)
def test_it_refuses_with_the_code_of_normalize_phone(raw, code):
    with pytest.raises(PhoneNumberError) as fast:
        normalize_phone_fast(raw)
    with pytest.raises(PhoneNumberError) as slow:
        normalize_phone(raw)
    assert fast.value.code == slow.value.code == code


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("+32 470 12 34 56", "+32470123456"),  # Belgian mobile
        ("0032 470 12 34 56", "+32470123456"),
        ("+41 78 123 45 67", "+41781234567"),  # Swiss mobile
        ("+1 201 555 0123", "+12015550123"),  # United States: through the slow path
    ],
)
def test_it_reads_foreign_numbers_with_france_as_the_default_region(raw, e164):
    assert normalize_phone_fast(raw, default_region="FR") == e164 == normalize_phone(raw)


def test_it_reads_national_numbers_of_other_default_regions():
    assert normalize_phone_fast("0470 12 34 56", default_region="BE") == "+32470123456"
    assert normalize_phone_fast("078 123 45 67", default_region="CH") == "+41781234567"
    assert normalize_phone_fast("(201) 555-0123", default_region="US") == "+12015550123"


@pytest.fixture
def slow_path_forbidden(monkeypatch):
    def refuse(raw, *, default_region="FR"):
        raise AssertionError(f"slow path taken for {raw!r}")

    monkeypatch.setattr(numbers, "normalize_phone", refuse)


@pytest.mark.parametrize(
    ("raw", "region"),
    [
        ("06 12 34 56 78", "FR"),
        ("0612345678", "FR"),
        ("+33 6 12 34 56 78", "FR"),
        ("+33612345678", "FR"),
        ("0033612345678", "FR"),
        ("+33 (0)6 12 34 56 78", "FR"),
        ("33612345678", "FR"),
        ("07\u00a051\u00a012\u00a034\u00a056", "FR"),
        ("+32 470 12 34 56", "FR"),
        ("0470 12 34 56", "BE"),
        ("+41 78 123 45 67", "DE"),
        ("+34 612 34 56 78", "FR"),
    ],
)
def test_the_usual_shapes_take_the_fast_path(slow_path_forbidden, raw, region):
    assert normalize_phone_fast(raw, default_region=region).startswith("+")


def test_the_fast_path_serves_most_example_mobiles(slow_path_forbidden):
    served = 0
    mobiles = 0
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        number = phonenumbers.example_number_for_type(region, PhoneNumberType.MOBILE)
        if number is None:
            continue
        mobiles += 1
        e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
        try:
            assert normalize_phone_fast(e164) == e164
            served += 1
        except AssertionError:
            pass  # a country the fast path leaves to phonenumbers (+1, +7, ...)
    assert served > 0.7 * mobiles


def test_the_separators_it_deletes_are_punctuation_for_both_checks():
    # Deleting a character is only safe when parse_phone lets it through and
    # phonenumbers ignores it wherever it sits in the number.
    valid_punctuation = pnu._SEPARATOR_PATTERN
    for char in numbers._FAST_SEPARATORS:
        assert numbers._PHONE_CHARACTERS.fullmatch(char), repr(char)
        assert valid_punctuation.fullmatch(char), repr(char)
        assert not char.isdigit() and char != "+"
    assert set(numbers._ASCII_SEPARATORS.decode()) == {
        c for c in numbers._FAST_SEPARATORS if c.isascii()
    }
