"""Recompute the dashboard's aggregates from the messages and clicks."""

import datetime

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from smsmode.accounts.models import Account
from smsmode.dashboard import stats


def _day(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"not a date (YYYY-MM-DD): {value}") from exc


class Command(BaseCommand):
    help = (
        "Recompute the dashboard statistics of one account or all, for local days "
        "SINCE..UNTIL (inclusive; the whole history by default)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--account", help="the account's id or public id (all by default)")
        parser.add_argument("--since", type=_day, help="first local day, YYYY-MM-DD")
        parser.add_argument("--until", type=_day, help="last local day, YYYY-MM-DD")

    def handle(self, *args, account=None, since=None, until=None, **options) -> None:
        if since and until and since > until:
            raise CommandError("--since is after --until")
        accounts = Account.objects.order_by("pk")
        if account:
            field = "pk" if account.isdigit() else "public_id"
            try:
                accounts = accounts.filter(**{field: account})
                if not accounts.exists():
                    raise CommandError(f"no account {account}")
            except (ValueError, ValidationError) as exc:  # not a UUID
                raise CommandError(f"no account {account}") from exc
        for each in accounts.iterator():
            counted = stats.rebuild(each, since=since, until=until)
            self.stdout.write(f"{each.pk} {each.name}: {counted} messages")
