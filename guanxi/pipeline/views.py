"""Web pages of the sales pipeline: the kanban board, opportunities and the administration of
pipelines, stages and lost reasons. Adapters: reads through selectors, writes through services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from guanxi.accounts.forms import TeamChoiceField
from guanxi.accounts.models import Team, User
from guanxi.accounts.policies import has_perm, is_admin
from guanxi.core import keyset
from guanxi.core.errors import ConflictError, PermissionDeniedError
from guanxi.core.web import DateInput, ServiceFormView, StyledForm

from . import selectors, services
from .forms import LoseForm, LostReasonForm, OpportunityForm, PipelineForm, StageForm
from .models import LostReason, Opportunity, Pipeline, Stage
from .policies import may_change


def _require(request: HttpRequest, action: str) -> None:
    if not has_perm(request.user, "opportunities", action):
        raise PermissionDenied


def _require_admin(request: HttpRequest) -> None:
    if not is_admin(request.user):
        raise PermissionDenied


def _opportunity(request: HttpRequest, pk: Any) -> Opportunity:
    try:
        return selectors.opportunity_get(user=request.user, pk=pk)
    except Opportunity.DoesNotExist:
        raise Http404 from None


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return getattr(exc, "message", str(exc))


# --- the board -------------------------------------------------------------------------------


class BoardFilterForm(StyledForm):
    owner = forms.ModelChoiceField(
        label=gettext_lazy("owner"),
        queryset=User.objects.none(),
        required=False,
        empty_label=gettext_lazy("Any"),
    )
    team = TeamChoiceField(  # owners in the team or in a team below it
        label=gettext_lazy("team"),
        queryset=Team.objects.order_by("path"),
        required=False,
        empty_label=gettext_lazy("Any"),
    )
    close_from = forms.DateField(
        label=gettext_lazy("expected close from"),
        required=False,
        widget=DateInput(),
    )
    close_to = forms.DateField(label=gettext_lazy("to"), required=False, widget=DateInput())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = User.objects.filter(is_active=True).order_by("username")

    def filters(self) -> selectors.BoardFilters:
        data = self.cleaned_data if self.is_valid() else {}
        owner, team = data.get("owner"), data.get("team")
        return selectors.BoardFilters(
            owner=owner.pk if owner else None,
            team=team,  # the Team: its ids below are looked up once for every column
            close_from=data.get("close_from"),
            close_to=data.get("close_to"),
        )


def _board_pipeline(request: HttpRequest) -> Pipeline | None:
    pipelines = selectors.pipeline_list(user=request.user)
    wanted = request.GET.get("pipeline")
    if wanted and wanted.isdecimal() and len(wanted) < 19:
        found = pipelines.filter(pk=int(wanted)).first()
        if found is not None:
            return found
    return pipelines.first()


@login_required
def board(request: HttpRequest) -> HttpResponse:
    _require(request, "view")
    pipeline = _board_pipeline(request)
    form = BoardFilterForm(request.GET or None)
    filters = form.filters() if form.is_bound else selectors.BoardFilters()
    columns = (
        selectors.board(user=request.user, pipeline=pipeline, filters=filters) if pipeline else []
    )
    params = request.GET.copy()
    params.pop("cursor", None)
    context = {
        "pipeline": pipeline,
        "pipelines": list(selectors.pipeline_list(user=request.user)),
        "columns": columns,
        "form": form,
        "query": params.urlencode(),
        "lost_reasons": list(selectors.lost_reasons()),
        "may_create": has_perm(request.user, "opportunities", "create"),
        "may_change": has_perm(request.user, "opportunities", "change"),
        "averages": selectors.average_time_in_stage(user=request.user, pipeline=pipeline)
        if pipeline
        else [],
    }
    return render(request, "pipeline/board.html", context)


@login_required
def column(request: HttpRequest, stage_id: int) -> HttpResponse:
    """The next cards of one column (the "more" button), keyset-paginated."""
    _require(request, "view")
    stage = get_object_or_404(Stage.objects.select_related("pipeline"), pk=stage_id)
    form = BoardFilterForm(request.GET or None)
    filters = form.filters() if form.is_bound else selectors.BoardFilters()
    try:
        page = selectors.column_cards(
            user=request.user, stage=stage, filters=filters, cursor=request.GET.get("cursor")
        )
    except keyset.InvalidCursor:
        return HttpResponse(_("That page link is out of date; reload the board."), status=400)
    params = request.GET.copy()
    params.pop("cursor", None)
    context = {
        "cards": page.rows,
        "stage": stage,
        "next_cursor": page.next_cursor,
        "query": params.urlencode(),
        "may_change": has_perm(request.user, "opportunities", "change"),
        "stages": selectors.stage_list(pipeline=stage.pipeline),
    }
    return render(request, "pipeline/_cards.html", context)


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@login_required
@require_POST
def move(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a card to another stage: the board's drag (JSON answer, 409 when the card changed
    meanwhile so that it snaps back) and the stage select on the card and the detail page."""
    _require(request, "change")
    opp = _opportunity(request, pk)
    stage_id = request.POST.get("stage", "")
    stage = None
    if stage_id.isdecimal() and len(stage_id) < 19:
        stage = Stage.objects.filter(pk=int(stage_id), pipeline_id=opp.pipeline_id).first()
    reason_id = request.POST.get("lost_reason", "")
    reason = None
    if reason_id.isdecimal() and len(reason_id) < 19:
        reason = LostReason.objects.filter(pk=int(reason_id)).first()
    status, text = 200, ""
    try:
        if stage is None:
            raise ValidationError({"stage": _("Choose a stage of this pipeline.")})
        opp = services.move_opportunity(
            actor=request.user,
            opportunity=opp,
            stage=stage,
            version=request.POST.get("version"),
            lost_reason=reason,
            lost_note=request.POST.get("lost_note", "")[:5000],
        )
        text = _("Moved to %(stage)s.") % {"stage": opp.stage.name}
    except ConflictError as exc:
        # The board's card snaps back; the stage select of a page has no card to speak of.
        status, text = 409, exc.message
        if _wants_json(request):
            text = _(
                "This opportunity was changed by someone else; it is back where it was. "
                "Reload the board to see the change."
            )
    except PermissionDeniedError as exc:
        status, text = 403, exc.message
    except ValidationError as exc:
        status, text = 400, _error_text(exc)
    if _wants_json(request):
        current = Opportunity.objects.filter(pk=opp.pk).values("version", "stage_id", "status")[0]
        return JsonResponse({"message": text, **current}, status=status)
    if status == 200:
        messages.success(request, text)
    else:
        messages.error(request, text)
    return redirect("pipeline:opportunity_detail", pk=opp.pk)


