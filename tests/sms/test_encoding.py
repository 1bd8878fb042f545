"""smsmode.sms.encoding: the count that is billed.

Three independent checks: hand-computed vectors (vectors.json), a reference GSM 03.38
encoder written out below from the standard, and the gsm0338 codec from PyPI.
"""

# ruff: noqa: RUF001  (look-alike quotes and dashes are what these tests are about)
import json
import re
from pathlib import Path

import hypothesis
import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsmode.sms.encoding import (
    GSM_BASIC,
    GSM_EXTENSION,
    REPLACEMENTS,
    SmsBodyError,
    SmsCount,
    analyze,
    is_gsm_char,
    replace_unicode,
    split_segments,
    suggest_replacements,
    validate_body,
)

VECTORS = json.loads((Path(__file__).parent / "vectors.json").read_text(encoding="utf-8"))[
    "vectors"
]

# GSM 03.38 default alphabet, character -> septet, typed from 3GPP TS 23.038 §6.2.1.
# Kept apart from encoding.py on purpose: a typo there must not be copied here.
REFERENCE_BASIC = {
    "@": 0x00, "£": 0x01, "$": 0x02, "¥": 0x03, "è": 0x04, "é": 0x05, "ù": 0x06, "ì": 0x07,
    "ò": 0x08, "Ç": 0x09, "\n": 0x0A, "Ø": 0x0B, "ø": 0x0C, "\r": 0x0D, "Å": 0x0E, "å": 0x0F,
    "Δ": 0x10, "_": 0x11, "Φ": 0x12, "Γ": 0x13, "Λ": 0x14, "Ω": 0x15, "Π": 0x16, "Ψ": 0x17,
    "Σ": 0x18, "Θ": 0x19, "Ξ": 0x1A, "Æ": 0x1C, "æ": 0x1D, "ß": 0x1E, "É": 0x1F,
    " ": 0x20, "!": 0x21, '"': 0x22, "#": 0x23, "¤": 0x24, "%": 0x25, "&": 0x26, "'": 0x27,
    "(": 0x28, ")": 0x29, "*": 0x2A, "+": 0x2B, ",": 0x2C, "-": 0x2D, ".": 0x2E, "/": 0x2F,
    "0": 0x30, "1": 0x31, "2": 0x32, "3": 0x33, "4": 0x34, "5": 0x35, "6": 0x36, "7": 0x37,
    "8": 0x38, "9": 0x39, ":": 0x3A, ";": 0x3B, "<": 0x3C, "=": 0x3D, ">": 0x3E, "?": 0x3F,
    "¡": 0x40, "A": 0x41, "B": 0x42, "C": 0x43, "D": 0x44, "E": 0x45, "F": 0x46, "G": 0x47,
    "H": 0x48, "I": 0x49, "J": 0x4A, "K": 0x4B, "L": 0x4C, "M": 0x4D, "N": 0x4E, "O": 0x4F,
    "P": 0x50, "Q": 0x51, "R": 0x52, "S": 0x53, "T": 0x54, "U": 0x55, "V": 0x56, "W": 0x57,
    "X": 0x58, "Y": 0x59, "Z": 0x5A, "Ä": 0x5B, "Ö": 0x5C, "Ñ": 0x5D, "Ü": 0x5E, "§": 0x5F,
    "¿": 0x60, "a": 0x61, "b": 0x62, "c": 0x63, "d": 0x64, "e": 0x65, "f": 0x66, "g": 0x67,
    "h": 0x68, "i": 0x69, "j": 0x6A, "k": 0x6B, "l": 0x6C, "m": 0x6D, "n": 0x6E, "o": 0x6F,
    "p": 0x70, "q": 0x71, "r": 0x72, "s": 0x73, "t": 0x74, "u": 0x75, "v": 0x76, "w": 0x77,
    "x": 0x78, "y": 0x79, "z": 0x7A, "ä": 0x7B, "ö": 0x7C, "ñ": 0x7D, "ü": 0x7E, "à": 0x7F,
}  # fmt: skip
ESCAPE = 0x1B
REFERENCE_EXTENSION = {
    "\f": 0x0A, "^": 0x14, "{": 0x28, "}": 0x29, "\\": 0x2F,
    "[": 0x3C, "~": 0x3D, "]": 0x3E, "|": 0x40, "€": 0x65,
}  # fmt: skip
GSM_CHARS = "".join(REFERENCE_BASIC) + "".join(REFERENCE_EXTENSION)


