"""Schemathesis over every operation of the API, in process (WSGI), with a real key.

The schema is the app's own /api/openapi.json. Each operation gets a bounded number
of generated requests (MAX_EXAMPLES), valid and invalid ones (NUL bytes included), and
every answer must not be a server error and must be what the schema documents: its
status code, its content type, its body.

Random UUIDs and strings only ever reach the "no such thing" and "invalid" branches,
so about half of the generated ids are swapped for the ids of real objects of the
account, and about half of the generated phone numbers and URLs for valid ones: the
fuzzer then also updates, schedules, deletes and creates for real.
"""

from __future__ import annotations

import hashlib
import logging
import os
import uuid
from collections.abc import Iterator
from urllib.parse import quote

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from campaigns.models import Campaign
from contacts.models import Contact, ContactList, Membership, OptOut
from shortener.services import link_create
from smsmode.accounts.models import Account
from smsmode.api.keys import key_create
from smsmode.wsgi import application

# API_FUZZ_EXAMPLES=500 for a deeper run by hand; 25 keeps the suite under a minute.
MAX_EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "25"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
OPTED_OUT = "+33612345600"

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)
schema.config.generation.update(
    max_examples=MAX_EXAMPLES,
    with_security_parameters=False,  # the real key goes in the header below
    database="none",
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_redis")]


@pytest.fixture(autouse=True)
def _quiet_refusals() -> Iterator[None]:
    """Thousands of 4xx answers are the point here: log server errors only."""
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(level)


@pytest.fixture(autouse=True)
def _keep_the_test_connection() -> Iterator[None]:
    """The requests go through the bare WSGI handler, whose request signals close
    the database connection, and with it the test's transaction (PostgreSQL). Django's
    test client turns that off the same way."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_secret(team) -> str:
    """A "manage" key (every operation is allowed) of an account on a plan with the
    shortener, with a rate limit the fuzzer cannot reach."""
    Account.objects.filter(pk=team.account.pk).update(
        api_rate_limit=1_000_000, default_sender_id="ACME"
    )
    return key_create(account=team.account, name="fuzz", scope="manage", by=team.owner)[1]


@pytest.fixture
def real_ids(team) -> dict[str, str]:
    """One object of each kind in the account, by the first path segment after v1."""
    account = team.account
    contact_list = ContactList.objects.create(account=account, name="Fuzzed")
    contact = Contact.objects.create(account=account, phone="+33612345601", first_name="Anne")
    Membership.objects.create(contact=contact, contact_list=contact_list)
    contact_list.contact_count = 1
    contact_list.save()
    campaign = Campaign.objects.create(
        account=account, name="Fuzzed", body="Hello {first_name}", sender_id="ACME"
    )
    campaign.lists.set([contact_list])
    link = link_create(account=account, url="https://shop.example/promo", by=team.owner)
    OptOut.objects.create(account=account, phone=OPTED_OUT, source=OptOut.Source.MANUAL)
    return {
        "contacts": str(contact.public_id),
        "lists": str(contact_list.public_id),
        "contactId": str(contact.public_id),
        "campaigns": str(campaign.public_id),
        "links": str(link.public_id),
    }


def _heads(value: object) -> bool:
    """A coin toss decided by the generated value itself (reproducible)."""
    return hashlib.sha256(repr(value).encode()).digest()[0] % 2 == 0


def _is_uuid(value: object) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def _make_realistic(case: schemathesis.Case, ids: dict[str, str]) -> None:
    parts = case.path.split("/")
    resource = parts[3] if len(parts) > 3 and parts[1] == "api" else ""
    params = case.path_parameters or {}
    for name, value in list(params.items()):
        if name in ("id", "contactId") and _is_uuid(value) and _heads(value):
            params[name] = ids.get(resource if name == "id" else "contactId", value)
        elif name == "phone" and _heads(value):
            params[name] = OPTED_OUT
    body = case.body
    if isinstance(body, dict):
        if isinstance(body.get("phone"), str) and _heads(body["phone"]):
            digits = int(hashlib.sha256(body["phone"].encode()).hexdigest(), 16) % 10**8
            body["phone"] = f"+336{digits:08d}"
        if isinstance(body.get("url"), str) and _heads(body["url"]):
            body["url"] = "https://shop.example/" + quote(body["url"], safe="")
        if isinstance(body.get("lists"), list) and body["lists"] and _heads(body["lists"]):
            body["lists"] = [ids["lists"]]
        if isinstance(body.get("numbers"), list) and _heads(body["numbers"]):
            body["numbers"] = [*body["numbers"][:5], "+33612345602", "06 12 34 56 03"]


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    database=None,  # no example database written into the work tree
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_as_documented(case, fuzz_secret, real_ids):
    _make_realistic(case, real_ids)
    case.call_and_validate(headers={"X-Api-Key": fuzz_secret}, checks=CHECKS)
