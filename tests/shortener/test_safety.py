"""shortener.safety: where a short link may lead, who clicks it, and its random code.

Pure functions: no database. The hostile URLs are the classic payloads that get past
URL filters which read a URL differently from a browser.
"""

# ruff: noqa: RUF001  (full-width digits and look-alike letters are what some tests are about)
import urllib.parse

import pytest

from shortener import safety
from shortener.safety import (
    ALPHABET,
    MAX_URL_LENGTH,
    TargetUrlError,
    generate_code,
    is_bot,
    validate_target_url,
)


def refusal(raw: str) -> str:
    with pytest.raises(TargetUrlError) as caught:
        validate_target_url(raw)
    return caught.value.code


# --- Refused URLs --------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["", "   ", "\t\n ", "\u00a0"])
def test_an_empty_address_is_refused(raw):
    assert refusal(raw) == "empty"


def test_an_address_of_2049_characters_is_refused_and_one_of_2048_is_accepted():
    base = "https://example.com/"
    assert len(base + "a" * (2049 - len(base))) == 2049
    assert refusal(base + "a" * (2049 - len(base))) == "too_long"
    at_limit = base + "a" * (MAX_URL_LENGTH - len(base))
    assert validate_target_url(at_limit) == at_limit


def test_an_address_that_punycode_makes_longer_than_the_limit_is_refused():
    base = "https://bücher.example/"
    raw = base + "a" * (MAX_URL_LENGTH - len(base))
    assert len(raw) == MAX_URL_LENGTH
    assert refusal(raw) == "too_long"  # "xn--bcher-kva" is 7 characters longer


@pytest.mark.parametrize(
    "raw",
    [
        "javascript:alert(1)",
        "JAVASCRIPT:alert(1)",
        "JaVaScRiPt:alert(1)",
        " javascript:alert(1)",
        "\x01javascript:alert(1)",  # browsers skip leading control characters
        "\x00 javascript:alert(1)",
        "java\tscript:alert(1)",  # browsers remove tabs and newlines anywhere
        "java\nscript:alert(1)",
        "jav\r\nascript:alert(1)",
        "jav&#x09;ascript:alert(1)",
        "jav&#9;ascript:alert(1)",
        "%6Aavascript:alert(1)",
        "\u200bjavascript:alert(1)",
        "javascript://example.com/%0Aalert(1)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "DATA:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "file:///etc/passwd",
        "ftp://example.com/file",
        "mailto:someone@example.com",
        "tel:+33612345678",
        "sms:+33612345678?body=hi",
        "intent://scan/#Intent;scheme=zxing;end",
        "//evil.example",
        "//evil.example/path",
        "\\\\evil.example",
        "/relative/path",
        "example.com",
        "www.example.com/promo",
        "example.com:8080/promo",
        "https//example.com",
        "ht tp://example.com",
    ],
)
def test_anything_but_http_and_https_is_refused(raw):
    assert refusal(raw) == "scheme"


@pytest.mark.parametrize(
    "raw",
    [
        "http://exa mple.com",
        "https://example.com/a b",
        "https://example.com/?q=a b",
        "https://example.com/a\u00a0b",
        "https://example.com/a\u3000b",
        "https://example.com/\x00",  # not whitespace: not stripped
        "https://example.com/\x7f",
        "https://example.com/a\x85b",
        "\x01https://example.com/",
        "ht\ttp://example.com/",  # a browser would read http: refused all the same
        "https://example.com/\r\nSet-Cookie: session=1",  # header injection
        "https://example.com/\u200b",  # zero-width space
        "https://exa\u00admple.com/",  # soft hyphen
        "https://example.com/\u202egnp.exe",  # right-to-left override
        "https://example.com/\ufeff",
        "https://example.com/a\u2028b",
        "http://example.com\\@evil.example/",  # browsers go to example.com, Python to evil
        "http:\\\\evil.example/",
        "https://example.com\\path",
    ],
)
def test_spaces_controls_invisible_characters_and_backslashes_are_refused(raw):
    assert refusal(raw) == "characters"


@pytest.mark.parametrize(
    "raw",
    [
        "http://user:pw@bank.example",
        "http://user:pw@bank.example/login",
        "http://user@bank.example/",
        "http://@bank.example/",
        "http://:@bank.example/",
        "https://bank.example@evil.example/",
        "https://bank.example:443@evil.example/",
        "https://user:pass@[2606:4700:4700::1111]/",
    ],
)
def test_credentials_are_refused(raw):
    assert refusal(raw) == "credentials"


