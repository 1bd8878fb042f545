"""Short-link redirect under gunicorn against a bare 302 view on the same server and stack.

The app runs in a real `gunicorn` (2 sync workers) on 127.0.0.1, pointed at the test
database; this module is its WSGI entry point too (`bench.bench_redirect:application`
serves smsmode.urls plus `/bench-bare/<code>`, a view that returns a fixed 302 behind
the same middleware: the framework's floor). The load comes from `wrk` when it is on
PATH, else from a bounded Python generator (threads, one connection per request, as a
sync worker closes every connection). Scenarios, all in one run on one server:

- bare: the fixed 302;
- hot: one link, over and over (the lookup always a cache hit);
- short domain: the same hot link on SHORT_LINK_DOMAIN, answered by the middleware
  before sessions and accounts;
- 10,000 links: the first visits of 1,000 codes (cold: a cache miss, one indexed query
  each, measured once), then round-robin over all of them, cached (warm).

The timed scenarios run in rounds: each round runs bare, hot, short domain and 10,000
warm links back to back, and each scenario's ratio is to that round's bare run (the
machine is shared: its load drifts over a run, far less within one round). The report
gives every round's ratios and, per scenario, the median ratio, req/s and p99; the
70% target is judged on the medians.

Then exact counts: the hot link's clicks must equal the 302s served on it (the 10,000
links' events are dropped, not stored); N concurrent clicks by people and M by a
link-preview bot on the hot link, `clicks_flush()` until it returns 0: `clicks` must
grow by exactly N and `bot_clicks` by exactly M. Needs PostgreSQL (DATABASE_URL).

BENCH_REDIRECT_ROUNDS sets the number of rounds (default 3), BENCH_REDIRECT_SECONDS
each timed scenario's length in a round (default 4), BENCH_REDIRECT_CONNECTIONS the
concurrent connections (default 16), BENCH_REDIRECT_LOAD the generator (auto: wrk if
on PATH; wrk; python).
"""

from __future__ import annotations

import datetime
import itertools
import math
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHORT_DOMAIN = "go.test"
MOBILE_AGENT = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
BOT_AGENT = "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)"
BARE_TARGET = "https://example.com/landing"
LINKS = 10_000
COLD = 1_000  # first visits measured over HTTP; the rest of the cache is filled in-process
PEOPLE, BOTS = 1_500, 300


# --- The server side: gunicorn imports this module as its WSGI application ----------


def bare(request, code: str):
    """The floor: a fixed 302 with the redirect's own headers, no lookup, no click."""
    from django.http import HttpResponseRedirect

    response = HttpResponseRedirect(BARE_TARGET)
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


_handler = None
_handler_lock = threading.Lock()


def _load_handler():
    """Django set up with this module as ROOT_URLCONF (the project's URLs under it)."""
    global urlpatterns
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smsmode.settings")
    import django
    from django.conf import settings

    django.setup(set_prefix=False)
    from django.core.handlers.wsgi import WSGIHandler
    from django.urls import include, path

    urlpatterns = [path("bench-bare/<str:code>", bare), path("", include("smsmode.urls"))]
    settings.ROOT_URLCONF = __name__
    return WSGIHandler()


def application(environ, start_response):
    global _handler
    if _handler is None:
        with _handler_lock:
            if _handler is None:
                _handler = _load_handler()
    return _handler(environ, start_response)


# --- The load ---------------------------------------------------------------------


@dataclass
class Result:
    label: str
    tool: str
    elapsed: float = 0.0
    completed: int = 0
    statuses: Counter = field(default_factory=Counter)
    errors: int = 0
    p99_ms: float = 0.0

    @property
    def rps(self) -> float:
        return self.completed / self.elapsed if self.elapsed else 0.0


def _percentile_ms(latencies: list[float], percent: float) -> float:
    if not latencies:
        return 0.0
    ordered = sorted(latencies)
    return ordered[max(0, math.ceil(len(ordered) * percent / 100) - 1)] * 1000


