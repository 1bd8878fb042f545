"""`SmppSession`: one bound SMPP 3.4 transceiver connection, kept up for as long as the
process lives.

Threads: the caller of `submit_batch` writes submit_sm PDUs; one I/O thread of the
session connects, binds, reads every PDU (responses, receipts, MO, enquire_link) and
rebinds with exponential backoff when the connection drops. They share a condition
variable (`_cv`) for the state below and a send lock so that two PDUs never interleave
on the socket (lock order: send lock, then `_cv`).

At most once: a submit_sm is sent again only when the SMSC cannot have taken it: it
answered ESME_RTHROTTLED / ESME_RMSGQFUL, or `sendall()` failed (the SMSC then holds at
most a truncated PDU). A submit_sm that left without a response before the connection
dropped, or whose response never came, is reported `unknown` and never resent.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import random
import select
import socket
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from smpplib import consts as smpp_consts
from smpplib import exceptions as smpp_exceptions
from smpplib import smpp as smpp_pdu
from smpplib.client import Client

from smsmode.sms.gateways.base import (
    DeliveryReport,
    DeliveryState,
    InboundSms,
    OutboundSms,
    SubmitResult,
)
from smsmode.sms.smpp import codec

logger = logging.getLogger(__name__)

STATUS_OK = 0x00
STATUS_MSGQFUL = 0x14
STATUS_THROTTLED = 0x58
STATUS_TEMP_APP_ERROR = 0x64  # ESME_RX_T_APPN: "try this deliver_sm again later"
# The SMSC did not take the message and says so: waiting and resubmitting is safe.
RETRY_LATER_STATUSES = frozenset({STATUS_MSGQFUL, STATUS_THROTTLED})

ReportCallback = Callable[[DeliveryReport], None]
InboundCallback = Callable[[InboundSms], None]

# Part states.
QUEUED = "queued"
IN_FLIGHT = "in_flight"
ACCEPTED = "accepted"
FAILED = "failed"  # the SMSC refused it for good
UNKNOWN = "unknown"  # it left, no response: may or may not have been taken
GAVE_UP = "gave_up"  # never taken (throttled too long, not bound): may be retried later
SKIPPED = "skipped"  # not sent because an earlier part of its message failed

_DONE = object()
# Multipart message ids remembered to fold part receipts onto the message's provider id.
PART_IDS_REMEMBERED = 100_000


class _LinkClosed(Exception):
    """The read loop ends: the SMSC unbound, answered our unbind, or stopped answering."""


@dataclass(eq=False)
class _Message:
    sms: OutboundSms
    parts: list[_Part] = field(default_factory=list)
    error: str = ""
    detail: str = ""
    # [first part's message_id]: shared with the part-id map below, so a receipt for a
    # later part finds the provider id without keeping the whole batch alive.
    first_id: list[str | None] = field(default_factory=lambda: [None])

    @property
    def broken(self) -> bool:
        """A part failed or may have failed: the other parts are not worth sending."""
        return bool(self.error) or any(p.state in (FAILED, UNKNOWN) for p in self.parts)


@dataclass(eq=False)
class _Part:
    message: _Message
    batch: _Batch
    index: int
    payload: codec.EncodedPart
    state: str = QUEUED
    message_id: str = ""
    status: int = STATUS_OK
    reason: str = ""
    sequence: int = 0
    sent_at: float = 0.0  # monotonic; 0 while reserved but not yet on the wire


@dataclass(eq=False)
class _Batch:
    messages: list[_Message] = field(default_factory=list)
    queue: deque[_Part] = field(default_factory=deque)
    retry: deque[_Part] = field(default_factory=deque)  # taken before `queue`
    flying: set[_Part] = field(default_factory=set)
    throttled_since: float | None = None
    unbound_since: float | None = None


class _TokenBucket:
    """At most `rate` submits per second, one token of burst: any one-second span holds
    at most rate + 1 submits. Callers reserve a token and sleep outside the lock."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self._tokens = 1.0
        self._last = time.monotonic()
        self._lock = threading.Lock()

    def take(self) -> None:
        if self.rate <= 0:
            return
        with self._lock:
            now = time.monotonic()
            self._tokens = min(1.0, self._tokens + (now - self._last) * self.rate)
            self._last = now
            self._tokens -= 1.0
            wait = -self._tokens / self.rate if self._tokens < 0 else 0.0
        if wait > 0:
            time.sleep(wait)