@pytest.mark.parametrize(
    "raw",
    [
        "http://",
        "https://",
        "https:///",
        "http:///evil.example",
        "http:evil.example",
        "https:/evil.example",
        "https://?utm_source=sms",
        "https://#top",
        "http://:80/",
        "http://localhost/",  # no dot
        "http://localhost./",
        "http://localhost:8000/",
        "http://intranet/",
        "http://./",
        "http://../",
        "http://.example.com/",
        "http://example..com/",
        "http://example.c_m/",  # underscore in the top-level domain
        "http://example.123/",  # ends in a number: an IPv4 address that is none
        "http://example.c/",
        "http://-shop.example.com/",
        "http://shop-.example.com/",
        "http://exa<mple.com/",
        'http://exam"ple.com/',
        "http://%65xample.com/",  # browsers percent-decode hosts
        "http://user%40evil.example/",
        "http://ｕｓｅｒ＠evil.example/",
        "http://example.com／evil/",
        "http://xn--zz.com/",  # punycode that decodes to nothing
        "https://straße.de/",  # IDNA 2003 would make it strasse.de
        "http://" + "a" * 64 + ".com/",
        "http://" + ".".join(["a" * 60] * 5) + ".com/",  # over 253 characters
        "http://1.2.3.4.5/",
        "http://256.1.1.1/",
        "http://1.2.3.09/",
        "http://0x08080808/",  # a public address, written to hide it
        "http://134744072/",
        "http://8.8.8.8./",
        "http://8.8.2056/",
        "http://[::1/",
        "http://[8.8.8.8]/",
        "http://[not-an-address]/",
        "http://[2606:4700:4700::1111]x/",
        "http://[fe80::1%25eth0]/",
    ],
)
def test_a_missing_or_invalid_host_is_refused(raw):
    assert refusal(raw) == "host"


@pytest.mark.parametrize(
    "raw",
    [
        "http://127.0.0.1/",
        "http://127.0.0.1:8000/admin/",
        "http://127.1/",  # browsers read 127.0.0.1
        "http://0x7f000001/",  # 127.0.0.1 in hexadecimal: refused as the address it is
        "http://0x7f.0x0.0x0.0x1/",
        "http://2130706433/",
        "http://0177.0.0.1/",
        "http://１２７.０.０.１/",  # full-width digits, ASCII after IDNA as in browsers
        "http://127。0。0。1/",
        "http://[::1]/",
        "http://[0:0:0:0:0:0:0:1]/",
        "http://[::]/",
        "http://0.0.0.0/",
        "http://10.0.0.5/",
        "http://172.16.0.1/",
        "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data",  # the cloud metadata service
        "http://100.64.0.1/",  # carrier-grade NAT
        "http://192.0.2.1/",  # documentation
        "http://198.18.0.1/",  # benchmarking
        "http://224.0.0.1/",
        "http://239.255.255.250/",
        "http://240.0.0.1/",
        "http://255.255.255.255/",
        "http://[fe80::1]/",
        "http://[fc00::1]/",
        "http://[fd12:3456:789a::1]/",
        "http://[ff02::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:7f00:1]/",
        "http://[::ffff:8.8.8.8]/",  # IPv4-mapped: refused whatever it maps
        "http://[2002:c0a8:101::]/",  # 6to4 of 192.168.1.1
        "http://[2001:db8::1]/",
        "http://shop.localhost/",
        "http://printer.local/",
        "http://db.internal/",
        "http://router.home.arpa/",
    ],
)
def test_private_loopback_link_local_reserved_and_multicast_hosts_are_refused(raw):
    assert refusal(raw) == "private_host"


@pytest.mark.parametrize(
    "raw",
    [
        "https://example.com:0/",
        "https://example.com:65536/",
        "https://example.com:99999/",
        "https://example.com:123456/",
        "https://example.com:/",
        "https://example.com:8a/",
        "https://example.com:-1/",
        "https://example.com:+80/",
        "https://example.com:80:80/",
        "https://example.com:٨٠/",  # Arabic-Indic digits
        "http://8.8.8.8:0/",
        "http://[2606:4700:4700::1111]:0/",
        "http://[2606:4700:4700::1111]:65536/",
    ],
)
def test_a_port_outside_1_to_65535_is_refused(raw):
    assert refusal(raw) == "port"


