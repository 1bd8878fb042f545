"""Webhooks: status and reply events of API messages, delivered to the customer's URLs.

Events
------
``message.status``: a message sent through the API changed status. The body is the
message as ``GET /sms/v1/messages/{id}`` shows it, plus ``eventId``, ``eventType`` and
``occurredAt``. ``message.inbound``: someone replied (MO): ``eventId``, ``eventType``,
``occurredAt``, ``from``, ``text``, ``receivedAt``, ``inReplyTo`` (the ``messageId`` of
the latest API message of the account to that number, or null).

The request
-----------
``POST <url>`` with ``Content-Type: application/json`` and these headers::

    X-Webhook-Id:        <eventId>             the same on every retry and resend
    X-Webhook-Timestamp: <unix seconds>        when this attempt was made
    X-Webhook-Signature: sha256=<hex>          see below

``<hex>`` is the lower-case hex HMAC-SHA256, keyed with the account's webhook secret
(UTF-8 bytes of the whole string, ``whsec_`` prefix included), of the bytes
``<timestamp>.<body>``: the timestamp header's value, one ASCII dot, and the raw
request body exactly as received. A receiver recomputes it, compares in constant time
and refuses timestamps more than a few minutes away from its clock (replays). Until a
rotation, every request is signed with the same secret; after one, with the new secret
only.

Delivery
--------
Any 2xx answer within ``WEBHOOK_TIMEOUT`` seconds (5) is a delivery. A timeout, a
connection or TLS error, or any other status (3xx included: redirects are not followed)
is retried after about 30 s, 1 min, 2, 4 … minutes, capped at 1 hour, each delay shortened
at random by up to 20 %, for 24 hours after the delivery was created; then it is failed.
A URL the SSRF guard refuses (see ``transport``) fails at once (``blocked_address``).
Delivery is at least once: a worker that dies after the receiver answered and before
the result was stored makes the attempt again later. Receivers dedupe on
``X-Webhook-Id``. Events may arrive out of order (a retried status after a later one):
``status`` in the body is the state at ``occurredAt``.

The outbox
----------
``message_status_changed`` and ``reply_received`` are called inside the transaction that
changed the message or stored the reply. They write `WebhookDelivery` rows in that
transaction and enqueue their delivery on commit: an event is never lost (the row
commits with the change; a lost RQ job is re-enqueued by ``webhooks_retry_due``) and
never sent for a change that rolled back.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import logging
import random
import time
import uuid
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from campaigns.models import Message, Reply
from smsmode.webhooks import transport
from smsmode.webhooks.models import WebhookDelivery, WebhookSettings, new_secret

logger = logging.getLogger(__name__)

QUEUE = "low"
MAX_AGE = datetime.timedelta(hours=24)
FIRST_DELAY = 30  # seconds
MAX_DELAY = 3600
JITTER = 0.2
# A claimed attempt owns the delivery this long; a worker that dies mid-attempt
# leaves it to the next attempt after that (the RQ job is killed after JOB_TIMEOUT).
LEASE = datetime.timedelta(minutes=2)
JOB_TIMEOUT = 60
# A scheduled RQ job may run a little before its time (clocks of two machines).
EARLY = datetime.timedelta(seconds=5)
# The safety net re-enqueues deliveries overdue by more than this.
OVERDUE = datetime.timedelta(minutes=2)
LOAD_CHUNK = 500
RETRY_BATCH = 500
PURGE_BATCH = 1000
ATTEMPT_LOG_SIZE = 50


# ------------------------------------------------------------------ signing


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """The X-Webhook-Signature value of `body` sent at `timestamp`."""
    signed = str(timestamp).encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signature_valid(
    secret: str, timestamp: str, body: bytes, signature: str, *, tolerance: int = 300
) -> bool:
    """What a receiver does (documented in docs/webhooks.md): recompute, compare in
    constant time, refuse an old or future timestamp."""
    try:
        age = abs(time.time() - int(timestamp))
    except ValueError:
        return False
    return age <= tolerance and hmac.compare_digest(sign(secret, timestamp, body), signature)


def _encode(payload: dict) -> str:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def _iso(value: datetime.datetime) -> str:
    return value.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")


# ------------------------------------------------------------------ settings


def webhook_settings_get(*, account_id: int) -> WebhookSettings:
    """The account's settings row, created (with a fresh secret) on first use."""
    row, _created = WebhookSettings.objects.get_or_create(account_id=account_id)
    return row


