"""A JSON parser that refuses bodies above DATA_UPLOAD_MAX_MEMORY_SIZE before reading them, and
bodies with a NUL character in any text (PostgreSQL cannot store one)."""

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
        data = super().parse(stream, media_type, parser_context)
        if has_nul(data):
            raise ParseError(_("A text in the request holds a NUL character (\\u0000)."))
        return data
