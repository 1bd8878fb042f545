import pytest

from smsmode.billing.features import account_has_feature, account_seats_left
from smsmode.billing.models import Feature, Plan

pytestmark = pytest.mark.django_db

MATRIX = {
    # plan: (url shortener, landing pages, max users)
    "start": (False, False, 1),
    "classic": (True, False, 3),
    "medium": (True, True, 10),
    "premium": (True, True, None),
}


@pytest.mark.parametrize("code", MATRIX)
def test_the_seeded_plans_follow_the_design_matrix(code):
    plan = Plan.objects.get(code=code)
    shortener, pages, users = MATRIX[code]
    assert plan.has_feature(Feature.URL_SHORTENER) is shortener
    assert plan.has_feature(Feature.LANDING_PAGES) is pages
    assert plan.max_users == users


def test_start_is_the_default_plan():
    assert Plan.default().code == "start"


def test_unknown_features_are_an_error():
    with pytest.raises(ValueError):
        Plan.objects.get(code="premium").has_feature("teleportation")


def test_the_gate_reads_the_accounts_plan(team):
    assert account_has_feature(team.account, "landing_pages")  # medium
    team.account.plan = Plan.objects.get(code="classic")
    assert not account_has_feature(team.account, "landing_pages")


def test_seats_count_members_and_live_invitations(team):
    # medium: 10 users; the team has 3 members.
    assert account_seats_left(team.account) == 7
    team.account.plan = Plan.objects.get(code="premium")
    assert account_seats_left(team.account) is None