# --- Accepted URLs --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("HTTPS://Example.COM/Path?A=1#x", "https://example.com/Path?A=1#x"),
        ("  https://example.com/promo\n", "https://example.com/promo"),
        ("\u00a0https://example.com/promo\u3000", "https://example.com/promo"),
        ("http://example.com", "http://example.com"),
        ("https://example.com?x=1", "https://example.com?x=1"),
        ("https://example.com#top", "https://example.com#top"),
        (
            "https://shop.example.com/soldes?utm_source=sms&utm_medium=sms"
            "&utm_campaign=black-friday&utm_content=A%2FB#offre",
            "https://shop.example.com/soldes?utm_source=sms&utm_medium=sms"
            "&utm_campaign=black-friday&utm_content=A%2FB#offre",
        ),
        (
            "https://example.com/caf%C3%A9?q=a%20b&next=%2Fcart%3Fid%3D1",
            "https://example.com/caf%C3%A9?q=a%20b&next=%2Fcart%3Fid%3D1",
        ),
        ("https://example.com/café?q=été", "https://example.com/café?q=été"),
        ("https://example.com/a;b=c/d?e[]=1&e[]=2", "https://example.com/a;b=c/d?e[]=1&e[]=2"),
        ("https://Bücher.example/", "https://xn--bcher-kva.example/"),
        ("https://münchen.de/angebote", "https://xn--mnchen-3ya.de/angebote"),
        ("https://пример.рф/", "https://xn--e1afmkfd.xn--p1ai/"),
        ("https://xn--bcher-kva.example/", "https://xn--bcher-kva.example/"),
        ("https://example。com/", "https://example.com/"),
        ("https://example.com:8080/x", "https://example.com:8080/x"),
        ("https://example.com:08080/x", "https://example.com:8080/x"),
        ("https://example.com:65535/", "https://example.com:65535/"),
        ("https://example.com:1/", "https://example.com:1/"),
        ("http://8.8.8.8/", "http://8.8.8.8/"),
        ("http://93.184.215.14:8080/landing", "http://93.184.215.14:8080/landing"),
        ("http://[2606:4700:4700::1111]/", "http://[2606:4700:4700::1111]/"),
        ("http://[2606:4700:4700:0:0:0:0:1111]:443/", "http://[2606:4700:4700::1111]:443/"),
        ("https://my_shop.example.com/", "https://my_shop.example.com/"),
        ("https://a.b.c.example.co.uk/x", "https://a.b.c.example.co.uk/x"),
        ("https://123.example.com/", "https://123.example.com/"),
        ("https://example.com./", "https://example.com./"),
        ("https://example.com/path/@handle", "https://example.com/path/@handle"),
        ("https://example.com/?next=http://other.example/", None),
        ("https://example.com/#/route?x=1", None),
    ],
)
def test_ordinary_marketing_addresses_are_accepted_and_normalised(raw, normalised):
    assert validate_target_url(raw) == (raw if normalised is None else normalised)


@pytest.mark.parametrize(
    ("raw", "host", "port"),
    [
        ("HTTPS://Example.COM/Path?A=1#x", "example.com", None),
        ("https://example.com:8080/x?y=1#z", "example.com", 8080),
        ("https://Bücher.example/", "xn--bcher-kva.example", None),
        ("http://[2606:4700:4700::1111]:443/", "2606:4700:4700::1111", 443),
        ("https://example.com/path/@evil.example", "example.com", None),
        ("https://example.com?@evil.example", "example.com", None),
        ("https://example.com#@evil.example", "example.com", None),
    ],
)
def test_the_normalised_address_reads_the_same_to_pythons_parser(raw, host, port):
    parts = urllib.parse.urlsplit(validate_target_url(raw))
    assert (parts.scheme in ("http", "https"), parts.hostname, parts.port) == (True, host, port)
    assert parts.username is None and parts.password is None


@pytest.mark.parametrize(
    "raw",
    [
        "HTTPS://Example.COM/Path?A=1#x",
        "https://Bücher.example/",
        "http://[2606:4700:4700:0:0:0:0:1111]:08080/",
        "https://example。com/",
    ],
)
def test_normalising_twice_changes_nothing(raw):
    once = validate_target_url(raw)
    assert validate_target_url(once) == once


# --- The error -------------------------------------------------------------------------

