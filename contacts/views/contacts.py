"""The contacts table, its bulk actions, and one contact's form, page and deletion."""

from __future__ import annotations

from urllib.parse import urlencode
from uuid import UUID

from django.contrib import messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from campaigns.models import Message
from contacts.exports import contacts_csv
from contacts.forms import BulkActionForm, ContactFilterForm, ContactForm, phone_international
from contacts.models import Contact, ContactList, CustomField, OptOut
from contacts.selectors import (
    contacts_mark_opted_out,
    contacts_search,
    contacts_with_lists,
    keyset_page,
)
from contacts.services import (
    ContactError,
    contact_save,
    contacts_delete,
    contacts_delete_selection,
    is_opted_out,
    lists_add_contacts,
    lists_add_selection,
    lists_remove_contacts,
    lists_remove_selection,
    optouts_add_selection,
)
from smsmode.accounts.access import account_required
from smsmode.accounts.middleware import AccountRequest
from smsmode.sms.numbers import PhoneNumberError

CONTACT_MESSAGES = 20


def with_display_phone(contacts: list[Contact]) -> list[Contact]:
    for contact in contacts:
        contact.phone_display = phone_international(contact.phone)
    return contacts


def _get_contact(request: AccountRequest, public_id: UUID) -> Contact:
    """A contact of the current account; anyone else's is a 404."""
    return get_object_or_404(Contact, account=request.account, public_id=public_id)


def _account_lists(request: AccountRequest) -> list[ContactList]:
    return list(
        ContactList.objects.filter(account=request.account)
        .only("pk", "public_id", "name")
        .order_by("name")
    )


def _index_url(params: dict[str, str]) -> str:
    url = reverse("contacts:index")
    return f"{url}?{urlencode(params)}" if params else url


@account_required
def contact_list(request: AccountRequest) -> HttpResponse:
    lists = _account_lists(request)
    filter_form = ContactFilterForm(request.GET, lists=lists)
    filters = filter_form.filters()
    params = filter_form.query_params()
    page = keyset_page(
        contacts_with_lists(contacts_search(account=request.account, **filters)),
        sort=filters["sort"],
        after=request.GET.get("after", ""),
    )
    with_display_phone(page.rows)
    contacts_mark_opted_out(account=request.account, contacts=page.rows)
    searching = bool(params.keys() - {"sort"})
    # An unfiltered first page that came back empty means "no contacts at all".
    account_is_empty = page.is_first and not page.rows and not searching
    return render(
        request,
        "contacts/contact_list.html",
        {
            "page": page,
            "filter_form": filter_form,
            "filter_params": params,
            "filters_query": urlencode(params),
            "searching": searching,
            "account_is_empty": account_is_empty,
            "lists": lists,
            "first_page_url": _index_url(params),
            "next_page_url": _index_url({**params, "after": page.next_cursor})
            if page.has_next
            else None,
        },
    )


