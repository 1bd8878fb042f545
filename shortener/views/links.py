"""The URL shortener tab: create, list and search, tick and delete, edit, a link's page."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from uuid import UUID

from django.contrib import messages
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from contacts.forms import phone_international
from contacts.selectors import SORT_CREATED, keyset_page
from shortener.clicks import clicks_flush
from shortener.forms import LinkCreateForm, LinkEditForm
from shortener.models import ShortLink
from shortener.services import link_create, link_update, links_delete, short_url
from smsmode.accounts.access import account_required
from smsmode.accounts.middleware import AccountRequest
from smsmode.billing.features import account_has_feature
from smsmode.billing.models import Feature

PAGE_SIZE = 50


def shortener_required(view: Callable) -> Callable:
    """Accounts whose plan lacks the shortener see what it does and an upgrade button."""

    @account_required
    @wraps(view)
    def wrapper(request: AccountRequest, *args: object, **kwargs: object) -> HttpResponse:
        if not account_has_feature(request.account, Feature.URL_SHORTENER):
            from smsmode.dashboard.views import COMING_SOON

            status = 200 if request.resolver_match.url_name == "index" else 403
            return render(
                request,
                "dashboard/coming_soon.html",
                {"info": COMING_SOON["shortener"], "locked": True},
                status=status,
            )
        return view(request, *args, **kwargs)

    return wrapper


def _get_link(request: AccountRequest, public_id: UUID) -> ShortLink:
    """A link of the current account; anyone else's is a 404."""
    return get_object_or_404(
        ShortLink.objects.select_related("campaign", "message__contact"),
        account=request.account,
        public_id=public_id,
    )


def links_search(*, account, q: str = "", campaign_links: bool = False) -> QuerySet[ShortLink]:
    links = ShortLink.objects.filter(account=account, message__isnull=not campaign_links)
    q = q.strip()[:200]
    if q:
        links = links.filter(Q(name__icontains=q) | Q(target_url__icontains=q) | Q(code=q))
    if campaign_links:
        links = links.select_related("campaign", "message")
    return links.order_by("-created_at", "-id")


def _decorate(links: list[ShortLink]) -> list[ShortLink]:
    now = timezone.now()
    for link in links:
        link.short = short_url(link)
        link.expired = link.expires_at <= now
        if link.message_id and link.message:
            link.recipient = phone_international(link.message.phone)
    return links


@shortener_required
@require_http_methods(["GET", "POST"])
def link_index(request: AccountRequest) -> HttpResponse:
    form = LinkCreateForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        link = link_create(
            account=request.account,
            url=form.cleaned_data["url"],
            name=form.cleaned_data["name"],
            expires_at=form.cleaned_data["expires"],
            by=request.user,
        )
        messages.success(request, _("Short link %(url)s created.") % {"url": short_url(link)})
        return redirect("shortener:index")
    clicks_flush(max_batches=2, wait=False)  # counts current whenever the page loads
    q = request.GET.get("q", "")
    campaign_links = request.GET.get("campaign") == "1"
    page = keyset_page(
        links_search(account=request.account, q=q, campaign_links=campaign_links),
        sort=SORT_CREATED,
        after=request.GET.get("after", ""),
        size=PAGE_SIZE,
    )
    _decorate(page.rows)
    params = {k: v for k, v in {"q": q, "campaign": "1" if campaign_links else ""}.items() if v}
    from urllib.parse import urlencode

    base = reverse("shortener:index")
    return render(
        request,
        "shortener/link_list.html",
        {
            "form": form,
            "page": page,
            "q": q,
            "campaign_links": campaign_links,
            "filter_params": params,
            "first_page_url": f"{base}?{urlencode(params)}" if params else base,
            "next_page_url": f"{base}?{urlencode({**params, 'after': page.next_cursor})}"
            if page.has_next
            else None,
            "account_is_empty": page.is_first and not page.rows and not q and not campaign_links,
        },
    )


@shortener_required
@require_POST
def link_bulk_delete(request: AccountRequest) -> HttpResponse:
    """Tick links (or every link matching the search) and delete them, after a
    confirmation that says how many and that their short URLs stop working."""
    q = request.POST.get("q", "")
    campaign_links = request.POST.get("campaign") == "1"
    if request.POST.get("all_matching") == "1":
        selection = links_search(account=request.account, q=q, campaign_links=campaign_links)
    else:
        ids = []
        for value in request.POST.getlist("ids"):
            try:
                ids.append(UUID(value))
            except ValueError:
                continue
        selection = ShortLink.objects.filter(account=request.account, public_id__in=ids)
    count = selection.count()
    if not count:
        messages.warning(request, _("Tick at least one link first."))
        return redirect("shortener:index")
    if request.POST.get("confirm") != "1":
        return render(
            request,
            "shortener/bulk_delete.html",
            {
                "count": count,
                "ids": request.POST.getlist("ids"),
                "all_matching": request.POST.get("all_matching") == "1",
                "q": q,
                "campaign": "1" if campaign_links else "",
            },
        )
    deleted = links_delete(account=request.account, links=selection)
    messages.success(
        request,
        ngettext(
            "%(count)d short link deleted: it no longer redirects.",
            "%(count)d short links deleted: they no longer redirect.",
            deleted,
        )
        % {"count": deleted},
    )
    return redirect("shortener:index")


@shortener_required
def link_detail(request: AccountRequest, public_id: UUID) -> HttpResponse:
    link = _get_link(request, public_id)
    clicks_flush(max_batches=2, wait=False)
    link.refresh_from_db()
    _decorate([link])
    tz = timezone.get_current_timezone()
    per_day = list(
        link.click_events.filter(is_bot=False)
        .annotate(day=TruncDate("at", tzinfo=tz))
        .values("day")
        .annotate(n=Count("id"))
        .order_by("-day")
        .values_list("day", "n")[:60]
    )[::-1]
    peak = max((n for _day, n in per_day), default=0)
    return render(
        request,
        "shortener/link_detail.html",
        {
            "link": link,
            "per_day": [(day, n, round(n * 100 / peak) if peak else 0) for day, n in per_day],
        },
    )


@shortener_required
@require_http_methods(["GET", "POST"])
def link_edit(request: AccountRequest, public_id: UUID) -> HttpResponse:
    link = _get_link(request, public_id)
    form = LinkEditForm(
        request.POST if request.method == "POST" else None,
        initial={"name": link.name, "expires": timezone.localtime(link.expires_at).date()},
    )
    if request.method == "POST" and form.is_valid():
        link_update(
            link=link, name=form.cleaned_data["name"], expires_at=form.cleaned_data["expires"]
        )
        messages.success(request, _("Short link saved."))
        return redirect("shortener:detail", public_id=link.public_id)
    _decorate([link])
    return render(request, "shortener/link_form.html", {"link": link, "form": form})


@shortener_required
def link_qr(request: AccountRequest, public_id: UUID, fmt: str) -> HttpResponse:
    """The short URL as a QR code, PNG or SVG, for posters and flyers."""
    import io

    import segno

    link = _get_link(request, public_id)
    url = short_url(link)
    if not url.startswith(("http://", "https://")):
        url = f"https://{url}"
    code = segno.make(url, error="m")
    out = io.BytesIO()
    if fmt == "svg":
        code.save(out, kind="svg", scale=8, border=2)
        content_type = "image/svg+xml"
    else:
        code.save(out, kind="png", scale=10, border=2)
        content_type = "image/png"
    response = HttpResponse(out.getvalue(), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="qr-{link.code}.{fmt}"'
    return response
