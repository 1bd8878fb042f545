import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from smsmode.accounts.models import Account, Membership, User
from smsmode.billing.models import CreditLedgerEntry

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
    # signup gift, two paid packs, a reservation and a refund; then the demo campaigns:
    # two reservations and the refund of the rejected messages
    assert CreditLedgerEntry.objects.filter(account=account).count() == 8
    spent = sum(c.credits_reserved - c.credits_refunded for c in account.campaigns.all())
    assert account.credit_balance == 20 + 5000 + 1000 - 1240 + 37 - spent
    assert account.plan.code == "medium"
    assert account.orders.filter(status="paid").count() == 3
    assert account.orders.filter(status="pending").count() == 1
    assert account.invoices.count() == 4
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
    }
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
