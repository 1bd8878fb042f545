"""The messages log (every SMS the account sent) and the replies people sent back.

Both tables must stay fast with millions of rows in one account, so they are keyset
pages (the rows after a cursor, read through the `message_recent` / `reply_recent`
indexes), never OFFSET and never COUNT(*), like the contacts table.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from django import forms
from django.db.models import F, QuerySet
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from campaigns.models import Campaign, Kind, Message, Reply
from contacts.forms import phone_international
from contacts.selectors import SORT_CREATED, KeysetPage, keyset_page, phone_search_q
from smsmode.accounts.access import account_required
from smsmode.accounts.middleware import AccountRequest
from smsmode.accounts.models import Account

# The campaign filter lists this many of the newest campaigns; an older one chosen
# from its own page (?campaign=<public_id>) still filters, at one more query.
CAMPAIGN_CHOICES = 200
BODY_PREVIEW = 70  # characters of the message text shown in the table

# Statuses whose error code tells the user why the SMS did not arrive.
ERROR_STATES = frozenset(
    {Message.Status.FAILED, Message.Status.REJECTED, Message.Status.UNDELIVERED}
)
_BADGES = {
    Message.Status.DELIVERED: "text-bg-success",
    Message.Status.SUBMITTED: "text-bg-info",
    Message.Status.QUEUED: "text-bg-secondary",
    Message.Status.HELD: "text-bg-secondary",
    Message.Status.SUBMITTING: "text-bg-secondary",
    Message.Status.UNDELIVERED: "text-bg-danger",
    Message.Status.REJECTED: "text-bg-danger",
    Message.Status.FAILED: "text-bg-danger",
    Message.Status.EXPIRED: "text-bg-warning",
    Message.Status.UNKNOWN: "text-bg-warning",
    Message.Status.CANCELLED: "text-bg-light border",
}

# Only the columns the tables show: a message row would otherwise drag along its
# campaign's whole body and figures.
_MESSAGE_COLUMNS = (
    "id",
    "public_id",
    "created_at",
    "phone",
    "body",
    "segments",
    "cost",
    "status",
    "error_code",
    "is_test",
    "kind",
    "campaign__public_id",
    "campaign__name",
    "contact__public_id",
)
_REPLY_COLUMNS = (
    "id",
    "received_at",
    "phone",
    "text",
    "is_stop",
    "campaign__public_id",
    "campaign__name",
)


def _search_input(placeholder: str) -> forms.TextInput:
    return forms.TextInput(
        attrs={
            "type": "search",
            "inputmode": "tel",
            "autocomplete": "off",
            "placeholder": placeholder,
        }
    )


def _date_input() -> forms.DateInput:
    # type="date" sends and expects ISO dates whatever the language.
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _query_params(form: forms.Form, names: tuple[str, ...]) -> dict[str, str]:
    """The filters that validated, as typed, for the pager's links: a page keeps the
    search, and drops what was not applied."""
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    return {name: form.data[name] for name in names if data.get(name) and form.data.get(name)}


def _local_midnight(day: date) -> datetime:
    # The middleware activated the account's time zone: "from 3 March" means from
    # midnight in Paris for a French account, not in UTC.
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


# ----------------------------------------------------------------------- messages


class MessageFilterForm(forms.Form):
    """The filters of the messages log (GET). A value that does not validate is not
    applied, except the campaign: one that is not the account's matches nothing."""

    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All statuses")), *Message.Status.choices],
    )
    kind = forms.ChoiceField(
        label=_("Type"), required=False, choices=[("", _("All types")), *Kind.choices]
    )
    campaign = forms.CharField(label=_("Campaign"), required=False, max_length=36)
    number = forms.CharField(
        label=_("Number"),
        required=False,
        max_length=40,
        widget=_search_input(_("Any format, or its beginning")),
    )
    date_from = forms.DateField(label=_("From"), required=False, widget=_date_input())
    date_to = forms.DateField(label=_("To"), required=False, widget=_date_input())

    PARAMS = ("status", "kind", "campaign", "number", "date_from", "date_to")

    def __init__(
        self, *args: Any, account: Account, campaigns: list[Campaign], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.account = account
        self.campaigns = campaigns
        self.fields["campaign"].widget = forms.Select(
            choices=[("", _("All campaigns"))]
            + [(str(campaign.public_id), campaign.name) for campaign in campaigns]
        )

    def clean_campaign(self) -> int | None:
        """The pk of the chosen campaign of the account; anyone else's is an error
        (and the search then matches nothing), never a hint that it exists."""
        value = self.cleaned_data["campaign"]
        if not value:
            return None
        try:
            public_id = UUID(value)
        except ValueError:
            public_id = None
        pk = next((c.pk for c in self.campaigns if c.public_id == public_id), None)
        if pk is None and public_id is not None:
            # Older than the newest CAMPAIGN_CHOICES, e.g. a link from its own page.
            pk = (
                Campaign.objects.filter(account=self.account, public_id=public_id)
                .values_list("pk", flat=True)
                .first()
            )
        if pk is None:
            raise forms.ValidationError(_("Choose one of your campaigns."), code="foreign")
        return pk

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end date is before the start date."))
        return data

    def filters(self) -> dict[str, Any] | None:
        """Keyword arguments for messages_search from the fields that validated, or
        None when nothing can match (a campaign that is not the account's)."""
        self.is_valid()
        if "campaign" in self.errors:
            return None
        data = self.cleaned_data
        start, end = data.get("date_from"), data.get("date_to")
        return {
            "status": data.get("status") or "",
            "kind": data.get("kind") or "",
            "campaign_id": data.get("campaign"),
            "number": data.get("number") or "",
            "since": _local_midnight(start) if start else None,
            # The whole last day: up to the next local midnight, whatever its length.
            "until": _local_midnight(end + timedelta(days=1)) if end else None,
        }

    def query_params(self) -> dict[str, str]:
        return _query_params(self, self.PARAMS)


def _account_campaigns(account: Account) -> list[Campaign]:
    return list(
        Campaign.objects.filter(account=account)
        .only("pk", "public_id", "name")
        .order_by("-created_at", "-id")[:CAMPAIGN_CHOICES]
    )


def messages_search(
    *,
    account: Account,
    status: str = "",
    kind: str = "",
    campaign_id: int | None = None,
    number: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[Message]:
    """The account's messages, newest first as keyset_page wants them. `number` is a
    whole number in any format (matched exactly) or the beginning of one (matched by
    prefix); text that is no number matches nothing. `since` is inclusive, `until`
    exclusive. One query per page, the campaign and the contact joined."""
    queryset = Message.objects.filter(account=account)
    if status:
        queryset = queryset.filter(status=status)
    if kind:
        queryset = queryset.filter(kind=kind)
    if campaign_id is not None:
        queryset = queryset.filter(campaign_id=campaign_id)
    if number:
        condition = phone_search_q(account, number)
        queryset = queryset.filter(condition) if condition is not None else queryset.none()
    if since is not None:
        queryset = queryset.filter(created_at__gte=since)
    if until is not None:
        queryset = queryset.filter(created_at__lt=until)
    return (
        queryset.select_related("campaign", "contact")
        .only(*_MESSAGE_COLUMNS)
        .order_by("-created_at", "-id")
    )


def _decorate_messages(rows: list[Message]) -> None:
    for message in rows:
        message.phone_display = phone_international(message.phone)
        message.badge_class = _BADGES.get(message.status, "text-bg-secondary")
        message.shows_error = message.status in ERROR_STATES and bool(message.error_code)


def _page_url(name: str, params: dict[str, str]) -> str:
    url = reverse(name)
    return f"{url}?{urlencode(params)}" if params else url


def _pager_context(name: str, page: KeysetPage, params: dict[str, str]) -> dict[str, Any]:
    return {
        "page": page,
        "first_page_url": _page_url(name, params),
        "next_page_url": _page_url(name, {**params, "after": page.next_cursor})
        if page.has_next
        else None,
    }


@account_required
@require_GET
def message_list(request: AccountRequest) -> HttpResponse:
    account = request.account
    form = MessageFilterForm(request.GET, account=account, campaigns=_account_campaigns(account))
    params = form.query_params()
    filters = form.filters()
    page = keyset_page(
        messages_search(account=account, **filters)
        if filters is not None
        else Message.objects.none(),
        sort=SORT_CREATED,
        after=request.GET.get("after", ""),
    )
    _decorate_messages(page.rows)
    # Typed filters count even when refused (a foreign campaign): "no match", not
    # "nothing sent yet".
    searching = any(request.GET.get(name) for name in form.PARAMS)
    return render(
        request,
        "campaigns/message_list.html",
        {
            "filter_form": form,
            "searching": searching,
            # An unfiltered first page that came back empty means "nothing sent yet".
            "account_is_empty": page.is_first and not page.rows and not searching,
            "body_preview": BODY_PREVIEW,
            **_pager_context("campaigns:messages", page, params),
        },
    )


# ------------------------------------------------------------------------ replies


class ReplyFilterForm(forms.Form):
    stop = forms.BooleanField(label=_("STOP only"), required=False)
    number = forms.CharField(
        label=_("Number"),
        required=False,
        max_length=40,
        widget=_search_input(_("Any format, or its beginning")),
    )

    PARAMS = ("stop", "number")

    def filters(self) -> dict[str, Any]:
        """Keyword arguments for replies_search from the fields that validated."""
        self.is_valid()
        data = self.cleaned_data
        return {"stop_only": bool(data.get("stop")), "number": data.get("number") or ""}

    def query_params(self) -> dict[str, str]:
        return _query_params(self, self.PARAMS)


def replies_search(
    *, account: Account, stop_only: bool = False, number: str = ""
) -> QuerySet[Reply]:
    """The account's replies, newest first as keyset_page wants them; `number` as in
    messages_search."""
    queryset = Reply.objects.filter(account=account)
    if stop_only:
        queryset = queryset.filter(is_stop=True)
    if number:
        condition = phone_search_q(account, number)
        queryset = queryset.filter(condition) if condition is not None else queryset.none()
    # keyset_page pages on (created_at, id); a reply's date is received_at. The alias
    # compiles to the column itself, so the reply_recent index still serves the page.
    return (
        queryset.select_related("campaign")
        .only(*_REPLY_COLUMNS)
        .annotate(created_at=F("received_at"))
        .order_by("-received_at", "-id")
    )


@account_required
@require_GET
def reply_list(request: AccountRequest) -> HttpResponse:
    account = request.account
    form = ReplyFilterForm(request.GET)
    params = form.query_params()
    page = keyset_page(
        replies_search(account=account, **form.filters()),
        sort=SORT_CREATED,
        after=request.GET.get("after", ""),
    )
    for reply in page.rows:
        reply.phone_display = phone_international(reply.phone)
    searching = any(request.GET.get(name) for name in form.PARAMS)
    return render(
        request,
        "campaigns/reply_list.html",
        {
            "filter_form": form,
            "searching": searching,
            "account_is_empty": page.is_first and not page.rows and not searching,
            **_pager_context("campaigns:replies", page, params),
        },
    )
