import datetime
from decimal import Decimal
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db.models import Count, Sum
from django.utils import timezone

from campaigns.models import Message
from shortener.models import Click, ShortLink
from smsmode.accounts.management.commands.seed_demo import HISTORY
from smsmode.accounts.models import Account, Membership, User
from smsmode.billing.models import CreditLedgerEntry
from smsmode.dashboard import stats
from smsmode.dashboard.models import ClickStat, DailyStat, HourlyStat

pytestmark = pytest.mark.django_db


def _seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def test_it_creates_the_demo_owner_with_a_working_login(client):
    output = _seed("--password", "demo-secret-123")
    assert "demo@example.com" in output
    assert (
        client.post(
            "/accounts/login/", {"login": "demo@example.com", "password": "demo-secret-123"}
        ).status_code
        == 302
    )
    response = client.get("/")
    assert response.status_code == 200
    assert b"Demo Boutique" in response.content


def test_it_prints_a_generated_password_once(client):
    first = _seed()
    assert "with password:" in first
    password = first.rsplit("with password:", 1)[1].strip()
    assert User.objects.get(email="demo@example.com").check_password(password)
    second = _seed()
    assert "with password:" not in second
    assert User.objects.get(email="demo@example.com").check_password(password)


def test_it_is_idempotent():
    _seed("--password", "demo-secret-123")
    _seed("--password", "demo-secret-123")
    account = Account.objects.get(name="Demo Boutique")
    assert Account.objects.filter(name="Demo Boutique").count() == 1
    assert Membership.objects.filter(account=account).count() == 3
    # The ledger is one chain: in date order, each row's balance follows the last.
    balance = Decimal(0)
    for entry in CreditLedgerEntry.objects.filter(account=account).order_by("created_at", "pk"):
        balance += entry.amount
        assert entry.balance_after == balance >= 0
    assert account.credit_balance == balance >= 0
    spent = sum(c.credits_reserved - c.credits_refunded for c in account.campaigns.all())
    assert spent > 0
    assert account.plan.code == "medium"
    # the plan and two packs this week; the packs of 10,000 bought over three months
    packs = account.orders.filter(provider_ref__startswith="demo-history").count()
    assert packs >= 2
    assert account.orders.filter(status="paid").count() == 3 + packs
    assert account.orders.filter(status="pending").count() == 1
    assert account.invoices.count() == 4 + packs
    # 300 contacts, then an import of 80 new numbers and 3 known ones
    assert account.contacts.count() == 380
    assert account.lists.count() == 4
    # every contact is in one list, 40 more are also in "Newsletter", and the import's
    # 83 valid numbers are in its list
    assert sum(account.lists.values_list("contact_count", flat=True)) == 300 + 40 + 83
    statuses = dict(account.campaigns.values_list("name", "status"))
    assert statuses == {
        "Black Friday": "sent",
        "Soldes d'hiver": "scheduled",
        "Rappel : retrait en boutique": "sending",
    } | {spec[3]: "sent" for spec in HISTORY}
    sale = account.campaigns.get(name="Black Friday")
    assert sale.messages.filter(status="delivered").count() > 0.9 * sale.recipients
    assert sale.credits_refunded > 0 and sale.replies.filter(is_stop=True).count() == 1
    # Each recipient of the sale had a short link of their own; about one in five clicked.
    assert sale.tracked_links == sale.recipients
    assert 0.1 * sale.recipients < sale.clickers < 0.3 * sale.recipients
    assert sale.clicks >= sale.clickers == sale.messages.filter(clicked_at__isnull=False).count()
    links = account.short_links.filter(campaign__isnull=True).order_by("name")
    assert links.count() == 4 and all(link.clicks > 0 for link in links)
    assert links.filter(expires_at__lt=timezone.now()).count() == 1
    page = account.landing_pages.get()
    assert page.is_published
    assert page.events.filter(kind="view", is_bot=False).count() > 200
    assert page.submissions.exists() and page.events.filter(kind="click").exists()
    assert page.events.filter(campaign__isnull=False).exists()
    assert page.events.order_by("at").first().at < timezone.now() - datetime.timedelta(days=3)
    contact_import = account.imports.get()
    assert (contact_import.status, contact_import.created, contact_import.updated) == (
        "done",
        80,
        3,
    )
    assert (contact_import.skipped_in_file, contact_import.invalid) == (1, 2)
    assert account.optouts.count() == 9


