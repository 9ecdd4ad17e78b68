"""Reading surveys, answers, scores and improvement actions: each read takes the acting user;
answers pass the customers gate."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Avg, Count, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.accounts.models import User
from guanxi.accounts.policies import has_perm
from guanxi.accounts.selectors import team_and_below_ids
from guanxi.customers.models import Customer, Grade, ValueTier

from .models import ActionStatus, ImprovementAction, Response, Survey, SurveyLink, SurveyStatus
from .policies import response_visible_q
from .services import DETRACTOR, PROMOTER, SATISFIED_CSAT, link_url

GROUPS = {
    "month": None,
    "team": "customer__team__name",
    "grade": "customer__grade",
    "value_tier": "customer__value_tier",
    "region": "customer__region",
    "industry": "customer__industry",
}


def _pk(value: Any, model) -> int:
    try:
        pk = int(value)
    except (TypeError, ValueError):
        raise model.DoesNotExist from None
    if not 0 < pk < 2**63:
        raise model.DoesNotExist
    return pk


def survey_list(*, user: User) -> QuerySet[Survey]:
    if not has_perm(user, "surveys", "view"):
        return Survey.objects.none()
    return Survey.objects.all()


def survey_get(*, user: User, pk: Any) -> Survey:
    return survey_list(user=user).get(pk=_pk(pk, Survey))


def response_list(*, user: User) -> QuerySet[Response]:
    if not has_perm(user, "surveys", "view"):
        return Response.objects.none()
    return Response.objects.filter(response_visible_q(user))


def link_list(*, user: User, survey: Survey) -> QuerySet[SurveyLink]:
    """The links of a survey whose customer the user may see."""
    if not has_perm(user, "surveys", "view"):
        return SurveyLink.objects.none()
    return SurveyLink.objects.filter(response_visible_q(user), survey=survey)


def _metrics(row: dict[str, Any]) -> dict[str, Any]:
    """CSAT average and % satisfied (4–5); NPS = % promoters (9–10) − % detractors (0–6)."""
    csat_n, nps_n = row["csat_n"], row["nps_n"]
    out = {
        "responses": row["n"],
        "csat_n": csat_n,
        "csat_avg": round(float(row["csat_avg"]), 2) if csat_n else None,
        "csat_satisfied_pct": round(100 * row["satisfied"] / csat_n, 1) if csat_n else None,
        "nps_n": nps_n,
        "promoters_pct": round(100 * row["promoters"] / nps_n, 1) if nps_n else None,
        "detractors_pct": round(100 * row["detractors"] / nps_n, 1) if nps_n else None,
        "nps": round(100 * (row["promoters"] - row["detractors"]) / nps_n, 1) if nps_n else None,
    }
    return out


AGGREGATES = {
    "n": Count("id"),
    "csat_n": Count("id", filter=Q(csat__isnull=False)),
    "csat_avg": Avg("csat"),
    "satisfied": Count("id", filter=Q(csat__gte=SATISFIED_CSAT)),
    "nps_n": Count("id", filter=Q(nps__isnull=False)),
    "promoters": Count("id", filter=Q(nps__gte=PROMOTER)),
    "detractors": Count("id", filter=Q(nps__lte=DETRACTOR)),
}


def _bounds(date_from: dt.date | None, date_to: dt.date | None) -> Q:
    zone = timezone.get_current_timezone()
    q = Q()
    if date_from:
        q &= Q(submitted_at__gte=dt.datetime.combine(date_from, dt.time.min, tzinfo=zone))
    if date_to:
        end = date_to + dt.timedelta(days=1)
        q &= Q(submitted_at__lt=dt.datetime.combine(end, dt.time.min, tzinfo=zone))
    return q


def _labels(group_by: str) -> dict[str, str]:
    if group_by == "grade":
        return {k: str(v) for k, v in Grade.choices}
    if group_by == "value_tier":
        return {k: str(v) for k, v in ValueTier.choices}
    return {}


def scores(
    user: User,
    *,
    group_by: str = "month",
    survey: Survey | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    team: Any = None,
) -> list[dict[str, Any]]:
    """CSAT and NPS of the answers the user may see, grouped by month (of the answer, in the
    current time zone), by the customer's team or by a segment of customers (grade, value tier,
    region, industry); with `team` (a Team or its id), of the customers of that team and of the
    teams below it. One grouped query. Rows: {"key", "label", "responses", "csat_n",
    "csat_avg", "csat_satisfied_pct", "nps_n", "promoters_pct", "detractors_pct", "nps"}."""
    if group_by not in GROUPS:
        raise ValueError(group_by)
    qs = response_list(user=user).filter(_bounds(date_from, date_to))
    if survey is not None:
        qs = qs.filter(survey=survey)
    if team:
        qs = qs.filter(customer__team_id__in=team_and_below_ids(team))
    if group_by == "month":
        qs = qs.annotate(key=TruncMonth("submitted_at", tzinfo=timezone.get_current_timezone()))
        field = "key"
    else:
        field = GROUPS[group_by]
    # Teams are grouped by id (two teams may share a name) and shown by name.
    keys = [field, "customer__team_id"] if group_by == "team" else [field]
    rows = qs.order_by().values(*keys).annotate(**AGGREGATES).order_by(*keys)
    labels = _labels(group_by)
    out = []
    for row in rows:
        key = row[field]
        if group_by == "month":
            key = key.date().replace(day=1) if isinstance(key, dt.datetime) else key
            label = key.strftime("%Y-%m") if key else ""
        else:
            label = labels.get(key, key) or _("(none)")
        out.append({"key": key, "label": str(label), **_metrics(row)})
    return out


def totals(user: User, **filters: Any) -> dict[str, Any]:
    """The same figures over all the answers the filters select."""
    qs = response_list(user=user).filter(_bounds(filters.get("date_from"), filters.get("date_to")))
    if filters.get("survey") is not None:
        qs = qs.filter(survey=filters["survey"])
    if filters.get("team"):
        qs = qs.filter(customer__team_id__in=team_and_below_ids(filters["team"]))
    return _metrics(qs.aggregate(**AGGREGATES))


def satisfaction_trend(
    user: User, *, date_from: dt.date, date_to: dt.date, team: Any = None
) -> list[dict[str, Any]]:
    """For the dashboard: CSAT and NPS per month between two dates (inclusive), over the answers
    the user may see; `team` is a Team or its id (the customer's team, or a team below it). See
    `scores` for the rows."""
    return scores(user, group_by="month", date_from=date_from, date_to=date_to, team=team)


def surveys_for_customer(customer: Customer) -> list[dict[str, Any]]:
    """For the customer portal: the open survey links of one customer (active survey, link not
    expired), newest first: [{"survey", "link", "url", "answered"}]. The portal has already
    identified the customer; nothing of another customer is reachable from here."""
    now = timezone.now()
    links = (
        SurveyLink.objects.filter(
            customer=customer, expires_at__gt=now, survey__status=SurveyStatus.ACTIVE
        )
        .filter(Q(survey__closes_at__isnull=True) | Q(survey__closes_at__gt=now))
        .select_related("survey")
        .annotate(answered=Count("response"))
        .order_by("-created_at", "-id")
    )
    return [
        {
            "survey": link.survey,
            "link": link,
            "url": link_url(link),
            "answered": bool(link.answered),
        }
        for link in links
    ]


def action_list(*, user: User) -> QuerySet[ImprovementAction]:
    if not has_perm(user, "surveys", "view"):
        return ImprovementAction.objects.none()
    return ImprovementAction.objects.all()


def action_get(*, user: User, pk: Any) -> ImprovementAction:
    return (
        action_list(user=user).select_related("owner", "survey").get(pk=_pk(pk, ImprovementAction))
    )


def overdue_actions(*, user: User, today: dt.date | None = None) -> QuerySet[ImprovementAction]:
    today = today or timezone.localdate()
    return action_list(user=user).filter(
        status__in=(ActionStatus.OPEN, ActionStatus.IN_PROGRESS), due_date__lt=today
    )
