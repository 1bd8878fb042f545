"""Campaign launch of 1,000,000 recipients against a COPY of the same rows; dispatch rate.

(1) Launch: `campaign_launch` of a notification to a list of BENCH_CAMPAIGN_ROWS
contacts (default 1,000,000) with a merge field, so every message is rendered and
counted: the recipients query (list, distinct, opt-outs), rendering, COPY into
campaigns_message with all its indexes, the credit reservation, in one transaction.
The floors are PostgreSQL's COPY of the very rows the launch wrote (exported first)
into a bare clone of the table (no index, no key), and into a clone with every index
and the foreign keys of the real table, in one transaction. Target: launch within 3x.

(2) Dispatch: messages per second of `rqworker sms --burst` processes with the sandbox
gateway answering at once (SMS_SUBMIT_PER_SECOND=0, reports an hour later so they stay
out of the picture), one worker then two, a fresh campaign of BENCH_DISPATCH_ROWS
(default 50,000) each. Wall time from the workers' start to the last message
submitted, and the steady rate from the first claim to the last submit (the database's
own timestamps), by halves. Then the sandbox's record proves no reference went twice.
Needs PostgreSQL (DATABASE_URL).
"""

from __future__ import annotations

import contextlib
import os
import resource
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connection, transaction

ROOT = Path(__file__).resolve().parent.parent
BODY = "Hello {first_name|friend}, your order has shipped. Track it in the app."
BODY_LINK = "Hello {first_name|friend}, your order has shipped: https://shop.example/track?s=sms"


def _sql(statement: str, params=None):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else None


def _checkpoint() -> None:
    """Start each measure with no dirty pages of the previous one to write."""
    with contextlib.suppress(DatabaseError):  # not a superuser: measure without it
        _sql("CHECKPOINT")


def _seed_contacts(account_id: int, rows: int) -> None:
    first = "(ARRAY['Jean','Marie','Léa','Hugo','Chloé','','Lucas','Emma'])"
    _sql(
        "INSERT INTO contacts_contact (public_id, account_id, phone, first_name, "
        "last_name, email, custom, source, created_at, updated_at) "
        f"SELECT gen_random_uuid(), %s, '+336' || lpad(i::text, 8, '0'), {first}[i %% 8 + 1], "
        "'Martin', '', jsonb_build_object('city', 'Paris'), 'import', now(), now() "
        "FROM generate_series(1, %s) AS i",
        [account_id, rows],
    )


def _seed_list(account_id: int, name: str, rows: int) -> int:
    from contacts.models import ContactList

    lst = ContactList.objects.create(account_id=account_id, name=name, contact_count=rows)
    _sql(
        "INSERT INTO contacts_membership (contact_id, contact_list_id, added_at) "
        "SELECT id, %s, now() FROM contacts_contact WHERE account_id = %s ORDER BY id LIMIT %s",
        [lst.pk, account_id, rows],
    )
    return lst.pk


def _scheduled(account, list_id: int, name: str, body: str = BODY):
    from campaigns.models import Campaign, Kind
    from campaigns.services import campaign_schedule

    campaign = Campaign.objects.create(
        account=account, name=name, kind=Kind.NOTIFICATION, sender_id="ACME", body=body
    )
    campaign.lists.set([list_id])
    assert campaign_schedule(campaign=campaign)
    return campaign


def _empty_queues() -> None:
    import django_rq

    for name in ("default", "sms"):
        django_rq.get_queue(name).empty()


# ---------------------------------------------------------------------- (1) launch


def _export(campaign_id: int, path: Path) -> int:
    from campaigns.services import _MESSAGE_COLUMNS

    columns = ", ".join(_MESSAGE_COLUMNS)

    with open(path, "wb") as out, connection.cursor() as cursor:
        sql = (
            f"COPY (SELECT {columns} FROM campaigns_message "
            f"WHERE campaign_id = {int(campaign_id)} ORDER BY id) TO STDOUT"
        )
        with cursor.cursor.copy(sql) as copy:
            for data in copy:
                out.write(data)
    return path.stat().st_size


