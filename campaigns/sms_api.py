"""The smsmode-compatible SMS endpoint: an integration written for smsmode's REST API
changes only its base URL.

    POST   /sms/v1/messages               send one SMS (scope "send")
    GET    /sms/v1/messages               the API's messages, newest first (scope "read")
    GET    /sms/v1/messages/{messageId}   one message with its current status ("read")
    DELETE /sms/v1/messages/{messageId}   cancel a scheduled message, refunded ("send")

Request and answer shapes are smsmode's, in camelCase; see docs/api.md.
"""

from __future__ import annotations

import datetime
from typing import Literal
from uuid import UUID

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from campaigns.api_messages import (
    STATUS_VALUES,
    MessageRefused,
    NewMessage,
    message_accept,
    message_cancel,
    message_resource,
    states_of,
)
from campaigns.models import Message
from contacts.api import PageQuery, keyset
from smsmode.api.auth import api_auth, require_scope
from smsmode.api.errors import ApiError, not_found

router = Router(auth=api_auth)

Flow = Literal["MARKETING", "TRANSACTIONAL", "OTP"]
StatusValue = Literal[tuple(STATUS_VALUES)]  # type: ignore[valid-type]


# ------------------------------------------------------------------------ schemas


class RecipientIn(Schema):
    to: str = Field(..., min_length=1, max_length=40, examples=["+33612345678"])


class BodyIn(Schema):
    text: str = Field(..., min_length=1, max_length=2000)
    stop: bool = False


class ChannelIn(Schema):
    flow: Flow = "TRANSACTIONAL"


class MessageIn(Schema):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    recipient: RecipientIn
    body: BodyIn
    from_: str | None = Field(None, alias="from", max_length=15)
    refClient: str | None = Field(None, max_length=255)
    callbackUrlStatus: str | None = Field(None, max_length=2048)
    callbackUrlMo: str | None = Field(None, max_length=2048)
    sentDate: datetime.datetime | None = None
    channel: ChannelIn | None = None


class ChannelOut(Schema):
    flow: Flow


class RecipientOut(Schema):
    to: str


class BodyOut(Schema):
    text: str
    stop: bool
    encoding: Literal["GSM7", "UNICODE"]
    messagePartCount: int
    length: int


class PriceOut(Schema):
    amount: float
    currency: str


class StatusOut(Schema):
    value: StatusValue
    detail: str | None = None
    deliveryDate: str | None = None


class MessageOut(Schema):
    model_config = ConfigDict(populate_by_name=True)

    messageId: str
    acceptedAt: str
    sentDate: str | None = None
    channel: ChannelOut
    type: Literal["SMS"]
    direction: Literal["MT"]
    recipient: RecipientOut
    from_: str = Field(..., alias="from")
    body: BodyOut
    price: PriceOut
    status: StatusOut
    refClient: str | None = None
    href: str


class MessagePage(Schema):
    items: list[MessageOut]
    nextCursor: str | None = None


class FieldError(Schema):
    field: str
    reason: str


class ErrorOut(Schema):
    code: str
    message: str
    errors: list[FieldError] | None = None
    status: StatusOut | None = None


_ERRORS = {
    400: ErrorOut,
    401: ErrorOut,
    402: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: ErrorOut,
    429: ErrorOut,
}


# ---------------------------------------------------------------------- endpoints


def _refused(exc: MessageRefused) -> ApiError:
    extra = {}
    if exc.code == "INSUFFICIENT_CREDIT":
        extra = {"status": {"value": "UNDELIVERABLE", "detail": "INSUFFICIENT_CREDIT"}}
    return ApiError(exc.status, exc.code, exc.message, field=exc.field, extra=extra)


