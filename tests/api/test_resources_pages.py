"""The landing pages resource: list and statistics."""

import pytest

from landingpages.models import LandingPage, PageEvent
from smsmode.accounts.models import Account
from smsmode.billing.models import Plan
from tests.api.conftest import assert_error

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_redis")]

BLOCKS = [
    {"id": "0000000a", "type": "heading", "data": {"text": "Spring sale", "level": 1}},
    {
        "id": "0000000b",
        "type": "button",
        "data": {"label": "Shop", "action": "link", "target": "https://shop.example/"},
    },
]


@pytest.fixture
def page(team) -> LandingPage:
    return LandingPage.objects.create(
        account=team.account, title="Spring", slug="spring-x1", blocks=BLOCKS, status="published"
    )


def test_pages_are_listed_with_their_address(read_api, page, settings):
    settings.SITE_ROOT = "https://app.example"
    data = read_api.get("/api/v1/pages").json()
    assert [item["id"] for item in data["items"]] == [str(page.public_id)]
    item = data["items"][0]
    assert item["url"] == "https://app.example/p/spring-x1"
    assert (item["status"], item["blocks"]) == ("published", 2)


def test_statistics_count_people_not_bots(read_api, page):
    for visitor, bot in (("a", False), ("b", False), ("c", True)):
        PageEvent.objects.create(
            page=page, kind="view", visitor=visitor, is_unique=True, is_bot=bot
        )
    PageEvent.objects.create(page=page, kind="click", block_id="0000000b", visitor="a")
    data = read_api.get(f"/api/v1/pages/{page.public_id}/statistics").json()
    assert (data["views"], data["uniqueViews"], data["botViews"]) == (2, 2, 1)
    assert (data["clicks"], data["converted"], data["conversionRate"]) == (1, 1, 0.5)
    assert data["blocks"][0]["clicks"] == 1


def test_another_accounts_page_is_404(outsider_api, page, team):
    Account.objects.filter(pk=team.outsider_account.pk).update(plan=Plan.objects.get(code="medium"))
    assert_error(outsider_api.get(f"/api/v1/pages/{page.public_id}/statistics"), 404, "NOT_FOUND")
    assert outsider_api.get("/api/v1/pages").json()["items"] == []


def test_the_plan_gate(read_api, page, team):
    Account.objects.filter(pk=team.account.pk).update(plan=Plan.objects.get(code="classic"))
    assert_error(read_api.get("/api/v1/pages"), 403, "FEATURE_NOT_IN_PLAN")
    assert_error(
        read_api.get(f"/api/v1/pages/{page.public_id}/statistics"), 403, "FEATURE_NOT_IN_PLAN"
    )
