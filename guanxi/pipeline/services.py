"""Writes to pipelines and opportunities: validated, permission-checked, audited, locked."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from guanxi.accounts.models import User
from guanxi.accounts.policies import has_perm, require_admin
from guanxi.audit import services as audit
from guanxi.audit.models import AuditAction
from guanxi.core.errors import PermissionDeniedError
from guanxi.core.validation import FIRST_DATE, LAST_DATE, date_range_message
from guanxi.core.versioning import check_version
from guanxi.customers.policies import assignable_owner_q, can_see
from guanxi.sales import services as sales
from guanxi.sales.models import Product

from .models import LostReason, Opportunity, OpportunityLine, Outcome, Pipeline, Stage, StageChange
from .policies import may_change

CENT = Decimal("0.01")

PIPELINE_FIELDS = ("name", "currency", "position", "active")
STAGE_FIELDS = ("name", "position", "probability", "outcome")
REASON_FIELDS = ("name", "position", "active")
OPPORTUNITY_FIELDS = (
    "name",
    "customer",
    "owner",
    "pipeline",
    "stage",
    "amount",
    "currency",
    "probability",
    "expected_close",
    "notes",
)
AUDITED = (*OPPORTUNITY_FIELDS, "status", "lost_reason", "lost_note", "closed_at", "order")

DEFAULT_STAGES = (
    # name, probability, outcome — names are translated when the pipeline is created.
    (gettext_noop("Qualification"), 10, Outcome.OPEN),
    (gettext_noop("Needs analysis"), 30, Outcome.OPEN),
    (gettext_noop("Proposal"), 60, Outcome.OPEN),
    (gettext_noop("Negotiation"), 80, Outcome.OPEN),
    (gettext_noop("Won"), 100, Outcome.WON),
    (gettext_noop("Lost"), 0, Outcome.LOST),
)

DEFAULT_REASONS = (
    gettext_noop("Price"),
    gettext_noop("Competitor"),
    gettext_noop("No budget"),
    gettext_noop("No decision"),
    gettext_noop("Timing"),
    gettext_noop("Other"),
)


def _unknown(data: dict[str, Any], allowed) -> None:
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValidationError({f: _("There is no such field.") for f in sorted(unknown)})


def _required_text(obj, field: str) -> None:
    value = " ".join((getattr(obj, field) or "").split())
    setattr(obj, field, value)
    if not value:
        raise ValidationError({field: _("This field is required.")})


# --- administration: pipelines, stages, lost reasons -----------------------------------------


def _check_stages(pipeline: Pipeline, stages: list[Stage] | None = None) -> None:
    """A pipeline needs at least one open stage, one won stage and one lost stage."""
    stages = stages if stages is not None else list(pipeline.stages.all())
    outcomes = [s.outcome for s in stages]
    if Outcome.OPEN not in outcomes:
        raise ValidationError({"outcome": _("A pipeline needs at least one open stage.")})
    for outcome, message in (
        (Outcome.WON, _("A pipeline needs exactly one won stage.")),
        (Outcome.LOST, _("A pipeline needs exactly one lost stage.")),
    ):
        if outcomes.count(outcome) != 1:
            raise ValidationError({"outcome": message})


@transaction.atomic
def create_pipeline(*, actor: User, data: dict[str, Any]) -> Pipeline:
    """A new pipeline with the usual stages, which the admin then renames and reorders."""
    require_admin(actor)
    _unknown(data, PIPELINE_FIELDS)
    pipeline = Pipeline(**data)
    _prepare_pipeline(pipeline)
    pipeline.save()
    stages = [
        Stage(pipeline=pipeline, name=_(name), position=i * 10, probability=p, outcome=o)
        for i, (name, p, o) in enumerate(DEFAULT_STAGES, start=1)
    ]
    Stage.objects.bulk_create(stages)
    if not LostReason.objects.exists():
        LostReason.objects.bulk_create(
            LostReason(name=_(name), position=i) for i, name in enumerate(DEFAULT_REASONS)
        )
    audit.record_create(actor=actor, instance=pipeline, fields=PIPELINE_FIELDS)
    return pipeline


def _prepare_pipeline(pipeline: Pipeline) -> None:
    _required_text(pipeline, "name")
    pipeline.currency = sales.clean_currency(pipeline.currency)
    pipeline.full_clean(validate_unique=False)
    if Pipeline.objects.filter(name=pipeline.name).exclude(pk=pipeline.pk).exists():
        raise ValidationError({"name": _("Another pipeline already has this name.")})


@transaction.atomic
def update_pipeline(
    *, actor: User, pipeline: Pipeline, data: dict[str, Any], version: int | None
) -> Pipeline:
    require_admin(actor)
    _unknown(data, PIPELINE_FIELDS)
    locked = Pipeline.objects.select_for_update().get(pk=pipeline.pk)
    check_version(locked, version)
    before = audit.snapshot(locked, PIPELINE_FIELDS)
    for field, value in data.items():
        setattr(locked, field, value)
    _prepare_pipeline(locked)
    changes = audit.diff(before, audit.snapshot(locked, PIPELINE_FIELDS))
    if not changes:
        return locked
    locked.version = F("version") + 1
    locked.save()
    locked.refresh_from_db()
    audit.record(actor=actor, action=AuditAction.UPDATE, instance=locked, changes=changes)
    return locked


@transaction.atomic
def delete_pipeline(*, actor: User, pipeline: Pipeline) -> None:
    require_admin(actor)
    if Opportunity.objects.filter(pipeline=pipeline).exists():
        raise ValidationError(
            _("This pipeline has opportunities; mark it inactive instead of deleting it.")
        )
    audit.record(actor=actor, action=AuditAction.DELETE, instance=pipeline)
    pipeline.delete()


def _prepare_stage(stage: Stage) -> None:
    _required_text(stage, "name")
    stage.full_clean(exclude=["pipeline"], validate_unique=False)
    if (
        Stage.objects.filter(pipeline_id=stage.pipeline_id, name=stage.name)
        .exclude(pk=stage.pk)
        .exists()
    ):
        raise ValidationError({"name": _("This pipeline already has a stage with this name.")})


@transaction.atomic
def create_stage(*, actor: User, pipeline: Pipeline, data: dict[str, Any]) -> Stage:
    require_admin(actor)
    _unknown(data, STAGE_FIELDS)
    Pipeline.objects.select_for_update().get(pk=pipeline.pk)
    stage = Stage(pipeline=pipeline, **data)
    if "position" not in data:
        last = Stage.objects.filter(pipeline=pipeline, outcome=Outcome.OPEN).aggregate(
            m=Max("position")
        )["m"]
        stage.position = (last or 0) + 5
    _prepare_stage(stage)
    _check_stages(pipeline, [*pipeline.stages.all(), stage])
    stage.save()
    audit.record_create(actor=actor, instance=stage, fields=STAGE_FIELDS)
    return stage


@transaction.atomic
def update_stage(*, actor: User, stage: Stage, data: dict[str, Any], version: int | None) -> Stage:
    require_admin(actor)
    _unknown(data, STAGE_FIELDS)
    Pipeline.objects.select_for_update().get(pk=stage.pipeline_id)
    locked = Stage.objects.select_for_update().get(pk=stage.pk)
    check_version(locked, version)
    before = audit.snapshot(locked, STAGE_FIELDS)
    for field, value in data.items():
        setattr(locked, field, value)
    _prepare_stage(locked)
    if "outcome" in data and data["outcome"] != before["outcome"]:
        if locked.opportunities.exists():
            raise ValidationError(
                {"outcome": _("Opportunities stand in this stage; its outcome cannot change.")}
            )
        others = [
            s for s in Stage.objects.filter(pipeline_id=locked.pipeline_id) if s.pk != locked.pk
        ]
        _check_stages(locked.pipeline, [*others, locked])
    changes = audit.diff(before, audit.snapshot(locked, STAGE_FIELDS))
    if not changes:
        return locked
    locked.version = F("version") + 1
    locked.save()
    locked.refresh_from_db()
    audit.record(actor=actor, action=AuditAction.UPDATE, instance=locked, changes=changes)
    return locked


@transaction.atomic
def delete_stage(*, actor: User, stage: Stage) -> None:
    require_admin(actor)
    Pipeline.objects.select_for_update().get(pk=stage.pipeline_id)
    if stage.opportunities.exists():
        raise ValidationError(_("Opportunities stand in this stage; move them before deleting it."))
    others = list(Stage.objects.filter(pipeline_id=stage.pipeline_id).exclude(pk=stage.pk))
    _check_stages(stage.pipeline, others)
    audit.record(actor=actor, action=AuditAction.DELETE, instance=stage)
    stage.delete()


@transaction.atomic
def save_lost_reason(
    *, actor: User, data: dict[str, Any], reason: LostReason | None = None, version=None
) -> LostReason:
    require_admin(actor)
    _unknown(data, REASON_FIELDS)
    if reason is not None:
        reason = LostReason.objects.select_for_update().get(pk=reason.pk)
        check_version(reason, version)
        before = audit.snapshot(reason, REASON_FIELDS)
    else:
        reason, before = LostReason(), None
    for field, value in data.items():
        setattr(reason, field, value)
    _required_text(reason, "name")
    reason.full_clean(validate_unique=False)
    if LostReason.objects.filter(name=reason.name).exclude(pk=reason.pk).exists():
        raise ValidationError({"name": _("This reason already exists.")})
    if before is None:
        reason.save()
        audit.record_create(actor=actor, instance=reason, fields=REASON_FIELDS)
        return reason
    changes = audit.diff(before, audit.snapshot(reason, REASON_FIELDS))
    if changes:
        reason.version = F("version") + 1
        reason.save()
        reason.refresh_from_db()
        audit.record(actor=actor, action=AuditAction.UPDATE, instance=reason, changes=changes)
    return reason


# --- opportunities ---------------------------------------------------------------------------


def _clean_lines(items: Any) -> list[OpportunityLine]:
    """An opportunity's products: the same line rules as an order's (guanxi.sales)."""
    sales.check_line_list(items)
    errors: dict[str, str] = {}
    lines = []
    for i, item in enumerate(items):
        parsed = sales.parse_line(item, i, errors)
        if parsed is None:
            continue
        product, quantity, unit_price = parsed
        line = OpportunityLine(product=product, quantity=quantity, unit_price=unit_price)
        if sales.full_clean_line(line, i, errors, ["opportunity"]):
            lines.append(line)
    if errors:
        raise ValidationError(errors)
    return lines


def _check_owner(actor: User, opp: Opportunity, previous: int | None) -> None:
    if opp.owner_id is None:
        raise ValidationError({"owner": _("This field is required.")})
    if (
        opp.owner_id != previous
        and not User.objects.filter(assignable_owner_q(actor), pk=opp.owner_id).exists()
    ):
        raise ValidationError({"owner": _("You cannot give opportunities to this user.")})


def _prepare(actor: User, opp: Opportunity, data: dict[str, Any], previous_owner=None) -> None:
    _unknown(data, (*OPPORTUNITY_FIELDS, "lines"))
    old_customer = opp.customer_id
    for field in OPPORTUNITY_FIELDS:
        if field in data:
            setattr(opp, field, data[field])
    _required_text(opp, "name")
    opp.notes = (opp.notes or "").strip()
    if opp.customer_id is None:
        raise ValidationError({"customer": _("This field is required.")})
    if opp.customer_id != old_customer:
        if opp.customer.deleted_at is not None:
            raise ValidationError({"customer": _("This customer is in the recycle bin.")})
        if not can_see(actor, opp.customer):
            raise ValidationError({"customer": _("There is no such customer.")})
    if opp.pipeline_id is None:
        raise ValidationError({"pipeline": _("This field is required.")})
    if opp.stage_id is None:
        opp.stage = opp.pipeline.stages.filter(outcome=Outcome.OPEN).first()
    elif opp.stage.pipeline_id != opp.pipeline_id:
        raise ValidationError({"stage": _("This stage belongs to another pipeline.")})
    if opp.probability is None and opp.stage is not None:
        opp.probability = opp.stage.probability
    if not opp.currency:
        opp.currency = opp.pipeline.currency
    opp.currency = sales.clean_currency(opp.currency)
    if opp.expected_close and not FIRST_DATE <= opp.expected_close <= LAST_DATE:
        raise ValidationError({"expected_close": date_range_message()})
    _check_owner(actor, opp, previous_owner)
    opp.full_clean(
        exclude=[
            "customer",
            "owner",
            "pipeline",
            "stage",
            "created_by",
            "order",
            "lost_reason",
            "stage_entered_at",
        ],
        validate_unique=False,
    )


def _enter(opp: Opportunity, stage: Stage, actor: User, now) -> None:
    """Close the current stay and open one in `stage`; the status follows the stage."""
    if opp.pk:
        open_stays = StageChange.objects.filter(opportunity=opp, left_at__isnull=True)
        for stay in open_stays:
            stay.left_at = now
            stay.seconds = max(0, int((now - stay.entered_at).total_seconds()))
            stay.save(update_fields=["left_at", "seconds"])
    opp.stage = stage
    opp.stage_entered_at = now
    opp.status = stage.outcome
    opp.closed_at = now if stage.outcome != Outcome.OPEN else None
    if stage.outcome != Outcome.LOST:
        opp.lost_reason = None
        opp.lost_note = ""


def _open_stay(opp: Opportunity, actor: User, now) -> None:
    StageChange.objects.create(
        opportunity=opp, stage_id=opp.stage_id, entered_at=now, actor=actor if actor.pk else None
    )


@transaction.atomic
def create_opportunity(*, actor: User, data: dict[str, Any]) -> Opportunity:
    if not has_perm(actor, "opportunities", "create"):
        raise PermissionDeniedError()
    data = dict(data)
    data.setdefault("owner", actor)
    lines = _clean_lines(data["lines"]) if "lines" in data else []
    opp = Opportunity(created_by=actor if actor.pk else None)
    _prepare(actor, opp, data)
    if opp.stage is None:
        raise ValidationError({"stage": _("This pipeline has no open stage.")})
    if lines:
        _amount_from_lines(opp, lines, data)
    stage = opp.stage
    now = timezone.now()
    _enter(opp, stage, actor, now)
    if opp.status == Outcome.LOST:
        raise ValidationError({"stage": _("Record a lost opportunity with the Lose action.")})
    if "probability" not in data or data["probability"] is None:
        opp.probability = stage.probability
    opp.save()
    for line in lines:
        line.opportunity = opp
    OpportunityLine.objects.bulk_create(lines)
    _open_stay(opp, actor, now)
    audit.record_create(actor=actor, instance=opp, fields=AUDITED, customer_id=opp.customer_id)
    return opp


def _amount_from_lines(opp: Opportunity, lines: list[OpportunityLine], data) -> None:
    if data.get("amount") in (None, ""):
        opp.amount = sum((line.amount for line in lines), Decimal("0")).quantize(CENT)


def _lock(opp: Opportunity) -> Opportunity:
    return (
        Opportunity.objects.select_for_update(of=("self",))
        .select_related("customer", "stage", "pipeline")
        .get(pk=opp.pk)
    )


def _save_and_audit(actor: User, locked: Opportunity, before: dict) -> Opportunity:
    changes = audit.diff(before, audit.snapshot(locked, AUDITED))
    if not changes:
        return locked
    locked.version = F("version") + 1
    locked.save()
    locked.refresh_from_db()
    audit.record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=locked,
        changes=changes,
        customer_id=locked.customer_id,
    )
    return locked


@transaction.atomic
def update_opportunity(
    *, actor: User, opportunity: Opportunity, data: dict[str, Any], version: int | None
) -> Opportunity:
    """Edit the fields; a new stage here is a move (history kept); won/lost go through
    `win_opportunity`/`lose_opportunity` or `move_opportunity`."""
    locked = _lock(opportunity)
    check_version(locked, version)
    if not may_change(actor, locked):
        raise PermissionDeniedError()
    before = audit.snapshot(locked, AUDITED)
    old_stage = locked.stage
    lines = _clean_lines(data["lines"]) if "lines" in data else None
    _prepare(actor, locked, data, previous_owner=locked.owner_id)
    if locked.pipeline_id != old_stage.pipeline_id and "stage" not in data:
        locked.stage = locked.pipeline.stages.filter(outcome=Outcome.OPEN).first()
    if locked.stage is None:
        raise ValidationError({"pipeline": _("This pipeline has no open stage.")})
    if locked.stage_id != old_stage.pk:
        if locked.stage.outcome == Outcome.LOST:
            raise ValidationError({"stage": _("Choose a reason with the Lose action.")})
        if old_stage.outcome == Outcome.WON and locked.order_id:
            raise ValidationError({"stage": _("This opportunity has its order; it stays won.")})
        now = timezone.now()
        new_stage = locked.stage
        _enter(locked, new_stage, actor, now)
        if data.get("probability") is None:
            locked.probability = new_stage.probability
        _open_stay(locked, actor, now)
    if lines is not None:
        locked.lines.all().delete()
        for line in lines:
            line.opportunity = locked
        OpportunityLine.objects.bulk_create(lines)
        _amount_from_lines(locked, lines, data)
    return _save_and_audit(actor, locked, before)


@transaction.atomic
def move_opportunity(
    *,
    actor: User,
    opportunity: Opportunity,
    stage: Stage,
    version: int | None,
    lost_reason: LostReason | None = None,
    lost_note: str = "",
) -> Opportunity:
    """Put the opportunity into `stage` of its pipeline (a drag on the board, the stage select,
    the win and lose buttons). The probability becomes the stage's default; moving into the
    lost stage needs a reason; a won opportunity with an order stays won."""
    locked = _lock(opportunity)
    check_version(locked, version)
    if not may_change(actor, locked):
        raise PermissionDeniedError()
    if stage is None or stage.pipeline_id != locked.pipeline_id:
        raise ValidationError({"stage": _("This stage belongs to another pipeline.")})
    if stage.pk == locked.stage_id:
        return locked
    if locked.status == Outcome.WON and locked.order_id:
        raise ValidationError({"stage": _("This opportunity has its order; it stays won.")})
    lost_note = (lost_note or "").strip()
    if stage.outcome == Outcome.LOST:
        if lost_reason is None:
            raise ValidationError({"lost_reason": _("Choose why the opportunity was lost.")})
        if not lost_reason.active:
            raise ValidationError({"lost_reason": _("This reason is no longer in use.")})
    before = audit.snapshot(locked, AUDITED)
    now = timezone.now()
    _enter(locked, stage, actor, now)
    locked.probability = stage.probability
    if stage.outcome == Outcome.LOST:
        locked.lost_reason = lost_reason
        locked.lost_note = lost_note[:5000]
    _open_stay(locked, actor, now)
    return _save_and_audit(actor, locked, before)


def _terminal(opp: Opportunity, outcome: str) -> Stage:
    stage = Stage.objects.filter(pipeline_id=opp.pipeline_id, outcome=outcome).first()
    if stage is None:
        raise ValidationError({"stage": _("This pipeline has no stage for this outcome.")})
    return stage


@transaction.atomic
def win_opportunity(*, actor: User, opportunity: Opportunity, version: int | None) -> Opportunity:
    stage = _terminal(opportunity, Outcome.WON)
    return move_opportunity(actor=actor, opportunity=opportunity, stage=stage, version=version)


@transaction.atomic
def lose_opportunity(
    *,
    actor: User,
    opportunity: Opportunity,
    version: int | None,
    lost_reason: LostReason | None,
    lost_note: str = "",
) -> Opportunity:
    stage = _terminal(opportunity, Outcome.LOST)
    return move_opportunity(
        actor=actor,
        opportunity=opportunity,
        stage=stage,
        version=version,
        lost_reason=lost_reason,
        lost_note=lost_note,
    )


@transaction.atomic
def delete_opportunity(*, actor: User, opportunity: Opportunity) -> None:
    if not may_change(actor, opportunity, "delete"):
        raise PermissionDeniedError()
    audit.record(
        actor=actor,
        action=AuditAction.DELETE,
        instance=opportunity,
        changes=audit.diff(audit.snapshot(opportunity, AUDITED), {k: None for k in AUDITED}),
        customer_id=opportunity.customer_id,
    )
    opportunity.delete()


def _order_product() -> Product:
    """The product of an order line that stands for a whole opportunity's amount."""
    sku = settings.PIPELINE_ORDER_PRODUCT_SKU
    product = Product.objects.filter(sku=sku).first()
    if product is None:
        product = Product.objects.create(
            sku=sku, name=_("Opportunity amount"), unit_price=Decimal("0"), active=False
        )
    return product


@transaction.atomic
def create_order(*, actor: User, opportunity: Opportunity):
    """The order of a won opportunity, made by guanxi.sales: its product lines, or one line for
    the amount; linked back, and only once."""
    from guanxi.sales import services as sales

    locked = _lock(opportunity)
    if not may_change(actor, locked):
        raise PermissionDeniedError()
    if locked.status != Outcome.WON:
        raise ValidationError(_("Only a won opportunity can create its order."))
    if locked.order_id:
        raise ValidationError(_("This opportunity already has its order."))
    lines = [
        {"product": line.product, "quantity": line.quantity, "unit_price": line.unit_price}
        for line in locked.lines.select_related("product")
    ]
    if not lines:
        lines = [{"product": _order_product(), "quantity": 1, "unit_price": locked.amount}]
    order = sales.create_order(
        actor=actor,
        data={
            "customer": locked.customer,
            "currency": locked.currency,
            "notes": _("From opportunity “%(name)s”") % {"name": locked.name},
            "lines": lines,
        },
    )
    before = audit.snapshot(locked, AUDITED)
    locked.order = order
    _save_and_audit(actor, locked, before)
    return order
