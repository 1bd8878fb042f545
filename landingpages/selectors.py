"""The figures of a landing page, and its submissions.

Definitions (bots and link previews are stored but counted in none of these, except
`bot_views`):

- views: every GET of the published page (not HEAD, not the editor's preview, not the
  thank-you page shown after a form);
- unique views: visitors (keyed hash of address and browser) who viewed the page, each
  counted once: its first view carries `is_unique`;
- clicks: clicks through a button, map or video block, per block, with the number of
  distinct visitors who clicked it;
- submissions: forms sent (the honeypot's catches are not stored);
- converted visitors: distinct visitors who viewed the page and then clicked any block
  or sent a form;
- conversion rate = converted visitors / unique views (None without a unique view), so
  it lies between 0 and 1 and a visitor who clicks three buttons converts once.

Per campaign (events reached through a recipient's link of a campaign; test sends
count for none) the same figures, with "unique views" = distinct visitors among that
campaign's views (a visitor's first view of the page may have come another way).

Every figure is a COUNT over the events' (page, kind, block_id) and (page, visitor)
indexes: a handful of queries however many views there are.
"""

from __future__ import annotations

from django.db.models import Count, OuterRef, Q, QuerySet

from landingpages.models import FormSubmission, LandingPage, PageEvent

VIEW, CLICK, SUBMIT = PageEvent.Kind.VIEW, PageEvent.Kind.CLICK, PageEvent.Kind.SUBMIT
ACTIONS = (CLICK, SUBMIT)


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _block_label(block: dict) -> str:
    data = block.get("data") if isinstance(block.get("data"), dict) else {}
    kind = block.get("type")
    if kind == "button":
        return str(data.get("label") or "")
    if kind == "map":
        return str(data.get("address") or "")
    if kind == "video":
        return str(data.get("title") or data.get("url") or "")
    if kind == "form":
        return str(data.get("title") or "")
    return ""


def page_stats(page: LandingPage) -> dict:
    """The page's figures (see the module's definitions):

    `{"views", "unique_views", "bot_views", "clicks", "submissions", "converted",
    "conversion_rate", "blocks": [{"id", "type", "label", "clicks", "clickers",
    "submissions", "percent"}], "campaigns": [{"campaign", "views", "unique_views",
    "clicks", "submissions", "converted", "conversion_rate"}]}`.

    Blocks are in the page's order, then any block clicked and since removed; `percent`
    is the block's share of the busiest block (for the bars). Four queries."""
    events = PageEvent.objects.filter(page=page)
    rows = events.values("kind", "block_id", "is_bot").annotate(
        n=Count("id"),
        unique=Count("id", filter=Q(is_unique=True)),
        # distinct clickers per block; never over the views (the biggest group by far)
        visitors=Count("visitor", distinct=True, filter=~Q(kind=VIEW)),
    )
    views = unique_views = bot_views = clicks = submissions = 0
    per_block: dict[str, dict] = {}
    for row in rows:
        if row["kind"] == VIEW:
            if row["is_bot"]:
                bot_views += row["n"]
            else:
                views += row["n"]
                unique_views += row["unique"]
        elif not row["is_bot"] and row["kind"] in ACTIONS:
            figures = per_block.setdefault(
                row["block_id"], {"clicks": 0, "clickers": 0, "submissions": 0}
            )
            if row["kind"] == CLICK:
                clicks += row["n"]
                figures["clicks"] += row["n"]
                figures["clickers"] += row["visitors"]
            else:
                submissions += row["n"]
                figures["submissions"] += row["n"]

    viewers = events.filter(kind=VIEW, is_bot=False).values("visitor")
    converted = events.filter(kind__in=ACTIONS, is_bot=False, visitor__in=viewers).aggregate(
        n=Count("visitor", distinct=True)
    )["n"]

    blocks = []
    page_blocks = page.blocks if isinstance(page.blocks, list) else []
    listed = set()
    for block in page_blocks:
        if not isinstance(block, dict) or block.get("type") not in (
            "button",
            "map",
            "video",
            "form",
        ):
            continue
        block_id = str(block.get("id"))
        listed.add(block_id)
        figures = per_block.get(block_id, {"clicks": 0, "clickers": 0, "submissions": 0})
        blocks.append(
            {"id": block_id, "type": block.get("type"), "label": _block_label(block), **figures}
        )
    for block_id, figures in per_block.items():
        if block_id not in listed:
            blocks.append({"id": block_id, "type": None, "label": "", "removed": True, **figures})
    top = max((b["clicks"] + b["submissions"] for b in blocks), default=0)
    for block in blocks:
        block["percent"] = round(100 * (block["clicks"] + block["submissions"]) / top) if top else 0

    return {
        "views": views,
        "unique_views": unique_views,
        "bot_views": bot_views,
        "clicks": clicks,
        "submissions": submissions,
        "converted": converted,
        "conversion_rate": _rate(converted, unique_views),
        "blocks": blocks,
        "campaigns": _per_campaign(page),
    }


def _per_campaign(page: LandingPage) -> list[dict]:
    from campaigns.models import Campaign

    events = PageEvent.objects.filter(page=page, campaign__isnull=False, is_bot=False)
    figures: dict[int, dict] = {}
    for row in events.values("campaign_id", "kind").annotate(
        n=Count("id"), visitors=Count("visitor", distinct=True)
    ):
        entry = figures.setdefault(
            row["campaign_id"],
            {"views": 0, "unique_views": 0, "clicks": 0, "submissions": 0, "converted": 0},
        )
        if row["kind"] == VIEW:
            entry["views"], entry["unique_views"] = row["n"], row["visitors"]
        elif row["kind"] == CLICK:
            entry["clicks"] = row["n"]
        elif row["kind"] == SUBMIT:
            entry["submissions"] = row["n"]
    if not figures:
        return []
    # A visitor converts for a campaign when they viewed the page and acted through it.
    viewers = PageEvent.objects.filter(
        page=page, kind=VIEW, is_bot=False, campaign_id=OuterRef("campaign_id")
    ).values("visitor")
    for row in (
        events.filter(kind__in=ACTIONS, visitor__in=viewers)
        .values("campaign_id")
        .annotate(n=Count("visitor", distinct=True))
    ):
        figures[row["campaign_id"]]["converted"] = row["n"]
    names = dict(Campaign.objects.filter(pk__in=figures).values_list("pk", "name"))
    rows = []
    for campaign_id, entry in figures.items():
        rows.append(
            {
                "campaign": names.get(campaign_id, ""),
                "campaign_id": campaign_id,
                **entry,
                "conversion_rate": _rate(entry["converted"], entry["unique_views"]),
            }
        )
    rows.sort(key=lambda row: (-row["views"], row["campaign"]))
    return rows


def submissions_of(page: LandingPage) -> QuerySet[FormSubmission]:
    """The page's submissions, newest first (the `submission_recent` index)."""
    return (
        FormSubmission.objects.filter(page=page)
        .select_related("campaign", "message")
        .order_by("-created_at", "-id")
    )