def _fetch(port: int, request: bytes) -> int:
    """One request on its own connection; the status code (the body is read to EOF)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        head = sock.recv(65536)
        while sock.recv(65536):
            pass
    return int(head[9:12])


def _python_load(
    port: int,
    paths: list[str],
    *,
    label: str,
    connections: int,
    agent: str = MOBILE_AGENT,
    host: str | None = None,
    seconds: float | None = None,
    total: int | None = None,
) -> Result:
    """`connections` threads, each one request at a time, until `seconds` have passed
    or `total` requests were started; a request in flight at the deadline completes."""
    assert seconds or total
    host = host or f"127.0.0.1:{port}"
    requests = [
        (
            f"GET {p} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {agent}\r\n"
            "Accept: text/html,application/xhtml+xml,*/*;q=0.8\r\n"
            "Accept-Language: fr-FR,fr;q=0.9\r\nConnection: close\r\n\r\n"
        ).encode()
        for p in paths
    ]
    tickets = itertools.count()
    outcomes: list[tuple[list[float], Counter, int]] = []
    start_line = threading.Barrier(connections + 1)
    deadline = math.inf

    def worker() -> None:
        latencies: list[float] = []
        statuses: Counter = Counter()
        errors = 0
        start_line.wait()
        while time.perf_counter() < deadline:
            n = next(tickets)
            if total is not None and n >= total:
                break
            begin = time.perf_counter()
            try:
                status = _fetch(port, requests[n % len(requests)])
            except (OSError, ValueError):
                errors += 1
                continue
            latencies.append(time.perf_counter() - begin)
            statuses[status] += 1
        outcomes.append((latencies, statuses, errors))

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(connections)]
    for thread in threads:
        thread.start()
    begin = time.perf_counter()
    if seconds:
        deadline = begin + seconds
    start_line.wait()
    for thread in threads:
        thread.join(timeout=(seconds or 120) + 30)
    result = Result(label, "python", elapsed=time.perf_counter() - begin)
    latencies = []
    for lat, statuses, errors in outcomes:
        latencies.extend(lat)
        result.statuses.update(statuses)
        result.errors += errors
    result.completed = len(latencies)
    result.p99_ms = _percentile_ms(latencies, 99)
    return result


_WRK_SCRIPT = """
local paths = {%(paths)s}
local headers = {["User-Agent"] = %(agent)s, ["Accept"] = "text/html,*/*;q=0.8",
                 ["Accept-Language"] = "fr-FR,fr;q=0.9"%(host)s}
