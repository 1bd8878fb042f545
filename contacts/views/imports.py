"""The contact import screens: upload, map the columns, follow the progress, read the
report and download the rows that were not imported."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from contacts.importing.forms import ImportMappingForm, ImportUploadForm
from contacts.importing.reader import ImportFileError
from contacts.importing.report import failure_message, rejected_reason, rejected_rows_csv
from contacts.importing.service import (
    import_create,
    import_preview,
    import_retry,
    import_start,
)
from contacts.models import ContactImport
from smsmode.accounts.access import account_required
from smsmode.accounts.middleware import AccountRequest

HISTORY_SIZE = 50
REPORT_ROWS = 20


def _get_import(request: AccountRequest, public_id: UUID) -> ContactImport:
    """An import of the current account; anyone else's is a 404."""
    return get_object_or_404(
        ContactImport.objects.select_related("target_list"),
        account=request.account,
        public_id=public_id,
    )


@account_required
@require_GET
def import_index(request: AccountRequest) -> HttpResponse:
    imports = list(
        ContactImport.objects.filter(account=request.account)
        .exclude(status=ContactImport.Status.MAPPING)
        .select_related("target_list", "created_by")
        .order_by("-created_at")[:HISTORY_SIZE]
    )
    return render(request, "contacts/import_index.html", {"imports": imports})


@account_required
@require_http_methods(["GET", "POST"])
def import_upload(request: AccountRequest) -> HttpResponse:
    if request.method == "POST":
        form = ImportUploadForm(request.POST, request.FILES)
    else:
        form = ImportUploadForm()
    if request.method == "POST" and form.is_valid():
        try:
            contact_import = import_create(
                account=request.account, by=request.user, upload=form.cleaned_data["file"]
            )
        except ImportFileError as exc:
            form.add_error("file", exc.message)
        else:
            return redirect("contacts:import_mapping", public_id=contact_import.public_id)
    return render(request, "contacts/import_upload.html", {"form": form})


@account_required
@require_http_methods(["GET", "POST"])
def import_mapping(request: AccountRequest, public_id: UUID) -> HttpResponse:
    contact_import = _get_import(request, public_id)
    if contact_import.status != ContactImport.Status.MAPPING:
        # A second click of "Import", or the back button: the import is under way.
        return redirect("contacts:import_detail", public_id=contact_import.public_id)
    form = ImportMappingForm(
        request.POST if request.method == "POST" else None, contact_import=contact_import
    )
    if request.method == "POST" and form.is_valid():
        started = import_start(
            contact_import=contact_import,
            mapping=form.mapping(),
            target_list=form.cleaned_data["target_list"],
            new_list_name=form.cleaned_data["new_list_name"].strip(),
            new_fields=form.new_fields(),
            on_existing=form.cleaned_data["on_existing"],
        )
        if started:
            messages.success(request, _("The import has started."))
        return redirect("contacts:import_detail", public_id=contact_import.public_id)
    try:
        preview = import_preview(contact_import)
    except ImportFileError as exc:
        preview = []
        messages.error(request, exc.message)
    return render(
        request,
        "contacts/import_mapping.html",
        {"contact_import": contact_import, "form": form, "preview": preview},
    )


@account_required
@require_POST
def import_cancel(request: AccountRequest, public_id: UUID) -> HttpResponse:
    """Drop an import still waiting for its mapping, with its file."""
    contact_import = _get_import(request, public_id)
    if contact_import.status == ContactImport.Status.MAPPING:
        contact_import.file.delete(save=False)
        contact_import.delete()
        messages.success(request, _("The import was cancelled: nothing was imported."))
    return redirect("contacts:import_upload")


def _report_context(contact_import: ContactImport) -> dict:
    rejected = []
    if contact_import.status == ContactImport.Status.DONE:
        rejected = [
            (row.line, rejected_reason(row.reason, row.detail))
            for row in contact_import.rejected_rows.order_by("line")[:REPORT_ROWS]
        ]
    return {
        "contact_import": contact_import,
        "rejected": rejected,
        "rejected_total": contact_import.invalid + contact_import.skipped_in_file,
        "failure": failure_message(contact_import.error)
        if contact_import.status == ContactImport.Status.FAILED
        else "",
    }


@account_required
@require_GET
def import_detail(request: AccountRequest, public_id: UUID) -> HttpResponse:
    contact_import = _get_import(request, public_id)
    if contact_import.status == ContactImport.Status.MAPPING:
        return redirect("contacts:import_mapping", public_id=contact_import.public_id)
    return render(request, "contacts/import_detail.html", _report_context(contact_import))


@account_required
@require_GET
def import_progress(request: AccountRequest, public_id: UUID) -> HttpResponse:
    """The progress (or, at the end, the report) as a fragment, polled by htmx."""
    contact_import = _get_import(request, public_id)
    return render(request, "contacts/_import_progress.html", _report_context(contact_import))


@account_required
@require_POST
def import_retry_view(request: AccountRequest, public_id: UUID) -> HttpResponse:
    contact_import = _get_import(request, public_id)
    if import_retry(contact_import=contact_import):
        messages.success(request, _("The import starts again."))
    return redirect("contacts:import_detail", public_id=contact_import.public_id)


@account_required
@require_GET
def import_rejected_csv(request: AccountRequest, public_id: UUID) -> StreamingHttpResponse:
    """The rows that were not imported, each with its line number and the reason,
    followed by its original cells: fix them and import this file again."""
    contact_import = _get_import(request, public_id)
    response = StreamingHttpResponse(
        rejected_rows_csv(contact_import), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="rejected-rows-{contact_import.public_id}.csv"'
    )
    return response
