"""Puts the current account (the tenant) on the request, with its time zone and language."""

import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

from smsmode.accounts.models import Account, Membership, User

SESSION_KEY = "current_account"


class AccountRequest(HttpRequest):
    """The request as views see it: typed so editors know `account` is there."""

    user: User
    account: Account | None
    membership: Membership | None


def current_membership(request: HttpRequest) -> Membership | None:
    user = request.user
    if not user.is_authenticated:
        return None
    memberships = Membership.objects.select_related("account", "account__plan").filter(user=user)
    wanted = request.session.get(SESSION_KEY)
    if wanted:
        membership = memberships.filter(account__public_id=wanted).first()
        if membership is not None:
            return membership
    membership = memberships.order_by("created_at", "pk").first()
    if membership is not None:
        request.session[SESSION_KEY] = str(membership.account.public_id)
    return membership


class CurrentAccountMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        membership = current_membership(request)
        request.membership = membership  # type: ignore[attr-defined]
        request.account = membership.account if membership else None  # type: ignore[attr-defined]
        if membership is None:
            return self.get_response(request)
        account = membership.account
        try:
            timezone.activate(zoneinfo.ZoneInfo(account.time_zone))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            timezone.deactivate()
        # The account's language is the default; a language the user picked wins.
        if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
            translation.activate(account.language)
            request.LANGUAGE_CODE = account.language
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
