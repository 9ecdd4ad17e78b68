"""The pipeline board in a real browser: a card dragged to another column, with a mouse or a
finger, moves the opportunity; a card changed meanwhile snaps back with a message."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def make_board(ada):
    from guanxi.customers.models import Customer
    from guanxi.pipeline import services

    customer = Customer.objects.create(display_name="Dragon Ltd", owner=ada)
    pipeline = services.create_pipeline(actor=ada, data={"name": "Sales", "currency": "CNY"})
    opp = services.create_opportunity(
        actor=ada,
        data={"name": "Dragon deal", "customer": customer, "pipeline": pipeline,
              "amount": Decimal("1000")},
    )  # fmt: skip
    return opp, list(pipeline.stages.order_by("position"))


@pytest.fixture
def board(signed_in: Page, ada):
    opp, stages = make_board(ada)
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


def test_a_moved_card_takes_its_place_by_amount(board, ada) -> None:
    """A column lists the biggest amount first; a card dropped anywhere in it goes where the
    next load would show it."""
    from guanxi.pipeline import services

    page, opp, stages = board
    services.create_opportunity(
        actor=ada,
        data={"name": "Big deal", "customer": opp.customer, "pipeline": opp.pipeline,
              "stage": stages[2], "amount": Decimal("5000")},
    )  # fmt: skip
    page.reload()
    target = column(page, stages[2])
    page.get_by_role("article", name="Dragon deal").drag_to(
        target.get_by_role("article", name="Big deal"), target_position={"x": 20, "y": 5}
    )
    expect(page.get_by_role("status")).to_contain_text(stages[2].name)
    expect(target.locator(".pipeline-card")).to_have_count(2)
    names = target.locator(".pipeline-card").evaluate_all("cards => cards.map(c => c.ariaLabel)")
    assert names == ["Big deal", "Dragon deal"]


def test_a_stale_card_snaps_back(board) -> None:
    from guanxi.pipeline.models import Opportunity

    page, opp, stages = board
    Opportunity.objects.filter(pk=opp.pk).update(version=5)  # someone else changed it
    card = page.get_by_role("article", name="Dragon deal")
    card.drag_to(column(page, stages[1]))
    expect(page.get_by_role("status")).to_have_class(re.compile("alert-danger"))
    expect(column(page, stages[0]).get_by_role("article", name="Dragon deal")).to_be_visible()
    assert Opportunity.objects.get(pk=opp.pk).stage == stages[0]


def touch_drag(page: Page, source, target) -> None:
    """A finger on the card, held a moment, moved to the target and lifted (Chromium's own
    touch events, as a phone sends them)."""
    cdp = page.context.new_cdp_session(page)
    start, end = source.bounding_box(), target.bounding_box()
    x0, y0 = start["x"] + start["width"] / 2, start["y"] + start["height"] / 2
    x1, y1 = end["x"] + end["width"] / 2, end["y"] + 10

    def touch(kind: str, x: float, y: float) -> None:
        points = [] if kind == "touchEnd" else [{"x": x, "y": y}]
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

    touch("touchStart", x0, y0)
    # The hold that tells a drag from a swipe: the card is picked up after it, not before.
    expect(source).to_have_class(re.compile(r"\bdragging\b"))
    steps = 15
    for i in range(1, steps + 1):
        touch("touchMove", x0 + (x1 - x0) * i / steps, y0 + (y1 - y0) * i / steps)
        page.wait_for_timeout(20)
    page.wait_for_timeout(200)  # the finger rests over the column before lifting
    touch("touchEnd", x1, y1)


def test_a_finger_drags_a_card_on_a_phone(new_page, ada) -> None:
    from guanxi.core.tests.browser.conftest import log_in

    opp, stages = make_board(ada)
    page = new_page(viewport={"width": 390, "height": 844}, touch=True)
    log_in(page, "ada", "pw-ada")
    page.goto("/pipeline/")
    card = page.get_by_role("article", name="Dragon deal")
    touch_drag(page, card, column(page, stages[1]))
    expect(page.get_by_role("status")).to_contain_text(stages[1].name)
    expect(column(page, stages[1]).get_by_role("article", name="Dragon deal")).to_be_visible()
    opp.refresh_from_db()
    assert opp.stage == stages[1]
