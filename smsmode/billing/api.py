"""The billing resources of the API: the credit balance and the ledger (read only)."""

from __future__ import annotations

import datetime

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from contacts.api import PageQuery, account_of, answers, keyset
from smsmode.api.auth import api_auth, require_scope
from smsmode.billing.models import CreditLedgerEntry

router = Router(auth=api_auth)


class BalanceOut(Schema):
    credits: str = Field(
        description="The credit balance (a decimal, 2 places).", examples=["20.00"]
    )
    plan: str = Field(description="The plan's code: start, classic, medium ...")
    pricePerSegment: str = Field(description="Credits charged per SMS segment.", examples=["1.000"])


class LedgerEntryOut(Schema):
    kind: str = Field(
        description="signup_gift, purchase, allowance, reservation, refund or adjustment."
    )
    amount: str = Field(description="Credits added (positive) or taken (negative).")
    balanceAfter: str
    description: str
    createdAt: datetime.datetime


class LedgerPage(Schema):
    items: list[LedgerEntryOut]
    nextCursor: str | None


@router.get(
    "balance",
    response=answers({200: BalanceOut}),
    operation_id="getBalance",
    summary="Get the credit balance",
)
def balance(request: HttpRequest) -> dict:
    """The account's credits, plan and price of a segment."""
    require_scope(request, "read")
    account = account_of(request)
    return {
        "credits": str(account.credit_balance),
        "plan": account.plan.code,
        "pricePerSegment": str(account.plan.credits_per_segment),
    }


@router.get(
    "ledger",
    response=answers({200: LedgerPage}),
    operation_id="listLedgerEntries",
    summary="List credit ledger entries",
)
def ledger(request: HttpRequest, page: Query[PageQuery]) -> dict:
    """Every change of the balance, newest first."""
    require_scope(request, "read")
    result = keyset(CreditLedgerEntry.objects.filter(account=account_of(request)), page)
    return {
        "items": [
            {
                "kind": entry.kind,
                "amount": str(entry.amount),
                "balanceAfter": str(entry.balance_after),
                "description": entry.description,
                "createdAt": entry.created_at,
            }
            for entry in result.rows
        ],
        "nextCursor": result.next_cursor,
    }
