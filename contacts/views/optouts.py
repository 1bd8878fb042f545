"""The opt-out list screen: see and search the account's opt-outs, add numbers by hand
or from a file, and lift one with a confirmation (recorded with the user's name)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import PurePath
from urllib.parse import urlencode
from uuid import UUID

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from contacts.forms import phone_international
from contacts.models import OptOut
from contacts.selectors import SORT_CREATED, keyset_page, phone_search_q
from contacts.services import optout_add, optout_remove, optouts_add_many, phone_for_account
from smsmode.accounts.access import account_required
from smsmode.accounts.middleware import AccountRequest
from smsmode.accounts.models import Account, User
from smsmode.sms.numbers import PhoneNumberError

PAGE_SIZE = 50
HISTORY_SIZE = 20
REPORTED_LINES = 20  # invalid line numbers named in the upload report
UPLOAD_BATCH = 1000
UPLOAD_EXTENSIONS = (".csv", ".txt")


def upload_max_bytes() -> int:
    """The upload size limit, read at call time so tests and deployments can change it."""
    # 1 MB (~70,000 numbers) is checked within a web request's time; bigger lists go
    # through the contact import, which runs as a job.
    return getattr(settings, "CONTACTS_OPTOUT_UPLOAD_MAX_BYTES", 1024 * 1024)


# ---------------------------------------------------------------------------- forms


class OptOutAddForm(forms.Form):
    phone = forms.CharField(
        label=gettext_lazy("Mobile number"),
        max_length=40,
        help_text=gettext_lazy("In any format: 06 12 34 56 78, +33 6 12 34 56 78 …"),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )

    def __init__(self, *args: object, account: Account, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.account = account

    def clean_phone(self) -> str:
        try:
            return phone_for_account(self.account, self.cleaned_data["phone"])
        except PhoneNumberError as exc:
            raise ValidationError(exc.message, code=exc.code) from None


class OptOutUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy(
            "A .csv or .txt file with one number per line (or in the first column), "
            "up to %(limit)s."
        ),
        error_messages={"empty": gettext_lazy("The file is empty: there is nothing to add.")},
        widget=forms.FileInput(attrs={"accept": ".csv,.txt,text/csv,text/plain"}),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        field_ = self.fields["file"]
        field_.help_text = field_.help_text % {"limit": filesizeformat(upload_max_bytes())}

    def clean_file(self) -> UploadedFile:
        upload = self.cleaned_data["file"]
        if PurePath(upload.name).suffix.lower() not in UPLOAD_EXTENSIONS:
            raise ValidationError(_("Upload a .csv or .txt file."), code="extension")
        limit = upload_max_bytes()
        if upload.size > limit:
            raise ValidationError(
                _("This file is %(size)s: the limit is %(limit)s. Nothing was added.")
                % {"size": filesizeformat(upload.size), "limit": filesizeformat(limit)},
                code="too_big",
            )
        return upload


# ---------------------------------------------------------------------- the upload


@dataclass
class UploadReport:
    added: int = 0
    already: int = 0
    invalid: int = 0
    invalid_lines: list[int] = field(default_factory=list)

    @property
    def numbers(self) -> int:
        return self.added + self.already + self.invalid


class NotATextFile(ValueError):
    """The upload holds NUL bytes: a spreadsheet, an image or UTF-16 text, not a CSV."""


_CELL_SEPARATORS = re.compile(r"[,;\t]")
_BLANK_CHARACTERS = " \t\r\n,;\"'\ufeff"


def _first_cell(line: str) -> str:
    # Numbers never hold , ; or a tab, so the first column ends at the first of them
    # whatever the file's delimiter.
    return _CELL_SEPARATORS.split(line, maxsplit=1)[0].strip().strip("\"'").strip()


def _decode(raw: bytes) -> str:
    if b"\x00" in raw:
        raise NotATextFile
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        # Latin-1 decodes any byte, so Windows-1252 files are read too (numbers are ASCII).
        return raw.decode("latin-1")


def _add_batch(*, account: Account, phones: list[str], by: User, report: UploadReport) -> None:
    added = optouts_add_many(account=account, phones=phones, source=OptOut.Source.IMPORT, by=by)
    report.added += added
    report.already += len(phones) - added  # opted out before, or twice in the file


def optouts_import_lines(*, account: Account, lines: Iterable[bytes], by: User) -> UploadReport:
    """Opt out every valid number of a file read line by line (source IMPORT).

    One number per line, or in the first column; blank lines are skipped, and so is a
    first line that is not a number (a header). Memory stays flat: numbers go in by
    batches of UPLOAD_BATCH. All or nothing (one transaction); raises NotATextFile
    for a binary file. Numbers already opted out are counted, never duplicated."""
    report = UploadReport()
    batch: dict[str, None] = {}  # an ordered set
    header_possible = True
    with transaction.atomic():
        for number, raw in enumerate(lines, start=1):
            if number == 1:
                raw = raw.removeprefix(b"\xef\xbb\xbf")
            line = _decode(raw)
            if not line.strip(_BLANK_CHARACTERS):
                continue
            try:
                phone = phone_for_account(account, _first_cell(line))
            except PhoneNumberError as exc:
                is_header = header_possible and exc.code in ("not_a_number", "empty")
                header_possible = False
                if not is_header:
                    report.invalid += 1
                    if len(report.invalid_lines) < REPORTED_LINES:
                        report.invalid_lines.append(number)
                continue
            header_possible = False
            if phone in batch:
                report.already += 1
                continue
            batch[phone] = None
            if len(batch) >= UPLOAD_BATCH:
                _add_batch(account=account, phones=list(batch), by=by, report=report)
                batch.clear()
        if batch:
            _add_batch(account=account, phones=list(batch), by=by, report=report)
    return report


def _report_message(report: UploadReport) -> str:
    text = _("%(added)d added, %(already)d already opted out, %(invalid)d invalid.") % {
        "added": report.added,
        "already": report.already,
        "invalid": report.invalid,
    }
    if report.invalid:
        lines = ", ".join(str(n) for n in report.invalid_lines)
        if report.invalid > len(report.invalid_lines):
            lines += ", …"
        text += " " + _("Invalid lines: %(lines)s.") % {"lines": lines}
    return text


# ---------------------------------------------------------------------- the list


def _search(account: Account, queryset: QuerySet[OptOut], query: str) -> QuerySet[OptOut]:
    if not query:
        return queryset
    condition = phone_search_q(account, query)
    return queryset.filter(condition) if condition is not None else queryset.none()


def _list_context(
    request: AccountRequest,
    *,
    add_form: OptOutAddForm | None = None,
    upload_form: OptOutUploadForm | None = None,
) -> dict:
    account = request.account
    query = request.GET.get("q", "").strip()
    active = OptOut.objects.filter(account=account, removed_at__isnull=True)
    active = _search(account, active, query).select_related("created_by")
    page = keyset_page(
        active.order_by("-created_at", "-id"),
        sort=SORT_CREATED,
        after=request.GET.get("after", ""),
        size=PAGE_SIZE,
    )
    rows, next_cursor = page.rows, page.next_cursor or ""
    history = list(
        OptOut.objects.filter(account=account, removed_at__isnull=False)
        .select_related("removed_by")
        .order_by("-removed_at", "-pk")[:HISTORY_SIZE]
    )
    for optout in (*rows, *history):
        optout.international = phone_international(optout.phone)
    base = reverse("contacts:optouts")
    search = {"q": query} if query else {}
    return {
        "optouts": rows,
        "history": history,
        "query": query,
        "page": {"is_first": page.is_first},
        "next_cursor": next_cursor,
        "next_page_url": f"{base}?{urlencode({**search, 'after': next_cursor})}"
        if next_cursor
        else "",
        "first_page_url": f"{base}?{urlencode(search)}" if search else base,
        "add_form": add_form or OptOutAddForm(account=account),
        "upload_form": upload_form or OptOutUploadForm(),
    }


# ---------------------------------------------------------------------- the views


@account_required
@require_GET
def optout_list(request: AccountRequest) -> HttpResponse:
    return render(request, "contacts/optouts.html", _list_context(request))


@account_required
@require_POST
def optout_add_view(request: AccountRequest) -> HttpResponse:
    form = OptOutAddForm(request.POST, account=request.account)
    if not form.is_valid():
        context = _list_context(request, add_form=form)
        return render(request, "contacts/optouts.html", context, status=400)
    phone = form.cleaned_data["phone"]
    _optout, created = optout_add(
        account=request.account, phone=phone, source=OptOut.Source.MANUAL, by=request.user
    )
    shown = phone_international(phone)
    if created:
        messages.success(request, _("%(phone)s is opted out.") % {"phone": shown})
    else:
        messages.info(request, _("%(phone)s was already opted out.") % {"phone": shown})
    return redirect("contacts:optouts")


@account_required
@require_POST
def optout_upload(request: AccountRequest) -> HttpResponse:
    form = OptOutUploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            report = optouts_import_lines(
                account=request.account, lines=form.cleaned_data["file"], by=request.user
            )
        except NotATextFile:
            form.add_error(
                "file", _("This is not a text file: save it as CSV or plain text. Nothing added.")
            )
        else:
            if report.numbers == 0:
                form.add_error("file", _("The file holds no phone number: nothing was added."))
            else:
                level = messages.WARNING if report.invalid else messages.SUCCESS
                messages.add_message(request, level, _report_message(report))
                return redirect("contacts:optouts")
    context = _list_context(request, upload_form=form)
    return render(request, "contacts/optouts.html", context, status=400)


@account_required
@require_http_methods(["GET", "POST"])
def optout_remove_view(request: AccountRequest, public_id: UUID) -> HttpResponse:
    optout = get_object_or_404(
        OptOut, account=request.account, public_id=public_id, removed_at__isnull=True
    )
    optout.international = phone_international(optout.phone)
    if request.method == "POST":
        if not optout_remove(optout=optout, by=request.user):
            raise Http404  # lifted by someone else a moment ago
        messages.success(
            request,
            _("%(phone)s is no longer opted out: messages will reach it again.")
            % {"phone": optout.international},
        )
        return redirect("contacts:optouts")
    return render(request, "contacts/optout_remove.html", {"optout": optout})
