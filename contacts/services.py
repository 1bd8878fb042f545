"""Writes on contacts, lists and opt-outs. Views and jobs call these."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.core.exceptions import EmptyResultSet
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from contacts.models import Contact, ContactList, Membership, OptOut
from smsmode.accounts.models import Account, User
from smsmode.sms.gateways.base import InboundSms
from smsmode.sms.numbers import PhoneNumberError, normalize_phone
from smsmode.sms.stop import is_stop_request

logger = logging.getLogger(__name__)


class ContactError(ValueError):
    """A contact change the rules refuse; the message is shown to the user."""


def phone_for_account(account: Account, raw: str) -> str:
    """E.164 for `raw`, read with the account's country as the default region.

    Raises PhoneNumberError with a user-facing message."""
    return normalize_phone(raw, default_region=account.country or "FR")


def optout_add(
    *, account: Account, phone: str, source: str, by: User | None = None
) -> tuple[OptOut, bool]:
    """Opt `phone` (E.164) out of the account's sends. Idempotent: returns the active
    opt-out and whether it was created now."""
    existing = OptOut.objects.filter(account=account, phone=phone, removed_at__isnull=True).first()
    if existing:
        return existing, False
    try:
        with transaction.atomic():
            return OptOut.objects.create(
                account=account, phone=phone, source=source, created_by=by
            ), True
    except IntegrityError:  # a concurrent STOP for the same number
        return OptOut.objects.get(account=account, phone=phone, removed_at__isnull=True), False


def optouts_add_many(
    *, account: Account, phones: Iterable[str], source: str, by: User | None = None
) -> int:
    """Opt many numbers (E.164) out at once: one read and one bulk insert per call.
    Numbers already opted out are left as they are. Returns how many were added."""
    wanted = set(phones)
    if not wanted:
        return 0
    already = set(
        OptOut.objects.filter(
            account=account, phone__in=wanted, removed_at__isnull=True
        ).values_list("phone", flat=True)
    )
    new = [
        OptOut(account=account, phone=phone, source=source, created_by=by)
        for phone in sorted(wanted - already)
    ]
    # ignore_conflicts: a STOP for the same number may land meanwhile.
    OptOut.objects.bulk_create(new, ignore_conflicts=True, batch_size=2000)
    return len(new)


def optout_remove(*, optout: OptOut, by: User) -> bool:
    """Lift an opt-out, keeping the record of who did it and when. Exactly once."""
    updated = OptOut.objects.filter(pk=optout.pk, removed_at__isnull=True).update(
        removed_at=timezone.now(), removed_by=by
    )
    return updated == 1


def optout_from_inbound(message: InboundSms) -> int:
    """Subscriber of `smsmode.sms.events.on_inbound`: a STOP reply opts its sender out
    of every account that knows the number (a contact with it). Idempotent. Returns
    how many accounts were changed."""
    if not is_stop_request(message.text):
        return 0
    try:
        phone = normalize_phone(message.sender, default_region="FR")
    except PhoneNumberError:
        logger.warning("STOP from an unreadable number %r ignored", message.sender)
        return 0
    account_ids = set(Contact.objects.filter(phone=phone).values_list("account_id", flat=True))
    created = 0
    for account in Account.objects.filter(pk__in=account_ids):
        _optout, made = optout_add(account=account, phone=phone, source=OptOut.Source.STOP)
        created += int(made)
    return created


def is_opted_out(account: Account, phone: str) -> bool:
    return OptOut.objects.filter(account=account, phone=phone, removed_at__isnull=True).exists()


def list_refresh_counts(list_ids: Iterable[int]) -> None:
    """Recount the members of these lists (one grouped query, index-only)."""
    ids = list(set(list_ids))
    if not ids:
        return
    counts = dict(
        Membership.objects.filter(contact_list_id__in=ids)
        .values("contact_list_id")
        .annotate(n=Count("pk"))
        .values_list("contact_list_id", "n")
    )
    for list_id in ids:
        ContactList.objects.filter(pk=list_id).update(contact_count=counts.get(list_id, 0))


def lists_add_contacts(*, contact_list: ContactList, contact_ids: Iterable[int]) -> None:
    """Put contacts (of the list's account) in the list; already there: unchanged."""
    ids = list(
        Contact.objects.filter(
            account_id=contact_list.account_id, pk__in=list(contact_ids)
        ).values_list("pk", flat=True)
    )
    Membership.objects.bulk_create(
        [Membership(contact_id=pk, contact_list=contact_list) for pk in ids],
        ignore_conflicts=True,
        batch_size=2000,
    )
    list_refresh_counts([contact_list.pk])


def lists_remove_contacts(*, contact_list: ContactList, contact_ids: Iterable[int]) -> None:
    Membership.objects.filter(contact_list=contact_list, contact_id__in=list(contact_ids)).delete()
    list_refresh_counts([contact_list.pk])


def contacts_delete(*, account: Account, contact_ids: Iterable[int]) -> int:
    """Delete contacts of `account` (their opt-outs stay). Returns how many."""
    ids = list(
        Contact.objects.filter(account=account, pk__in=list(contact_ids)).values_list(
            "pk", flat=True
        )
    )
    list_ids = set(
        Membership.objects.filter(contact_id__in=ids).values_list("contact_list_id", flat=True)
    )
    Contact.objects.filter(pk__in=ids).delete()
    list_refresh_counts(list_ids)
    return len(ids)


def contact_save(
    *,
    account: Account,
    phone: str,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    custom: dict | None = None,
    contact: Contact | None = None,
    source: str = Contact.Source.MANUAL,
) -> Contact:
    """Create (or, with `contact`, update) a contact with its number normalised.

    Raises PhoneNumberError for a bad number and ContactError when another contact
    of the account already has it."""
    e164 = phone_for_account(account, phone)
    clash = Contact.objects.filter(account=account, phone=e164)
    if contact is not None:
        clash = clash.exclude(pk=contact.pk)
    if clash.exists():
        raise ContactError(_("Another contact already has the number %(phone)s.") % {"phone": e164})
    target = contact or Contact(account=account, source=source)
    target.phone = e164
    target.first_name = first_name.strip()
    target.last_name = last_name.strip()
    target.email = email.strip()
    target.custom = custom or {}
    try:
        with transaction.atomic():
            target.save()
    except IntegrityError as exc:  # a concurrent double submit
        raise ContactError(
            _("Another contact already has the number %(phone)s.") % {"phone": e164}
        ) from exc
    return target


# ------------------------------------------------------- bulk actions on a selection
#
# "Every contact matching the search" may be a million rows: each action below is a
# constant number of set-based statements over the selection's own SQL, never a loop
# over its rows. `selection` is a queryset of contacts already limited to `account`;
# the statements restrict it to the account once more.


def random_uuid_sql() -> str:
    """SQL for a random UUID as Django stores it on this database."""
    return (
        "gen_random_uuid()" if connection.vendor == "postgresql" else "lower(hex(randomblob(16)))"
    )


def _selected_ids_sql(account: Account, selection: QuerySet[Contact]) -> tuple[str, list]:
    """The SQL selecting the ids of `selection` (within `account`). A selection that
    cannot match anything (`.none()`) becomes a query of no rows."""
    query = selection.filter(account=account).order_by().values("id").query
    try:
        sql, params = query.sql_with_params()
    except EmptyResultSet:
        return "SELECT id FROM contacts_contact WHERE 1 = 0", []
    return sql, list(params)


def lists_add_selection(
    *, account: Account, contact_list: ContactList, selection: QuerySet[Contact]
) -> int:
    """Put every contact of `selection` in the list (one INSERT … SELECT). Returns how
    many contacts the selection holds (those already in the list included)."""
    if contact_list.account_id != account.pk:
        raise ContactError("not your list")
    count = selection.filter(account=account).count()
    sql, params = _selected_ids_sql(account, selection)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO contacts_membership (contact_id, contact_list_id, added_at) "
            f"SELECT s.id, %s, %s FROM ({sql}) s WHERE 1 = 1 ON CONFLICT DO NOTHING",
            [contact_list.pk, timezone.now(), *params],
        )
    list_refresh_counts([contact_list.pk])
    return count


