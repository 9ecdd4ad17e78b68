"""Web pages of products and orders: adapters over guanxi.sales.selectors and services.

Forms go through guanxi.core.web.ServiceFormView (service errors beside their fields, the 403
page and the conflict page for stale versions)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.accounts.policies import has_perm
from guanxi.core import keyset
from guanxi.core.numbers import plain_decimal
from guanxi.core.web import ServiceFormView
from guanxi.customers import selectors as customer_selectors

from . import selectors, services
from .forms import (
    ExchangeRateForm,
    OrderFilterForm,
    OrderForm,
    OrderLineFormSet,
    ProductFilterForm,
    ProductForm,
)
from .models import ExchangeRate, Order, Product

PAGE_SIZE = 25
# Newest first by id: the primary key serves every page, even among millions of orders (there is
# no (ordered_at, id) index to sort on the order date).
ORDER_SORT = "-id"


def _page(request: HttpRequest, qs: QuerySet, sort: str) -> dict[str, Any]:
    """One page of a list (guanxi.core.keyset) and the links to the pages beside it; a cursor
    that cannot be read shows the first page with a message."""
    page = keyset.paginate_request(request, qs, sort=sort, per_page=PAGE_SIZE)
    if page.reset:
        messages.warning(request, _("That page no longer exists; here is the first page."))
    return {"rows": page.rows, "next_url": page.next_url, "previous_url": page.previous_url}


def _require(user, module: str, action: str) -> None:
    if not has_perm(user, module, action):
        raise PermissionDenied


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


# --- orders -----------------------------------------------------------------------------------


@login_required
def order_list(request: HttpRequest) -> HttpResponse:
    """Orders of the customers the user may see, newest first, filtered by status, customer
    and order date (days in the user's time zone)."""
    _require(request.user, "orders", "view")
    qs = selectors.order_list(user=request.user).select_related("customer")
    filters = OrderFilterForm(request.GET or None)
    customer = None
    if filters.is_valid():
        data = filters.cleaned_data
        if data["status"]:
            qs = qs.filter(status=data["status"])
        if data["customer"]:
            qs = qs.filter(customer_id=data["customer"])
            customer = (
                customer_selectors.customer_list(user=request.user)
                .filter(pk=data["customer"])
                .first()
            )
        if data["date_from"]:
            qs = qs.filter(ordered_at__gte=_day_start(data["date_from"]))
        if data["date_to"]:
            qs = qs.filter(ordered_at__lt=_day_start(data["date_to"] + dt.timedelta(days=1)))
    context = {
        "filters": filters,
        "filter_customer": customer,
        "may_create": has_perm(request.user, "orders", "create"),
        **_page(request, qs, ORDER_SORT),
    }
    return render(request, "sales/order_list.html", context)


@login_required
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        order = (
            selectors.order_list(user=request.user)
            .select_related("customer", "created_by")
            .prefetch_related("lines__product")
            .get(pk=pk)
        )
    except Order.DoesNotExist:
        raise Http404 from None
    return render(
        request,
        "sales/order_detail.html",
        {
            "order": order,
            "lines": list(order.lines.all()),
            "may_change": has_perm(request.user, "orders", "change"),
            "base_currency": settings.DEFAULT_CURRENCY,
        },
    )


class OrderFormView(ServiceFormView):
    """Create or edit an order with its lines as inline rows; an empty price takes the
    product's."""

    template_name = "sales/order_form.html"
    form_class = OrderForm
    formset_classes = {"lines": OrderLineFormSet}
    action = "create"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            _require(request.user, "orders", self.action)
        return super().dispatch(request, *args, **kwargs)

    def products(self) -> QuerySet[Product]:
        qs = selectors.product_list(user=self.request.user)
        if self.object is not None:
            on_order = self.object.lines.values("product_id")
            return qs.filter(active=True) | qs.filter(pk__in=on_order)
        return qs.filter(active=True)

    def get_form_kwargs(self) -> dict[str, Any]:
        return {"customers": customer_selectors.customer_list(user=self.request.user)}

    def get_formset_kwargs(self, name: str) -> dict[str, Any]:
        return {"products": self.products()}

    def get_initial(self, obj: Order | None) -> dict[str, Any]:
        if obj is None:
            initial: dict[str, Any] = {}
            customer = self.request.GET.get("customer", "")
            if customer.isdecimal() and len(customer) < 19:
                initial["customer"] = int(customer)
            return initial
        return {
            "version": obj.version,
            "customer": obj.customer_id,
            "number": obj.number,
            "status": obj.status,
            "ordered_at": timezone.localtime(obj.ordered_at),
            "currency": obj.currency,
            "notes": obj.notes,
        }

    def get_formset_initial(self, name: str, obj: Order | None) -> list[dict[str, Any]]:
        if obj is None:
            return []
        return [
            {"product": line.product_id, "quantity": line.quantity, "unit_price": line.unit_price}
            for line in obj.lines.all()
        ]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = kwargs["form"]
        customer_id = form["customer"].value()
        customer = None
        if customer_id and str(customer_id).isdecimal() and len(str(customer_id)) < 19:
            customer = (
                customer_selectors.customer_list(user=self.request.user)
                .filter(pk=int(customer_id))
                .first()
            )
        context["selected_customer"] = customer
        return context

    def call_service(self, data: dict[str, Any], version: int | None) -> Order:
        if data.get("ordered_at") is None:
            data.pop("ordered_at", None)
        if not data.get("number"):
            data.pop("number", None)
        if self.object is None:
            return services.create_order(actor=self.request.user, data=data)
        return services.update_order(
            actor=self.request.user, order=self.object, data=data, version=version
        )

    def get_success_url(self, result: Order) -> str:
        return reverse("sales:order_detail", args=[result.pk])


class OrderCreateView(OrderFormView):
    action = "create"

    def get_discard_url(self) -> str:
        return reverse("sales:order_list")


class OrderEditView(OrderFormView):
    action = "change"

    def get_object(self) -> Order:
        return (
            selectors.order_list(user=self.request.user)
            .select_related("customer")
            .get(pk=self.kwargs["pk"])
        )

    def get_discard_url(self) -> str:
        return reverse("sales:order_detail", args=[self.kwargs["pk"]])


# --- products ---------------------------------------------------------------------------------


@login_required
def product_list(request: HttpRequest) -> HttpResponse:
    _require(request.user, "products", "view")
    products = selectors.product_list(user=request.user)
    categories = list(
        products.exclude(category="")
        .order_by("category")
        .values_list("category", flat=True)
        .distinct()[:200]
    )
    filters = ProductFilterForm(request.GET or None, categories=categories)
    qs = products
    if filters.is_valid():
        data = filters.cleaned_data
        if data["category"]:
            qs = qs.filter(category=data["category"])
        if data["active"]:
            qs = qs.filter(active=data["active"] == "yes")
    context = {
        "filters": filters,
        "may_create": has_perm(request.user, "products", "create"),
        "may_change": has_perm(request.user, "products", "change"),
        **_page(request, qs, "name"),
    }
    return render(request, "sales/product_list.html", context)


class ProductFormView(ServiceFormView):
    template_name = "sales/product_form.html"
    form_class = ProductForm
    action = "create"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            _require(request.user, "products", self.action)
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self, obj: Product | None) -> dict[str, Any]:
        if obj is None:
            return {}
        return {
            "version": obj.version,
            **{f: getattr(obj, f) for f in services.PRODUCT_FIELDS},
        }

    def call_service(self, data: dict[str, Any], version: int | None) -> Product:
        return services.save_product(
            actor=self.request.user, product=self.object, data=data, version=version
        )

    def get_success_url(self, result: Product) -> str:
        return reverse("sales:product_list")

    def get_discard_url(self) -> str:
        return reverse("sales:product_list")


