"""Credit movements. The balance changes only here, together with a ledger row."""

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from smsmode.accounts.models import Account, User
from smsmode.billing.models import CreditLedgerEntry, LedgerKind


class InsufficientCredits(Exception):
    def __init__(self, missing: Decimal) -> None:
        self.missing = missing
        super().__init__(_("%(missing)s credits are missing.") % {"missing": missing})


def credits_add(
    *,
    account_id: int,
    amount: Decimal | int,
    kind: LedgerKind | str,
    description: str = "",
    by_user: User | None = None,
) -> CreditLedgerEntry:
    """Add (or, with a negative amount, take) credits, appending one ledger row.

    Locks the account row for the transaction, so concurrent movements are
    serialised and the balance never goes below zero: a debit larger than the
    balance raises InsufficientCredits and changes nothing.
    """
    amount = Decimal(amount)
    with transaction.atomic():
        account = (
            Account.objects.select_for_update().only("id", "credit_balance").get(pk=account_id)
        )
        new_balance = account.credit_balance + amount
        if new_balance < 0:
            raise InsufficientCredits(missing=-new_balance)
        Account.objects.filter(pk=account_id).update(credit_balance=new_balance)
        return CreditLedgerEntry.objects.create(
            account_id=account_id,
            kind=kind,
            amount=amount,
            balance_after=new_balance,
            description=description,
            created_by=by_user,
        )