def reference_encode(text: str) -> list[int]:
    """GSM 03.38 septets of a GSM text: extension characters are ESC + code."""
    septets: list[int] = []
    for ch in text:
        if ch in REFERENCE_EXTENSION:
            septets += [ESCAPE, REFERENCE_EXTENSION[ch]]
        else:
            septets.append(REFERENCE_BASIC[ch])
    return septets


def reference_units(text: str, encoding: str) -> int:
    if encoding == "GSM7":
        return len(reference_encode(text))
    return len(text.encode("utf-16-le")) // 2


# Texts that cross part boundaries often: long runs, many two-unit characters.
gsm_texts = st.text(
    alphabet=st.one_of(
        st.sampled_from("".join(REFERENCE_BASIC)), st.sampled_from("".join(REFERENCE_EXTENSION))
    ),
    max_size=700,
)
non_gsm_chars = st.characters(exclude_categories=("Cs",)).filter(
    lambda ch: ch not in REFERENCE_BASIC and ch not in REFERENCE_EXTENSION
)
mixed_texts = st.text(
    alphabet=st.one_of(
        st.sampled_from(GSM_CHARS),
        st.sampled_from("€€€{}[]"),
        st.sampled_from("áçêœЖ’“”–…\u00a0"),
        st.sampled_from("😀🎉👍🏽🇫🇷\U00010348"),
    ),
    max_size=500,
)
# A run of one-unit characters, then a two-unit one, lands the latter on every boundary.
boundary_texts = st.builds(
    lambda filler, count, two_units, tail: filler * count + two_units + tail,
    st.sampled_from("aЖ"),
    st.integers(min_value=60, max_value=320),
    st.sampled_from("€{\f😀🇫"),
    st.one_of(gsm_texts, mixed_texts),
)


# Table tests over the shared vectors.


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_vector_counts(vector: dict) -> None:
    assert analyze(vector["text"]).as_dict() == vector["expected"]


@pytest.mark.parametrize(
    "vector",
    [v for v in VECTORS if "part_units" in v],
    ids=[v["name"] for v in VECTORS if "part_units" in v],
)
def test_vector_parts(vector: dict) -> None:
    parts = split_segments(vector["text"])
    encoding = vector["expected"]["encoding"]
    assert [reference_units(part, encoding) for part in parts] == vector["part_units"]
    assert "".join(parts) == vector["text"]


def test_vectors_cover_the_brief() -> None:
    names = {v["name"] for v in VECTORS}
    assert len(VECTORS) >= 40
    assert len(names) == len(VECTORS)
    for required in (
        "empty",
        "gsm_160",
        "gsm_161",
        "gsm_306",
        "gsm_307",
        "euro_at_160",
        "euro_straddles_part",
        "extension_only",
        "form_feed",
        "ucs2_70",
        "ucs2_71",
        "ucs2_134",
        "ucs2_135",
        "emoji_at_70",
        "emoji_straddles_part",
        "crlf",
        "gsm_10_segments",
        "gsm_11_segments",
    ):
        assert required in names


# Explicit boundaries.


def test_empty_text_costs_nothing() -> None:
    assert analyze("") == SmsCount(
        encoding="GSM7",
        characters=0,
        units=0,
        segments=0,
        per_segment=160,
        remaining=160,
        unicode_chars=[],
    )
    assert split_segments("") == []


def test_160_septets_are_one_sms_and_161_are_two() -> None:
    assert (analyze("x" * 160).segments, analyze("x" * 160).remaining) == (1, 0)
    assert analyze("x" * 161).segments == 2
    assert analyze("x" * 161).per_segment == 153


def test_extension_characters_cost_two_septets() -> None:
    for ch in "^{}\\[~]|€\f":
        assert analyze(ch).units == 2, repr(ch)
    assert analyze("€" * 80).segments == 1
    assert analyze("€" * 81).segments == 2