# --- opportunities ---------------------------------------------------------------------------


@login_required
def opportunity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, "view")
    opp = _opportunity(request, pk)
    history = selectors.stage_history(opportunity=opp)
    context = {
        "opp": opp,
        "history": history,
        "lines": list(opp.lines.select_related("product")),
        "stages": selectors.stage_list(pipeline=opp.pipeline),
        "may_change": may_change(request.user, opp),
        "may_order": has_perm(request.user, "orders", "create"),
        "lose_form": LoseForm(initial={"version": opp.version}),
    }
    return render(request, "pipeline/detail.html", context)


class OpportunityCreate(ServiceFormView):
    template_name = "pipeline/form.html"
    form_class = OpportunityForm
    action = "create"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            _require(request, self.action)
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self) -> dict[str, Any]:
        return {"user": self.request.user}

    def get_initial(self, obj: Any) -> dict[str, Any]:
        initial: dict[str, Any] = {}
        for key in ("customer", "pipeline"):
            value = self.request.GET.get(key, "")
            if value.isdecimal() and len(value) < 19:
                initial[key] = int(value)
        return initial

    def call_service(self, data: dict[str, Any], version: int | None) -> Any:
        return services.create_opportunity(actor=self.request.user, data=data)

    def get_success_url(self, result: Any) -> str:
        return reverse("pipeline:opportunity_detail", args=[result.pk])

    def get_discard_url(self) -> str:
        return reverse("pipeline:board")


class OpportunityEdit(OpportunityCreate):
    action = "change"

    def get_object(self) -> Opportunity:
        return selectors.opportunity_get(user=self.request.user, pk=self.kwargs["pk"])

    def get_initial(self, obj: Any) -> dict[str, Any]:
        names = [f for f in OpportunityForm.base_fields if f != "version"]
        return {f: getattr(obj, f) for f in names} | {"version": obj.version}

    def call_service(self, data: dict[str, Any], version: int | None) -> Any:
        return services.update_opportunity(
            actor=self.request.user, opportunity=self.object, data=data, version=version
        )

    def get_discard_url(self) -> str:
        return reverse("pipeline:opportunity_detail", args=[self.object.pk])


def _act(request: HttpRequest, opp: Opportunity, call, success: str) -> HttpResponse:
    try:
        call()
    except (ValidationError, ConflictError, PermissionDeniedError) as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, success)
    return redirect("pipeline:opportunity_detail", pk=opp.pk)


@login_required
@require_POST
def win(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, "change")
    opp = _opportunity(request, pk)
    return _act(
        request,
        opp,
        lambda: services.win_opportunity(
            actor=request.user, opportunity=opp, version=request.POST.get("version")
        ),
        _("Won. Congratulations!"),
    )


