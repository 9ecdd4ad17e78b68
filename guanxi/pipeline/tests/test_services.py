import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from guanxi.audit.models import AuditEvent
from guanxi.core.errors import ConflictError, PermissionDeniedError
from guanxi.pipeline import selectors, services
from guanxi.pipeline.models import Opportunity, Outcome, StageChange
from guanxi.sales.models import Order, Product

pytestmark = pytest.mark.django_db


def test_new_opportunity_starts_in_the_first_stage_with_its_probability(world):
    opp = world.opp_a
    assert opp.stage == world.stages[0] and opp.probability == world.stages[0].probability
    assert opp.status == Outcome.OPEN and opp.currency == "CNY" and opp.owner == world.rep_a
    stays = list(opp.stays.all())
    assert len(stays) == 1 and stays[0].left_at is None
    assert AuditEvent.objects.filter(object_type="pipeline.opportunity").exists()


def test_probability_may_be_overridden_and_resets_on_a_move(world):
    opp = services.update_opportunity(
        actor=world.rep_a, opportunity=world.opp_a, data={"probability": 55}, version=1
    )
    assert opp.probability == 55 and opp.version == 2
    opp = services.move_opportunity(
        actor=world.rep_a, opportunity=opp, stage=world.stages[2], version=2
    )
    assert opp.probability == world.stages[2].probability


def test_moves_keep_history_with_durations(world, monkeypatch):
    start = timezone.now()
    opp = world.opp_a
    StageChange.objects.filter(opportunity=opp).update(entered_at=start - dt.timedelta(hours=3))
    opp = services.move_opportunity(
        actor=world.rep_a, opportunity=opp, stage=world.stages[1], version=opp.version
    )
    stays = selectors.stage_history(opportunity=opp)
    assert [s.stage for s in stays] == [world.stages[0], world.stages[1]]
    assert 3 * 3600 - 5 <= stays[0].seconds <= 3 * 3600 + 5
    assert stays[1].left_at is None and opp.stage_entered_at == stays[1].entered_at


def test_average_time_in_stage_is_per_stage_and_only_visible(world):
    now = timezone.now()
    for opp, hours in ((world.opp_a, 2), (world.opp_b, 4)):
        StageChange.objects.filter(opportunity=opp).update(
            entered_at=now - dt.timedelta(hours=hours)
        )
        services.move_opportunity(
            actor=opp.owner, opportunity=opp, stage=world.stages[1], version=opp.version
        )
    rows = {
        r["stage"].pk: r
        for r in selectors.average_time_in_stage(user=world.admin, pipeline=world.pipeline)
    }
    first = rows[world.stages[0].pk]
    assert first["stays"] == 2 and abs(first["average"].total_seconds() - 3 * 3600) < 10
    rows = {
        r["stage"].pk: r
        for r in selectors.average_time_in_stage(user=world.rep_a, pipeline=world.pipeline)
    }
    first = rows[world.stages[0].pk]
    assert first["stays"] == 1 and abs(first["average"].total_seconds() - 2 * 3600) < 10
    assert rows[world.stages[1].pk]["average"] is None


def test_stale_version_is_refused(world):
    services.move_opportunity(
        actor=world.rep_a, opportunity=world.opp_a, stage=world.stages[1], version=1
    )
    with pytest.raises(ConflictError):
        services.move_opportunity(
            actor=world.rep_a, opportunity=world.opp_a, stage=world.stages[2], version=1
        )
    assert Opportunity.objects.get(pk=world.opp_a.pk).stage == world.stages[1]


@pytest.mark.parametrize("currency", ["人民币", "US$", "12", "CN"])
def test_a_currency_is_three_latin_letters(world, currency):
    """ "人民币" passed as three letters (str.isalpha is true of Chinese characters)."""
    with pytest.raises(ValidationError) as error:
        services.update_opportunity(
            actor=world.rep_a, opportunity=world.opp_a, data={"currency": currency}, version=1
        )
    assert "currency" in error.value.message_dict
    opp = services.update_opportunity(
        actor=world.rep_a, opportunity=world.opp_a, data={"currency": " ｕｓｄ "}, version=1
    )
    assert opp.currency == "USD"  # typed in lower case or full width


