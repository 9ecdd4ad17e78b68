"""Web pages of data quality: the settings, the list of stale and incomplete records, the change
requests, the self-service links and verification on the 360° page, and the public page on which
a customer corrects their own data. Adapters: reads through selectors, writes through services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST

from guanxi.accounts.models import User
from guanxi.core import keyset
from guanxi.core.errors import ConflictError, PermissionDeniedError
from guanxi.core.web import ServiceFormView, start_job_button
from guanxi.customers import completeness
from guanxi.customers.masking import present
from guanxi.customers.models import Customer
from guanxi.customers.selectors import customer_get, customer_list

from . import rules, selectors, services
from .forms import RejectForm, SelfServiceForm, SettingsForm
from .models import ChangeRequest, RequestStatus
from .policies import may_configure, may_manage_links

MODE_LABELS = {
    "any": gettext_lazy("Stale or incomplete"),
    "stale": gettext_lazy("Due for a check"),
    "incomplete": gettext_lazy("Incomplete"),
    "both": pgettext_lazy("quality filter", "Stale and incomplete"),
}
SORT_LABELS = {
    "completeness": gettext_lazy("Least complete first"),
    "verified": gettext_lazy("Longest unverified first"),
}
FIELD_LABELS = {
    "name": gettext_lazy("name"),
    "phone": gettext_lazy("phone"),
    "email": gettext_lazy("e-mail"),
    "address": gettext_lazy("address"),
    "industry_or_occupation": gettext_lazy("industry or occupation"),
    "region": gettext_lazy("region"),
    "tags": gettext_lazy("tags"),
    "birthday": gettext_lazy("birthday"),
    "gender": gettext_lazy("gender"),
    "identity_code": gettext_lazy("identity number"),
    "legal_name": gettext_lazy("legal name"),
    "credit_code": gettext_lazy("unified social credit code"),
    "contacts": gettext_lazy("contacts"),
}


# --- settings ---------------------------------------------------------------------------------


class SettingsView(ServiceFormView):
    template_name = "quality/settings.html"
    form_class = SettingsForm

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated and not may_configure(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_object(self):
        return services.get_settings()

    def get_initial(self, obj) -> dict[str, Any]:
        initial = {f: getattr(obj, f) for f in services.SETTINGS_FIELDS}
        initial["version"] = obj.version
        return initial

    def call_service(self, data: dict[str, Any], version: int | None):
        return services.save_settings(actor=self.request.user, data=data, version=version)

    def get_success_url(self, result) -> str:
        messages.success(self.request, _("The data quality settings are saved."))
        return reverse("quality:settings")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["weights"] = [
            (FIELD_LABELS.get(field, field), weight, kind)
            for field, weight, kind in completeness.WEIGHTS
        ]
        return context


@login_required
@require_POST
def recompute(request: HttpRequest) -> HttpResponse:
    """Start the background job that recomputes every customer's completeness and name keys."""
    return start_job_button(
        request,
        lambda: services.start_recompute(actor=request.user),
        started=_("Recomputing every customer in the background."),
        back=reverse("quality:settings"),
    )


# --- stale and incomplete ---------------------------------------------------------------------


def _int(value: str | None, default: int, low: int, high: int) -> int:
    try:
        return max(low, min(high, int(value or default)))
    except ValueError:
        return default


@login_required
def stale_list(request: HttpRequest) -> HttpResponse:
    row = rules.current()
    mode = request.GET.get("mode", "any")
    if mode not in selectors.MODES:
        mode = "any"
    sort_key = request.GET.get("sort", "completeness")
    if sort_key not in selectors.SORTS:
        sort_key = "completeness"
    below = _int(request.GET.get("below"), row.incomplete_below, 1, 100)
    qs = selectors.quality_list(user=request.user, mode=mode, below=below).select_related("owner")
    web_page = keyset.paginate_request(request, qs, sort=selectors.SORTS[sort_key])
    if web_page.reset:
        messages.warning(request, _("That page link is out of date; here is the first page."))
    context = {
        "modes": MODE_LABELS.items(),
        "sorts": SORT_LABELS.items(),
        "mode": mode,
        "sort": sort_key,
        "below": below,
        "page": web_page.page,
        "next_url": web_page.next_url,
        "previous_url": web_page.previous_url,
    }
    return render(request, "quality/stale.html", context)


