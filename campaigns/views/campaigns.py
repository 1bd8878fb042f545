"""The campaigns list, the editor (with its live estimate and autosave), the send and
test-send actions, and a campaign's report."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from campaigns.forms import CampaignForm, ReadyCheck, SendForm, TestSendForm
from campaigns.models import Campaign, Kind, Message
from campaigns.selectors import (
    campaign_estimate,
    campaign_list_figures,
    campaign_report,
    click_rate,
)
from campaigns.services import (
    MAX_TEST_NUMBERS,
    CampaignError,
    campaign_cancel,
    campaign_duplicate,
    campaign_schedule,
    campaign_start_preview,
    campaign_test_send,
    campaign_unschedule,
)
from contacts.exports import Echo, csv_safe
from contacts.forms import phone_international
from contacts.models import CustomField
from shortener.clicks import clicks_flush
from shortener.tracking import placeholder_url
from smsmode.accounts.access import account_required
from smsmode.accounts.middleware import AccountRequest
from smsmode.billing.features import account_has_feature
from smsmode.billing.models import Feature
from smsmode.billing.services import InsufficientCredits
from smsmode.sms.stop import stop_code_for, stop_mention

PAGE_SIZE = 25
REPORT_MESSAGES = 50


def _get_campaign(request: AccountRequest, public_id: UUID) -> Campaign:
    """A campaign of the current account; anyone else's is a 404."""
    return get_object_or_404(
        Campaign.objects.select_related("account__plan"),
        account=request.account,
        public_id=public_id,
    )


# ------------------------------------------------------------------------ the list


@account_required
@require_GET
def campaign_list(request: AccountRequest) -> HttpResponse:
    campaigns = Campaign.objects.filter(account=request.account).order_by("-created_at", "-id")
    status = request.GET.get("status", "")
    if status in Campaign.Status.values:
        campaigns = campaigns.filter(status=status)
    kind = request.GET.get("kind", "")
    if kind in Kind.values:
        campaigns = campaigns.filter(kind=kind)
    query = request.GET.get("q", "").strip()[:100]
    if query:
        campaigns = campaigns.filter(name__icontains=query)
    page = Paginator(campaigns, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    figures = campaign_list_figures(campaigns=rows)
    for campaign in rows:
        campaign.delivered, campaign.delivery_rate = figures.get(campaign.pk, (0, None))
        rate = click_rate(campaign, campaign.delivered)
        campaign.ctr_percent = None if rate is None else rate * 100
    return render(
        request,
        "campaigns/campaign_list.html",
        {
            "page": page,
            "rows": rows,
            "statuses": Campaign.Status.choices,
            "kinds": Kind.choices,
            "status": status,
            "kind": kind,
            "q": query,
            "account_is_empty": not rows and not (status or kind or query) and page.number == 1,
        },
    )


# ------------------------------------------------------------------------ the editor


def _editor_context(request: AccountRequest, campaign: Campaign | None, form: CampaignForm) -> dict:
    account = request.account
    custom_fields = list(CustomField.objects.filter(account=account).order_by("label"))
    context = {
        "campaign": campaign,
        "form": form,
        "custom_fields": custom_fields,
        "stop_mention": stop_mention(stop_code_for(account)),
        # The counter counts links as short URLs when the plan shortens them.
        "short_url_placeholder": placeholder_url()
        if account_has_feature(account, Feature.URL_SHORTENER)
        else "",
        "send_form": SendForm(),
        "test_form": TestSendForm(),
    }
    if campaign is not None:
        context.update(_estimate_context(campaign))
    return context


def _estimate_context(campaign: Campaign, at=None) -> dict:
    campaign.refresh_from_db()
    ready = ReadyCheck(campaign)
    return {
        "campaign": campaign,
        "ready": ready,
        "estimate": campaign_estimate(campaign=campaign, at=at) if campaign.body else None,
        "saved_at": timezone.localtime(campaign.updated_at),
    }


@account_required
@require_http_methods(["GET", "POST"])
def campaign_create(request: AccountRequest) -> HttpResponse:
    form = CampaignForm(
        request.POST if request.method == "POST" else None,
        account=request.account,
        initial={"kind": Kind.MARKETING},
    )
    if request.method == "POST" and form.is_valid():
        campaign = form.save(commit=False)
        campaign.account = request.account
        campaign.created_by = request.user
        campaign.save()
        form.save_m2m()
        messages.success(request, _("Draft saved."))
        return redirect("campaigns:edit", public_id=campaign.public_id)
    return render(request, "campaigns/campaign_form.html", _editor_context(request, None, form))


@account_required
@require_http_methods(["GET", "POST"])
def campaign_edit(request: AccountRequest, public_id: UUID) -> HttpResponse:
    campaign = _get_campaign(request, public_id)
    if campaign.status != Campaign.Status.DRAFT:
        if campaign.status == Campaign.Status.SCHEDULED:
            messages.info(request, _("Put the campaign back to draft to edit it."))
        return redirect("campaigns:detail", public_id=campaign.public_id)
    form = CampaignForm(
        request.POST if request.method == "POST" else None,
        instance=campaign,
        account=request.account,
    )
    autosave = request.headers.get("HX-Request") == "true"
    if request.method == "POST":
        if form.is_valid():
            # Only a draft is saved: a campaign launched meanwhile is left alone.
            if Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.DRAFT).exists():
                form.save()
            if autosave:
                return render(request, "campaigns/_estimate.html", _estimate_context(campaign))
            messages.success(request, _("Draft saved."))
            return redirect("campaigns:edit", public_id=campaign.public_id)
        if autosave:
            context = _estimate_context(campaign)
            context["form_errors"] = form.errors
            return render(request, "campaigns/_estimate.html", context)
    return render(request, "campaigns/campaign_form.html", _editor_context(request, campaign, form))


