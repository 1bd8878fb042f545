"""Sender IDs: what carriers deliver as the sender of an SMS."""

import pytest

from smsmode.sms.senders import SenderIdError, validate_sender_id


@pytest.mark.parametrize(
    "value",
    [
        "ABC",  # 3, the shortest name
        "MyShop",
        "My Shop",
        "Shop 2",
        "ABCDEFGHIJK",  # 11, the longest name
        "2Shop",
        "123",  # 3, the shortest number
        "36180",
        "33612345678",
        "123456789012345",  # 15, the longest number
    ],
)
def test_it_accepts_valid_sender_ids_unchanged(value):
    assert validate_sender_id(value) == value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("  MyShop  ", "MyShop"),
        ("\tMyShop\n", "MyShop"),
        ("+33612345678", "33612345678"),
        (" +33612345678 ", "33612345678"),
        ("+123456789012345", "123456789012345"),
    ],
)
def test_it_normalises_the_ends_and_the_plus(value, expected):
    assert validate_sender_id(value) == expected


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("", "empty"),
        ("  ", "empty"),
        ("AB", "too_short"),
        ("12", "too_short"),
        ("+12", "too_short"),
        ("ABCDEFGHIJKL", "too_long"),  # 12 characters
        ("1234567890123456", "too_long"),  # 16 digits
        ("+1234567890123456", "too_long"),
        ("Shop!", "invalid_characters"),
        ("Café", "invalid_characters"),
        ("My_Shop", "invalid_characters"),
        ("My\tShop", "invalid_characters"),
        ("+", "invalid_characters"),
        ("+ABC", "invalid_characters"),
        ("+33 6 12", "invalid_characters"),
        ("١٢٣٤", "invalid_characters"),  # Arabic-Indic digits are digits, not ASCII
        ("06 12 34", "no_letter"),  # would go out as a number, so it must be written as one
    ],
)
def test_it_refuses_with_a_code(value, code):
    with pytest.raises(SenderIdError) as caught:
        validate_sender_id(value)
    assert caught.value.code == code
    assert str(caught.value) == caught.value.message != ""


def test_a_sender_id_error_is_a_value_error():
    with pytest.raises(ValueError, match="at most 11 characters"):
        validate_sender_id("ABCDEFGHIJKL")


def test_the_message_for_a_long_number_gives_the_digit_limit():
    with pytest.raises(SenderIdError, match="at most 15 digits"):
        validate_sender_id("1234567890123456")
