import threading
from decimal import Decimal

import pytest
from django.db import connection, connections

from smsmode.accounts.models import Account
from smsmode.billing.models import CreditLedgerEntry, LedgerKind
from smsmode.billing.services import InsufficientCredits, credits_add


@pytest.mark.django_db
def test_adding_credits_moves_the_balance_and_appends_a_ledger_row(team):
    entry = credits_add(
        account_id=team.account.pk,
        amount=100,
        kind=LedgerKind.PURCHASE,
        description="Pack",
        by_user=team.owner,
    )
    team.account.refresh_from_db()
    assert team.account.credit_balance == 120
    assert entry.balance_after == 120
    assert entry.created_by == team.owner


@pytest.mark.django_db
def test_a_debit_larger_than_the_balance_changes_nothing(team):
    with pytest.raises(InsufficientCredits) as error:
        credits_add(account_id=team.account.pk, amount=-25, kind=LedgerKind.RESERVATION)
    assert error.value.missing == Decimal("5")
    team.account.refresh_from_db()
    assert team.account.credit_balance == 20
    assert CreditLedgerEntry.objects.filter(account=team.account).count() == 1


@pytest.mark.django_db
def test_the_database_itself_refuses_a_negative_balance(team):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(pk=team.account.pk).update(credit_balance=-1)


@pytest.mark.django_db
def test_the_balance_equals_the_sum_of_the_ledger(team):
    for amount in (10, -5, 3, -28):
        credits_add(account_id=team.account.pk, amount=amount, kind=LedgerKind.ADJUSTMENT)
    team.account.refresh_from_db()
    total = sum(e.amount for e in CreditLedgerEntry.objects.filter(account=team.account))
    assert team.account.credit_balance == total == 0


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_concurrent_reservations_never_overdraw(team):
    """Twenty threads each take 1 credit from a balance of 20, then ten more try."""
    results: list[str] = []
    barrier = threading.Barrier(30)

    def reserve() -> None:
        try:
            barrier.wait()
            credits_add(account_id=team.account.pk, amount=-1, kind=LedgerKind.RESERVATION)
            results.append("ok")
        except InsufficientCredits:
            results.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=reserve) for _ in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    team.account.refresh_from_db()
    assert results.count("ok") == 20
    assert results.count("refused") == 10
    assert team.account.credit_balance == 0
    assert (
        CreditLedgerEntry.objects.filter(account=team.account, kind=LedgerKind.RESERVATION).count()
        == 20
    )
