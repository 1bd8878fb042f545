"""The SSRF guard: what a webhook may call, and that we connect to what we checked."""

import shutil
import socket
import ssl
import subprocess

import pytest

from smsmode.webhooks import transport
from smsmode.webhooks.models import WebhookDelivery
from smsmode.webhooks.services import delivery_attempt, message_status_changed
from tests.webhooks.conftest import api_message, start_receiver

REFUSED = [
    "http://127.0.0.1/hook",
    "http://127.8.9.10:8080/hook",
    "http://10.1.2.3/hook",
    "http://172.16.0.1/hook",
    "http://192.168.1.1/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://100.64.0.1/hook",  # carrier-grade NAT: not global
    "http://0.0.0.0/hook",
    "http://224.0.0.1/hook",
    "http://240.0.0.1/hook",
    "http://[::1]:8080/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://[fe80::1]/hook",
    "http://[fd00::1]/hook",
    "http://localhost:8000/hook",  # a name that resolves to loopback
    "http://2130706433/hook",  # 127.0.0.1 as one number
]
MALFORMED = [
    "ftp://hooks.example.com/x",
    "file:///etc/passwd",
    "gopher://127.0.0.1:6379/_INFO",
    "javascript:alert(1)",
    "http:///nohost",
    "http://hooks.example.com:99999/",
    "http://hooks.example.com/a b",
    "",
]


def fake_dns(monkeypatch, names: dict[str, list[str]]) -> list[str]:
    """Resolve these names to these addresses (others as usual); returns the log of
    the names asked."""
    real = socket.getaddrinfo
    asked: list[str] = []

    def getaddrinfo(host, port, *args, **kwargs):
        asked.append(host)
        if host in names:
            value = names[host]
            addresses = value.pop(0) if isinstance(value[0], list) else value
            return [
                (
                    socket.AF_INET6 if ":" in a else socket.AF_INET,
                    socket.SOCK_STREAM,
                    6,
                    "",
                    (a, port),
                )
                for a in addresses
            ]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return asked


@pytest.mark.parametrize("url", REFUSED)
def test_non_public_addresses_are_refused(url, settings):
    settings.DEBUG = False
    settings.WEBHOOK_ALLOWED_HOSTS = []
    with pytest.raises(transport.BlockedUrl):
        transport.resolve(url)
    assert transport.literal_refused(url) or "2130706433" in url


@pytest.mark.parametrize("url", MALFORMED)
def test_urls_other_than_http_and_https_are_refused_even_in_debug(url, settings):
    settings.DEBUG = True
    with pytest.raises(transport.BlockedUrl):
        transport.resolve(url)


def test_a_name_with_one_private_address_among_public_ones_is_refused(monkeypatch, settings):
    settings.DEBUG = False
    fake_dns(monkeypatch, {"mixed.example": ["93.184.216.34", "10.0.0.7"]})
    with pytest.raises(transport.BlockedUrl):
        transport.resolve("https://mixed.example/hook")


def test_a_public_name_is_pinned_to_its_checked_address(monkeypatch, settings):
    settings.DEBUG = False
    fake_dns(monkeypatch, {"hooks.example": ["93.184.216.34"]})
    target = transport.resolve("https://user:p%40ss@Hooks.Example:8443/in?x=1")
    assert (target.address, target.host, target.port) == ("93.184.216.34", "hooks.example", 8443)
    assert target.host_header == "hooks.example:8443" and target.path == "/in?x=1"
    assert target.auth == ("user", "p@ss")


