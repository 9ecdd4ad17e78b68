"""One place where service errors become API answers: field messages (400), 403, 404, 409.
Nothing a client sends should produce a 500."""

from __future__ import annotations

import logging

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from guanxi.core.errors import ConflictError, PermissionDeniedError

log = logging.getLogger(__name__)


def validation_error_data(exc: DjangoValidationError) -> dict:
    if hasattr(exc, "error_dict"):
        return {
            ("non_field_errors" if field == "__all__" else field): messages
            for field, messages in exc.message_dict.items()
        }
    return {"non_field_errors": exc.messages}


def exception_handler(exc, context):
    if isinstance(exc, ConflictError):
        return Response(
            {"detail": exc.message, "current_version": exc.current_version},
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, PermissionDeniedError):
        return Response({"detail": exc.message}, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, DjangoValidationError):
        return Response(validation_error_data(exc), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, (ObjectDoesNotExist, Http404)):
        # DRF's get_object says "No Import matches the given query.": untranslated, and it
        # names the model. A missing and a forbidden record read the same: "Not found."
        exc = NotFound()
    if isinstance(exc, (DataError, IntegrityError, OverflowError)):
        log.warning("database refused a write: %s", exc)
        return Response(
            {"detail": _("The data could not be saved; check the values and try again.")},
            status=status.HTTP_400_BAD_REQUEST,
        )
    return drf_exception_handler(exc, context)