def webhook_settings_update(*, account_id: int, status_url: str, mo_url: str) -> WebhookSettings:
    row = webhook_settings_get(account_id=account_id)
    row.status_url, row.mo_url = status_url, mo_url
    row.save(update_fields=["status_url", "mo_url", "updated_at"])
    return row


def webhook_secret_rotate(*, account_id: int) -> WebhookSettings:
    """A new secret, at once: every attempt from now on is signed with it (pending
    retries included)."""
    row = webhook_settings_get(account_id=account_id)
    row.secret = new_secret()
    row.secret_rotated_at = timezone.now()
    row.save(update_fields=["secret", "secret_rotated_at", "updated_at"])
    return row


# ------------------------------------------------------------------ the outbox


def _enqueue_on_commit(delivery_ids: list[int]) -> None:
    if delivery_ids:
        # robust: a Redis outage must not break the caller's request after its
        # commit; the rows are there and webhooks_retry_due picks them up.
        transaction.on_commit(lambda: _enqueue_now(delivery_ids), robust=True)


def _enqueue_now(delivery_ids: Iterable[int]) -> None:
    import django_rq
    from rq import Queue

    from smsmode.webhooks.jobs import webhook_deliver_job

    queue = django_rq.get_queue(QUEUE, commit_mode="auto")
    queue.enqueue_many(
        [Queue.prepare_data(webhook_deliver_job, (pk,), timeout=JOB_TIMEOUT) for pk in delivery_ids]
    )


def _enqueue_at(delivery_id: int, when: datetime.datetime) -> None:
    import django_rq

    from smsmode.webhooks.jobs import webhook_deliver_job

    queue = django_rq.get_queue(QUEUE, commit_mode="auto")
    queue.enqueue_at(when, webhook_deliver_job, delivery_id, job_timeout=JOB_TIMEOUT)


def message_status_changed(message_ids: list[int]) -> int:
    """Call inside the transaction that changed these messages' status.

    Records one ``message.status`` event for each API message among them (no campaign,
    ``api_flow`` set) that has a status URL: its ``callbackUrlStatus``, else the
    account's default. Campaign messages and messages without a URL are skipped. The
    rows commit with the caller's transaction and are enqueued on commit. One query
    per 500 messages, one bulk insert. Returns how many events were recorded."""
    from campaigns.api_messages import message_resource  # campaigns calls us: no cycle

    ids = list(dict.fromkeys(message_ids))
    now = timezone.now()
    occurred = _iso(now)
    rows: list[WebhookDelivery] = []
    for start in range(0, len(ids), LOAD_CHUNK):
        messages = (
            Message.objects.filter(pk__in=ids[start : start + LOAD_CHUNK], campaign__isnull=True)
            .exclude(api_flow="")
            .select_related("account", "account__webhook_settings")
        )
        for message in messages:
            url, source = message.callback_url_status, WebhookDelivery.UrlSource.MESSAGE
            if not url:
                defaults = getattr(message.account, "webhook_settings", None)
                url = defaults.status_url if defaults else ""
                source = WebhookDelivery.UrlSource.SETTINGS
            if not url:
                continue
            event_id = uuid.uuid4()
            payload = {
                "eventId": str(event_id),
                "eventType": "message.status",
                "occurredAt": occurred,
                **message_resource(message),
            }
            rows.append(
                WebhookDelivery(
                    account_id=message.account_id,
                    event_id=event_id,
                    kind=WebhookDelivery.Kind.STATUS,
                    message=message,
                    url=url,
                    url_source=source,
                    payload=_encode(payload),
                    next_attempt_at=now,
                )
            )
    if not rows:
        return 0
    created = WebhookDelivery.objects.bulk_create(rows)
    _enqueue_on_commit([row.pk for row in created])
    return len(created)


