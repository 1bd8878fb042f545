"""Per-recipient page links: the token, the URL rewriting, the merge values."""

import uuid
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import django_rq
import pytest
from django.core import signing
from django.test import Client

from campaigns.models import Message
from contacts.models import Contact
from landingpages.blocks import validate_blocks
from landingpages.models import LandingPage
from landingpages.personalize import (
    SALT,
    message_id_from,
    page_url_with_recipient,
    recipient_token,
    values_for,
)

SITE = "https://app.smsmode.example"


@pytest.fixture(autouse=True)
def _redis():
    connection_ = django_rq.get_connection("default")
    connection_.flushdb()
    yield
    connection_.flushdb()


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_ROOT = SITE


def make_page(account, slug="spring-sale") -> LandingPage:
    return LandingPage.objects.create(
        account=account,
        title="Spring sale",
        slug=slug,
        status="published",
        blocks=validate_blocks(
            [
                {"type": "heading", "data": {"text": "Hello {first_name|there}!"}},
                {
                    "type": "text",
                    "data": {
                        "html": "<p>{first_name} {last_name|}, your shop in {city|your town}: "
                        "code {code}{missing|!}</p>"
                    },
                },
            ]
        ),
    )


def make_message(account, contact=None) -> Message:
    return Message.objects.create(
        account=account,
        contact=contact,
        kind="marketing",
        phone="+33612345678",
        sender="ACME",
        body="x",
        encoding="GSM7",
        segments=1,
        cost=Decimal(1),
        status=Message.Status.DELIVERED,
    )


def make_contact(account, **fields) -> Contact:
    fields = {"phone": "+33612345678", "first_name": "Alice", "last_name": "Martin"} | fields
    return Contact.objects.create(account=account, **fields)


# ---------------------------------------------------------------- the token


def test_a_token_names_its_message_and_nothing_else():
    message_id = uuid.uuid4()
    token = recipient_token(message_id)
    assert message_id_from(token) == message_id
    assert len(token) < 100


def test_the_token_is_django_s_signature_of_the_message_id(settings):
    message_id = uuid.uuid4()
    assert recipient_token(message_id) == signing.Signer(salt=SALT).sign(message_id.hex)
    settings.SECRET_KEY = "another-secret-for-this-test"
    assert recipient_token(message_id) == signing.Signer(salt=SALT).sign(message_id.hex)


def test_a_token_signed_with_a_retired_key_still_works(settings):
    message_id = uuid.uuid4()
    old = recipient_token(message_id)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "the-new-secret-for-this-test"
    assert message_id_from(old) == message_id


