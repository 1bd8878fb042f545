"""Dashboard with 10,000,000 messages against the same pages of an account with none.

Seeds BENCH_DASHBOARD_MESSAGES messages (default 10,000,000) for one account, in SQL
(`INSERT ... SELECT FROM generate_series`, deterministic pseudo-random values from a
hash of the row number) into campaigns_message with every one of its indexes: 90 days
of daytime traffic, 60% of it from 50 sent campaigns and the rest through the API, 70%
marketing, French mobile numbers on five operators, mostly delivered with some not
delivered, failed, unknown, awaiting a report, and some cancelled or queued (not
counted). Some campaign messages were clicked: a short link each, and their clicks.
Then `stats.rebuild(account)` builds the aggregates (timed: the rebuild command's cost
at that volume), and 2,000 messages sent in the last minutes go through
`stats.record_sent` one at a time, so 2,000 deltas wait for the fold, as they would.

Then, with DEBUG off, the median and p95 of 30 requests (after a warm-up) of `/` (30
days), `/?period=7`, `/?period=90`, a custom range of 366 days and the per-day CSV,
for that account, for one with a single message (the same page, charts drawn, no
volume) and for an empty one (its first-run page, no charts), all on the same plan:
the ratios, the SQL queries per page, and PASS/FAIL against the target of issue #10
(300 ms, median and p95). Also the first request of each page with the cache emptied
(nothing of the page is cached: the campaigns' figures come from their counters), and
the slowest query.
Rows go in by 250,000 per statement on BENCH_DASHBOARD_JOBS connections (default 2).
Needs PostgreSQL (DATABASE_URL): on SQLite it is skipped.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import resource
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

from django.db import DatabaseError, connection, connections, reset_queries
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from bench.bench_campaigns import _sql

TARGET_MS = 300
ROUNDS = 30
WARMUP = 3
DAYS = 90
CAMPAIGNS = 50
CHUNK = 250_000
RECENT = 2_000

# A pseudo-random number in [0, 1) from the row number and a salt: the same data at
# every run. Each level of the query below is computed once per row (OFFSET 0 keeps the
# planner from inlining it into the next, which would evaluate every CASE many times).
_U = "((hashint8extended(i, {k}) & 2147483647)::float8 / 2147483648.0)"
BODIES = (
    "ACME: -20% sur tout le site ce week-end avec le code WEEK20. STOP 36111",
    "ACME: votre commande n° 48213 a été expédiée. Elle arrive demain entre 9h et 13h. "
    "Suivez-la sur https://acme.example/t/48213 et choisissez un autre créneau si besoin. "
    "STOP 36111",
    "ACME: les soldes d'hiver commencent ! Jusqu'à -50% sur les manteaux, les bottes et "
    "les pulls, en boutique et sur https://acme.example/soldes . Livraison offerte dès 30 "
    "euros, retours gratuits sous 30 jours. Vos points fidélité comptent double jusqu'à "
    "dimanche. À très vite ! STOP 36111",
)

# Columns of every seeded message, the expressions over the row `m` below.
_MESSAGE_SQL = """
INSERT INTO campaigns_message (
    public_id, account_id, campaign_id, contact_id, is_test, kind, phone, operator,
    sender, body, encoding, segments, cost, status, provider_id, error_code, attempts,
    not_before, claimed_at, submitted_at, final_at, clicked_at, api_flow, ref_client,
    callback_url_status, callback_url_mo, created_at)
SELECT
    gen_random_uuid(), %(account)s, m.campaign_id, NULL, false, m.kind, m.phone, m.operator,
    'ACME', (%(bodies)s::text[])[m.segments], 'GSM7', m.segments, m.segments * 0.05,
    m.status,
    CASE WHEN m.submitted THEN 'SB' || lpad(m.i::text, 12, '0') ELSE '' END,
    CASE m.status WHEN 'undelivered' THEN 'absent-subscriber' WHEN 'rejected' THEN 'barred'
        WHEN 'failed' THEN 'gateway' WHEN 'expired' THEN 'validity' ELSE '' END,
    CASE WHEN m.status = 'queued' THEN 0 ELSE 1 END,
    NULL,
    CASE WHEN m.status NOT IN ('queued', 'cancelled') THEN m.t - interval '1 second' END,
    CASE WHEN m.submitted THEN m.t END,
    CASE WHEN m.status NOT IN ('queued', 'submitted')
        THEN m.t + (2 + 28 * m.u1) * interval '1 second' END,
    CASE WHEN m.clicked THEN m.t + m.u1 * interval '6 hours' END,
    CASE WHEN m.campaign_id IS NOT NULL THEN ''
        WHEN m.kind = 'marketing' THEN 'MARKETING' ELSE 'TRANSACTIONAL' END,
    '', '', '',
    CASE WHEN m.campaign_id IS NOT NULL THEN m.launched ELSE m.t - interval '1 second' END
