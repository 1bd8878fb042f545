"""The API keys screen: the list, create (the secret is shown once), revoke.

Owners and admins only. Every key is looked up through `request.account`: another
account's key is a 404.
"""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from smsmode.accounts.access import account_required, require_settings_manager
from smsmode.accounts.middleware import AccountRequest
from smsmode.accounts.models import Account, ApiKey
from smsmode.api.forms import SCOPE_NAMES, ApiKeyCreateForm
from smsmode.api.keys import key_create, key_revoke

LIST_LIMIT = 200
# The secret of a key just created waits here for the one page that shows it.
REVEAL_SESSION_KEY = "api_keys:reveal"


def keys_for_account(*, account: Account, limit: int = LIST_LIMIT) -> list[ApiKey]:
    """The account's newest keys, revoked ones included, with their creators: one query.
    One more than `limit` is fetched so the page can say that older keys are not shown."""
    return list(
        ApiKey.objects.filter(account=account)
        .select_related("created_by")
        .order_by("-created_at", "-id")[: limit + 1]
    )


def _get_key(request: AccountRequest, public_id: UUID) -> ApiKey:
    """A key of the current account (404 otherwise), for a manager (403 otherwise)."""
    key = get_object_or_404(ApiKey, account=request.account, public_id=public_id)
    require_settings_manager(request)
    return key


@account_required
@never_cache
@require_http_methods(["GET"])
def key_index(request: AccountRequest) -> HttpResponse:
    require_settings_manager(request)
    # Popped: a reload, the back button or another tab never shows the secret again.
    reveal = request.session.pop(REVEAL_SESSION_KEY, None)
    if reveal and reveal.get("account") != str(request.account.public_id):
        reveal = None  # the user switched accounts in between: not this account's key
    keys = keys_for_account(account=request.account)
    for key in keys:
        key.scope_name = SCOPE_NAMES.get(key.scope, key.scope)
        key.is_new = bool(reveal) and str(key.public_id) == reveal.get("key")
    return render(
        request,
        "api_keys/index.html",
        {
            "keys": keys[:LIST_LIMIT],
            "truncated": len(keys) > LIST_LIMIT,
            "limit": LIST_LIMIT,
            "reveal": reveal,
        },
    )


@account_required
@never_cache
@require_http_methods(["GET", "POST"])
def key_create_view(request: AccountRequest) -> HttpResponse:
    require_settings_manager(request)
    form = ApiKeyCreateForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if form.is_valid():
            key, secret = key_create(
                account=request.account,
                name=form.cleaned_data["name"],
                scope=form.cleaned_data["scope"],
                by=request.user,
            )
            request.session[REVEAL_SESSION_KEY] = {
                "account": str(request.account.public_id),
                "key": str(key.public_id),
                "name": key.name,
                "secret": secret,
            }
            messages.success(request, _("API key “%(name)s” created.") % {"name": key.name})
            return redirect("api_keys:index")
        return render(request, "api_keys/create.html", {"form": form}, status=400)
    return render(request, "api_keys/create.html", {"form": form})


@account_required
@require_POST
def key_revoke_view(request: AccountRequest, public_id: UUID) -> HttpResponse:
    """The list's button posts here and gets the confirmation; the confirmation's
    button posts again with `confirm` and revokes. Revoking twice changes nothing."""
    key = _get_key(request, public_id)
    if not key.is_active:
        messages.info(request, _("API key “%(name)s” was already revoked.") % {"name": key.name})
        return redirect("api_keys:index")
    if request.POST.get("confirm") != "1":
        key.scope_name = SCOPE_NAMES.get(key.scope, key.scope)
        return render(request, "api_keys/revoke.html", {"key": key})
    if key_revoke(key=key):
        messages.success(
            request,
            _("API key “%(name)s” revoked: requests that use it are now refused.")
            % {"name": key.name},
        )
    else:  # a concurrent revoke won
        messages.info(request, _("API key “%(name)s” was already revoked.") % {"name": key.name})
    return redirect("api_keys:index")