@pytest.mark.parametrize("day", [dt.date(1, 1, 1), dt.date(1899, 12, 31), dt.date(9999, 12, 31)])
def test_an_expected_close_outside_1900_to_2999_is_refused(world, day):
    with pytest.raises(ValidationError) as error:
        services.update_opportunity(
            actor=world.rep_a, opportunity=world.opp_a, data={"expected_close": day}, version=1
        )
    assert "expected_close" in error.value.message_dict


def test_lost_needs_a_reason(world):
    with pytest.raises(ValidationError) as exc:
        services.lose_opportunity(
            actor=world.rep_a, opportunity=world.opp_a, version=1, lost_reason=None
        )
    assert "lost_reason" in exc.value.message_dict
    with pytest.raises(ValidationError):
        services.move_opportunity(
            actor=world.rep_a, opportunity=world.opp_a, stage=world.lost, version=1
        )
    opp = services.lose_opportunity(
        actor=world.rep_a,
        opportunity=world.opp_a,
        version=1,
        lost_reason=world.reason,
        lost_note="  went with a rival  ",
    )
    assert opp.status == Outcome.LOST and opp.lost_reason == world.reason
    assert opp.lost_note == "went with a rival" and opp.probability == 0 and opp.closed_at


def test_inactive_reason_is_refused(world):
    world.reason.active = False
    world.reason.save()
    with pytest.raises(ValidationError):
        services.lose_opportunity(
            actor=world.rep_a, opportunity=world.opp_a, version=1, lost_reason=world.reason
        )


def test_reopening_a_lost_opportunity_clears_the_reason(world):
    opp = services.lose_opportunity(
        actor=world.rep_a, opportunity=world.opp_a, version=1, lost_reason=world.reason
    )
    opp = services.move_opportunity(
        actor=world.rep_a, opportunity=opp, stage=world.stages[0], version=opp.version
    )
    assert opp.status == Outcome.OPEN and opp.lost_reason is None and opp.closed_at is None


def test_other_rep_may_not_move(world):
    with pytest.raises(PermissionDeniedError):
        services.move_opportunity(
            actor=world.rep_b, opportunity=world.opp_a, stage=world.stages[1], version=1
        )


def test_stage_of_another_pipeline_is_refused(world):
    other = services.create_pipeline(
        actor=world.admin, data={"name": "Projects", "currency": "USD"}
    )
    with pytest.raises(ValidationError):
        services.move_opportunity(
            actor=world.rep_a, opportunity=world.opp_a, stage=other.stages.first(), version=1
        )


def test_foreign_customer_and_owner_refused(world):
    with pytest.raises(ValidationError) as exc:
        services.create_opportunity(
            actor=world.rep_a,
            data={"name": "x", "customer": world.cust_b, "pipeline": world.pipeline},
        )
    assert "customer" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.create_opportunity(
            actor=world.rep_a,
            data={
                "name": "x",
                "customer": world.cust_a,
                "pipeline": world.pipeline,
                "owner": world.rep_b,
            },
        )
    assert "owner" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.create_opportunity(
            actor=world.rep_a,
            data={"name": "  ", "customer": world.cust_a, "pipeline": world.pipeline},
        )
    assert "name" in exc.value.message_dict


def test_won_creates_its_order_once_with_one_line_for_the_amount(world):
    opp = services.win_opportunity(actor=world.rep_a, opportunity=world.opp_a, version=1)
    assert opp.status == Outcome.WON and opp.probability == 100
    order = services.create_order(actor=world.rep_a, opportunity=opp)
    assert order.customer == world.cust_a and order.total == Decimal("1000.00")
    assert [line.amount for line in order.lines.all()] == [Decimal("1000.00")]
    opp.refresh_from_db()
    assert opp.order == order
    with pytest.raises(ValidationError):
        services.create_order(actor=world.rep_a, opportunity=opp)
    assert Order.objects.count() == 1
    # with its order, a won opportunity stays won
    with pytest.raises(ValidationError):
        services.move_opportunity(
            actor=world.rep_a, opportunity=opp, stage=world.stages[0], version=opp.version
        )


