"""Audit events as a person reads them: field labels, choice labels instead of codes, names
instead of ids, and contact details masked for roles that may not see them. Used by every page
that shows changes (a customer's history, the 360° timeline)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from guanxi.core.context import Source
from guanxi.customers.masking import present_changes

from .models import AuditEvent

SOURCE_LABELS = {
    Source.WEB: gettext_lazy("web page"),
    Source.API: gettext_lazy("API"),
    Source.IMPORT: gettext_lazy("import"),
    Source.JOB: gettext_lazy("background job"),
    Source.SYSTEM: gettext_lazy("system"),
    "portal": gettext_lazy("customer portal"),
}


@dataclass
class Change:
    field: str
    before: str
    after: str


# Records whose stored name (str() at the time of the change) is internal, such as a pool
# event's "12 return": the record type and the changes say what happened, so no name is shown.
UNNAMED_RECORDS = frozenset({"pool.poolevent", "care.careprofile"})


@dataclass
class PresentedEvent:
    event: AuditEvent
    record_type: str
    source: str
    changes: list[Change]
    name: str = ""


def model_of(object_type: str) -> type[models.Model] | None:
    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


def _field(model, name: str):
    if model is None:
        return None
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


# Entries of a customer's changes that are not its fields: what a merge (guanxi.dedup) records
# beside the fields it changed. Their label, and what their value holds: a customer's id, a
# merge's id, {field: "loser"} (the values taken from the merged customer) or
# {"app.model.field": count} (rows moved from one customer to the other).
# A share (guanxi.customers.services.share_customer) records "shared_with": "user:7" or
# "team:3": a user or a team, shown by name.
CUSTOMER_REF, MERGE_REF, FIELDS, ROWS = "customer", "merge", "fields", "rows"
SHARE_REF = "share"
EXTRA_ENTRIES = {
    "shared_with": (pgettext_lazy("customer share", "shared with"), SHARE_REF),
    "merged_from": (gettext_lazy("merged from customer"), CUSTOMER_REF),
    "merged_into": (gettext_lazy("merged into customer"), CUSTOMER_REF),
    "merge": (gettext_lazy("merge number"), MERGE_REF),
    "merge_undone": (gettext_lazy("undone merge"), MERGE_REF),
    "fields_from_merged": (gettext_lazy("values taken from the merged customer"), FIELDS),
    "moved": (gettext_lazy("moved to the kept customer"), ROWS),
    "moved_back": (gettext_lazy("moved back to the merged customer"), ROWS),
    "left_with_merged": (
        gettext_lazy("left with the merged customer (the kept one has the same)"),
        ROWS,
    ),
}


def _extra(model, name: str) -> tuple[Any, str] | None:
    if model is None or _field(model, name) is not None:
        return None
    return EXTRA_ENTRIES.get(name)


def _customer_model():
    return apps.get_model("customers", "Customer")


def rows_label(label: str) -> str:
    """The records behind "app.model.field" (a foreign key to a customer), in words: the
    model's plural name; for a many-to-many table, the records on its other side (tags)."""
    model_label, _dot, field_name = label.rpartition(".")
    model = model_of(model_label)
    if model is None:
        return label
    if model._meta.auto_created:
        for other in model._meta.fields:
            if other.many_to_one and other.name != field_name:
                return str(other.related_model._meta.verbose_name_plural)
    return str(model._meta.verbose_name_plural)


def field_label(model, name: str) -> str:
    extra = _extra(model, name)
    if extra is not None:
        return str(extra[0])
    field = _field(model, name)
    if field is not None and getattr(field, "verbose_name", None):
        return str(field.verbose_name)
    if field is not None and field.related_model is not None:  # a reverse relation
        return str(field.related_model._meta.verbose_name_plural)
    return name.replace("_", " ")


