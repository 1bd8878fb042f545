"""Bytes on the SMPP wire: GSM 03.38, UCS-2, UDH concatenation, addresses, receipts.

Pure functions, no I/O. The split into parts is `smsmode.sms.encoding`'s, so what is
billed is exactly what is sent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from smsmode.sms import encoding
from smsmode.sms.encoding import GSM7, analyze, split_segments
from smsmode.sms.gateways.base import DeliveryState

DATA_CODING_GSM7 = 0x00  # the SMSC default alphabet, which is GSM 03.38 for our carriers
DATA_CODING_ASCII = 0x01
DATA_CODING_LATIN1 = 0x03
DATA_CODING_UCS2 = 0x08

ESM_CLASS_UDHI = 0x40  # short_message starts with a user data header
ESM_CLASS_RECEIPT = 0x04  # deliver_sm carries an SMSC delivery receipt

GSM_DEFAULT_ALPHABET = encoding.GSM_DEFAULT_ALPHABET
GSM_EXTENSION_CODES = encoding.GSM_EXTENSION_CODES
_GSM_ENCODE = {ch: code for code, ch in enumerate(GSM_DEFAULT_ALPHABET) if code != 0x1B}
_GSM_EXTENSION_DECODE = {code: ch for ch, code in GSM_EXTENSION_CODES.items()}

assert len(GSM_DEFAULT_ALPHABET) == 128


def gsm_encode(text: str) -> bytes:
    """One octet per septet (unpacked, as SMPP carries it); extension characters are
    0x1B + their code. Raises ValueError on a character outside GSM 03.38."""
    out = bytearray()
    for ch in text:
        code = _GSM_ENCODE.get(ch)
        if code is not None:
            out.append(code)
            continue
        ext = GSM_EXTENSION_CODES.get(ch)
        if ext is None:
            raise ValueError(f"{ch!r} is not in the GSM 03.38 alphabet")
        out += bytes((0x1B, ext))
    return bytes(out)


def gsm_decode(data: bytes) -> str:
    """The inverse of `gsm_encode`, lenient: an unknown escape falls back to the basic
    character (as 23.038 asks of receivers), an octet above 0x7F becomes U+FFFD."""
    chars: list[str] = []
    escaped = False
    for octet in data:
        if octet > 0x7F:
            chars.append("\ufffd")
            escaped = False
        elif escaped:
            chars.append(_GSM_EXTENSION_DECODE.get(octet, GSM_DEFAULT_ALPHABET[octet]))
            escaped = False
        elif octet == 0x1B:
            escaped = True
        else:
            chars.append(GSM_DEFAULT_ALPHABET[octet])
    return "".join(chars)


def decode_short_message(data: bytes, data_coding: int) -> str:
    """Text of a deliver_sm by its data_coding. 0 is GSM 03.38: node-smpp and most
    SMSCs send receipts and MO that way, and reading them as ASCII garbles `_` and `@`."""
    if data_coding in (DATA_CODING_UCS2, 0x18):  # 0x18: UCS-2 with message class bits
        return data.decode("utf-16-be", errors="replace")
    if data_coding == DATA_CODING_ASCII:
        return data.decode("ascii", errors="replace")
    if data_coding == DATA_CODING_LATIN1:
        return data.decode("latin-1")
    if data_coding & 0xF0 == 0xF0 and data_coding & 0x04:  # 8-bit data, not text
        return data.hex()
    return gsm_decode(data)


def strip_udh(data: bytes) -> bytes:
    """The text octets of a short_message whose esm_class has the UDHI bit."""
    if not data:
        return data
    return data[1 + data[0] :]


@dataclass(frozen=True, slots=True)
class EncodedPart:
    """One submit_sm's worth of a message."""

    short_message: bytes
    data_coding: int
    esm_class: int


def encode_parts(text: str, ref: int) -> list[EncodedPart]:
    """The submit_sm payloads of `text`: one part as is, or concatenated parts that each
    start with the 8-bit-reference UDH `05 00 03 <ref> <total> <seq>`.

    Raises ValueError for an empty text or one that cannot be encoded (a lone surrogate).
    """
    parts = split_segments(text)
    if not parts:
        raise ValueError("empty text")
    if analyze(text).encoding == GSM7:
        data_coding, encode = DATA_CODING_GSM7, gsm_encode
    else:
        data_coding, encode = DATA_CODING_UCS2, _ucs2_encode
    if len(parts) == 1:
        return [EncodedPart(encode(parts[0]), data_coding, 0)]
    if len(parts) > 255:
        raise ValueError("more than 255 parts")
    total = len(parts)
    return [
        EncodedPart(
            bytes((5, 0, 3, ref & 0xFF, total, seq)) + encode(part), data_coding, ESM_CLASS_UDHI
        )
        for seq, part in enumerate(parts, start=1)
    ]