def test_allowed_hosts_and_debug_lift_the_address_check(settings):
    settings.DEBUG = False
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1", "[::1]"]
    assert transport.resolve("http://127.0.0.1:8000/hook").address == "127.0.0.1"
    assert not transport.literal_refused("http://127.0.0.1:8000/hook")
    settings.WEBHOOK_ALLOWED_HOSTS = []
    settings.DEBUG = True
    assert transport.resolve("http://localhost:8000/hook").address in ("127.0.0.1", "::1")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:{port}/hook", "http://localhost:{port}/hook", "ftp://x.test/"]
)
def test_a_refused_url_fails_the_delivery_at_once_and_sends_nothing(team, settings, url):
    settings.DEBUG = False
    settings.WEBHOOK_ALLOWED_HOSTS = []
    receiver = start_receiver()
    try:
        message = api_message(team.account, callback_url_status=url.format(port=receiver.port))
        message_status_changed([message.pk])
        delivery = WebhookDelivery.objects.get()
        assert delivery_attempt(delivery.pk) == "failed"
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()
    delivery.refresh_from_db()
    assert (delivery.state, delivery.last_error, delivery.attempts) == (
        "failed",
        "blocked_address",
        1,
    )
    assert delivery.next_attempt_at is None
    assert receiver.received == []


@pytest.mark.django_db
def test_dns_rebinding_cannot_move_the_request_after_the_check(
    team, receiver, monkeypatch, settings
):
    """The name resolves to the receiver when checked, then to a black hole: the
    request still goes to the checked address (the name is resolved once)."""
    settings.DEBUG = False
    settings.WEBHOOK_ALLOWED_HOSTS = ["rebind.test"]
    settings.WEBHOOK_TIMEOUT = 1
    asked = fake_dns(monkeypatch, {"rebind.test": [["127.0.0.1"], ["10.255.255.1"]]})
    message = api_message(team.account, callback_url_status=receiver.url(host="rebind.test"))
    message_status_changed([message.pk])
    delivery = WebhookDelivery.objects.get()
    assert delivery_attempt(delivery.pk) == "delivered"
    assert asked.count("rebind.test") == 1
    [request] = receiver.received
    assert request.headers["Host"] == f"rebind.test:{receiver.port}"


# ------------------------------------------------------------------ https


def make_cert(tmp_path, name: str):
    key, cert = tmp_path / f"{name}.key", tmp_path / f"{name}.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            f"/CN={name}",
            "-addext",
            f"subjectAltName=DNS:{name}",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture
def tls_receiver(tmp_path):
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed: no certificate for the TLS receiver")
    cert, key = make_cert(tmp_path, "hooks.test")
    names: list[str] = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.sni_callback = lambda sock, name, ctx: names.append(name)
    receiver = start_receiver(wrap=lambda sock: context.wrap_socket(sock, server_side=True))
    receiver.sni = names
    receiver.cert = cert
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


@pytest.mark.django_db
def test_https_is_pinned_too_with_the_right_server_name_and_certificate_check(
    team, tls_receiver, monkeypatch, settings, tmp_path
):
    settings.DEBUG = False
    settings.WEBHOOK_ALLOWED_HOSTS = ["hooks.test", "wrong.test"]
    monkeypatch.setattr(transport, "VERIFY", str(tls_receiver.cert))
    fake_dns(monkeypatch, {"hooks.test": ["127.0.0.1"], "wrong.test": ["127.0.0.1"]})
    port = tls_receiver.port
    good = api_message(team.account, callback_url_status=f"https://hooks.test:{port}/in")
    message_status_changed([good.pk])
    delivery = WebhookDelivery.objects.get()
    assert delivery_attempt(delivery.pk) == "delivered"
    assert tls_receiver.sni == ["hooks.test"]  # SNI is the name, not the IP
    assert tls_receiver.received[0].headers["Host"] == f"hooks.test:{port}"

    # The certificate is checked against the URL's name: another name fails.
    wrong = api_message(team.account, callback_url_status=f"https://wrong.test:{port}/in")
    message_status_changed([wrong.pk])
    delivery = WebhookDelivery.objects.get(message=wrong)
    assert delivery_attempt(delivery.pk) == "pending"
    delivery.refresh_from_db()
    assert delivery.last_error == "tls_error"
    assert len(tls_receiver.received) == 1