@router.post("", response={201: MessageOut, **_ERRORS}, by_alias=True, url_name="sms_send")
def send(request: HttpRequest, payload: MessageIn):
    """Send one SMS. Only `recipient.to` and `body.text` are required. `channel.flow`
    MARKETING adds the STOP mention, honours the opt-out list and holds the message
    until the sending window opens (status SCHEDULED, detail HELD_FOR_SENDING_WINDOW)."""
    key = require_scope(request, "send")
    new = NewMessage(
        to=payload.recipient.to,
        text=payload.body.text,
        stop=payload.body.stop,
        sender=(payload.from_ or "").strip(),
        ref_client=payload.refClient or "",
        callback_url_status=payload.callbackUrlStatus or "",
        callback_url_mo=payload.callbackUrlMo or "",
        sent_date=payload.sentDate,
        flow=payload.channel.flow if payload.channel else "TRANSACTIONAL",
    )
    try:
        message = message_accept(account=key.account, key=key, new=new)
    except MessageRefused as exc:
        raise _refused(exc) from None
    message.account = key.account
    return Status(201, message_resource(message))


_EARLIEST = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
_LATEST = datetime.datetime(2100, 1, 1, tzinfo=datetime.UTC)


def _bounded(value: datetime.datetime | None, field: str) -> datetime.datetime | None:
    """A filter date in UTC, between 2000 and 2100 (the database's range is wider
    than any message's, and far offsets do not fit every backend)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.UTC)
    try:
        value = value.astimezone(datetime.UTC)
    except (OverflowError, ValueError):
        raise ApiError(422, "INVALID_FIELD", "A date between 2000 and 2100.", field=field) from None
    if not _EARLIEST <= value <= _LATEST:
        raise ApiError(422, "INVALID_FIELD", "A date between 2000 and 2100.", field=field)
    return value


class ListFilters(PageQuery):
    status: StatusValue | None = None
    refClient: str | None = Field(None, max_length=255)
    to: str | None = Field(None, max_length=40)
    since: datetime.datetime | None = None
    until: datetime.datetime | None = None


@router.get("", response={200: MessagePage, **_ERRORS}, by_alias=True, url_name="sms_list")
def list_messages(request: HttpRequest, filters: Query[ListFilters]):
    """The account's API messages, newest first, `limit` at a time (at most 100);
    pass `nextCursor` back as `cursor` for the next page."""
    key = require_scope(request, "read")
    messages = Message.objects.filter(account=key.account, campaign__isnull=True).select_related(
        "account"
    )
    if filters.status:
        messages = messages.filter(status__in=states_of(filters.status))
    if filters.refClient:
        messages = messages.filter(ref_client=filters.refClient)
    if filters.to:
        messages = messages.filter(phone=filters.to.strip().replace(" ", ""))
    since = _bounded(filters.since, "since")
    until = _bounded(filters.until, "until")
    if since:
        messages = messages.filter(created_at__gte=since)
    if until:
        messages = messages.filter(created_at__lt=until)
    page = keyset(messages, filters)
    return {
        "items": [message_resource(message) for message in page.rows],
        "nextCursor": page.next_cursor,
    }


def _get(request: HttpRequest, message_id: str) -> Message:
    try:
        public_id = UUID(message_id)
    except ValueError:
        raise not_found("message") from None
    # Only messages sent through the API: a campaign's messages are the campaign's.
    message = (
        Message.objects.select_related("account")
        .filter(account=request.auth.account, public_id=public_id, campaign__isnull=True)
        .exclude(api_flow="")
        .first()
    )
    if message is None:
        raise not_found("message")
    return message


@router.get(
    "/{message_id}", response={200: MessageOut, **_ERRORS}, by_alias=True, url_name="sms_get"
)
def get_message(request: HttpRequest, message_id: str):
    """One message of the account, with its current status."""
    require_scope(request, "read")
    return message_resource(_get(request, message_id))


@router.delete(
    "/{message_id}", response={200: MessageOut, **_ERRORS}, by_alias=True, url_name="sms_cancel"
)
def cancel_message(request: HttpRequest, message_id: str):
    """Cancel a message that has not left yet (scheduled, or held for the sending
    window): its credits come back. 409 NOT_CANCELLABLE once it is on its way."""
    require_scope(request, "send")
    message = _get(request, message_id)
    if not message_cancel(message=message):
        raise ApiError(
            409, "NOT_CANCELLABLE", "This message has already left: it cannot be cancelled."
        )
    message.account = request.auth.account
    return message_resource(message)