@account_required
@require_GET
def campaign_estimate_view(request: AccountRequest, public_id: UUID) -> HttpResponse:
    campaign = _get_campaign(request, public_id)
    form = SendForm(request.GET)
    at = form.moment() if form.is_valid() else None
    return render(request, "campaigns/_estimate.html", _estimate_context(campaign, at))


# ------------------------------------------------------------------------ actions


@account_required
@require_POST
def campaign_send(request: AccountRequest, public_id: UUID) -> HttpResponse:
    """Send now or schedule. A marketing send that the window would hold is only
    scheduled once the user has seen the real start time and confirmed it."""
    campaign = _get_campaign(request, public_id)
    if campaign.status != Campaign.Status.DRAFT:
        return redirect("campaigns:detail", public_id=campaign.public_id)
    ready = ReadyCheck(campaign)
    form = SendForm(request.POST)
    if not ready.ok or not form.is_valid():
        for problem in ready.problems:
            messages.error(request, problem)
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("campaigns:edit", public_id=campaign.public_id)
    at = form.moment()
    start = campaign_start_preview(campaign=campaign, at=at)
    if start["held"] and not form.cleaned_data["confirm"]:
        return render(
            request,
            "campaigns/campaign_confirm.html",
            {"campaign": campaign, "start": start, "form": form},
        )
    estimate = campaign_estimate(campaign=campaign, at=at)
    if estimate.recipients == 0:
        messages.error(request, _("Nobody would receive this campaign: check its recipients."))
        return redirect("campaigns:edit", public_id=campaign.public_id)
    try:
        scheduled = campaign_schedule(campaign=campaign, at=at, by=request.user)
    except CampaignError:
        messages.error(request, _("This account is suspended: nothing can be sent."))
        return redirect("campaigns:edit", public_id=campaign.public_id)
    if scheduled:
        if campaign.scheduled_at and campaign.scheduled_at > timezone.now():
            messages.success(
                request,
                _("Campaign scheduled for %(when)s.")
                % {"when": timezone.localtime(campaign.scheduled_at).strftime("%d/%m/%Y %H:%M")},
            )
        else:
            messages.success(request, _("The campaign is being sent."))
    return redirect("campaigns:detail", public_id=campaign.public_id)


@account_required
@require_POST
def campaign_test(request: AccountRequest, public_id: UUID) -> HttpResponse:
    campaign = _get_campaign(request, public_id)
    form = TestSendForm(request.POST)
    back = "campaigns:edit" if campaign.status == Campaign.Status.DRAFT else "campaigns:detail"
    if not form.is_valid():
        for error in form.errors.get("numbers", []):
            messages.error(request, error)
        return redirect(back, public_id=campaign.public_id)
    if not campaign.body.strip():
        messages.error(request, _("Write the message first."))
        return redirect(back, public_id=campaign.public_id)
    try:
        sent = campaign_test_send(
            campaign=campaign, numbers=form.cleaned_data["numbers"], by=request.user
        )
    except CampaignError as exc:
        if exc.code == "suspended":
            messages.error(request, _("This account is suspended: nothing can be sent."))
        elif exc.code == "invalid":
            messages.error(
                request,
                _("%(number)s: %(why)s")
                % {"number": exc.params["number"], "why": exc.params["why"]},
            )
        else:
            messages.error(
                request, _("At most %(limit)s test numbers.") % {"limit": MAX_TEST_NUMBERS}
            )
    except InsufficientCredits as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            ngettext("Test sent to %(count)s number.", "Test sent to %(count)s numbers.", sent)
            % {"count": sent},
        )
    return redirect(back, public_id=campaign.public_id)


@account_required
@require_POST
def campaign_cancel_view(request: AccountRequest, public_id: UUID) -> HttpResponse:
    campaign = _get_campaign(request, public_id)
    if campaign_cancel(campaign=campaign, by=request.user):
        messages.success(
            request,
            _(
                "Campaign cancelled. Messages not yet sent were cancelled "
                "and their credits refunded."
            ),
        )
    return redirect("campaigns:detail", public_id=campaign.public_id)


