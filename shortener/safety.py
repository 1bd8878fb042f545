"""What a short link may point to, who is clicking it, and the code in its address.

Pure functions: no database, no settings, nothing compiled per call.

``validate_target_url`` is the only door to a link's destination. It promises an
``http``/``https`` URL that a browser reads exactly as we do: the checks below run on
what a browser would see, not on what a lenient parser makes of the text, because
every known trick against URL filters (``java\\tscript:``, ``//evil``,
``http://good@evil``, ``http://0x7f000001``, ``http:\\\\evil``) is a difference of
reading between the filter and the browser. When in doubt it refuses: a marketer can
always fix a link, a recipient cannot undo a click.

``is_bot`` tells clicks made by a person from fetches made by a machine (link
previews, crawlers, scanners, scripts), so that click statistics count people.

``generate_code`` draws the random part of a short link from ``ALPHABET``.
"""

import ipaddress
import re
import secrets
import unicodedata
from typing import Final

from django.utils.translation import gettext, gettext_noop

MAX_URL_LENGTH: Final = 2048  # what every browser, proxy and SMS gateway handles

_MESSAGES: Final = {
    "empty": gettext_noop("Enter the web address the short link should open."),
    "too_long": gettext_noop("This web address is too long: 2,048 characters at most."),
    "scheme": gettext_noop(
        "Only web addresses that start with http:// or https:// can be shortened."
    ),
    "characters": gettext_noop(
        "This web address contains spaces, backslashes or invisible characters: "
        "remove them (write a space as %20)."
    ),
    "credentials": gettext_noop(
        "Remove the user name and password from this web address (the part before @)."
    ),
    "host": gettext_noop("This web address has no valid domain name, such as example.com."),
    "private_host": gettext_noop(
        "This web address points to a private or local network, which the recipients "
        "of your SMS cannot reach."
    ),
    "port": gettext_noop("The port of this web address must be a number between 1 and 65535."),
}


class TargetUrlError(ValueError):
    """A web address a short link must not redirect to.

    ``code`` is one of: empty, too_long, scheme, characters, credentials, host,
    private_host, port; ``message`` is translated into the active language at the
    time the error is raised.
    """

    def __init__(self, code: str) -> None:
        self.code = code
        self.message = gettext(_MESSAGES[code])
        super().__init__(self.message)


# --- Target URL ----------------------------------------------------------------

# What a browser ignores before reading a URL (WHATWG URL standard): C0 controls and
# spaces around it, tabs and newlines anywhere. "java\tscript:" is "javascript:".
_BROWSER_TRIM: Final = "".join(chr(c) for c in range(0x21))
_BROWSER_REMOVE: Final = re.compile(r"[\t\n\r]")
_SCHEME: Final = re.compile(r"([a-zA-Z][a-zA-Z0-9+.\-]*):")

# Unicode categories refused anywhere: controls (Cc: NUL, tab, newline, DEL, C1),
# format characters (Cf: zero-width spaces and joiners, bidi overrides that make
# "moc.evil" read "live.com", soft hyphen, BOM), surrogates and private use, and
# every kind of space. A backslash is refused too: browsers read it as "/" in http
# URLs ("http://evil.example\@good.example" goes to evil.example) where Python and
# RFC 3986 read it as a character, and a real URL encodes it as %5C.
_REFUSED_CATEGORIES: Final = frozenset({"Cc", "Cf", "Cs", "Co", "Zs", "Zl", "Zp"})

_AUTHORITY_END: Final = re.compile(r"[/?#]")
_PORT: Final = re.compile(r"[0-9]{1,5}")

# A DNS label after IDNA encoding. Underscores are accepted below the top level
# (browsers open "my_shop.example.com"), never in the top-level domain.
_LABEL: Final = re.compile(r"[a-z0-9_](?:[a-z0-9_\-]{0,61}[a-z0-9_])?")
_TOP_LEVEL: Final = re.compile(r"[a-z]{2,63}|xn--[a-z0-9\-]{1,59}")
_MAX_HOST_LENGTH: Final = 253

