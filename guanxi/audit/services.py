"""Writing audit events. Services call `record` inside their transaction."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Iterable
from typing import Any

from django.db import models

from guanxi.core import context

from .models import AuditAction, AuditEvent


def _jsonable(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def snapshot(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The audited values of a record, by field name (foreign keys by id)."""
    out: dict[str, Any] = {}
    for name in fields:
        field = instance._meta.get_field(name)
        attname = getattr(field, "attname", name)
        out[name] = _jsonable(getattr(instance, attname))
    return out


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


__all__ = ["AuditAction", "diff", "record", "record_create", "snapshot"]


def record_bulk(
    *, actor, action: str, items: Iterable[tuple[models.Model, dict[str, list[Any]], int | None]]
) -> list[AuditEvent]:
    """One event per (instance, changes, customer_id), written in one statement: for bulk
    writers (imports) that change many records at once."""
    ctx = context.current()
    actor = actor if getattr(actor, "pk", None) else None
    events = [
        AuditEvent(
            actor=actor,
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
        for instance, changes, customer_id in items
    ]
    return AuditEvent.objects.bulk_create(events, batch_size=1000)
