"""Reads on contacts: the search behind the contacts table and its keyset pages.

The contacts table must stay fast with a million contacts in one account, so:
no OFFSET (a page is "the rows after this cursor", found through the
`contact_recent` / `contact_name` indexes), no COUNT(*) per page, and the opt-out
state is an EXISTS probe into the opt-out list's (account, phone) index when it
filters, and one lookup of the page's 50 numbers when it is only shown.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import phonenumbers
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from contacts.models import Contact, ContactList, Membership, OptOut
from contacts.services import phone_for_account
from smsmode.accounts.models import Account
from smsmode.sms.numbers import PhoneNumberError

PAGE_SIZE = 50
SORT_CREATED = "created"  # newest first: (created_at, id) descending
SORT_NAME = "name"  # (last_name, first_name, id) ascending
SORTS = (SORT_CREATED, SORT_NAME)
_ORDERING = {
    SORT_CREATED: ("-created_at", "-id"),
    SORT_NAME: ("last_name", "first_name", "id"),
}
_MAX_SEARCH_TERMS = 5
_NON_DIGITS = re.compile(r"\D")


def _active_optouts(account: Account) -> QuerySet[OptOut]:
    # The account id as a literal, not an OuterRef: PostgreSQL then estimates how many
    # opt-outs the account has and picks the right plan (probe or semi-join).
    return OptOut.objects.filter(account_id=account.pk, removed_at__isnull=True)


def _phone_prefix(raw: str, region: str) -> str:
    """The E.164 beginning of a partly typed number: "06 12" -> "+33612" in France,
    "+44 74" -> "+4474", "0044 74" -> "+4474"."""
    digits = _NON_DIGITS.sub("", raw)
    text = raw.strip()
    if text.startswith("+"):
        return f"+{digits}"
    if digits.startswith("00"):
        return f"+{digits[2:]}"
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region.upper())
    trunk = metadata.national_prefix if metadata else None
    if trunk and digits.startswith(trunk):
        digits = digits[len(trunk) :]
    return f"+{phonenumbers.country_code_for_region(region.upper())}{digits}"


def _prefix_range(prefix: str) -> Q:
    """`phone` starts with `prefix`, written as a range so that the (account, phone)
    index serves it whatever the database collation (LIKE 'x%' needs a C collation
    or a pattern_ops index on PostgreSQL). Phones are "+" and digits only."""
    head, last = prefix[:-1], prefix[-1]
    if not last.isdigit():  # just "+": every number
        return Q()
    if last == "9":
        # "+339" -> the next prefix is "+34": carry like a number would.
        stripped = prefix.rstrip("9")
        if stripped == "+":
            return Q(phone__gte=prefix)
        upper = stripped[:-1] + str(int(stripped[-1]) + 1)
    else:
        upper = head + str(int(last) + 1)
    return Q(phone__gte=prefix, phone__lt=upper)


def phone_search_q(account: Account, q: str) -> Q | None:
    """A condition on `phone` for a query that reads as a number: a whole number in
    any format matches exactly, digits that are not a whole number yet match the
    numbers that begin so. None when the query is not a number at all (letters)."""
    try:
        return Q(phone=phone_for_account(account, q))
    except PhoneNumberError as exc:
        if exc.code in ("not_a_number", "empty"):
            return None
        return _prefix_range(_phone_prefix(q, account.country or "FR"))


def _search_q(account: Account, q: str) -> Q:
    phone = phone_search_q(account, q)
    if phone is not None:
        return phone
    condition = Q()
    for term in q.split()[:_MAX_SEARCH_TERMS]:
        condition &= (
            Q(first_name__istartswith=term)
            | Q(last_name__istartswith=term)
            | Q(email__istartswith=term)
        )
    return condition


def contacts_search(
    *,
    account: Account,
    q: str = "",
    list_public_id: UUID | None = None,
    opted_out: bool | None = None,
    sort: str = SORT_CREATED,
) -> QuerySet[Contact]:
    """The account's contacts matching the search, ordered for keyset pages.

    `q` is a phone number in any format (normalised with the account's country and
    matched exactly, or by prefix when it is only the beginning of a number), or
    words each matching the start of a first name, last name or email.
    `list_public_id` keeps the members of that list of the account (none when it is
    not one); `opted_out` keeps contacts whose number is (True) or is not (False) on
    the account's active opt-out list. Costs one query to resolve the list."""
    queryset = Contact.objects.filter(account=account)
    q = (q or "").strip()
    if q:
        queryset = queryset.filter(_search_q(account, q))
    if list_public_id is not None:
        # Resolved first so the planner sees a list id it has statistics for: a small
        # list is then read from its memberships instead of walking every contact.
        list_id = (
            ContactList.objects.filter(account=account, public_id=list_public_id)
            .values_list("pk", flat=True)
            .first()
        )
        if list_id is None:
            return queryset.none()
        queryset = queryset.filter(
            Exists(Membership.objects.filter(contact_id=OuterRef("pk"), contact_list_id=list_id))
        )
    if opted_out is not None:
        opted = Exists(_active_optouts(account).filter(phone=OuterRef("phone")))
        queryset = queryset.filter(opted if opted_out else ~opted)
    return queryset.order_by(*_ORDERING.get(sort, _ORDERING[SORT_CREATED]))


