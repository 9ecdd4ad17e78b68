"""The data migration that recomputes the keys and fills the completeness of existing rows,
run with the historical models it gets at that point of the migration graph."""

from __future__ import annotations

import importlib

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from guanxi.customers.models import Address, ContactPoint, Customer, Tag

pytestmark = pytest.mark.django_db

MIGRATION = "0007_recompute_keys_and_completeness"


def test_existing_rows_get_new_keys_and_a_score_in_batches(monkeypatch):
    org = Customer.objects.create(
        kind="organisation", display_name="字節跳動科技（北京）有限公司", name_key="old"
    )
    person = Customer.objects.create(display_name="張偉", name_key="old", region="杭州")
    ContactPoint.objects.create(
        customer=person, kind="mobile", value="13800138000", normalized="+8613800138000"
    )
    Address.objects.create(customer=person, city="杭州")
    person.tags.add(Tag.objects.create(name="老客户"))
    module = importlib.import_module(f"guanxi.customers.migrations.{MIGRATION}")
    monkeypatch.setattr(module, "BATCH", 1)  # one row per batch: the ranges must join up
    state = MigrationLoader(connection).project_state(("customers", MIGRATION), at_end=False)
    module.recompute(state.apps, None)
    org.refresh_from_db()
    person.refresh_from_db()
    assert org.name_key == "字节跳动" and org.completeness > 0
    assert person.name_key == "张伟" and person.pinyin == "zhangwei"
    assert "13800138000" in person.search_text
    assert person.completeness > org.completeness
