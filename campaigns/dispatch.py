"""Dispatch: hand queued messages to the gateway, at most once each, and follow them.

A dispatch job loops: claim a batch of a campaign's queued messages (queued →
submitting, a conditional UPDATE; on PostgreSQL through `FOR UPDATE SKIP LOCKED`, so
several workers share a campaign without waiting on each other), commit, submit the
batch under the gateway's rate limit, then record each result (submitted with its
provider id, back to queued when the carrier did not take it, unknown when it may
have, failed otherwise, refunded). A worker that dies between the claim and the
record leaves its batch in submitting: `messages_sweep_stale` turns those into
unknown after SMS_SUBMITTING_TIMEOUT seconds, never back into queued.

Delivery reports move submitted messages to their final state; one that arrives
before its provider id is stored waits in PendingReport and is applied when it is.
"""

from __future__ import annotations

import datetime
import functools
import logging
import time
from collections.abc import Iterable
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone

from campaigns.models import (
    FINAL_STATES,
    Campaign,
    Kind,
    Message,
    PendingReport,
    Reply,
)
from smsmode.billing.models import LedgerKind
from smsmode.billing.services import credits_add
from smsmode.dashboard import stats
from smsmode.sms.gateways import get_gateway
from smsmode.sms.gateways.base import (
    DeliveryReport,
    DeliveryState,
    GatewayError,
    InboundSms,
    OutboundSms,
    SubmitResult,
)
from smsmode.sms.numbers import PhoneNumberError, normalize_phone
from smsmode.sms.stop import is_stop_request
from smsmode.sms.windows import is_allowed, next_allowed
from smsmode.webhooks.services import message_status_changed, reply_received

logger = logging.getLogger(__name__)

BATCH = 100
MAX_ATTEMPTS = 5  # submits refused as retryable before a message fails
_REPORT_STATES = {
    DeliveryState.DELIVERED: Message.Status.DELIVERED,
    DeliveryState.UNDELIVERED: Message.Status.UNDELIVERED,
    DeliveryState.EXPIRED: Message.Status.EXPIRED,
    DeliveryState.REJECTED: Message.Status.REJECTED,
    DeliveryState.UNKNOWN: Message.Status.UNKNOWN,
}


# --------------------------------------------------------------------------- refunds


def refund_messages(*, account_id: int, message_ids: Iterable[int], reason: str) -> Decimal:
    """Give back the credits of these messages, once: one ledger row for all of them.
    Call in the transaction that moved them to a refunded state."""
    ids = list(message_ids)
    if not ids:
        return Decimal(0)
    total = Message.objects.filter(pk__in=ids).aggregate(total=Sum("cost"))["total"] or Decimal(0)
    if total:
        credits_add(
            account_id=account_id,
            amount=total,
            kind=LedgerKind.REFUND,
            description=f"{len(ids)} SMS {reason}",
        )
        by_campaign = (
            Message.objects.filter(pk__in=ids, campaign__isnull=False, is_test=False)
            .values("campaign_id")
            .annotate(total=Sum("cost"))
        )
        for row in by_campaign:
            Campaign.objects.filter(pk=row["campaign_id"]).update(
                credits_refunded=F("credits_refunded") + row["total"]
            )
    return total


# --------------------------------------------------------------------------- claiming


def _claim(campaign_id: int | None, now: datetime.datetime) -> list[tuple[int, str, str, str]]:
    """Claim up to BATCH queued messages (no more than one second's budget): (id,
    phone, sender, body) each, now ours. `campaign_id` None: the API's queue (messages
    of no campaign that are due, of accounts that are not suspended)."""
    size = _batch_size()
    if campaign_id is None:
        where = (
            "campaign_id IS NULL AND status = %s AND (not_before IS NULL OR not_before <= %s) "
            "AND account_id NOT IN (SELECT id FROM accounts_account WHERE is_suspended)"
        )
        params: list = [Message.Status.QUEUED, now]
    else:
        where = "campaign_id = %s AND status = %s"
        params = [campaign_id, Message.Status.QUEUED]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "UPDATE campaigns_message SET status = %s, claimed_at = %s, "
                "attempts = attempts + 1 WHERE id IN (SELECT id FROM campaigns_message "
                # No ORDER BY: any batch of queued messages will do, and sorting the
                # campaign's queue for every batch would cost its whole size.
                f"WHERE {where} LIMIT %s "
                "FOR UPDATE SKIP LOCKED) RETURNING id, phone, sender, body",
                [Message.Status.SUBMITTING, now, *params, size],
            )
        else:  # SQLite: one writer at a time, the conditional UPDATE is the claim
            cursor.execute(
                "UPDATE campaigns_message SET status = %s, claimed_at = %s, "
                "attempts = attempts + 1 WHERE id IN (SELECT id FROM campaigns_message "
                f"WHERE {where} LIMIT %s) "
                "AND status = %s RETURNING id, phone, sender, body",
                [Message.Status.SUBMITTING, now, *params, size, Message.Status.QUEUED],
            )
        return sorted(cursor.fetchall())