# Python's IDNA codec is IDNA 2003, which maps these to other letters ("straße.de"
# becomes "strasse.de") where browsers keep them (IDNA 2008 / UTS 46): the link
# would silently lead somewhere else than the address the customer typed.
_IDNA_DEVIATIONS: Final = frozenset("\u00df\u03c2")

# Names that resolve to the visitor's own machine or network: *.localhost is the
# loopback in browsers (RFC 6761), .local is multicast DNS, .internal and home.arpa
# are reserved for private networks.
_PRIVATE_SUFFIXES: Final = (".localhost", ".local", ".internal", ".home.arpa")

# WHATWG IPv4 number parts: "0x7f" hex, "0177" octal, "127" decimal.
_IPV4_PART: Final = {
    16: re.compile(r"[0-9a-f]*"),
    8: re.compile(r"[0-7]*"),
    10: re.compile(r"[0-9]+"),
}
_NOT_AN_IP: Final = -1


def validate_target_url(raw: str) -> str:
    """The web address a short link may redirect to, normalised, or TargetUrlError.

    Promises, for the returned string:

    - it starts with ``http://`` or ``https://`` (scheme lower-cased) and a browser
      reads the same scheme, host and port from it as this function did;
    - its host is a domain name with a dot (lower-cased, international names in
      punycode: "Bücher.example" -> "xn--bcher-kva.example") or a public IP
      address written canonically ("8.8.8.8", "[2606:4700::1111]"); never a
      private, loopback, link-local, reserved or multicast address, never a name
      that resolves to the visitor's own network (*.localhost, *.local ...);
    - no user name or password; a port only if between 1 and 65535, written without
      leading zeros;
    - no control character, space, invisible character or backslash anywhere;
    - at most MAX_URL_LENGTH characters;
    - the path, query string and fragment are kept exactly as given (percent
      escapes, UTM parameters and non-ASCII letters included).

    Surrounding whitespace is stripped first. Never touches the network (the host is
    not resolved: a domain may point to a private address, so whatever fetches the
    target server-side must check the address it connects to).
    """
    text = raw.strip() if raw else ""
    if not text:
        raise TargetUrlError("empty")
    if len(text) > MAX_URL_LENGTH:
        raise TargetUrlError("too_long")

    # The scheme as a browser reads it, whatever hides in front of it or inside it.
    seen = _BROWSER_REMOVE.sub("", text.lstrip(_BROWSER_TRIM))
    scheme_match = _SCHEME.match(seen)
    if not scheme_match or scheme_match.group(1).lower() not in ("http", "https"):
        raise TargetUrlError("scheme")

    if any(c == "\\" or unicodedata.category(c) in _REFUSED_CATEGORIES for c in text):
        raise TargetUrlError("characters")

    # From here the text has no control character nor space: it reads as `seen`.
    scheme, _, rest = text.partition(":")
    if not rest.startswith("//"):
        raise TargetUrlError("host")  # "http:example.com", "https:/example.com"
    rest = rest[2:]
    end = _AUTHORITY_END.search(rest)
    authority, tail = (rest[: end.start()], rest[end.start() :]) if end else (rest, "")

    if "@" in authority:
        raise TargetUrlError("credentials")
    host, port = _split_host_port(authority)
    host = _check_host(host)
    if port is not None:
        port = _check_port(port)

    url = f"{scheme.lower()}://{host}{'' if port is None else ':' + port}{tail}"
    if len(url) > MAX_URL_LENGTH:  # punycode is longer than the letters it encodes
        raise TargetUrlError("too_long")
    return url


def _split_host_port(authority: str) -> tuple[str, str | None]:
    """("host", "port") of an authority without credentials; port None if absent."""
    if authority.startswith("["):
        close = authority.find("]")
        if close < 0:
            raise TargetUrlError("host")
        host, after = authority[: close + 1], authority[close + 1 :]
        if not after:
            return host, None
        if not after.startswith(":"):
            raise TargetUrlError("host")
        return host, after[1:]
    host, colon, port = authority.partition(":")
    return host, port if colon else None


def _check_port(port: str) -> str:
    """The port as a decimal number without leading zeros, if within 1-65535."""
    if not _PORT.fullmatch(port) or not 1 <= int(port) <= 65535:
        raise TargetUrlError("port")
    return str(int(port))


