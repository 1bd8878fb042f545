"""The home page, the pages other issues will fill, and the health check."""

import logging

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from smsmode.accounts.access import account_required, require_settings_manager
from smsmode.accounts.middleware import AccountRequest
from smsmode.billing.features import account_has_feature

logger = logging.getLogger(__name__)

# Pages that an open issue builds; until then they say what they will do.
COMING_SOON = {
    "shortener": {
        "title": _("URL shortener"),
        "help": _("Short links of 12 characters for your SMS, with click statistics."),
        "promise": _(
            "Create short links, follow their clicks and shorten every link of a "
            "campaign automatically."
        ),
        "icon": "link-45deg",
        "feature": "url_shortener",
    },
}


@account_required
def home(request: AccountRequest) -> HttpResponse:
    account = request.account
    manager = request.membership.can_manage_settings
    members = account.memberships.count()
    steps = [
        {
            "done": bool(account.default_sender_id),
            "label": _("Choose your default sender ID"),
            "url": "accounts:settings",
            "show": manager,
        },
        {
            "done": members > 1 or account.invitations.exists(),
            "label": _("Invite your team"),
            "url": "accounts:team",
            "show": manager,
        },
        {
            "done": account.contacts.exists(),
            "label": _("Add your contacts"),
            "url": "contacts:index",
            "show": True,
        },
        {"done": False, "label": _("Send a test SMS"), "url": "campaigns:create", "show": True},
    ]
    steps = [step for step in steps if step["show"]]
    return render(request, "dashboard/home.html", {"steps": steps, "members": members})


@account_required
def coming_soon(request: AccountRequest, page: str) -> HttpResponse:
    info = COMING_SOON[page]
    if info.get("managers_only"):
        require_settings_manager(request)
    feature = info.get("feature")
    locked = bool(feature) and not account_has_feature(request.account, feature)
    return render(request, "dashboard/coming_soon.html", {"info": info, "locked": locked})


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database and Redis answer, 503 with the failing part otherwise."""
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = "ok"
    except Exception as exc:
        logger.warning("healthz: database check failed: %s", exc)
        checks["database"] = "error"
    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2
        )
        client.ping()
        client.close()
        checks["redis"] = "ok"
    except Exception as exc:
        logger.warning("healthz: redis check failed: %s", exc)
        checks["redis"] = "error"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503
    )
