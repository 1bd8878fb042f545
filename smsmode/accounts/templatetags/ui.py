"""Small template helpers for Bootstrap forms."""

from django import forms, template
from django.forms.boundfield import BoundField

register = template.Library()


@register.filter
def bs(field: BoundField) -> BoundField:
    """Give a field's widget Bootstrap's class, and mark it invalid when it has errors."""
    widget = field.field.widget
    if isinstance(widget, forms.CheckboxInput):
        css = "form-check-input"
    elif isinstance(widget, forms.Select):
        css = "form-select"
    else:
        css = "form-control"
    if field.errors:
        css += " is-invalid"
        widget.attrs["aria-invalid"] = "true"
    existing = widget.attrs.get("class", "")
    if css not in existing:
        widget.attrs["class"] = f"{existing} {css}".strip()
    return field


@register.filter
def startswith(value: str, prefix: str) -> bool:
    """For navigation: is this page under that section? (`request.path|startswith:url`)"""
    return bool(prefix) and str(value).startswith(str(prefix))
