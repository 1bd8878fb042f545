"""Customer-area pages against a bare Django view on the same stack.

The account has 300 members and 300 pending invitations, so a page that queried per
row would show it. Prints the median time per request and the ratio to the baseline.
"""

import statistics
import time

from django.http import HttpResponse
from django.test import Client, override_settings
from django.urls import include, path

from smsmode.accounts.models import Invitation, Membership, Role, User
from smsmode.accounts.services import account_create
from smsmode.billing.models import Plan


def bare(request):
    return HttpResponse("ok")


urlpatterns = [path("bench-bare/", bare), path("", include("smsmode.urls"))]


def _median_ms(client: Client, url: str, rounds: int = 60) -> float:
    for _ in range(5):
        assert client.get(url).status_code == 200, url
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        client.get(url)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def run() -> None:
    owner = User.objects.create_user(email="bench-owner@bench.test", password="x")
    account = account_create(name="Bench", owner=owner, language="en")
    account.plan = Plan.objects.get(code="premium")
    account.save(update_fields=["plan"])
    users = User.objects.bulk_create(
        [User(email=f"member{i}@bench.test", password="!") for i in range(300)]
    )
    Membership.objects.bulk_create(
        [Membership(account=account, user=u, role=Role.MEMBER) for u in users]
    )
    Invitation.objects.bulk_create(
        [Invitation(account=account, email=f"invite{i}@bench.test") for i in range(300)]
    )
    with override_settings(ROOT_URLCONF=__name__, ALLOWED_HOSTS=["testserver"]):
        client = Client()
        client.force_login(owner)
        baseline = _median_ms(client, "/bench-bare/")
        print(f"  baseline (bare view, same middleware): {baseline:.2f} ms")
        for label, url in [
            ("dashboard", "/"),
            ("team, 301 members + 300 invitations", "/team/"),
            ("settings", "/settings/"),
            ("subscription", "/subscription/"),
        ]:
            ms = _median_ms(client, url)
            print(f"  {label}: {ms:.2f} ms  = {ms / baseline:.1f}x baseline")
