"""The form of the API keys screen."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy

from smsmode.accounts.models import ApiScope

# What each scope is called on the screen and what it lets an integration do.
SCOPE_NAMES = {
    ApiScope.READ: gettext_lazy("Read"),
    ApiScope.SEND: gettext_lazy("Send"),
    ApiScope.MANAGE: gettext_lazy("Manage"),
}
SCOPE_HELP = {
    ApiScope.READ: gettext_lazy(
        "Read messages, contacts, campaigns and statistics. Nothing is sent or changed: "
        "for reporting and dashboards."
    ),
    ApiScope.SEND: gettext_lazy(
        "Everything Read does, and send or cancel SMS. What most integrations need."
    ),
    ApiScope.MANAGE: gettext_lazy(
        "Everything Send does, and create, change or delete contacts, lists, campaigns "
        "and short links."
    ),
}


class ApiKeyCreateForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=80,
        help_text=gettext_lazy(
            "Where the key is used, e.g. “Online shop” or “CRM sync”, to recognise it later."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True}),
    )
    scope = forms.ChoiceField(
        label=gettext_lazy("Scope"),
        choices=ApiScope.choices,
        initial=ApiScope.SEND,
        widget=forms.RadioSelect,
    )

    def scope_options(self) -> list[dict[str, Any]]:
        """The radio buttons, each with its name and help, the chosen one checked."""
        chosen = str(self["scope"].value() or ApiScope.SEND)
        return [
            {
                "value": scope.value,
                "id": f"id_scope_{scope.value}",
                "name": SCOPE_NAMES[scope],
                "help": SCOPE_HELP[scope],
                "checked": scope.value == chosen,
            }
            for scope in ApiScope
        ]
