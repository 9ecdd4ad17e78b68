"""Writes to segments: validated (rules.validate), permission-checked, audited, versioned."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from guanxi.accounts.models import User
from guanxi.accounts.policies import has_perm
from guanxi.audit import services as audit
from guanxi.audit.models import AuditAction
from guanxi.core.errors import PermissionDeniedError
from guanxi.core.versioning import check_version

from . import rules as rule_engine
from .models import Segment, SegmentKind, Visibility
from .policies import may_change, may_delete

FIELDS = ("name", "description", "kind", "rules", "visibility")


def _apply(segment: Segment, data: dict[str, Any]) -> None:
    unknown = set(data) - set(FIELDS)
    if unknown:
        raise ValidationError({f: _("There is no such field.") for f in sorted(unknown)})
    errors: dict[str, Any] = {}
    if "name" in data:
        name = (data["name"] or "").strip()
        if not name:
            errors["name"] = _("This field is required.")
        elif len(name) > 100:
            errors["name"] = _("Enter at most %(limit)d characters.") % {"limit": 100}
        segment.name = name
    if "description" in data:
        description = (data["description"] or "").strip()
        if len(description) > 300:
            errors["description"] = _("Enter at most %(limit)d characters.") % {"limit": 300}
        segment.description = description
    if "kind" in data:
        if data["kind"] not in SegmentKind.values:
            errors["kind"] = _("Choose one of the offered values.")
        segment.kind = data["kind"]
    if "visibility" in data:
        if data["visibility"] not in Visibility.values:
            errors["visibility"] = _("Choose one of the offered values.")
        segment.visibility = data["visibility"]
    if "rules" in data:
        try:
            segment.rules = rule_engine.validate(data["rules"])
        except ValidationError as error:
            errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def create_segment(*, actor: User, data: dict[str, Any]) -> Segment:
    if not has_perm(actor, "segments", "create"):
        raise PermissionDeniedError
    segment = Segment(owner=actor, team_id=actor.team_id)
    data = {"rules": {}, **data}
    if "name" not in data:
        data["name"] = ""
    _apply(segment, data)
    segment.save()
    audit.record_create(actor=actor, instance=segment, fields=FIELDS)
    return segment


@transaction.atomic
def update_segment(*, actor: User, segment: Segment, data: dict[str, Any], version: Any) -> Segment:
    segment = Segment.objects.select_for_update().get(pk=segment.pk)
    if not may_change(actor, segment):
        raise PermissionDeniedError(
            _("Only the owner of this segment may change it; make a copy to adapt it.")
        )
    check_version(segment, version)
    before = audit.snapshot(segment, FIELDS)
    _apply(segment, data)
    segment.version += 1
    segment.save()
    changes = audit.diff(before, audit.snapshot(segment, FIELDS))
    if changes:
        audit.record(actor=actor, action=AuditAction.UPDATE, instance=segment, changes=changes)
    return segment


@transaction.atomic
def copy_segment(*, actor: User, segment: Segment) -> Segment:
    """An editable private copy of a segment the actor may use (e.g. a ready-made one)."""
    return create_segment(
        actor=actor,
        data={
            "name": (_("Copy of %(name)s") % {"name": segment.name})[:100],
            "description": segment.description,
            "kind": segment.kind,
            "rules": segment.rules,
            "visibility": Visibility.PRIVATE,
        },
    )


@transaction.atomic
def delete_segment(*, actor: User, segment: Segment) -> None:
    if not may_delete(actor, segment):
        raise PermissionDeniedError
    audit.record(actor=actor, action=AuditAction.DELETE, instance=segment)
    segment.delete()