def _check_host(host: str) -> str:
    """The host as it goes into the normalised URL, or TargetUrlError."""
    if not host:
        raise TargetUrlError("host")
    if host.startswith("["):
        if "%" in host:  # a zone ("fe80::1%25eth0") only exists on the local link
            raise TargetUrlError("host")
        try:
            ip6 = ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            raise TargetUrlError("host") from None
        if not _is_public(ip6):
            raise TargetUrlError("private_host")
        return f"[{ip6.compressed}]"

    # Browsers percent-decode hosts ("%65vil.com" is evil.com): refuse instead.
    host = host.lower()  # first: the IDNA codec leaves ASCII labels as they are
    if "%" in host or not _IDNA_DEVIATIONS.isdisjoint(host):
        raise TargetUrlError("host")
    try:
        ascii_host = host.encode("idna").decode("ascii")
        ascii_host.encode("ascii").decode("idna")  # refuses broken "xn--" labels
    except UnicodeError:
        raise TargetUrlError("host") from None

    # After IDNA, as in browsers: full-width digits and ideographic full stops are
    # ASCII digits and dots now, so an address written with them is seen below.
    number = _whatwg_ipv4(ascii_host)
    if number != _NOT_AN_IP:
        ip4 = ipaddress.IPv4Address(number)
        if not _is_public(ip4):
            raise TargetUrlError("private_host")
        if ascii_host != str(ip4):  # "0x08080808", "134744072", "8.8.8.8."
            raise TargetUrlError("host")
        return ascii_host

    name = ascii_host.removesuffix(".")
    labels = name.split(".")
    if (
        len(labels) < 2
        or len(name) > _MAX_HOST_LENGTH
        or not all(_LABEL.fullmatch(label) for label in labels)
        or not _TOP_LEVEL.fullmatch(labels[-1])
    ):
        raise TargetUrlError("host")
    if f".{name}".endswith(_PRIVATE_SUFFIXES):
        raise TargetUrlError("private_host")
    return ascii_host


def _whatwg_ipv4(host: str) -> int:
    """The IPv4 address a browser reads in ``host``, _NOT_AN_IP for a domain name.

    The WHATWG URL standard makes a host whose last label is a number an IPv4
    address, in any of the forms inet_aton took: "127.1", "2130706433",
    "0x7f000001", "0177.0.0.1". A host that ends in a number but is no valid
    address ("example.123", "1.2.3.4.5", "300.1.1.1") is refused as TargetUrlError
    "host", as browsers refuse it.
    """
    parts = host.split(".")
    if len(parts) > 1 and parts[-1] == "":
        parts.pop()
    last = parts[-1]
    if not (last.isascii() and last.isdigit()) and _ipv4_part(last) is None:
        return _NOT_AN_IP
    numbers = [_ipv4_part(part) for part in parts]
    if len(parts) > 4 or None in numbers:
        raise TargetUrlError("host")
    values = [n for n in numbers if n is not None]
    if any(n > 255 for n in values[:-1]) or values[-1] >= 256 ** (5 - len(values)):
        raise TargetUrlError("host")
    return sum(n * 256 ** (3 - i) for i, n in enumerate(values[:-1])) + values[-1]


def _ipv4_part(part: str) -> int | None:
    """One dot-separated part of a WHATWG IPv4 address, None if it is not a number."""
    if not part:
        return None
    radix = 10
    if part[:2] in ("0x", "0X"):
        radix, part = 16, part[2:]
    elif len(part) > 1 and part[0] == "0":
        radix, part = 8, part[1:]
    if not part and radix != 10:
        return 0  # "0x" is 0
    if not _IPV4_PART[radix].fullmatch(part.lower()):
        return None
    return int(part, radix)


def _is_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """True for an address on the public internet, IPv4 inside IPv6 included."""
    if (
        not ip.is_global
        or ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
    ):
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = [ip.ipv4_mapped, ip.sixtofour, *(ip.teredo or ())]
        return all(_is_public(v4) for v4 in embedded if v4 is not None)
    return True


# --- Bots ----------------------------------------------------------------------