# --- verification and links on the 360° page -------------------------------------------------


def customer_card(user: User, customer: Customer) -> dict[str, Any]:
    """What the 360° page shows about data quality: completeness and what is missing, when the
    record was verified, pending change requests and the self-service links."""
    points = list(customer.contact_points.all())
    facts = completeness.facts_of(
        customer,
        point_kinds=[p.kind for p in points],
        addresses=len(customer.addresses.all()),
        tags=len(customer.tags.all()),
        contacts=1 if customer.kind != "organisation" else customer.contacts.count(),
    )
    may_manage = may_manage_links(user, customer)
    pending = selectors.pending_for(user=user, customer=customer)
    for r in pending:
        r.customer = customer  # its contact points and addresses are prefetched already
    now = timezone.now()
    links = selectors.links_for(user=user, customer=customer) if may_manage else []
    for link in links:
        link.expired = link.expires_at <= now
    return {
        "score": customer.completeness,
        "missing": [FIELD_LABELS.get(f, f) for f in completeness.missing(facts)],
        "may_manage": may_manage,
        "pending": pending,
        "pending_rows": [
            {"request": r, "changes": _shown_changes(user, r), "may_decide": may_manage}
            for r in pending
        ],
        "links": links,
        "has_email": any(p.kind == "email" for p in points),
        "identity_code": present(user, "identity", customer.identity_code),
        # The referrer is named only to a user who may see it.
        "referrer": (
            customer_list(user=user)
            .filter(pk=customer.referred_by_id)
            .values("pk", "display_name")
            .first()
            if customer.referred_by_id
            else None
        ),
    }


def _customer_for_change(request: HttpRequest, pk: int) -> Customer:
    try:
        customer = customer_get(user=request.user, pk=pk)
    except Customer.DoesNotExist:
        raise Http404 from None
    return customer


