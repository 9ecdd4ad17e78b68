from decimal import Decimal

import pytest


@pytest.fixture
def world(two_teams):
    """A pipeline with the default stages, a customer per team and an opportunity on each."""
    from guanxi.customers.models import Customer
    from guanxi.pipeline import services

    w = two_teams
    w.cust_a = Customer.objects.create(display_name="Alpha", owner=w.rep_a, team=w.team_a)
    w.cust_b = Customer.objects.create(display_name="Beta", owner=w.rep_b, team=w.team_b)
    w.pipeline = services.create_pipeline(actor=w.admin, data={"name": "Sales", "currency": "CNY"})
    w.stages = list(w.pipeline.stages.order_by("position"))
    w.won = next(s for s in w.stages if s.outcome == "won")
    w.lost = next(s for s in w.stages if s.outcome == "lost")
    w.opp_a = services.create_opportunity(
        actor=w.rep_a,
        data={
            "name": "Deal A",
            "customer": w.cust_a,
            "pipeline": w.pipeline,
            "amount": Decimal("1000"),
        },
    )
    w.opp_b = services.create_opportunity(
        actor=w.rep_b,
        data={
            "name": "Deal B",
            "customer": w.cust_b,
            "pipeline": w.pipeline,
            "amount": Decimal("500"),
        },
    )
    from guanxi.pipeline.models import LostReason

    w.reason = LostReason.objects.order_by("position").first()
    return w