# Fetchers that open a link with no person behind the request, matched
# case-insensitively anywhere in the user agent (at its start where anchored by ^).
#
# - "bot" as the end of a word (Googlebot, bingbot, Applebot, DuckDuckBot,
#   YandexBot, Twitterbot, TelegramBot, Discordbot, LinkedInBot, Slackbot and
#   Slackbot-LinkExpanding, redditbot, Pinterestbot, AdsBot-Google, Facebot, GPTBot,
#   "Snap URL Preview Service; bot" ...), except in "Cubot": a brand of Android phones
#   whose model names ("CUBOT_P20", "CUBOT MAX") are in their browsers' user agents.
#   "bot" inside a word is no bot ("fuboTV", "Caboto").
# - Other generic words: "crawl", "spider" (Baiduspider, Bytespider), "slurp"
#   (Yahoo), "preview" (BingPreview, SkypeUriPreview that Skype and Teams use,
#   MicrosoftPreview, "Google Web Preview"), "headless" (HeadlessChrome), "fetcher",
#   "linkexpander", "linkcheck", "link resolver" (Kaspersky), "lighthouse",
#   "pagespeed", browser automation (Selenium, Playwright, Puppeteer, PhantomJS).
# - Link previews that name no bot: facebookexternalhit and facebookcatalog (also
#   sent by Apple's Messages app, see below), meta-externalagent/fetcher, Google
#   Messages ("googlemessages/15.1"), Bluesky ("cardyb"), Discourse ("Onebox"),
#   Embedly, Iframely, vkShare, LINE's line-poker, Pinterest/0.x, ia_archiver,
#   Google's fetchers without "bot" in their name (APIs-Google, Mediapartners-Google,
#   FeedFetcher-Google, Google-InspectionTool, Google-Read-Aloud, GoogleOther,
#   GoogleImageProxy ...), assistants reading a page for someone (ChatGPT-User,
#   Perplexity-User, anthropic-ai).
# - Microsoft Office checking a link before it opens the browser ("Microsoft Office
#   Existence Discovery", "Microsoft Office/16.0 (... Microsoft Outlook ...)",
#   "ms-office", "MSOffice"). Outlook Safe Links and the other mail scanners browse
#   with an ordinary desktop Chrome user agent from their cloud: no user-agent rule
#   can see them (only their IP ranges could), so none is attempted.
# - HTTP libraries and tools, which no person browses with: curl, Wget,
#   python-requests / Python-urllib / httpx / aiohttp, Go-http-client, Java, okhttp,
#   Apache-HttpClient, axios, node-fetch, undici, libwww-perl, LWP, Scrapy, http.rb
#   (Mastodon servers fetching previews); and the default user agents of Android and
#   iOS apps fetching in the background, "Dalvik/2.1.0 (Linux; U; Android ...)" and
#   "AppName/1 CFNetwork/... Darwin/...": that is how messaging apps build link
#   previews on the phone itself, while an app's web view, where a person reads the
#   page, sends a "Mozilla/5.0 ..." browser user agent.
#
# Judgement calls:
#
# - In-app browsers are people: Facebook (FBAN/FBIOS, FB_IAB/FB4A), Messenger,
#   Instagram, Snapchat, LINE, Telegram ("Telegram-Android"), TikTok, Twitter/X,
#   LinkedIn ("LinkedInApp"), Pinterest ("[Pinterest/Android]"), Viber, WeChat.
#   Their app name sits at the end of a "Mozilla/5.0 ..." user agent, so app names
#   are only matched where their fetchers put them: "WhatsApp/2.23.20 A" (WhatsApp's
#   previews, also borrowed by Signal and many preview fetchers), "Snapchat/...",
#   "Viber/..." and "facebook..." at the start; "TelegramBot", "LinkedInBot",
#   "Pinterestbot" and "Pinterest/0." rather than Telegram, LinkedIn or Pinterest.
# - Apple's Messages app (iMessage, and SMS from a sender in the contacts) fetches
#   its preview as "... Safari/601.2.4 facebookexternalhit/1.1 Facebot
#   Twitterbot/1.0": a bot. The person tapping the link then arrives with Safari.
# - Previews that a phone fetches with a plain browser user agent, and scanners
#   that pretend to be Chrome, are counted as people: nothing in the request tells
#   them apart.
# - An empty user agent is a bot: every browser sends one.
_BOT_USER_AGENT: Final = re.compile(
    r"""
      (?<!cu)bots?(?:\b|_) | crawl | spider | slurp | preview | headless | lighthouse
    | fetcher | linkexpander | linkcheck | link\ resolver | pagespeed
    | phantomjs | selenium | playwright | puppeteer
    | facebookexternalhit | facebookcatalog | meta-external | ^facebook
    | ^whatsapp | ^snapchat | ^viber | line-poker | googlemessages | cardyb | onebox
    | embedly | iframely | vkshare | pinterest/\d | ia_archiver | archive\.org
    | apis-google | mediapartners-google | feedfetcher-google | duplexweb-google
    | google-(?:inspectiontool|read-aloud|safety|site-verification|pagerenderer
               |structured-data|extended|cloud|adwords)
    | googleother | googleimageproxy | google\ favicon | google\ search\ console
    | chatgpt-user | perplexity-user | anthropic-ai
    | microsoft\ office | ms-office | msoffice
    | curl/ | wget | python | httpx | aiohttp | go-http-client | \bjava/ | okhttp
    | apache-httpclient | axios/ | node-fetch | undici | libwww-perl | ^lwp[-:] | scrapy
    | http\.rb/ | dalvik/ | cfnetwork/
    """,
    re.IGNORECASE | re.VERBOSE,
)


