"""Merge fields: `{first_name}`, `{last_name}`, `{<custom key>}`, each with an optional
fallback for an empty value: `{first_name|cher client}`.

A template is parsed once into literal and field parts; rendering a recipient is a
join, so a million recipients cost a million joins, not a million regex scans.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

STANDARD_FIELDS = ("first_name", "last_name")
FIELD = re.compile(r"\{([a-z][a-z0-9_]{0,39})(?:\|([^{}\n]{0,60}))?\}")


@dataclass(frozen=True)
class Template:
    parts: tuple[str | tuple[str, str], ...]  # literal text, or (key, fallback)

    @property
    def keys(self) -> set[str]:
        return {part[0] for part in self.parts if isinstance(part, tuple)}

    @property
    def is_static(self) -> bool:
        return not self.keys

    def render(self, values: Mapping[str, object]) -> str:
        out = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
            else:
                value = values.get(part[0])
                text = "" if value is None else str(value).strip()
                out.append(text or part[1])
        return "".join(out)


def parse_template(body: str) -> Template:
    parts: list[str | tuple[str, str]] = []
    position = 0
    for match in FIELD.finditer(body):
        if match.start() > position:
            parts.append(body[position : match.start()])
        parts.append((match.group(1), match.group(2) or ""))
        position = match.end()
    if position < len(body):
        parts.append(body[position:])
    return Template(tuple(parts))


def unknown_fields(body: str, known: set[str]) -> list[str]:
    """Merge fields of `body` that are neither standard nor custom fields of the account."""
    return sorted(parse_template(body).keys - known - set(STANDARD_FIELDS))


def contact_values(first_name: str, last_name: str, custom: Mapping[str, object] | None) -> dict:
    values = dict(custom or {})
    values["first_name"] = first_name
    values["last_name"] = last_name
    return values