def test_an_altered_or_foreign_signed_token_is_refused():
    message_id = uuid.uuid4()
    token = recipient_token(message_id)
    assert message_id_from(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert message_id_from(message_id.hex) is None
    # signed for something else (another salt): not a recipient token
    assert message_id_from(signing.Signer(salt="invitation").sign(message_id.hex)) is None
    assert message_id_from(signing.Signer(salt=SALT).sign("not-a-uuid")) is None
    assert message_id_from("") is None and message_id_from(None) is None
    assert message_id_from("x" * 10_000) is None


@pytest.mark.django_db
def test_the_token_needs_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        page_url_with_recipient(f"{SITE}/p/spring-sale", uuid.uuid4())


# ---------------------------------------------------------------- page_url_with_recipient


def test_our_landing_page_urls_get_the_recipient_s_token():
    message_id = uuid.uuid4()
    url = page_url_with_recipient(f"{SITE}/p/spring-sale", message_id)
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{SITE}/p/spring-sale"
    assert message_id_from(parse_qs(parts.query)["r"][0]) == message_id


def test_the_url_with_its_token_is_a_valid_short_link_target():
    from shortener.safety import validate_target_url

    url = page_url_with_recipient(f"{SITE}/p/spring-sale", uuid.uuid4())
    assert validate_target_url(url) == url


def test_the_query_and_fragment_are_kept_and_an_old_token_replaced():
    message_id = uuid.uuid4()
    url = page_url_with_recipient(f"{SITE}/p/spring-sale?utm_source=sms&r=old#offer", message_id)
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    assert query["utm_source"] == ["sms"]
    assert query["r"] == [recipient_token(message_id)]
    assert parts.fragment == "offer"


@pytest.mark.parametrize(
    "url",
    [
        "https://shop.example/p/spring-sale",  # another site
        "https://app.smsmode.example.evil.example/p/spring-sale",
        f"{SITE}/p/spring-sale/b/0123abcd",  # a button's click, not the page
        f"{SITE}/p/i/5f0c3a52-2c7b-4f5e-9a1d-3d1e2b7c8a90",  # an image
        f"{SITE}/p/",
        f"{SITE}/campaigns/",
        "mailto:someone@example.com",
        "not a url at all",
        "",
    ],
)
def test_any_other_url_is_left_unchanged(url):
    assert page_url_with_recipient(url, uuid.uuid4()) == url


def test_the_host_is_compared_without_case():
    url = page_url_with_recipient("https://APP.smsmode.example/p/spring-sale", uuid.uuid4())
    assert "?r=" in url


# ---------------------------------------------------------------- values_for


@pytest.mark.django_db
def test_a_valid_token_gives_the_contact_s_values(team):
    page = make_page(team.account)
    contact = make_contact(team.account, custom={"city": "Lyon", "code": "X1"})
    message = make_message(team.account, contact)
    values, found = values_for(recipient_token(message.public_id), page)
    assert found == message
    assert values == {"first_name": "Alice", "last_name": "Martin", "city": "Lyon", "code": "X1"}


@pytest.mark.django_db
@pytest.mark.parametrize("token", [None, "", "garbage", "abc:def"])
def test_no_token_or_a_bad_one_gives_neutral_values(team, token):
    page = make_page(team.account)
    assert values_for(token, page) == ({}, None)


@pytest.mark.django_db
def test_a_token_of_another_account_s_message_gives_neutral_values(team):
    page = make_page(team.account)
    theirs = make_message(team.outsider_account, make_contact(team.outsider_account))
    assert values_for(recipient_token(theirs.public_id), page) == ({}, None)


@pytest.mark.django_db
def test_a_message_whose_contact_was_deleted_still_counts_but_fills_nothing(team):
    page = make_page(team.account)
    message = make_message(team.account)
    assert values_for(recipient_token(message.public_id), page) == ({}, message)


# ---------------------------------------------------------------- on the page


def _get(url: str):
    return Client(
        HTTP_USER_AGENT="Mozilla/5.0 (iPhone) Mobile Safari", REMOTE_ADDR="203.0.113.7"
    ).get(url)


@pytest.mark.django_db
def test_the_page_greets_the_recipient_by_name(team):
    page = make_page(team.account)
    contact = make_contact(team.account, custom={"city": "Lyon", "code": "X1"})
    message = make_message(team.account, contact)
    response = _get(f"/p/{page.slug}?r={recipient_token(message.public_id)}")
    html = response.content.decode()
    assert "Hello Alice!" in html
    assert "<p>Alice Martin, your shop in Lyon: code X1!</p>" in html
    assert response["Cache-Control"] == "private, no-store"


@pytest.mark.django_db
def test_merge_values_are_escaped(team):
    page = make_page(team.account)
    contact = make_contact(team.account, first_name="<b>Al</b>", custom={"city": "A & B"})
    message = make_message(team.account, contact)
    html = _get(f"/p/{page.slug}?r={recipient_token(message.public_id)}").content.decode()
    assert "Hello &lt;b&gt;Al&lt;/b&gt;!" in html
    assert "&lt;b&gt;Al&lt;/b&gt; Martin, your shop in A &amp; B" in html
    assert "<b>Al</b>" not in html


@pytest.mark.django_db
def test_without_a_token_the_fallbacks_show(team):
    page = make_page(team.account)
    response = _get(f"/p/{page.slug}")
    html = response.content.decode()
    assert "Hello there!" in html
    # no fallback: nothing; unknown fields: their fallback or nothing
    assert "<p> , your shop in your town: code !</p>" in html
    assert response["Cache-Control"] == "private, no-cache"


@pytest.mark.django_db
def test_a_bad_or_foreign_token_shows_the_fallbacks_without_error(team):
    page = make_page(team.account)
    theirs = make_message(team.outsider_account, make_contact(team.outsider_account))
    for token in ("garbage", recipient_token(uuid.uuid4()), recipient_token(theirs.public_id)):
        response = _get(f"/p/{page.slug}?r={token}")
        assert response.status_code == 200
        html = response.content.decode()
        assert "Hello there!" in html
        assert "?r=" not in html  # a token that names nobody is not carried on
        assert response["Cache-Control"] == "private, no-store"


@pytest.mark.django_db
def test_an_empty_value_takes_the_fallback(team):
    page = make_page(team.account)
    message = make_message(team.account, make_contact(team.account, first_name="  "))
    html = _get(f"/p/{page.slug}?r={recipient_token(message.public_id)}").content.decode()
    assert "Hello there!" in html
