"""Model validation for writers that check many records (imports).

`full_clean` gives exactly the outcome of Django's `Model.full_clean` (without the uniqueness
checks), but skips Django's per-field work when every value already has its field's Python type
and obviously passes the field's checks (required, length, choices): the common case of
a value a service has already cleaned. Anything else, and every error, goes through Django's
own `full_clean`, so the messages and conversions are Django's.

Also the range of dates a person may type where a date bounds a query (dashboard periods,
segment rules): `FIRST_DATE`..`LAST_DATE`, with `date_range_message`.
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import json
from collections.abc import Iterable
from typing import Any

from django.core import validators as django_validators
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _

# Validators the quick check below covers itself (length and NUL characters in text).
_COVERED = (django_validators.MaxLengthValidator, django_validators.ProhibitNullCharactersValidator)


def _type_of(field: models.Field) -> type | tuple[type, ...] | None:
    """The Python type a field's cleaned value has; None when the quick check does not apply."""
    if isinstance(field, models.JSONField):
        return object
    if isinstance(field, (models.CharField, models.TextField)):
        return str
    if isinstance(field, models.DateTimeField):
        return dt.datetime
    if isinstance(field, models.DateField):
        return dt.date
    if isinstance(field, models.BooleanField):
        return bool
    if isinstance(field, models.DecimalField):
        return decimal.Decimal
    if isinstance(field, (models.IntegerField, models.AutoField)):
        return int
    return None


@functools.cache
def _plan(model: type[models.Model], exclude: frozenset[str]) -> tuple[Any, ...] | None:
    """Per field: (attname, type, blank, max_length, choices, empty values, validators
    left to run, whether a date, JSON encoder). None when a field or the model needs Django's
    full treatment."""
    meta = model._meta
    if meta.constraints or model.clean is not models.Model.clean:
        return None
    plan = []
    for field in meta.concrete_fields:
        if field.name in exclude or field.attname in exclude:
            continue
        if field.primary_key:
            continue
        if field.is_relation:
            # Only an empty link is checked here; a set one is looked up the Django way.
            plan.append(
                (field.attname, None, field.blank, None, None, field.empty_values, (), False, None)
            )
            continue
        kind = _type_of(field)
        if kind is None:
            return None
        choices = frozenset(k for k, _v in field.flatchoices) if field.choices else None
        extra = tuple(v for v in field.validators if not isinstance(v, _COVERED))
        plan.append(
            (
                field.attname,
                kind,
                field.blank,
                getattr(field, "max_length", None) if kind is str else None,
                choices,
                field.empty_values,
                extra,
                kind is dt.date,
                field.encoder if kind is object else None,
            )
        )
    return tuple(plan)


def _passes(instance: models.Model, plan: Iterable[tuple[Any, ...]]) -> bool:
    for attname, kind, blank, max_length, choices, empty, extra, is_date, encoder in plan:
        value = getattr(instance, attname)
        if value in empty:  # Django skips an empty value of a blank field, refuses any other
            if blank:
                continue
            return False
        if kind is None:  # a link to another record
            return False
        if kind is object:  # JSON: what Django checks is that it can be written as JSON
            try:
                json.dumps(value, cls=encoder)
            except (TypeError, ValueError):
                return False
        elif (
            not isinstance(value, kind)
            or isinstance(value, bool) is not (kind is bool)
            or (is_date and isinstance(value, dt.datetime))
        ):
            return False
        if max_length is not None and (len(value) > max_length or "\x00" in value):
            return False
        if choices is not None and value not in choices:
            return False
        for validator in extra:
            try:
                validator(value)
            except ValidationError:
                return False  # Django's full_clean reports it, keyed by the field
    return True


def full_clean(instance: models.Model, *, exclude: Iterable[str] = ()) -> None:
    """`instance.full_clean(exclude=exclude, validate_unique=False)`, quicker for values that
    are already clean. Raises Django's ValidationError, with Django's messages."""
    exclude = frozenset(exclude)
    plan = _plan(type(instance), exclude)
    if plan is not None and _passes(instance, plan):
        return
    instance.full_clean(exclude=list(exclude), validate_unique=False)


# Dates that bound a query: outside them a date is a typing mistake (0001-01-01, 9999-12-31),
# and a day and its neighbours must exist in UTC and the local time zone, and so must the
# months between two of them.
FIRST_DATE, LAST_DATE = dt.date(1900, 1, 1), dt.date(2999, 12, 31)


def date_range_message() -> str:
    return _("Choose a date between %(first)s and %(last)s.") % {
        "first": FIRST_DATE.isoformat(),
        "last": LAST_DATE.isoformat(),
    }


class Errors:
    """Run independent checks and report all their errors at once, so that a person fixes a
    form, a request or an import row in one go instead of one message at a time:

        errors = Errors()
        points = errors.run(clean_points, data, default=[])
        errors.run(check_birthday, data)
        errors.raise_any()  # one ValidationError with every field's messages

    `run` returns the check's result, or `default` when it raised a ValidationError (whose
    messages are kept by field; a message without a field is kept under NON_FIELD_ERRORS)."""

    def __init__(self) -> None:
        self.by_field: dict[str, list] = {}

    def run(self, check, *args: Any, default: Any = None, **kwargs: Any) -> Any:
        try:
            return check(*args, **kwargs)
        except ValidationError as exc:
            self.by_field = exc.update_error_dict(self.by_field)
            return default

    def add(self, field: str, message: str) -> None:
        self.by_field.setdefault(field, []).append(ValidationError(message))

    def has(self, field: str) -> bool:
        return field in self.by_field

    def raise_any(self) -> None:
        if self.by_field:
            raise ValidationError(self.by_field)


def has_nul(value: Any) -> bool:
    """Whether a text, or any key or text inside lists and dicts, holds a NUL character, which
    PostgreSQL cannot store in a text or a JSON value (SQLite can: the same input must give the
    same answer on both)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(has_nul(v) for v in value)
    return False