@login_required
@require_POST
def verify(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _customer_for_change(request, pk)
    try:
        services.verify(actor=request.user, customer=customer)
    except PermissionDeniedError as error:
        return render(request, "core/forbidden.html", {"message": error.message}, status=403)
    messages.success(request, _("The customer's data is marked as verified."))
    return redirect("customers:detail", pk=customer.pk)


@login_required
@require_POST
def link_create(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _customer_for_change(request, pk)
    send = request.POST.get("send") == "1"
    try:
        link = services.create_link(actor=request.user, customer=customer, send=send)
    except PermissionDeniedError as error:
        return render(request, "core/forbidden.html", {"message": error.message}, status=403)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("customers:detail", pk=customer.pk)
    if send:
        messages.success(request, _("The link was sent to %(email)s.") % {"email": link.sent_to})
    context = {
        "customer": customer,
        "link": link,
        "url": services.link_url(link),
    }
    return render(request, "quality/link_created.html", context)


@login_required
@require_POST
def link_revoke(request: HttpRequest, pk: int, link_pk: int) -> HttpResponse:
    customer = _customer_for_change(request, pk)
    link = customer.self_service_links.filter(pk=link_pk).first()
    if link is None:
        raise Http404
    try:
        services.revoke_link(actor=request.user, link=link)
    except PermissionDeniedError as error:
        return render(request, "core/forbidden.html", {"message": error.message}, status=403)
    messages.success(request, _("The link no longer works."))
    return redirect("customers:detail", pk=customer.pk)


# --- change requests --------------------------------------------------------------------------


def _shown_changes(user: User, request: ChangeRequest) -> list[tuple[str, Any, Any]]:
    """(label, now, proposed) as the page shows them: yes / no for the consent, — for empty."""
    out = []
    for change in selectors.request_changes(user=user, request=request):
        before, value = change.current, change.proposed
        if change.field == "marketing_consent":
            before = _("yes") if before else _("no")
            value = _("yes") if value else _("no")
        out.append((change.label, before or "—", value or "—"))
    return out


@login_required
def request_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", RequestStatus.PENDING)
    if status not in RequestStatus.values:
        status = RequestStatus.PENDING
    qs = selectors.request_list(user=request.user, status=status).prefetch_related(
        "customer__contact_points", "customer__addresses"
    )
    web_page = keyset.paginate_request(request, qs, sort="-created_at")
    decidable = selectors.decidable_customer_ids(user=request.user, requests=web_page.rows)
    rows = [
        {
            "request": r,
            "changes": _shown_changes(request.user, r),
            "may_decide": r.customer_id in decidable,
        }
        for r in web_page.rows
    ]
    context = {
        "rows": rows,
        "status": status,
        "statuses": RequestStatus.choices,
        "next_url": web_page.next_url,
        "previous_url": web_page.previous_url,
        "reject_form": RejectForm(),
    }
    return render(request, "quality/requests.html", context)


def _request_or_404(request: HttpRequest, pk: int) -> ChangeRequest:
    try:
        return selectors.request_get(user=request.user, pk=pk)
    except ChangeRequest.DoesNotExist:
        raise Http404 from None


@login_required
@require_POST
def request_decide(request: HttpRequest, pk: int, decision: str) -> HttpResponse:
    change = _request_or_404(request, pk)
    try:
        if decision == "accept":
            services.accept_request(
                actor=request.user,
                request=change,
                version=request.POST.get("version"),
                customer_version=request.POST.get("customer_version") or None,
            )
            messages.success(request, _("The changes are applied."))
        else:
            form = RejectForm(request.POST)
            reason = form.data.get("reason", "")
            services.reject_request(
                actor=request.user,
                request=change,
                reason=reason,
                version=request.POST.get("version"),
            )
            messages.success(request, _("The changes are rejected."))
    except PermissionDeniedError as error:
        return render(request, "core/forbidden.html", {"message": error.message}, status=403)
    except services.CustomerChangedError as error:
        messages.error(request, error.message)
    except ConflictError:
        messages.error(request, _("Someone decided on this request meanwhile; see it below."))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    back = request.POST.get("next")
    if back == "customer":
        return redirect("customers:detail", pk=change.customer_id)
    return redirect("quality:requests")


# --- the public self-service page -------------------------------------------------------------

LANGUAGES = (("zh-hans", "中文"), ("en", "English"))
REASONS = {
    "invalid": gettext_lazy("This link is not valid. Please ask us for a new one."),
    "expired": gettext_lazy("This link has expired. Please ask us for a new one."),
    "revoked": gettext_lazy("This link has been withdrawn. Please ask us for a new one."),
    "used": gettext_lazy(
        "Your changes have been received through this link; we will check them soon. "
        "Please ask us for a new link to make further changes."
    ),
}
MAX_BODY = 8 * 1024


def self_service(request: HttpRequest, token: str) -> HttpResponse:
    """No login: the token is the key to this one customer's page."""
    language = request.GET.get("lang") or "zh-hans"
    if language not in dict(LANGUAGES):
        language = "zh-hans"
    with translation.override(language):
        response = _self_service(request, token, language)
    response.headers.setdefault("Cache-Control", "no-store")
    # Not "no-referrer": the browser would send "Origin: null" and the CSRF check would fail.
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers.setdefault("X-Robots-Tag", "noindex")
    return response


def _self_service(request: HttpRequest, token: str, language: str) -> HttpResponse:
    base = {"languages": LANGUAGES, "language": language, "token": token}
    if len(token) > 500:
        return render(
            request, "quality/public.html", {**base, "error": REASONS["invalid"]}, status=404
        )
    try:
        link = services.resolve_link(token)
    except services.LinkError as error:
        status = 404 if error.reason == "invalid" else 410
        return render(
            request, "quality/public.html", {**base, "error": REASONS[error.reason]}, status=status
        )
    customer = link.customer
    if request.method == "POST":
        if len(request.body or b"") > MAX_BODY:
            return HttpResponse(status=413)
        form = SelfServiceForm(request.POST, kind=customer.kind)
        if form.is_valid():
            try:
                services.submit_request(token=token, proposed=form.cleaned_data)
            except services.LinkError as error:
                return render(
                    request, "quality/public.html", {**base, "error": REASONS[error.reason]}, 410
                )
            except ValidationError as error:
                if hasattr(error, "error_dict"):
                    for field, errors in error.message_dict.items():
                        target = field if field in form.fields else None
                        for message in errors:
                            form.add_error(target, message)
                else:
                    form.add_error(None, error)
            else:
                return render(request, "quality/public.html", {**base, "done": True})
    elif request.method == "GET":
        form = SelfServiceForm(initial=services.current_values(customer), kind=customer.kind)
    else:
        return HttpResponse(status=405)
    return render(request, "quality/public.html", {**base, "form": form, "customer_name": customer})
