"""Web pages of the core: home, the user's preferences and the language switch."""

from __future__ import annotations

import contextlib

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.i18n import set_language as django_set_language

from guanxi.accounts import selectors as account_selectors
from guanxi.accounts import services as account_services
from guanxi.accounts.policies import has_perm
from guanxi.customers import selectors as customer_selectors
from guanxi.followups import selectors as task_selectors
from guanxi.interactions import selectors as interaction_selectors

from .forms import PreferencesForm


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The user's day: their tasks due today, recent customers and interactions."""
    user = request.user
    return render(
        request,
        "core/home.html",
        {
            "recent_customers": customer_selectors.recent_customers(user=user),
            "recent_interactions": interaction_selectors.recent_interactions_by(user=user),
            "tasks_due": task_selectors.my_day(user=user).select_related("customer")[:10]
            if has_perm(user, "tasks", "view")
            else [],
            "may_change_tasks": has_perm(user, "tasks", "change"),
        },
    )


def client_ip(request: HttpRequest) -> str | None:
    """The address a log-in attempt comes from (django-axes counts failures per username and
    address). Behind the reverse proxy of BEHIND_PROXY, the last X-Forwarded-For entry: the one
    that proxy appended itself (entries before it are whatever the client sent)."""
    if settings.SECURE_PROXY_SSL_HEADER:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        last = forwarded.rsplit(",", 1)[-1].strip()
        if last:
            return last
    return request.META.get("REMOTE_ADDR")


def login_locked_out(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials=None
) -> HttpResponse:
    """django-axes' answer once a username is locked out from this address: 429, with the
    log-in page and its message, or the message as JSON for the API."""
    message = account_selectors.lockout_message()
    retry = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=429, headers={"Retry-After": retry})
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    form = AuthenticationForm(request, initial={"username": username})
    response = render(
        request,
        "registration/login.html",
        {"form": form, "locked_out": message, "next": request.POST.get("next", "")},
        status=429,
    )
    response["Retry-After"] = retry
    return response


def _remember_language(response: HttpResponse, language: str) -> None:
    """The language cookie, so the login page after a log-out speaks the same language."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    user = request.user
    if request.method == "POST":
        form = PreferencesForm(request.POST)
        if form.is_valid():
            try:
                account_services.set_preferences(
                    actor=user,
                    language=form.cleaned_data["language"],
                    time_zone=form.cleaned_data["time_zone"],
                )
            except ValidationError as error:
                for field, field_errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, field_errors)
            else:
                language = form.cleaned_data["language"]
                if language:
                    translation.activate(language)
                messages.success(request, _("Your preferences are saved."))
                response = redirect("preferences")
                if language:
                    _remember_language(response, language)
                return response
    else:
        form = PreferencesForm(initial={"language": user.language, "time_zone": user.time_zone})
    return render(request, "core/preferences.html", {"form": form})


def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switch; a signed-in user's choice is also kept on their account."""
    response = django_set_language(request)
    language = request.POST.get("language", "") if request.method == "POST" else ""
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        # Should the account refuse it, the switch still works for this browser (the cookie).
        with contextlib.suppress(ValidationError):
            account_services.set_preferences(actor=request.user, language=language)
    return response