def contacts_mark_opted_out(*, account: Account, contacts: list[Contact]) -> list[Contact]:
    """Set `is_opted_out` on each contact, in one query for the whole page.

    Not an EXISTS in the page query: PostgreSQL runs that one as a hashed subplan
    that reads every active opt-out of the account on every page."""
    phones = {contact.phone for contact in contacts}
    opted = (
        set(_active_optouts(account).filter(phone__in=phones).values_list("phone", flat=True))
        if phones
        else set()
    )
    for contact in contacts:
        contact.is_opted_out = contact.phone in opted
    return contacts


def contacts_with_lists(queryset: QuerySet[Contact]) -> QuerySet[Contact]:
    """Fetch each contact's lists (names only) in one more query for the whole page."""
    return queryset.prefetch_related(
        Prefetch(
            "lists",
            queryset=ContactList.objects.only("pk", "public_id", "name").order_by("name"),
            to_attr="list_names",
        )
    )


# --- keyset pages -----------------------------------------------------------------


@dataclass(frozen=True)
class KeysetPage:
    rows: list  # Contacts, or any rows with created_at and id (the opt-out list)
    next_cursor: str | None  # for ?after=; None on the last page
    is_first: bool

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None


def _encode_cursor(sort: str, contact: Contact) -> str:
    if sort == SORT_NAME:
        key = [contact.last_name, contact.first_name, contact.pk]
    else:
        key = [contact.created_at.isoformat(), contact.pk]
    raw = json.dumps({"s": sort, "k": key}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(sort: str, token: str) -> list | None:
    """The key in a cursor, or None for a missing, tampered or foreign one (which
    then means the first page)."""
    if not token:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        key = data["k"]
        if data["s"] != sort or not isinstance(key, list):
            return None
        if sort == SORT_NAME:
            last, first, pk = key
            if not (isinstance(last, str) and isinstance(first, str) and isinstance(pk, int)):
                return None
            return [last, first, pk]
        created, pk = key
        created_at = datetime.fromisoformat(created)
        if created_at.tzinfo is None or not isinstance(pk, int):
            return None
        return [created_at, pk]
    except (ValueError, TypeError, KeyError, binascii.Error, UnicodeDecodeError):
        return None


def _after(sort: str, key: list) -> Q:
    # The leading bound (created_at <= c, last_name >= l) lets the index start at the
    # cursor; the OR only settles ties on it.
    if sort == SORT_NAME:
        last, first, pk = key
        return Q(last_name__gte=last) & (
            Q(last_name__gt=last) | Q(first_name__gt=first) | Q(first_name=first, id__gt=pk)
        )
    created_at, pk = key
    return Q(created_at__lte=created_at) & (Q(created_at__lt=created_at) | Q(id__lt=pk))


def keyset_page(
    queryset: QuerySet, *, sort: str, after: str = "", size: int = PAGE_SIZE
) -> KeysetPage:
    """One page of `queryset` (ordered as contacts_search orders `sort`: for
    SORT_CREATED, by -created_at, -id, which any model with those fields can use)
    after the cursor `after`. One query (plus the queryset's prefetches)."""
    sort = sort if sort in SORTS else SORT_CREATED
    key = _decode_cursor(sort, after)
    if key is not None:
        queryset = queryset.filter(_after(sort, key))
    rows = list(queryset[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return KeysetPage(
        rows=rows,
        next_cursor=_encode_cursor(sort, rows[-1]) if more else None,
        is_first=key is None,
    )
