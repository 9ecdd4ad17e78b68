"""Web pages of needs: list, form and the analysis page. Adapters over selectors and services."""

from __future__ import annotations

import contextlib
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from guanxi.accounts.policies import has_perm
from guanxi.core import keyset
from guanxi.core.web import ServiceFormView
from guanxi.customers.models import Customer
from guanxi.customers.selectors import customer_get

from . import selectors, services
from .forms import AnalysisForm, NeedFilterForm, NeedForm
from .models import Need


def _require(request: HttpRequest, action: str) -> None:
    if not has_perm(request.user, "needs", action):
        raise PermissionDenied


@login_required
def need_list(request: HttpRequest) -> HttpResponse:
    _require(request, "view")
    form = NeedFilterForm(request.GET or None)
    qs = selectors.need_list(user=request.user).select_related("customer", "ticket")
    if request.GET and form.is_valid():
        for name in ("category", "status", "importance"):
            if form.cleaned_data.get(name):
                qs = qs.filter(**{name: form.cleaned_data[name]})
    web_page = keyset.paginate_request(request, qs, sort="-created_at")
    if web_page.reset:
        messages.warning(request, _("That page link is out of date; here is the first page."))
    context = {
        "filter_form": form,
        "page": web_page.page,
        "next_url": web_page.next_url,
        "previous_url": web_page.previous_url,
        "may_create": has_perm(request.user, "needs", "create"),
    }
    return render(request, "needs/list.html", context)


class NeedCreate(ServiceFormView):
    template_name = "needs/form.html"
    form_class = NeedForm
    action = "create"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            _require(request, self.action)
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self) -> dict[str, Any]:
        return {"user": self.request.user}

    def get_initial(self, obj: Any) -> dict[str, Any]:
        from guanxi.tickets.models import Ticket
        from guanxi.tickets.selectors import ticket_get

        initial: dict[str, Any] = {}
        get = self.request.GET
        if get.get("customer"):
            with contextlib.suppress(Customer.DoesNotExist, ValidationError):
                initial["customer"] = customer_get(user=self.request.user, pk=get["customer"])
        if get.get("ticket"):
            with contextlib.suppress(Ticket.DoesNotExist):
                ticket = ticket_get(user=self.request.user, pk=get["ticket"])
                initial.update(
                    ticket=ticket.pk,
                    customer=ticket.customer,
                    title=ticket.subject,
                    category=ticket.category.code
                    if ticket.category.code in ("product", "service", "price")
                    else "other",
                )
        if get.get("interaction", "").isdecimal():
            initial["interaction"] = int(get["interaction"])
        return initial

    def _resolve(self, data: dict[str, Any]) -> dict[str, Any]:
        from guanxi.interactions.selectors import interaction_list
        from guanxi.tickets.selectors import ticket_list

        data = dict(data)
        missing = {
            "ticket": _("There is no such ticket."),
            "interaction": _("There is no such interaction."),
        }
        for name, select in (("ticket", ticket_list), ("interaction", interaction_list)):
            pk = data.pop(name, None)
            if pk:
                obj = select(user=self.request.user).filter(pk=pk).first()
                if obj is None:
                    raise ValidationError({"__all__": missing[name]})
                data[name] = obj
        if data.get("customer") is None:
            data.pop("customer", None)
        return data

    def call_service(self, data: dict[str, Any], version: int | None) -> Any:
        return services.create_need(actor=self.request.user, data=self._resolve(data))

    def get_success_url(self, result: Any) -> str:
        if result.ticket_id:
            return reverse("tickets:detail", args=[result.ticket_id])
        return reverse("customers:detail", args=[result.customer_id])

    def get_discard_url(self) -> str:
        return reverse("needs:list")


class NeedEdit(NeedCreate):
    action = "change"

    def get_object(self) -> Need:
        return selectors.need_get(user=self.request.user, pk=self.kwargs["pk"])

    def get_form_kwargs(self) -> dict[str, Any]:
        return {"user": self.request.user, "editing": True}

    def get_initial(self, obj: Any) -> dict[str, Any]:
        return {f: getattr(obj, f) for f in services.EDITABLE} | {"version": obj.version}

    def call_service(self, data: dict[str, Any], version: int | None) -> Any:
        return services.update_need(
            actor=self.request.user, need=self.object, data=data, version=version
        )

    def get_success_url(self, result: Any) -> str:
        return reverse("needs:list")

    def get_discard_url(self) -> str:
        return reverse("needs:edit", args=[self.object.pk])


@login_required
def analysis(request: HttpRequest) -> HttpResponse:
    _require(request, "view")
    form = AnalysisForm(request.GET or None)
    params: dict[str, Any] = {}
    status = 200
    if request.GET:
        if form.is_valid():
            params = {
                "segment": form.cleaned_data.get("segment") or "grade",
                "date_from": form.cleaned_data.get("date_from"),
                "date_to": form.cleaned_data.get("date_to"),
            }
        else:
            status = 400
    data = selectors.analysis(user=request.user, **params)
    return render(request, "needs/analysis.html", {"form": form, "data": data}, status=status)
