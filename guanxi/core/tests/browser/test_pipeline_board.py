"""The pipeline board in a real browser: a card dragged to another column moves the
opportunity; a card changed meanwhile snaps back with a message."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


@pytest.fixture
def board(signed_in: Page, ada):
    from guanxi.customers.models import Customer
    from guanxi.pipeline import services

    customer = Customer.objects.create(display_name="Dragon Ltd", owner=ada)
    pipeline = services.create_pipeline(actor=ada, data={"name": "Sales", "currency": "CNY"})
    opp = services.create_opportunity(
        actor=ada,
        data={"name": "Dragon deal", "customer": customer, "pipeline": pipeline,
              "amount": Decimal("1000")},
    )  # fmt: skip
    stages = list(pipeline.stages.order_by("position"))
    signed_in.goto("/pipeline/")
    return signed_in, opp, stages


def column(page: Page, stage):
    return page.locator(f'section[data-stage="{stage.pk}"] [data-dropzone]')


def test_dragging_a_card_moves_the_opportunity(board) -> None:
    from guanxi.pipeline.models import Opportunity

    page, opp, stages = board
    card = page.get_by_role("article", name="Dragon deal")
    card.drag_to(column(page, stages[2]))
    expect(page.get_by_role("status")).to_contain_text(stages[2].name)
    expect(column(page, stages[2]).get_by_role("article", name="Dragon deal")).to_be_visible()
    opp.refresh_from_db()
    assert opp.stage == stages[2] and opp.version == 2
    assert Opportunity.objects.get(pk=opp.pk).stays.count() == 2


def test_a_stale_card_snaps_back(board) -> None:
    from guanxi.pipeline.models import Opportunity

    page, opp, stages = board
    Opportunity.objects.filter(pk=opp.pk).update(version=5)  # someone else changed it
    card = page.get_by_role("article", name="Dragon deal")
    card.drag_to(column(page, stages[1]))
    expect(page.get_by_role("status")).to_have_class(re.compile("alert-danger"))
    expect(column(page, stages[0]).get_by_role("article", name="Dragon deal")).to_be_visible()
    assert Opportunity.objects.get(pk=opp.pk).stage == stages[0]