class SmppSession:
    """A bind_transceiver session with window, throughput limit, keep-alive and rebind.

    `start()` returns at once; the I/O thread binds in the background and keeps the
    bind up until `stop()`. `submit_batch()` may be called from any thread (several at
    once share the window). Receipts and MO go to `on_report` / `on_inbound`, called on
    the I/O thread; when one raises, the deliver_sm is answered ESME_RX_T_APPN so that
    the SMSC delivers it again later (receipts and MO are at least once).
    """

    def __init__(
        self,
        *,
        host: str,
        port: int,
        system_id: str,
        password: str,
        system_type: str = "",
        window: int = 10,
        max_per_second: float = 50.0,
        enquire_link_seconds: float = 30.0,
        response_timeout: float = 30.0,
        throttle_wait_seconds: float = 30.0,
        throttle_backoff_initial: float = 0.5,
        throttle_backoff_max: float = 5.0,
        rebind_backoff_initial: float = 1.0,
        rebind_backoff_max: float = 30.0,
        bind_wait_seconds: float = 30.0,
        socket_timeout: float = 10.0,
        on_report: ReportCallback | None = None,
        on_inbound: InboundCallback | None = None,
    ) -> None:
        self.host = host
        self.port = int(port)
        self.system_id = system_id
        self.password = password
        self.system_type = system_type
        self.window = max(1, int(window))
        self.enquire_link_seconds = enquire_link_seconds
        self.response_timeout = response_timeout
        self.throttle_wait_seconds = throttle_wait_seconds
        self.throttle_backoff_initial = throttle_backoff_initial
        self.throttle_backoff_max = throttle_backoff_max
        self.rebind_backoff_initial = rebind_backoff_initial
        self.rebind_backoff_max = rebind_backoff_max
        self.bind_wait_seconds = bind_wait_seconds
        self.socket_timeout = socket_timeout
        self.on_report = on_report
        self.on_inbound = on_inbound

        self._bucket = _TokenBucket(max_per_second)
        self._cv = threading.Condition()
        self._send_lock = threading.Lock()
        self._client: Client | None = None
        self._bound = False
        self._generation = 0
        self._binds = 0
        self._pending: dict[int, _Part] = {}
        self._in_flight = 0
        self._pause_until = 0.0
        self._throttle_delay = throttle_backoff_initial
        self._part_ids: OrderedDict[str, list[str | None]] = OrderedDict()
        self._stopping = False
        self._stop_event = threading.Event()
        self._unbound = threading.Event()
        self._thread: threading.Thread | None = None
        # 8-bit UDH references; a random start so that a restart does not reuse the
        # previous run's references for the same handsets straight away.
        self._refs = itertools.count(random.randrange(256))

    @classmethod
    def from_settings(cls, **overrides: Any) -> SmppSession:
        """A session configured by the SMPP_* settings; keyword arguments win."""
        from django.conf import settings

        options: dict[str, Any] = {
            "host": settings.SMPP_HOST,
            "port": settings.SMPP_PORT,
            "system_id": settings.SMPP_SYSTEM_ID,
            "password": settings.SMPP_PASSWORD,
            "system_type": settings.SMPP_SYSTEM_TYPE,
            "window": settings.SMPP_WINDOW,
            "max_per_second": settings.SMPP_MAX_PER_SECOND,
            "enquire_link_seconds": settings.SMPP_ENQUIRE_LINK_SECONDS,
            "throttle_wait_seconds": settings.SMPP_THROTTLE_WAIT_SECONDS,
        }
        options.update(overrides)
        return cls(**options)

    # Life cycle -------------------------------------------------------------------

    @property
    def bound(self) -> bool:
        return self._bound

    @property
    def binds(self) -> int:
        """How many times the session has bound (1 + rebinds)."""
        return self._binds

    def start(self) -> SmppSession:
        """Start the I/O thread, which binds and rebinds on its own. Idempotent."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="smpp-session", daemon=True)
            self._thread.start()
        return self

    def wait_bound(self, timeout: float) -> bool:
        """Wait until bound; False after `timeout` seconds."""
        with self._cv:
            return self._cv.wait_for(lambda: self._bound, timeout)

    def stop(self, timeout: float = 5.0) -> None:
        """Unbind cleanly (waiting up to 2 s for unbind_resp), close, join the thread.

        A `submit_batch` running in another thread stops sending: its unsent messages
        come back retryable ("not_bound"); those in flight keep their responses if the
        SMSC answers them before unbind_resp."""
        with self._cv:
            self._stopping = True
            client = self._client if self._bound else None
            self._cv.notify_all()
        if client is not None:
            try:
                self._send_request(client, "unbind")
                self._unbound.wait(min(2.0, timeout))
            except Exception:  # already gone: nothing to unbind
                logger.debug("SMPP unbind failed", exc_info=True)
        self._stop_event.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def __enter__(self) -> SmppSession:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # Submitting -------------------------------------------------------------------

    def submit_batch(self, messages: Sequence[OutboundSms]) -> list[SubmitResult]:
        """Submit every message; one result per message, in order.

        Each text is split by `smsmode.sms.encoding.split_segments`; a multipart message
        is sent as parts with a UDH (same reference, seq 1..n, esm_class 0x40). The
        provider id is the message_id of the first part's submit_sm_resp; `detail`
        lists every part's id ("part ids: a,b,c").

        Never raises for a carrier answer: throttled parts are resubmitted after a
        backoff for up to `throttle_wait_seconds`, then come back retryable; other
        error statuses give "smpp_0x%08x", not retryable; a part without response
        after a connection loss or `response_timeout` makes the message `unknown`.
        Messages not yet sent when the connection drops go out after the rebind, in
        this same call, if it comes within `bind_wait_seconds` (else retryable,
        "not_bound"). Blocks until every message has an outcome.
        """
        batch = self._prepare(messages)
        while True:
            with self._cv:
                now = time.monotonic()
                self._expire_overdue(batch, now)
                step = self._next_step(batch, now)
                if step is _DONE:
                    break
                if isinstance(step, float):
                    if step > 0:
                        self._cv.wait(step)
                    continue
                assert isinstance(step, _Part)
                client, generation = self._client, self._generation
            self._bucket.take()
            self._send_part(step, client, generation)
        return [self._result(message) for message in batch.messages]

    def _prepare(self, messages: Sequence[OutboundSms]) -> _Batch:
        batch = _Batch()
        for sms in messages:
            message = _Message(sms)
            batch.messages.append(message)
            try:
                payloads = codec.encode_parts(sms.text, next(self._refs))
            except ValueError as exc:
                message.error, message.detail = "invalid_message", str(exc)
                continue
            message.parts = [
                _Part(message=message, batch=batch, index=i, payload=payload)
                for i, payload in enumerate(payloads)
            ]
            batch.queue.extend(message.parts)
        return batch

    def _next_step(self, batch: _Batch, now: float) -> object:
        """Under `_cv`: a part reserved for sending, seconds to wait, or _DONE."""
        head = self._head(batch)
        if head is None:
            if not batch.flying:
                return _DONE
            oldest = min((p.sent_at for p in batch.flying if p.sent_at), default=now)
            return max(0.01, min(1.0, oldest + self.response_timeout - now))
        if self._stopping:
            self._give_up(batch, "not_bound")
            return 0.0
        if not self._bound:
            if batch.unbound_since is None:
                batch.unbound_since = now
            left = batch.unbound_since + self.bind_wait_seconds - now
            if left <= 0:
                self._give_up(batch, "not_bound")
                return 0.0
            return min(0.5, left)
        batch.unbound_since = None
        if (
            batch.throttled_since is not None
            and now - batch.throttled_since >= self.throttle_wait_seconds
        ):
            self._give_up(batch, "throttled")
            return 0.0
        if now < self._pause_until:
            return min(1.0, self._pause_until - now)
        if self._in_flight >= self.window:
            return 1.0  # a response, a loss or an expiry notifies
        (batch.retry if batch.retry and batch.retry[0] is head else batch.queue).popleft()
        head.state = IN_FLIGHT
        head.sent_at = 0.0
        self._in_flight += 1
        batch.flying.add(head)
        return head

    def _head(self, batch: _Batch) -> _Part | None:
        """The next part to send, skipping parts of messages that already failed."""
        while True:
            source = batch.retry if batch.retry else batch.queue
            if not source:
                return None
            part = source[0]
            if not part.message.broken:
                return part
            source.popleft()
            part.state = SKIPPED

    def _give_up(self, batch: _Batch, reason: str) -> None:
        for source in (batch.retry, batch.queue):
            while source:
                part = source.popleft()
                part.state, part.reason = GAVE_UP, reason

    def _send_part(self, part: _Part, client: Client | None, generation: int) -> None:
        fields = {
            **codec.source_fields(part.message.sms.sender),
            **codec.destination_fields(part.message.sms.to),
            "esm_class": part.payload.esm_class,
            "data_coding": part.payload.data_coding,
            "registered_delivery": 1,
            "short_message": part.payload.short_message,
        }
        with self._send_lock:
            with self._cv:
                if (
                    client is None
                    or generation != self._generation
                    or not self._bound
                    or self._stopping
                ):
                    # The connection changed (or is closing) while this part waited
                    # for a token: it never left, so it may go out later.
                    self._requeue(part)
                    return
                pdu = smpp_pdu.make_pdu("submit_sm", client=client, **fields)
                part.sequence = pdu.sequence
                part.sent_at = time.monotonic()
                self._pending[pdu.sequence] = part
            try:
                client.send_pdu(pdu)
            except smpp_exceptions.ConnectionError:
                # sendall() failed, so the SMSC holds at most a truncated PDU, which it
                # cannot act on: the part was not taken and goes out after the rebind.
                with self._cv:
                    if self._pending.get(part.sequence) is part:
                        del self._pending[part.sequence]
                        self._requeue(part)
                self._shutdown_socket(client)
            except Exception as exc:
                # Raised before any byte left (state check, a field smpplib cannot
                # encode): nothing was sent.
                with self._cv:
                    if self._pending.get(part.sequence) is part:
                        del self._pending[part.sequence]
                        if isinstance(exc, smpp_exceptions.PDUError):
                            self._requeue(part)
                        else:
                            self._release(part)
                            part.state, part.reason = FAILED, "invalid_message"
                            part.message.error = "invalid_message"
                            part.message.detail = f"{type(exc).__name__}: {exc}"
                        self._cv.notify_all()

    def _requeue(self, part: _Part) -> None:
        self._release(part)
        part.state, part.sent_at = QUEUED, 0.0
        part.batch.retry.appendleft(part)
        self._cv.notify_all()

    def _release(self, part: _Part) -> None:
        self._in_flight -= 1
        part.batch.flying.discard(part)

    def _expire_overdue(self, batch: _Batch, now: float) -> None:
        for part in list(batch.flying):
            if part.sent_at and now - part.sent_at > self.response_timeout:
                if self._pending.get(part.sequence) is part:
                    del self._pending[part.sequence]
                self._release(part)
                part.state, part.reason = UNKNOWN, "no_response"
                logger.warning(
                    "SMPP: no submit_sm_resp for %s in %ss",
                    part.message.sms.reference,
                    self.response_timeout,
                )

    def _result(self, message: _Message) -> SubmitResult:
        reference = message.sms.reference
        parts = message.parts
        count = len(parts) or 1
        if message.error:
            return SubmitResult(reference, error=message.error, detail=message.detail, parts=count)
        ids = [p.message_id for p in parts]
        detail = "part ids: " + ",".join(ids) if len(parts) > 1 else ""
        first_id = ids[0] if parts[0].state == ACCEPTED else None
        if all(p.state == ACCEPTED for p in parts):
            return SubmitResult(reference, provider_id=ids[0], detail=detail, parts=count)
        accepted = sum(p.state == ACCEPTED for p in parts)
        unknown = next((p for p in parts if p.state == UNKNOWN), None)
        if unknown is not None:
            return SubmitResult(
                reference,
                provider_id=first_id,
                error=unknown.reason,
                detail=f"part {unknown.index + 1}/{count} got no response; not resent",
                unknown=True,
                parts=count,
            )
        failed = next((p for p in parts if p.state == FAILED), None)
        if failed is not None:
            return SubmitResult(
                reference,
                provider_id=first_id,
                error=f"smpp_0x{failed.status:08x}",
                detail=smpp_consts.DESCRIPTIONS.get(failed.status, "unknown status")
                + (f" (part {failed.index + 1}/{count}; {accepted} accepted)" if count > 1 else ""),
                parts=count,
            )
        gave_up = next(p for p in parts if p.state == GAVE_UP)
        if gave_up.reason == "throttled":
            error = f"smpp_0x{(gave_up.status or STATUS_THROTTLED):08x}"
        else:
            error = gave_up.reason
        if accepted:
            # Some parts were taken: sending the message again would repeat them.
            return SubmitResult(
                reference,
                provider_id=first_id,
                error="partially_sent",
                detail=f"{accepted}/{count} parts accepted, then {error}",
                unknown=True,
                parts=count,
            )
        return SubmitResult(
            reference,
            error=error,
            detail="the SMSC did not take the message; submit it again later",
            retryable=True,
            parts=count,
        )

    # The I/O thread ---------------------------------------------------------------

    def _run(self) -> None:
        delay = self.rebind_backoff_initial
        while not self._stopping:
            try:
                client = self._connect_and_bind()
            except Exception as exc:
                logger.warning(
                    "SMPP bind to %s:%s failed (%s); next try in %.1fs",
                    self.host,
                    self.port,
                    exc or type(exc).__name__,
                    delay,
                )
                if self._stop_event.wait(delay):
                    break
                delay = min(delay * 2, self.rebind_backoff_max)
                continue
            bound_at = time.monotonic()
            self._on_bound(client)
            reason = "closed"
            try:
                self._read_loop(client)
            except Exception as exc:
                reason = str(exc) or type(exc).__name__
            finally:
                self._on_lost(client)
            if self._stopping:
                break
            if time.monotonic() - bound_at >= self.rebind_backoff_max:
                delay = self.rebind_backoff_initial  # it held a while: start over
            logger.warning("SMPP connection lost (%s); rebinding in %.1fs", reason, delay)
            if self._stop_event.wait(delay):
                break
            delay = min(delay * 2, self.rebind_backoff_max)

    def _connect_and_bind(self) -> Client:
        client = Client(
            self.host,
            self.port,
            timeout=self.socket_timeout,
            logger_name="smsmode.sms.smpp.wire",
            allow_unknown_opt_params=True,
        )
        try:
            client.connect()
            client.bind_transceiver(
                system_id=self.system_id,
                password=self.password,
                system_type=self.system_type,
                interface_version=0x34,
            )
        except BaseException:
            _close_client(client)
            raise
        return client

    def _on_bound(self, client: Client) -> None:
        with self._cv:
            self._client = client
            self._bound = True
            self._generation += 1
            self._binds += 1
            self._cv.notify_all()
        logger.info("SMPP bound to %s:%s as %r", self.host, self.port, self.system_id)

    def _on_lost(self, client: Client) -> None:
        self._shutdown_socket(client)  # wakes a sender blocked in sendall()
        with self._send_lock:
            _close_client(client)
        with self._cv:
            self._bound = False
            self._client = None
            for part in self._pending.values():
                self._release(part)
                part.state, part.reason = UNKNOWN, "connection_lost"
            self._pending.clear()
            self._cv.notify_all()

    def _shutdown_socket(self, client: Client) -> None:
        sock = client._socket
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def _read_loop(self, client: Client) -> None:
        sock = client._socket  # smpplib keeps it private; select() needs it
        last_rx = time.monotonic()
        enquire_sent: float | None = None
        while not self._stop_event.is_set():
            now = time.monotonic()
            if enquire_sent is not None and now - enquire_sent > self.response_timeout:
                raise _LinkClosed(f"no answer to enquire_link in {self.response_timeout}s")
            if enquire_sent is None and now - last_rx >= self.enquire_link_seconds:
                self._send_request(client, "enquire_link")
                enquire_sent = now
            timeout = 0.25
            if enquire_sent is None:
                timeout = min(timeout, max(0.0, last_rx + self.enquire_link_seconds - now))
            readable, _, _ = select.select([sock], [], [], timeout)
            if not readable:
                continue
            try:
                pdu = client.read_pdu()
            except smpp_exceptions.UnknownCommandError as exc:
                logger.warning("SMPP: ignored a PDU: %s", exc)
                continue
            last_rx = time.monotonic()
            enquire_sent = None  # anything from the SMSC proves the link is up
            self._handle(client, pdu)

    def _handle(self, client: Client, pdu: Any) -> None:
        command = pdu.command
        if command in ("submit_sm_resp", "generic_nack"):
            self._on_submit_resp(pdu)
        elif command == "deliver_sm":
            self._on_deliver_sm(client, pdu)
        elif command == "enquire_link":
            self._respond(client, "enquire_link_resp", pdu.sequence)
        elif command == "unbind":
            self._respond(client, "unbind_resp", pdu.sequence)
            raise _LinkClosed("the SMSC unbound")
        elif command == "unbind_resp":
            self._unbound.set()
            raise _LinkClosed("unbound")
        elif command != "enquire_link_resp":
            logger.debug("SMPP: ignored %s", command)

    def _on_submit_resp(self, pdu: Any) -> None:
        message_id = pdu.message_id if pdu.command == "submit_sm_resp" else None
        if isinstance(message_id, bytes):
            message_id = message_id.decode("ascii", errors="replace")
        status = int(pdu.status or 0)
        with self._cv:
            part = self._pending.pop(pdu.sequence, None)
            if part is None:
                logger.warning("SMPP: %s for unknown sequence %s", pdu.command, pdu.sequence)
                return
            self._release(part)
            batch = part.batch
            now = time.monotonic()
            if status == STATUS_OK:
                part.state, part.message_id = ACCEPTED, message_id or ""
                batch.throttled_since = None
                self._throttle_delay = self.throttle_backoff_initial
                self._remember_part(part)
            elif status in RETRY_LATER_STATUSES:
                part.state, part.status, part.sent_at = QUEUED, status, 0.0
                batch.retry.append(part)
                if batch.throttled_since is None:
                    batch.throttled_since = now
                # The responses to a window of submits arrive together: one pause for
                # them all, doubled only when throttled again after the pause.
                if now >= self._pause_until:
                    self._pause_until = now + self._throttle_delay
                    self._throttle_delay = min(self._throttle_delay * 2, self.throttle_backoff_max)
            else:
                part.state, part.status = FAILED, status
            self._cv.notify_all()

    def _remember_part(self, part: _Part) -> None:
        """Under `_cv`: note an accepted part of a multipart message, so that its
        receipt can be reported under the message's provider id."""
        if len(part.message.parts) < 2:
            return
        if part.index == 0:
            part.message.first_id[0] = part.message_id
            return
        self._part_ids[part.message_id] = part.message.first_id
        while len(self._part_ids) > PART_IDS_REMEMBERED:
            self._part_ids.popitem(last=False)

    def _on_deliver_sm(self, client: Client, pdu: Any) -> None:
        data = pdu.short_message or getattr(pdu, "message_payload", None) or b""
        esm_class = int(pdu.esm_class or 0)
        if esm_class & codec.ESM_CLASS_UDHI:
            data = codec.strip_udh(data)
        text = codec.decode_short_message(data, int(pdu.data_coding or 0))
        status = STATUS_OK
        try:
            if esm_class & codec.ESM_CLASS_RECEIPT or codec.looks_like_receipt(text):
                self._on_receipt(pdu, text)
            else:
                self._on_mo(pdu, text)
        except Exception:
            logger.exception("SMPP: handling a deliver_sm failed; asking the SMSC to retry")
            status = STATUS_TEMP_APP_ERROR
        self._respond(client, "deliver_sm_resp", pdu.sequence, status=status)

    def _on_receipt(self, pdu: Any, text: str) -> None:
        receipt = codec.parse_receipt(text)
        if receipt is None:
            receipted_id = getattr(pdu, "receipted_message_id", None)
            message_state = getattr(pdu, "message_state", None)
            if not receipted_id or message_state is None:
                logger.warning("SMPP: unreadable delivery receipt %r", text)
                return
            if isinstance(receipted_id, bytes):
                receipted_id = receipted_id.decode("ascii", errors="replace")
            stat = codec.MESSAGE_STATE_CODES.get(int(message_state), "UNKNOWN")
            receipt = codec.Receipt(receipted_id, stat, "", None)
        state = receipt.state
        if state is None:
            return  # ENROUTE: not a final state
        provider_id = receipt.message_id
        with self._cv:
            holder = self._part_ids.get(provider_id)
            first_id = holder[0] if holder is not None else None
        if first_id is not None:
            # A later part of a multipart message: the first part's receipt speaks for
            # the message unless this part failed.
            if state == DeliveryState.DELIVERED:
                return
            provider_id = first_id
        if self.on_report is not None:
            self.on_report(
                DeliveryReport(
                    provider_id=provider_id,
                    state=state,
                    error_code=receipt.error,
                    at=receipt.done_at or datetime.now(UTC),
                    gateway="smpp",
                )
            )

    def _on_mo(self, pdu: Any, text: str) -> None:
        if self.on_inbound is None:
            return
        self.on_inbound(
            InboundSms(
                sender=codec.address_to_text(pdu.source_addr, pdu.source_addr_ton),
                recipient=codec.address_to_text(pdu.destination_addr, pdu.dest_addr_ton),
                text=text,
                at=datetime.now(UTC),
                gateway="smpp",
            )
        )

    def _respond(self, client: Client, command: str, sequence: int, status: int = 0) -> None:
        with self._send_lock:
            pdu = smpp_pdu.make_pdu(command, client=client, status=status)
            pdu.sequence = sequence
            client.send_pdu(pdu)

    def _send_request(self, client: Client, command: str) -> None:
        with self._send_lock:
            client.send_pdu(smpp_pdu.make_pdu(command, client=client))


def _close_client(client: Client) -> None:
    """Close without smpplib's warnings (it complains when closing a bound client)."""
    sock = client._socket
    client._socket = None
    client.state = smpp_consts.SMPP_CLIENT_STATE_CLOSED
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.close()