CODES = ["empty", "too_long", "scheme", "characters", "credentials", "host", "private_host"]


def test_the_error_is_a_value_error_with_a_code_and_a_readable_message():
    with pytest.raises(ValueError, match="http:// or https://") as caught:
        validate_target_url("javascript:alert(1)")
    error = caught.value
    assert isinstance(error, TargetUrlError)
    assert error.code == "scheme"
    assert error.message == str(error)


def test_every_code_has_its_own_message():
    messages = {code: TargetUrlError(code).message for code in [*CODES, "port"]}
    assert all(messages.values())
    assert len(set(messages.values())) == len(messages)


def test_the_message_is_translated_when_the_error_is_raised(monkeypatch):
    monkeypatch.setattr(safety, "gettext", lambda message: f"[fr] {message}")
    with pytest.raises(TargetUrlError) as caught:
        validate_target_url("http://user:pw@bank.example")
    assert caught.value.message.startswith("[fr] Remove the user name and password")


# --- Bots ------------------------------------------------------------------------------

BOTS = {
    # Link previews of messaging and social apps
    "Facebook": "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Facebot": "Facebot",
    "Meta crawler": (
        "meta-externalagent/1.1 (+https://developers.facebook.com/docs/sharing/webmasters/crawler)"
    ),
    "Apple Messages (iMessage) preview": (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_1) AppleWebKit/601.2.4 (KHTML, like Gecko)"
        " Version/9.0.1 Safari/601.2.4 facebookexternalhit/1.1 Facebot Twitterbot/1.0"
    ),
    "Google Messages preview": (
        "mozilla/5.0 (windows nt 10.0; win64; x64) applewebkit/537.36 (khtml, like gecko)"
        " chrome/123.0.0.0 safari/537.36 googlemessages/15.1"
    ),
    "Twitterbot": "Twitterbot/1.0",
    "Slackbot": "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "Slackbot plain": "Slackbot 1.0 (+https://api.slack.com/robots)",
    "WhatsApp": "WhatsApp/2.23.20.0 A",
    "WhatsApp iOS": "WhatsApp/2.24.12.78 i",
    "WhatsApp borrowed by Signal and others": "WhatsApp/2",
    "Telegram": "TelegramBot (like TwitterBot)",
    "Discord": "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
    "LinkedIn": "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
    "Skype and Teams": (
        "Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5"
        " skype-url-preview@microsoft.com"
    ),
    "Microsoft preview": (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)"
        " Chrome/103.0.5060.134 Safari/537.36 Edg/103.0.1264.71 MicrosoftPreview/2.0"
        " +https://aka.ms/MicrosoftPreview"
    ),
    "Snapchat preview": (
        "Mozilla/5.0 (compatible; Snap URL Preview Service; bot; snapchat;"
        " https://developers.snap.com/robots)"
    ),
    "Viber app, native request": "Viber/12.8.0.1 CFNetwork/1121.2.2 Darwin/19.3.0",
    "LINE preview": "facebookexternalhit/1.1;line-poker/1.0",
    "Pinterest": "Pinterest/0.2 (+https://www.pinterest.com/bot.html)",
    "Pinterestbot": "Mozilla/5.0 (compatible; Pinterestbot/1.0; +http://www.pinterest.com/bot.html)",
    "reddit": "Mozilla/5.0 (compatible; redditbot/1.0; +http://www.reddit.com/feedback)",
    "VK": "Mozilla/5.0 (compatible; vkShare; +http://vk.com/dev/Share)",
    "Iframely": "Iframely/1.3.1 (+https://iframely.com/docs/about)",
    "Embedly": "Mozilla/5.0 (compatible; Embedly/0.2; +http://support.embed.ly/)",
    "Bluesky": (
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; Bluesky Cardyb/1.1;"
        " +mailto:support@bsky.app) Chrome/W.X.Y.Z Safari/537.36"
    ),
    "Mastodon": "http.rb/5.1.1 (Mastodon/4.2.10; +https://mastodon.social/)",
    # Search engines
    "Googlebot smartphone": (
        "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36"
        " (KHTML, like Gecko) Chrome/125.0.6422.175 Mobile Safari/537.36"
        " (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
    ),
    "Google-InspectionTool": "Mozilla/5.0 (compatible; Google-InspectionTool/1.0)",
    "AdsBot-Google": "AdsBot-Google (+http://www.google.com/adsbot.html)",
    "AdsBot-Google-Mobile": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 14_7_1 like Mac OS X) AppleWebKit/605.1.15"
        " (KHTML, like Gecko) Version/14.1.2 Mobile/15E148 Safari/604.1"
        " (compatible; AdsBot-Google-Mobile; +http://www.google.com/mobile/adsbot.html)"
    ),
    "APIs-Google": "APIs-Google (+https://developers.google.com/webmasters/APIs-Google.html)",
    "GoogleOther": "Mozilla/5.0 (compatible; GoogleOther/2.1; +http://www.google.com/bot.html)",
    "bingbot": "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "BingPreview": (
        "Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/534+ (KHTML, like Gecko) BingPreview/1.0b"
    ),
    "Applebot": (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like Gecko)"
        " Version/13.1.1 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)"
    ),
    "DuckDuckBot": "DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)",
    "YandexBot": "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
    "Baiduspider": "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)",
    "Yahoo": "Mozilla/5.0 (compatible; Yahoo! Slurp; http://help.yahoo.com/help/us/ysearch/slurp)",
    "ia_archiver": "ia_archiver (+http://www.alexa.com/site/help/webmasters; crawler@alexa.com)",
    "GPTBot": (
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko); compatible; GPTBot/1.2;"
        " +https://openai.com/gptbot"
    ),
    "ChatGPT-User": (
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko); compatible; ChatGPT-User/1.0;"
        " +https://openai.com/bot"
    ),
    "Bytespider": (
        "Mozilla/5.0 (compatible; Bytespider; spider-feedback@bytedance.com) AppleWebKit/537.36"
        " (KHTML, like Gecko) Chrome/70.0.0.0 Safari/537.36"
    ),
    # Office checking a link before opening the browser
    "Office existence discovery": "Microsoft Office Existence Discovery",
    "Outlook": "Mozilla/4.0 (compatible; ms-office; MSOffice 16)",
    "Outlook desktop": "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17126; Pro)",
    # Headless browsers, HTTP libraries, background fetches of apps
    "HeadlessChrome": (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)"
        " HeadlessChrome/120.0.6099.109 Safari/537.36"
    ),
    "curl": "curl/8.4.0",
    "Wget": "Wget/1.21.4",
    "python-requests": "python-requests/2.31.0",
    "Python-urllib": "Python-urllib/3.11",
    "httpx": "python-httpx/0.27.0",
    "aiohttp": "Python/3.11 aiohttp/3.9.1",
    "Go": "Go-http-client/2.0",
    "okhttp": "okhttp/4.12.0",
    "Java": "Java/17.0.2",
    "Apache HttpClient": "Apache-HttpClient/4.5.14 (Java/17.0.8)",
    "axios": "axios/1.6.2",
    "node-fetch": "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)",
    "libwww-perl": "libwww-perl/6.72",
    "Scrapy": "Scrapy/2.11.0 (+https://scrapy.org)",
    "Android app background fetch": (
        "Dalvik/2.1.0 (Linux; U; Android 13; SM-S911B Build/TP1A.220624.014)"
    ),
    "iOS app background fetch": (
        "com.apple.WebKit.Networking/8615.7.1.10.1 CFNetwork/1410.1 Darwin/22.6.0"
    ),
    # Nothing at all
    "empty": "",
    "blank": "   ",
}

