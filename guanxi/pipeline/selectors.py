"""Reading pipelines and opportunities: each read takes the acting user and returns only what
they may see (opportunities through the customers gate, plus their own)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Avg, Count, DecimalField, ExpressionWrapper, F, QuerySet, Sum

from guanxi.accounts.models import User
from guanxi.accounts.policies import has_perm
from guanxi.accounts.selectors import team_and_below_ids
from guanxi.core import keyset

from .models import LostReason, Opportunity, Outcome, Pipeline, Stage, StageChange
from .policies import opportunity_visible_q

COLUMN_SIZE = 20


def _pk(value: Any) -> int:
    try:
        pk = int(value)
    except (TypeError, ValueError):
        raise Opportunity.DoesNotExist from None
    if not 0 < pk < 2**63:
        raise Opportunity.DoesNotExist
    return pk


def pipeline_list(*, user: User, active_only: bool = True) -> QuerySet[Pipeline]:
    if not user.is_authenticated or not has_perm(user, "opportunities", "view"):
        return Pipeline.objects.none()
    qs = Pipeline.objects.all()
    return qs.filter(active=True) if active_only else qs


def stage_list(*, pipeline: Pipeline) -> list[Stage]:
    return list(pipeline.stages.order_by("position", "id"))


def lost_reasons() -> QuerySet[LostReason]:
    return LostReason.objects.filter(active=True)


def opportunity_list(*, user: User) -> QuerySet[Opportunity]:
    if not has_perm(user, "opportunities", "view"):
        return Opportunity.objects.none()
    return Opportunity.objects.filter(opportunity_visible_q(user))


def opportunity_get(*, user: User, pk: Any) -> Opportunity:
    """One opportunity the user may see; Opportunity.DoesNotExist otherwise (a 404)."""
    return (
        opportunity_list(user=user)
        .select_related("customer", "owner", "stage", "pipeline", "lost_reason", "order")
        .get(pk=_pk(pk))
    )


@dataclass
class BoardFilters:
    owner: int | None = None
    team: Any = None  # a Team or its id: owners in it or in a team below it
    close_from: dt.date | None = None
    close_to: dt.date | None = None

    def apply(self, qs: QuerySet[Opportunity]) -> QuerySet[Opportunity]:
        if self.owner:
            qs = qs.filter(owner_id=self.owner)
        if self.team:
            qs = qs.filter(owner__team_id__in=team_and_below_ids(self.team))
        if self.close_from:
            qs = qs.filter(expected_close__gte=self.close_from)
        if self.close_to:
            qs = qs.filter(expected_close__lte=self.close_to)
        return qs


@dataclass
class Column:
    stage: Stage
    count: int = 0
    totals: dict[str, Decimal] = field(default_factory=dict)  # amount per currency
    weighted: dict[str, Decimal] = field(default_factory=dict)
    cards: list[Opportunity] = field(default_factory=list)
    next_cursor: str | None = None


WEIGHTED = ExpressionWrapper(
    F("amount") * F("probability") / 100, output_field=DecimalField(max_digits=20, decimal_places=4)
)


def column_cards(
    *, user: User, stage: Stage, filters: BoardFilters, cursor: str | None = None
) -> keyset.Page:
    """One page of a column's cards, biggest amount first (keyset: never an offset)."""
    qs = filters.apply(opportunity_list(user=user).filter(stage=stage)).select_related(
        "customer", "owner"
    )
    return keyset.paginate(qs, sort="-amount", cursor=cursor, per_page=COLUMN_SIZE)


def board(*, user: User, pipeline: Pipeline, filters: BoardFilters) -> list[Column]:
    """The kanban board: a column per stage with its card count and amounts (one grouped query)
    and its first COLUMN_SIZE cards (one query per column)."""
    stages = stage_list(pipeline=pipeline)
    columns = {s.pk: Column(stage=s) for s in stages}
    qs = filters.apply(opportunity_list(user=user).filter(pipeline=pipeline))
    sums = (
        qs.order_by()
        .values("stage_id", "currency")
        .annotate(n=Count("id"), total=Sum("amount"), weighted=Sum(WEIGHTED))
    )
    for row in sums:
        column = columns.get(row["stage_id"])
        if column is None:
            continue
        column.count += row["n"]
        column.totals[row["currency"]] = row["total"] or Decimal("0")
        column.weighted[row["currency"]] = Decimal(row["weighted"] or 0).quantize(Decimal("0.01"))
    for column in columns.values():
        if column.count:
            page = column_cards(user=user, stage=column.stage, filters=filters)
            column.cards, column.next_cursor = page.rows, page.next_cursor
    return list(columns.values())


