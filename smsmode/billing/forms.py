from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from smsmode.billing.models import BillingPeriod, LedgerKind


class ChangePlanForm(forms.Form):
    plan = forms.SlugField()
    period = forms.ChoiceField(choices=BillingPeriod.choices, initial=BillingPeriod.MONTHLY)


class BuyCreditsForm(forms.Form):
    pack = forms.IntegerField(min_value=1)


class LowBalanceForm(forms.Form):
    threshold = forms.DecimalField(
        label=_("Alert me when the balance falls below"),
        required=False,
        min_value=Decimal("0"),
        max_digits=14,
        decimal_places=2,
        localize=True,  # "500,5" in French
        help_text=_("Leave empty for no alert. The owners get one email each time."),
    )


class LedgerFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All kinds")), *LedgerKind.choices]
    )
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def filter(self, queryset):
        if not self.is_valid():
            return queryset
        data = self.cleaned_data
        if data["kind"]:
            queryset = queryset.filter(kind=data["kind"])
        if data["since"]:
            queryset = queryset.filter(created_at__date__gte=data["since"])
        if data["until"]:
            queryset = queryset.filter(created_at__date__lte=data["until"])
        return queryset