def reply_received(reply_id: int) -> int:
    """Call inside the transaction that stored this reply.

    Records one ``message.inbound`` event when the reply has an MO URL: the
    ``callbackUrlMo`` of the latest API message of the account to that number that has
    one, else the account's default. ``inReplyTo`` names the latest API message to
    that number (or null). Enqueued on commit. Returns 1, or 0 without a URL."""
    reply = Reply.objects.filter(pk=reply_id).first()
    if reply is None:
        return 0
    api_messages = Message.objects.filter(
        account_id=reply.account_id, phone=reply.phone, campaign__isnull=True
    ).exclude(api_flow="")
    latest = (
        api_messages.order_by("-created_at", "-id")
        .only("id", "public_id", "callback_url_mo")
        .first()
    )
    latest_with_url = latest
    if latest is not None and not latest.callback_url_mo:
        latest_with_url = (
            api_messages.exclude(callback_url_mo="")
            .order_by("-created_at", "-id")
            .only("id", "public_id", "callback_url_mo")
            .first()
        )
    if latest_with_url is not None:
        url, source = latest_with_url.callback_url_mo, WebhookDelivery.UrlSource.MESSAGE
    else:
        defaults = WebhookSettings.objects.filter(account_id=reply.account_id).first()
        url, source = (defaults.mo_url if defaults else ""), WebhookDelivery.UrlSource.SETTINGS
    if not url:
        return 0
    now = timezone.now()
    event_id = uuid.uuid4()
    payload = {
        "eventId": str(event_id),
        "eventType": "message.inbound",
        "occurredAt": _iso(now),
        "from": reply.phone,
        "text": reply.text,
        "receivedAt": _iso(reply.received_at),
        "inReplyTo": str(latest.public_id) if latest else None,
    }
    delivery = WebhookDelivery.objects.create(
        account_id=reply.account_id,
        event_id=event_id,
        kind=WebhookDelivery.Kind.MO,
        message=latest,
        url=url,
        url_source=source,
        payload=_encode(payload),
        next_attempt_at=now,
    )
    _enqueue_on_commit([delivery.pk])
    return 1


def delivery_resend(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """A new delivery of the same event: same event id, same payload bytes (receivers
    dedupe). It goes to the account's current default URL when the first one came
    from the defaults (so a fixed URL gets the resend), else to the same URL.
    Enqueued on commit."""
    url = delivery.url
    if delivery.url_source == WebhookDelivery.UrlSource.SETTINGS:
        defaults = WebhookSettings.objects.filter(account_id=delivery.account_id).first()
        current = ""
        if defaults is not None:
            is_status = delivery.kind == WebhookDelivery.Kind.STATUS
            current = defaults.status_url if is_status else defaults.mo_url
        url = current or url
    with transaction.atomic():
        resend = WebhookDelivery.objects.create(
            account_id=delivery.account_id,
            event_id=delivery.event_id,
            kind=delivery.kind,
            message_id=delivery.message_id,
            is_resend=True,
            url=url,
            url_source=delivery.url_source,
            payload=delivery.payload,
            next_attempt_at=timezone.now(),
        )
        _enqueue_on_commit([resend.pk])
    return resend


# ------------------------------------------------------------------ delivery


def _timeout() -> float:
    return float(getattr(settings, "WEBHOOK_TIMEOUT", 5))


def retry_delay(attempt: int) -> float:
    """Seconds to wait after the `attempt`-th failed attempt (1-based): 30, 60, 120 …
    capped at 3600, each shortened at random by up to 20 % so retries spread out."""
    base = min(FIRST_DELAY * 2 ** min(attempt - 1, 20), MAX_DELAY)
    return base * random.uniform(1 - JITTER, 1)


def delivery_attempt(delivery_id: int) -> str:
    """Make one attempt of a pending delivery that is due; returns the state after it
    ("delivered", "pending" with a retry scheduled, "failed"), or "skipped".

    May run any number of times at once or again: a conditional update claims the
    attempt (attempts + 1, next attempt pushed a lease away) and only the claimer
    sends; the result is stored only if the delivery is still at that attempt. A
    worker that dies after sending leaves the claim to expire: the attempt is made
    again (at least once)."""
    now = timezone.now()
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id,
        state=WebhookDelivery.State.PENDING,
        next_attempt_at__lte=now + EARLY,
    ).update(attempts=F("attempts") + 1, next_attempt_at=now + LEASE)
    if claimed != 1:
        return "skipped"
    delivery = WebhookDelivery.objects.get(pk=delivery_id)
    secret = webhook_settings_get(account_id=delivery.account_id).secret
    body = delivery.payload.encode()
    timestamp = str(int(timezone.now().timestamp()))
    headers = {
        "Content-Type": "application/json",
        "X-Webhook-Id": str(delivery.event_id),
        "X-Webhook-Timestamp": timestamp,
        "X-Webhook-Signature": sign(secret, timestamp, body),
    }
    status_code: int | None = None
    error = ""
    final = False
    started = time.monotonic()
    try:
        answer = transport.post(delivery.url, body=body, headers=headers, timeout=_timeout())
    except transport.BlockedUrl:
        error, final = transport.BlockedUrl.code, True
    except transport.TransportError as exc:
        error = exc.code
    else:
        status_code = answer.status_code
        if not 200 <= status_code < 300:
            error = f"http_{status_code}"
    elapsed_ms = round((time.monotonic() - started) * 1000)
    return _record(delivery, status_code=status_code, error=error, final=final, ms=elapsed_ms)


