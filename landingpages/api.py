"""The landing pages resource of the API: list and statistics (plans with landing
pages: Medium and up; others get 403 FEATURE_NOT_IN_PLAN). Pages are built in the
editor; the API reads them."""

from __future__ import annotations

import datetime
from uuid import UUID

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, Query, Router, Schema

from contacts.api import PageQuery, account_of, answers, keyset
from landingpages.models import LandingPage
from landingpages.selectors import page_stats
from smsmode.api.auth import api_auth, require_feature, require_scope
from smsmode.api.errors import not_found
from smsmode.billing.models import Feature

router = Router(auth=api_auth)


class PageOut(Schema):
    id: UUID
    title: str
    slug: str
    url: str = Field(description="The public address; put it in a campaign's text.")
    status: str = Field(description="draft or published")
    blocks: int = Field(description="How many blocks the page has.")
    publishedAt: datetime.datetime | None
    createdAt: datetime.datetime


class PagePage(Schema):
    items: list[PageOut]
    nextCursor: str | None


class BlockStatsOut(Schema):
    id: str
    type: str | None
    label: str
    clicks: int
    clickers: int
    submissions: int


class CampaignStatsOut(Schema):
    campaign: UUID | None
    name: str
    views: int
    uniqueViews: int
    clicks: int
    submissions: int
    converted: int
    conversionRate: float | None


class PageStatsOut(Schema):
    views: int = Field(description="Views by people (bots and link previews left out).")
    uniqueViews: int
    botViews: int
    clicks: int
    submissions: int
    converted: int = Field(description="Visitors who viewed, then clicked or sent a form.")
    conversionRate: float | None = Field(description="converted / uniqueViews")
    blocks: list[BlockStatsOut]
    campaigns: list[CampaignStatsOut]


def _gate(request: HttpRequest) -> None:
    require_scope(request, "read")
    require_feature(request, Feature.LANDING_PAGES)


def _page_out(page: LandingPage) -> dict:
    url = settings.SITE_ROOT.rstrip("/") + reverse("landing_public:page", args=[page.slug])
    return {
        "id": page.public_id,
        "title": page.title,
        "slug": page.slug,
        "url": url,
        "status": page.status,
        "blocks": len(page.blocks) if isinstance(page.blocks, list) else 0,
        "publishedAt": page.published_at,
        "createdAt": page.created_at,
    }


@router.get("", response=answers({200: PagePage}), operation_id="listPages", summary="List pages")
def page_list(request: HttpRequest, filters: Query[PageQuery]) -> dict:
    """The account's landing pages, newest first."""
    _gate(request)
    page = keyset(LandingPage.objects.filter(account=account_of(request)), filters)
    return {"items": [_page_out(row) for row in page.rows], "nextCursor": page.next_cursor}


@router.get(
    "{id}/statistics",
    response=answers({200: PageStatsOut}, 404),
    operation_id="getPageStatistics",
    summary="A page's statistics",
)
def page_statistics(request: HttpRequest, id: UUID) -> dict:
    """Views, unique views, clicks per block, form submissions and the conversion rate,
    for the page and per campaign that linked to it."""
    _gate(request)
    page = LandingPage.objects.filter(account=account_of(request), public_id=id).first()
    if page is None:
        raise not_found("page")
    stats = page_stats(page)
    from campaigns.models import Campaign

    public_ids = dict(
        Campaign.objects.filter(
            pk__in=[row["campaign_id"] for row in stats["campaigns"]]
        ).values_list("pk", "public_id")
    )
    return {
        "views": stats["views"],
        "uniqueViews": stats["unique_views"],
        "botViews": stats["bot_views"],
        "clicks": stats["clicks"],
        "submissions": stats["submissions"],
        "converted": stats["converted"],
        "conversionRate": stats["conversion_rate"],
        "blocks": [
            {
                "id": block["id"],
                "type": block["type"],
                "label": block["label"],
                "clicks": block["clicks"],
                "clickers": block["clickers"],
                "submissions": block["submissions"],
            }
            for block in stats["blocks"]
        ],
        "campaigns": [
            {
                "campaign": public_ids.get(row["campaign_id"]),
                "name": row["campaign"],
                "views": row["views"],
                "uniqueViews": row["unique_views"],
                "clicks": row["clicks"],
                "submissions": row["submissions"],
                "converted": row["converted"],
                "conversionRate": row["conversion_rate"],
            }
            for row in stats["campaigns"]
        ],
    }
