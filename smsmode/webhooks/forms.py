"""The webhook settings form: two optional http(s) URLs."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from smsmode.webhooks import transport
from smsmode.webhooks.models import WebhookSettings


def clean_webhook_url(value: str) -> str:
    value = (value or "").strip()
    if not value:
        return ""
    try:
        transport.parse(value)
    except transport.BlockedUrl:
        raise forms.ValidationError(
            _("Enter an http:// or https:// URL of 2,048 characters at most, without spaces."),
            code="invalid",
        ) from None
    if transport.literal_refused(value):
        raise forms.ValidationError(
            _("This address points to a private or local network: we only call public ones."),
            code="private",
        )
    return value


class WebhookSettingsForm(forms.ModelForm):
    class Meta:
        model = WebhookSettings
        fields = ["status_url", "mo_url"]
        widgets = {
            "status_url": forms.URLInput(attrs={"placeholder": "https://", "autocomplete": "off"}),
            "mo_url": forms.URLInput(attrs={"placeholder": "https://", "autocomplete": "off"}),
        }
        labels = {
            "status_url": gettext_lazy("Default status URL"),
            "mo_url": gettext_lazy("Default reply URL"),
        }

    def clean_status_url(self) -> str:
        return clean_webhook_url(self.cleaned_data.get("status_url", ""))

    def clean_mo_url(self) -> str:
        return clean_webhook_url(self.cleaned_data.get("mo_url", ""))