def _copy_into(table: str, path: Path) -> float:
    from campaigns.services import _MESSAGE_COLUMNS

    columns = ", ".join(_MESSAGE_COLUMNS)

    _checkpoint()
    with connection.cursor() as cursor:
        start = time.perf_counter()
        # One transaction: the deferred foreign keys are checked at its commit.
        with (
            transaction.atomic(),
            open(path, "rb") as source,
            cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
        ):
            while chunk := source.read(1 << 20):
                copy.write(chunk)
        return time.perf_counter() - start


def _clone(table: str, *, indexed: bool) -> None:
    _sql(f"DROP TABLE IF EXISTS {table}")
    if not indexed:
        _sql(f"CREATE TABLE {table} (LIKE campaigns_message INCLUDING DEFAULTS INCLUDING IDENTITY)")
        return
    _sql(f"CREATE TABLE {table} (LIKE campaigns_message INCLUDING ALL)")
    for column, target in (
        ("account_id", "accounts_account"),
        ("campaign_id", "campaigns_campaign"),
        ("contact_id", "contacts_contact"),
    ):
        _sql(
            f"ALTER TABLE {table} ADD FOREIGN KEY ({column}) REFERENCES {target} (id) "
            "DEFERRABLE INITIALLY DEFERRED"
        )


def _bench_launch(account, rows: int, tmp: Path) -> tuple[int, float]:
    from campaigns.models import Campaign, Message
    from campaigns.services import campaign_launch

    list_id = _seed_list(account.pk, "Everyone", rows)
    _sql("ANALYZE")
    campaign = _scheduled(account, list_id, "Launch bench")
    _empty_queues()  # the launch job that the schedule queued: we run it here
    _checkpoint()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    status = campaign_launch(campaign_id=campaign.pk)
    launch = time.perf_counter() - start
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    _empty_queues()  # its dispatch jobs: nothing is sent
    assert status == Campaign.Status.SENDING, status
    assert Message.objects.filter(campaign=campaign).count() == rows

    path = tmp / "messages.copy"
    size_mb = _export(campaign.pk, path) / 1e6
    _clone("bench_message_bare", indexed=False)
    bare = min(_copy_into("bench_message_bare", path) for _ in range(2))
    _sql("DROP TABLE bench_message_bare")
    _clone("bench_message", indexed=True)
    indexed = _copy_into("bench_message", path)
    _sql("DROP TABLE bench_message")
    path.unlink()
    # Out of the way of the dispatch measures.
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.CANCELLED)
    _sql("TRUNCATE campaigns_message CASCADE")
    _sql("VACUUM ANALYZE campaigns_message")

    print(f"   (1) launch of {rows:,} recipients, one merge field ({size_mb:.0f} MB of rows)")
    print(f"   floor  COPY of the same rows into a bare clone        {bare:7.2f} s")
    print(
        f"   floor  COPY into a clone with its indexes and FKs     {indexed:7.2f} s"
        f"  = {indexed / bare:.2f}x bare"
    )
    print(
        f"   campaign_launch (query, render, COPY, reserve)        {launch:7.2f} s"
        f"  = {launch / bare:.2f}x bare, {launch / indexed:.2f}x indexed (target <= 3x)"
    )
    print(
        f"     {rows / launch:,.0f} recipients/s; bench process peak RSS "
        f"{rss_before:.0f} MB before, {rss_after:.0f} MB after"
    )
    return list_id, launch