def _batch_size() -> int:
    limit = settings.SMS_SUBMIT_PER_SECOND
    return min(BATCH, limit) if limit else BATCH


def _rate_limit(count: int) -> None:
    """Wait until `count` more submits fit in this second's budget (shared by every
    worker through Redis; SMS_SUBMIT_PER_SECOND, 0 = no limit)."""
    limit = settings.SMS_SUBMIT_PER_SECOND
    if not limit:
        return
    import django_rq

    redis = django_rq.get_connection("sms")
    while True:
        second = int(time.time())
        key = f"sms:rate:{second}"
        used = redis.incrby(key, count)
        redis.expire(key, 5)
        if used <= limit or used == count:  # a batch bigger than the limit still goes
            return
        redis.decrby(key, count)
        time.sleep(max(0.0, second + 1 - time.time()))


# --------------------------------------------------------------------------- recording


def _record(results: list[SubmitResult], claimed: dict[str, int], account_id: int | None) -> None:
    """Store each result. `account_id` None: an API batch (several accounts; each
    message's status change is an event for its status callback)."""
    now = timezone.now()
    submitted: list[tuple[int, str]] = []
    retry, unknown, failed = [], [], []
    for result in results:
        message_id = claimed.get(result.reference)
        if message_id is None:
            continue
        if result.ok:
            submitted.append((message_id, result.provider_id or ""))
        elif result.unknown:
            unknown.append((message_id, result.error))
        elif result.retryable:
            retry.append(message_id)
        else:
            failed.append((message_id, result.error))
    with transaction.atomic():
        mine = Q(status=Message.Status.SUBMITTING)
        _mark_submitted(submitted, now)
        ended = []
        for message_id, code in unknown:
            if Message.objects.filter(mine, pk=message_id).update(
                status=Message.Status.UNKNOWN, error_code=code[:40], final_at=now
            ):
                ended.append(message_id)
        if retry:
            Message.objects.filter(mine, pk__in=retry, attempts__lt=MAX_ATTEMPTS).update(
                status=Message.Status.QUEUED, claimed_at=None
            )
            exhausted = list(
                Message.objects.filter(mine, pk__in=retry).values_list("pk", flat=True)
            )
            failed += [(pk, "retries_exhausted") for pk in exhausted]
        failed_ids = []
        for message_id, code in failed:
            if Message.objects.filter(mine, pk=message_id).update(
                status=Message.Status.FAILED, error_code=code[:40], final_at=now
            ):
                failed_ids.append(message_id)
        stats.record_sent(ended + failed_ids)
        if account_id is not None:
            refund_messages(account_id=account_id, message_ids=failed_ids, reason="not sent")
        else:
            by_account: dict[int, list[int]] = {}
            for pk, owner in Message.objects.filter(pk__in=failed_ids).values_list(
                "pk", "account_id"
            ):
                by_account.setdefault(owner, []).append(pk)
            for owner, ids in by_account.items():
                refund_messages(account_id=owner, message_ids=ids, reason="not sent")
            # Events for the messages whose status changed (not those back in queued).
            back = set(retry) - {pk for pk, _code in failed}
            message_status_changed([pk for pk in claimed.values() if pk not in back])
        _apply_pending_reports([provider_id for _, provider_id in submitted])


