"""Jobs run through a real RQ queue on the real Redis."""

from datetime import timedelta

import django_rq
import pytest
from django.utils import timezone
from rq import SimpleWorker
from rq.cron import CronScheduler

from smsmode.accounts.jobs import invitations_purge_expired
from smsmode.accounts.models import Invitation

pytestmark = pytest.mark.django_db


def test_expired_invitations_are_purged_by_a_worker(team, django_capture_on_commit_callbacks):
    now = timezone.now()
    old = Invitation.objects.create(
        account=team.account, email="old@x.test", expires_at=now - timedelta(days=40)
    )
    recent = Invitation.objects.create(
        account=team.account, email="recent@x.test", expires_at=now - timedelta(days=1)
    )
    live = Invitation.objects.create(account=team.account, email="live@x.test")

    queue = django_rq.get_queue("low")
    queue.empty()
    # django-rq enqueues on commit; the test's transaction commits the callbacks.
    with django_capture_on_commit_callbacks(execute=True):
        assert queue.enqueue(invitations_purge_expired) is None
    [job] = queue.get_jobs()
    SimpleWorker([queue], connection=queue.connection).work(burst=True)
    job.refresh()
    assert job.get_status() == "finished"
    assert job.return_value() == 1
    remaining = set(Invitation.objects.values_list("pk", flat=True))
    assert old.pk not in remaining
    assert {recent.pk, live.pk} <= remaining


def test_the_cron_configuration_registers_the_periodic_jobs():
    scheduler = CronScheduler(connection=django_rq.get_connection("default"))
    scheduler.load_config_from_file("smsmode.cron")
    names = {job.func_name for job in scheduler.get_jobs()}
    assert "smsmode.accounts.jobs.invitations_purge_expired" in names