def stage_history(*, opportunity: Opportunity) -> list[StageChange]:
    """The stays of an opportunity (already checked visible), oldest first, with durations."""
    return list(opportunity.stays.select_related("stage", "actor").order_by("entered_at", "id"))


def average_time_in_stage(*, user: User, pipeline: Pipeline) -> list[dict[str, Any]]:
    """Per stage of the pipeline: the average time finished stays lasted, over the opportunities
    the user may see. [{"stage": Stage, "average": timedelta | None, "stays": n}]"""
    stays = (
        StageChange.objects.filter(
            stage__pipeline=pipeline, left_at__isnull=False, seconds__isnull=False
        )
        .filter(opportunity_visible_q(user, "opportunity__"))
        .order_by()
        .values("stage_id")
        .annotate(avg=Avg("seconds"), n=Count("id"))
    )
    if not has_perm(user, "opportunities", "view"):
        stays = stays.none()
    by_stage = {row["stage_id"]: row for row in stays}
    out = []
    for stage in stage_list(pipeline=pipeline):
        row = by_stage.get(stage.pk)
        average = (
            dt.timedelta(seconds=round(row["avg"])) if row and row["avg"] is not None else None
        )
        out.append({"stage": stage, "average": average, "stays": row["n"] if row else 0})
    return out


def funnel(
    user: User,
    *,
    pipeline: Pipeline | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    team: Any = None,
) -> list[dict[str, Any]]:
    """For the dashboard: count and amount of the visible opportunities per stage, in stage
    order. Opportunities created between date_from and date_to (inclusive, dates in the
    current time zone), of owners in `team` (a Team or its id) or a team below it when given;
    all active pipelines when `pipeline` is None.

    [{"pipeline_id", "pipeline", "stage_id", "stage", "outcome", "position", "count",
      "amount": {currency: Decimal}, "weighted": {currency: Decimal}}]
    """
    qs = opportunity_list(user=user)
    stages = Stage.objects.select_related("pipeline").order_by(
        "pipeline__position", "pipeline_id", "position", "id"
    )
    if pipeline is not None:
        qs = qs.filter(pipeline=pipeline)
        stages = stages.filter(pipeline=pipeline)
    else:
        stages = stages.filter(pipeline__active=True)
    if date_from:
        qs = qs.filter(created_at__date__gte=date_from)
    if date_to:
        qs = qs.filter(created_at__date__lte=date_to)
    if team:
        qs = qs.filter(owner__team_id__in=team_and_below_ids(team))
    rows = (
        qs.order_by()
        .values("stage_id", "currency")
        .annotate(n=Count("id"), total=Sum("amount"), weighted=Sum(WEIGHTED))
    )
    by_stage: dict[int, dict[str, Any]] = {}
    for row in rows:
        entry = by_stage.setdefault(row["stage_id"], {"count": 0, "amount": {}, "weighted": {}})
        entry["count"] += row["n"]
        entry["amount"][row["currency"]] = row["total"] or Decimal("0")
        entry["weighted"][row["currency"]] = Decimal(row["weighted"] or 0).quantize(Decimal("0.01"))
    out = []
    for stage in stages:
        entry = by_stage.get(stage.pk, {"count": 0, "amount": {}, "weighted": {}})
        out.append(
            {
                "pipeline_id": stage.pipeline_id,
                "pipeline": stage.pipeline.name,
                "stage_id": stage.pk,
                "stage": stage.name,
                "outcome": stage.outcome,
                "position": stage.position,
                **entry,
            }
        )
    return out


def customer_opportunities(*, user: User, customer, limit: int = 5) -> list[Opportunity]:
    """The open opportunities of one customer, for its 360° page."""
    return list(
        opportunity_list(user=user)
        .filter(customer_id=customer.pk, status=Outcome.OPEN)
        .select_related("stage", "owner")
        .order_by("-amount", "id")[:limit]
    )


def customer_card_context(*, user: User, customer) -> dict[str, Any]:
    """What the customer's 360° page needs for its opportunities card (one query)."""
    sees = has_perm(user, "opportunities", "view")
    return {
        "sees_opportunities": sees,
        "open_opportunities": customer_opportunities(user=user, customer=customer) if sees else [],
        "may_create_opportunities": has_perm(user, "opportunities", "create"),
    }
