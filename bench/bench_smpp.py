"""SMPP submits per second through the smpp gateway against a bare smpplib loop.

Both talk to the loopback SMSC of the tests (node's `smpp`, tests/sms/smsc/smsc.js,
receipts off so that both measure submit_sm / submit_sm_resp only) with the same
window: at most 10 submit_sm in flight. N single-part GSM messages each.

- baseline: one thread, smpplib's `send_message` while fewer than 10 are in flight,
  `read_pdu` for each response; no encoding work, no bookkeeping.
- SmppSession.submit_batch: our session (encoding and parts, window, state per part,
  the reader thread), throughput cap off.
- SmppGateway.submit: the whole path of a dispatch job: Redis outbox, the connector
  (in a thread here), the session, results back through Redis; batches of 100.

Prints the median of 3 rounds in messages per second and the ratio to the baseline.
"""

from __future__ import annotations

import logging
import shutil
import socket
import statistics
import subprocess
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.test import override_settings
from redis import Redis
from smpplib import smpp as smpp_pdu
from smpplib.client import Client

from smsmode.sms.gateways.base import OutboundSms
from smsmode.sms.gateways.smpp import SmppGateway
from smsmode.sms.smpp.connector import SmppConnector
from smsmode.sms.smpp.session import SmppSession

N = 2000
WINDOW = 10
ROUNDS = 3
GATEWAY_BATCH = 100
SMSC_DIR = Path(__file__).resolve().parent.parent / "tests" / "sms" / "smsc"


def _start_smsc() -> tuple[subprocess.Popen, int]:
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        raise RuntimeError("bench_smpp needs node and npm (the loopback SMSC)")
    if not (SMSC_DIR / "node_modules" / "smpp").exists():
        subprocess.run(
            [npm, "ci", "--prefix", str(SMSC_DIR), "--no-audit", "--no-fund"], check=True
        )
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [node, str(SMSC_DIR / "smsc.js"), str(port), "no-receipts"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,  # the PDU log: not read here, must not fill a pipe
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process, port
        except OSError:
            time.sleep(0.02)
    process.kill()
    raise RuntimeError("the SMSC did not start")


def _messages(n: int, tag: str) -> list[OutboundSms]:
    return [
        OutboundSms(f"{tag}-{i}", "+33612345678", "ACME", f"Bench message {i}: soldes -20%")
        for i in range(n)
    ]


def _bare_smpplib(port: int, n: int) -> float:
    client = Client("127.0.0.1", port, timeout=10, allow_unknown_opt_params=True)
    client.connect()
    client.bind_transceiver(system_id="bench", password="bench")
    bodies = [f"Bench message {i}: soldes -20%".encode("ascii") for i in range(n)]
    start = time.perf_counter()
    sent = done = in_flight = 0
    while done < n:
        while in_flight < WINDOW and sent < n:
            client.send_message(
                source_addr_ton=5,
                source_addr="ACME",
                dest_addr_ton=1,
                dest_addr_npi=1,
                destination_addr="33612345678",
                data_coding=0,
                registered_delivery=1,
                short_message=bodies[sent],
            )
            sent += 1
            in_flight += 1
        pdu = client.read_pdu()
        if pdu.command == "submit_sm_resp":
            assert pdu.status == 0
            in_flight -= 1
            done += 1
    elapsed = time.perf_counter() - start
    client.send_pdu(smpp_pdu.make_pdu("unbind", client=client))
    client.read_pdu()
    client.disconnect()
    return n / elapsed


def _session(port: int) -> SmppSession:
    session = SmppSession(
        host="127.0.0.1",
        port=port,
        system_id="bench",
        password="bench",
        window=WINDOW,
        max_per_second=0,
    )
    session.start()
    assert session.wait_bound(10)
    return session


def _through_session(port: int, n: int) -> float:
    session = _session(port)
    try:
        session.submit_batch(_messages(WINDOW * 2, "warm"))
        messages = _messages(n, "s")
        start = time.perf_counter()
        results = session.submit_batch(messages)
        elapsed = time.perf_counter() - start
    finally:
        session.stop()
    assert all(r.ok for r in results)
    return n / elapsed


def _through_gateway(port: int, n: int) -> float:
    prefix = f"bench-smpp-{uuid.uuid4().hex}:"
    redis = Redis.from_url(settings.REDIS_URL)
    connector = SmppConnector(session=_session(port), redis=redis, prefix=prefix, poll_seconds=0.1)
    thread = threading.Thread(target=connector.run, daemon=True)
    thread.start()
    try:
        with override_settings(SMPP_REDIS_PREFIX=prefix):
            gateway = SmppGateway()
            gateway.submit(_messages(WINDOW * 2, "warm"))
            messages = _messages(n, "g")
            start = time.perf_counter()
            results = []
            for i in range(0, n, GATEWAY_BATCH):
                results += gateway.submit(messages[i : i + GATEWAY_BATCH])
            elapsed = time.perf_counter() - start
    finally:
        connector.stop()
        thread.join(10)
        redis.close()
    assert all(r.ok for r in results)
    return n / elapsed


def _median(measure: Callable[[int, int], float], port: int) -> float:
    return statistics.median(measure(port, N) for _ in range(ROUNDS))


def run() -> None:
    # Binds and unbinds are logged at INFO; a dozen of them would bury the figures.
    for name in ("smsmode.sms.smpp", "smpp"):
        logging.getLogger(name).setLevel(logging.WARNING)
    process, port = _start_smsc()
    try:
        baseline = _median(_bare_smpplib, port)
        session = _median(_through_session, port)
        gateway = _median(_through_gateway, port)
    finally:
        process.terminate()
        process.wait(5)
    print(f"  {N} single-part submits, window {WINDOW}, loopback node SMSC, median of {ROUNDS}")
    print(f"  baseline (bare smpplib loop, window {WINDOW}): {baseline:,.0f} msgs/s")
    print(f"  SmppSession.submit_batch: {session:,.0f} msgs/s = {session / baseline:.2f}x baseline")
    print(
        f"  SmppGateway.submit via Redis + connector, batches of {GATEWAY_BATCH}: "
        f"{gateway:,.0f} msgs/s = {gateway / baseline:.2f}x baseline"
    )
