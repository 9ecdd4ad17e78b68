"""Web pages of surveys: the list, a survey with its questions, sending, answers and results;
improvement actions; and the public answer page reached by a signed link."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from guanxi.accounts.policies import has_perm
from guanxi.core import keyset
from guanxi.core.errors import ConflictError, PermissionDeniedError
from guanxi.core.web import ServiceFormView
from guanxi.customers.selectors import customer_list

from . import selectors, services
from .forms import (
    ActionFilterForm,
    ActionForm,
    QuestionForm,
    ResultsFilterForm,
    SendForm,
    SurveyForm,
)
from .models import ActionStatus, ImprovementAction, Question, Survey, SurveyLink
from .policies import may_edit_survey

PUBLIC_LANGUAGES = {"zh-hans": "中文", "en": "English"}


def _require(request: HttpRequest, action: str) -> None:
    if not has_perm(request.user, "surveys", action):
        raise PermissionDenied


def _survey(request: HttpRequest, pk: Any) -> Survey:
    try:
        return selectors.survey_get(user=request.user, pk=pk)
    except Survey.DoesNotExist:
        raise Http404 from None


def _text(exc: Exception) -> str:
    return " ".join(exc.messages) if isinstance(exc, ValidationError) else exc.message


@login_required
def survey_list(request: HttpRequest) -> HttpResponse:
    _require(request, "view")
    qs = selectors.survey_list(user=request.user)
    status = request.GET.get("status", "")
    if status in ("draft", "active", "closed"):
        qs = qs.filter(status=status)
    page = keyset.paginate_request(request, qs, sort="-created_at")
    if page.reset:
        messages.warning(request, _("That page link is out of date; here is the first page."))
    context = {
        "page": page.page,
        "next_url": page.next_url,
        "previous_url": page.previous_url,
        "status": status,
        "may_create": has_perm(request.user, "surveys", "create"),
    }
    return render(request, "surveys/list.html", context)


class _Form(ServiceFormView):
    action = "create"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            _require(request, self.action)
        return super().dispatch(request, *args, **kwargs)


class SurveyCreate(_Form):
    template_name = "surveys/form.html"
    form_class = SurveyForm

    def call_service(self, data: dict[str, Any], version: int | None) -> Any:
        return services.create_survey(actor=self.request.user, data=data)

    def get_success_url(self, result: Any) -> str:
        return reverse("surveys:detail", args=[result.pk])

    def get_discard_url(self) -> str:
        return reverse("surveys:list")


class SurveyEdit(SurveyCreate):
    action = "view"

    def get_object(self) -> Survey:
        return selectors.survey_get(user=self.request.user, pk=self.kwargs["pk"])

    def get_initial(self, obj: Any) -> dict[str, Any]:
        names = [f for f in SurveyForm.base_fields if f != "version"]
        return {f: getattr(obj, f) for f in names} | {"version": obj.version}

    def call_service(self, data: dict[str, Any], version: int | None) -> Any:
        return services.update_survey(
            actor=self.request.user, survey=self.object, data=data, version=version
        )

    def get_discard_url(self) -> str:
        return reverse("surveys:detail", args=[self.object.pk])


@login_required
def survey_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, "view")
    survey = _survey(request, pk)
    responses = selectors.response_list(user=request.user).filter(survey=survey)
    page = keyset.paginate_request(
        request, responses.select_related("customer", "followup_task"), sort="-submitted_at"
    )
    questions = list(survey.questions.order_by("position", "id"))
    context = {
        "survey": survey,
        "questions": questions,
        "page": page.page,
        "next_url": page.next_url,
        "previous_url": page.previous_url,
        "totals": selectors.totals(request.user, survey=survey),
        "may_edit": may_edit_survey(request.user, survey),
        "may_send": has_perm(request.user, "surveys", "create") and survey.accepts_answers,
        "send_form": SendForm(),
    }
    return render(request, "surveys/detail.html", context)


@login_required
@require_POST
def survey_status(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, "view")
    survey = _survey(request, pk)
    try:
        services.set_survey_status(
            actor=request.user,
            survey=survey,
            status=request.POST.get("status", ""),
            version=request.POST.get("version"),
        )
    except (ValidationError, ConflictError, PermissionDeniedError) as exc:
        messages.error(request, _text(exc))
    else:
        messages.success(request, _("Survey updated."))
    return redirect("surveys:detail", pk=survey.pk)


class QuestionCreate(_Form):
    template_name = "surveys/question_form.html"
    form_class = QuestionForm
    action = "view"

    def survey(self) -> Survey:
        return selectors.survey_get(user=self.request.user, pk=self.kwargs["survey"])

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            try:  # a survey that does not exist (or is not the user's to see): 404, not 500
                self.survey()
            except Survey.DoesNotExist:
                raise Http404 from None
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(survey=self.survey(), **kwargs)

    def call_service(self, data: dict[str, Any], version: int | None) -> Any:
        return services.add_question(actor=self.request.user, survey=self.survey(), data=data)

    def get_success_url(self, result: Any) -> str:
        return reverse("surveys:detail", args=[self.kwargs["survey"]])

    def get_discard_url(self) -> str:
        return reverse("surveys:detail", args=[self.kwargs["survey"]])


class QuestionEdit(QuestionCreate):
    def get_object(self) -> Question:
        return self.survey().questions.get(pk=self.kwargs["pk"])

    def get_initial(self, obj: Any) -> dict[str, Any]:
        names = [f for f in QuestionForm.base_fields if f not in ("version", "choices")]
        return {f: getattr(obj, f) for f in names} | {
            "choices": "\n".join(obj.choices or []),
            "version": obj.version,
        }

    def call_service(self, data: dict[str, Any], version: int | None) -> Any:
        return services.update_question(
            actor=self.request.user, question=self.object, data=data, version=version
        )


@login_required
@require_POST
def question_delete(request: HttpRequest, survey: int, pk: int) -> HttpResponse:
    _require(request, "view")
    found = _survey(request, survey)
    question = get_object_or_404(found.questions, pk=pk)
    try:
        services.delete_question(actor=request.user, question=question)
    except (ValidationError, PermissionDeniedError) as exc:
        messages.error(request, _text(exc))
    else:
        messages.success(request, _("Question deleted."))
    return redirect("surveys:detail", pk=found.pk)


@login_required
@require_POST
def survey_send(request: HttpRequest, pk: int) -> HttpResponse:
    """Make the links of the customers named (those the user may see) and e-mail them."""
    _require(request, "create")
    survey = _survey(request, pk)
    form = SendForm(request.POST)
    result = None
    if form.is_valid():
        numbers = form.cleaned_data["customers"]
        found = {c.pk: c for c in customer_list(user=request.user).filter(pk__in=numbers)}
        missing = [n for n in numbers if n not in found]
        if missing:
            form.add_error(
                "customers",
                _("There is no such customer: %(list)s")
                % {"list": ", ".join(str(n) for n in missing[:10])},
            )
        else:
            customers = [found[n] for n in numbers]
            try:
                if form.cleaned_data["email"]:
                    result = services.send_survey(
                        actor=request.user, survey=survey, customers=customers
                    )
                else:
                    links = [
                        services.get_or_create_link(actor=request.user, survey=survey, customer=c)
                        for c in customers
                    ]
                    result = {"links": links, "emailed": 0, "no_email": []}
            except ValidationError as exc:
                form.add_error(None, _text(exc))
            except PermissionDeniedError as exc:
                form.add_error(None, exc.message)
    if result is not None:
        rows = [
            (link.customer, services.absolute_url(services.link_url(link)))
            for link in result["links"]
        ]
        context = {"survey": survey, "rows": rows, **result}
        return render(request, "surveys/sent.html", context)
    context = {"survey": survey, "send_form": form}
    return render(request, "surveys/send.html", context, status=400)


@login_required
def results(request: HttpRequest) -> HttpResponse:
    _require(request, "view")
    form = ResultsFilterForm(request.GET or None)
    filters = form.filters() if form.is_bound else ResultsFilterForm().filters()
    rows = selectors.scores(request.user, **filters)
    overall = selectors.totals(
        request.user, **{k: v for k, v in filters.items() if k != "group_by"}
    )
    chart = {
        "labels": [r["label"] for r in rows],
        "csat": [r["csat_avg"] for r in rows],
        "satisfied": [r["csat_satisfied_pct"] for r in rows],
        "nps": [r["nps"] for r in rows],
        "names": {
            "csat": _("CSAT average (1–5)"),
            "satisfied": _("Satisfied share (%%)") % {},
            "nps": _("NPS"),
        },
    }
    context = {"form": form, "rows": rows, "overall": overall, "chart": chart}
    return render(request, "surveys/results.html", context)


# --- improvement actions ----------------------------------------------------------------------


@login_required
def action_list(request: HttpRequest) -> HttpResponse:
    _require(request, "view")
    form = ActionFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    qs = selectors.action_list(user=request.user)
    status = data.get("status") or ""
    if data.get("overdue"):
        qs = selectors.overdue_actions(user=request.user)
    elif status == "":
        qs = qs.filter(status__in=(ActionStatus.OPEN, ActionStatus.IN_PROGRESS))
    elif status != "all":
        qs = qs.filter(status=status)
    if data.get("owner"):
        qs = qs.filter(owner=data["owner"])
    if data.get("survey"):
        qs = qs.filter(survey=data["survey"])
    page = keyset.paginate_request(request, qs.select_related("owner", "survey"), sort="due_date")
    if page.reset:
        messages.warning(request, _("That page link is out of date; here is the first page."))
    context = {
        "form": form,
        "page": page.page,
        "next_url": page.next_url,
        "previous_url": page.previous_url,
        "may_create": has_perm(request.user, "surveys", "create"),
        "today": timezone.localdate(),
    }
    return render(request, "surveys/action_list.html", context)


class ActionCreate(_Form):
    template_name = "surveys/action_form.html"
    form_class = ActionForm

    def get_form_kwargs(self) -> dict[str, Any]:
        return {"user": self.request.user}

    def get_initial(self, obj: Any) -> dict[str, Any]:
        initial = {}
        for name in ("survey", "ticket", "need"):  # "New action" from a survey, ticket or need
            value = self.request.GET.get(name, "")
            if value.isdecimal() and len(value) < 19:
                initial[name] = int(value)
        return initial

    def call_service(self, data: dict[str, Any], version: int | None) -> Any:
        return services.create_action(actor=self.request.user, data=data)

    def get_success_url(self, result: Any) -> str:
        return reverse("surveys:action_list")

    def get_discard_url(self) -> str:
        return reverse("surveys:action_list")


class ActionEdit(ActionCreate):
    action = "view"

    def get_object(self) -> ImprovementAction:
        return selectors.action_get(user=self.request.user, pk=self.kwargs["pk"])

    def get_form_kwargs(self) -> dict[str, Any]:
        links = {"ticket": self.object.ticket_id, "need": self.object.need_id}
        return {"user": self.request.user, "links": links}

    def get_initial(self, obj: Any) -> dict[str, Any]:
        names = [f for f in ActionForm.base_fields if f != "version"]
        return {f: getattr(obj, f) for f in names} | {"version": obj.version}

    def call_service(self, data: dict[str, Any], version: int | None) -> Any:
        return services.update_action(
            actor=self.request.user, action=self.object, data=data, version=version
        )


# --- the public answer page -------------------------------------------------------------------


def _public_language(request: HttpRequest) -> str:
    wanted = request.GET.get("lang") or request.POST.get("lang") or ""
    return wanted if wanted in PUBLIC_LANGUAGES else settings.SURVEY_DEFAULT_LANGUAGE


def _raw_answers(request: HttpRequest, questions: list[Question]) -> dict[str, Any]:
    raw: dict[str, Any] = {}
    for q in questions:
        name = f"q{q.pk}"
        raw[str(q.pk)] = (
            request.POST.getlist(name) if q.kind == "multiple" else request.POST.get(name)
        )
    return raw


@never_cache
def answer(request: HttpRequest, token: str) -> HttpResponse:
    """A customer answers (or changes their answer) through their signed link. A forged or
    altered token is a 404; an expired link or a closed survey says so."""
    language = _public_language(request)
    with translation.override(language):
        try:
            link = services.link_from_token(token)
        except SurveyLink.DoesNotExist:
            return render(request, "surveys/public_gone.html", {"reason": "missing"}, status=404)
        survey = link.survey
        context: dict[str, Any] = {
            "survey": survey,
            "language": language,
            "languages": PUBLIC_LANGUAGES,
            "path": request.path,
        }
        if not survey.accepts_answers or link.expired:
            reason = "expired" if survey.accepts_answers else "closed"
            return render(
                request, "surveys/public_gone.html", context | {"reason": reason}, status=410
            )
        questions = list(survey.questions.order_by("position", "id"))
        existing = getattr(link, "response", None) if hasattr(link, "response") else None
        errors: dict[str, str] = {}
        values: dict[str, Any] = dict(existing.answers) if existing else {}
        status = 200
        if request.method == "POST":
            values = _raw_answers(request, questions)
            try:
                services.submit_response(link=link, answers=values, language=language)
            except ValidationError as exc:
                status = 400
                if hasattr(exc, "error_dict"):
                    errors = {k: " ".join(v) for k, v in exc.message_dict.items()}
                else:
                    errors = {"__all__": " ".join(exc.messages)}
            else:
                return render(request, "surveys/public_thanks.html", context)
        items = [
            {
                "q": q,
                "name": f"q{q.pk}",
                "value": values.get(str(q.pk)),
                "error": errors.get(f"q{q.pk}"),
                "range": _range(q),
            }
            for q in questions
        ]
        context |= {
            "items": items,
            "errors": errors,
            "answered": existing is not None,
            "form_error": errors.get("__all__"),
        }
        return render(request, "surveys/public_answer.html", context, status=status)


def _range(q: Question) -> list[int]:
    if q.kind == "csat":
        return list(range(1, 6))
    if q.kind == "nps":
        return list(range(0, 11))
    if q.kind == "scale":
        return list(range(q.scale_min, q.scale_max + 1))
    return []
