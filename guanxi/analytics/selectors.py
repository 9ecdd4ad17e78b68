"""Reads of scores, warnings, fits and lifecycle history for a user: always through the
customers' visibility gate (customers.policies.visible_q)."""

from __future__ import annotations

from decimal import Decimal

from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.accounts.models import DataScope, User
from guanxi.accounts.policies import data_scope, has_perm
from guanxi.customers.models import Customer, LifecycleStage
from guanxi.customers.policies import visible_q
from guanxi.customers.selectors import customer_list

from . import scoring
from .models import CustomerScore, LifecycleChange, ModelFit


def can_view(user: User) -> bool:
    return has_perm(user, "analytics", "view")


def warning_list(*, user: User) -> QuerySet[Customer]:
    """Live customers with a churn warning that the user may see (their own; a manager's
    team's; everyone's for roles that see all)."""
    if not can_view(user):
        return Customer.objects.none()
    return (
        Customer.objects.filter(visible_q(user), deleted_at__isnull=True, score__warning=True)
        .select_related("score", "owner")
        .order_by("id")
    )


def score_get(*, user: User, customer: Customer) -> CustomerScore | None:
    """The score of a customer the caller already fetched through customers.selectors."""
    if not can_view(user):
        return None
    try:
        return customer.score
    except CustomerScore.DoesNotExist:
        return None


def latest_fit(*, user: User, backtest: bool = False) -> ModelFit | None:
    """The latest fit of the full runs (the one today's scores come from), or with `backtest`
    the latest backtest (a run as of a past moment, with its holdout check)."""
    if not can_view(user):
        return None
    return ModelFit.objects.filter(backtest=backtest).order_by("-fitted_at", "-id").first()


def sees_fit_size(user: User) -> bool:
    """Whether the user may learn how many customers a fit covered: a count over the whole
    base, for roles that see every customer only."""
    return can_view(user) and data_scope(user) == DataScope.ALL


def warning_reasons(score: CustomerScore, rules: scoring.Rules) -> list[str]:
    """Why a customer is on the warning list, in the user's language."""
    reasons: list[str] = []
    if score.p_alive is not None and score.p_alive < rules.warn_p_alive:
        reasons.append(
            _("p(alive) %(p).2f < %(t)s") % {"p": score.p_alive, "t": f"{rules.warn_p_alive:g}"}
        )
    days = score.recency_days
    if days is None:
        return reasons
    interval = score.usual_interval_days
    by_interval = (
        interval is not None and interval > 0 and days > rules.warn_interval_factor * interval
    )
    if by_interval:
        reasons.append(
            _("no purchase for %(days)d days, usually every %(usual)d")
            % {"days": days, "usual": round(interval)}
        )
    elif days > rules.warn_days:
        reasons.append(
            _("no purchase for %(days)d days (more than %(limit)d)")
            % {"days": days, "limit": rules.warn_days}
        )
    return reasons


def _stage_label(stage: str) -> str:
    return str(dict(LifecycleStage.choices).get(stage, stage))


STAGE_TIME_CHART = "lifecycle_stays"  # the summary table's cells of time_in_stages
_STAGE_TIME_PARTS = ("n", "avg", "median")


def _summary_run(user: User):
    """The dashboard summary run, for a user who sees every customer (the summary holds the
    figures over all of them), else None."""
    from guanxi.reports.models import SummaryRun

    if data_scope(user) != DataScope.ALL:
        return None
    return SummaryRun.objects.filter(kind="dashboard").first()


def stage_times_as_of(*, user: User):
    """When the figures time_in_stages gives this user were computed: the summary's moment for
    a user who sees every customer, None for figures computed live."""
    run = _summary_run(user) if can_view(user) else None
    return run.refreshed_at if run is not None else None


def time_in_stages(*, user: User, now=None) -> list[dict]:
    """Per lifecycle stage, over the history of the live customers the user may see: how many
    stays it holds, and the average and median days a stay lasted. A stay runs from a change
    into the stage to the next change (the current one up to now); the stage a customer was
    in before their first recorded change counts from the day the customer was created.

    A user who sees every customer reads the figures the summary job computed over all of
    them (stage_time_cells; a scan of the whole history takes seconds at a million customers);
    with `now` given, or without a summary, they are computed live over the user's customers."""
    if not can_view(user):
        return []
    rows: dict[str, tuple] | None = None
    if now is None and _summary_run(user) is not None:
        rows = _stage_times_from_summary()
    if rows is None:
        rows = _stage_times(customer_list(user=user), now or timezone.now())
    return [
        {
            "stage": stage,
            "label": _stage_label(stage),
            "stays": int(rows[stage][0]),
            "average_days": round(float(rows[stage][1] or 0), 1),
            "median_days": round(float(rows[stage][2] or 0), 1),
        }
        for stage in scoring.STAGES
        if stage in rows
    ]