@login_required
def lose(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, "change")
    opp = _opportunity(request, pk)
    form = LoseForm(request.POST or None, initial={"version": opp.version})
    if request.method == "POST" and form.is_valid():
        try:
            services.lose_opportunity(
                actor=request.user,
                opportunity=opp,
                version=form.cleaned_data["version"],
                lost_reason=form.cleaned_data["lost_reason"],
                lost_note=form.cleaned_data["lost_note"],
            )
        except ValidationError as exc:
            form.add_error(None, _error_text(exc))
        except (ConflictError, PermissionDeniedError) as exc:
            messages.error(request, exc.message)
            return redirect("pipeline:opportunity_detail", pk=opp.pk)
        else:
            messages.success(request, _("Marked as lost."))
            return redirect("pipeline:opportunity_detail", pk=opp.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "pipeline/lose.html", {"opp": opp, "form": form}, status=status)


@login_required
@require_POST
def create_order(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, "change")
    opp = _opportunity(request, pk)
    try:
        order = services.create_order(actor=request.user, opportunity=opp)
    except (ValidationError, ConflictError, PermissionDeniedError) as exc:
        messages.error(request, _error_text(exc))
        return redirect("pipeline:opportunity_detail", pk=opp.pk)
    messages.success(request, _("Order %(number)s created.") % {"number": order.number})
    return redirect("sales:order_detail", pk=order.pk)


# --- administration --------------------------------------------------------------------------


@login_required
def settings_page(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    pipelines = list(Pipeline.objects.prefetch_related("stages").order_by("position", "id"))
    context = {"pipelines": pipelines, "reasons": list(LostReason.objects.all())}
    return render(request, "pipeline/settings.html", context)


class _AdminForm(ServiceFormView):
    template_name = "pipeline/admin_form.html"
    title = ""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            _require_admin(request)
        return super().dispatch(request, *args, **kwargs)

    def get_success_url(self, result: Any) -> str:
        return reverse("pipeline:settings")

    def get_discard_url(self) -> str:
        return reverse("pipeline:settings")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(title=self.title, **kwargs)


class PipelineCreate(_AdminForm):
    form_class = PipelineForm
    title = gettext_lazy("New pipeline")

    def call_service(self, data: dict[str, Any], version: int | None) -> Any:
        return services.create_pipeline(actor=self.request.user, data=data)


class PipelineEdit(_AdminForm):
    form_class = PipelineForm
    title = gettext_lazy("Edit pipeline")

    def get_object(self) -> Pipeline:
        return Pipeline.objects.get(pk=self.kwargs["pk"])

    def get_initial(self, obj: Any) -> dict[str, Any]:
        return {f: getattr(obj, f) for f in ("name", "currency", "position", "active")} | {
            "version": obj.version
        }

    def call_service(self, data: dict[str, Any], version: int | None) -> Any:
        return services.update_pipeline(
            actor=self.request.user, pipeline=self.object, data=data, version=version
        )


class StageCreate(_AdminForm):
    form_class = StageForm
    title = gettext_lazy("New stage")

    def get_initial(self, obj: Any) -> dict[str, Any]:
        return {"position": 0, "probability": 50}

    def call_service(self, data: dict[str, Any], version: int | None) -> Any:
        pipeline = get_object_or_404(Pipeline, pk=self.kwargs["pk"])
        return services.create_stage(actor=self.request.user, pipeline=pipeline, data=data)


class StageEdit(_AdminForm):
    form_class = StageForm
    title = gettext_lazy("Edit stage")

    def get_object(self) -> Stage:
        return Stage.objects.get(pk=self.kwargs["pk"])

    def get_initial(self, obj: Any) -> dict[str, Any]:
        return {f: getattr(obj, f) for f in ("name", "position", "probability", "outcome")} | {
            "version": obj.version
        }

    def call_service(self, data: dict[str, Any], version: int | None) -> Any:
        return services.update_stage(
            actor=self.request.user, stage=self.object, data=data, version=version
        )


@login_required
@require_POST
def stage_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    stage = get_object_or_404(Stage, pk=pk)
    try:
        services.delete_stage(actor=request.user, stage=stage)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("Stage deleted."))
    return redirect("pipeline:settings")


class ReasonCreate(_AdminForm):
    form_class = LostReasonForm
    title = gettext_lazy("New lost reason")

    def call_service(self, data: dict[str, Any], version: int | None) -> Any:
        return services.save_lost_reason(actor=self.request.user, data=data)


class ReasonEdit(_AdminForm):
    form_class = LostReasonForm
    title = gettext_lazy("Edit lost reason")

    def get_object(self) -> LostReason:
        return LostReason.objects.get(pk=self.kwargs["pk"])

    def get_initial(self, obj: Any) -> dict[str, Any]:
        return {f: getattr(obj, f) for f in ("name", "position", "active")} | {
            "version": obj.version
        }

    def call_service(self, data: dict[str, Any], version: int | None) -> Any:
        return services.save_lost_reason(
            actor=self.request.user, data=data, reason=self.object, version=version
        )
