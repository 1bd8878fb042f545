"""Forms of the contacts screens. They check what was typed; the rules (number
normalisation, duplicates, list counts) live in contacts.services."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

import phonenumbers
from django import forms
from django.utils.translation import gettext_lazy as _

from contacts.models import Contact, ContactList, CustomField
from contacts.selectors import SORT_CREATED, SORT_NAME
from contacts.services import phone_for_account
from smsmode.accounts.models import Account
from smsmode.sms.numbers import PhoneNumberError

CUSTOM_PREFIX = "custom_"


def phone_international(e164: str) -> str:
    """+33612345678 -> "+33 6 12 34 56 78"; the stored value if it does not parse."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


class ContactFilterForm(forms.Form):
    """The search box and filters of the contacts table (GET, and hidden fields of
    the bulk form). A value that does not validate is simply not applied."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": _("Name, email or number"),
                "autocomplete": "off",
            }
        ),
    )
    list = forms.ChoiceField(label=_("List"), required=False)
    opted_out = forms.ChoiceField(
        label=_("Opt-out"),
        required=False,
        choices=[("", _("All contacts")), ("1", _("Opted out")), ("0", _("Not opted out"))],
    )
    sort = forms.ChoiceField(
        label=_("Sort"),
        required=False,
        choices=[(SORT_CREATED, _("Newest first")), (SORT_NAME, _("Name"))],
    )

    def __init__(self, *args: Any, lists: Sequence[ContactList], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["list"].choices = [("", _("All lists"))] + [
            (str(lst.public_id), lst.name) for lst in lists
        ]

    def filters(self) -> dict[str, Any]:
        """Keyword arguments for contacts_search, from the fields that validated."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        opted_out = data.get("opted_out")
        return {
            "q": data.get("q") or "",
            "list_public_id": UUID(data["list"]) if data.get("list") else None,
            "opted_out": None if opted_out in (None, "") else opted_out == "1",
            "sort": data.get("sort") or SORT_CREATED,
        }

    def query_params(self) -> dict[str, str]:
        """The applied filters as query-string parameters (empty ones left out)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        params = {name: data.get(name) or "" for name in ("q", "list", "opted_out", "sort")}
        if params["sort"] == SORT_CREATED:
            params["sort"] = ""
        return {name: value for name, value in params.items() if value}


class BulkActionForm(forms.Form):
    ADD_TO_LIST = "add_to_list"
    REMOVE_FROM_LIST = "remove_from_list"
    OPT_OUT = "opt_out"
    DELETE = "delete"

    action = forms.ChoiceField(
        choices=[
            (ADD_TO_LIST, _("Add to list")),
            (REMOVE_FROM_LIST, _("Remove from list")),
            (OPT_OUT, _("Opt out")),
            (DELETE, _("Delete")),
        ],
        error_messages={
            "required": _("Choose an action."),
            "invalid_choice": _("Choose an action."),
        },
    )
    target_list = forms.ModelChoiceField(
        label=_("List"),
        queryset=ContactList.objects.none(),
        to_field_name="public_id",
        required=False,
        error_messages={"invalid_choice": _("Choose one of your lists.")},
    )
    all_matching = forms.BooleanField(required=False)
    confirm = forms.BooleanField(required=False)

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["target_list"].queryset = ContactList.objects.filter(account=account)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("action") in (self.ADD_TO_LIST, self.REMOVE_FROM_LIST) and not data.get(
            "target_list"
        ):
            self.add_error("target_list", _("Choose a list."))
        return data

    def contact_ids(self) -> list[UUID]:
        """The ticked contacts' public ids; anything that is not a UUID is dropped."""
        ids = []
        for value in self.data.getlist("ids"):
            try:
                ids.append(UUID(value))
            except ValueError:
                continue
        return ids


class ContactForm(forms.Form):
    """A contact and its lists, plus one field per custom field of the account."""

    phone = forms.CharField(
        label=_("Mobile number"),
        max_length=40,
        help_text=_("Any format: 06 12 34 56 78 or +33 6 12 34 56 78."),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    lists = forms.ModelMultipleChoiceField(
        label=_("Lists"),
        queryset=ContactList.objects.none(),
        to_field_name="public_id",
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )

    def __init__(
        self,
        *args: Any,
        account: Account,
        custom_fields: Sequence[CustomField],
        contact: Contact | None = None,
        **kwargs: Any,
    ) -> None:
        if contact is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "phone": phone_international(contact.phone),
                "first_name": contact.first_name,
                "last_name": contact.last_name,
                "email": contact.email,
                "lists": [lst.public_id for lst in contact.lists.all()],
            }
        super().__init__(*args, **kwargs)
        self.account = account
        self.contact = contact
        self.custom_fields = list(custom_fields)
        self.fields["lists"].queryset = ContactList.objects.filter(account=account).order_by("name")
        stored = contact.custom if contact is not None else {}
        for definition in self.custom_fields:
            name = CUSTOM_PREFIX + definition.key
            self.fields[name] = _custom_form_field(definition)
            if definition.key in stored and name not in self.initial:
                self.initial[name] = _initial_value(definition, stored[definition.key])

    def clean_phone(self) -> str:
        raw = self.cleaned_data["phone"]
        try:
            return phone_for_account(self.account, raw)
        except PhoneNumberError as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from None

    def custom_bound_fields(self) -> list[forms.BoundField]:
        return [self[CUSTOM_PREFIX + definition.key] for definition in self.custom_fields]

    def custom_values(self) -> dict[str, str]:
        """The contact's custom values after this form: values of fields the account
        no longer defines are kept; an emptied field is removed."""
        values = dict(self.contact.custom) if self.contact is not None else {}
        for definition in self.custom_fields:
            value = self.cleaned_data.get(CUSTOM_PREFIX + definition.key)
            if value in (None, ""):
                values.pop(definition.key, None)
            elif isinstance(value, Decimal):
                values[definition.key] = format(value, "f")
            elif isinstance(value, date):
                values[definition.key] = value.isoformat()
            else:
                values[definition.key] = value
        return values


def _custom_form_field(definition: CustomField) -> forms.Field:
    """Values are stored as text in `Contact.custom` (numbers as "12.5", dates as
    "2025-03-31") so merge fields render them as they are."""
    options = {"label": definition.label, "required": False}
    if definition.type == CustomField.Type.NUMBER:
        return forms.DecimalField(max_digits=20, decimal_places=6, localize=True, **options)
    if definition.type == CustomField.Type.DATE:
        return forms.DateField(
            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), **options
        )
    return forms.CharField(max_length=255, **options)


def _initial_value(definition: CustomField, value: object) -> object:
    if definition.type == CustomField.Type.NUMBER:
        try:
            return Decimal(str(value))
        except InvalidOperation:
            return value
    return value


class ContactListForm(forms.ModelForm):
    class Meta:
        model = ContactList
        fields = ["name", "description"]
        labels = {"name": _("Name"), "description": _("Description")}
        help_texts = {"description": _("Optional: what the list is for, who is in it.")}

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.account = account

    def clean_name(self) -> str:
        name = self.cleaned_data["name"]
        taken = ContactList.objects.filter(account=self.account, name=name)
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(
                _("A list named “%(name)s” already exists: choose another name."),
                code="duplicate",
                params={"name": name},
            )
        return name
