"""Periodic jobs, run by `manage.py rqcron smsmode.cron` (one cron process per deployment)."""

from rq import cron

from smsmode.accounts.jobs import invitations_purge_expired

cron.register(invitations_purge_expired, queue_name="low", cron="17 3 * * *")
