"""core.bulk writes rows through the drivers' own cursors; what goes wrong is still Django's."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from guanxi.core import bulk
from guanxi.customers.models import Tag

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_row_breaking_a_unique_constraint_raises_djangos_integrity_error():
    table, columns = bulk.table_columns(Tag, ("name", "color", "version"))
    bulk.insert_rows(table, columns, [("VIP", "", 1)])
    with pytest.raises(IntegrityError), transaction.atomic():
        bulk.insert_rows(table, columns, iter([("新客", "", 1), ("VIP", "red", 1)]))
    assert list(Tag.objects.values_list("name", flat=True)) == ["VIP"]