FROM (
    SELECT
        s.*,
        s.status IN ('submitted', 'delivered', 'undelivered', 'expired', 'rejected')
            AS submitted,
        s.campaign_id IS NOT NULL AND s.kind = 'marketing' AND s.status = 'delivered'
            AND s.u9 < 0.03 AS clicked,
        CASE WHEN s.campaign_id IS NOT NULL
            THEN s.day + interval '9 hours' + s.u4 * interval '3 hours'
            ELSE {api_time} END AS t
    FROM (
        SELECT
            r.*,
            CASE WHEN r.in_campaign THEN (%(campaigns)s::bigint[])[r.c + 1] END AS campaign_id,
            CASE WHEN r.in_campaign THEN (%(launched)s::timestamptz[])[r.c + 1] END AS launched,
            CASE WHEN r.in_campaign THEN
                CASE WHEN mod(r.c, 5) = 4 THEN 'notification' ELSE 'marketing' END
                WHEN r.u3 < 0.55 THEN 'marketing' ELSE 'notification' END AS kind,
            CASE WHEN r.u2 < 0.020 THEN 'cancelled' WHEN r.u2 < 0.030 THEN 'queued'
                WHEN r.u2 < 0.045 THEN 'submitted' WHEN r.u2 < 0.075 THEN 'undelivered'
                WHEN r.u2 < 0.085 THEN 'expired' WHEN r.u2 < 0.095 THEN 'rejected'
                WHEN r.u2 < 0.105 THEN 'failed' WHEN r.u2 < 0.110 THEN 'unknown'
                ELSE 'delivered' END AS status,
            CASE WHEN r.u5 < 0.34 THEN 'Orange' WHEN r.u5 < 0.58 THEN 'SFR'
                WHEN r.u5 < 0.78 THEN 'Bouygues Telecom' WHEN r.u5 < 0.96 THEN 'Free Mobile'
                ELSE '' END AS operator,
            '+33' || CASE WHEN r.u6 < 0.8 THEN '6' ELSE '7' END
                || lpad(floor(r.u7 * 100000000)::bigint::text, 8, '0') AS phone,
            CASE WHEN r.u8 < 0.75 THEN 1 WHEN r.u8 < 0.95 THEN 2 ELSE 3 END AS segments
        FROM (
            SELECT
                q.*,
                mod(q.i, 10) < 6 AS in_campaign,
                floor(q.d * %(ncampaigns)s::float8 / %(days)s)::int AS c,
                %(base)s::timestamptz - (%(days)s - q.d) * interval '1 day' AS day
            FROM (
                SELECT i, floor((i - 1) * %(days)s::float8 / %(n)s)::int AS d,
                    {u1} AS u1, {u2} AS u2, {u3} AS u3, {u4} AS u4, {u5} AS u5,
                    {u6} AS u6, {u7} AS u7, {u8} AS u8, {u9} AS u9
                FROM generate_series(%(lo)s::bigint, %(hi)s::bigint) AS i
            OFFSET 0) q
        OFFSET 0) r
    OFFSET 0) s
) m
ORDER BY m.phone
"""
_HISTORY_TIME = "s.day + interval '7 hours' + s.u4 * interval '12 hours'"
_RECENT_TIME = "now() - interval '1 minute' - s.u4 * interval '10 minutes'"


def _message_sql(api_time: str) -> str:
    return _MESSAGE_SQL.format(api_time=api_time, **{f"u{k}": _U.format(k=k) for k in range(1, 10)})


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ------------------------------------------------------------------------- seeding


def _user(email: str):
    from allauth.account.models import EmailAddress

    from smsmode.accounts.models import User

    user = User.objects.create_user(email=email, password="x")
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def _account(name: str, email: str):
    from smsmode.accounts.models import Account
    from smsmode.accounts.services import account_create
    from smsmode.billing.models import Plan

    owner = _user(email)
    account = account_create(name=name, owner=owner, language="en")
    Account.objects.filter(pk=account.pk).update(plan=Plan.objects.get(code="medium"))
    account.refresh_from_db()
    return account, owner


def _base(account) -> datetime.datetime:
    """The UTC moment today starts in the account's time zone."""
    from django.utils import timezone

    from smsmode.dashboard import stats

    tz = stats.zone(account.time_zone)
    today = timezone.now().astimezone(tz).date()
    return stats.day_range_utc(tz, today, None)[0]


