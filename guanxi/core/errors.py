"""Errors that services raise and every adapter (API, web, import) turns into a clear message."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


class ConflictError(Exception):
    """A write was based on a stale version of a record; nothing was changed."""

    def __init__(self, *, current_version: int, message: str | None = None):
        self.current_version = current_version
        self.message = message or str(
            _("This record was changed by someone else. Reload it and apply your change again.")
        )
        super().__init__(self.message)


class PermissionDeniedError(Exception):
    """The acting user may see the record but not do this to it."""

    def __init__(self, message: str | None = None):
        self.message = message or str(_("You do not have permission to do this."))
        super().__init__(self.message)


__all__ = ["ConflictError", "PermissionDeniedError", "ValidationError"]
