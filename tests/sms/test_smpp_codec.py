"""The SMPP wire format, without a server: GSM 03.38 bytes, parts, addresses, receipts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from smsmode.sms.gateways.base import DeliveryState
from smsmode.sms.smpp import codec

GSM_TEXT = "".join(ch for ch in codec.GSM_DEFAULT_ALPHABET if ch != "\x1b") + "".join(
    codec.GSM_EXTENSION_CODES
)


def test_gsm_round_trips_every_character():
    encoded = codec.gsm_encode(GSM_TEXT)

    assert len(encoded) == 127 + 2 * 10
    assert codec.gsm_decode(encoded) == GSM_TEXT


def test_gsm_agrees_with_the_gsm0338_codec():
    gsm0338 = pytest.importorskip("gsm0338")
    assert gsm0338  # registers the "gsm03.38" codec

    for ch in GSM_TEXT:
        assert codec.gsm_encode(ch) == ch.encode("gsm03.38"), repr(ch)


def test_gsm_refuses_other_characters():
    with pytest.raises(ValueError):
        codec.gsm_encode("ç")


def test_deliver_sm_text_follows_data_coding():
    assert codec.decode_short_message(b"m\x11\x00", 0) == "m_@"  # GSM 03.38
    assert codec.decode_short_message("Стоп 😀".encode("utf-16-be"), 8) == "Стоп 😀"
    assert codec.decode_short_message("é".encode("latin-1"), 3) == "é"
    assert codec.decode_short_message(b"m_", 1) == "m_"  # IA5


def test_single_part_has_no_udh():
    [part] = codec.encode_parts("Hello €", ref=7)

    assert part == codec.EncodedPart(b"Hello \x1b\x65", 0, 0)


def test_multipart_carries_the_udh():
    parts = codec.encode_parts("é" * 200, ref=0x1FF)  # the reference is 8 bits

    assert [p.short_message[:6] for p in parts] == [
        bytes([5, 0, 3, 0xFF, 2, 1]),
        bytes([5, 0, 3, 0xFF, 2, 2]),
    ]
    assert [len(p.short_message) - 6 for p in parts] == [153, 47]
    assert {(p.data_coding, p.esm_class) for p in parts} == {(0, 0x40)}


def test_an_empty_text_has_no_parts():
    with pytest.raises(ValueError):
        codec.encode_parts("", ref=1)


@pytest.mark.parametrize(
    ("sender", "expected"),
    [
        ("ACME", (5, 0, "ACME")),
        ("36180", (3, 0, "36180")),
        ("+33612345678", (1, 1, "33612345678")),
        ("33612345678", (1, 1, "33612345678")),
    ],
)
def test_source_address_type_follows_the_sender(sender, expected):
    fields = codec.source_fields(sender)

    assert (fields["source_addr_ton"], fields["source_addr_npi"], fields["source_addr"]) == expected


def test_it_parses_a_receipt_sent_in_gsm():
    text = (
        "id:m_42 sub:001 dlvrd:000 submit date:2607141159 done date:2607141200 "
        "stat:UNDELIV err:034 text:stat:DELIVRD ha"
    )
    receipt = codec.parse_receipt(codec.decode_short_message(codec.gsm_encode(text), 0))

    assert receipt is not None
    assert receipt.message_id == "m_42"
    assert receipt.state == DeliveryState.UNDELIVERED  # not the quoted text's "DELIVRD"
    assert receipt.error == "034"
    assert receipt.done_at == datetime(2026, 7, 14, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("stat", "state"),
    [
        ("DELIVRD", DeliveryState.DELIVERED),
        ("EXPIRED", DeliveryState.EXPIRED),
        ("REJECTD", DeliveryState.REJECTED),
        ("UNDELIV", DeliveryState.UNDELIVERED),
        ("DELETED", DeliveryState.UNDELIVERED),
        ("UNKNOWN", DeliveryState.UNKNOWN),
        ("ENROUTE", None),
    ],
)
def test_receipt_states_map_to_ours(stat, state):
    receipt = codec.parse_receipt(f"id:1 stat:{stat} err:000")

    assert receipt is not None and receipt.state == state and receipt.error == ""


def test_receipt_looking_text_is_recognised():
    assert codec.looks_like_receipt("id:abc sub:001 dlvrd:001 stat:DELIVRD")
    assert not codec.looks_like_receipt("STOP")