local threads = {}
local n = 0
function setup(thread) table.insert(threads, thread) end
function init(args) found = 0; other = 0 end
function request()
  n = n + 1
  return wrk.format("GET", paths[(n - 1) %% #paths + 1], headers)
end
function response(status, hdrs, body)
  if status == 302 then found = found + 1 else other = other + 1 end
end
function done(summary, latency, requests)
  local f, o = 0, 0
  for _, t in ipairs(threads) do f = f + t:get("found"); o = o + t:get("other") end
  local e = summary.errors
  io.write(string.format("BENCH %%d %%d %%d %%d %%d %%d\\n", summary.requests,
    summary.duration, latency:percentile(99), f, o,
    e.connect + e.read + e.write + e.timeout))
end
"""


def _lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _wrk_load(
    wrk: str,
    port: int,
    paths: list[str],
    *,
    label: str,
    connections: int,
    seconds: float,
    agent: str = MOBILE_AGENT,
    host: str | None = None,
) -> Result:
    script = _WRK_SCRIPT % {
        "paths": ",".join(_lua_string(p) for p in paths),
        "agent": _lua_string(agent),
        "host": f', ["Host"] = {_lua_string(host)}' if host else "",
    }
    with tempfile.NamedTemporaryFile("w", suffix=".lua", prefix="bench-redirect-") as lua:
        lua.write(script)
        lua.flush()
        out = subprocess.run(
            [
                *(wrk, "-t1", f"-c{connections}", f"-d{int(seconds)}s", "--timeout", "10s"),
                *("-s", lua.name, f"http://127.0.0.1:{port}/"),
            ],
            capture_output=True,
            text=True,
            timeout=seconds + 60,
            check=True,
        ).stdout
    match = re.search(r"^BENCH (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)$", out, re.M)
    assert match, out
    requests, micros, p99, found, other, errors = map(int, match.groups())
    result = Result(label, "wrk", elapsed=micros / 1e6, completed=requests, errors=errors)
    result.statuses.update({302: found, "other": other})
    result.p99_ms = p99 / 1000
    return result


# --- The run ------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server_env() -> dict[str, str]:
    from django.conf import settings
    from django.db import connection

    db = connection.settings_dict
    auth = f"{db['USER']}:{db['PASSWORD']}" if db.get("PASSWORD") else db["USER"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.update(
        DJANGO_SETTINGS_MODULE="smsmode.settings",
        DATABASE_URL=f"postgres://{auth}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        REDIS_URL=settings.REDIS_URL,
        CACHE_KEY_PREFIX=settings.CACHES["default"].get("KEY_PREFIX", ""),
        DEBUG="False",
        SECRET_KEY=f"bench-{secrets.token_hex(32)}",
        ALLOWED_HOSTS=f"127.0.0.1,{SHORT_DOMAIN}",
        SHORT_LINK_DOMAIN=SHORT_DOMAIN,
        PYTHONPATH=str(ROOT),
    )
    return env


def _wait_ready(server: subprocess.Popen, port: int, log: Path) -> None:
    probe = f"GET /bench-bare/ready HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited ({server.returncode}):\n{log.read_text()}")
        try:
            if _fetch(port, probe) == 302:
                return
        except (OSError, ValueError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn not ready after 60 s:\n{log.read_text()}")


def _seed():
    from shortener.models import ShortLink
    from shortener.safety import generate_code
    from shortener.services import link_create
    from smsmode.accounts.models import User
    from smsmode.accounts.services import account_create
    from smsmode.billing.models import Plan

    owner = User.objects.create_user(email="bench-redirect@bench.test", password="x")
    account = account_create(name="Bench redirect", owner=owner, language="en")
    account.plan = Plan.objects.get(code="medium")
    account.save(update_fields=["plan"])
    hot = link_create(account=account, url="https://example.com/promo?utm=sms", by=owner)
    codes: set[str] = set()
    while len(codes) < LINKS:
        code = generate_code(8)
        if code != hot.code:
            codes.add(code)
    expires = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=31)
    ShortLink.objects.bulk_create(
        [
            ShortLink(
                account=account,
                created_by=owner,
                code=code,
                target_url=f"https://example.com/offer/{i}",
                expires_at=expires,
            )
            for i, code in enumerate(sorted(codes))
        ],
        batch_size=2000,
    )
    return hot, sorted(codes)


def _flush_all() -> int:
    from shortener.clicks import clicks_flush

    stored = 0
    while batch := clicks_flush():
        stored += batch
    return stored


def _reset_click_state(redis) -> None:
    from shortener.clicks import PENDING, SCHEDULED

    redis.delete(PENDING, SCHEDULED)


# Keep only one code's pending events (atomically: a request still in flight appends
# before or after, never in between); returns how many were dropped.
_KEEP_CODE = """
local items = redis.call('LRANGE', KEYS[1], 0, -1)
redis.call('DEL', KEYS[1])
local dropped = 0
for _, item in ipairs(items) do
  if cjson.decode(item).code == ARGV[1] then
    redis.call('RPUSH', KEYS[1], item)
  else
    dropped = dropped + 1
  end
end
return dropped
"""


def _keep_pending_of(redis, code: str) -> int:
    """Drop the pending click events of every link but `code` (the 10,000 links' clicks
    are not stored; the hot link's are, for the exact count)."""
    from shortener.clicks import PENDING

    return int(redis.eval(_KEEP_CODE, 1, PENDING, code))


def _drop_flush_jobs() -> None:
    """The redirect schedules a flush job every 2 s; no worker runs here: drop them."""
    import django_rq

    registry = django_rq.get_queue("default").scheduled_job_registry
    jobs = registry.job_class.fetch_many(registry.get_job_ids(), connection=registry.connection)
    for job in jobs:
        if job is not None and job.func_name == "shortener.jobs.clicks_flush_job":
            registry.remove(job, delete_job=True)


def _not_302(result: Result) -> int:
    return sum(n for status, n in result.statuses.items() if status != 302) + result.errors


def _line(result: Result, floor_rps: float | None) -> str:
    """One run measured once (the cold pass): its ratio to the median bare req/s."""
    ratio = f"{result.rps / floor_rps:6.0%}" if floor_rps else "     -"
    return (
        f"   {result.label:<38} {result.rps:8.0f} req/s  p99 {result.p99_ms:7.1f} ms"
        f"  {ratio} of bare   ({result.completed:,} requests, {_not_302(result)} not 302)"
    )


def _median_line(runs: list[Result], ratios: list[float] | None) -> str:
    """A timed scenario over the rounds: median req/s, p99 and ratio to bare, and the
    ratio of every round (req/s for the bare run itself)."""
    rps = statistics.median(r.rps for r in runs)
    p99 = statistics.median(r.p99_ms for r in runs)
    if ratios is None:
        ratio, each = "     -", ", ".join(f"{r.rps:.0f}" for r in runs) + " req/s"
    else:
        ratio, each = f"{statistics.median(ratios):6.0%}", ", ".join(f"{x:.0%}" for x in ratios)
    requests = sum(r.completed for r in runs)
    bad = sum(_not_302(r) for r in runs)
    return (
        f"   {runs[0].label:<38} {rps:8.0f} req/s  p99 {p99:7.1f} ms  {ratio} of bare"
        f"   (rounds: {each}; {requests:,} requests, {bad} not 302)"
    )


def _concurrently(*loads):
    """Run the load functions at the same time; their results, in order."""
    results: list = [None] * len(loads)

    def one(index: int) -> None:
        results[index] = loads[index]()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(loads))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def run() -> None:
    from django.conf import settings
    from django.core.cache import cache
    from django.db import connection

    if connection.vendor != "postgresql":
        print("   skipped: the redirect benchmark needs PostgreSQL (set DATABASE_URL)")
        return
    import django_rq

    from shortener.services import _cache_key, link_lookup

    started = time.perf_counter()
    rounds = int(os.environ.get("BENCH_REDIRECT_ROUNDS", "3"))
    seconds = float(os.environ.get("BENCH_REDIRECT_SECONDS", "4"))
    connections = int(os.environ.get("BENCH_REDIRECT_CONNECTIONS", "16"))
    load = os.environ.get("BENCH_REDIRECT_LOAD", "auto")  # auto, wrk or python
    wrk = shutil.which("wrk") if load != "python" else None
    if load == "wrk" and not wrk:
        raise RuntimeError("BENCH_REDIRECT_LOAD=wrk: wrk is not on PATH (apt-get install wrk)")
    redis = django_rq.get_connection("default")
    _reset_click_state(redis)
    hot, codes = _seed()
    print(
        f"   {os.cpu_count()} cores shared by gunicorn (2 sync workers), Redis, PostgreSQL "
        f"and the load generator ({'wrk, 1 thread' if wrk else 'Python threads'}): "
        f"{connections} connections, {rounds} rounds of {seconds:.0f} s per timed scenario, "
        f"DB_CONN_MAX_AGE={os.environ.get('DB_CONN_MAX_AGE', '0')}"
    )

    def timed(label: str, paths: list[str], **kwargs) -> Result:
        if wrk:
            return _wrk_load(
                wrk, port, paths, label=label, connections=connections, seconds=seconds, **kwargs
            )
        return _python_load(
            port, paths, label=label, connections=connections, seconds=seconds, **kwargs
        )

    port = _free_port()
    log = Path(tempfile.mkstemp(prefix="bench-redirect-", suffix=".log")[1])
    with open(log, "w") as log_file:
        server = subprocess.Popen(
            [
                *(sys.executable, "-m", "gunicorn", f"{__name__}:application"),
                *("--bind", f"127.0.0.1:{port}", "--workers", "2", "--worker-class", "sync"),
                *("--backlog", "2048", "--log-level", "warning"),
            ],
            cwd=ROOT,
            env=_server_env(),
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    bare_path, hot_path = ["/bench-bare/x2k9fmq7"], [f"/s/{hot.code}"]
    paths = [f"/s/{code}" for code in codes]
    try:
        _wait_ready(server, port, log)
        # Warm both workers (imports, URL resolver, connections) and the hot code.
        _python_load(port, bare_path, label="", connections=4, total=400)
        warm_up = _python_load(port, hot_path, label="", connections=4, total=400)

        cold = _python_load(
            port,
            paths[:COLD],
            label=f"(c) first visits of {COLD:,} codes (cold)",
            connections=connections,
            total=COLD,
        )
        for code in codes[COLD:]:  # the rest of the cache, filled in-process
            link_lookup(code)

        # The timed scenarios, in rounds; each ratio is to its own round's bare run.
        by_round: list[dict[str, Result]] = []
        for _ in range(rounds):
            by_round.append(
                {
                    "bare": timed("(a) bare 302 view", bare_path),
                    "hot": timed("(b) one hot link", hot_path),
                    "short": timed(
                        "    same link on SHORT_LINK_DOMAIN", [f"/{hot.code}"], host=SHORT_DOMAIN
                    ),
                    "warm": timed(f"(c) {LINKS:,} links, warm (round-robin)", paths),
                }
            )
        served = warm_up.statuses[302] + sum(
            r[key].statuses[302] for r in by_round for key in ("hot", "short")
        )
        _keep_pending_of(redis, hot.code)  # the cold and warm passes' clicks are not stored
        _flush_all()
        hot.refresh_from_db()
        before = (hot.clicks, hot.bot_clicks)

        # N people and M bots click the hot link at the same time.
        people, bots = _concurrently(
            lambda: _python_load(port, hot_path, label="", connections=24, total=PEOPLE),
            lambda: _python_load(
                port, hot_path, label="", connections=8, total=BOTS, agent=BOT_AGENT
            ),
        )
        flushed = _flush_all()
        hot.refresh_from_db()
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        server_log = log.read_text().strip()
        log.unlink()
        _reset_click_state(redis)  # the 10,000 links' clicks are not stored (nor stragglers)
        _drop_flush_jobs()
        cache.delete_many([_cache_key(c) for c in [*codes, hot.code]])

    names = {"hot": "hot link", "short": "short domain", "warm": f"{LINKS:,} warm links"}
    ratios = {key: [r[key].rps / r["bare"].rps for r in by_round] for key in names}
    for i, r in enumerate(by_round, 1):
        print(
            f"   round {i}: bare {r['bare'].rps:.0f} req/s; "
            + ", ".join(f"{names[key]} {ratios[key][i - 1]:.0%}" for key in names)
        )
    bares = [r["bare"] for r in by_round]
    print(_median_line(bares, None))
    for key in names:
        print(_median_line([r[key] for r in by_round], ratios[key]))
    floor_rps = statistics.median(r.rps for r in bares) if bares[0].tool == cold.tool else None
    print(_line(cold, floor_rps))
    hot_ratio, warm_ratio = statistics.median(ratios["hot"]), statistics.median(ratios["warm"])
    met = "met" if min(hot_ratio, warm_ratio) >= 0.70 else "not met"
    print(
        f"   medians over {rounds} rounds of each round's ratio to its own bare run; "
        f"target >= 70%: {met} (hot link {hot_ratio:.0%}, {LINKS:,} warm links "
        f"{warm_ratio:.0%}, short domain {statistics.median(ratios['short']):.0%})"
    )
    if wrk:
        print("   (the cold pass is bounded by count: Python threads, no ratio to wrk's bare)")
    else:
        print("   (the cold pass runs once: its ratio is to the median bare req/s)")
    exact = "OK" if before[0] == served else ("MISMATCH" if not wrk else "wrk: approximate")
    print(
        f"   hot link after warm-up and {rounds} rounds of (b) and the short domain: "
        f"{served:,} 302s counted, clicks {before[0]:,}, bot_clicks {before[1]}: {exact}"
    )
    n_people, n_bots = people.statuses[302], bots.statuses[302]
    grew = (hot.clicks - before[0], hot.bot_clicks - before[1])
    print(
        f"   {n_people:,} people (24 connections) and {n_bots:,} bots ({BOT_AGENT.split()[0]}, "
        f"8 connections) concurrently, {people.errors + bots.errors} errors; "
        f"clicks_flush stored {flushed:,}"
    )
    print(
        f"     clicks +{grew[0]:,} (expected {n_people:,}), bot_clicks +{grew[1]:,} "
        f"(expected {n_bots:,}), unique_clicks {hot.unique_clicks}: "
        f"{'OK' if grew == (n_people, n_bots) else 'MISMATCH'}"
    )
    noise = [line for line in server_log.splitlines() if "No directory at" not in line]
    if any("Warning" in line or "Error" in line for line in noise):
        print("   gunicorn said:\n     " + "\n     ".join(noise)[:2000])
    elapsed = time.perf_counter() - started
    print(
        f"   ({elapsed:.0f} s; the bench process has DEBUG={settings.DEBUG}, gunicorn DEBUG=False)"
    )
