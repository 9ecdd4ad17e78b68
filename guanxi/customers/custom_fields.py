"""Validation of custom field values against their definitions."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from . import normalize
from .models import AppliesTo, CustomFieldDefinition, CustomFieldType


def _not_a_choice(definition: CustomFieldDefinition, value: Any) -> str:
    """Names the value and the choices: a value typed in a file or sent to the API has no list
    to pick from beside it."""
    return _("“%(value)s” is not one of the choices: %(choices)s.") % {
        "value": value,
        "choices": "; ".join(str(c) for c in definition.choices),
    }


def _clean_one(definition: CustomFieldDefinition, value: Any) -> Any:
    kind = definition.field_type
    if kind == CustomFieldType.TEXT:
        if not isinstance(value, str):
            raise ValidationError(_("Enter text."))
        limit = definition.max_length or 1000
        if len(value) > limit:
            raise ValidationError(_("Enter at most %(limit)d characters.") % {"limit": limit})
        if definition.pattern and not re.fullmatch(definition.pattern, value):
            raise ValidationError(_("This value does not have the expected form."))
        return value
    if kind == CustomFieldType.NUMBER:
        if isinstance(value, bool):
            raise ValidationError(_("Enter a number."))
        if isinstance(value, str):  # as typed: 1,234.5, full-width digits, spaces around
            number = normalize.parse_number(value)
        else:
            try:
                number = Decimal(str(value))
            except (InvalidOperation, ValueError):
                raise ValidationError(_("Enter a number.")) from None
        if not number.is_finite():
            raise ValidationError(_("Enter a number."))
        _sign, digits, exponent = number.normalize().as_tuple()
        if len(digits) > 15 or exponent < -6 or number.adjusted() >= 15:
            # What a JSON number keeps exactly: at most 15 digits, 6 of them decimals.
            raise ValidationError(
                _("Enter a number with at most 15 digits, 6 of them after the decimal point.")
            )
        if definition.min_value is not None and number < definition.min_value:
            raise ValidationError(
                _("Enter a number of at least %(min)s.") % {"min": definition.min_value.normalize()}
            )
        if definition.max_value is not None and number > definition.max_value:
            raise ValidationError(
                _("Enter a number of at most %(max)s.") % {"max": definition.max_value.normalize()}
            )
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == CustomFieldType.DATE:
        try:
            return dt.date.fromisoformat(str(value)).isoformat()
        except ValueError:
            raise ValidationError(_("Enter a date as YYYY-MM-DD.")) from None
    if kind == CustomFieldType.BOOLEAN:
        if not isinstance(value, bool):
            raise ValidationError(_("Enter true or false."))
        return value
    if kind == CustomFieldType.CHOICE:
        if value not in definition.choices:
            raise ValidationError(_not_a_choice(definition, value))
        return value
    if kind == CustomFieldType.MULTI_CHOICE:
        if not isinstance(value, list):
            raise ValidationError(_("Choose among the offered values."))
        wrong = next((v for v in value if v not in definition.choices), None)
        if wrong is not None:
            raise ValidationError(_not_a_choice(definition, wrong))
        return list(dict.fromkeys(value))
    raise ValidationError(_("Unknown field type."))


def clean_custom_fields(
    values: Any,
    *,
    customer_kind: str,
    stored: dict[str, Any] | None = None,
    active: list[CustomFieldDefinition] | None = None,
) -> dict[str, Any]:
    """Validated custom field values for a customer of `customer_kind`.

    `stored` are the values the customer had: those of fields that are no longer active (or
    no longer apply to this kind) are data, kept as they were — a form that cannot show them
    must not erase them, and sending them back unchanged is not an error.
    Raises ValidationError({"custom_fields.<key>": message}) naming each bad field.
    `active` are the active definitions when the caller has read them already (a bulk writer).
    """
    if values in (None, ""):
        values = {}
    if not isinstance(values, dict):
        raise ValidationError({"custom_fields": _("Custom fields must be an object.")})
    in_use = list(CustomFieldDefinition.objects.filter(active=True) if active is None else active)
    definitions = {d.key: d for d in in_use if d.applies_to in (AppliesTo.ALL, customer_kind)}
    other_kind = {d.key: d for d in in_use if d.key not in definitions}
    errors: dict[str, str] = {}
    kept = {k: v for k, v in (stored or {}).items() if k not in definitions}
    cleaned: dict[str, Any] = {}
    for key, value in values.items():
        definition = definitions.get(key)
        if definition is None:
            if key not in kept or kept[key] != value:
                if key in other_kind and value in (None, "", []):
                    continue  # nothing said about a field of the other kind
                if key in other_kind:
                    errors[key] = (
                        _("This field is for people only.")
                        if other_kind[key].applies_to == AppliesTo.PERSON
                        else _("This field is for organisations only.")
                    )
                else:
                    errors[key] = _("There is no such custom field.")
            continue
        if value in (None, "", []):
            continue
        try:
            cleaned[key] = _clean_one(definition, value)
        except ValidationError as exc:
            errors[key] = exc.messages[0]
    for key, definition in definitions.items():
        if definition.required and key not in cleaned and key not in errors:
            errors[key] = _("This field is required.")
    if errors:
        raise ValidationError({f"custom_fields.{key}": msg for key, msg in errors.items()})
    return {**kept, **cleaned}
