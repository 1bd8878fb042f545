"""Webhook fixtures: a real HTTP receiver on 127.0.0.1, API messages, RQ helpers."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import django_rq
import pytest
from rq import SimpleWorker
from rq.scheduler import RQScheduler

from campaigns.models import ApiFlow, Kind, Message


@pytest.fixture(autouse=True)
def _redis():
    """This test worker's own Redis database, empty before and after."""
    connection = django_rq.get_connection("low")
    connection.flushdb()
    yield
    connection.flushdb()


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """What the server got, and what it answers next: `plan` is a list of
    (status, delay in seconds), one per request; then 200 at once."""

    server: ThreadingHTTPServer
    received: list[Received] = field(default_factory=list)
    plan: list[tuple[int, float]] = field(default_factory=list)
    # Set while a request is being answered, for tests that act mid-request.
    on_request: object = None

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def url(self, path: str = "/hook", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"


def _handler_for(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            receiver.received.append(Received(self.path, dict(self.headers.items()), body))
            status, delay = receiver.plan.pop(0) if receiver.plan else (200, 0.0)
            if delay:
                time.sleep(delay)
            try:
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", "http://127.0.0.1:9/elsewhere")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
            except OSError:
                pass  # the client gave up (timeout tests)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


def start_receiver(server_class=ThreadingHTTPServer, wrap=None) -> Receiver:
    receiver = Receiver(server=None)  # type: ignore[arg-type]
    server = server_class(("127.0.0.1", 0), _handler_for(receiver))
    if wrap is not None:
        server.socket = wrap(server.socket)
    receiver.server = server
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return receiver


@pytest.fixture
def receiver():
    receiver = start_receiver()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


@pytest.fixture
def allow_local(settings):
    """Let the guard call the local receiver (as WEBHOOK_ALLOWED_HOSTS does in dev)."""
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.WEBHOOK_TIMEOUT = 2


def api_message(account, **fields) -> Message:
    """A message sent through the API (no campaign, api_flow set)."""
    values = {
        "kind": Kind.NOTIFICATION,
        "phone": "+33612345678",
        "sender": "ACME",
        "body": "Your code is 123456",
        "encoding": "GSM7",
        "segments": 1,
        "cost": Decimal("1.00"),
        "status": Message.Status.DELIVERED,
        "api_flow": ApiFlow.TRANSACTIONAL,
        "ref_client": "order-42",
    }
    values.update(fields)
    return Message.objects.create(account=account, **values)


def low_queue():
    return django_rq.get_queue("low")


def run_low_jobs() -> None:
    """Run the queued jobs of "low", and the scheduled ones that are due."""
    queue = low_queue()
    scheduler = RQScheduler([queue], connection=queue.connection)
    scheduler.acquire_locks()
    scheduler.enqueue_scheduled_jobs()
    scheduler.release_locks()
    SimpleWorker([queue], connection=queue.connection).work(burst=True)


def scheduled(delivery_id: int) -> list:
    """The scheduled times of the retry jobs of a delivery."""
    queue = low_queue()
    registry = queue.scheduled_job_registry
    found = []
    for job_id in registry.get_job_ids():
        job = queue.fetch_job(job_id)
        if job is not None and job.args == (delivery_id,):
            found.append(registry.get_scheduled_time(job_id))
    return found
