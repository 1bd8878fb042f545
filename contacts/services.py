"""Writes on contacts, lists and opt-outs. Views and jobs call these."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import Count
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
