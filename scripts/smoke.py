"""Smoke test of a running server: health, login page, demo login, dashboard.

Usage: python scripts/smoke.py BASE_URL EMAIL PASSWORD  (waits up to 120 s for /healthz)
"""

import http.cookiejar
import json
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request


def main(base: str, email: str, password: str) -> int:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    deadline = time.monotonic() + 120
    while True:
        try:
            with opener.open(f"{base}/healthz", timeout=5) as response:
                health = json.load(response)
                break
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            if time.monotonic() > deadline:
                print("healthz never answered", file=sys.stderr)
                return 1
            time.sleep(1)
    print("healthz:", health)
    assert health == {"status": "ok", "database": "ok", "redis": "ok"}, health

    with opener.open(f"{base}/accounts/login/", timeout=10) as response:
        page = response.read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token, "no CSRF token on the login page"
    data = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token.group(1), "login": email, "password": password}
    ).encode()
    request = urllib.request.Request(
        f"{base}/accounts/login/", data=data, headers={"Referer": f"{base}/accounts/login/"}
    )
    with opener.open(request, timeout=10) as response:
        landed = response.geturl()
        body = response.read().decode()
    assert urllib.parse.urlparse(landed).path == "/", f"login ended on {landed}"
    assert "Demo Boutique" in body, "the dashboard does not show the demo account"
    print("login as the demo user: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
