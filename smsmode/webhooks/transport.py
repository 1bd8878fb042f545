"""The outbound HTTP of webhooks: one function, `post`, with the SSRF guard in front.

A webhook URL is typed by a customer, and our workers sit inside our network: without
a guard, `http://169.254.169.254/…` or `http://10.0.0.5:6379/` would make us call our
own cloud metadata or databases. So before connecting, `resolve` reads the URL
(http or https only, a host, a valid port), resolves the host name once, and refuses
the URL when any of its addresses is loopback, private, link-local, reserved,
multicast, unspecified or otherwise not globally routable (IPv4-mapped IPv6 addresses
are read as the IPv4 address they carry). `settings.DEBUG` or a host listed in
`settings.WEBHOOK_ALLOWED_HOSTS` skips the address check (never the scheme check).

DNS rebinding: a name can resolve to a public address when we check it and to
127.0.0.1 a moment later when the HTTP library resolves it again. We therefore do not
let the library resolve anything: the request goes to the very address we checked
(the URL is rewritten to that IP), with the original `Host` header, and for https the
TLS server name (SNI) and certificate check use the original host name. No proxy is
taken from the environment (a proxy would resolve the name itself), and redirects are
not followed (a 3xx is a failed attempt: it could point anywhere).
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter

MAX_URL_LENGTH = 2048
USER_AGENT = "smsmode-webhooks/1.0"
# What requests verifies certificates with; the tests point it at their own CA.
VERIFY: bool | str = True


class BlockedUrl(Exception):
    """A URL we refuse to call: not http(s), malformed, or a non-public address."""

    code = "blocked_address"


class TransportError(Exception):
    """The attempt did not get an HTTP answer: worth trying again later."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # lower case, no brackets
    port: int
    path: str  # path and query, at least "/"
    address: str  # the checked IP we connect to
    host_header: str
    auth: tuple[str, str] | None


def _allowed_host(host: str) -> bool:
    allowed = {h.lower().strip("[]") for h in getattr(settings, "WEBHOOK_ALLOWED_HOSTS", [])}
    return bool(settings.DEBUG) or host in allowed


def is_public_address(value: str) -> bool:
    """True for an address anyone on the internet can reach; False for loopback,
    private, link-local, reserved, multicast, unspecified and the like."""
    ip = ipaddress.ip_address(value.split("%", 1)[0])  # drop an IPv6 zone ("%eth0")
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    blocked = (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
    )
    return not blocked and ip.is_global


def parse(url: str) -> tuple[str, str, int, str, tuple[str, str] | None]:
    """(scheme, host, port, path, auth) of an http(s) URL; raises BlockedUrl."""
    if not url or len(url) > MAX_URL_LENGTH or any(c.isspace() or c == "\\" for c in url):
        raise BlockedUrl(url)
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
    except ValueError:  # e.g. "http://[::1"
        raise BlockedUrl(url) from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not hostname:
        raise BlockedUrl(url)
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        raise BlockedUrl(url) from None
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    auth = None
    if parts.username is not None:
        auth = (unquote(parts.username), unquote(parts.password or ""))
    return scheme, hostname.lower(), port, path, auth


def literal_refused(url: str) -> bool:
    """For forms: a URL refused without asking DNS (bad syntax, `localhost`, or a
    literal non-public IP). The real check runs again at each attempt."""
    try:
        _scheme, host, _port, _path, _auth = parse(url)
    except BlockedUrl:
        return True
    if _allowed_host(host):
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return not is_public_address(host)
    except ValueError:
        return False  # a name: checked when it is resolved


def resolve(url: str) -> Target:
    """Read the URL, resolve its host once and check every address. Raises
    BlockedUrl (refused: never worth a retry) or TransportError("dns_error")."""
    scheme, host, port, path, auth = parse(url)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise TransportError("dns_error", str(exc)) from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise TransportError("dns_error", "no address")
    if not _allowed_host(host) and not all(is_public_address(a) for a in addresses):
        # Every address, not just the one we would pick: a name that also points
        # inside is refused as a whole.
        raise BlockedUrl(url)
    default_port = 443 if scheme == "https" else 80
    display = f"[{host}]" if ":" in host else host
    host_header = display if port == default_port else f"{display}:{port}"
    return Target(scheme, host, port, path, addresses[0], host_header, auth)


class _PinnedAdapter(HTTPAdapter):
    """Connects to the IP in the URL but speaks TLS to the original host name:
    SNI and the certificate's host name check use `server_hostname`."""

    def __init__(self, server_hostname: str, **kwargs: Any) -> None:
        self.server_hostname = server_hostname
        super().__init__(max_retries=0, **kwargs)

    def build_connection_pool_key_attributes(
        self, request: requests.PreparedRequest, verify: Any, cert: Any = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(
            request, verify, cert
        )
        if host_params["scheme"] == "https":
            pool_kwargs["server_hostname"] = self.server_hostname
            pool_kwargs["assert_hostname"] = self.server_hostname
        return host_params, pool_kwargs


@dataclass(frozen=True)
class Response:
    status_code: int


def post(url: str, *, body: bytes, headers: dict[str, str], timeout: float) -> Response:
    """POST `body` to `url` through the guard. Raises BlockedUrl or TransportError
    (codes: dns_error, timeout, connection_error, tls_error, http_error)."""
    target = resolve(url)
    address = f"[{target.address}]" if ":" in target.address else target.address
    pinned_url = f"{target.scheme}://{address}:{target.port}{target.path}"
    session = requests.Session()
    session.trust_env = False  # no proxy, no .netrc from the environment
    adapter = _PinnedAdapter(target.host)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    request_headers = {"User-Agent": USER_AGENT, **headers, "Host": target.host_header}
    try:
        answer = session.post(
            pinned_url,
            data=body,
            headers=request_headers,
            auth=target.auth,
            timeout=(timeout, timeout),
            allow_redirects=False,
            stream=True,  # the body is not read: only the status matters
            verify=VERIFY,
        )
        answer.close()
    except requests.exceptions.SSLError as exc:
        raise TransportError("tls_error", str(exc)) from None
    except requests.exceptions.Timeout as exc:
        raise TransportError("timeout", str(exc)) from None
    except requests.exceptions.ConnectionError as exc:
        raise TransportError("connection_error", str(exc)) from None
    except requests.exceptions.RequestException as exc:
        raise TransportError("http_error", str(exc)) from None
    finally:
        session.close()
    return Response(status_code=answer.status_code)
