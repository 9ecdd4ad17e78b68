"""Optimistic locking: editable records carry `version`; a write names the version it edited."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .errors import ConflictError


def check_version(record: Any, version: Any) -> None:
    """Raise ConflictError when `version` is not the record's current version (the record must
    have been read inside the writing transaction, locked)."""
    if version is None or version == "":
        raise ValidationError({"version": _("Send the version of the record you edited.")})
    if isinstance(version, bool):
        raise ValidationError({"version": _("Enter a whole number.")})
    try:
        version = int(version)
    except (TypeError, ValueError):
        raise ValidationError({"version": _("Enter a whole number.")}) from None
    if version != record.version:
        raise ConflictError(current_version=record.version)