PEOPLE = {
    "Chrome on Android (reduced UA)": (
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko)"
        " Chrome/131.0.0.0 Mobile Safari/537.36"
    ),
    "Chrome on a Pixel": (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko)"
        " Chrome/124.0.6367.179 Mobile Safari/537.36"
    ),
    "Safari on iPhone": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15"
        " (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
    ),
    "Chrome on iPhone": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15"
        " (KHTML, like Gecko) CriOS/126.0.6478.54 Mobile/15E148 Safari/604.1"
    ),
    "Google app on iPhone": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15"
        " (KHTML, like Gecko) GSA/322.0.648915268 Mobile/15E148 Safari/604.1"
    ),
    "Samsung Internet": (
        "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S921B) AppleWebKit/537.36"
        " (KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36"
    ),
    "Firefox on Android": "Mozilla/5.0 (Android 14; Mobile; rv:127.0) Gecko/127.0 Firefox/127.0",
    "Firefox on iPhone": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15"
        " (KHTML, like Gecko) FxiOS/127.0 Mobile/15E148 Safari/605.1.15"
    ),
    "Edge on Android": (
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko)"
        " Chrome/125.0.0.0 Mobile Safari/537.36 EdgA/125.0.2535.87"
    ),
    "Edge on iPhone": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15"
        " (KHTML, like Gecko) Version/17.0 EdgiOS/125.2535.87 Mobile/15E148 Safari/605.1.15"
    ),
    "Opera on Android": (
        "Mozilla/5.0 (Linux; Android 10; VOG-L29) AppleWebKit/537.36 (KHTML, like Gecko)"
        " Chrome/124.0.0.0 Mobile Safari/537.36 OPR/82.0.4227.79420"
    ),
    "Chrome on Windows": (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)"
        " Chrome/126.0.0.0 Safari/537.36"
    ),
    "Android WebView of an SMS app": (
        "Mozilla/5.0 (Linux; Android 13; SM-A536B Build/TP1A.220624.014; wv) AppleWebKit/537.36"
        " (KHTML, like Gecko) Version/4.0 Chrome/125.0.6422.165 Mobile Safari/537.36"
    ),
    # In-app browsers: a person reading the page inside the app
    "Facebook on iPhone": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5_1 like Mac OS X) AppleWebKit/605.1.15"
        " (KHTML, like Gecko) Mobile/21F90 [FBAN/FBIOS;FBAV/470.0.0.35.109;FBBV/623547212;"
        "FBDV/iPhone15,3;FBMD/iPhone;FBSN/iOS;FBSV/17.5.1;FBSS/3;FBID/phone;FBLC/fr_FR;FBOP/5]"
    ),
    "Facebook on Android": (
        "Mozilla/5.0 (Linux; Android 14; SM-S921B Build/UP1A.231005.007; wv) AppleWebKit/537.36"
        " (KHTML, like Gecko) Version/4.0 Chrome/125.0.6422.165 Mobile Safari/537.36"
        " [FB_IAB/FB4A;FBAV/467.0.0.50.108;]"
    ),
    "Messenger on iPhone": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 16_2 like Mac OS X) AppleWebKit/605.1.15"
        " (KHTML, like Gecko) Mobile/15E148 LightSpeed [FBAN/MessengerLiteForiOS;"
        "FBAV/410.0.0.23.86;FBBV/477357144;FBDV/iPhone14,7;FBMD/iPhone;FBSN/iOS;FBSV/16.2;"
        "FBSS/3;FBCR/;FBID/phone;FBLC/en-GB;FBOP/0]"
    ),
    "Instagram on iPhone": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15"
        " (KHTML,like Gecko) Mobile/21F79 Instagram 330.0.3.29.91 (iPhone14,3; iOS 17_5;"
        " en_US; en; scale=3.00; 1125x2436; 595323416)"
    ),
    "Instagram on Android": (
        "Mozilla/5.0 (Linux; Android 13; 23028RN4DI Build/TP1A.220624.014; wv)"
        " AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/119.0.6045.66 Mobile"
        " Safari/537.36 Instagram 308.0.0.36.109 Android (33/13; 320dpi; 720x1460;"
        " Xiaomi/Redmi; 23028RN4DI; cloud; mt6765; en_IN; 534961943)"
    ),
    "Snapchat in-app": (
        "Mozilla/5.0 (Linux; Android 13; I2011 Build/TP1A.220624.014; wv) AppleWebKit/537.36"
        " (KHTML, like Gecko) Version/4.0 Chrome/125.0.6422.54 Mobile Safari/537.36"
        " Snapchat/12.89.0.40 (I2011; Android 13#eng.compil.20240430.095616#33; gzip; )"
    ),
    "Twitter on iPhone": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 13_3_1 like Mac OS X) AppleWebKit/605.1.15"
        " (KHTML, like Gecko) Mobile/17D50 Twitter for iPhone/8.10"
    ),
    "LinkedIn app": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15"
        " (KHTML, like Gecko) Mobile/15E148 [LinkedInApp]/9.29.8962"
    ),
    "Telegram in-app": (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP2A.240605.024; wv) AppleWebKit/537.36"
        " (KHTML, like Gecko) Version/4.0 Chrome/126.0.6478.71 Mobile Safari/537.36"
        " Telegram-Android/10.14.5 (Google Pixel 8; Android 14; SDK 34; HIGH)"
    ),
    "LINE in-app": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15"
        " (KHTML, like Gecko) Mobile/15E148 Safari Line/14.9.0"
    ),
    "Viber in-app": (
        "Mozilla/5.0 (Linux; Android 7.1.2; G011A Build/N2G48H; wv) AppleWebKit/537.36"
        " (KHTML, like Gecko) Version/4.0 Chrome/66.0.3359.158 Safari/537.36 Viber/11.9.5.8"
    ),
    "Pinterest in-app": (
        "Mozilla/5.0 (Linux; Android 9; STF-L09 Build/HUAWEISTF-L09; wv) AppleWebKit/537.36"
        " (KHTML, like Gecko) Version/4.0 Chrome/79.0.3945.79 Mobile Safari/537.36"
        " [Pinterest/Android]"
    ),
    "TikTok in-app": (
        "Mozilla/5.0 (Linux; Android 10; SM-G973F Build/QQ3A.200805.001; wv) AppleWebKit/537.36"
        " (KHTML, like Gecko) Version/4.0 Chrome/85.0.4183.101 Mobile Safari/537.36"
        " trill_2021806060 JsSdk/1.0 NetType/WIFI Channel/googleplay AppName/musical_ly"
        " app_version/18.6.6 ByteLocale/fr ByteFullLocale/fr Region/FR"
    ),
    "WeChat in-app": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15"
        " (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.49(0x18003130) NetType/WIFI"
        " Language/zh_CN"
    ),
    # "bot" inside a phone's model name
    "Cubot phone": (
        "Mozilla/5.0 (Linux; Android 8.0.0; CUBOT_P20) AppleWebKit/537.36 (KHTML, like Gecko)"
        " Chrome/70.0.3538.110 Mobile Safari/537.36"
    ),
    "Cubot phone, spaced model": (
        "Mozilla/5.0 (Linux; Android 6.0; CUBOT MAX) AppleWebKit/537.36 (KHTML, like Gecko)"
        " Chrome/72.0.3626.121 Mobile Safari/537.36"
    ),
}


