"""Web pages of the public pool: the list with search and a claim button, the history of a
customer's claims and returns, and the return form. Adapters over selectors and services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from guanxi.accounts.policies import has_perm
from guanxi.core import keyset
from guanxi.core.errors import PermissionDeniedError
from guanxi.core.web import ServiceFormView
from guanxi.customers.masking import mask
from guanxi.customers.models import Customer
from guanxi.customers.selectors import customer_get

from . import selectors, services
from .forms import ReturnForm
from .policies import claim_cap, may_claim, may_return

SORTS = {
    "-id": gettext_lazy("Newest first"),
    "display_name": gettext_lazy("Name"),
}


def _require_view(request: HttpRequest) -> None:
    if not has_perm(request.user, "customers", "view"):
        raise PermissionDenied


def _hint(customer: Customer) -> str:
    points = getattr(customer, "pool_points", [])
    return mask(points[0].kind, points[0].value) if points else ""


@login_required
def pool_list(request: HttpRequest) -> HttpResponse:
    _require_view(request)
    user = request.user
    query = request.GET.get("q", "").strip()
    sort = request.GET.get("sort", "-id")
    if sort not in SORTS:
        sort = "-id"
    qs = selectors.with_contact_hints(selectors.search(selectors.pool_list(user=user), query))
    web_page = keyset.paginate_request(request, qs, sort=sort)
    if web_page.reset:
        messages.warning(request, _("That page link is out of date; here is the first page."))
    rows = [(c, _hint(c)) for c in web_page.rows]
    cap = claim_cap(user)
    context = {
        "rows": rows,
        "query": query,
        "sort": sort,
        "sorts": list(SORTS.items()),
        "next_url": web_page.next_url,
        "previous_url": web_page.previous_url,
        "may_claim": may_claim(user),
        "cap": cap,
        "held": selectors.held_count(user=user) if cap and may_claim(user) else None,
    }
    return render(request, "pool/list.html", context)


@login_required
@require_POST
def claim(request: HttpRequest, pk: int) -> HttpResponse:
    _require_view(request)
    try:
        customer = selectors.pool_get(user=request.user, pk=pk)
    except Customer.DoesNotExist:
        # Gone from the pool (claimed by someone else a moment ago) or never visible: say so.
        messages.error(request, _("This customer is no longer in the pool."))
        return redirect("pool:list")
    try:
        services.claim(actor=request.user, customer=customer)
    except PermissionDeniedError:
        raise PermissionDenied from None
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(request.POST.get("next") or reverse("pool:list"))
    messages.success(request, _("%(name)s is now your customer.") % {"name": customer.display_name})
    return redirect("customers:detail", pk=customer.pk)


@login_required
def history(request: HttpRequest, pk: int) -> HttpResponse:
    _require_view(request)
    try:
        customer = selectors.history_customer(user=request.user, pk=pk)
    except Customer.DoesNotExist:
        raise Http404 from None
    events = selectors.customer_history(customer=customer)
    web_page = keyset.paginate_request(request, events, sort="-id")
    context = {
        "customer": customer,
        "events": web_page.rows,
        "next_url": web_page.next_url,
        "previous_url": web_page.previous_url,
        "in_pool": customer.owner_id is None,
        "may_claim": customer.owner_id is None and may_claim(request.user),
    }
    return render(request, "pool/history.html", context)


class ReturnView(ServiceFormView):
    """Give a customer back to the pool, with a reason."""

    template_name = "pool/return.html"
    form_class = ReturnForm

    def get_object(self) -> Customer:
        customer = customer_get(user=self.request.user, pk=self.kwargs["pk"])
        if not may_return(self.request.user, customer):
            raise PermissionDenied
        return customer

    def get_initial(self, obj: Customer) -> dict[str, Any]:
        return {"version": obj.version}

    def call_service(self, data: dict[str, Any], version: int | None) -> Customer:
        return services.return_to_pool(
            actor=self.request.user, customer=self.object, reason=data["reason"], version=version
        )

    def form_valid_response(self, result: Any) -> HttpResponse:
        messages.success(
            self.request,
            _("%(name)s went back to the public pool.") % {"name": result.display_name},
        )
        return super().form_valid_response(result)

    def get_success_url(self, result: Any) -> str:
        return reverse("pool:list")

    def get_discard_url(self) -> str:
        return reverse("customers:detail", args=[self.object.pk])