def display(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, list):
        return "; ".join(display(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items() if v not in (None, ""))
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return str(value)


def _related_records(user, related: type[models.Model]) -> models.QuerySet:
    """Where names of `related` records may be read: customers and contacts through the gate
    (a record moved from a customer the user cannot see shows as #id); users, teams, roles and
    products are a directory every signed-in user may read."""
    from guanxi.customers.models import Contact, Customer
    from guanxi.customers.policies import visible_q
    from guanxi.customers.selectors import contact_list

    if related is Customer:
        return Customer.objects.filter(visible_q(user))
    if related is Contact:
        return contact_list(user=user)
    return related._default_manager.all()


def _names(user, events: list[tuple[Any, dict]]) -> dict[tuple[type, Any], str]:
    """Names of the records that foreign keys in the changes point at: one query per related
    model for the whole page."""
    wanted: dict[type, set] = defaultdict(set)
    for model, changes in events:
        for name, pair in changes.items():
            field = _field(model, name)
            if not isinstance(pair, (list, tuple)):
                continue
            if field is not None and field.many_to_one:
                wanted[field.related_model].update(v for v in pair if v not in (None, ""))
            extra = _extra(model, name)
            if extra is not None and extra[1] == CUSTOMER_REF:
                wanted[_customer_model()].update(v for v in pair if v not in (None, ""))
            if extra is not None and extra[1] == SHARE_REF:
                for value in pair:
                    ref = _share_ref(value)
                    if ref is not None:
                        wanted[ref[0]].add(ref[1])
    names: dict[tuple[type, Any], str] = {}
    for related, ids in wanted.items():
        for obj in _related_records(user, related).filter(pk__in=ids):
            names[(related, obj.pk)] = str(obj)
            names[(related, str(obj.pk))] = str(obj)
    return names


def _share_ref(value: Any) -> tuple[type, int] | None:
    """("user:7") -> (User, 7); ("team:3") -> (Team, 3); None for anything else."""
    kind, _colon, pk = str(value or "").partition(":")
    model = {"user": "accounts.User", "team": "accounts.Team"}.get(kind)
    if model is None or not pk.isdigit():
        return None
    return apps.get_model(model), int(pk)


def _extra_value(model, kind: str, value: Any, names: dict) -> str:
    if value in (None, "", {}, []):
        return "—"
    if kind == CUSTOMER_REF:
        return names.get((_customer_model(), value), f"#{value}")
    if kind == MERGE_REF:
        return f"#{value}"
    if kind == SHARE_REF:
        ref = _share_ref(value)
        return names.get(ref, f"#{ref[1]}") if ref is not None else display(value)
    if kind == FIELDS and isinstance(value, dict):
        return ", ".join(field_label(model, name) for name in value) or "—"
    if kind == ROWS and isinstance(value, dict):
        return ", ".join(f"{rows_label(label)}: {count}" for label, count in value.items())
    return display(value)


def _related_entry(related, entry: Any) -> str:
    """One related record of a snapshot (a contact point "mobile:138…", an address as a dict)
    in words: its kind's label, the values without their keys."""
    if isinstance(entry, str) and ":" in entry:
        kind, _colon, rest = entry.partition(":")
        labels = dict(getattr(_field(related, "kind"), "flatchoices", None) or ())
        if kind in labels:
            return f"{labels[kind]} {rest}"
    if isinstance(entry, dict):
        label = entry.get("label") or ""
        parts = " ".join(str(v) for k, v in entry.items() if k != "label" and v not in (None, ""))
        return f"{label}: {parts}" if label else parts
    return display(entry)


def _value(model, name: str, value: Any, names: dict) -> str:
    extra = _extra(model, name)
    if extra is not None:
        return _extra_value(model, extra[1], value, names)
    field = _field(model, name)
    if (
        field is not None
        and field.one_to_many
        and field.auto_created
        and isinstance(value, list)
        and value
    ):
        return "; ".join(_related_entry(field.related_model, entry) for entry in value)
    if field is not None and value not in (None, ""):
        if isinstance(field, (models.DateTimeField, models.DateField)) and isinstance(value, str):
            return _moment(field, value)
        if field.many_to_one:
            return names.get((field.related_model, value), f"#{value}")
        if getattr(field, "choices", None):
            labels = dict(field.flatchoices)
            if isinstance(value, list):
                return "; ".join(str(labels.get(v, v)) for v in value)
            return str(labels.get(value, value))
    return display(value)


def _moment(field, value: str) -> str:
    """A date or a time as the log keeps it (ISO 8601, times in UTC), in the user's language
    and, for a time, their time zone."""
    try:
        if isinstance(field, models.DateTimeField):
            moment = dt.datetime.fromisoformat(value)
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment, dt.UTC)
            return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")
        return formats.date_format(dt.date.fromisoformat(value), "SHORT_DATE_FORMAT")
    except ValueError:
        return display(value)


def present_events(user, events: Iterable[AuditEvent]) -> list[PresentedEvent]:
    """`events` come from a selector for `user`; what is shown of them is decided here."""
    events = list(events)
    prepared = []
    for event in events:
        model = model_of(event.object_type)
        changes = present_changes(user, event.object_type, event.changes or {})
        prepared.append((event, model, changes))
    names = _names(user, [(model, changes) for _event, model, changes in prepared])
    out = []
    for event, model, changes in prepared:
        out.append(
            PresentedEvent(
                event=event,
                record_type=str(model._meta.verbose_name) if model else event.object_type,
                name="" if event.object_type in UNNAMED_RECORDS else event.object_repr,
                source=str(SOURCE_LABELS.get(event.source, event.source)),
                changes=[
                    Change(
                        field=field_label(model, name),
                        before=_value(model, name, pair[0], names),
                        after=_value(model, name, pair[1], names),
                    )
                    for name, pair in changes.items()
                    if isinstance(pair, (list, tuple)) and len(pair) == 2
                ],
            )
        )
    return out