def _campaigns(account, owner, base: datetime.datetime) -> tuple[list[int], list]:
    """CAMPAIGNS sent campaigns, the first day of each's messages at 9:00."""
    from campaigns.models import Campaign, Kind

    launched = []
    for c in range(CAMPAIGNS):
        first_day = -(-c * DAYS // CAMPAIGNS)  # the first day d with d * 50 // 90 == c
        launched.append(base - datetime.timedelta(days=DAYS - first_day, hours=-9))
    rows = Campaign.objects.bulk_create(
        Campaign(
            account=account,
            created_by=owner,
            name=f"Campaign {c + 1}",
            kind=Kind.NOTIFICATION if c % 5 == 4 else Kind.MARKETING,
            sender_id="ACME",
            body=BODIES[0],
            status=Campaign.Status.SENT,
            scheduled_at=at,
            launched_at=at,
            completed_at=at + datetime.timedelta(hours=3),
        )
        for c, at in enumerate(launched)
    )
    return [row.pk for row in rows], launched


def _seed_chunk(sql: str, params: dict, lo: int, hi: int) -> None:
    """One INSERT (its own transaction) on this thread's connection. Its rows go in
    by phone number: two of the random indexes (message_phone, message_reply_lookup)
    then take them in order, a page at a time, instead of one page per row each."""
    with connections["default"].cursor() as cursor:
        cursor.execute("SET work_mem = '256MB'")  # the sort, in memory
        with contextlib.suppress(DatabaseError):  # superuser only: fewer WAL bytes
            cursor.execute("SET wal_compression = lz4")
        try:
            cursor.execute(sql, {**params, "lo": lo, "hi": hi})
        finally:
            cursor.execute("RESET ALL")


def _seed_messages(account, campaign_ids, launched, base, n: int, jobs: int) -> float:
    params = {
        "account": account.pk,
        "bodies": list(BODIES),
        "campaigns": campaign_ids,
        "launched": launched,
        "ncampaigns": CAMPAIGNS,
        "days": DAYS,
        "base": base,
        "n": n,
    }
    sql = _message_sql(_HISTORY_TIME)
    chunks = [(lo, min(lo + CHUNK - 1, n)) for lo in range(1, n + 1, CHUNK)]
    start = time.perf_counter()
    if jobs <= 1:
        for lo, hi in chunks:
            _seed_chunk(sql, params, lo, hi)
    else:

        def work(chunk):
            try:
                _seed_chunk(sql, params, *chunk)
            finally:
                connections["default"].close()

        with ThreadPoolExecutor(jobs) as pool:
            list(pool.map(work, chunks))
    return time.perf_counter() - start


def _seed_clicks(account) -> tuple[int, int, float]:
    """A short link per clicked message, 1-3 clicks by a person each (the first at the
    message's clicked_at) and a link-preview bot on one link in five."""
    start = time.perf_counter()
    _sql(
        "INSERT INTO shortener_shortlink (public_id, account_id, created_by_id, code, "
        "target_url, name, expires_at, campaign_id, message_id, clicks, unique_clicks, "
        "bot_clicks, last_click_at, created_at) "
        "SELECT gen_random_uuid(), account_id, NULL, 'b' || lpad(to_hex(id), 12, '0'), "
        "'https://acme.example/soldes', '', created_at + interval '90 days', campaign_id, "
        "id, 0, 0, 0, NULL, created_at FROM campaigns_message "
        "WHERE account_id = %s AND clicked_at IS NOT NULL",
        [account.pk],
    )
    _sql(
        "INSERT INTO shortener_click (event_id, link_id, at, is_bot, is_unique, visitor, "
        "user_agent, referrer) "
        "SELECT gen_random_uuid(), l.id, m.clicked_at + (k - 1) * interval '2 hours', false, "
        "k = 1, substr(md5(l.id::text || '-' || (k > 2)::text), 1, 32), "
        "'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) Mobile/15E148', '' "
        "FROM shortener_shortlink l JOIN campaigns_message m ON m.id = l.message_id "
        "CROSS JOIN LATERAL generate_series(1, 1 + mod(l.id, 3)::int) AS k "
        "WHERE l.account_id = %s "
        "UNION ALL "
        "SELECT gen_random_uuid(), l.id, l.created_at + interval '5 seconds', true, false, "
        "substr(md5('bot' || l.id::text), 1, 32), 'facebookexternalhit/1.1', '' "
        "FROM shortener_shortlink l WHERE l.account_id = %s AND mod(l.id, 5) = 0",
        [account.pk, account.pk],
    )
    _sql(
        "UPDATE shortener_shortlink l SET clicks = c.people, unique_clicks = c.uniques, "
        "bot_clicks = c.bots, last_click_at = c.last FROM ("
        "  SELECT link_id, count(*) FILTER (WHERE NOT is_bot) AS people, "
        "  count(*) FILTER (WHERE is_unique) AS uniques, count(*) FILTER (WHERE is_bot) AS bots, "
        "  max(at) AS last FROM shortener_click GROUP BY link_id) c "
        "WHERE c.link_id = l.id"
    )
    ((links, clicks),) = _sql(
        "SELECT (SELECT count(*) FROM shortener_shortlink WHERE account_id = %s), "
        "(SELECT count(*) FROM shortener_click)",
        [account.pk],
    )
    return links, clicks, time.perf_counter() - start


def _campaign_figures(account) -> None:
    """The launch figures of the campaigns, as their launches would have written them."""
    _sql(
        "UPDATE campaigns_campaign c SET recipients = f.n, segments = f.segments, "
        "credits_reserved = f.cost, tracked_links = f.links, clicks = f.clicks, "
        "clickers = f.clickers FROM ("
        "  SELECT m.campaign_id, count(*) AS n, sum(m.segments) AS segments, "
        "  sum(m.cost) AS cost, count(m.clicked_at) AS clickers, count(m.clicked_at) AS links, "
        "  coalesce(sum(l.clicks), 0) AS clicks FROM campaigns_message m "
        "  LEFT JOIN shortener_shortlink l ON l.message_id = m.id "
        "  WHERE m.account_id = %s AND m.campaign_id IS NOT NULL GROUP BY m.campaign_id) f "
        "WHERE f.campaign_id = c.id",
        [account.pk],
    )


def _recent(account, campaign_ids, launched, base) -> int:
    """RECENT messages of the last minutes through the API, each recorded by its own
    `record_sent` (as dispatch does): as many deltas waiting for the fold."""
    from smsmode.dashboard import stats
    from smsmode.dashboard.models import StatDelta

    ((before,),) = _sql("SELECT coalesce(max(id), 0) FROM campaigns_message")
    offset = 10**9  # row numbers of their own (the provider ids), none in a campaign
    params = {
        "account": account.pk,
        "bodies": list(BODIES),
        "campaigns": campaign_ids,
        "launched": launched,
        "ncampaigns": CAMPAIGNS,
        "days": DAYS,
        "base": base,
        "n": offset + 3 * RECENT,
    }
    sql = _message_sql(_RECENT_TIME).replace(
        "mod(q.i, 10) < 6 AS in_campaign", "false AS in_campaign"
    )
    _sql(sql, {**params, "lo": offset, "hi": offset + 3 * RECENT - 1})
    # Keep RECENT of them that left the queue (the others were never sent).
    ids = [
        pk
        for (pk,) in _sql(
            "SELECT id FROM campaigns_message WHERE id > %s AND status = ANY(%s) "
            "ORDER BY id LIMIT %s",
            [before, list(stats.COUNTED), RECENT],
        )
    ]
    _sql(
        "DELETE FROM campaigns_message WHERE id > %s AND NOT id = ANY(%s)",
        [before, ids],
    )
    for pk in ids:
        stats.record_sent([pk])
    return StatDelta.objects.filter(account=account).count()


# ----------------------------------------------------------------------- measuring


def _urls(account) -> list[tuple[str, str]]:
    from django.utils import timezone

    from smsmode.dashboard import stats

    today = timezone.now().astimezone(stats.zone(account.time_zone)).date()
    start = today - datetime.timedelta(days=365)
    return [
        ("/ (30 days)", "/"),
        ("/?period=7", "/?period=7"),
        ("/?period=90", "/?period=90"),
        ("custom, 366 days", f"/?period=custom&start={start}&end={today}"),
        ("per-day CSV, 90 days", "/dashboard/per-day.csv?period=90"),
    ]


def _measure(client: Client, url: str, forget=None) -> dict | None:
    """None when the page does not exist (yet). `forget()` runs before the first
    request: it empties the caches of the account's data (the "first" time)."""
    if forget:
        forget()
    first = time.perf_counter()
    response = client.get(url)
    first = (time.perf_counter() - first) * 1000
    if response.status_code == 404:
        return None
    assert response.status_code == 200, (url, response.status_code)
    for _ in range(WARMUP - 1):
        client.get(url)
    reset_queries()
    with CaptureQueriesContext(connection) as context:
        client.get(url)
    queries = context.captured_queries  # now: the next request empties the log
    samples = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        response = client.get(url)
        if response.streaming:
            b"".join(response.streaming_content)
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    slowest = max(queries, key=lambda q: float(q["time"]), default=None)
    return {
        "first": first,
        "median": statistics.median(samples),
        "p95": samples[min(len(samples) - 1, round(0.95 * len(samples)) - 1)],
        "queries": len(queries),
        "sql_ms": sum(float(q["time"]) for q in queries) * 1000,
        "slowest": slowest,
    }


def _selector_ms(account, url: str) -> float | None:
    """The median time of `selectors.dashboard()` alone for the page's period."""
    from django.http import QueryDict
    from django.utils import timezone

    from smsmode.dashboard import selectors, stats

    path, _sep, query = url.partition("?")
    if path != "/":
        return None
    today = timezone.now().astimezone(stats.zone(account.time_zone)).date()
    period = selectors.period_from(QueryDict(query), today)
    samples = []
    for _ in range(10):
        start = time.perf_counter()
        selectors.dashboard(account, period)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def _one_message(account) -> None:
    """The account of the "one message" column: a message delivered a minute ago (a
    delta), so the page draws its charts, as with 10M, over almost nothing."""
    from django.utils import timezone

    from campaigns.models import Kind, Message
    from smsmode.dashboard import stats

    at = timezone.now() - datetime.timedelta(minutes=1)
    message = Message.objects.create(
        account=account,
        kind=Kind.NOTIFICATION,
        phone="+33612345678",
        operator="Orange",
        sender="ACME",
        body=BODIES[0],
        encoding="GSM7",
        segments=1,
        cost=Decimal("0.05"),
        status=Message.Status.DELIVERED,
        submitted_at=at,
        final_at=at,
    )
    stats.record_sent([message.pk])


def _pages(accounts: dict, campaign_ids) -> None:
    """`accounts`: {"full" | "one" | "empty": (account, owner)}."""
    from django.core.cache import cache

    del campaign_ids  # nothing per campaign is cached any more
    clients = {}
    for name, (_unused, owner) in accounts.items():
        clients[name] = Client()
        clients[name].force_login(owner)

    def forget():
        cache.clear()

    print(
        "   ms per request, median (p95) of "
        f"{ROUNDS}; target {TARGET_MS} ms for the full account, median and p95"
    )
    print(
        f"   {'page':<22} {'full':>15} {'one message':>15} {'empty':>15}"
        f" {'full/one':>8} {'full/empty':>10} {'queries f/1/e':>14}"
    )
    verdicts, details = [], []
    full = accounts["full"][0]
    for label, url in _urls(full):
        e = _measure(clients["empty"], url)  # first: the process's own warm-up
        if e is None:
            print(f"   {label:<22} skipped: {url.split('?')[0]} answers 404 (not built yet)")
            continue
        o = _measure(clients["one"], url)
        f = _measure(clients["full"], url, forget)
        ok = f["median"] < TARGET_MS and f["p95"] < TARGET_MS
        verdicts.append(ok)
        details.append((label, url, f, o, e))
        cells = " ".join(f"{r['median']:7.1f} ({r['p95']:5.1f})" for r in (f, o, e))
        print(
            f"   {label:<22} {cells} {f['median'] / o['median']:7.2f}x"
            f" {f['median'] / e['median']:9.2f}x"
            f" {f['queries']:>6} / {o['queries']} / {e['queries']}  {'PASS' if ok else 'FAIL'}"
        )
    for label, url, f, o, e in details:
        selector = _selector_ms(full, url)
        alone = f"; selectors.dashboard() alone {selector:.1f} ms" if selector is not None else ""
        slowest = f["slowest"]
        worst = (
            f"; slowest query {float(slowest['time']) * 1000:.0f} ms: {slowest['sql'][:70]}..."
            if slowest
            else ""
        )
        print(
            f"   {label}: SQL {f['sql_ms']:.0f} ms of the full page (one {o['sql_ms']:.0f},"
            f" empty {e['sql_ms']:.0f}); first request {f['first']:.0f} ms with the cache"
            f" emptied{alone}{worst}"
        )
    if verdicts:
        result = "PASS" if all(verdicts) else "FAIL"
        print(f"   {result}: every page of the full account under {TARGET_MS} ms (median and p95)")


# -------------------------------------------------------------------------------- run


def run() -> None:
    if connection.vendor != "postgresql":
        print("   skipped: the dashboard benchmark needs PostgreSQL (set DATABASE_URL)")
        return
    with override_settings(DEBUG=False):
        _run()


def _run() -> None:
    from smsmode.dashboard import stats
    from smsmode.dashboard.models import ClickStat, DailyStat, HourlyStat

    began = time.perf_counter()
    n = int(os.environ.get("BENCH_DASHBOARD_MESSAGES", "10000000"))
    jobs = int(os.environ.get("BENCH_DASHBOARD_JOBS", "2"))
    rss_start = _rss_mb()
    full, full_owner = _account("Bench dashboard full", "bench-dash-full@bench.test")
    empty, empty_owner = _account("Bench dashboard empty", "bench-dash-empty@bench.test")
    one, one_owner = _account("Bench dashboard one message", "bench-dash-one@bench.test")
    base = _base(full)
    campaign_ids, launched = _campaigns(full, full_owner, base)

    seed = _seed_messages(full, campaign_ids, launched, base, n, jobs)
    print(
        f"   seed: {n:,} messages in {seed:.1f} s ({n / seed:,.0f} rows/s, INSERT ... SELECT"
        f" generate_series, {jobs} connection(s), all indexes of campaigns_message)"
    )
    links, clicks, click_seed = _seed_clicks(full)
    _campaign_figures(full)
    print(f"   seed: {links:,} short links, {clicks:,} clicks in {click_seed:.1f} s")
    start = time.perf_counter()
    _sql("VACUUM ANALYZE campaigns_message, shortener_shortlink, shortener_click")
    print(f"   VACUUM ANALYZE of the seeded tables: {time.perf_counter() - start:.1f} s")
    ((size,),) = _sql("SELECT pg_size_pretty(pg_total_relation_size('campaigns_message'))")

    start = time.perf_counter()
    counted = stats.rebuild(full)
    rebuild = time.perf_counter() - start
    print(
        f"   stats.rebuild(account): {rebuild:.1f} s for {counted:,} counted messages"
        f" (campaigns_message with its indexes: {size}); "
        f"{DailyStat.objects.filter(account=full).count():,} DailyStat, "
        f"{HourlyStat.objects.filter(account=full).count():,} HourlyStat, "
        f"{ClickStat.objects.filter(account=full).count():,} ClickStat rows"
    )
    deltas = _recent(full, campaign_ids, launched, base)
    print(f"   {RECENT:,} messages of the last minutes, one record_sent each: {deltas:,} deltas")
    _sql("ANALYZE")

    _one_message(one)
    accounts = {"full": (full, full_owner), "one": (one, one_owner), "empty": (empty, empty_owner)}
    _pages(accounts, campaign_ids)
    print(
        f"   bench process peak RSS {rss_start:.0f} MB at start, {_rss_mb():.0f} MB at the end;"
        f" {time.perf_counter() - began:.0f} s in all"
    )