def _mark_submitted(submitted: list[tuple[int, str]], now: datetime.datetime) -> None:
    """submitting → submitted with the provider ids: one statement per batch. The
    messages it moved are counted in the dashboard's statistics."""
    if not submitted:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "UPDATE campaigns_message AS m SET status = %s, provider_id = v.pid, "
                "submitted_at = %s FROM unnest(%s::bigint[], %s::text[]) AS v(id, pid) "
                "WHERE m.id = v.id AND m.status = %s RETURNING m.account_id, m.kind, "
                "m.operator, m.segments, m.campaign_id, m.is_test",
                [
                    Message.Status.SUBMITTED,
                    now,
                    [message_id for message_id, _pid in submitted],
                    [pid for _id, pid in submitted],
                    Message.Status.SUBMITTING,
                ],
            )
            stats.record_submitted(cursor.fetchall(), now)
        else:
            moved = []
            for message_id, pid in submitted:
                cursor.execute(
                    "UPDATE campaigns_message SET status = %s, provider_id = %s, "
                    "submitted_at = %s WHERE id = %s AND status = %s",
                    (Message.Status.SUBMITTED, pid, now, message_id, Message.Status.SUBMITTING),
                )
                if cursor.rowcount:
                    moved.append(message_id)
            stats.record_sent(moved)


def _release(message_ids: list[int]) -> None:
    """The gateway took nothing (GatewayError): the batch may be claimed again."""
    Message.objects.filter(pk__in=message_ids, status=Message.Status.SUBMITTING).update(
        status=Message.Status.QUEUED, claimed_at=None
    )


# --------------------------------------------------------------------------- the loop


def _hold_if_closed(campaign: Campaign) -> datetime.datetime | None:
    """Outside the marketing window, hold what is queued until it opens."""
    if campaign.kind != Kind.MARKETING:
        return None
    country = campaign.account.country or "FR"
    now = timezone.now()
    if is_allowed(now, country):
        Message.objects.filter(
            campaign=campaign, status=Message.Status.HELD, not_before__lte=now
        ).update(status=Message.Status.QUEUED, not_before=None)
        return None
    opens = next_allowed(now, country)
    Message.objects.filter(campaign=campaign, status=Message.Status.QUEUED, is_test=False).update(
        status=Message.Status.HELD, not_before=opens
    )
    return opens


def campaign_dispatch(*, campaign_id: int, max_seconds: float | None = None) -> int:
    """Submit the campaign's queued messages until none is left (or `max_seconds`
    have passed: the job then queues itself again). Any number of these may run at
    once for one campaign; a retried job submits nothing twice. Returns how many
    messages this run submitted."""
    deadline = time.monotonic() + (max_seconds or settings.CAMPAIGN_DISPATCH_MAX_SECONDS)
    campaign = Campaign.objects.select_related("account").filter(pk=campaign_id).first()
    if campaign is None:
        return 0
    gateway = get_gateway()
    done = 0
    while True:
        campaign.status, suspended = Campaign.objects.values_list(
            "status", "account__is_suspended"
        ).get(pk=campaign_id)
        if suspended:
            # Checked again at send time: a suspension stops what is queued (the
            # sweep's watchdog tries again every minute; lifting it resumes).
            logger.warning("campaign %s: account suspended, nothing submitted", campaign_id)
            return done
        if campaign.status == Campaign.Status.SENDING:
            opens = _hold_if_closed(campaign)
            if opens is not None:
                _enqueue_at(campaign_id, opens)
                return done
        Campaign.objects.filter(pk=campaign_id).update(dispatch_heartbeat=timezone.now())
        # The budget first: a claimed batch must not wait in submitting, where the sweep
        # would take a long wait for a dead worker.
        _rate_limit(_batch_size())
        batch = _claim(campaign_id, timezone.now())
        if not batch:
            break
        claimed = {str(message_id): message_id for message_id, *_rest in batch}
        outbound = [
            OutboundSms(reference=str(message_id), to=phone, sender=sender, text=body)
            for message_id, phone, sender, body in batch
        ]
        try:
            results = gateway.submit(outbound)
        except GatewayError as exc:
            logger.warning(
                "campaign %s: gateway unavailable (%s), retrying later", campaign_id, exc
            )
            _release(list(claimed.values()))
            _enqueue_at(campaign_id, timezone.now() + datetime.timedelta(seconds=30))
            return done
        _record(results, claimed, campaign.account_id)
        done += sum(1 for result in results if result.ok)
        if time.monotonic() > deadline:
            _enqueue_at(campaign_id, timezone.now())
            return done
    campaign_complete_if_done(campaign_id=campaign_id)
    return done


# ----------------------------------------------------------------- the API's queue

API_DISPATCH_FLAG = "sms:api-dispatch-queued"


