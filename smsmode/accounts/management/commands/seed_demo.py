"""Create (or refresh) the demo account: idempotent, safe to run at every start."""

import secrets

from allauth.account.models import EmailAddress
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from smsmode.accounts.models import Account, Membership, Role, User
from smsmode.accounts.services import account_create
from smsmode.billing.models import LedgerKind, Plan
from smsmode.billing.services import credits_add

DEMO_EMAIL = "demo@example.com"
DEMO_ACCOUNT = "Demo Boutique"
DEMO_CREDITS = 5000


class Command(BaseCommand):
    help = "Create the demo owner demo@example.com and a demo account with data (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--password", help="The demo password; printed once if not given.")

    def handle(self, *args: object, **options: object) -> None:
        password = options.get("password")
        with transaction.atomic():
            user, created = User.objects.get_or_create(
                email=DEMO_EMAIL, defaults={"first_name": "Demo", "last_name": "User"}
            )
            if created or password:
                password = password or secrets.token_urlsafe(12)
                user.set_password(password)
                user.save(update_fields=["password"])
            EmailAddress.objects.update_or_create(
                user=user, email=DEMO_EMAIL, defaults={"verified": True, "primary": True}
            )
            membership = (
                Membership.objects.select_related("account")
                .filter(user=user, account__name=DEMO_ACCOUNT)
                .first()
            )
            if membership is None:
                account = account_create(name=DEMO_ACCOUNT, owner=user, language="fr")
            else:
                account = membership.account
            premium = Plan.objects.filter(code="premium").first()
            updates = {"default_sender_id": "DEMOSHOP"}
            if premium:
                updates["plan"] = premium
            Account.objects.filter(pk=account.pk).update(**updates)
            if not account.ledger_entries.filter(kind=LedgerKind.PURCHASE).exists():
                credits_add(
                    account_id=account.pk,
                    amount=DEMO_CREDITS,
                    kind=LedgerKind.PURCHASE,
                    description="Demo credit pack",
                )
            self._team(account)
        self.stdout.write(self.style.SUCCESS(f"Demo account ready: {DEMO_ACCOUNT}"))
        if created or options.get("password"):
            self.stdout.write(f"Log in as {DEMO_EMAIL} with password: {password}")

    def _team(self, account: Account) -> None:
        """Two teammates, so the team page and the roles show something real."""
        for email, role in (("marie@example.com", Role.ADMIN), ("lucas@example.com", Role.MEMBER)):
            mate, made = User.objects.get_or_create(email=email)
            if made:
                mate.set_unusable_password()
                mate.save(update_fields=["password"])
            Membership.objects.get_or_create(account=account, user=mate, defaults={"role": role})
