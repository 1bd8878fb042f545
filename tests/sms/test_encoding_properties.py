"""count_segments, the bulk counter of campaign launches, agrees with analyze."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsmode.sms.encoding import GSM_BASIC, analyze, count_segments

_BULK_ALPHABET = "".join(sorted(GSM_BASIC)) + "€[]{}^|~\\é€çàÀ😀中"


@given(st.text(alphabet=_BULK_ALPHABET, max_size=500))
def test_count_segments_agrees_with_analyze(text):
    count = analyze(text)
    assert count_segments(text) == (count.encoding, count.segments)


@given(st.text(alphabet="".join(sorted(GSM_BASIC)), min_size=150, max_size=1600))
def test_count_segments_agrees_on_long_basic_texts(text):
    count = analyze(text)
    assert count_segments(text) == (count.encoding, count.segments)


@pytest.mark.parametrize("length", [0, 1, 159, 160, 161, 306, 307, 459, 460])
def test_count_segments_at_the_part_boundaries(length):
    text = "a" * length
    count = analyze(text)
    assert count_segments(text) == (count.encoding, count.segments)
