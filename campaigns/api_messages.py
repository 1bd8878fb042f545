"""Messages sent through the API: accept one (the rules of campaigns: STOP mention and
window for marketing, opt-outs, credits reserved at once), describe one in smsmode's
shape, cancel a scheduled one.

An API message is a `Message` without a campaign (`api_flow` set). It is queued (due
now or at its `sentDate`: `not_before`) or held (marketing outside the window) and
submitted by `campaigns.dispatch.api_dispatch`, at most once like any other.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, replace
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from campaigns.models import ApiFlow, Kind, Message
from contacts.models import OptOut
from shortener.tracking import draw_codes, short_url_for, split_links
from smsmode.accounts.models import Account, ApiKey
from smsmode.billing.features import account_has_feature
from smsmode.billing.models import Feature, LedgerKind
from smsmode.billing.services import InsufficientCredits, credits_add
from smsmode.sms.encoding import SmsBodyError, analyze, validate_body
from smsmode.sms.numbers import PhoneNumberError, normalize_phone, operator_of
from smsmode.sms.senders import SenderIdError, validate_sender_id
from smsmode.sms.stop import stop_code_for, stop_mention, with_stop_mention
from smsmode.sms.windows import held_until

MAX_AHEAD = datetime.timedelta(days=365)


class MessageRefused(ValueError):
    """A message the rules refuse: `status` and `code` for the API's answer."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field


@dataclass
class NewMessage:
    to: str
    text: str
    stop: bool = False
    sender: str = ""
    ref_client: str = ""
    callback_url_status: str = ""
    callback_url_mo: str = ""
    sent_date: datetime.datetime | None = None
    flow: str = ApiFlow.TRANSACTIONAL


def _callback(url: str, field: str) -> str:
    url = (url or "").strip()
    if not url:
        return ""
    from smsmode.webhooks.transport import BlockedUrl, parse

    try:
        parse(url)  # the webhooks' own reading of a URL (addresses are checked at delivery)
    except BlockedUrl:
        raise MessageRefused(
            422, "INVALID_FIELD", "An http(s) URL of 2,048 characters at most.", field
        ) from None
    return url


def _text_for(account: Account, new: NewMessage) -> str:
    """The text as sent: marketing always ends with the STOP mention (the law), a
    transactional message when the client asks for it (body.stop)."""
    if new.flow == ApiFlow.MARKETING or new.stop:
        return with_stop_mention(new.text, code=stop_code_for(account))
    return new.text


def message_accept(*, account: Account, key: ApiKey | None, new: NewMessage) -> Message:
    """Validate, reserve the credits and queue one message. Raises MessageRefused."""
    if not account.can_send:
        raise MessageRefused(
            403, "ACCOUNT_SUSPENDED", "This account is suspended: it sends nothing."
        )
    try:
        phone = normalize_phone(new.to, default_region=account.country or "FR")
    except PhoneNumberError as exc:
        raise MessageRefused(422, "INVALID_FIELD", exc.message, "recipient.to") from None
    sender = new.sender or account.default_sender_id
    if not sender:
        raise MessageRefused(
            422,
            "INVALID_FIELD",
            "No sender: set `from` or the account's default sender ID.",
            "from",
        )
    try:
        sender = validate_sender_id(sender)
    except SenderIdError as exc:
        raise MessageRefused(422, "INVALID_FIELD", exc.message, "from") from None
    split = None
    if account.api_shorten_links and account_has_feature(account, Feature.URL_SHORTENER):
        split = split_links(new.text)
        if not split.targets:
            split = None
    codes = draw_codes(len(split.targets)) if split else []
    if split:  # each link becomes this message's own short link (same length for all)
        new = replace(new, text=split.fill([short_url_for(code) for code in codes]))
    text = _text_for(account, new)
    try:
        count = validate_body(text)
    except SmsBodyError as exc:
        raise MessageRefused(422, "INVALID_FIELD", exc.message, "body.text") from None
    status_url = _callback(new.callback_url_status, "callbackUrlStatus")
    mo_url = _callback(new.callback_url_mo, "callbackUrlMo")
    now = timezone.now()
    at = new.sent_date
    if at is not None:
        if timezone.is_naive(at):
            at = timezone.make_aware(at, datetime.UTC)
        try:
            at = at.astimezone(datetime.UTC)  # PostgreSQL refuses offsets beyond ±15:59
        except (OverflowError, ValueError):
            raise MessageRefused(422, "INVALID_FIELD", "Not a valid date.", "sentDate") from None
        if at > now + MAX_AHEAD:
            raise MessageRefused(422, "INVALID_FIELD", "At most a year ahead.", "sentDate")
        if at <= now:
            at = None
    kind = Kind.MARKETING if new.flow == ApiFlow.MARKETING else Kind.NOTIFICATION
    if kind == Kind.MARKETING:
        optout = OptOut.objects.filter(account=account, phone=phone, removed_at__isnull=True)
        if optout.exists():
            raise MessageRefused(
                422,
                "RECIPIENT_OPTED_OUT",
                "This number asked to receive no more marketing SMS (STOP).",
                "recipient.to",
            )
    status = Message.Status.QUEUED
    not_before = at
    if kind == Kind.MARKETING:
        held = held_until(at or now, account.country or "FR", kind)
        if held is not None:
            status, not_before = Message.Status.HELD, held
    price = account.plan.credits_per_segment.quantize(Decimal("0.01"))
    cost = price * count.segments
    with transaction.atomic():
        if cost:
            try:
                credits_add(
                    account_id=account.pk,
                    amount=-cost,
                    kind=LedgerKind.RESERVATION,
                    description=f"API SMS to {phone}"[:255],
                )
            except InsufficientCredits as exc:
                missing = Decimal(exc.missing).quantize(Decimal("0.01"))
                raise MessageRefused(
                    402, "INSUFFICIENT_CREDIT", f"Not enough credits: {missing} missing."
                ) from None
        message = Message.objects.create(
            account=account,
            kind=kind,
            phone=phone,
            operator=operator_of(phone),
            sender=sender,
            body=text,
            encoding=count.encoding,
            segments=count.segments,
            cost=cost,
            status=status,
            not_before=not_before,
            api_flow=new.flow,
            ref_client=new.ref_client[:255],
            callback_url_status=status_url,
            callback_url_mo=mo_url,
        )
        if split:
            from campaigns.services import LINK_LIFETIME
            from shortener.models import ShortLink

            ShortLink.objects.bulk_create(
                ShortLink(
                    account=account,
                    code=code,
                    target_url=target,
                    expires_at=now + LINK_LIFETIME,
                    message=message,
                )
                for code, target in zip(codes, split.targets, strict=True)
            )
        from campaigns.dispatch import _enqueue_api_at, enqueue_api_dispatch

        if not_before is None:
            transaction.on_commit(enqueue_api_dispatch)
        else:  # at its sentDate (or when the window opens); the cron is the backstop
            transaction.on_commit(lambda: _enqueue_api_at(not_before))
    return message