class ProductCreateView(ProductFormView):
    action = "create"


class ProductEditView(ProductFormView):
    action = "change"

    def get_object(self) -> Product:
        return selectors.product_list(user=self.request.user).get(pk=self.kwargs["pk"])


# --- exchange rates ---------------------------------------------------------------------------


@login_required
def exchange_rate_list(request: HttpRequest) -> HttpResponse:
    """The rates into the base currency, by currency and newest first, and the currencies that
    orders or products use without any rate (their amounts count nowhere until one is
    entered)."""
    _require(request.user, "products", "view")
    qs = selectors.exchange_rate_list(user=request.user)
    context = {
        "base_currency": settings.DEFAULT_CURRENCY,
        "missing": selectors.currencies_without_rate(user=request.user),
        "may_create": has_perm(request.user, "products", "create"),
        "may_change": has_perm(request.user, "products", "change"),
        **_page(request, qs, "-valid_from"),
    }
    return render(request, "sales/exchange_rate_list.html", context)


class ExchangeRateFormView(ServiceFormView):
    template_name = "sales/exchange_rate_form.html"
    form_class = ExchangeRateForm
    action = "create"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            _require(request.user, "products", self.action)
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self, obj: ExchangeRate | None) -> dict[str, Any]:
        if obj is None:
            currency = self.request.GET.get("currency", "")
            return {"valid_from": timezone.localdate(), "currency": currency[:3]}
        return {
            "version": obj.version,
            "currency": obj.currency,
            "valid_from": obj.valid_from,
            "rate": plain_decimal(obj.rate),
        }

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["base_currency"] = settings.DEFAULT_CURRENCY
        context["may_delete"] = self.object is not None and has_perm(
            self.request.user, "products", "delete"
        )
        return context

    def call_service(self, data: dict[str, Any], version: int | None) -> ExchangeRate:
        return services.save_exchange_rate(
            actor=self.request.user, rate=self.object, data=data, version=version
        )

    def get_success_url(self, result: ExchangeRate) -> str:
        return reverse("sales:exchange_rate_list")

    def get_discard_url(self) -> str:
        return reverse("sales:exchange_rate_list")


class ExchangeRateCreateView(ExchangeRateFormView):
    action = "create"


class ExchangeRateEditView(ExchangeRateFormView):
    action = "change"

    def get_object(self) -> ExchangeRate:
        return selectors.exchange_rate_list(user=self.request.user).get(pk=self.kwargs["pk"])


@login_required
@require_POST
def exchange_rate_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request.user, "products", "delete")
    rate = selectors.exchange_rate_list(user=request.user).filter(pk=pk).first()
    if rate is None:
        raise Http404
    try:
        services.delete_exchange_rate(actor=request.user, rate=rate)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("sales:exchange_rate_edit", pk=rate.pk)
    messages.success(
        request,
        _("Rate deleted: %(currency)s from %(day)s.")
        % {"currency": rate.currency, "day": rate.valid_from.isoformat()},
    )
    return redirect("sales:exchange_rate_list")
