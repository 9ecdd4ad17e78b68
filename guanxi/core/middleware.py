"""Middleware: who is asking (for the audit log), and in which language and time zone."""

from __future__ import annotations

import logging
import re
import zoneinfo

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

from . import context

_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


class RequestContextMiddleware:
    """Gives each request an id (taken from a well-formed `X-Request-ID` header or made anew) and
    tells the audit log whether it came through the API or the web pages."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _REQUEST_ID_RE.match(incoming) else context.new_request_id()
        source = context.Source.API if request.path.startswith("/api/") else context.Source.WEB
        request.request_id = request_id
        with context.acting_as(source=source, request_id=request_id, ip=client_ip(request)):
            response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


class UserPreferencesMiddleware:
    """Speaks the signed-in user's language and shows times in their time zone.

    Goes after AuthenticationMiddleware. A user who has not chosen a language gets the one that
    LocaleMiddleware took from the browser (or the language cookie)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            if user.language and user.language in dict(settings.LANGUAGES):
                translation.activate(user.language)
                request.LANGUAGE_CODE = translation.get_language()
            try:
                timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
                timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class BadInputMiddleware:
    """Values too large for the database (a 25-digit id in a query string, the year 9999 in a
    date filter) raise OverflowError or DataError deep in a query: that is bad input, answered
    with 400, not a server error. The API's exception handler does the same for API views."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception):
        from django.db import DataError
        from django.views.defaults import bad_request

        if isinstance(exception, (OverflowError, DataError)):
            logging.getLogger(__name__).warning("bad input on %s: %s", request.path, exception)
            return bad_request(request, exception)
        return None
