"""A real worker killed with SIGKILL in the middle of a 20,000-message dispatch against
the sandbox gateway; a new worker finishes. The gateway's own record (the sandbox's
count of each reference it took) proves that no message went out twice, and every
message ends in a state the user can see. PostgreSQL only (the workers are other
processes and must see the test database).

The kill is made deterministic: the test locks one message of the batch in flight, so
the worker blocks while recording the batch's results, after the gateway took it: the
worst moment, where the carrier has the messages and the database does not know."""

import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import django_rq
import pytest
from django.db import connection, transaction
from django.db.models import Count

from campaigns.dispatch import BATCH, messages_sweep_stale
from campaigns.models import Campaign, Kind, Message
from campaigns.services import campaign_launch, campaign_schedule
from contacts.models import ContactList
from smsmode.billing.models import LedgerKind
from smsmode.billing.services import credits_add
from smsmode.sms.gateways.sandbox import RECORD_KEY
from tests.campaigns.conftest import make_campaign
from tests.workers import kill_worker, worker_env

ROOT = Path(__file__).resolve().parents[2]
ROWS = 20_000
KILL_AFTER = 3_000  # submitted messages before the kill

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _start_worker(log) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "rqworker", "sms", "--burst"],
        env=worker_env(
            SMS_GATEWAY="sandbox",
            SMS_SANDBOX_RECORD="True",
            SMS_SANDBOX_REPORT_DELAY="3600",  # no delivery report in the picture
            SMS_SUBMIT_PER_SECOND="0",
        ),
        cwd=ROOT,
        start_new_session=True,  # its own process group: the work horse dies with it
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def _seed_list(account) -> ContactList:
    lst = ContactList.objects.create(account=account, name="Everyone", contact_count=ROWS)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO contacts_contact (public_id, account_id, phone, first_name, "
            "last_name, email, custom, source, created_at, updated_at) "
            "SELECT gen_random_uuid(), %s, '+3361' || lpad(i::text, 7, '0'), '', '', '', "
            "'{}'::jsonb, 'import', now(), now() FROM generate_series(1, %s) AS i",
            [account.pk, ROWS],
        )
        cursor.execute(
            "INSERT INTO contacts_membership (contact_id, contact_list_id, added_at) "
            "SELECT id, %s, now() FROM contacts_contact WHERE account_id = %s",
            [lst.pk, account.pk],
        )
    return lst


def _count(campaign, status) -> int:
    return Message.objects.filter(campaign=campaign, status=status).count()


def _wait(condition, *, timeout: float, what: str, worker=None, log=None) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if worker is not None and worker.poll() is not None:
            pytest.fail(f"the worker exited ({worker.returncode}) before {what}:\n{_read(log)}")
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}:\n{_read(log)}")
        time.sleep(0.01)


def _read(log) -> str:
    if log is None:
        return ""
    log.flush()
    log.seek(0)
    return log.read().decode(errors="replace")[-5000:]


