"""Reads of scores, warnings, fits and lifecycle history for a user: always through the
customers' visibility gate (customers.policies.visible_q)."""

from __future__ import annotations

from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.accounts.models import DataScope, User
from guanxi.accounts.policies import data_scope, has_perm
from guanxi.customers.models import Customer
from guanxi.customers.policies import visible_q

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


def latest_fit(*, user: User) -> ModelFit | None:
    if not can_view(user):
        return None
    return ModelFit.objects.order_by("-fitted_at", "-id").first()


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


def time_in_stages(*, user: User, now=None) -> list[dict]:
    """Per lifecycle stage: how many stays the visible customers' history holds and the
    average days a stay lasted (the current stay counts up to now)."""
    if not can_view(user):
        return []
    now = now or timezone.now()
    visible = Customer.objects.filter(visible_q(user)).values("id")
    visible_sql, visible_params = visible.query.sql_with_params()
    if connection.vendor == "postgresql":
        span = "EXTRACT(EPOCH FROM (COALESCE(next_at, %s) - changed_at)) / 86400.0"
    else:
        span = "julianday(COALESCE(next_at, %s)) - julianday(changed_at)"
    table = LifecycleChange._meta.db_table
    sql = f"""
        SELECT to_stage, COUNT(*), AVG({span})
        FROM (
            SELECT to_stage, changed_at,
                   LEAD(changed_at) OVER (PARTITION BY customer_id ORDER BY changed_at, id)
                       AS next_at
            FROM {table}
            WHERE customer_id IN ({visible_sql})
        ) stays
        GROUP BY to_stage
    """  # noqa: S608 (constants; values are parameters)
    with connection.cursor() as cursor:
        cursor.execute(sql, [now, *visible_params])
        rows = {stage: (n, avg) for stage, n, avg in cursor.fetchall()}
    labels = dict(Customer._meta.get_field("lifecycle_stage").choices)
    return [
        {
            "stage": stage,
            "label": labels.get(stage, stage),
            "stays": rows[stage][0],
            "average_days": float(rows[stage][1] or 0),
        }
        for stage in scoring.STAGES
        if stage in rows
    ]


def stage_history(*, user: User, customer: Customer) -> QuerySet[LifecycleChange]:
    """A visible customer's stage changes, oldest first."""
    if not can_view(user):
        return LifecycleChange.objects.none()
    return LifecycleChange.objects.filter(customer=customer).order_by("changed_at", "id")
