"""Forms of the URL shortener tab."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shortener.safety import TargetUrlError, validate_target_url
from shortener.services import DEFAULT_LIFETIME


class ExpiryField(forms.DateField):
    """A date in the account's time zone; the link works until the end of that day."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), **kwargs
        )

    @staticmethod
    def end_of(day: datetime.date) -> datetime.datetime:
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time(23, 59, 59)))


class LinkCreateForm(forms.Form):
    url = forms.CharField(
        label=gettext_lazy("URL to shorten"),
        max_length=4096,
        widget=forms.URLInput(attrs={"placeholder": "https://", "autocomplete": "off"}),
    )
    name = forms.CharField(
        label=gettext_lazy("Name (optional)"),
        max_length=100,
        required=False,
        help_text=gettext_lazy("To find it again later; recipients do not see it."),
    )
    expires = ExpiryField(label=gettext_lazy("Expires on"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["expires"] = timezone.localdate() + DEFAULT_LIFETIME

    def clean_url(self) -> str:
        try:
            return validate_target_url(self.cleaned_data["url"])
        except TargetUrlError as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from None

    def clean_expires(self) -> datetime.datetime:
        day = self.cleaned_data["expires"]
        if day < timezone.localdate():
            raise forms.ValidationError(_("Choose today or a later date."))
        if day > timezone.localdate() + datetime.timedelta(days=3 * 366):
            raise forms.ValidationError(_("Choose a date within three years."))
        return ExpiryField.end_of(day)


class LinkEditForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100, required=False)
    expires = ExpiryField(label=gettext_lazy("Expires on"))

    def clean_expires(self) -> datetime.datetime:
        day = self.cleaned_data["expires"]
        if day > timezone.localdate() + datetime.timedelta(days=3 * 366):
            raise forms.ValidationError(_("Choose a date within three years."))
        return ExpiryField.end_of(day)