def test_order_lines_come_from_the_products(world):
    p = Product.objects.create(sku="P1", name="Widget", unit_price=Decimal("10"))
    opp = services.create_opportunity(
        actor=world.rep_a,
        data={
            "name": "Widgets",
            "customer": world.cust_a,
            "pipeline": world.pipeline,
            "lines": [{"product": p, "quantity": Decimal("3"), "unit_price": Decimal("9.50")}],
        },
    )
    assert opp.amount == Decimal("28.50")
    opp = services.win_opportunity(actor=world.rep_a, opportunity=opp, version=opp.version)
    order = services.create_order(actor=world.rep_a, opportunity=opp)
    line = order.lines.get()
    assert line.product == p and line.quantity == 3 and line.unit_price == Decimal("9.50")


def test_open_opportunity_cannot_create_an_order(world):
    with pytest.raises(ValidationError):
        services.create_order(actor=world.rep_a, opportunity=world.opp_a)


def test_pipeline_admin_only_and_stage_rules(world):
    with pytest.raises(PermissionDeniedError):
        services.create_pipeline(actor=world.rep_a, data={"name": "Mine"})
    with pytest.raises(ValidationError):
        services.delete_stage(actor=world.admin, stage=world.won)  # the only won stage
    with pytest.raises(ValidationError):
        services.delete_stage(actor=world.admin, stage=world.stages[0])  # has opportunities
    with pytest.raises(ValidationError):
        services.create_stage(
            actor=world.admin, pipeline=world.pipeline, data={"name": "Won again", "outcome": "won"}
        )
    stage = services.create_stage(
        actor=world.admin, pipeline=world.pipeline, data={"name": "Demo", "probability": 45}
    )
    assert stage.outcome == Outcome.OPEN
    with pytest.raises(ValidationError):
        services.create_stage(actor=world.admin, pipeline=world.pipeline, data={"name": "Demo"})
    with pytest.raises(ValidationError):
        services.create_pipeline(actor=world.admin, data={"name": "Bad", "currency": "yuan"})


def test_funnel_counts_visible_opportunities_per_stage(world):
    services.move_opportunity(
        actor=world.rep_b, opportunity=world.opp_b, stage=world.stages[1], version=1
    )
    rows = {r["stage_id"]: r for r in selectors.funnel(world.admin, pipeline=world.pipeline)}
    assert rows[world.stages[0].pk]["count"] == 1
    assert rows[world.stages[0].pk]["amount"] == {"CNY": Decimal("1000.00")}
    assert rows[world.stages[0].pk]["weighted"] == {"CNY": Decimal("100.00")}
    assert rows[world.stages[1].pk]["count"] == 1
    rows = {r["stage_id"]: r for r in selectors.funnel(world.rep_a)}
    assert rows[world.stages[1].pk]["count"] == 0 and rows[world.stages[0].pk]["count"] == 1
    rows = {r["stage_id"]: r for r in selectors.funnel(world.admin, team=world.team_b.pk)}
    assert rows[world.stages[0].pk]["count"] == 0 and rows[world.stages[1].pk]["count"] == 1
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    assert all(r["count"] == 0 for r in selectors.funnel(world.admin, date_from=tomorrow))


def test_owner_sees_opportunity_on_a_customer_they_cannot_see(world):
    from guanxi.pipeline.models import Opportunity

    Opportunity.objects.filter(pk=world.opp_b.pk).update(owner=world.rep_a)
    ids = set(selectors.opportunity_list(user=world.rep_a).values_list("id", flat=True))
    assert ids == {world.opp_a.pk, world.opp_b.pk}
    assert set(selectors.opportunity_list(user=world.rep_b).values_list("id", flat=True)) == {
        world.opp_b.pk
    }
