"""The loopback SMSC for the SMPP tests: node's `smpp` package, run by tests/sms/smsc.

`start_smsc(mode)` starts `node smsc.js <free port> <mode>` and waits until the port
accepts connections; every SMSC started in a test is stopped after it. The node modules
are installed from the lockfile (`npm ci`) the first time; without node or npm the SMPP
tests are skipped with a message saying so.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

SMSC_DIR = Path(__file__).parent / "smsc"

# SmppSession options with small timeouts, so that every SMPP test takes well under a
# few seconds (the defaults are minutes' worth of patience for a real carrier).
FAST_SESSION: dict[str, Any] = {
    "max_per_second": 0,
    "response_timeout": 3.0,
    "throttle_backoff_initial": 0.05,
    "throttle_backoff_max": 0.2,
    "rebind_backoff_initial": 0.05,
    "rebind_backoff_max": 0.5,
    "bind_wait_seconds": 5.0,
    "socket_timeout": 3.0,
}


def _install_smsc() -> str:
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        pytest.skip("SMPP tests need node and npm: the loopback SMSC is npm's `smpp` package")
    # Two xdist workers must not run `npm ci` in the same folder at once.
    lock_path = Path(tempfile.gettempdir()) / "smsmode-smsc-npm-ci.lock"
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (SMSC_DIR / "node_modules" / "smpp" / "package.json").exists():
            subprocess.run(
                [npm, "ci", "--prefix", str(SMSC_DIR), "--no-audit", "--no-fund"],
                check=True,
                capture_output=True,
                timeout=300,
            )
    return node


@pytest.fixture(scope="session")
def smsc_node() -> str:
    """The node binary, once the SMSC's node modules are installed."""
    return _install_smsc()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Smsc:
    """A running loopback SMSC: its port, the PDUs it logged, and its stdin commands."""

    def __init__(self, node: str, mode: str) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [node, str(SMSC_DIR / "smsc.js"), str(self.port), mode],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
        )
        self.lines: list[dict[str, Any]] = []
        self.raw: list[str] = []
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._changed:
                self.raw.append(line)
                with contextlib.suppress(ValueError):
                    self.lines.append(json.loads(line))
                self._changed.notify_all()

    def wait_listening(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the SMSC exited: {''.join(self.raw)}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError(f"the SMSC did not listen on {self.port}: {''.join(self.raw)}")

    def command(self, line: str) -> None:
        """Send a mode or an "mo:<from>:<text>" line (see smsc.js)."""
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def pdus(self, command: str | None = None) -> list[dict[str, Any]]:
        with self._changed:
            return [
                line
                for line in self.lines
                if "command" in line and (command is None or line["command"] == command)
            ]

    def submits(self, wait: int = 0) -> list[dict[str, Any]]:
        """The submit_sm received; with `wait`, once at least that many are logged (the
        log on stdout may trail the responses on the socket by a moment)."""
        if wait:
            self.wait_for(lambda smsc: len(smsc.pdus("submit_sm")) >= wait)
        return self.pdus("submit_sm")

    def wait_for(self, predicate: Callable[[Smsc], bool], timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate(self):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"SMSC log never matched; it has:\n{''.join(self.raw)}")
                self._changed.wait(left)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._reader.join(5)  # it ends at EOF; closing under it would raise there
        for stream in (self.process.stdin, self.process.stdout):
            with contextlib.suppress(OSError, ValueError):
                stream.close()  # type: ignore[union-attr]


@pytest.fixture
def start_smsc(smsc_node: str) -> Iterator[Callable[..., Smsc]]:
    """A factory: `start_smsc("throttle-first:3")` gives a listening SMSC."""
    started: list[Smsc] = []

    def start(mode: str = "normal") -> Smsc:
        for _attempt in range(3):  # a free port may be taken between probe and listen
            smsc = Smsc(smsc_node, mode)
            started.append(smsc)
            try:
                smsc.wait_listening()
                return smsc
            except RuntimeError:
                smsc.stop()
        raise RuntimeError("could not start the SMSC")

    yield start
    for smsc in started:
        smsc.stop()


@pytest.fixture
def smsc(start_smsc: Callable[..., Smsc]) -> Smsc:
    return start_smsc()
