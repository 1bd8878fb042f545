"""Periodic jobs, run by `manage.py rqcron smsmode.cron` (one cron process per deployment)."""

from rq import cron

from smsmode.accounts.jobs import invitations_purge_expired
from smsmode.billing.jobs import subscriptions_apply_due

cron.register(invitations_purge_expired, queue_name="low", cron="17 3 * * *")
cron.register(subscriptions_apply_due, queue_name="default", cron="*/10 * * * *")