def _counts(account) -> dict:
    return {
        "messages": account.messages.count(),
        "campaigns": account.campaigns.count(),
        "links": account.short_links.count(),
        "clicks": Click.objects.filter(link__account=account).count(),
        "ledger": account.ledger_entries.count(),
        "orders": account.orders.count(),
        "daily": sorted(
            DailyStat.objects.filter(account=account).values_list(
                "day", "kind", "state", "messages"
            )
        ),
    }


def test_it_makes_three_months_of_history_once():
    _seed("--password", "demo-secret-123")
    account = Account.objects.get(name="Demo Boutique")
    before = _counts(account)
    _seed("--password", "demo-secret-123")
    assert _counts(account) == before  # a second run adds nothing
    now = timezone.now()
    counted = Message.objects.filter(account=account, status__in=stats.COUNTED)
    assert 20_000 <= counted.count() <= 40_000
    moments = sorted(m.submitted_at or m.final_at for m in counted.only("submitted_at", "final_at"))
    assert moments[0] < now - datetime.timedelta(days=80)
    assert moments[-1] <= now
    by_state = dict(counted.values_list("status").annotate(n=Count("id")).order_by())
    assert 0.93 < by_state["delivered"] / counted.count() < 0.97
    assert {"undelivered", "expired", "rejected", "failed", "unknown"} <= set(by_state)
    assert {"Orange France", "SFR", "Bouygues", "Free Mobile"} <= set(
        counted.values_list("operator", flat=True).distinct()
    )
    api = counted.filter(campaign__isnull=True)
    assert api.count() > 3000 and not api.filter(kind="marketing").exists()
    # Marketing: Tuesday to Saturday, 08:00-20:00 in Paris.
    paris = ZoneInfo("Europe/Paris")
    for message in counted.filter(kind="marketing").only("submitted_at", "final_at"):
        local = (message.submitted_at or message.final_at).astimezone(paris)
        assert local.weekday() != 6 and 8 <= local.hour < 20, local
    # Each sent campaign's figures are its messages'.
    for campaign in account.campaigns.filter(status="sent"):
        messages = campaign.messages.all()
        assert campaign.recipients == messages.count()
        assert campaign.segments == messages.aggregate(n=Sum("segments"))["n"]
        assert campaign.credits_reserved == messages.aggregate(n=Sum("cost"))["n"]
        assert (
            campaign.credits_refunded
            == (messages.filter(status__in=["rejected", "failed"]).aggregate(n=Sum("cost"))["n"])
        )
        assert campaign.tracked_links == ShortLink.objects.filter(campaign=campaign).count()
        assert campaign.clickers == messages.filter(clicked_at__isnull=False).count()
        people = Click.objects.filter(link__campaign=campaign, is_bot=False)
        assert campaign.clicks == people.count() >= campaign.clickers
        assert campaign.launched_at < now and campaign.completed_at >= campaign.launched_at
    # The dashboard's aggregates are those of a rebuild, and count every message.
    daily = sorted(
        DailyStat.objects.filter(account=account).values_list(
            "day", "kind", "operator", "state", "messages", "segments"
        )
    )
    assert sum(row[4] for row in daily) == counted.count()
    assert sum(HourlyStat.objects.filter(account=account).values_list("messages", flat=True)) == (
        counted.count()
    )
    clicks = sorted(
        ClickStat.objects.filter(account=account).values_list("day", "clicks", "clickers")
    )
    assert (
        sum(row[1] for row in clicks)
        == Click.objects.filter(link__account=account, is_bot=False).count()
    )
    stats.rebuild(account)
    assert daily == sorted(
        DailyStat.objects.filter(account=account).values_list(
            "day", "kind", "operator", "state", "messages", "segments"
        )
    )
    assert clicks == sorted(
        ClickStat.objects.filter(account=account).values_list("day", "clicks", "clickers")
    )
    assert account.credit_balance >= 0
