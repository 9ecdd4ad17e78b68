"""The customer portal: pages a customer reaches through their signed link, and the staff
actions that issue and revoke links.

Every portal page resolves the token to a live link first (a bad, expired or revoked one is a
404) and reads only through `link.customer`: a ticket id from another customer is a 404 too.
Pages are in Chinese by default; `?lang=en` (kept in a cookie) switches the language.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from guanxi.core import context as request_context
from guanxi.core.errors import PermissionDeniedError
from guanxi.customers import services as customer_services
from guanxi.customers.models import Customer
from guanxi.customers.selectors import customer_get
from guanxi.surveys.selectors import surveys_for_customer
from guanxi.tickets import services as ticket_services
from guanxi.tickets.models import Ticket, TicketStatus
from guanxi.tickets.selectors import public_replies

from . import selectors, services
from .forms import ConsentForm, FeedbackForm, RatingForm, ReplyForm
from .models import PortalLink

LANGUAGES = {"zh-hans": "中文", "en": "English"}
COOKIE = "portal_lang"


def _language(request: HttpRequest) -> str:
    lang = request.GET.get("lang") or request.COOKIES.get(COOKIE) or "zh-hans"
    return lang if lang in LANGUAGES else "zh-hans"


def portal_page(view):
    """Language, the portal's audit source and no caching, for every customer-facing page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        lang = _language(request)
        with translation.override(lang), request_context.acting_as(source=services.SOURCE):
            request.LANGUAGE_CODE = lang
            response = view(request, *args, **kwargs)
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()
        if request.GET.get("lang") in LANGUAGES:
            response.set_cookie(COOKIE, lang, max_age=365 * 24 * 3600, samesite="Lax")
        response["Content-Language"] = lang
        response["X-Robots-Tag"] = "noindex"
        response["Referrer-Policy"] = "no-referrer"
        return response

    return never_cache(wrapper)


def _link(token: str) -> PortalLink:
    try:
        return services.resolve(token)
    except PortalLink.DoesNotExist:
        raise Http404 from None


def _ticket(link: PortalLink, pk: int) -> Ticket:
    ticket = (
        Ticket.objects.filter(customer_id=link.customer_id, pk=pk)
        .select_related("category")
        .first()
    )
    if ticket is None:
        raise Http404
    return ticket


def _ctx(request, link: PortalLink, **extra):
    return {
        "link": link,
        "token": request.resolver_match.kwargs["token"],
        "customer": link.customer,
        "languages": LANGUAGES.items(),
        "current_language": translation.get_language(),
        **extra,
    }


@portal_page
def home(request: HttpRequest, token: str) -> HttpResponse:
    link = _link(token)
    tickets = list(
        Ticket.objects.filter(customer_id=link.customer_id)
        .select_related("category")
        .order_by("-created_at", "-id")[:50]
    )
    consent_form = ConsentForm(initial={"marketing_consent": link.customer.marketing_consent})
    return render(
        request,
        "portal/home.html",
        _ctx(
            request,
            link,
            tickets=tickets,
            surveys=surveys_for_customer(link.customer),
            feedback_form=FeedbackForm(),
            consent_form=consent_form,
        ),
    )


@portal_page
def feedback(request: HttpRequest, token: str) -> HttpResponse:
    link = _link(token)
    form = FeedbackForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            ticket = ticket_services.create_portal_ticket(
                customer=link.customer, data=form.cleaned_data
            )
        except ValidationError as exc:
            from guanxi.core.web import apply_service_errors

            apply_service_errors(exc, form)
        else:
            messages.success(request, _("Thank you. We have received your message."))
            return redirect("portal:ticket", token=token, pk=ticket.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "portal/feedback.html", _ctx(request, link, form=form), status=status)


