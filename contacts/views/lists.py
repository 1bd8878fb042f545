"""Contact lists: index, create, rename, members, delete (never their contacts)."""

from __future__ import annotations

from urllib.parse import urlencode
from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from contacts.forms import ContactListForm
from contacts.models import ContactList
from contacts.selectors import (
    SORT_CREATED,
    contacts_mark_opted_out,
    contacts_search,
    keyset_page,
)
from contacts.views.contacts import with_display_phone
from smsmode.accounts.access import account_required
from smsmode.accounts.middleware import AccountRequest

LISTS_PAGE_SIZE = 50


def _get_list(request: AccountRequest, public_id: UUID) -> ContactList:
    """A list of the current account; anyone else's is a 404."""
    return get_object_or_404(ContactList, account=request.account, public_id=public_id)


@account_required
def list_index(request: AccountRequest) -> HttpResponse:
    lists = Paginator(
        ContactList.objects.filter(account=request.account).order_by("name", "pk"),
        LISTS_PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    return render(request, "contacts/list_index.html", {"lists": lists})


def _list_form_page(request: AccountRequest, instance: ContactList) -> HttpResponse:
    creating = instance.pk is None
    form = ContactListForm(request.POST or None, instance=instance, account=request.account)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                saved = form.save()
        except IntegrityError:  # the same name saved at the same moment by someone else
            form.add_error("name", _("A list with this name already exists: choose another name."))
        else:
            text = _("List “%(name)s” created.") if creating else _("List “%(name)s” saved.")
            messages.success(request, text % {"name": saved.name})
            return redirect("contacts:list_detail", public_id=saved.public_id)
    return render(
        request,
        "contacts/list_form.html",
        {"form": form, "contact_list": None if creating else instance},
        status=400 if request.method == "POST" else 200,
    )


@account_required
def list_create(request: AccountRequest) -> HttpResponse:
    return _list_form_page(request, ContactList(account=request.account))


@account_required
def list_edit(request: AccountRequest, public_id: UUID) -> HttpResponse:
    return _list_form_page(request, _get_list(request, public_id))


@account_required
def list_detail(request: AccountRequest, public_id: UUID) -> HttpResponse:
    contact_list = _get_list(request, public_id)
    page = keyset_page(
        contacts_search(
            account=request.account, list_public_id=contact_list.public_id, sort=SORT_CREATED
        ),
        sort=SORT_CREATED,
        after=request.GET.get("after", ""),
    )
    with_display_phone(page.rows)
    contacts_mark_opted_out(account=request.account, contacts=page.rows)
    here = reverse("contacts:list_detail", kwargs={"public_id": contact_list.public_id})
    table_url = reverse("contacts:index") + "?" + urlencode({"list": contact_list.public_id})
    return render(
        request,
        "contacts/list_detail.html",
        {
            "contact_list": contact_list,
            "page": page,
            "first_page_url": here,
            "next_page_url": f"{here}?{urlencode({'after': page.next_cursor})}"
            if page.has_next
            else None,
            "table_url": table_url,
        },
    )


@account_required
def list_delete(request: AccountRequest, public_id: UUID) -> HttpResponse:
    contact_list = _get_list(request, public_id)
    if request.method == "POST":
        # Cascades to the memberships only: the contacts stay.
        contact_list.delete()
        messages.success(
            request,
            _("List “%(name)s” deleted. Its contacts are kept.") % {"name": contact_list.name},
        )
        return redirect("contacts:lists")
    return render(request, "contacts/list_delete.html", {"contact_list": contact_list})
