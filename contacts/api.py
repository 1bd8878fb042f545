"""The contacts resources of the API: contacts, lists (and their members), opt-outs.

Every query starts from `request.auth.account`: another account's id answers 404
like a missing one. Ids in URLs are public UUIDs. JSON field names are camelCase (the
attribute names of the schemas below are the JSON names, no aliases).

The first part of this module is shared by every app's router (campaigns, shortener,
billing): the error schema, the text type that refuses what a database cannot store,
the keyset page and the English override.
"""

from __future__ import annotations

import datetime
import json
import zoneinfo
from datetime import date
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from pydantic import AfterValidator, ConfigDict, StrictFloat, StrictInt

from contacts.forms import _custom_form_field
from contacts.models import Contact, ContactList, CustomField, Membership, OptOut
from contacts.selectors import (
    SORT_CREATED,
    KeysetPage,
    _decode_cursor,
    contacts_mark_opted_out,
    contacts_search,
    keyset_page,
    phone_search_q,
)
from contacts.services import (
    ContactError,
    contact_save,
    contacts_delete,
    list_refresh_counts,
    lists_add_contacts,
    lists_remove_contacts,
    optout_add,
    optout_remove,
    phone_for_account,
    random_uuid_sql,
)
from smsmode.accounts.models import Account
from smsmode.api.auth import api_auth, require_scope
from smsmode.api.errors import ApiError, not_found
from smsmode.sms.numbers import PhoneNumberError, normalize_phone_fast

# ------------------------------------------------------------ shared by every router

DEFAULT_LIMIT = 50
MAX_LIMIT = 100
MAX_BULK_NUMBERS = 10_000


def _storable(value: str) -> str:
    # PostgreSQL refuses NUL in text and neither database stores lone surrogates: say
    # so as a validation error instead of failing on the INSERT.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    return value


Text = Annotated[str, AfterValidator(_storable)]
"""A string a database can store (no NUL, no lone surrogate)."""


class Input(Schema):
    """Request bodies: an unknown field is an error (a typo is not silently ignored)."""

    model_config = ConfigDict(extra="forbid")


class FieldErrorOut(Schema):
    field: str
    reason: str


class ErrorOut(Schema):
    """Every refusal: a stable `code`, a `message` for people, the fields at fault."""

    code: str = Field(examples=["INVALID_FIELD"])
    message: str
    errors: list[FieldErrorOut] | None = None
    id: UUID | None = Field(
        None, description="The existing resource, for CONTACT_EXISTS and LIST_EXISTS."
    )


def answers(ok: dict[int, Any], *errors: int) -> dict[int, Any]:
    """The documented responses of an operation: its success, and the errors every
    operation may answer (400 unreadable JSON, 401 key, 403 scope or plan, 422
    validation, 429 rate limit) plus `errors`."""
    return {**ok, **{status: ErrorOut for status in (400, 401, 403, 422, 429, *errors)}}


class PageQuery(Schema):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Rows per page.")
    cursor: Text = Field(
        "",
        max_length=500,
        description="The `nextCursor` of the previous page; empty for the first page.",
    )


_MAX_ID = 2**63 - 1


def _cursor_is_valid(cursor: str) -> bool:
    key = _decode_cursor(SORT_CREATED, cursor)
    if key is None:
        return False
    created_at, pk = key
    if not 0 < pk <= _MAX_ID:
        return False
    # Our cursors carry UTC times (what the database returns); any other offset was
    # written by hand, and PostgreSQL refuses offsets beyond ±15:59.
    return created_at.utcoffset() == datetime.timedelta(0)


def keyset(queryset: Any, page: PageQuery) -> KeysetPage:
    """One page of `queryset` (ordered newest first: -created_at, -id) after the
    request's cursor. A cursor that is not one of ours is a 422 naming `cursor`
    (never silently the first page: a client would loop)."""
    if page.cursor and not _cursor_is_valid(page.cursor):
        raise ApiError(
            422,
            "INVALID_FIELD",
            "Unknown cursor: pass the nextCursor of the previous page, or none.",
            field="cursor",
        )
    return keyset_page(
        queryset.order_by("-created_at", "-id"),
        sort=SORT_CREATED,
        after=page.cursor,
        size=page.limit,
    )


def account_of(request: HttpRequest) -> Account:
    return request.auth.account


