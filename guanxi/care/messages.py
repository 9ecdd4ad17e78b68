"""Greeting messages: templates with a fixed set of placeholders such as {name}.

Rendering replaces `{placeholder}` tokens with plain values and nothing else: no attribute
access, no format specifications, no template code (unlike str.format or Django templates).
`{{` and `}}` stand for literal braces.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

PLACEHOLDERS = {
    "name": gettext_lazy("the customer's short name, or their name"),
    "display_name": gettext_lazy("the customer's name"),
    "owner_name": gettext_lazy("the name of the customer's owner"),
    "festival": gettext_lazy("the occasion (e.g. Mid-Autumn Festival)"),
    "date": gettext_lazy("the date of the occasion"),
}

_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")


def placeholders_in(text: str) -> list[str]:
    """The placeholders used in a text; raises ValueError on a lone brace."""
    found = []
    for match in _TOKEN.finditer(text):
        piece = match.group(0)
        if piece in ("{{", "}}"):
            continue
        if match.group(1) is None:
            raise ValueError(piece)
        found.append(match.group(1))
    return found


def validate(field: str, text: str) -> None:
    """A field-level error for unknown placeholders or unmatched braces."""
    try:
        names = placeholders_in(text)
    except ValueError:
        raise ValidationError(
            {field: _("A brace is not closed. Write {{ and }} for literal braces.")}
        ) from None
    unknown = sorted({n for n in names if n not in PLACEHOLDERS})
    if unknown:
        raise ValidationError(
            {
                field: _("Unknown placeholder: %(names)s. Use: %(allowed)s.")
                % {
                    "names": ", ".join("{" + n + "}" for n in unknown),
                    "allowed": ", ".join("{" + n + "}" for n in PLACEHOLDERS),
                }
            }
        )


def render(text: str, values: dict[str, str]) -> str:
    def replace(match: re.Match) -> str:
        piece = match.group(0)
        if piece == "{{":
            return "{"
        if piece == "}}":
            return "}"
        name = match.group(1)
        if name is None or name not in PLACEHOLDERS:
            return piece  # validated on save; kept as written rather than guessed
        return str(values.get(name, ""))

    return _TOKEN.sub(replace, text)
