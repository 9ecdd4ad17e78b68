"""Every page of the workspace opens in a real browser, for an administrator, on a desktop and
on a phone: no error status, a heading, no JavaScript error and nothing loaded from outside the
server (checked by the `new_page` fixture), and at phone width nothing wider than the screen.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from .conftest import log_in

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def _pages(customer_pk: int) -> list[str]:
    return [
        reverse("home"),
        reverse("preferences"),
        reverse("customers:list"),
        reverse("customers:create"),
        reverse("customers:detail", args=[customer_pk]),
        reverse("customers:edit", args=[customer_pk]),
        reverse("customers:history", args=[customer_pk]),
        reverse("customers:interaction_create", args=[customer_pk]),
        reverse("customers:note_create", args=[customer_pk]),
        reverse("customers:recycle_bin"),
        reverse("sales:order_list"),
        reverse("sales:product_list"),
        reverse("accounts:user_list"),
        reverse("care:plan_list"),
        reverse("care:plan_create"),
        reverse("care:profile_edit", args=[customer_pk]),
        reverse("pool:list"),
        reverse("pool:history", args=[customer_pk]),
        reverse("pool:return", args=[customer_pk]),
        reverse("followups:list") + "?tab=closed",
        reverse("sales:order_create"),
        reverse("accounts:role_list"),
        reverse("quality:stale"),
        reverse("dedup:queue"),
        reverse("transfer:import_list"),
        reverse("transfer:import_new"),
        reverse("transfer:export_list"),
        reverse("pipeline:board"),
        reverse("tickets:list"),
        reverse("tickets:create"),
        reverse("needs:list"),
        reverse("needs:analysis"),
        reverse("surveys:list"),
        reverse("surveys:action_list"),
        reverse("kb:list"),
        reverse("kb:create"),
        reverse("reports:dashboard"),
        reverse("segments:list"),
        reverse("segments:create"),
        reverse("analytics:warnings"),
        reverse("analytics:settings"),
    ]


@pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone"])
def test_every_page_opens(new_page, ada, viewport) -> None:
    from guanxi.customers import services

    zhang = services.create_customer(
        actor=ada,
        data={
            "kind": "person",
            "display_name": "张晓明",
            "contact_points": [{"kind": "mobile", "value": "13812345678"}],
        },
    )
    page = new_page(viewport=viewport)
    log_in(page, "ada", "pw-ada")
    too_wide = []
    for path in _pages(zhang.pk):
        response = page.goto(path)
        assert response is not None and response.status == 200, (path, response and response.status)
        expect(page.get_by_role("heading").first, path).to_be_visible()
        # Nothing wider than the window, on a phone or a desktop (a table squeezed beside a
        # floated legend once pushed the order form's lines off the page).
        width, window = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        if width > window:
            too_wide.append(f"{path}: {width}px > {window}px")
    assert not too_wide, f"wider than the window: {too_wide}"
