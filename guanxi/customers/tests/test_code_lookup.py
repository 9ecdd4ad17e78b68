"""Lookups of live customers by code are answered from the code's partial index on SQLite
(they went through the index on deleted_at before: a million rows per check at scale)."""

from __future__ import annotations

import pytest
from django.db import connection

from guanxi.customers.models import Customer, code_lookup

pytestmark = pytest.mark.django_db


def plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return " ".join(str(row[-1]) for row in cursor.fetchall())


@pytest.mark.parametrize("field", ["credit_code", "external_id", "identity_code"])
def test_a_lookup_by_code_reads_the_codes_index(field):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's planner without statistics")
    one = Customer.objects.filter(code_lookup(field, ["X1"]), deleted_at__isnull=True)
    assert f"INDEX customer_{field}" in plan(one.only("pk", "display_name")[:1])
    several = Customer.objects.filter(code_lookup(field, ["X1", "X2"]), deleted_at__isnull=True)
    assert f"INDEX customer_{field}" in plan(several.order_by().values_list(field, "id"))


def test_code_lookup_finds_only_the_codes_asked_for_and_never_the_empty_one():
    Customer.objects.create(display_name="甲", credit_code="91110000600037341L")
    Customer.objects.create(display_name="乙", credit_code="")
    found = Customer.objects.filter(code_lookup("credit_code", ["91110000600037341L", ""]))
    assert [c.display_name for c in found] == ["甲"]
    with pytest.raises(ValueError):
        code_lookup("display_name", ["甲"])