def message_cancel(*, message: Message) -> bool:
    """Cancel a message not yet claimed by dispatch, and refund it. False when it is
    already on its way (or done)."""
    from campaigns.dispatch import refund_messages
    from smsmode.webhooks.services import message_status_changed

    with transaction.atomic():
        updated = Message.objects.filter(
            pk=message.pk, status__in=[Message.Status.QUEUED, Message.Status.HELD]
        ).update(status=Message.Status.CANCELLED, final_at=timezone.now())
        if not updated:
            return False
        refund_messages(account_id=message.account_id, message_ids=[message.pk], reason="cancelled")
        message_status_changed([message.pk])
    message.refresh_from_db()
    return True


# --------------------------------------------------------------------- the shape


_STATUS = {
    Message.Status.QUEUED: "SCHEDULED",
    Message.Status.HELD: "SCHEDULED",
    Message.Status.SUBMITTING: "ENROUTE",
    Message.Status.SUBMITTED: "ENROUTE",
    Message.Status.DELIVERED: "DELIVERED",
    Message.Status.UNDELIVERED: "UNDELIVERED",
    Message.Status.EXPIRED: "UNDELIVERED",
    Message.Status.UNKNOWN: "UNDELIVERED",
    Message.Status.REJECTED: "UNDELIVERABLE",
    Message.Status.FAILED: "UNDELIVERABLE",
    Message.Status.CANCELLED: "CANCELLED",
}
_DETAIL = {
    Message.Status.HELD: "HELD_FOR_SENDING_WINDOW",
    Message.Status.EXPIRED: "EXPIRED",
    Message.Status.UNKNOWN: "DELIVERY_UNKNOWN",
    Message.Status.REJECTED: "REJECTED_BY_CARRIER",
    Message.Status.CANCELLED: "CANCELLED",
}
STATUS_VALUES = sorted(set(_STATUS.values()))


def states_of(value: str) -> list[str]:
    """The message states an API status value stands for (SCHEDULED: queued, held)."""
    return [state for state, shown in _STATUS.items() if shown == value]


def status_of(message: Message) -> dict:
    """smsmode's `status` object: value, detail, deliveryDate."""
    detail = message.error_code.upper() if message.error_code else _DETAIL.get(message.status, "")
    delivered = message.status == Message.Status.DELIVERED
    return {
        "value": _STATUS.get(message.status, "UNDELIVERED"),
        "detail": detail or None,
        "deliveryDate": _iso(message.final_at) if delivered else None,
    }


def _iso(value: datetime.datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")


def message_resource(message: Message) -> dict:
    """A message in the compatible endpoint's shape (camelCase, as smsmode answers).
    Reads `message.account` (select_related it for lists)."""
    count = analyze(message.body)
    sent = message.submitted_at or message.not_before or message.created_at
    return {
        "messageId": str(message.public_id),
        "acceptedAt": _iso(message.created_at),
        "sentDate": _iso(sent),
        "channel": {"flow": message.api_flow or ApiFlow.TRANSACTIONAL},
        "type": "SMS",
        "direction": "MT",
        "recipient": {"to": message.phone},
        "from": message.sender,
        "body": {
            "text": message.body,
            "stop": message.body.rstrip().endswith(stop_mention(stop_code_for(message.account))),
            "encoding": "UNICODE" if message.encoding == "UCS2" else "GSM7",
            "messagePartCount": message.segments,
            "length": count.units,
        },
        "price": {"amount": float(message.cost), "currency": "CREDITS"},
        "status": status_of(message),
        "refClient": message.ref_client or None,
        "href": f"/sms/v1/messages/{message.public_id}",
    }
