"""Web pages of tasks: the list with its "My day", "Overdue" and "All open" tabs, the form and
the complete button. Adapters: reads through selectors, writes through services."""

from __future__ import annotations

import contextlib
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from guanxi.accounts.policies import has_perm
from guanxi.core import keyset
from guanxi.core.errors import ConflictError, PermissionDeniedError
from guanxi.core.web import ServiceFormView, is_htmx_partial
from guanxi.customers.models import Customer
from guanxi.customers.selectors import customer_get

from . import selectors, services
from .forms import TaskForm
from .models import Task

TABS = {
    "today": gettext_lazy("My day"),
    "overdue": gettext_lazy("Overdue"),
    "open": gettext_lazy("All open"),
    "closed": gettext_lazy("Done and cancelled"),
}


def _require(request: HttpRequest, action: str) -> None:
    if not has_perm(request.user, "tasks", action):
        raise PermissionDenied


def _rows(user, tab: str):
    if tab == "overdue":
        qs = selectors.overdue(user=user)
    elif tab == "open":
        qs = selectors.open_tasks(user=user)
    elif tab == "closed":
        qs = selectors.closed_tasks(user=user)
    else:
        qs = selectors.my_day(user=user)
    return qs.select_related("customer", "assignee")


@login_required
def task_list(request: HttpRequest) -> HttpResponse:
    _require(request, "view")
    tab = request.GET.get("tab", "today")
    if tab not in TABS:
        tab = "today"
    qs = _rows(request.user, tab)
    web_page = keyset.paginate_request(request, qs, sort="-due_at" if tab == "closed" else "due_at")
    if web_page.reset:
        messages.warning(request, _("That page link is out of date; here is the first page."))
    context = {
        "tabs": [(key, label, f"?{urlencode({'tab': key})}") for key, label in TABS.items()],
        "tab": tab,
        "page": web_page.page,
        "next_url": web_page.next_url,
        "previous_url": web_page.previous_url,
        "may_create": has_perm(request.user, "tasks", "create"),
        "may_change": has_perm(request.user, "tasks", "change"),
    }
    return render(request, "followups/list.html", context)


class TaskCreate(ServiceFormView):
    template_name = "followups/form.html"
    form_class = TaskForm

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            _require(request, self.action)
        return super().dispatch(request, *args, **kwargs)

    action = "create"

    def get_form_kwargs(self) -> dict[str, Any]:
        return {"user": self.request.user}

    def get_initial(self, obj: Any) -> dict[str, Any]:
        initial: dict[str, Any] = {}
        customer = self.request.GET.get("customer")
        if customer:
            # A customer the user may not see is simply not filled in.
            with contextlib.suppress(Customer.DoesNotExist):
                initial["customer"] = customer_get(user=self.request.user, pk=customer)
        return initial

    def call_service(self, data: dict[str, Any], version: int | None) -> Any:
        return services.create_task(actor=self.request.user, data=data)

    def get_success_url(self, result: Any) -> str:
        if result.customer_id:
            return reverse("customers:detail", args=[result.customer_id])
        return reverse("followups:list") + "?tab=open"

    def get_discard_url(self) -> str:
        return reverse("followups:list")


class TaskEdit(TaskCreate):
    action = "change"

    def get_object(self) -> Task:
        return selectors.task_get(user=self.request.user, pk=self.kwargs["pk"])

    def get_initial(self, obj: Any) -> dict[str, Any]:
        names = [f for f in TaskForm.base_fields if f != "version"]
        return {f: getattr(obj, f) for f in names} | {"version": obj.version}

    def call_service(self, data: dict[str, Any], version: int | None) -> Any:
        return services.update_task(
            actor=self.request.user, task=self.object, data=data, version=version
        )

    def get_discard_url(self) -> str:
        return reverse("followups:edit", args=[self.object.pk])


STATUS_ACTIONS = {
    "complete": (services.complete_task, gettext_lazy("Task done: %(title)s")),
    "cancel": (services.cancel_task, gettext_lazy("Task cancelled: %(title)s")),
    "reopen": (services.reopen_task, gettext_lazy("Task reopened: %(title)s")),
}


def _version(request: HttpRequest) -> int | None:
    raw = request.POST.get("version")
    if raw in (None, ""):
        return None
    try:
        return int(raw)
    except ValueError:
        raise ValidationError({"version": _("Enter a whole number.")}) from None


def _change_status(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    _require(request, "change")
    try:
        task = selectors.task_get(user=request.user, pk=pk)
    except Task.DoesNotExist:
        raise Http404 from None
    service, done_message = STATUS_ACTIONS[action]
    try:
        changed = service(actor=request.user, task=task, version=_version(request))
    except PermissionDeniedError as exc:
        return HttpResponse(exc.message, status=403)
    except (ValidationError, ConflictError) as exc:
        conflict = isinstance(exc, ConflictError)
        text = exc.message if conflict else " ".join(exc.messages)
        if is_htmx_partial(request):
            return HttpResponse(text, status=409 if conflict else 400)
        if conflict:  # someone changed the task meanwhile: say so, change nothing
            context = {"task": task, "message": text}
            return render(request, "followups/status_conflict.html", context, status=409)
        messages.error(request, text)
    else:
        if is_htmx_partial(request) and action == "complete":
            return render(request, "followups/_done.html", {"task": changed})
        messages.success(request, done_message % {"title": task.title})
    target = request.POST.get("next") or reverse("followups:list")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
        target = reverse("followups:list")
    return redirect(target)


@login_required
@require_POST
def complete(request: HttpRequest, pk: int) -> HttpResponse:
    return _change_status(request, pk, "complete")


@login_required
@require_POST
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    return _change_status(request, pk, "cancel")


@login_required
@require_POST
def reopen(request: HttpRequest, pk: int) -> HttpResponse:
    return _change_status(request, pk, "reopen")
