import zoneinfo

import phonenumbers
from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from smsmode.accounts.models import Account, Role
from smsmode.sms.senders import SenderIdError, validate_sender_id

COUNTRY_CHOICES = sorted(
    (region, f"{region} (+{phonenumbers.country_code_for_region(region)})")
    for region in phonenumbers.SUPPORTED_REGIONS
)

TIME_ZONE_CHOICES = sorted(
    (tz, tz.replace("_", " ")) for tz in zoneinfo.available_timezones() if "/" in tz
)


class FastSelect(forms.Select):
    """A flat <select> rendered in Python: Django renders each option through a
    template, which costs ~0.4 ms per option (the time-zone list has ~400)."""

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        final = self.build_attrs(self.attrs, {**(attrs or {}), "name": name})
        selected = str(value) if value is not None else ""
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (key, " selected" if str(key) == selected else "", label)
                for key, label in self.choices
            ),
        )
        return format_html("<select{}>{}</select>", flatatt(final), options)


class SignupForm(forms.Form):
    """Extra sign-up fields; allauth adds email and password."""

    company_name = forms.CharField(
        label=_("Company name"),
        max_length=120,
        required=True,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )

    def signup(self, request, user) -> None:
        """The account is created by the adapter, which sees the company name."""


class AccountSettingsForm(forms.ModelForm):
    country = forms.ChoiceField(label=_("Country"), choices=COUNTRY_CHOICES, widget=FastSelect)
    time_zone = forms.ChoiceField(
        label=_("Time zone"), choices=TIME_ZONE_CHOICES, widget=FastSelect
    )
    default_sender_id = forms.CharField(
        label=_("Default sender ID"),
        max_length=16,  # 15 digits, and a "+" that clean_default_sender_id drops
        required=False,
        help_text=_("Shown as the sender of your SMS, e.g. MyShop."),
    )

    class Meta:
        model = Account
        fields = [
            "name",
            "country",
            "time_zone",
            "default_sender_id",
            "language",
            "api_shorten_links",
        ]
        help_texts = {
            "country": _("Phone numbers without a country code are read as from this country."),
            "time_zone": _("Schedules and statistics use this time zone."),
            "default_sender_id": _("Shown as the sender of your SMS, e.g. MyShop."),
        }

    def clean_default_sender_id(self) -> str:
        value = self.cleaned_data["default_sender_id"].strip()
        if not value:
            return ""
        try:
            return validate_sender_id(value)
        except SenderIdError as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from exc


class CreateAccountForm(forms.Form):
    name = forms.CharField(label=_("Company name"), max_length=120)


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Email address"))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.MEMBER)


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
