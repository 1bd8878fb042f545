"""Forms of the campaign editor: the campaign itself, when to send it, test numbers."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaigns.models import Campaign, Kind
from campaigns.rendering import unknown_fields
from campaigns.services import MAX_TEST_NUMBERS, final_text, split_numbers
from contacts.models import ContactList, CustomField
from smsmode.accounts.models import Account
from smsmode.sms.encoding import SmsBodyError, validate_body
from smsmode.sms.senders import SenderIdError, validate_sender_id

MAX_PASTED_NUMBERS = 10_000


class CampaignForm(forms.ModelForm):
    lists = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Lists"),
        queryset=ContactList.objects.none(),
        to_field_name="public_id",
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )

    class Meta:
        model = Campaign
        fields = ["name", "kind", "sender_id", "lists", "numbers", "body"]
        labels = {
            "name": gettext_lazy("Campaign name"),
            "kind": gettext_lazy("Kind"),
            "sender_id": gettext_lazy("Sender ID"),
            "numbers": gettext_lazy("Other numbers"),
            "body": gettext_lazy("Message"),
        }
        help_texts = {
            "name": gettext_lazy("For you only: recipients do not see it."),
            "numbers": gettext_lazy("One per line, in any format."),
            "sender_id": gettext_lazy(
                "3 to 11 letters or digits, or a number. Empty: your account's default."
            ),
        }
        widgets = {
            "kind": forms.RadioSelect(attrs={"class": "form-check-input"}),
            "numbers": forms.Textarea(attrs={"rows": 3, "inputmode": "tel"}),
            "body": forms.Textarea(attrs={"rows": 6, "data-sms-body": ""}),
        }

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.account = account
        self.fields["lists"].queryset = ContactList.objects.filter(account=account).order_by("name")
        self.fields["kind"].choices = Kind.choices
        self.fields["sender_id"].widget.attrs["placeholder"] = account.default_sender_id
        self.custom_keys = set(
            CustomField.objects.filter(account=account).values_list("key", flat=True)
        )

    def clean_sender_id(self) -> str:
        value = self.cleaned_data["sender_id"].strip()
        if not value:
            return ""
        try:
            return validate_sender_id(value)
        except SenderIdError as exc:
            raise forms.ValidationError(exc.message) from None

    def clean_body(self) -> str:
        # Browsers submit CRLF; the live counter counts LF.
        body = self.cleaned_data["body"].replace("\r\n", "\n")
        unknown = unknown_fields(body, self.custom_keys)
        if unknown:
            raise forms.ValidationError(
                _("Unknown merge fields: %(fields)s.")
                % {"fields": ", ".join(f"{{{key}}}" for key in unknown)}
            )
        return body

    def clean_numbers(self) -> str:
        numbers = self.cleaned_data["numbers"].replace("\r\n", "\n")
        if len(split_numbers(numbers)) > MAX_PASTED_NUMBERS:
            raise forms.ValidationError(
                _("At most %(limit)s numbers here: import bigger lists as contacts.")
                % {"limit": MAX_PASTED_NUMBERS}
            )
        return numbers

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        body = data.get("body")
        if body:
            probe = Campaign(kind=data.get("kind") or Kind.MARKETING)
            try:
                validate_body(final_text(probe, self.account, body))
            except SmsBodyError as exc:
                self.add_error("body", exc.message)
        return data


class ReadyCheck:
    """What a campaign lacks before it can be sent (messages for the user)."""

    def __init__(self, campaign: Campaign) -> None:
        self.problems: list[str] = []
        if not campaign.body.strip():
            self.problems.append(_("Write the message."))
        if not campaign.lists.exists() and not split_numbers(campaign.numbers):
            self.problems.append(_("Choose at least one list or add numbers."))
        if not (campaign.sender_id or campaign.account.default_sender_id):
            self.problems.append(_("Choose a sender ID."))

    @property
    def ok(self) -> bool:
        return not self.problems


class SendForm(forms.Form):
    NOW = "now"
    LATER = "later"
    when = forms.ChoiceField(
        label=gettext_lazy("When"),
        choices=[(NOW, gettext_lazy("Now")), (LATER, gettext_lazy("Later"))],
        initial=NOW,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    at = forms.DateTimeField(
        label=gettext_lazy("Date and time"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M"],
        help_text=gettext_lazy("In your account's time zone."),
    )
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("when") == self.LATER:
            at = data.get("at")
            if at is None:
                self.add_error("at", _("Choose the date and time."))
            elif at <= timezone.now():
                self.add_error("at", _("Choose a time in the future."))
            elif at > timezone.now() + datetime.timedelta(days=365):
                self.add_error("at", _("Choose a date within a year."))
        return data

    def moment(self) -> datetime.datetime | None:
        """The start asked for (aware, from the active time zone), None for now."""
        if self.cleaned_data.get("when") == self.LATER:
            return self.cleaned_data["at"]
        return None


class TestSendForm(forms.Form):
    numbers = forms.CharField(
        label=gettext_lazy("Test numbers"),
        help_text=gettext_lazy("Up to 5, separated by commas. Test SMS are charged."),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )

    def clean_numbers(self) -> list[str]:
        numbers = split_numbers(self.cleaned_data["numbers"])
        if not numbers:
            raise forms.ValidationError(_("Enter a number."))
        if len(numbers) > MAX_TEST_NUMBERS:
            raise forms.ValidationError(
                _("At most %(limit)s test numbers.") % {"limit": MAX_TEST_NUMBERS}
            )
        return numbers
