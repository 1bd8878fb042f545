"""Every gated feature against every plan, through every path that exists today:
the feature's page, the navigation, and the seat limit when inviting.

(The API endpoints and jobs of the gated features arrive with their issues; they
ask the same `account_has_feature`.)
"""

import pytest
from django.core import mail

from smsmode.accounts.models import Account, Invitation
from smsmode.billing.features import account_has_feature
from smsmode.billing.models import Feature, Plan

pytestmark = pytest.mark.django_db

PLANS = ["start", "classic", "medium", "premium"]
EXPECTED = {
    # plan: {feature: allowed}
    "start": {Feature.URL_SHORTENER: False, Feature.LANDING_PAGES: False},
    "classic": {Feature.URL_SHORTENER: True, Feature.LANDING_PAGES: False},
    "medium": {Feature.URL_SHORTENER: True, Feature.LANDING_PAGES: True},
    "premium": {Feature.URL_SHORTENER: True, Feature.LANDING_PAGES: True},
}
PAGES = {Feature.URL_SHORTENER: "/shortener/", Feature.LANDING_PAGES: "/landing-pages/"}
NAV_LABELS = {Feature.URL_SHORTENER: "URL shortener", Feature.LANDING_PAGES: "Landing pages"}


def _put_on(team, code: str) -> Account:
    Account.objects.filter(pk=team.account.pk).update(plan=Plan.objects.get(code=code))
    team.account.refresh_from_db()
    return team.account


@pytest.mark.parametrize("code", PLANS)
@pytest.mark.parametrize("feature", list(Feature))
def test_the_gate_page_and_navigation_agree_for_every_plan(owner_client, team, code, feature):
    account = _put_on(team, code)
    allowed = EXPECTED[code][feature]
    assert account_has_feature(account, feature) is allowed

    page = owner_client.get(PAGES[feature])
    assert page.status_code == 200  # never a 500 or a blank page
    content = page.content.decode()
    if allowed:
        assert 'data-testid="upgrade-prompt"' not in content
    else:
        assert 'data-testid="upgrade-prompt"' in content
        assert "/subscription/" in content  # the upgrade button leads somewhere real

    nav = owner_client.get("/").content.decode()
    label = NAV_LABELS[feature]
    item = nav[nav.index(label) : nav.index("</a>", nav.index(label))]
    assert ("(not in your plan)" in item) is not allowed
    assert label in nav  # marked, never hidden


@pytest.mark.parametrize("code", PLANS)
def test_the_seat_limit_of_every_plan(owner_client, team, code, django_capture_on_commit_callbacks):
    account = _put_on(team, code)
    account.memberships.exclude(user=team.owner).delete()
    limit = account.plan.max_users
    invites = (limit - 1) if limit else 12
    for i in range(invites):
        with django_capture_on_commit_callbacks(execute=True):
            response = owner_client.post(
                "/team/invite/", {"email": f"seat{i}@acme.test", "role": "member"}
            )
        assert response.status_code == 302, (code, i)
    if limit:
        refused = owner_client.post(
            "/team/invite/", {"email": "one-too-many@acme.test", "role": "member"}
        )
        assert refused.status_code == 400
        assert not Invitation.objects.filter(email="one-too-many@acme.test").exists()
    assert len(mail.outbox) == invites