def account_zone(request: HttpRequest) -> datetime.tzinfo:
    """The account's time zone: times without an offset are read in it."""
    try:
        return zoneinfo.ZoneInfo(account_of(request).time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return datetime.UTC


def phone_or_422(account: Account, raw: str, field: str = "phone") -> str:
    """E.164 for `raw` read with the account's country, or 422 naming `field`."""
    try:
        return phone_for_account(account, raw)
    except PhoneNumberError as exc:
        raise ApiError(422, "INVALID_FIELD", exc.message, field=field) from None


# -------------------------------------------------------------------------- schemas

router = Router(auth=api_auth)

CustomValue = StrictInt | Annotated[StrictFloat, Field(allow_inf_nan=False)] | Text | None
CustomValues = Annotated[
    dict[Annotated[str, Field(max_length=40)], CustomValue],
    Field(
        max_length=100,
        description='Values of the account\'s custom fields, by key. null or "" removes one.',
    ),
]


class ContactOut(Schema):
    id: UUID
    phone: str = Field(description="E.164, e.g. +33612345678.")
    firstName: str
    lastName: str
    email: str
    custom: dict[str, Any]
    lists: list[UUID]
    optedOut: bool = Field(description="The number is on the account's opt-out list.")
    createdAt: datetime.datetime
    updatedAt: datetime.datetime


class ContactPage(Schema):
    items: list[ContactOut]
    nextCursor: str | None


class ContactIn(Input):
    phone: Text = Field(max_length=40, description="Any format; read with the account's country.")
    firstName: Text = Field("", max_length=100)
    lastName: Text = Field("", max_length=100)
    email: Text = Field("", max_length=254)
    custom: CustomValues = Field(default_factory=dict)
    lists: list[UUID] = Field(default_factory=list, max_length=1000)


class ContactPatch(Input):
    phone: Text = Field(None, max_length=40)
    firstName: Text = Field(None, max_length=100)
    lastName: Text = Field(None, max_length=100)
    email: Text = Field(None, max_length=254)
    custom: CustomValues = Field(None)
    lists: list[UUID] = Field(None, max_length=1000, description="Replaces the contact's lists.")


class ContactQuery(PageQuery):
    q: Text = Field(
        "",
        max_length=100,
        description="A number (whole, or its beginning) or words matching the start of "
        "a first name, last name or email.",
    )
    list: UUID = Field(None, description="Only the members of this list.")


class ListOut(Schema):
    id: UUID
    name: str
    description: str
    contactCount: int
    createdAt: datetime.datetime


class ListPage(Schema):
    items: list[ListOut]
    nextCursor: str | None


class ListIn(Input):
    name: Text = Field(min_length=1, max_length=100)
    description: Text = Field("", max_length=255)


class ListPatch(Input):
    name: Text = Field(None, min_length=1, max_length=100)
    description: Text = Field(None, max_length=255)


class BulkNumbersIn(Input):
    numbers: list[str] = Field(
        min_length=1,
        max_length=MAX_BULK_NUMBERS,
        description="Up to 10,000 numbers, any format. Missing contacts are created.",
    )


class InvalidNumberOut(Schema):
    index: int
    value: str
    reason: str


class BulkNumbersOut(Schema):
    added: int = Field(description="Numbers put in the list by this call.")
    alreadyThere: int = Field(description="Numbers already in it (or repeated in the call).")
    contactsCreated: int = Field(description="Contacts created for numbers the account lacked.")
    invalid: list[InvalidNumberOut]


class OptOutOut(Schema):
    id: UUID
    phone: str
    source: str = Field(description="stop, manual, import or api.")
    createdAt: datetime.datetime


class OptOutPage(Schema):
    items: list[OptOutOut]
    nextCursor: str | None


class OptOutIn(Input):
    phone: Text = Field(max_length=40)


class OptOutQuery(PageQuery):
    q: Text = Field("", max_length=40, description="A number, whole or its beginning.")


# -------------------------------------------------------------------------- helpers


def _get_contact(request: HttpRequest, public_id: UUID) -> Contact:
    contact = Contact.objects.filter(account=account_of(request), public_id=public_id).first()
    if contact is None:
        raise not_found("contact")
    return contact


def _get_list(request: HttpRequest, public_id: UUID, *, lock: bool = False) -> ContactList:
    queryset = ContactList.objects.filter(account=account_of(request), public_id=public_id)
    found = (queryset.select_for_update() if lock else queryset).first()
    if found is None:
        raise not_found("list")
    return found


def _contact_out(contact: Contact, lists: list[UUID], opted_out: bool) -> dict:
    return {
        "id": contact.public_id,
        "phone": contact.phone,
        "firstName": contact.first_name,
        "lastName": contact.last_name,
        "email": contact.email,
        "custom": contact.custom or {},
        "lists": lists,
        "optedOut": opted_out,
        "createdAt": contact.created_at,
        "updatedAt": contact.updated_at,
    }


def _one_contact_out(contact: Contact) -> dict:
    lists = list(
        ContactList.objects.filter(memberships__contact=contact)
        .order_by("name")
        .values_list("public_id", flat=True)
    )
    opted = OptOut.objects.filter(
        account_id=contact.account_id, phone=contact.phone, removed_at__isnull=True
    ).exists()
    return _contact_out(contact, lists, opted)


def _list_out(contact_list: ContactList) -> dict:
    return {
        "id": contact_list.public_id,
        "name": contact_list.name,
        "description": contact_list.description,
        "contactCount": contact_list.contact_count,
        "createdAt": contact_list.created_at,
    }


def _optout_out(optout: OptOut) -> dict:
    return {
        "id": optout.public_id,
        "phone": optout.phone,
        "source": optout.source,
        "createdAt": optout.created_at,
    }


def _email_or_422(raw: str) -> str:
    email = raw.strip()
    if email:
        try:
            validate_email(email)
        except DjangoValidationError:
            raise ApiError(
                422, "INVALID_FIELD", "Enter a valid email address.", field="email"
            ) from None
    return email


def _custom_values(account: Account, given: dict[str, Any], current: dict) -> dict:
    """`current` with the given values applied, each checked by its custom field's
    type as the contact form checks it (numbers as "12.5", dates as "2025-03-31")."""
    definitions = {field.key: field for field in CustomField.objects.filter(account=account)}
    values = dict(current)
    for key, raw in given.items():
        definition = definitions.get(key)
        if definition is None:
            raise ApiError(
                422,
                "INVALID_FIELD",
                f"The account has no custom field '{key}'.",
                field=f"custom.{key}",
            )
        if raw is None or raw == "":
            values.pop(key, None)
            continue
        try:
            value = _custom_form_field(definition).clean(str(raw))
        except forms.ValidationError as exc:
            raise ApiError(
                422, "INVALID_FIELD", " ".join(exc.messages), field=f"custom.{key}"
            ) from None
        if value in (None, ""):
            values.pop(key, None)
        elif isinstance(value, Decimal):
            values[key] = format(value, "f")
        elif isinstance(value, date):
            values[key] = value.isoformat()
        else:
            values[key] = value
    return values


def _lists_or_422(account: Account, public_ids: list[UUID]) -> list[ContactList]:
    wanted = list(dict.fromkeys(public_ids))
    found = {
        lst.public_id: lst
        for lst in ContactList.objects.filter(account=account, public_id__in=wanted)
    }
    missing = [str(public_id) for public_id in wanted if public_id not in found]
    if missing:
        raise ApiError(422, "INVALID_FIELD", f"No such list: {missing[0]}.", field="lists")
    return [found[public_id] for public_id in wanted]


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


def _contact_exists(account: Account, phone: str) -> ApiError:
    existing = (
        Contact.objects.filter(account=account, phone=phone)
        .values_list("public_id", flat=True)
        .first()
    )
    return ApiError(
        409,
        "CONTACT_EXISTS",
        f"Another contact already has the number {phone}.",
        field="phone",
        extra={"id": str(existing)} if existing else None,
    )


def _save_contact(request: HttpRequest, data: dict, contact: Contact | None) -> Contact:
    """Create or update a contact from the validated fields of `data` (absent fields
    keep the contact's values)."""
    account = account_of(request)
    phone = phone_or_422(account, data["phone"]) if "phone" in data else contact.phone
    email = _email_or_422(data["email"]) if "email" in data else contact.email
    current_custom = contact.custom if contact is not None else {}
    custom = (
        _custom_values(account, data["custom"], current_custom)
        if data.get("custom") is not None
        else current_custom
    )
    lists = _lists_or_422(account, data["lists"]) if data.get("lists") is not None else None
    try:
        with transaction.atomic():
            saved = contact_save(
                account=account,
                phone=phone,
                first_name=data.get("firstName", contact.first_name if contact else "") or "",
                last_name=data.get("lastName", contact.last_name if contact else "") or "",
                email=email,
                custom=custom,
                contact=contact,
                source=Contact.Source.API,
            )
            if lists is not None:
                _sync_lists(saved, lists)
    except ContactError:
        raise _contact_exists(account, phone) from None
    return saved


def _phones_source_sql(phones: list[str]) -> tuple[str, list]:
    """SQL selecting `phones` as rows of one column `phone`, with one parameter."""
    if connection.vendor == "postgresql":
        return "SELECT unnest(%s::text[]) AS phone", [phones]
    return "SELECT value AS phone FROM json_each(%s)", [json.dumps(phones)]


def _list_add_phones(
    account: Account, contact_list: ContactList, phones: list[str]
) -> tuple[int, int]:
    """Create the contacts of `phones` (E.164) that the account lacks and put every one
    in the list: two INSERT … SELECT over the numbers passed as one parameter, whatever
    their count. Returns (memberships added, contacts created)."""
    if not phones:
        return 0, 0
    source, params = _phones_source_sql(phones)
    now = timezone.now()
    custom = "%s::jsonb" if connection.vendor == "postgresql" else "%s"
    with connection.cursor() as cursor:
        # Numbers the account has (or that a concurrent call just created) conflict on
        # (account, phone) and are left alone. (SQLite needs the WHERE before ON
        # CONFLICT to parse it.)
        cursor.execute(
            "INSERT INTO contacts_contact (public_id, account_id, phone, first_name, "  # noqa: S608
            "last_name, email, custom, source, created_at, updated_at) "
            f"SELECT {random_uuid_sql()}, %s, p.phone, '', '', '', {custom}, %s, %s, %s "
            f"FROM ({source}) p WHERE 1 = 1 ORDER BY p.phone ON CONFLICT DO NOTHING",
            [account.pk, "{}", Contact.Source.API, now, now, *params],
        )
        created = cursor.rowcount
        cursor.execute(
            "INSERT INTO contacts_membership (contact_id, contact_list_id, added_at) "  # noqa: S608
            f"SELECT c.id, %s, %s FROM ({source}) p JOIN contacts_contact c "
            "ON c.account_id = %s AND c.phone = p.phone WHERE 1 = 1 ORDER BY c.id "
            "ON CONFLICT DO NOTHING",
            [contact_list.pk, now, *params, account.pk],
        )
        added = cursor.rowcount
    list_refresh_counts([contact_list.pk])
    return added, created


def _list_exists(account: Account, name: str) -> ApiError:
    existing = (
        ContactList.objects.filter(account=account, name=name)
        .values_list("public_id", flat=True)
        .first()
    )
    return ApiError(
        409,
        "LIST_EXISTS",
        f"A list named '{name}' already exists.",
        field="name",
        extra={"id": str(existing)} if existing else None,
    )


def _list_name(raw: str) -> str:
    name = raw.strip()
    if not name:
        raise ApiError(422, "INVALID_FIELD", "Enter a name.", field="name")
    return name


# ------------------------------------------------------------------------- contacts

_CONTACTS = ["Contacts"]


@router.get(
    "contacts",
    response=answers({200: ContactPage}),
    tags=_CONTACTS,
    operation_id="listContacts",
    summary="List contacts",
)
def contact_list(request: HttpRequest, filters: Query[ContactQuery]) -> dict:
    """The account's contacts, newest first; search by number, name or email prefix."""
    require_scope(request, "read")
    account = account_of(request)
    queryset = contacts_search(account=account, q=filters.q, list_public_id=filters.list)
    page = keyset(queryset, filters)
    contacts_mark_opted_out(account=account, contacts=page.rows)
    lists_of: dict[int, list[UUID]] = {contact.pk: [] for contact in page.rows}
    if page.rows:
        for contact_id, public_id in (
            Membership.objects.filter(contact_id__in=list(lists_of))
            .order_by("contact_list__name")
            .values_list("contact_id", "contact_list__public_id")
        ):
            lists_of[contact_id].append(public_id)
    return {
        "items": [
            _contact_out(contact, lists_of[contact.pk], contact.is_opted_out)
            for contact in page.rows
        ],
        "nextCursor": page.next_cursor,
    }


@router.post(
    "contacts",
    response=answers({201: ContactOut}, 409),
    tags=_CONTACTS,
    operation_id="createContact",
    summary="Create a contact",
)
def contact_create(request: HttpRequest, payload: ContactIn) -> Status:
    """A new contact. A number the account already has: 409 CONTACT_EXISTS with its id."""
    require_scope(request, "manage")
    contact = _save_contact(request, payload.model_dump(), None)
    return Status(201, _one_contact_out(contact))


@router.get(
    "contacts/{id}",
    response=answers({200: ContactOut}, 404),
    tags=_CONTACTS,
    operation_id="getContact",
    summary="Get a contact",
)
def contact_detail(request: HttpRequest, id: UUID) -> dict:
    require_scope(request, "read")
    return _one_contact_out(_get_contact(request, id))


@router.patch(
    "contacts/{id}",
    response=answers({200: ContactOut}, 404, 409),
    tags=_CONTACTS,
    operation_id="updateContact",
    summary="Update a contact",
)
def contact_update(request: HttpRequest, id: UUID, payload: ContactPatch) -> dict:
    """Change the fields given; `custom` is merged key by key, `lists` replaced."""
    require_scope(request, "manage")
    contact = _get_contact(request, id)
    # Only the fields sent (null is refused by the schema for every one of them).
    data = payload.model_dump(exclude_unset=True)
    contact = _save_contact(request, data, contact)
    return _one_contact_out(contact)


@router.delete(
    "contacts/{id}",
    response=answers({204: None}, 404),
    tags=_CONTACTS,
    operation_id="deleteContact",
    summary="Delete a contact",
)
def contact_delete(request: HttpRequest, id: UUID) -> Status:
    """Delete the contact (its opt-out, if any, is kept)."""
    require_scope(request, "manage")
    contact = _get_contact(request, id)
    contacts_delete(account=account_of(request), contact_ids=[contact.pk])
    return Status(204, None)


# ---------------------------------------------------------------------------- lists

_LISTS = ["Lists"]


@router.get(
    "lists",
    response=answers({200: ListPage}),
    tags=_LISTS,
    operation_id="listLists",
    summary="List lists",
)
def list_index(request: HttpRequest, page: Query[PageQuery]) -> dict:
    """The account's lists, newest first."""
    require_scope(request, "read")
    result = keyset(ContactList.objects.filter(account=account_of(request)), page)
    return {"items": [_list_out(lst) for lst in result.rows], "nextCursor": result.next_cursor}


@router.post(
    "lists",
    response=answers({201: ListOut}, 409),
    tags=_LISTS,
    operation_id="createList",
    summary="Create a list",
)
def list_create(request: HttpRequest, payload: ListIn) -> Status:
    """A new, empty list. A name the account already uses: 409 LIST_EXISTS."""
    require_scope(request, "manage")
    account = account_of(request)
    name = _list_name(payload.name)
    if ContactList.objects.filter(account=account, name=name).exists():
        raise _list_exists(account, name)
    try:
        with transaction.atomic():
            created = ContactList.objects.create(
                account=account, name=name, description=payload.description.strip()
            )
    except IntegrityError:  # the same name created meanwhile
        raise _list_exists(account, name) from None
    return Status(201, _list_out(created))


@router.get(
    "lists/{id}",
    response=answers({200: ListOut}, 404),
    tags=_LISTS,
    operation_id="getList",
    summary="Get a list",
)
def list_detail(request: HttpRequest, id: UUID) -> dict:
    require_scope(request, "read")
    return _list_out(_get_list(request, id))


@router.patch(
    "lists/{id}",
    response=answers({200: ListOut}, 404, 409),
    tags=_LISTS,
    operation_id="updateList",
    summary="Update a list",
)
def list_update(request: HttpRequest, id: UUID, payload: ListPatch) -> dict:
    require_scope(request, "manage")
    account = account_of(request)
    contact_list = _get_list(request, id)
    data = payload.model_dump(exclude_unset=True)
    if "name" in data:
        name = _list_name(data["name"])
        if (
            ContactList.objects.filter(account=account, name=name)
            .exclude(pk=contact_list.pk)
            .exists()
        ):
            raise _list_exists(account, name)
        contact_list.name = name
    if "description" in data:
        contact_list.description = data["description"].strip()
    try:
        with transaction.atomic():
            contact_list.save(update_fields=["name", "description"])
    except IntegrityError:
        raise _list_exists(account, contact_list.name) from None
    return _list_out(contact_list)


@router.delete(
    "lists/{id}",
    response=answers({204: None}, 404),
    tags=_LISTS,
    operation_id="deleteList",
    summary="Delete a list",
)
def list_delete(request: HttpRequest, id: UUID) -> Status:
    """Delete the list; its contacts are kept."""
    require_scope(request, "manage")
    _get_list(request, id).delete()  # cascades to the memberships only
    return Status(204, None)


@router.post(
    "lists/{id}/contacts",
    response=answers({200: BulkNumbersOut}, 404),
    tags=_LISTS,
    operation_id="addNumbersToList",
    summary="Add numbers to a list",
)
def list_add_numbers(request: HttpRequest, id: UUID, payload: BulkNumbersIn) -> dict:
    """Put up to 10,000 numbers in the list, creating the contacts the account lacks.
    Invalid numbers are reported by index, the others applied."""
    require_scope(request, "manage")
    account = account_of(request)
    region = account.country or "FR"
    phones: dict[str, None] = {}  # an ordered set
    invalid = []
    valid = 0
    for index, raw in enumerate(payload.numbers):
        try:
            if len(raw) > 40:
                raise PhoneNumberError("too_long")
            phone = normalize_phone_fast(raw, default_region=region)
        except PhoneNumberError as exc:
            invalid.append({"index": index, "value": raw[:100], "reason": exc.message})
            continue
        valid += 1
        phones[phone] = None
    with transaction.atomic():
        contact_list = _get_list(request, id, lock=True)  # serialises adds to one list
        added, created = _list_add_phones(account, contact_list, list(phones))
    return {
        "added": added,
        "alreadyThere": valid - added,
        "contactsCreated": created,
        "invalid": invalid,
    }


@router.delete(
    "lists/{id}/contacts/{contactId}",
    response=answers({204: None}, 404),
    tags=_LISTS,
    operation_id="removeContactFromList",
    summary="Remove a contact from a list",
)
def list_remove_contact(request: HttpRequest, id: UUID, contactId: UUID) -> Status:
    """Take the contact out of the list (the contact stays). 404 when it is not in it."""
    require_scope(request, "manage")
    contact_list = _get_list(request, id)
    contact = _get_contact(request, contactId)
    if not Membership.objects.filter(contact_list=contact_list, contact=contact).exists():
        raise not_found("contact in this list")
    lists_remove_contacts(contact_list=contact_list, contact_ids=[contact.pk])
    return Status(204, None)


# ------------------------------------------------------------------------- opt-outs

_OPTOUTS = ["Opt-outs"]


@router.get(
    "optouts",
    response=answers({200: OptOutPage}),
    tags=_OPTOUTS,
    operation_id="listOptOuts",
    summary="List opt-outs",
)
def optout_list(request: HttpRequest, filters: Query[OptOutQuery]) -> dict:
    """The account's active opt-outs, newest first; `q` searches by number."""
    require_scope(request, "read")
    account = account_of(request)
    queryset = OptOut.objects.filter(account=account, removed_at__isnull=True)
    q = filters.q.strip()
    if q:
        condition = phone_search_q(account, q)
        queryset = queryset.filter(condition) if condition is not None else queryset.none()
    page = keyset(queryset, filters)
    return {"items": [_optout_out(o) for o in page.rows], "nextCursor": page.next_cursor}


@router.post(
    "optouts",
    response=answers({200: OptOutOut, 201: OptOutOut}),
    tags=_OPTOUTS,
    operation_id="createOptOut",
    summary="Opt a number out",
)
def optout_create(request: HttpRequest, payload: OptOutIn) -> Status:
    """Opt a number out of the account's sends. Idempotent: 201 when added now, 200
    with the existing opt-out when it already was."""
    key = require_scope(request, "manage")
    account = account_of(request)
    phone = phone_or_422(account, payload.phone)
    optout, created = optout_add(
        account=account, phone=phone, source=OptOut.Source.API, by=key.created_by
    )
    return Status((201 if created else 200), _optout_out(optout))


@router.delete(
    "optouts/{phone}",
    response=answers({204: None}, 404),
    tags=_OPTOUTS,
    operation_id="deleteOptOut",
    summary="Lift an opt-out",
)
def optout_delete(request: HttpRequest, phone: Text) -> Status:
    """Lift the opt-out of a number (E.164; "+" may be sent as %2B). The removal is
    recorded, with the key's creator. 404 when the number is not opted out."""
    key = require_scope(request, "manage")
    account = account_of(request)
    e164 = phone_or_422(account, phone[:40])
    optout = OptOut.objects.filter(account=account, phone=e164, removed_at__isnull=True).first()
    if optout is None or not optout_remove(optout=optout, by=key.created_by):
        raise not_found("opt-out")
    return Status(204, None)
