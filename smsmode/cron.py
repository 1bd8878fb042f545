"""Periodic jobs, run by `manage.py rqcron smsmode.cron` (one cron process per deployment)."""

from rq import cron

from campaigns.jobs import api_messages_due, campaigns_launch_due, messages_sweep_stale
from contacts.jobs import imports_recover_stalled
from shortener.jobs import clicks_flush_job
from smsmode.accounts.jobs import invitations_purge_expired
from smsmode.billing.jobs import subscriptions_apply_due
from smsmode.dashboard.jobs import stats_fold_job
from smsmode.webhooks.jobs import webhooks_retry_due

cron.register(invitations_purge_expired, queue_name="low", cron="17 3 * * *")
cron.register(subscriptions_apply_due, queue_name="default", cron="*/10 * * * *")
cron.register(imports_recover_stalled, queue_name="default", cron="* * * * *")
cron.register(campaigns_launch_due, queue_name="default", cron="* * * * *")
cron.register(messages_sweep_stale, queue_name="default", cron="* * * * *")
cron.register(api_messages_due, queue_name="sms", cron="* * * * *")
cron.register(clicks_flush_job, queue_name="default", cron="* * * * *")
cron.register(webhooks_retry_due, queue_name="low", cron="* * * * *")
cron.register(stats_fold_job, queue_name="low", cron="* * * * *")