def test_an_escape_sequence_is_never_split() -> None:
    text = "a" * 152 + "€" + "a" * 152  # 306 septets: 2 parts by division, 3 in truth
    assert analyze(text).units == 306
    assert analyze(text).segments == 3
    assert split_segments(text) == ["a" * 152, "€" + "a" * 151, "a"]


def test_a_surrogate_pair_is_never_split() -> None:
    text = "Ж" * 66 + "😀" + "Ж" * 66  # 134 units: 2 parts by division, 3 in truth
    assert analyze(text).units == 134
    assert analyze(text).segments == 3
    assert split_segments(text) == ["Ж" * 66, "😀" + "Ж" * 65, "Ж"]


def test_70_ucs2_units_are_one_sms_and_71_are_two() -> None:
    assert analyze("ç" * 70).segments == 1
    assert analyze("ç" * 71).segments == 2
    assert analyze("ç" * 71).remaining == 63


def test_in_ucs2_the_euro_costs_one_unit() -> None:
    assert analyze("€ç").units == 2


def test_crlf_counts_two_septets() -> None:
    assert analyze("a\r\nb").units == 4
    assert analyze("a\nb").units == 3


def test_raw_escape_is_not_gsm() -> None:
    assert analyze("\x1b").encoding == "UCS2"


def test_capital_c_cedilla_is_gsm_and_small_is_not() -> None:
    assert analyze("Ç").encoding == "GSM7"
    assert analyze("ç").encoding == "UCS2"


def test_unicode_chars_are_unique_and_in_order() -> None:
    assert analyze("ô a ç ô ç 😀 ’").unicode_chars == ["ô", "ç", "😀", "’"]


# The alphabet, against the standard and against the gsm0338 package.


def test_alphabet_matches_the_reference() -> None:
    assert set(REFERENCE_BASIC) == GSM_BASIC
    assert set(REFERENCE_EXTENSION) == GSM_EXTENSION
    assert len(REFERENCE_BASIC) == 127  # 128 septets less the escape
    assert len(set(REFERENCE_BASIC.values())) == 127


def test_alphabet_matches_gsm0338_for_every_bmp_character() -> None:
    pytest.importorskip("gsm0338")
    for code_point in range(0x10000):
        # U+001B: the codec passes a raw escape through as septet 0x1B; we refuse it,
        # because an ESC typed into a text would swallow the character after it.
        if 0xD800 <= code_point <= 0xDFFF or code_point == 0x1B:
            continue
        ch = chr(code_point)
        try:
            ch.encode("gsm03.38")
            encodable = True
        except UnicodeEncodeError:
            encodable = False
        assert is_gsm_char(ch) == encodable, f"U+{code_point:04X}"


@given(gsm_texts)
def test_gsm_units_are_septets_of_the_reference_encoding(text: str) -> None:
    count = analyze(text)
    assert count.encoding == "GSM7"
    assert count.units == len(reference_encode(text))
    assert count.unicode_chars == []


@given(gsm_texts)
def test_gsm_units_are_septets_of_gsm0338(text: str) -> None:
    pytest.importorskip("gsm0338")
    # The codec writes one byte per septet, an extension character as 0x1B + code.
    encoded = text.encode("gsm03.38")
    assert list(encoded) == reference_encode(text)
    assert analyze(text).units == len(encoded)


# Segment rules, for any text.


@hypothesis.settings(max_examples=300)
@given(st.one_of(gsm_texts, mixed_texts, boundary_texts))
def test_segments_follow_the_rules(text: str) -> None:
    count = analyze(text)
    parts = split_segments(text)
    assert "".join(parts) == text
    assert len(parts) == count.segments
    part_units = [reference_units(part, count.encoding) for part in parts]
    assert sum(part_units) == count.units
    assert all(part_units)
    single = 160 if count.encoding == "GSM7" else 70
    multi = 153 if count.encoding == "GSM7" else 67
    if count.units <= single:
        assert count.segments == (1 if text else 0)
        assert count.per_segment == single
    else:
        assert count.per_segment == multi
        assert all(units <= multi for units in part_units)
        # Full: each part but the last could not take the next character.
        for units, next_part in zip(part_units, parts[1:], strict=False):
            assert units + reference_units(next_part[0], count.encoding) > multi
    assert count.remaining == count.per_segment - (part_units[-1] if parts else 0)