def _record(
    delivery: WebhookDelivery, *, status_code: int | None, error: str, final: bool, ms: int
) -> str:
    now = timezone.now()
    log = [
        *delivery.attempt_log,
        {"at": _iso(now), "statusCode": status_code, "error": error or None, "ms": ms},
    ][-ATTEMPT_LOG_SIZE:]
    changes: dict = {"last_status_code": status_code, "last_error": error, "attempt_log": log}
    retry_at = None
    if not error:
        state = WebhookDelivery.State.DELIVERED
        changes.update(state=state, delivered_at=now, next_attempt_at=None)
    else:
        retry_at = now + datetime.timedelta(seconds=retry_delay(delivery.attempts))
        if final or retry_at > delivery.created_at + MAX_AGE:
            state, retry_at = WebhookDelivery.State.FAILED, None
            changes.update(state=state, next_attempt_at=None)
        else:
            state = WebhookDelivery.State.PENDING
            changes.update(next_attempt_at=retry_at)
    stored = WebhookDelivery.objects.filter(
        pk=delivery.pk, state=WebhookDelivery.State.PENDING, attempts=delivery.attempts
    ).update(**changes)
    if not stored:
        return "skipped"  # our claim expired and another attempt took over
    if retry_at is not None:
        try:
            _enqueue_at(delivery.pk, retry_at)
        except Exception:
            logger.exception("webhook %s: retry not scheduled (the safety net will)", delivery.pk)
    if error:
        logger.info("webhook %s attempt %s: %s", delivery.pk, delivery.attempts, error)
    return state


def deliveries_retry_due() -> int:
    """Re-enqueue pending deliveries overdue by more than two minutes (their RQ job was
    lost with a worker or with Redis). Bounded; each is pushed back to now so that one
    still waiting in a busy queue is re-enqueued at most every two minutes, and a
    duplicate job is a no-op (the claim). Returns how many."""
    now = timezone.now()
    due = list(
        WebhookDelivery.objects.filter(
            state=WebhookDelivery.State.PENDING, next_attempt_at__lte=now - OVERDUE
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:RETRY_BATCH]
    )
    if not due:
        return 0
    # Conditional: one a worker claimed meanwhile keeps its lease (its job is a no-op).
    WebhookDelivery.objects.filter(
        pk__in=due, state=WebhookDelivery.State.PENDING, next_attempt_at__lte=now - OVERDUE
    ).update(next_attempt_at=now)
    _enqueue_now(due)
    return len(due)


def deliveries_purge_old() -> int:
    """Delete deliveries older than WEBHOOK_RETENTION_DAYS (30), the oldest 1,000 at a
    time (read through the primary key: no index on the creation date is needed)."""
    days = int(getattr(settings, "WEBHOOK_RETENTION_DAYS", 30))
    cutoff = timezone.now() - datetime.timedelta(days=days)
    oldest = WebhookDelivery.objects.order_by("pk").values_list("pk", "created_at", "state")
    ids = [
        pk
        for pk, created, state in oldest[:PURGE_BATCH]
        if created < cutoff and state != WebhookDelivery.State.PENDING
    ]
    if not ids:
        return 0
    deleted, _ = WebhookDelivery.objects.filter(pk__in=ids).delete()
    return deleted