def _lock_one_message_in_flight(campaign) -> int | None:
    """In the caller's transaction, lock the last message of the batch being
    submitted: the worker's record of that batch will wait for us."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM campaigns_message WHERE campaign_id = %s AND status = %s "
            "ORDER BY id DESC LIMIT 1 FOR UPDATE",
            [campaign.pk, Message.Status.SUBMITTING],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def _backend_waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


def _other_backends() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def test_a_dispatch_survives_the_death_of_its_worker_and_submits_nothing_twice(team, settings):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: the worker processes must reach the test database")
    settings.SMS_GATEWAY = "sandbox"
    settings.SMS_SANDBOX_RECORD = True
    settings.SMS_SANDBOX_REPORT_DELAY = 3600
    settings.SMS_SUBMIT_PER_SECOND = 0
    redis = django_rq.get_connection("sms")
    redis.flushdb()  # this test's own Redis database: an empty record
    account = team.account
    credits_add(account_id=account.pk, amount=Decimal(ROWS), kind=LedgerKind.ADJUSTMENT)
    lst = _seed_list(account)
    # A notification: no marketing window can hold it, whatever the time.
    campaign = make_campaign(account, [lst], kind=Kind.NOTIFICATION, body="Your order shipped.")
    assert campaign_schedule(campaign=campaign)
    # The launch's on-commit enqueues its dispatch jobs: the worker will run them.
    assert campaign_launch(campaign_id=campaign.pk) == Campaign.Status.SENDING
    assert _count(campaign, Message.Status.QUEUED) == ROWS
    assert django_rq.get_queue("sms").count == settings.CAMPAIGN_DISPATCH_JOBS

    with tempfile.TemporaryFile() as log:
        worker = _start_worker(log)
        try:
            _wait(
                lambda: _count(campaign, Message.Status.SUBMITTED) >= KILL_AFTER,
                timeout=60,
                what=f"{KILL_AFTER} submitted messages",
                worker=worker,
                log=log,
            )
            with transaction.atomic():
                locked = None
                deadline = time.monotonic() + 30
                while locked is None and time.monotonic() < deadline:
                    # None when the batch was recorded meanwhile: wait for the next.
                    locked = _lock_one_message_in_flight(campaign)
                assert locked is not None, _read(log)
                # The gateway takes the batch, then the worker blocks recording it.
                _wait(
                    lambda: redis.hget(RECORD_KEY, str(locked)) is not None,
                    timeout=30,
                    what="the gateway to take the locked batch",
                    worker=worker,
                    log=log,
                )
                _wait(
                    _backend_waiting_on_a_lock,
                    timeout=30,
                    what="the worker to wait on the lock",
                    worker=worker,
                    log=log,
                )
                kill_worker(worker)  # no chance to clean up
            # Released: the dead worker's backend finds its client gone and rolls back.
            _wait(lambda: _other_backends() == 0, timeout=30, what="the dead backend to end")
        finally:
            if worker.poll() is None:
                kill_worker(worker)

        submitted_at_death = _count(campaign, Message.Status.SUBMITTED)
        assert KILL_AFTER <= submitted_at_death < ROWS - BATCH
        in_flight = set(
            Message.objects.filter(campaign=campaign, status=Message.Status.SUBMITTING).values_list(
                "pk", flat=True
            )
        )
        # One batch was in flight: the gateway took all of it, the database knows nothing.
        assert locked in in_flight and len(in_flight) == BATCH
        taken = {int(k): int(v) for k, v in redis.hgetall(RECORD_KEY).items()}
        assert all(taken.get(pk) == 1 for pk in in_flight)
        assert not Message.objects.filter(pk__in=in_flight).exclude(provider_id="").exists()
        assert len(taken) == submitted_at_death + BATCH

        # The sweep turns the batch into unknown (never queued again) and gives the
        # campaign, whose dispatcher is dead, a new dispatch job.
        settings.SMS_SUBMITTING_TIMEOUT = 0
        time.sleep(0.01)
        assert messages_sweep_stale() == BATCH
        second = _start_worker(log)
        try:
            second.wait(timeout=120)
        finally:
            if second.poll() is None:
                kill_worker(second)
        assert second.returncode == 0, _read(log)
        assert messages_sweep_stale() == 0

        # The gateway's own record: every message taken, none twice.
        taken = {int(k): int(v) for k, v in redis.hgetall(RECORD_KEY).items()}
        duplicates = {pk: n for pk, n in taken.items() if n > 1}
        assert not duplicates, f"submitted more than once: {sorted(duplicates.items())[:10]}"
        messages = Message.objects.filter(campaign=campaign)
        assert set(taken) == set(messages.values_list("pk", flat=True))

        # Every message in a state the user sees: nothing queued, held or submitting.
        by_status = dict(
            messages.values("status").annotate(n=Count("pk")).values_list("status", "n")
        )
        assert by_status == {
            Message.Status.SUBMITTED: ROWS - BATCH,
            Message.Status.UNKNOWN: BATCH,
        }, _read(log)
        with_provider_id = messages.exclude(provider_id="")
        assert with_provider_id.count() == ROWS - BATCH
        assert set(with_provider_id.values_list("pk", flat=True)) == set(taken) - in_flight
        assert not with_provider_id.filter(status=Message.Status.UNKNOWN).exists()

        # The batch in flight: unknown, worker lost, claimed once and never resubmitted.
        lost = messages.filter(pk__in=in_flight)
        assert set(lost.values_list("status", "error_code", "attempts", "provider_id")) == {
            (Message.Status.UNKNOWN, "worker_lost", 1, "")
        }
        assert all(taken[pk] == 1 for pk in in_flight)
        assert not messages.filter(attempts__gt=1).exists()

        campaign.refresh_from_db()
        assert campaign.status == Campaign.Status.SENT
        assert campaign.completed_at is not None
    redis.flushdb()