def is_bot(user_agent: str) -> bool:
    """True when the request comes from a machine, not from a person clicking.

    True for crawlers, link-preview fetchers of messaging and social apps, security
    scanners that identify themselves, HTTP libraries and an empty user agent. False
    for the browsers people use, in-app browsers of social apps included (see the
    judgement calls above ``_BOT_USER_AGENT``). Case-insensitive, never raises.
    """
    if not user_agent or not user_agent.strip():
        return True
    return _BOT_USER_AGENT.search(user_agent) is not None


# --- Codes ---------------------------------------------------------------------

# Digits and lower-case letters without the ones people mistake for each other when
# they read a code off a phone screen and type it: 0 o (zero, o), 1 l i (one, el,
# i). Upper-case letters are left out entirely (O/0, I/l, and phones capitalise the
# first letter typed): a code is lower-case only, so a lookup can lower-case what it
# receives. 31 characters: 31**6 is 887 million codes, 31**8 is 852 billion.
ALPHABET: Final = "23456789abcdefghjkmnpqrstuvwxyz"

MIN_CODE_LENGTH: Final = 4


def generate_code(length: int) -> str:
    """A code of ``length`` characters of ALPHABET, from the secrets module.

    Every character is drawn independently and uniformly (``secrets.choice``), so
    codes cannot be guessed from earlier ones. Unique only by probability: the
    caller checks the database and draws again on a collision. Raises ValueError
    when ``length`` is below MIN_CODE_LENGTH (4).
    """
    if length < MIN_CODE_LENGTH:
        raise ValueError(f"a code has at least {MIN_CODE_LENGTH} characters, not {length}")
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


# Bytes 0..247 map evenly onto the 31 characters (8 * 31 = 248); 248..255 are dropped.
_CODE_TABLE: Final = bytes(ord(ALPHABET[b % len(ALPHABET)]) for b in range(256))
_CODE_DROP: Final = bytes(range(8 * len(ALPHABET), 256))


def generate_codes(length: int, count: int) -> list[str]:
    """``count`` codes at once, as uniform and unguessable as ``generate_code`` (random
    bytes from the secrets module, the few that would bias the draw dropped), about a
    hundred times faster: a campaign draws a code per recipient and link."""
    if length < MIN_CODE_LENGTH:
        raise ValueError(f"a code has at least {MIN_CODE_LENGTH} characters, not {length}")
    need = length * count
    chars = b""
    while len(chars) < need:
        chars += secrets.token_bytes(need - len(chars) + need // 16 + 16).translate(
            _CODE_TABLE, _CODE_DROP
        )
    text = chars[:need].decode("ascii")
    return [text[i : i + length] for i in range(0, need, length)]