@pytest.mark.parametrize("agent", BOTS.values(), ids=BOTS.keys())
def test_crawlers_previews_scanners_and_scripts_are_bots(agent):
    assert is_bot(agent) is True


@pytest.mark.parametrize("agent", PEOPLE.values(), ids=PEOPLE.keys())
def test_browsers_people_use_are_not_bots(agent):
    assert is_bot(agent) is False


@pytest.mark.parametrize("agent", ["GOOGLEBOT/2.1", "CURL/8.4.0", "whatsapp/2.23.20.0 a"])
def test_bot_detection_ignores_case(agent):
    assert is_bot(agent) is True


# --- Codes -----------------------------------------------------------------------------


def test_the_alphabet_has_no_look_alikes_and_survives_lower_casing_and_urls():
    assert not set(ALPHABET) & set("0oO1lIiL")
    assert ALPHABET.islower()
    assert len(set(ALPHABET)) == len(ALPHABET) == 31
    assert set(ALPHABET) <= set("abcdefghijklmnopqrstuvwxyz0123456789")
    assert urllib.parse.quote(ALPHABET, safe="") == ALPHABET


@pytest.mark.parametrize("length", [4, 5, 8, 12, 64])
def test_a_code_has_the_requested_length_and_only_alphabet_characters(length):
    code = generate_code(length)
    assert len(code) == length
    assert set(code) <= set(ALPHABET)


@pytest.mark.parametrize("length", [3, 1, 0, -8])
def test_a_code_shorter_than_4_characters_is_refused(length):
    with pytest.raises(ValueError, match="at least 4"):
        generate_code(length)


def test_a_thousand_codes_of_8_characters_are_all_different_and_use_the_whole_alphabet():
    codes = [generate_code(8) for _ in range(1000)]
    assert len(set(codes)) == 1000  # a collision has a probability under 1e-6
    used = set("".join(codes))
    assert used <= set(ALPHABET)
    assert used == set(ALPHABET)  # 8,000 draws: a character never drawn is (30/31)**8000


def test_codes_come_from_the_secrets_module(monkeypatch):
    drawn = []

    def choice(sequence):
        drawn.append(sequence)
        return sequence[-1]

    monkeypatch.setattr(safety.secrets, "choice", choice)
    assert generate_code(6) == "zzzzzz"
    assert drawn == [ALPHABET] * 6
