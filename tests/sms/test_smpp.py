"""SmppSession against a real SMPP server on loopback (node's `smpp`, tests/sms/smsc).

The SMSC logs every PDU it receives, with the octets as sent, so these tests check the
wire, not our own idea of it.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from smsmode.sms.gateways.base import DeliveryReport, DeliveryState, InboundSms, OutboundSms
from smsmode.sms.smpp.session import SmppSession
from tests.sms.conftest import FAST_SESSION, Smsc, free_port


class Events:
    """What the session handed to its callbacks."""

    def __init__(self) -> None:
        self.reports: list[DeliveryReport] = []
        self.inbound: list[InboundSms] = []
        self._changed = threading.Condition()

    def on_report(self, report: DeliveryReport) -> None:
        with self._changed:
            self.reports.append(report)
            self._changed.notify_all()

    def on_inbound(self, message: InboundSms) -> None:
        with self._changed:
            self.inbound.append(message)
            self._changed.notify_all()

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        with self._changed:
            assert self._changed.wait_for(predicate, timeout), (self.reports, self.inbound)


@pytest.fixture
def events() -> Events:
    return Events()


@pytest.fixture
def connect(events: Events) -> Iterator[Callable[..., SmppSession]]:
    sessions: list[SmppSession] = []

    def connect(smsc: Smsc | None, *, bound: bool = True, **options: Any) -> SmppSession:
        session = SmppSession(
            host="127.0.0.1",
            port=smsc.port if smsc else free_port(),
            system_id="smsmode",
            password="secret",
            on_report=events.on_report,
            on_inbound=events.on_inbound,
            **{**FAST_SESSION, **options},
        )
        sessions.append(session)
        session.start()
        if bound:
            assert session.wait_bound(5), "the session did not bind"
        return session

    yield connect
    for session in sessions:
        session.stop()


def sms(i: int, text: str | None = None, *, sender: str = "ACME") -> OutboundSms:
    return OutboundSms(
        reference=f"ref-{i}",
        to="+33612345678",
        sender=sender,
        text=f"message {i}" if text is None else text,
    )


def test_it_sends_gsm7_as_one_octet_per_septet(smsc, connect):
    session = connect(smsc)
    text = "Hi @£€_{}"

    [result] = session.submit_batch([sms(1, text)])

    [submit] = smsc.submits(wait=1)
    assert submit["data_coding"] == 0
    assert submit["esm_class"] == 0
    assert submit["registered_delivery"] == 1
    # H i space @ £ € (ESC e) _ { (ESC 28) } (ESC 29)
    assert submit["short_message"] == "48692000011b65111b281b29"
    assert submit["text"] == text  # node-smpp's own GSM decoder agrees
    assert (submit["destination_addr"], submit["dest_addr_ton"]) == ("33612345678", 1)
    assert (submit["source_addr"], submit["source_addr_ton"]) == ("ACME", 5)
    assert result.ok
    assert result.provider_id == submit["assigned_id"]
    assert result.parts == 1


def test_it_sends_ucs2_as_utf16_be(smsc, connect):
    session = connect(smsc)
    text = "Привет 😀 ç"

    [result] = session.submit_batch([sms(1, text, sender="36180")])

    [submit] = smsc.submits(wait=1)
    assert submit["data_coding"] == 8
    assert submit["short_message"] == text.encode("utf-16-be").hex()
    assert submit["text"] == text
    assert (submit["source_addr"], submit["source_addr_ton"]) == ("36180", 3)
    assert result.ok and result.provider_id == submit["assigned_id"]


def test_it_concatenates_a_three_part_message_with_udh(smsc, connect):
    session = connect(smsc)
    text = ("Bonjour à tous, voici les soldes! " * 12)[:400]

    [result] = session.submit_batch([sms(1, text)])

    submits = smsc.submits(wait=3)
    assert len(submits) == 3
    udhs = [bytes.fromhex(s["udh"]) for s in submits]
    assert {udh[:3] for udh in udhs} == {b"\x05\x00\x03"}
    assert len({udh[3] for udh in udhs}) == 1  # one reference for the three parts
    assert [(udh[4], udh[5]) for udh in udhs] == [(3, 1), (3, 2), (3, 3)]
    assert {s["esm_class"] for s in submits} == {0x40}
    assert {s["data_coding"] for s in submits} == {0}
    assert "".join(s["text"] for s in submits) == text
    assert result.ok and result.parts == 3
    # The provider id is the first part's; every part's id is kept in the detail.
    assert result.provider_id == submits[0]["assigned_id"]
    assert result.detail == "part ids: " + ",".join(s["assigned_id"] for s in submits)


def test_it_never_splits_a_surrogate_pair(smsc, connect):
    session = connect(smsc)
    text = "я" * 66 + "😀" + "я" * 10  # the emoji would straddle units 67 and 68

    [result] = session.submit_batch([sms(1, text)])

    submits = smsc.submits(wait=2)
    assert len(submits) == 2 and result.parts == 2
    assert submits[0]["text"] == "я" * 66
    assert submits[1]["text"] == "😀" + "я" * 10


def test_a_receipt_before_the_submit_response_is_not_lost(start_smsc, connect, events):
    smsc = start_smsc("receipt-before-resp")
    session = connect(smsc)

    [result] = session.submit_batch([sms(1)])

    # The receipt came first on the wire, so it was handled before the response.
    assert result.ok
    assert [(r.provider_id, r.state) for r in events.reports] == [
        (result.provider_id, DeliveryState.DELIVERED)
    ]
    # "m_1": node-smpp sent the receipt text in GSM 03.38, where "_" is 0x11.
    assert "_" in result.provider_id
    assert events.reports[0].gateway == "smpp"


def test_a_drop_mid_batch_loses_nothing_and_sends_nothing_twice(start_smsc, connect):
    smsc = start_smsc("drop-after:4")
    session = connect(smsc, window=1)

    results = session.submit_batch([sms(i) for i in range(1, 11)])

    assert [r.ok for r in results] == [True] * 3 + [False] + [True] * 6
    dropped = results[3]
    assert dropped.unknown and not dropped.retryable
    assert dropped.error == "connection_lost"
    assert session.binds == 2
    seen = Counter(s["text"] for s in smsc.submits(wait=10))
    assert seen == Counter(f"message {i}" for i in range(1, 11))  # each exactly once
    accepted = {s["text"]: s["assigned_id"] for s in smsc.submits() if "assigned_id" in s}
    for i, result in enumerate(results, start=1):
        if result.ok:
            assert result.provider_id == accepted[f"message {i}"], smsc.raw


def test_a_drop_with_a_full_window_never_resends_what_may_have_left(start_smsc, connect):
    smsc = start_smsc("drop-after:4")
    session = connect(smsc, window=10)

    results = session.submit_batch([sms(i) for i in range(1, 11)])

    assert all(r.ok or r.unknown for r in results)
    assert not any(r.retryable for r in results)
    # The SMSC logged every accepted one and the one it dropped the connection on.
    seen = Counter(s["text"] for s in smsc.submits(wait=sum(r.ok for r in results) + 1))
    assert max(seen.values()) == 1
    accepted = {s["text"]: s["assigned_id"] for s in smsc.submits() if "assigned_id" in s}
    for i, result in enumerate(results, start=1):
        if result.ok:
            assert result.provider_id == accepted[f"message {i}"]
        # An unknown one may well have been taken (its response was lost with the
        # connection): that is why it is unknown, and why it was sent only once.


def test_throttled_messages_are_resubmitted_not_failed(start_smsc, connect):
    smsc = start_smsc("throttle-first:3")
    session = connect(smsc)

    results = session.submit_batch([sms(i) for i in range(1, 6)])

    assert all(r.ok for r in results)
    submits = smsc.submits(wait=8)
    assert [s["answered_status"] for s in submits[:3]] == [0x58] * 3
    assert len(submits) == 8
    taken = Counter(s["text"] for s in submits if s["answered_status"] == 0)
    assert taken == Counter(f"message {i}" for i in range(1, 6))  # each taken once


def test_throttling_that_lasts_gives_retryable_results(start_smsc, connect):
    smsc = start_smsc("throttle-first:100000")
    session = connect(smsc, throttle_wait_seconds=0.3)

    results = session.submit_batch([sms(1), sms(2)])

    assert [(r.error, r.retryable, r.unknown) for r in results] == [
        ("smpp_0x00000058", True, False)
    ] * 2
    assert not [s for s in smsc.submits() if s["answered_status"] == 0]


def test_a_refused_message_fails_with_the_status(start_smsc, connect):
    smsc = start_smsc("fail-first:1:0b")
    session = connect(smsc)

    refused, sent = session.submit_batch([sms(1), sms(2)])

    assert (refused.error, refused.retryable, refused.unknown) == ("smpp_0x0000000b", False, False)
    assert sent.ok
    assert len(smsc.submits(wait=2)) == 2


def test_it_hands_mo_to_the_inbound_callback(smsc, connect, events):
    connect(smsc)

    smsc.command("mo:+33612345678:STOP €_")
    smsc.command("mo:+33700000001:Стоп 😀")

    events.wait_for(lambda: len(events.inbound) == 2)
    gsm, ucs2 = events.inbound
    assert (gsm.sender, gsm.recipient, gsm.text) == ("+33612345678", "36180", "STOP €_")
    assert (ucs2.sender, ucs2.text) == ("+33700000001", "Стоп 😀")
    assert not events.reports
    smsc.wait_for(lambda s: len(s.pdus("deliver_sm_resp")) == 2)
    assert [p.get("command_status", 0) for p in smsc.pdus("deliver_sm_resp")] == [0, 0]


def test_it_sends_enquire_link_when_idle(smsc, connect):
    session = connect(smsc, enquire_link_seconds=0.1)

    smsc.wait_for(lambda s: len(s.pdus("enquire_link")) >= 3, timeout=3)

    assert session.bound and session.binds == 1


def test_it_obeys_the_throughput_limit(smsc, connect):
    session = connect(smsc, max_per_second=20)

    start = time.monotonic()
    results = session.submit_batch([sms(i) for i in range(11)])
    elapsed = time.monotonic() - start

    assert all(r.ok for r in results)
    assert elapsed >= 0.45  # 11 submits at 20/s: 10 gaps of 50 ms


def test_a_later_part_receipt_reports_under_the_provider_id(start_smsc, connect, events):
    smsc = start_smsc("stat:UNDELIV")
    session = connect(smsc)

    [result] = session.submit_batch([sms(1, "x" * 400)])

    events.wait_for(lambda: len(events.reports) == 3)
    assert {(r.provider_id, r.state) for r in events.reports} == {
        (result.provider_id, DeliveryState.UNDELIVERED)
    }
    assert events.reports[0].error_code == "001"


def test_delivered_later_parts_are_not_reported_again(smsc, connect, events):
    session = connect(smsc)

    [result] = session.submit_batch([sms(1, "x" * 400)])

    smsc.wait_for(lambda s: len(s.pdus("deliver_sm_resp")) == 3)
    assert [(r.provider_id, r.state) for r in events.reports] == [
        (result.provider_id, DeliveryState.DELIVERED)
    ]


def test_a_failing_report_handler_asks_the_smsc_to_retry(smsc, connect, events):
    def broken(report: DeliveryReport) -> None:
        raise RuntimeError("database down")

    session = connect(smsc)
    session.on_report = broken

    session.submit_batch([sms(1)])

    smsc.wait_for(lambda s: len(s.pdus("deliver_sm_resp")) == 1)
    assert smsc.pdus("deliver_sm_resp")[0]["command_status"] == 0x64


def test_it_refuses_an_empty_text_without_sending(smsc, connect):
    session = connect(smsc)

    [result] = session.submit_batch([sms(1, "")])

    assert (result.error, result.retryable, result.unknown) == ("invalid_message", False, False)
    assert not smsc.submits()


def test_messages_are_retryable_when_no_bind_comes(connect):
    session = connect(None, bound=False, bind_wait_seconds=0.3)

    results = session.submit_batch([sms(1), sms(2)])

    assert [(r.error, r.retryable) for r in results] == [("not_bound", True)] * 2


def test_stop_unbinds(smsc, connect):
    session = connect(smsc)

    session.stop()

    smsc.wait_for(lambda s: len(s.pdus("unbind")) == 1)
    assert not session.bound