@account_required
@require_POST
def campaign_unschedule_view(request: AccountRequest, public_id: UUID) -> HttpResponse:
    campaign = _get_campaign(request, public_id)
    if campaign_unschedule(campaign=campaign):
        messages.success(request, _("The campaign is a draft again: edit it and send it."))
        return redirect("campaigns:edit", public_id=campaign.public_id)
    messages.warning(request, _("The campaign has already started."))
    return redirect("campaigns:detail", public_id=campaign.public_id)


@account_required
@require_POST
def campaign_duplicate_view(request: AccountRequest, public_id: UUID) -> HttpResponse:
    campaign = _get_campaign(request, public_id)
    copy = campaign_duplicate(campaign=campaign, by=request.user)
    messages.success(request, _("Campaign duplicated: this is the copy, a draft."))
    return redirect("campaigns:edit", public_id=copy.public_id)


# ------------------------------------------------------------------------ the report


def _report_context(campaign: Campaign) -> dict:
    if campaign.tracked_links:
        clicks_flush(max_batches=2, wait=False)  # the click figures current
        campaign.refresh_from_db(fields=["clicks", "clickers"])
    report = campaign_report(campaign=campaign)
    recent = list(
        # In id order: the campaign's messages are contiguous in the primary key, so
        # this reads 50 rows, not a sort of the whole campaign on every poll.
        Message.objects.filter(campaign=campaign)
        .order_by("id")
        .only(
            "phone",
            "status",
            "error_code",
            "segments",
            "submitted_at",
            "final_at",
            "is_test",
            "clicked_at",
        )[:REPORT_MESSAGES]
    )
    for message in recent:
        message.phone_display = phone_international(message.phone)
    clicked = []
    if report.tracked:
        clicked = list(
            Message.objects.filter(campaign=campaign, clicked_at__isnull=False, is_test=False)
            .order_by("-clicked_at")
            .select_related("contact")
            .only(
                "phone",
                "clicked_at",
                "contact__public_id",
                "contact__first_name",
                "contact__last_name",
            )[:REPORT_MESSAGES]
        )
        for message in clicked:
            message.phone_display = phone_international(message.phone)
    peak = max((n for _hour, n in report.timeline), default=0)
    return {
        "campaign": campaign,
        "report": report,
        "recent": recent,
        "clicked": clicked,
        "ctr_percent": None if report.click_rate is None else report.click_rate * 100,
        "timeline": [
            (hour, n, round(n * 100 / peak) if peak else 0) for hour, n in report.timeline
        ],
        "live": campaign.status in (Campaign.Status.SCHEDULED, Campaign.Status.SENDING),
        "test_form": TestSendForm(),
    }


@account_required
@require_GET
def campaign_detail(request: AccountRequest, public_id: UUID) -> HttpResponse:
    campaign = _get_campaign(request, public_id)
    if campaign.status == Campaign.Status.DRAFT:
        return redirect("campaigns:edit", public_id=campaign.public_id)
    return render(request, "campaigns/campaign_detail.html", _report_context(campaign))


@account_required
@require_GET
def campaign_report_view(request: AccountRequest, public_id: UUID) -> HttpResponse:
    """The report as a fragment, polled by htmx while the campaign sends."""
    campaign = _get_campaign(request, public_id)
    return render(request, "campaigns/_report.html", _report_context(campaign))


def _messages_csv(campaign: Campaign) -> Iterator[str]:
    writer = csv.writer(Echo())
    yield "\ufeff"
    yield writer.writerow(
        [
            "phone",
            "status",
            "error",
            "segments",
            "cost",
            "submitted_at",
            "final_at",
            "clicked_at",
            "text",
        ]
    )
    rows = (
        Message.objects.filter(campaign=campaign, is_test=False)
        .order_by("id")
        .values_list(
            "phone",
            "status",
            "error_code",
            "segments",
            "cost",
            "submitted_at",
            "final_at",
            "clicked_at",
            "body",
        )
        .iterator(chunk_size=2000)
    )
    for phone, state, error, segments, cost, submitted, final, clicked, body in rows:
        yield writer.writerow(
            [
                csv_safe(phone),
                state,
                error,
                segments,
                cost,
                submitted.isoformat() if submitted else "",
                final.isoformat() if final else "",
                clicked.isoformat() if clicked else "",
                csv_safe(body),
            ]
        )


@account_required
@require_GET
def campaign_messages_csv(request: AccountRequest, public_id: UUID) -> StreamingHttpResponse:
    campaign = _get_campaign(request, public_id)
    response = StreamingHttpResponse(
        _messages_csv(campaign), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="campaign-{campaign.public_id}.csv"'
    return response