def _ucs2_encode(text: str) -> bytes:
    try:
        return text.encode("utf-16-be")
    except UnicodeEncodeError as exc:  # a lone surrogate: not a text a phone can show
        raise ValueError("text holds an unpaired surrogate") from exc


def destination_fields(to: str) -> dict[str, object]:
    """An E.164 number as destination: international TON, ISDN NPI, no '+'."""
    return {"dest_addr_ton": 1, "dest_addr_npi": 1, "destination_addr": to.lstrip("+")}


def source_fields(sender: str) -> dict[str, object]:
    """The sender ID as source address. Alphanumeric: TON 5 / NPI 0. '+' or more than
    8 digits: an international number (TON 1 / NPI 1). Up to 8 digits: a short code
    (TON 3, network specific / NPI 0). Carriers differ; these are the common choices."""
    digits = sender[1:] if sender.startswith("+") else sender
    if not sender:
        return {"source_addr_ton": 0, "source_addr_npi": 0, "source_addr": ""}
    if digits.isdigit() and (sender.startswith("+") or len(digits) > 8):
        return {"source_addr_ton": 1, "source_addr_npi": 1, "source_addr": digits}
    if digits.isdigit():
        return {"source_addr_ton": 3, "source_addr_npi": 0, "source_addr": digits}
    return {"source_addr_ton": 5, "source_addr_npi": 0, "source_addr": sender}


def address_to_text(address: bytes | str | None, ton: int | None) -> str:
    """A deliver_sm address as we store numbers: '+' for an international one."""
    if isinstance(address, bytes):
        address = address.decode("latin-1")
    address = address or ""
    if ton == 1 and address.isdigit():
        return f"+{address}"
    return address


# Receipt states (SMPP 3.4 appendix B). ENROUTE is not final: it is not reported.
RECEIPT_STATES = {
    "DELIVRD": DeliveryState.DELIVERED,
    "ACCEPTD": DeliveryState.DELIVERED,  # read on the subscriber's behalf: final, delivered
    "UNDELIV": DeliveryState.UNDELIVERED,
    "DELETED": DeliveryState.UNDELIVERED,
    "EXPIRED": DeliveryState.EXPIRED,
    "REJECTD": DeliveryState.REJECTED,
    "UNKNOWN": DeliveryState.UNKNOWN,
}
# message_state TLV values (SMPP 3.4 §5.3.2.35), for receipts without text.
MESSAGE_STATE_CODES = {2: "DELIVRD", 3: "EXPIRED", 4: "DELETED", 5: "UNDELIV", 6: "ACCEPTD"}
MESSAGE_STATE_CODES |= {7: "UNKNOWN", 8: "REJECTD", 1: "ENROUTE"}

_RECEIPT_LOOK = re.compile(r"^\s*id:\S+.*\bstat:\S+", re.IGNORECASE | re.DOTALL)
_FIELD = re.compile(r"(?P<key>id|stat|err|done date):(?P<value>\S+)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Receipt:
    message_id: str
    stat: str
    error: str
    done_at: datetime | None

    @property
    def state(self) -> DeliveryState | None:
        """Our state, or None for a state that is not final (ENROUTE)."""
        if self.stat == "ENROUTE":
            return None
        return RECEIPT_STATES.get(self.stat, DeliveryState.UNKNOWN)


def looks_like_receipt(text: str) -> bool:
    return bool(_RECEIPT_LOOK.match(text))


def parse_receipt(text: str) -> Receipt | None:
    """Fields of "id:… sub:… dlvrd:… submit date:… done date:… stat:… err:… text:…".

    Only the part before "text:" is read (the quoted message could say "stat:").
    None when there is no id or stat.
    """
    head = re.split(r"\btext:", text, maxsplit=1, flags=re.IGNORECASE)[0]
    fields = {m["key"].lower(): m["value"] for m in _FIELD.finditer(head)}
    if "id" not in fields or "stat" not in fields:
        return None
    error = fields.get("err", "")
    return Receipt(
        message_id=fields["id"],
        stat=fields["stat"].upper(),
        error="" if error.strip("0") == "" else error,
        done_at=_parse_receipt_date(fields.get("done date", "")),
    )


def _parse_receipt_date(value: str) -> datetime | None:
    # YYMMDDhhmm, sometimes with seconds; SMSCs do not say the zone, ours send UTC.
    for fmt, size in (("%y%m%d%H%M%S", 12), ("%y%m%d%H%M", 10)):
        if len(value) == size and value.isdigit():
            try:
                return datetime.strptime(value, fmt).replace(tzinfo=UTC)
            except ValueError:
                return None
    return None
