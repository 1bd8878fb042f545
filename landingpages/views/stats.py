"""A landing page's statistics, its form submissions and their CSV export (customer
area). Mounted at /landing-pages/<uuid>/stats/ (`landingpages.stats_urls`)."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from functools import wraps
from urllib.parse import urlencode
from uuid import UUID

from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from contacts.exports import Echo, csv_safe
from contacts.forms import phone_international
from contacts.selectors import SORT_CREATED, keyset_page
from landingpages.models import FormSubmission, LandingPage
from landingpages.selectors import page_stats, submissions_of
from landingpages.views import locked_response
from smsmode.accounts.access import account_required
from smsmode.accounts.middleware import AccountRequest
from smsmode.billing.features import account_has_feature
from smsmode.billing.models import Feature

PAGE_SIZE = 50
CSV_CHUNK = 2000


def stats_view(view: Callable) -> Callable:
    """Logged in, the page of the URL in the current account (anyone else's: 404, even
    on a plan without landing pages), then the plan (else the upgrade prompt, 403)."""

    @account_required
    @wraps(view)
    def wrapper(request: AccountRequest, public_id: UUID) -> HttpResponse:
        page = get_object_or_404(LandingPage, account=request.account, public_id=public_id)
        if not account_has_feature(request.account, Feature.LANDING_PAGES):
            return locked_response(request, status=403)
        return view(request, page)

    return wrapper


def _questions(page: LandingPage) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """The forms' titles by block id, and the (stored key, label) of every question of
    the page's forms, in order, each key once."""
    titles: dict[str, str] = {}
    questions: list[tuple[str, str]] = []
    seen = {"name", "phone", "email"}
    for block in page.blocks if isinstance(page.blocks, list) else ():
        if not isinstance(block, dict) or block.get("type") != "form":
            continue
        data = block.get("data") if isinstance(block.get("data"), dict) else {}
        titles[str(block.get("id"))] = str(data.get("title") or "")
        for question in data.get("questions") or ():
            if not isinstance(question, dict) or not question.get("key"):
                continue
            key = str(question["key"])
            stored = f"question_{key}" if key in ("name", "phone", "email") else key
            if stored not in seen:
                seen.add(stored)
                questions.append((stored, str(question.get("label") or key)))
    return titles, questions


@stats_view
@require_GET
def overview(request: AccountRequest, page: LandingPage) -> HttpResponse:
    stats = page_stats(page)
    return render(
        request,
        "landingpages/stats/overview.html",
        {
            "page": page,
            "stats": stats,
            "conversion_percent": None
            if stats["conversion_rate"] is None
            else 100 * stats["conversion_rate"],
            "public_url": reverse("landing_public:page", args=[page.slug]),
        },
    )


@stats_view
@require_GET
def submissions(request: AccountRequest, page: LandingPage) -> HttpResponse:
    """The page's submissions, newest first, 50 a page (keyset: no COUNT, no OFFSET)."""
    listing = keyset_page(
        submissions_of(page), sort=SORT_CREATED, after=request.GET.get("after", ""), size=PAGE_SIZE
    )
    titles, questions = _questions(page)
    labels = dict(questions)
    rows = []
    for submission in listing.rows:
        data = submission.data if isinstance(submission.data, dict) else {}
        answers = [
            (labels.get(key, key), value)
            for key, value in data.items()
            if key not in ("name", "phone", "email") and value not in ("", None)
        ]
        phone = data.get("phone")
        rows.append(
            {
                "submission": submission,
                "data": data,
                "phone": phone_international(phone) if isinstance(phone, str) and phone else "",
                "answers": answers,
                "form": titles.get(submission.block_id, ""),
            }
        )
    base = request.path
    return render(
        request,
        "landingpages/stats/submissions.html",
        {
            "page": page,
            "rows": rows,
            "listing": listing,
            "next_page_url": f"{base}?{urlencode({'after': listing.next_cursor})}"
            if listing.next_cursor
            else None,
            "first_page_url": base,
        },
    )


def submissions_csv_rows(page: LandingPage) -> Iterator[str]:
    """The CSV lines of the page's submissions, newest first: every cell defused
    against formula injection (`csv_safe`)."""
    writer = csv.writer(Echo())
    titles, questions = _questions(page)
    keys = [key for key, _label in questions]
    known = {"name", "phone", "email", *keys}
    yield "\ufeff"  # a BOM, so that Excel reads UTF-8
    yield writer.writerow(
        ["submitted_at", "form", "name", "phone", "email", "consent", "campaign", *keys, "other"]
    )
    rows = (
        FormSubmission.objects.filter(page=page)
        .select_related("campaign")
        .only("created_at", "block_id", "data", "consent", "campaign__name")
        .order_by("-created_at", "-id")
    )
    for submission in rows.iterator(chunk_size=CSV_CHUNK):
        data = submission.data if isinstance(submission.data, dict) else {}
        other = "; ".join(f"{key}: {value}" for key, value in data.items() if key not in known)
        yield writer.writerow(
            [
                submission.created_at.isoformat(),
                csv_safe(titles.get(submission.block_id, submission.block_id)),
                csv_safe(data.get("name", "")),
                csv_safe(data.get("phone", "")),
                csv_safe(data.get("email", "")),
                "yes" if submission.consent else "no",
                csv_safe(submission.campaign.name if submission.campaign else ""),
                *(csv_safe(data.get(key, "")) for key in keys),
                csv_safe(other),
            ]
        )


@stats_view
@require_GET
def submissions_csv(request: AccountRequest, page: LandingPage) -> StreamingHttpResponse:
    """The page's submissions as CSV, streamed, every cell formula-safe."""
    response = StreamingHttpResponse(
        submissions_csv_rows(page), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="{page.slug}-submissions-{stamp}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response