def _bench_tracked_launch(account, list_id: int, rows: int, untracked: float) -> None:
    """(1b) The same launch with a link in the message, on a plan with the shortener:
    each recipient gets a short link of their own (codes drawn and checked in bulk,
    COPY into shortener_shortlink beside the messages)."""
    from campaigns.models import Campaign, Message
    from campaigns.services import campaign_launch
    from shortener.models import ShortLink
    from smsmode.accounts.models import Account
    from smsmode.billing.models import Plan

    Account.objects.filter(pk=account.pk).update(plan=Plan.objects.get(code="medium"))
    account.refresh_from_db()
    campaign = _scheduled(account, list_id, "Tracked launch bench", body=BODY_LINK)
    _empty_queues()
    _checkpoint()
    start = time.perf_counter()
    status = campaign_launch(campaign_id=campaign.pk)
    launch = time.perf_counter() - start
    _empty_queues()
    assert status == Campaign.Status.SENDING, status
    links = ShortLink.objects.filter(campaign=campaign).count()
    assert links == rows, links
    sample = Message.objects.filter(campaign=campaign).values_list("body", flat=True).first()
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.CANCELLED)
    _sql("TRUNCATE campaigns_message, shortener_shortlink CASCADE")
    _sql("VACUUM ANALYZE campaigns_message")
    Account.objects.filter(pk=account.pk).update(plan=Plan.objects.get(code="start"))
    account.refresh_from_db()
    print(f"   (1b) the same launch with a link: {rows:,} per-recipient short links")
    print(
        f"   campaign_launch with click tracking                  {launch:7.2f} s"
        f"  = {launch / untracked:.2f}x the launch without links"
    )
    print(f"     e.g. {sample!r}")


# -------------------------------------------------------------------- (2) dispatch


def _worker_env() -> dict[str, str]:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return {
        **os.environ,
        "DATABASE_URL": f"postgres://{auth}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "PYTHONPATH": str(ROOT),
        "SMS_GATEWAY": "sandbox",
        "SMS_SANDBOX_RECORD": "True",
        "SMS_SANDBOX_REPORT_DELAY": "3600",
        "SMS_SUBMIT_PER_SECOND": "0",
        "LOG_LEVEL": "WARNING",
    }