@account_required
@require_GET
def contact_export(request: AccountRequest) -> StreamingHttpResponse:
    """The contacts matching the current search as a CSV download, streamed."""
    filters = ContactFilterForm(request.GET, lists=_account_lists(request)).filters()
    queryset = contacts_search(account=request.account, **filters)
    response = StreamingHttpResponse(
        contacts_csv(account=request.account, queryset=queryset),
        content_type="text/csv; charset=utf-8",
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="contacts-{stamp}.csv"'
    return response


def _bulk_selection(
    request: AccountRequest, form: BulkActionForm, filters: dict
) -> QuerySet[Contact]:
    """The contacts the bulk action applies to, always within the current account:
    ticked ids of anyone else's contacts match nothing."""
    if form.cleaned_data["all_matching"]:
        return contacts_search(account=request.account, **filters)
    return Contact.objects.filter(account=request.account, public_id__in=form.contact_ids())


@account_required
@require_POST
def contact_bulk(request: AccountRequest) -> HttpResponse:
    lists = _account_lists(request)
    filter_form = ContactFilterForm(request.POST, lists=lists)
    filters = filter_form.filters()
    back = _index_url(filter_form.query_params())
    form = BulkActionForm(request.POST, account=request.account)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(back)
    if not form.cleaned_data["all_matching"] and not form.contact_ids():
        messages.warning(request, _("Tick at least one contact first."))
        return redirect(back)
    if form.cleaned_data["all_matching"] and not filter_form.is_valid():
        # A filter that no longer applies (a list deleted meanwhile) must not widen
        # "every contact matching the search" to every contact.
        messages.error(request, _("The search changed in the meantime: nothing was done."))
        return redirect(back)

    action = form.cleaned_data["action"]
    selection = _bulk_selection(request, form, filters)
    target: ContactList | None = form.cleaned_data["target_list"]

    if action == BulkActionForm.DELETE and not form.cleaned_data["confirm"]:
        count = selection.count()
        if not count:
            messages.warning(request, _("No contact matches: nothing was deleted."))
            return redirect(back)
        return render(
            request,
            "contacts/bulk_delete.html",
            {
                "count": count,
                "ids": form.contact_ids(),
                "all_matching": form.cleaned_data["all_matching"],
                "filter_params": filter_form.query_params(),
                "back_url": back,
            },
        )

    if action == BulkActionForm.OPT_OUT and form.cleaned_data["all_matching"]:
        # Numbers already opted out need no call at all.
        selection = contacts_search(account=request.account, **{**filters, "opted_out": False})
        if filters["opted_out"]:
            selection = selection.none()
    with transaction.atomic():
        done, text = _BULK_ACTIONS[action](request, selection, target)
    messages.success(request, text % {"count": done, "list": target.name if target else ""})
    return redirect(back)


# Each bulk action: (request, selection, target list) -> (how many, message to format).
# Each is a few set-based statements (contacts.services), whatever the selection's size.


def _bulk_add_to_list(
    request: AccountRequest, selection: QuerySet[Contact], target: ContactList
) -> tuple[int, str]:
    done = lists_add_selection(account=request.account, contact_list=target, selection=selection)
    return done, ngettext(
        "%(count)d contact is now in the list “%(list)s”.",
        "%(count)d contacts are now in the list “%(list)s”.",
        done,
    )


def _bulk_remove_from_list(
    request: AccountRequest, selection: QuerySet[Contact], target: ContactList
) -> tuple[int, str]:
    done = lists_remove_selection(account=request.account, contact_list=target, selection=selection)
    return done, ngettext(
        "%(count)d contact is no longer in the list “%(list)s”.",
        "%(count)d contacts are no longer in the list “%(list)s”.",
        done,
    )


def _bulk_opt_out(
    request: AccountRequest, selection: QuerySet[Contact], target: None
) -> tuple[int, str]:
    done = optouts_add_selection(
        account=request.account, selection=selection, source=OptOut.Source.MANUAL, by=request.user
    )
    return done, ngettext("%(count)d contact opted out.", "%(count)d contacts opted out.", done)


def _bulk_delete(
    request: AccountRequest, selection: QuerySet[Contact], target: None
) -> tuple[int, str]:
    done = contacts_delete_selection(account=request.account, selection=selection)
    return done, ngettext(
        "%(count)d contact deleted. Their opt-outs are kept.",
        "%(count)d contacts deleted. Their opt-outs are kept.",
        done,
    )


_BULK_ACTIONS = {
    BulkActionForm.ADD_TO_LIST: _bulk_add_to_list,
    BulkActionForm.REMOVE_FROM_LIST: _bulk_remove_from_list,
    BulkActionForm.OPT_OUT: _bulk_opt_out,
    BulkActionForm.DELETE: _bulk_delete,
}


def _sync_lists(contact: Contact, wanted: list[ContactList]) -> None:
    """Put the contact in exactly the `wanted` lists, through the services that keep
    the lists' counts."""
    current = set(contact.memberships.values_list("contact_list_id", flat=True))
    wanted_ids = {lst.pk for lst in wanted}
    for lst in wanted:
        if lst.pk not in current:
            lists_add_contacts(contact_list=lst, contact_ids=[contact.pk])
    for lst in ContactList.objects.filter(pk__in=current - wanted_ids):
        lists_remove_contacts(contact_list=lst, contact_ids=[contact.pk])


def _save_contact(
    request: AccountRequest, form: ContactForm, contact: Contact | None
) -> Contact | None:
    if not form.is_valid():
        return None
    data = form.cleaned_data
    try:
        with transaction.atomic():
            saved = contact_save(
                account=request.account,
                phone=data["phone"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
                custom=form.custom_values(),
                contact=contact,
            )
            _sync_lists(saved, list(data["lists"]))
    except PhoneNumberError as exc:
        form.add_error("phone", exc.message)
    except ContactError as exc:
        form.add_error("phone", str(exc))
    else:
        return saved
    return None


def _custom_fields(request: AccountRequest) -> list[CustomField]:
    return list(CustomField.objects.filter(account=request.account).order_by("label"))


def _contact_form_page(
    request: AccountRequest, contact: Contact | None, success_text: str
) -> HttpResponse:
    form = ContactForm(
        request.POST or None,
        account=request.account,
        custom_fields=_custom_fields(request),
        contact=contact,
    )
    if request.method == "POST":
        saved = _save_contact(request, form, contact)
        if saved is not None:
            messages.success(request, success_text % {"phone": phone_international(saved.phone)})
            return redirect("contacts:detail", public_id=saved.public_id)
    context = {"form": form, "contact": contact}
    return render(
        request,
        "contacts/contact_form.html",
        context,
        status=400 if request.method == "POST" else 200,
    )


@account_required
def contact_create(request: AccountRequest) -> HttpResponse:
    return _contact_form_page(request, None, _("Contact %(phone)s added."))


@account_required
def contact_edit(request: AccountRequest, public_id: UUID) -> HttpResponse:
    contact = _get_contact(request, public_id)
    contact.phone_display = phone_international(contact.phone)
    return _contact_form_page(request, contact, _("Contact %(phone)s saved."))


@account_required
def contact_detail(request: AccountRequest, public_id: UUID) -> HttpResponse:
    contact = _get_contact(request, public_id)
    contact.phone_display = phone_international(contact.phone)
    custom = [
        (definition, contact.custom.get(definition.key, ""))
        for definition in _custom_fields(request)
    ]
    return render(
        request,
        "contacts/contact_detail.html",
        {
            "contact": contact,
            "custom": custom,
            "lists": contact.lists.order_by("name"),
            "opted_out": is_opted_out(request.account, contact.phone),
            # By number, not by contact: messages sent before the contact existed (a
            # pasted number, a test send) count too. Index (account, phone, -created_at).
            "sent": list(
                Message.objects.filter(account=request.account, phone=contact.phone)
                .select_related("campaign")
                .only(
                    "body",
                    "status",
                    "created_at",
                    "segments",
                    "is_test",
                    "campaign__name",
                    "campaign__public_id",
                )
                .order_by("-created_at", "-id")[:CONTACT_MESSAGES]
            ),
        },
    )


@account_required
def contact_delete(request: AccountRequest, public_id: UUID) -> HttpResponse:
    contact = _get_contact(request, public_id)
    contact.phone_display = phone_international(contact.phone)
    if request.method == "POST":
        contacts_delete(account=request.account, contact_ids=[contact.pk])
        messages.success(
            request,
            _("Contact %(phone)s deleted. Its opt-out, if any, is kept.")
            % {"phone": contact.phone_display},
        )
        return redirect("contacts:index")
    return render(request, "contacts/contact_delete.html", {"contact": contact})
