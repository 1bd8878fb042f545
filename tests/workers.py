"""Real RQ worker processes for the tests that kill one (PostgreSQL only)."""

import contextlib
import os
import signal
import subprocess
from pathlib import Path

from django.conf import settings
from django.db import connection


def worker_env(**extra: str) -> dict[str, str]:
    """The environment of a worker process on the test database and this test
    process's Redis database. PYTEST_* variables are left out: the worker is not a
    test process, and settings would move it to another Redis database."""
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    return {
        **inherited,
        "DATABASE_URL": f"postgres://{auth}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "LOG_LEVEL": "WARNING",
        **extra,
    }


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def kill_worker(worker: subprocess.Popen) -> None:
    """SIGKILL the worker and its work horse: RQ puts the horse in a process group of
    its own (os.setpgrp), so killing the worker's group alone would leave it running.
    The worker first (it cannot fork another horse then), then the horse's group."""
    horses = children(worker.pid)
    os.killpg(worker.pid, signal.SIGKILL)
    for pid in horses:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
    worker.wait(timeout=30)
