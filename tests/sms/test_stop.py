"""The STOP mention on marketing SMS and STOP replies."""

from types import SimpleNamespace

import pytest

from smsmode.sms.encoding import analyze
from smsmode.sms.stop import (
    is_stop_request,
    stop_code_for,
    stop_mention,
    with_stop_mention,
)


def test_the_mention_is_stop_and_the_code():
    assert stop_mention("36180") == "STOP 36180"


def test_the_mention_refuses_a_blank_code():
    with pytest.raises(ValueError):
        stop_mention("  ")


def test_an_account_with_its_own_code_uses_it(settings):
    settings.SMS_STOP_CODE = "36180"
    assert stop_code_for(SimpleNamespace(stop_code="38200")) == "38200"


@pytest.mark.parametrize("own_code", ["", "  "])
def test_an_account_without_a_code_uses_the_platforms(settings, own_code):
    settings.SMS_STOP_CODE = "36111"
    assert stop_code_for(SimpleNamespace(stop_code=own_code)) == "36111"


def test_the_mention_goes_on_a_last_line_of_its_own():
    assert with_stop_mention("Soldes -20% ce week-end", code="36180") == (
        "Soldes -20% ce week-end\nSTOP 36180"
    )


def test_trailing_whitespace_of_the_body_is_dropped_first():
    assert with_stop_mention("Soldes !  \n\n", code="36180") == "Soldes !\nSTOP 36180"


def test_adding_the_mention_twice_changes_nothing():
    once = with_stop_mention("Soldes !", code="36180")
    assert with_stop_mention(once, code="36180") == once
    assert with_stop_mention(once + "\n", code="36180") == once


def test_a_body_ending_with_the_mention_on_the_same_line_is_kept():
    assert with_stop_mention("Soldes ! STOP 36180", code="36180") == "Soldes ! STOP 36180"


def test_a_mention_with_another_code_gets_the_right_one_added():
    assert with_stop_mention("Soldes !\nSTOP 36111", code="36180") == (
        "Soldes !\nSTOP 36111\nSTOP 36180"
    )


def test_a_word_merely_ending_like_the_mention_is_not_the_mention():
    assert with_stop_mention("NOSTOP 36180", code="36180") == "NOSTOP 36180\nSTOP 36180"


def test_an_empty_body_becomes_the_mention_alone():
    assert with_stop_mention("  ", code="36180") == "STOP 36180"


def test_the_mention_costs_eleven_characters():
    body = "x" * 149
    assert analyze(with_stop_mention(body, code="36180")).segments == 1  # 149 + 11 = 160
    assert analyze(with_stop_mention(body + "x", code="36180")).segments == 2


@pytest.mark.parametrize(
    "text",
    [
        "STOP",
        "stop",
        " Stop ",
        "Stop!",
        "STOP.",
        '"STOP"',
        "STOP 36180",
        "STOP36180",
        "STOP SMS",
        "STOPSMS",
        "STOP-SMS",
        "stop pub",
        "Stop, merci",
        "Stop à la pub svp",
        "ARRET",
        "ARRÊT",
        "arret",
        "Arrêt svp",
        "DESABONNER",
        "Désabonner",
        "désinscription",
        "unsubscribe",
        "UNSUBSCRIBE please",
        "STOPALL",
        "\nSTOP\n",
        "\uff33\uff34\uff2f\uff30",  # full-width STOP, from some Asian keyboards
    ],
)
def test_it_recognises_a_stop_request(text):
    assert is_stop_request(text) is True


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "Stopper la promo?",
        "non-stop",
        "bus stop",
        "Merci, stop",  # the first word decides
        "S T O P",
        "STOPPING",
        "Arrêtez",
        "Cancel",  # answers a reminder; must not unsubscribe from marketing
        "Annuler",
        "OK",
        "36180 STOP",
    ],
)
def test_it_does_not_take_other_replies_for_a_stop_request(text):
    assert is_stop_request(text) is False
