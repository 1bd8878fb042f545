"""The contacts screens with 1,000,000 contacts in the account, against a bare view.

Seeds the account in SQL (not measured), then times the table (first page, a later
page, phone / name searches, a list filter), the lists page, and the bulk actions on
"every contact matching the search". Pages print the median of 20 requests and the
ratio to a bare Django view behind the same middleware; bulk actions print one run.
Needs PostgreSQL. BENCH_CONTACTS_ROWS changes the size (default 1,000,000).
"""

import os
import statistics
import time

from django.db import connection
from django.http import HttpResponse
from django.test import Client, override_settings
from django.urls import include, path


def bare(request):
    return HttpResponse("ok")


urlpatterns = [path("bench-bare/", bare), path("", include("smsmode.urls"))]


def _median_ms(client: Client, url: str, rounds: int = 20) -> float:
    for _ in range(3):
        assert client.get(url).status_code == 200, url
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        client.get(url)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def _seed(account_id: int, list_id: int, rows: int) -> None:
    """Contacts +33 6 1x xx xx xx with names and emails; every 10th in the list."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO contacts_contact (public_id, account_id, phone, first_name, "
            "last_name, email, custom, source, created_at, updated_at) "
            "SELECT gen_random_uuid(), %s, '+3361' || lpad(g::text, 7, '0'), "
            "(ARRAY['Jean','Marie','Léa','Hugo','Chloé','Lucas'])[1 + g %% 6], "
            "(ARRAY['Martin','Bernard','Dubois','Thomas','Petit'])[1 + g %% 5] || (g %% 997), "
            "'client' || g || '@example.com', '{}', 'import', "
            "now() - make_interval(secs => g), now() FROM generate_series(1, %s) g",
            [account_id, rows],
        )
        cursor.execute(
            "INSERT INTO contacts_membership (contact_id, contact_list_id, added_at) "
            "SELECT id, %s, now() FROM contacts_contact WHERE account_id = %s AND id %% 10 = 0",
            [list_id, account_id],
        )
        cursor.execute("ANALYZE contacts_contact")
        cursor.execute("ANALYZE contacts_membership")


def run() -> None:
    if connection.vendor != "postgresql":
        print("   skipped: the contacts benchmark needs PostgreSQL (set DATABASE_URL)")
        return
    from contacts.models import Contact, ContactList
    from contacts.services import list_refresh_counts
    from smsmode.accounts.models import User
    from smsmode.accounts.services import account_create

    rows = int(os.environ.get("BENCH_CONTACTS_ROWS", "1000000"))
    owner = User.objects.create_user(email="bench-contacts@bench.test", password="x")
    account = account_create(name="Bench contacts", owner=owner, language="en")
    vip = ContactList.objects.create(account=account, name="VIP")
    started = time.perf_counter()
    _seed(account.pk, vip.pk, rows)
    list_refresh_counts([vip.pk])
    print(f"   seeded {rows:,} contacts in {time.perf_counter() - started:.1f} s")
    cursor_page = Contact.objects.filter(account=account).order_by("-created_at", "-id")[500]

    with override_settings(ROOT_URLCONF=__name__, ALLOWED_HOSTS=["testserver"]):
        client = Client()
        client.force_login(owner)
        baseline = _median_ms(client, "/bench-bare/")
        print(f"   baseline (bare view, same middleware): {baseline:.2f} ms")
        first = client.get("/contacts/").context["next_page_url"]
        assert first, "the first page has a next page"
        for label, url in [
            ("contacts, first page", "/contacts/"),
            ("contacts, next page (keyset)", first),
            ("contacts, sorted by name", "/contacts/?sort=name"),
            ("search by phone prefix", "/contacts/?q=06 12 34"),
            ("search by name prefix", "/contacts/?q=dubois4"),
            ("search by email prefix", "/contacts/?q=client12345"),
            ("filter by list", f"/contacts/?list={vip.public_id}"),
            ("lists page", "/contacts/lists/"),
            ("one contact", f"/contacts/{cursor_page.public_id}/"),
        ]:
            ms = _median_ms(client, url)
            print(f"   {label:32s} {ms:8.2f} ms  = {ms / baseline:6.1f}x baseline")

        target = ContactList.objects.create(account=account, name="Everyone")
        for label, data in [
            ("bulk add all to a list", {"action": "add_to_list", "target_list": target.public_id}),
            (
                "bulk remove all from it",
                {"action": "remove_from_list", "target_list": target.public_id},
            ),
            ("bulk opt out the VIP list", {"action": "opt_out", "list": vip.public_id}),
            (
                "bulk delete the VIP list",
                {"action": "delete", "list": vip.public_id, "confirm": "1"},
            ),
        ]:
            started = time.perf_counter()
            response = client.post("/contacts/bulk/", {"all_matching": "1", **data})
            assert response.status_code == 302, response.status_code
            print(f"   {label:32s} {time.perf_counter() - started:8.2f} s")
    remaining = Contact.objects.filter(account=account).count()
    assert remaining == rows - rows // 10, remaining
