"""Create an API key for a user's account from the command line.

The secret alone goes to stdout, so a script can capture it
(`KEY=$(manage.py create_api_key ops@shop.test --name "Shop")`); the human line goes
to stderr.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from smsmode.accounts.models import ApiScope, Membership, User
from smsmode.api.keys import key_create


class Command(BaseCommand):
    help = (
        "Create an API key in the account of the user with this email; print its secret "
        "(alone, on stdout: it is not stored and cannot be shown again)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email", help="The user the key is created by.")
        parser.add_argument("--name", required=True, help="What the key is for (80 characters).")
        parser.add_argument(
            "--scope",
            default=ApiScope.SEND.value,
            help="read, send (the default) or manage.",
        )
        parser.add_argument(
            "--account", help="The account's name, when the user belongs to several."
        )

    def handle(self, *args: object, **options: object) -> None:
        email = str(options["email"]).strip()
        name = str(options["name"]).strip()
        scope = str(options["scope"]).strip().lower()
        if scope not in ApiScope.values:
            raise CommandError(
                f"Unknown scope '{scope}': choose one of {', '.join(ApiScope.values)}."
            )
        if not name:
            raise CommandError("--name must not be empty.")
        if len(name) > 80:
            raise CommandError("--name is 80 characters at most.")
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            raise CommandError(f"No user with the email {email}.")
        memberships = list(
            Membership.objects.filter(user=user)
            .select_related("account")
            .order_by("account__name", "account__pk")
        )
        if not memberships:
            raise CommandError(f"{email} belongs to no account.")
        wanted = options.get("account")
        names = ", ".join(f"“{m.account.name}”" for m in memberships)
        if wanted:
            chosen = [m for m in memberships if m.account.name == wanted] or [
                m for m in memberships if m.account.name.casefold() == str(wanted).casefold()
            ]
            if not chosen:
                raise CommandError(f"{email} has no account named “{wanted}”; theirs: {names}.")
            if len(chosen) > 1:
                raise CommandError(f"{email} has several accounts named “{wanted}”.")
            membership = chosen[0]
        elif len(memberships) > 1:
            raise CommandError(
                f"{email} belongs to several accounts: pick one with --account. Theirs: {names}."
            )
        else:
            membership = memberships[0]
        key, secret = key_create(account=membership.account, name=name, scope=scope, by=user)
        self.stderr.write(
            f"Created API key “{key.name}” ({key.prefix}…, scope {key.scope}) in account "
            f"“{membership.account.name}”. The secret below is shown only once."
        )
        self.stdout.write(secret)