def api_dispatch(*, max_seconds: float | None = None) -> int:
    """Submit the API's due queued messages (any account) until none is left or
    `max_seconds` have passed. Any number may run at once; nothing goes twice."""
    deadline = time.monotonic() + (max_seconds or settings.CAMPAIGN_DISPATCH_MAX_SECONDS)
    gateway = get_gateway()
    done = 0
    _release_held_api(timezone.now())
    while True:
        _rate_limit(_batch_size())
        batch = _claim(None, timezone.now())
        if not batch:
            return done
        claimed = {str(message_id): message_id for message_id, *_rest in batch}
        outbound = [
            OutboundSms(reference=str(message_id), to=phone, sender=sender, text=body)
            for message_id, phone, sender, body in batch
        ]
        try:
            results = gateway.submit(outbound)
        except GatewayError as exc:
            logger.warning("API messages: gateway unavailable (%s), retrying later", exc)
            _release(list(claimed.values()))
            _enqueue_api_at(timezone.now() + datetime.timedelta(seconds=30))
            return done
        _record(results, claimed, None)
        done += sum(1 for result in results if result.ok)
        if time.monotonic() > deadline:
            _enqueue_api_at(timezone.now())
            return done


def _release_held_api(now: datetime.datetime) -> int:
    """Held API messages (marketing outside the window) whose start came are queued."""
    return Message.objects.filter(
        campaign__isnull=True, status=Message.Status.HELD, not_before__lte=now
    ).update(status=Message.Status.QUEUED)


def enqueue_api_dispatch() -> None:
    """A dispatcher for the API's queue, unless one was queued in the last half second
    (single sends come in bursts: one job takes them all in batches)."""
    if _sms_queue().connection.set(API_DISPATCH_FLAG, "1", nx=True, px=500):
        _enqueue_api_at(timezone.now())


@functools.cache
def _sms_queue():
    """One queue (and Redis client) per process: django_rq builds a new client, and a
    new TCP connection, on every call — a cost each API send would pay."""
    import django_rq

    return django_rq.get_queue("sms", commit_mode="auto")


def _enqueue_api_at(when: datetime.datetime) -> None:
    from campaigns.jobs import api_dispatch_job

    queue = _sms_queue()
    if when <= timezone.now():
        queue.enqueue(api_dispatch_job, job_timeout=1800)
    else:
        queue.enqueue_at(when, api_dispatch_job, job_timeout=1800)


def api_messages_due() -> int:
    """Every minute: held API messages whose window opened, and scheduled ones whose
    sentDate came, get a dispatcher. Returns how many are due."""
    now = timezone.now()
    _release_held_api(now)
    due = Message.objects.filter(
        Q(not_before__isnull=True) | Q(not_before__lte=now),
        campaign__isnull=True,
        status=Message.Status.QUEUED,
    ).count()
    if due:
        _enqueue_api_at(now)
    return due


def _enqueue_at(campaign_id: int, when: datetime.datetime) -> None:
    import django_rq

    from campaigns.jobs import campaign_dispatch_job

    queue = django_rq.get_queue("sms", commit_mode="auto")
    if when <= timezone.now():
        queue.enqueue(campaign_dispatch_job, campaign_id, job_timeout=1800)
    else:
        queue.enqueue_at(when, campaign_dispatch_job, campaign_id, job_timeout=1800)


def campaign_complete_if_done(*, campaign_id: int) -> bool:
    """A sending campaign with nothing left to submit is sent."""
    waiting = Message.objects.filter(
        campaign_id=campaign_id,
        status__in=[Message.Status.QUEUED, Message.Status.HELD, Message.Status.SUBMITTING],
    ).exists()
    if waiting:
        return False
    return bool(
        Campaign.objects.filter(pk=campaign_id, status=Campaign.Status.SENDING).update(
            status=Campaign.Status.SENT, completed_at=timezone.now()
        )
    )


# ------------------------------------------------------------------------ housekeeping


