"""Web pages of tickets: list, detail with replies, history and actions, forms and the admin's
settings. Adapters: reads through selectors, writes through services."""

from __future__ import annotations

import contextlib
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.accounts.policies import has_perm, is_admin
from guanxi.audit.presentation import present_events
from guanxi.audit.selectors import record_history
from guanxi.core import keyset
from guanxi.core.errors import ConflictError, PermissionDeniedError
from guanxi.core.web import ServiceFormView
from guanxi.customers.models import Customer
from guanxi.customers.policies import can_see
from guanxi.customers.selectors import customer_get

from . import selectors, services, sla
from .forms import (
    CategoryForm,
    FilterForm,
    ReplyForm,
    RuleForm,
    SettingsForm,
    TargetForm,
    TicketForm,
)
from .models import AssignmentRule, Priority, SlaTarget, Ticket, TicketCategory


def _require(request: HttpRequest, action: str) -> None:
    if not has_perm(request.user, "tickets", action):
        raise PermissionDenied


def _get(request: HttpRequest, pk: int) -> Ticket:
    try:
        return selectors.ticket_get(user=request.user, pk=pk)
    except Ticket.DoesNotExist:
        raise Http404 from None


@login_required
def ticket_list(request: HttpRequest) -> HttpResponse:
    _require(request, "view")
    form = FilterForm(request.GET or None)
    params = form.params() if request.GET else {}
    qs = selectors.filtered(user=request.user, params=params).select_related(
        "customer", "assignee", "category"
    )
    web_page = keyset.paginate_request(request, qs, sort="-created_at")
    if web_page.reset:
        messages.warning(request, _("That page link is out of date; here is the first page."))
    context = {
        "filter_form": form,
        "page": web_page.page,
        "next_url": web_page.next_url,
        "previous_url": web_page.previous_url,
        "may_create": has_perm(request.user, "tickets", "create"),
        "is_admin": is_admin(request.user),
    }
    return render(request, "tickets/list.html", context)


@login_required
def ticket_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, "view")
    ticket = _get(request, pk)
    may_change = has_perm(request.user, "tickets", "change")
    # The assignee or the team's lead may work a ticket whose customer is outside their scope:
    # the customer's page, portal link and needs are not theirs, so they are not offered.
    sees_customer = can_see(request.user, ticket.customer)
    rating_link = None
    if may_change and ticket.rating_requested_at and ticket.rated_at is None:
        rating_link = services.rating_url(ticket)
    context = {
        "ticket": ticket,
        "replies": list(selectors.replies(user=request.user, ticket=ticket)),
        "history": present_events(
            request.user, record_history(user=request.user, instance=ticket)[:100]
        ),
        "actions": [(a, services.action_label(a)) for a in services.allowed_actions(ticket)]
        if may_change
        else [],
        "may_change": may_change,
        "reply_form": ReplyForm(),
        "rating_link": rating_link,
        "sees_customer": sees_customer,
        "may_record_need": sees_customer and has_perm(request.user, "needs", "create"),
        "may_issue_link": sees_customer and has_perm(request.user, "tickets", "create"),
        "articles": list(selectors.linked_articles(user=request.user, ticket=ticket)),
        "suggested_articles": services.suggested_articles(user=request.user, ticket=ticket)
        if may_change
        else [],
    }
    return render(request, "tickets/detail.html", context)


@login_required
@require_POST
def article_link(request: HttpRequest, pk: int) -> HttpResponse:
    """Link (or, with unlink=1, unlink) a knowledge-base article to the ticket."""
    _require(request, "change")
    ticket = _get(request, pk)
    linked = not request.POST.get("unlink")
    try:
        services.link_article(
            actor=request.user, ticket=ticket, article_id=request.POST.get("article"), linked=linked
        )
    except PermissionDeniedError as exc:
        return HttpResponse(exc.message, status=403)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Article linked.") if linked else _("Article unlinked."))
    return redirect("tickets:detail", pk=pk)


class TicketCreate(ServiceFormView):
    template_name = "tickets/form.html"
    form_class = TicketForm
    action = "create"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            _require(request, self.action)
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self) -> dict[str, Any]:
        return {"user": self.request.user}

    def get_initial(self, obj: Any) -> dict[str, Any]:
        initial: dict[str, Any] = {}
        customer = self.request.GET.get("customer")
        if customer:
            with contextlib.suppress(Customer.DoesNotExist, ValidationError):
                initial["customer"] = customer_get(user=self.request.user, pk=customer)
        return initial

    def call_service(self, data: dict[str, Any], version: int | None) -> Any:
        return services.create_ticket(actor=self.request.user, data=data)

    def get_success_url(self, result: Any) -> str:
        return reverse("tickets:detail", args=[result.pk])

    def get_discard_url(self) -> str:
        return reverse("tickets:list")


class TicketEdit(TicketCreate):
    action = "change"

    def get_object(self) -> Ticket:
        return selectors.ticket_get(user=self.request.user, pk=self.kwargs["pk"])

    def get_form_kwargs(self) -> dict[str, Any]:
        return {
            "user": self.request.user,
            "editing": True,
            "assignee_id": self.object.assignee_id,
            "category_id": self.object.category_id,
        }

    def get_initial(self, obj: Any) -> dict[str, Any]:
        names = [f for f in services.EDITABLE]
        return {f: getattr(obj, f) for f in names} | {"version": obj.version}

    def call_service(self, data: dict[str, Any], version: int | None) -> Any:
        return services.update_ticket(
            actor=self.request.user, ticket=self.object, data=data, version=version
        )

    def get_discard_url(self) -> str:
        return reverse("tickets:detail", args=[self.object.pk])