def stage_time_cells(now) -> list[tuple]:
    """(chart, key, key2, team_id, value) rows of time_in_stages over all live customers, for
    the dashboard summary table (reports.services.refresh_dashboard_summary)."""
    rows = _stage_times(Customer.objects.filter(deleted_at__isnull=True), now)
    return [
        (STAGE_TIME_CHART, stage, part, None, Decimal(str(round(float(value or 0), 2))))
        for stage, values in rows.items()
        for part, value in zip(_STAGE_TIME_PARTS, values, strict=True)
    ]


def _stage_times_from_summary() -> dict[str, tuple] | None:
    from guanxi.reports.models import SummaryCell

    cells = SummaryCell.objects.filter(chart=STAGE_TIME_CHART).values_list("key", "key2", "value")
    found: dict[str, dict[str, float]] = {}
    for stage, part, value in cells:
        found.setdefault(stage, {})[part] = float(value)
    if not found:
        return None  # a summary from before these figures were part of it
    return {stage: tuple(v.get(p, 0) for p in _STAGE_TIME_PARTS) for stage, v in found.items()}


def _stage_times(customers: QuerySet[Customer], now) -> dict[str, tuple]:
    """{stage: (stays, average days, median days)} over the history of the given customers.
    One query: the stays by window functions over the history (its index on customer and
    time), the median by ranking them. A customer whose stage never changed has one stay, in
    their stage since they were created."""
    visible_sql, visible_params = customers.values("id").query.sql_with_params()
    if connection.vendor == "postgresql":

        def span(end: str, start: str) -> str:
            return f"EXTRACT(EPOCH FROM ({end} - {start})) / 86400.0"
    else:

        def span(end: str, start: str) -> str:
            return f"julianday({end}) - julianday({start})"

    table = LifecycleChange._meta.db_table
    customer_table = Customer._meta.db_table
    sql = f"""
        WITH history AS (
            SELECT customer_id, from_stage, to_stage, changed_at,
                   LEAD(changed_at) OVER w AS next_at, ROW_NUMBER() OVER w AS n
            FROM {table}
            WHERE customer_id IN ({visible_sql})
            WINDOW w AS (PARTITION BY customer_id ORDER BY changed_at, id)
        ),
        stays AS (
            SELECT to_stage AS stage, {span("COALESCE(next_at, %s)", "changed_at")} AS days
            FROM history
            UNION ALL
            SELECT h.from_stage, {span("h.changed_at", "c.created_at")}
            FROM history h JOIN {customer_table} c ON c.id = h.customer_id
            WHERE h.n = 1 AND h.from_stage <> '' AND c.created_at < h.changed_at
            UNION ALL
            SELECT c.lifecycle_stage, {span("%s", "c.created_at")}
            FROM {customer_table} c
            WHERE c.id IN ({visible_sql}) AND c.lifecycle_stage <> ''
              AND NOT EXISTS (SELECT 1 FROM {table} l WHERE l.customer_id = c.id)
        ),
        ranked AS (
            SELECT stage, days,
                   ROW_NUMBER() OVER (PARTITION BY stage ORDER BY days) AS k,
                   COUNT(*) OVER (PARTITION BY stage) AS total
            FROM stays
        )
        SELECT stage, COUNT(*), AVG(days),
               AVG(CASE WHEN k IN ((total + 1) / 2, (total + 2) / 2) THEN days END)
        FROM ranked
        GROUP BY stage
    """  # noqa: S608 (constants; values are parameters)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*visible_params, now, now, *visible_params])
        return {stage: (n, avg, median) for stage, n, avg, median in cursor.fetchall()}


def stage_history(*, user: User, customer: Customer) -> QuerySet[LifecycleChange]:
    """The stage changes of a customer the caller fetched through customers.selectors (the
    gate has been passed), oldest first."""
    if not can_view(user):
        return LifecycleChange.objects.none()
    return LifecycleChange.objects.filter(customer=customer).order_by("changed_at", "id")


def stage_stays(*, user: User, customer: Customer, now=None) -> list[dict]:
    """The stages a customer (fetched through customers.selectors) went through, oldest
    first: each with its stage and label, when it began and ended (None: the current one)
    and the days spent in it (the current one up to now). The stage before the first
    recorded change began when the customer was created; a customer whose stage never changed
    has been in it since then."""
    now = now or timezone.now()
    if not can_view(user):
        return []
    changes = list(stage_history(user=user, customer=customer))
    stays = []
    if changes:
        first = changes[0]
        if first.from_stage and customer.created_at and customer.created_at < first.changed_at:
            stays.append((first.from_stage, customer.created_at))
        stays += [(change.to_stage, change.changed_at) for change in changes]
    elif customer.lifecycle_stage and customer.created_at:
        # Never changed: in the stage they were created in, since then.
        stays.append((customer.lifecycle_stage, customer.created_at))
    out = []
    for i, (stage, began) in enumerate(stays):
        ended = stays[i + 1][1] if i + 1 < len(stays) else None
        out.append(
            {
                "stage": stage,
                "label": _stage_label(stage),
                "began": began,
                "ended": ended,
                "days": round(max(((ended or now) - began).total_seconds(), 0) / 86400, 1),
            }
        )
    return out
