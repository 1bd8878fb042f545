"""Fixtures of the /api/v1/ resource tests: clients that send a real API key.

`manage_api` is a "manage" key of the team's account, `read_api` and `send_api` the
narrower scopes, `outsider_api` a "manage" key of another account (team.outsider_account)
that must never see the team's data. Test files that call the API use `fresh_redis`:
the rate limiter and the idempotency records count in Redis (one db per xdist worker).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import django_rq
import pytest
from django.test import Client

from smsmode.accounts.models import Account
from smsmode.api.keys import key_create


class ApiClient:
    """The Django test client with an API key in `X-Api-Key`, JSON in and out."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.client = Client()

    def _headers(self, extra: dict[str, str]) -> dict[str, str]:
        return {"HTTP_X_API_KEY": self.secret, **extra}

    def get(self, path: str, params: dict[str, Any] | None = None, **headers: str) -> Any:
        return self.client.get(path, params or {}, **self._headers(headers))

    def post(self, path: str, body: Any = None, **headers: str) -> Any:
        return self.client.post(
            path,
            data=json.dumps({} if body is None else body),
            content_type="application/json",
            **self._headers(headers),
        )

    def patch(self, path: str, body: Any, **headers: str) -> Any:
        return self.client.patch(
            path, data=json.dumps(body), content_type="application/json", **self._headers(headers)
        )

    def delete(self, path: str, **headers: str) -> Any:
        return self.client.delete(path, **self._headers(headers))


@pytest.fixture
def fresh_redis() -> Iterator[None]:
    """This test worker's own Redis database, empty before and after."""
    connection = django_rq.get_connection("default")
    connection.flushdb()
    yield
    connection.flushdb()


@pytest.fixture
def api_client_for(team) -> Callable[..., ApiClient]:
    """make(scope="manage", account=team.account) -> a client with a new key."""

    def make(scope: str = "manage", account: Account | None = None) -> ApiClient:
        owner = team.owner if account is None or account == team.account else team.outsider
        _key, secret = key_create(
            account=account or team.account, name=f"{scope} key", scope=scope, by=owner
        )
        return ApiClient(secret)

    return make


@pytest.fixture
def manage_api(api_client_for) -> ApiClient:
    return api_client_for("manage")


@pytest.fixture
def send_api(api_client_for) -> ApiClient:
    return api_client_for("send")


@pytest.fixture
def read_api(api_client_for) -> ApiClient:
    return api_client_for("read")


@pytest.fixture
def outsider_api(api_client_for, team) -> ApiClient:
    return api_client_for("manage", team.outsider_account)


def assert_error(response: Any, status: int, code: str, field: str | None = None) -> dict:
    """The one error shape, with this status and code (and the field named first)."""
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code, body
    assert body["message"]
    if field is not None:
        assert body["errors"][0]["field"] == field, body
    return body