def messages_sweep_stale() -> int:
    """Messages left in submitting by a dead worker become unknown (never resent).
    Then campaigns left without a dispatcher get one. Idempotent; every minute."""
    limit = timezone.now() - datetime.timedelta(seconds=settings.SMS_SUBMITTING_TIMEOUT)
    stale = Message.objects.filter(status=Message.Status.SUBMITTING, claimed_at__lt=limit)
    campaign_ids = set(stale.values_list("campaign_id", flat=True).distinct())
    swept = 0
    while True:
        # By batches of ids: the rows swept are exactly those whose event is recorded
        # (API messages), in the same transaction.
        with transaction.atomic():
            batch = list(stale.select_for_update().values_list("pk", "campaign_id")[:10_000])
            if not batch:
                break
            ids = [pk for pk, _campaign in batch]
            swept += Message.objects.filter(pk__in=ids, status=Message.Status.SUBMITTING).update(
                status=Message.Status.UNKNOWN, error_code="worker_lost", final_at=timezone.now()
            )
            stats.record_sent(ids)
            message_status_changed([pk for pk, campaign in batch if campaign is None])
    if swept:
        logger.warning("%s messages left in submitting by a dead worker are now unknown", swept)
    orphans = Campaign.objects.filter(status=Campaign.Status.SENDING).filter(
        Q(dispatch_heartbeat__isnull=True) | Q(dispatch_heartbeat__lt=limit)
    )
    from campaigns.services import enqueue_dispatch

    for campaign_id in orphans.values_list("pk", flat=True):
        if Message.objects.filter(campaign_id=campaign_id, status=Message.Status.QUEUED).exists():
            enqueue_dispatch(campaign_id, jobs=1)
        else:
            campaign_complete_if_done(campaign_id=campaign_id)
    for campaign_id in campaign_ids - {None}:
        campaign_complete_if_done(campaign_id=campaign_id)
    return swept


# ------------------------------------------------------------- reports and replies


def _apply_report(message: Message, state: str, error_code: str, at) -> None:
    status = _REPORT_STATES.get(DeliveryState(state), Message.Status.UNKNOWN)
    updated = Message.objects.filter(
        pk=message.pk, status__in=[Message.Status.SUBMITTED, Message.Status.UNKNOWN]
    ).update(status=status, error_code=error_code[:40], final_at=at or timezone.now())
    if updated:
        stats.record_moved(message, status)
    if updated and status == Message.Status.REJECTED:
        refund_messages(account_id=message.account_id, message_ids=[message.pk], reason="rejected")
    if updated and message.campaign_id is None:
        message_status_changed([message.pk])


# What a report reads of its message: enough to move it within its statistics bucket.
_REPORT_FIELDS = (
    "pk",
    "account_id",
    "campaign_id",
    "status",
    "submitted_at",
    "final_at",
    "kind",
    "operator",
    "segments",
    "is_test",
)


def on_delivery_report(report: DeliveryReport) -> None:
    """Subscriber of smsmode.sms.events: move the message to its final state (once:
    a final message is left alone). Unknown provider id: kept for later."""
    with transaction.atomic():
        message = (
            Message.objects.filter(provider_id=report.provider_id)
            .only(*_REPORT_FIELDS)
            .select_for_update()  # two reports of one message: the second sees the first
            .first()
        )
        if message is None:
            PendingReport.objects.get_or_create(
                provider_id=report.provider_id,
                defaults={
                    "state": report.state.value,
                    "error_code": report.error_code,
                    "at": report.at,
                },
            )
            return
        if message.status in FINAL_STATES and message.status != Message.Status.UNKNOWN:
            return
        _apply_report(message, report.state.value, report.error_code, report.at)


def _apply_pending_reports(provider_ids: list[str]) -> None:
    ids = [pid for pid in provider_ids if pid]
    if not ids:
        return
    for pending in PendingReport.objects.filter(provider_id__in=ids):
        message = Message.objects.filter(provider_id=pending.provider_id).first()
        if message is not None:
            _apply_report(message, pending.state, pending.error_code, pending.at)
            pending.delete()


def on_inbound(inbound: InboundSms) -> None:
    """Subscriber: keep the reply, with the account and campaign that last wrote to
    that number. (STOP opt-outs are the contacts app's subscriber.)"""
    try:
        phone = normalize_phone(inbound.sender, default_region="FR")
    except PhoneNumberError:
        return
    last = (
        Message.objects.filter(phone=phone, is_test=False, submitted_at__isnull=False)
        .order_by("-created_at")
        .values("account_id", "campaign_id")
        .first()
    )
    if last is None:
        logger.info("reply from %s that no account wrote to: dropped", phone)
        return
    if inbound.provider_id and Reply.objects.filter(provider_id=inbound.provider_id).exists():
        return  # replies are delivered at least once
    with transaction.atomic():
        reply = Reply.objects.create(
            account_id=last["account_id"],
            campaign_id=last["campaign_id"],
            phone=phone,
            text=inbound.text,
            is_stop=is_stop_request(inbound.text),
            provider_id=inbound.provider_id,
            received_at=inbound.at or timezone.now(),
        )
        reply_received(reply.pk)
