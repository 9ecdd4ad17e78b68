"""Writing audit events. Services call `record` inside their transaction."""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import json
import uuid
from collections.abc import Iterable
from typing import Any

from django.db import connection, models
from django.utils import timezone

from guanxi.core import bulk, context

from .models import AuditAction, AuditEvent


def _plain(value: Any) -> Any:
    """A value JSON has no type for, as the audit log writes it."""
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, set):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not written to the audit log")


def _jsonable(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date, dt.time, decimal.Decimal, uuid.UUID, models.Model)):
        return _plain(value)
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def snapshot(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The audited values of a record, by field name (foreign keys by id)."""
    return {
        name: _jsonable(getattr(instance, attname))
        for name, attname in _attnames(type(instance), tuple(fields))
    }


@functools.cache
def _attnames(model: type[models.Model], fields: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """(field name, attribute name) of these fields: foreign keys are read as their ids."""
    return tuple((name, getattr(model._meta.get_field(name), "attname", name)) for name in fields)


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """Fields whose value changed, as {field: [before, after]}."""
    return {
        key: [before.get(key), after.get(key)] for key in after if before.get(key) != after.get(key)
    }


def record(
    *,
    actor,
    action: str,
    instance: models.Model,
    changes: dict[str, list[Any]] | None = None,
    customer_id: int | None = None,
) -> AuditEvent:
    ctx = context.current()
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        source=ctx.source,
        request_id=ctx.request_id,
        ip=ctx.ip,
        action=action,
        object_type=instance._meta.label_lower,
        object_id=str(instance.pk),
        object_repr=str(instance)[:255],
        customer_id=customer_id,
        changes=_jsonable(changes or {}),
    )


def record_create(*, actor, instance: models.Model, fields: Iterable[str], customer_id=None):
    after = snapshot(instance, fields)
    return record(
        actor=actor,
        action=AuditAction.CREATE,
        instance=instance,
        changes={k: [None, v] for k, v in after.items() if v not in (None, "", [], {})},
        customer_id=customer_id,
    )


__all__ = [
    "AuditAction",
    "diff",
    "record",
    "record_bulk",
    "record_create",
    "record_rows",
    "snapshot",
]


def record_bulk(
    *, actor, action: str, items: Iterable[tuple[models.Model, dict[str, list[Any]], int | None]]
) -> int:
    """One event per (instance, changes, customer_id), written with bulk inserts: for bulk
    writers (imports) that change many records at once. Returns the number of events."""
    return record_rows(
        actor=actor,
        action=action,
        rows=(
            (instance._meta.label_lower, instance.pk, str(instance), changes, customer_id)
            for instance, changes, customer_id in items
        ),
    )


def record_rows(
    *,
    actor,
    action: str,
    rows: Iterable[tuple[str, Any, str, dict[str, list[Any]], int | None]],
) -> int:
    """record_bulk for writers that hold no model instances (the nightly scoring of a million
    customers): one event per (object type as "app.model", object id, its text, changes,
    customer id)."""
    ctx = context.current()
    actor_id = actor.pk if getattr(actor, "pk", None) else None
    at = connection.ops.adapt_datetimefield_value(timezone.now())
    values = [
        (
            at,
            actor_id,
            ctx.source,
            ctx.request_id,
            ctx.ip,
            action,
            object_type,
            str(object_id),
            str(text)[:255],
            customer_id,
            json.dumps(changes or {}, default=_plain),
        )
        for object_type, object_id, text, changes, customer_id in rows
    ]
    bulk.insert_rows(*bulk.table_columns(AuditEvent, _BULK_FIELDS), values)
    return len(values)


_BULK_FIELDS = (
    "at",
    "actor",
    "source",
    "request_id",
    "ip",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "customer_id",
    "changes",
)