def _run_workers(workers: int, submitted, rows: int) -> float:
    """Start `workers` burst workers; seconds from their start to `rows` submitted."""
    with tempfile.TemporaryFile() as log:
        start = time.perf_counter()
        processes = [
            subprocess.Popen(
                [sys.executable, str(ROOT / "manage.py"), "rqworker", "sms", "--burst"],
                env=_worker_env(),
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            for _ in range(workers)
        ]
        try:
            while submitted.count() < rows:
                if all(p.poll() is not None for p in processes):
                    break
                time.sleep(0.05)
            wall = time.perf_counter() - start
            for process in processes:
                process.wait(timeout=120)
        finally:
            for process in processes:
                if process.poll() is None:
                    process.kill()
                    process.wait()
        done = submitted.count()
        if done < rows or any(p.returncode for p in processes):
            log.seek(0)
            output = log.read().decode(errors="replace")[-5000:]
            raise RuntimeError(f"{done:,} of {rows:,} submitted; the workers said:\n{output}")
    return wall


def _dispatch_run(account, list_id: int, rows: int, workers: int) -> dict:
    import django_rq

    from campaigns.models import Campaign, Message
    from campaigns.services import campaign_launch, enqueue_dispatch
    from smsmode.sms.gateways.sandbox import RECORD_KEY

    campaign = _scheduled(account, list_id, f"Dispatch bench, {workers} worker(s)")
    assert campaign_launch(campaign_id=campaign.pk) == Campaign.Status.SENDING
    _empty_queues()
    redis = django_rq.get_connection("sms")
    redis.delete(RECORD_KEY)
    _sql("VACUUM ANALYZE campaigns_message")
    _checkpoint()
    enqueue_dispatch(campaign.pk, jobs=workers)
    submitted = Message.objects.filter(campaign=campaign, status=Message.Status.SUBMITTED)
    wall = _run_workers(workers, submitted, rows)
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SENT, campaign.status
    ((first_claim, half, last_submit),) = _sql(
        "SELECT min(claimed_at), percentile_disc(0.5) WITHIN GROUP (ORDER BY submitted_at), "
        "max(submitted_at) FROM campaigns_message WHERE campaign_id = %s",
        [campaign.pk],
    )
    record = redis.hgetall(RECORD_KEY)
    twice = sum(1 for count in record.values() if int(count) > 1)
    ids = {str(pk) for pk in Message.objects.filter(campaign=campaign).values_list("pk", flat=True)}
    redis.delete(RECORD_KEY)
    _drop_report_jobs()
    return {
        "wall": wall,
        "steady": (last_submit - first_claim).total_seconds(),
        "first_half": (half - first_claim).total_seconds(),
        "second_half": (last_submit - half).total_seconds(),
        "record": len(record),
        "twice": twice,
        "all_recorded": ids == {key.decode() for key in record},
    }


def _drop_report_jobs() -> None:
    """The sandbox's delivery reports, an hour away: not left behind in Redis."""
    import django_rq

    queue = django_rq.get_queue("sms")
    registry = queue.scheduled_job_registry
    for job_id in registry.get_job_ids():
        job = queue.fetch_job(job_id)
        registry.remove(job_id)
        if job is not None:
            job.delete()


def _bench_dispatch(account, rows: int) -> None:
    list_id = _seed_list(account.pk, "Dispatch", rows)
    _sql("ANALYZE")
    print(f"   (2) dispatch of {rows:,} messages, sandbox answering at once, no rate limit")
    results = {}
    for workers in (1, 2):
        result = results[workers] = _dispatch_run(account, list_id, rows, workers)
        print(
            f"   {workers} worker{'s' if workers > 1 else ' '}  {rows / result['wall']:7,.0f} msg/s"
            f" start to last submit ({result['wall']:6.2f} s);"
            f" {rows / result['steady']:7,.0f} msg/s first claim to last submit"
            f" (halves {rows / 2 / result['first_half']:,.0f} then"
            f" {rows / 2 / result['second_half']:,.0f})"
        )
        verdict = "none twice" if not result["twice"] else f"{result['twice']} TWICE"
        complete = "every message" if result["all_recorded"] else "NOT every message"
        print(
            f"     sandbox record: {result['record']:,} references, {verdict}, {complete}"
            " of the campaign"
        )
    print(f"   2 workers / 1 worker: {results[1]['steady'] / results[2]['steady']:.2f}x")


def run() -> None:
    if connection.vendor != "postgresql":
        print("   skipped: the campaigns benchmark needs PostgreSQL (set DATABASE_URL)")
        return
    from smsmode.accounts.models import User
    from smsmode.accounts.services import account_create
    from smsmode.billing.models import LedgerKind
    from smsmode.billing.services import credits_add

    rows = int(os.environ.get("BENCH_CAMPAIGN_ROWS", "1000000"))
    dispatch_rows = int(os.environ.get("BENCH_DISPATCH_ROWS", "50000"))
    settings.SMS_GATEWAY = "sandbox"
    settings.SMS_SANDBOX_RECORD = True
    settings.SMS_SANDBOX_REPORT_DELAY = 3600
    settings.SMS_SUBMIT_PER_SECOND = 0
    owner = User.objects.create_user(email="bench-campaigns@bench.test", password="x")
    account = account_create(name="Bench campaigns", owner=owner, language="en")
    credits_add(
        account_id=account.pk,
        amount=Decimal(2 * (rows + 2 * dispatch_rows)),
        kind=LedgerKind.ADJUSTMENT,
    )
    account.refresh_from_db()
    _seed_contacts(account.pk, max(rows, dispatch_rows))
    with tempfile.TemporaryDirectory(prefix="bench-campaigns-") as tmp:
        list_id, untracked = _bench_launch(account, rows, Path(tmp))
    _bench_tracked_launch(account, list_id, rows, untracked)
    _bench_dispatch(account, dispatch_rows)
