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
        if viewport:
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > PHONE["width"]:
                too_wide.append(f"{path}: {width}px")
    assert not too_wide, f"wider than a {PHONE['width']}px phone: {too_wide}"
