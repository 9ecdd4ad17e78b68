"""Web pages of customer care: plans and greeting templates (administrators), and a customer's
greeting preferences (from the 360° page). Adapters over selectors and services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.core.web import ServiceFormView

from . import selectors, services
from .forms import CarePlanForm, CareProfileForm, GreetingTemplateForm
from .models import CarePlan, GreetingTemplate
from .policies import may_edit_profile, may_manage


def _admin(request: HttpRequest) -> None:
    if not may_manage(request.user):
        raise PermissionDenied


@login_required
def plan_list(request: HttpRequest) -> HttpResponse:
    _admin(request)
    context = {
        "plans": list(selectors.plan_list(user=request.user)),
        "templates": list(selectors.template_list(user=request.user)),
        "greetings": selectors.recent_greetings(user=request.user),
    }
    return render(request, "care/plan_list.html", context)


class AdminFormView(ServiceFormView):
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            _admin(request)
        return super().dispatch(request, *args, **kwargs)

    def get_success_url(self, result: Any) -> str:
        return reverse("care:plan_list")

    def get_discard_url(self) -> str:
        return reverse("care:plan_list")


class PlanCreate(AdminFormView):
    template_name = "care/form.html"
    form_class = CarePlanForm

    def call_service(self, data: dict[str, Any], version: int | None) -> CarePlan:
        return services.create_plan(actor=self.request.user, data=data)


class PlanEdit(PlanCreate):
    def get_object(self) -> CarePlan:
        return selectors.plan_get(user=self.request.user, pk=self.kwargs["pk"])

    def get_initial(self, obj: CarePlan) -> dict[str, Any]:
        return {f: getattr(obj, f) for f in services.PLAN_FIELDS} | {"version": obj.version}

    def call_service(self, data: dict[str, Any], version: int | None) -> CarePlan:
        return services.update_plan(
            actor=self.request.user, plan=self.object, data=data, version=version
        )


@login_required
@require_POST
def plan_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _admin(request)
    try:
        plan = selectors.plan_get(user=request.user, pk=pk)
    except CarePlan.DoesNotExist:
        raise Http404 from None
    services.delete_plan(actor=request.user, plan=plan)
    messages.success(request, _("The care plan %(name)s was deleted.") % {"name": plan.name})
    return redirect("care:plan_list")


class TemplateEdit(AdminFormView):
    template_name = "care/form.html"
    form_class = GreetingTemplateForm

    def get_object(self) -> GreetingTemplate:
        return selectors.template_get(user=self.request.user, occasion=self.kwargs["occasion"])

    def get_initial(self, obj: GreetingTemplate) -> dict[str, Any]:
        return {f: getattr(obj, f) for f in services.TEMPLATE_FIELDS} | {"version": obj.version}

    def call_service(self, data: dict[str, Any], version: int | None) -> GreetingTemplate:
        return services.update_template(
            actor=self.request.user, template=self.object, data=data, version=version
        )


class ProfileEdit(ServiceFormView):
    """A customer's greeting preferences: birthday calendar and language."""

    template_name = "care/form.html"
    form_class = CareProfileForm

    def get_object(self):
        self.customer, profile = selectors.profile_for(
            user=self.request.user, customer_id=self.kwargs["pk"]
        )
        if not may_edit_profile(self.request.user, self.customer):
            raise PermissionDenied
        return profile

    def get_initial(self, obj) -> dict[str, Any]:
        initial = {"calendar": obj.calendar, "language": obj.language}
        if obj.pk:
            initial["version"] = obj.version
        return initial

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(customer=self.customer, **kwargs)

    def call_service(self, data: dict[str, Any], version: int | None):
        return services.save_profile(
            actor=self.request.user, customer=self.customer, data=data, version=version
        )

    def get_success_url(self, result: Any) -> str:
        return reverse("customers:detail", args=[self.customer.pk])

    def get_discard_url(self) -> str:
        return reverse("customers:detail", args=[self.customer.pk])
