"""Forms of the import screens: the upload, and the mapping of the file's columns."""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from contacts.importing.reader import guess_mapping
from contacts.importing.service import import_max_bytes
from contacts.models import ContactImport, ContactList, CustomField

UPLOAD_EXTENSIONS = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm")
IGNORE = ""
NEW_PREFIX = "new:"
CUSTOM_PREFIX = "custom:"


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File"),
        error_messages={
            "empty": gettext_lazy("The file is empty."),
            "required": gettext_lazy("Choose a file to import."),
        },
        widget=forms.FileInput(attrs={"accept": ".csv,.txt,.tsv,.xlsx,.xlsm,text/csv,text/plain"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit = import_max_bytes()
        self.fields["file"].help_text = _(
            "CSV (comma, semicolon or tab; UTF-8 or Windows-1252) or Excel (.xlsx), "
            "up to %(limit)s, with a header line and one contact per line."
        ) % {"limit": filesizeformat(limit)}
        self.fields["file"].widget.attrs["data-max-bytes"] = str(limit)

    def clean_file(self) -> UploadedFile:
        upload = self.cleaned_data["file"]
        suffix = PurePath(upload.name or "").suffix.lower()
        if suffix == ".xls":
            raise forms.ValidationError(
                _("Old Excel files (.xls) are not supported: save it as .xlsx or as CSV UTF-8."),
                code="xls",
            )
        if suffix not in UPLOAD_EXTENSIONS:
            raise forms.ValidationError(
                _("Upload a CSV file (.csv, .txt) or an Excel workbook (.xlsx)."),
                code="extension",
            )
        limit = import_max_bytes()
        if upload.size > limit:
            raise forms.ValidationError(
                _("This file is %(size)s: the limit is %(limit)s. Nothing was imported.")
                % {"size": filesizeformat(upload.size), "limit": filesizeformat(limit)},
                code="too_big",
            )
        return upload


def column_field_name(index: int) -> str:
    return f"column_{index}"


class ImportMappingForm(forms.Form):
    """One select per column of the file, the target list, and the rule for numbers
    the account already has."""

    target_list = forms.ModelChoiceField(
        label=gettext_lazy("Add the contacts to the list"),
        queryset=ContactList.objects.none(),
        to_field_name="public_id",
        required=False,
        empty_label=gettext_lazy("No list"),
        error_messages={"invalid_choice": gettext_lazy("Choose one of your lists.")},
    )
    new_list_name = forms.CharField(
        label=gettext_lazy("…or a new list named"),
        max_length=100,
        required=False,
    )
    on_existing = forms.ChoiceField(
        label=gettext_lazy("Numbers already in your contacts"),
        choices=ContactImport.OnExisting.choices,
        initial=ContactImport.OnExisting.UPDATE,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
        help_text=gettext_lazy(
            "Either way they are added to the list; empty cells never erase what is stored."
        ),
    )

    def __init__(self, *args: Any, contact_import: ContactImport, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.contact_import = contact_import
        account = contact_import.account
        self.fields["target_list"].queryset = ContactList.objects.filter(account=account)
        existing = {field.key: field.label for field in CustomField.objects.filter(account=account)}
        self.existing_keys = set(existing)
        self.headers: list[str] = list(contact_import.headers)
        guessed = guess_mapping(self.headers)
        base = [
            (IGNORE, _("Do not import")),
            ("phone", _("Mobile number")),
            ("first_name", _("First name")),
            ("last_name", _("Last name")),
            ("email", _("Email")),
        ] + [
            (f"{CUSTOM_PREFIX}{key}", _("Field: %(label)s") % {"label": label})
            for key, label in sorted(existing.items(), key=lambda item: item[1].casefold())
        ]
        self.new_keys: dict[str, str] = {}  # field name -> key proposed for a new field
        for index, header in enumerate(self.headers):
            choices = list(base)
            initial = guessed.get(index, IGNORE)
            if initial.startswith(CUSTOM_PREFIX):
                key = initial.removeprefix(CUSTOM_PREFIX)
                if key not in existing:
                    initial = f"{NEW_PREFIX}{key}"
                    choices.append(
                        (
                            initial,
                            _("New field “%(header)s” ({%(key)s})")
                            % {"header": header, "key": key},
                        )
                    )
            self.fields[column_field_name(index)] = forms.ChoiceField(
                label=header or _("Column %(number)s") % {"number": index + 1},
                choices=choices,
                initial=initial,
                required=False,
            )

    def column_fields(self) -> list[forms.BoundField]:
        return [self[column_field_name(index)] for index in range(len(self.headers))]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        chosen: dict[str, list[int]] = {}
        for index in range(len(self.headers)):
            target = data.get(column_field_name(index)) or IGNORE
            if target != IGNORE:
                chosen.setdefault(target, []).append(index)
        if "phone" not in chosen:
            raise forms.ValidationError(
                _("Choose the column that holds the mobile numbers."), code="no_phone"
            )
        for indexes in chosen.values():
            if len(indexes) > 1:
                names = ", ".join(f"“{self.headers[i] or i + 1}”" for i in indexes)
                raise forms.ValidationError(
                    _("Several columns (%(columns)s) are mapped to the same field: keep one.")
                    % {"columns": names},
                    code="twice",
                )
        if data.get("target_list") and data.get("new_list_name"):
            self.add_error(
                "new_list_name", _("Choose an existing list or name a new one, not both.")
            )
        self.chosen = chosen
        return data

    def mapping(self) -> dict[int, str]:
        """Column index -> target, new fields named as the custom fields they become."""
        result = {}
        for target, (index,) in self.chosen.items():
            if target.startswith(NEW_PREFIX):
                target = CUSTOM_PREFIX + target.removeprefix(NEW_PREFIX)
            result[index] = target
        return result

    def new_fields(self) -> dict[str, str]:
        """Custom fields to create: key -> label (the column's header)."""
        return {
            target.removeprefix(NEW_PREFIX): self.headers[index]
            for target, (index,) in self.chosen.items()
            if target.startswith(NEW_PREFIX)
        }
