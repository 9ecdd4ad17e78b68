"""Web pages of the analytics app: the churn warning list, the time spent in each lifecycle
stage (and its export), the scoring settings (thresholds, rules, recompute) and applying a
suggested grade. Adapters over selectors and services."""

from __future__ import annotations

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
from guanxi.core import keyset
from guanxi.core.errors import ConflictError, PermissionDeniedError
from guanxi.core.web import start_job_button
from guanxi.customers import services as customer_services
from guanxi.customers.models import Customer
from guanxi.customers.selectors import customer_get
from guanxi.reports import export

from . import scoring, selectors, services
from .forms import BacktestForm, SettingsForm


@login_required
def warnings(request: HttpRequest) -> HttpResponse:
    if not selectors.can_view(request.user):
        raise PermissionDenied
    qs = selectors.warning_list(user=request.user)
    # The customers who spent most first: those whose loss costs the business most.
    web_page = keyset.paginate_request(request, qs, sort="-total_spent")
    if web_page.reset:
        messages.warning(request, _("That page link is out of date; here is the first page."))
    rules = services.rules_from(services.get_settings())
    rows = [
        (customer, customer.score, selectors.warning_reasons(customer.score, rules))
        for customer in web_page.page.rows
    ]
    context = {
        "rows": rows,
        "next_url": web_page.next_url,
        "previous_url": web_page.previous_url,
    }
    return render(request, "analytics/warnings.html", context)


def _stages_table(rows: list[dict]) -> dict:
    """The time in each stage as a report table (the shape the reports' export writes)."""
    return {
        "title": _("Time in each lifecycle stage"),
        "table": {
            "columns": [_("Stage"), _("Stays"), _("Average days"), _("Median days")],
            "rows": [
                [row["label"], row["stays"], row["average_days"], row["median_days"]]
                for row in rows
            ],
        },
    }


@login_required
def lifecycle_report(request: HttpRequest) -> HttpResponse:
    """Average and median days spent in each lifecycle stage, over the customers the user
    may see."""
    if not selectors.can_view(request.user):
        raise PermissionDenied
    context = {
        "stages": selectors.time_in_stages(user=request.user),
        "stages_as_of": selectors.stage_times_as_of(user=request.user),
        "may_export": has_perm(request.user, "analytics", "export"),
    }
    return render(request, "analytics/lifecycle.html", context)


@login_required
def lifecycle_export(request: HttpRequest) -> HttpResponse:
    """The same report as CSV or XLSX, through the reports' export (safe cells)."""
    if not selectors.can_view(request.user) or not has_perm(request.user, "analytics", "export"):
        raise PermissionDenied
    fmt = request.GET.get("format", "csv")
    if fmt not in ("csv", "xlsx"):
        return HttpResponse(
            _("Choose CSV or XLSX."), status=400, content_type="text/plain; charset=utf-8"
        )
    tables = [_stages_table(selectors.time_in_stages(user=request.user))]
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if fmt == "xlsx":
        response = HttpResponse(
            export.to_xlsx(tables),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        response = HttpResponse(export.to_csv(tables), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="lifecycle-stages-{stamp}.{fmt}"'
    return response


@login_required
def settings_page(request: HttpRequest) -> HttpResponse:
    if not is_admin(request.user):
        raise PermissionDenied
    row = services.get_settings()
    form = SettingsForm(request.POST or None, instance=row, initial={"version": row.version})
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.update_settings(
                actor=request.user,
                data=form.service_data(),
                version=form.cleaned_data.get("version"),
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
            status = 400
        except ConflictError as exc:
            form.add_error(None, exc.message)
            status = 409
        else:
            messages.success(request, _("Settings saved. They apply from the next recompute."))
            return redirect("analytics:settings")
    elif request.method == "POST":
        status = 400
    context = {
        "form": form,
        "fit": selectors.latest_fit(user=request.user),
        "backtest": selectors.latest_fit(user=request.user, backtest=True),
        "backtest_form": BacktestForm(),
        "stages": selectors.time_in_stages(user=request.user),
        "stages_as_of": selectors.stage_times_as_of(user=request.user),
    }
    return render(request, "analytics/settings.html", context, status=status)


@login_required
@require_POST
def recompute(request: HttpRequest) -> HttpResponse:
    return start_job_button(
        request,
        lambda: services.start_recompute(actor=request.user),
        started=_("The recompute has started; scores update when it finishes."),
        back=reverse("analytics:settings"),
    )


@login_required
@require_POST
def backtest(request: HttpRequest) -> HttpResponse:
    """Start a backtest: the models fitted as of a past day, their predictions compared with
    what followed. Changes no customer's scores."""
    if not services.may_recompute(request.user):
        raise PermissionDenied
    form = BacktestForm(request.POST)
    back = reverse("analytics:settings")
    if not form.is_valid():
        messages.error(request, " ".join(m for errors in form.errors.values() for m in errors))
        return redirect(back)
    return start_job_button(
        request,
        lambda: services.start_recompute(actor=request.user, as_of=form.cleaned_data["as_of"]),
        started=_("The backtest has started; its result appears below when it finishes."),
        back=back,
    )


@login_required
@require_POST
def rebuild_costs(request: HttpRequest) -> HttpResponse:
    """Every customer's cost total again from the order lines (after product costs changed)."""
    return start_job_button(
        request,
        lambda: services.start_cost_rebuild(actor=request.user),
        started=_("The cost totals are being rebuilt; profits update at the next recompute."),
        back=reverse("analytics:settings"),
    )


@login_required
@require_POST
def apply_grade(request: HttpRequest, pk: int) -> HttpResponse:
    """Apply the grade the value tier suggests, through the customers services."""
    try:
        customer = customer_get(user=request.user, pk=pk)
    except Customer.DoesNotExist:
        raise Http404 from None
    grade = scoring.GRADE_FOR_TIER.get(customer.value_tier)
    if grade is None:
        messages.error(request, _("There is no suggested grade for this customer."))
        return redirect("customers:detail", pk=customer.pk)
    try:
        customer_services.update_customer(
            actor=request.user,
            customer=customer,
            data={"grade": grade},
            version=request.POST.get("version"),
        )
    except PermissionDeniedError:
        raise PermissionDenied from None
    except ConflictError as exc:
        messages.error(request, exc.message)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Grade updated."))
    return redirect("customers:detail", pk=customer.pk)