def lists_remove_selection(
    *, account: Account, contact_list: ContactList, selection: QuerySet[Contact]
) -> int:
    """Take every contact of `selection` out of the list (one DELETE). Returns how many
    contacts the selection held."""
    count = selection.filter(account=account).count()
    Membership.objects.filter(
        contact_list=contact_list,
        contact_list__account=account,
        contact_id__in=selection.filter(account=account).order_by().values("pk"),
    ).delete()
    list_refresh_counts([contact_list.pk])
    return count


def optouts_add_selection(
    *, account: Account, selection: QuerySet[Contact], source: str, by: User | None = None
) -> int:
    """Opt out the numbers of every contact of `selection` (one INSERT … SELECT);
    numbers already opted out are left as they are. Returns how many were added."""
    sql, params = _selected_ids_sql(account, selection)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO contacts_optout (public_id, account_id, phone, source, created_at, "
            f"created_by_id) SELECT {random_uuid_sql()}, %s, c.phone, %s, %s, %s "
            f"FROM contacts_contact c WHERE c.id IN ({sql}) AND NOT EXISTS ("
            "SELECT 1 FROM contacts_optout o WHERE o.account_id = %s AND o.phone = c.phone "
            "AND o.removed_at IS NULL) ON CONFLICT DO NOTHING",
            [account.pk, source, timezone.now(), by.pk if by else None, *params, account.pk],
        )
        return cursor.rowcount


# Every model that points at Contact, and what deleting a selection does with it. A new
# relation must be handled in contacts_delete_selection (its test checks this list).
CONTACT_RELATIONS_HANDLED = {"contacts.Membership", "campaigns.Message"}


def contacts_delete_selection(*, account: Account, selection: QuerySet[Contact]) -> int:
    """Delete every contact of `selection`, their list memberships with them (their
    opt-outs stay): a few set-based statements, whatever the size. Returns how many."""
    sql, params = _selected_ids_sql(account, selection)
    with connection.cursor() as cursor:
        # The selection may filter on the memberships (a list): read it once, first.
        cursor.execute("CREATE TEMPORARY TABLE contacts_doomed (id bigint PRIMARY KEY)")
        try:
            cursor.execute(
                f"INSERT INTO contacts_doomed (id) SELECT DISTINCT s.id FROM ({sql}) s", params
            )
            cursor.execute(
                "SELECT DISTINCT contact_list_id FROM contacts_membership WHERE contact_id IN "
                "(SELECT id FROM contacts_doomed)"
            )
            list_ids = [row[0] for row in cursor.fetchall()]
            cursor.execute(
                "DELETE FROM contacts_membership WHERE contact_id IN "
                "(SELECT id FROM contacts_doomed)"
            )
            # Their messages stay, for the account's history and figures.
            cursor.execute(
                "UPDATE campaigns_message SET contact_id = NULL WHERE account_id = %s AND "
                "contact_id IN (SELECT id FROM contacts_doomed)",
                [account.pk],
            )
            cursor.execute(
                "DELETE FROM contacts_contact WHERE account_id = %s AND id IN "
                "(SELECT id FROM contacts_doomed)",
                [account.pk],
            )
            deleted = cursor.rowcount
        finally:
            cursor.execute("DROP TABLE contacts_doomed")
    list_refresh_counts(list_ids)
    return deleted
