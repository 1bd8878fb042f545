"""A short URL as it appears in an SMS is exactly 12 characters: warn when the
configured domain cannot give that."""

from django.conf import settings
from django.core.checks import Warning, register


@register()
def short_link_domain_check(app_configs, **kwargs) -> list:
    domain = settings.SHORT_LINK_DOMAIN
    if not domain:
        return [
            Warning(
                "SHORT_LINK_DOMAIN is not set: short links are served under the app's own "
                "host (/s/<code>) and are longer than 12 characters.",
                id="shortener.W001",
            )
        ]
    code = 12 - len(domain) - 1
    if code < 5:
        return [
            Warning(
                f"SHORT_LINK_DOMAIN {domain!r} leaves {code} characters for the code of a "
                "12-character short URL: use a domain of 6 characters or fewer.",
                id="shortener.W002",
            )
        ]
    return []