@given(st.text(), non_gsm_chars, st.text())
def test_one_non_gsm_character_makes_ucs2(before: str, culprit: str, after: str) -> None:
    text = before + culprit + after
    count = analyze(text)
    assert count.encoding == "UCS2"
    assert count.characters == len(text)
    assert count.units == len(text.encode("utf-16-le")) // 2
    expected = [ch for ch in dict.fromkeys(text) if ch not in GSM_CHARS]
    assert count.unicode_chars == expected
    assert culprit in count.unicode_chars


# Replacements.


def test_replacements_turn_non_gsm_into_gsm() -> None:
    for culprit, replacement in REPLACEMENTS.items():
        assert not is_gsm_char(culprit), repr(culprit)
        assert all(is_gsm_char(ch) for ch in replacement), repr(culprit)


def test_a_text_of_culprits_becomes_gsm() -> None:
    text = "L’offre “spéciale” – 10 % ‘off’ … «\u00a0Soldes\u00a0» —\tfin\u202f!"
    assert analyze(text).encoding == "UCS2"
    replaced = replace_unicode(text)
    assert replaced == 'L\'offre "spéciale" - 10 % \'off\' ... " Soldes " - fin !'
    assert analyze(replaced).encoding == "GSM7"


def test_it_suggests_only_the_culprits_present_in_order() -> None:
    assert suggest_replacements("“Bonjour” – à bientôt…") == {
        "“": '"',
        "”": '"',
        "–": "-",
        "…": "...",
    }
    assert suggest_replacements("Plain GSM text €") == {}


def test_replacement_leaves_other_unicode_alone() -> None:
    text = "Fête 👨\u200d👩\u200d👧 ’"
    assert replace_unicode(text) == "Fête 👨\u200d👩\u200d👧 '"
    assert analyze(replace_unicode(text)).unicode_chars == ["ê", "👨", "\u200d", "👩", "👧"]


@given(st.text(alphabet=st.sampled_from(GSM_CHARS + "".join(REPLACEMENTS))))
def test_replacing_any_text_of_gsm_and_culprits_gives_gsm(text: str) -> None:
    replaced = replace_unicode(text)
    assert analyze(replaced).encoding == "GSM7"
    assert set(suggest_replacements(text)) == set(text) & set(REPLACEMENTS)


# validate_body.


def test_validate_body_returns_the_count() -> None:
    assert validate_body("Hello") == analyze("Hello")
    assert validate_body("a" * 1530).segments == 10


@pytest.mark.parametrize(
    ("text", "code"), [("", "empty"), (" ", "blank"), ("\r\n \t\u00a0", "blank")]
)
def test_validate_body_refuses_empty_and_blank(text: str, code: str) -> None:
    with pytest.raises(SmsBodyError) as excinfo:
        validate_body(text)
    assert excinfo.value.code == code
    assert isinstance(excinfo.value, ValueError)


def test_validate_body_refuses_too_many_segments() -> None:
    with pytest.raises(SmsBodyError) as excinfo:
        validate_body("a" * 1531)
    assert excinfo.value.code == "too_long"
    assert str(excinfo.value) == "This message is 11 SMS long; the maximum is 10."
    assert excinfo.value.count == analyze("a" * 1531)


def test_validate_body_counts_parts_not_septets() -> None:
    with pytest.raises(SmsBodyError, match="11 SMS"):
        validate_body("€" * 765)  # 1530 septets, 11 parts


def test_validate_body_reads_the_setting_at_call_time(settings) -> None:
    settings.SMS_MAX_SEGMENTS = 2
    validate_body("a" * 306)
    with pytest.raises(
        SmsBodyError, match=re.escape("This message is 3 SMS long; the maximum is 2.")
    ):
        validate_body("a" * 307)


def test_validate_body_obeys_max_segments() -> None:
    validate_body("a" * 160, max_segments=1)
    with pytest.raises(SmsBodyError) as excinfo:
        validate_body("a" * 161, max_segments=1)
    assert excinfo.value.code == "too_long"
