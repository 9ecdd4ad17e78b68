"""A JSON parser that refuses bodies above DATA_UPLOAD_MAX_MEMORY_SIZE before reading them, and
bodies with a NUL character in any text (PostgreSQL cannot store one)."""

import re

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import JSONParser

from guanxi.core.validation import has_nul


class RequestTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("The request body is too large.")
    default_code = "too_large"


class LimitedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        request = (parser_context or {}).get("request")
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if request is not None and limit is not None:
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > limit:
                raise RequestTooLarge()
        try:
            data = super().parse(stream, media_type, parser_context)
        except ParseError as exc:
            # DRF's message carries the JSON decoder's English words ("Expecting value: line 1
            # column 1 (char 0)"): the reader gets one in their language, with where it broke.
            raise ParseError(
                _("The request body is not valid JSON (%(where)s).")
                % {"where": _where(str(exc.detail))}
            ) from exc
        if has_nul(data):
            raise ParseError(_("A text in the request holds a NUL character (\\u0000)."))
        return data


def _where(detail: str) -> str:
    """ "line 3 column 7" from the decoder's message, in the reader's language."""
    found = re.search(r"line (\d+) column (\d+)", detail)
    if found is None:
        return str(_("it could not be read"))
    return str(_("line %(line)s, column %(column)s") % {"line": found[1], "column": found[2]})