def _run(request: HttpRequest, ticket: Ticket, call) -> HttpResponse:
    try:
        call()
    except PermissionDeniedError as exc:
        return HttpResponse(exc.message, status=403)
    except ConflictError as exc:
        messages.error(request, exc.message)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("tickets:detail", ticket.pk)


@login_required
@require_POST
def transition(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, "change")
    ticket = _get(request, pk)
    action = request.POST.get("action", "")
    version = request.POST.get("version") or None

    def call():
        services.change_status(actor=request.user, ticket=ticket, action=action, version=version)
        messages.success(request, _("Done: %(action)s") % {"action": services.action_label(action)})

    return _run(request, ticket, call)


@login_required
@require_POST
def reply(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, "change")
    ticket = _get(request, pk)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(m for errs in form.errors.values() for m in errs))
        return redirect("tickets:detail", ticket.pk)

    def call():
        services.add_reply(
            actor=request.user,
            ticket=ticket,
            body=form.cleaned_data["body"],
            public=form.cleaned_data["is_public"],
        )
        messages.success(request, _("Your reply was added."))

    return _run(request, ticket, call)


# --- settings (administrators) -------------------------------------------------------------------


def _require_admin(request: HttpRequest) -> None:
    if not is_admin(request.user):
        raise PermissionDenied


def _apply_errors(form, exc: ValidationError) -> None:
    from guanxi.core.web import apply_service_errors

    apply_service_errors(exc, form)


@login_required
def settings_page(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    conf = services.service_settings()
    status = 200
    forms_by_name: dict[str, Any] = {}
    if request.method == "POST":
        which = request.POST.get("form", "")
        try:
            status = _settings_post(request, which, conf, forms_by_name)
        except ConflictError as exc:
            messages.error(request, exc.message)
            return redirect("tickets:settings")
        if status == 302:
            return redirect("tickets:settings")
    targets = {t.priority: t for t in SlaTarget.objects.all()}
    target_rows = []
    for priority, label in Priority.choices:
        row = targets.get(priority)
        form = forms_by_name.get(f"target-{priority}") or TargetForm(
            prefix=priority,
            initial={
                "first_response_hours": row.first_response_hours if row else None,
                "resolution_hours": row.resolution_hours if row else None,
                "version": row.version if row else None,
            },
        )
        target_rows.append((priority, label, form))
    context = {
        "settings_form": forms_by_name.get("settings")
        or SettingsForm(
            initial={
                "work_start": conf.work_start,
                "work_end": conf.work_end,
                "time_zone": conf.time_zone,
                "due_soon_hours": conf.due_soon_hours,
                "followup_days": conf.followup_days,
                "days_off": services.calendar_text(conf.days_off),
                "workdays": services.calendar_text(conf.workdays),
                "version": conf.version,
            }
        ),
        "target_rows": target_rows,
        "calendar_last_year": sla.last_calendar_year(),
        "this_year": timezone.localdate().year,
        "categories": TicketCategory.objects.all(),
        "category_form": forms_by_name.get("category") or CategoryForm(prefix="cat"),
        "rules": AssignmentRule.objects.select_related("category", "team"),
        "rule_form": forms_by_name.get("rule") or RuleForm(prefix="rule"),
    }
    return render(request, "tickets/settings.html", context, status=status)


def _settings_post(request, which: str, conf, forms_by_name) -> int:
    user = request.user
    if which == "settings":
        form = SettingsForm(request.POST)
        forms_by_name["settings"] = form
        if form.is_valid():
            try:
                services.save_settings(
                    actor=user, data=form.service_data(), version=form.cleaned_data["version"]
                )
            except ValidationError as exc:
                _apply_errors(form, exc)
                return 400
            messages.success(request, _("The business hours were saved."))
            return 302
        return 400
    if which.startswith("target-") and which[7:] in Priority.values:
        priority = which[7:]
        form = TargetForm(request.POST, prefix=priority)
        forms_by_name[which] = form
        if form.is_valid():
            try:
                services.save_sla_target(
                    actor=user,
                    priority=priority,
                    data=form.service_data(),
                    version=form.cleaned_data["version"],
                )
            except ValidationError as exc:
                _apply_errors(form, exc)
                return 400
            messages.success(request, _("The SLA target was saved."))
            return 302
        return 400
    if which == "category":
        form = CategoryForm(request.POST, prefix="cat")
        forms_by_name["category"] = form
        if form.is_valid():
            category = None
            pk = request.POST.get("category_id")
            if pk:
                category = TicketCategory.objects.filter(pk=pk).first()
                if category is None:
                    raise Http404
            try:
                services.save_category(
                    actor=user,
                    category=category,
                    data=form.service_data(),
                    version=form.cleaned_data["version"],
                )
            except ValidationError as exc:
                _apply_errors(form, exc)
                return 400
            messages.success(request, _("The category was saved."))
            return 302
        return 400
    if which == "rule":
        form = RuleForm(request.POST, prefix="rule")
        forms_by_name["rule"] = form
        if form.is_valid():
            try:
                services.save_rule(actor=user, rule=None, data=form.service_data())
            except ValidationError as exc:
                _apply_errors(form, exc)
                return 400
            messages.success(request, _("The assignment rule was saved."))
            return 302
        return 400
    if which == "delete-rule":
        rule = AssignmentRule.objects.filter(pk=request.POST.get("rule_id") or 0).first()
        if rule is None:
            raise Http404
        services.delete_rule(actor=user, rule=rule)
        messages.success(request, _("The assignment rule was removed."))
        return 302
    messages.error(request, _("Nothing was changed."))
    return 302
