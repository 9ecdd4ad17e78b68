"""The care and pool pages in a real browser at phone width, in Chinese: they open, nothing is
wider than the screen, and claiming from the pool works by a click."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.urls import reverse
from playwright.sync_api import expect

from .conftest import log_in

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def test_greeting_template_and_pool_on_a_phone(new_page, ada) -> None:
    importlib.import_module("guanxi.care.migrations.0002_defaults").add(apps, None)
    from guanxi.customers import services
    from guanxi.customers.models import Customer

    pooled = services.create_customer(
        actor=ada,
        data={
            "display_name": "上海星辰科技有限公司",
            "kind": "organisation",
            "owner": None,
            "region": "上海",
            "contact_points": [{"kind": "mobile", "value": "13812345678"}],
        },
    )
    page = new_page(locale="zh-CN", viewport=PHONE)
    log_in(page, "ada", "pw-ada")
    for path in (reverse("care:template_edit", args=["mid_autumn"]), reverse("pool:list")):
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], (path, width)
    expect(page.get_by_text("138****5678")).to_be_visible()
    page.get_by_role("button", name="领取 上海星辰科技有限公司").click()
    expect(page.get_by_text("现在是您的客户了")).to_be_visible()
    assert Customer.objects.get(pk=pooled.pk).owner_id == ada.pk