@portal_page
def ticket(request: HttpRequest, token: str, pk: int) -> HttpResponse:
    link = _link(token)
    obj = _ticket(link, pk)
    reply_form, rating_form = ReplyForm(), RatingForm()
    status = 200
    if request.method == "POST":
        which = request.POST.get("form")
        try:
            if which == "rating":
                rating_form = RatingForm(request.POST)
                if rating_form.is_valid():
                    ticket_services.rate_ticket(
                        ticket=obj,
                        rating=rating_form.cleaned_data["rating"],
                        comment=rating_form.cleaned_data["comment"],
                    )
                    messages.success(request, _("Thank you for your rating."))
                    return redirect("portal:ticket", token=token, pk=obj.pk)
            else:
                reply_form = ReplyForm(request.POST)
                if reply_form.is_valid():
                    ticket_services.add_customer_reply(
                        ticket=obj, body=reply_form.cleaned_data["body"]
                    )
                    messages.success(request, _("Your message was sent."))
                    return redirect("portal:ticket", token=token, pk=obj.pk)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        status = 400
        obj.refresh_from_db()
    context = _ctx(
        request,
        link,
        ticket=obj,
        replies=list(public_replies(obj)),
        reply_form=reply_form,
        rating_form=rating_form,
        may_rate=obj.status in (TicketStatus.RESOLVED, TicketStatus.CLOSED)
        and obj.rated_at is None,
        may_reply=obj.status != TicketStatus.CLOSED,
    )
    return render(request, "portal/ticket.html", context, status=status)


@portal_page
@require_POST
def consent(request: HttpRequest, token: str) -> HttpResponse:
    link = _link(token)
    form = ConsentForm(request.POST)
    form.is_valid()  # a checkbox: absent means "no"
    customer_services.set_marketing_consent(
        actor=None,
        customer=link.customer,
        consent=form.cleaned_data.get("marketing_consent", False),
    )
    messages.success(request, _("Your choice was saved."))
    return redirect("portal:home", token=token)


@portal_page
def rate(request: HttpRequest, token: str) -> HttpResponse:
    """The rating link e-mailed after resolution (signed per ticket, valid 30 days)."""
    try:
        obj = ticket_services.ticket_for_rating(token)
    except Ticket.DoesNotExist:
        raise Http404 from None
    form = RatingForm(request.POST or None)
    status = 200
    done = obj.rated_at is not None
    if request.method == "POST" and not done:
        if form.is_valid():
            try:
                ticket_services.rate_ticket(
                    ticket=obj,
                    rating=form.cleaned_data["rating"],
                    comment=form.cleaned_data["comment"],
                )
            except ValidationError as exc:
                form.add_error(None, " ".join(exc.messages))
                status = 400
            else:
                done = True
        else:
            status = 400
    context = {
        "ticket": obj,
        "form": form,
        "done": done,
        "languages": LANGUAGES.items(),
        "current_language": translation.get_language(),
    }
    return render(request, "portal/rate.html", context, status=status)


# --- staff ---------------------------------------------------------------------------------------


def _back(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or default
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
        target = default
    return target


@login_required
@require_POST
def issue(request: HttpRequest, customer_pk: int) -> HttpResponse:
    try:
        customer = customer_get(user=request.user, pk=customer_pk)
    except (Customer.DoesNotExist, ValidationError):
        raise Http404 from None
    try:
        link = services.issue_link(actor=request.user, customer=customer)
    except PermissionDeniedError:
        raise PermissionDenied from None
    messages.success(
        request,
        _("Portal link for %(name)s (valid until %(date)s): %(url)s")
        % {
            "name": customer.display_name,
            "date": link.expires_at.date().isoformat(),
            "url": services.portal_url(link),
        },
    )
    return redirect(_back(request, f"/customers/{customer.pk}/"))


@login_required
@require_POST
def revoke(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        link = selectors.link_get(user=request.user, pk=pk)
    except PortalLink.DoesNotExist:
        raise Http404 from None
    try:
        services.revoke_link(actor=request.user, link=link)
    except PermissionDeniedError:
        raise PermissionDenied from None
    messages.success(request, _("The portal link was revoked."))
    return redirect(_back(request, f"/customers/{link.customer_id}/"))
