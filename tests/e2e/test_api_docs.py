import pytest

from tests.e2e.conftest import screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_the_api_docs_page_renders_under_the_csp(page):
    page.goto("/api/docs")
    page.locator(".swagger-ui .info").wait_for(timeout=15_000)
    assert "smsmode API" in page.locator(".swagger-ui .info").inner_text()
    page.get_by_text("/sms/v1/messages").first.wait_for()
    screenshot(page, "70-api-docs")
    assert not page.csp_violations
