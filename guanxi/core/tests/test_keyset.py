"""Keyset pagination: walking forwards or backwards shows every row exactly once, in order,
whatever the ties and NULLs in the sort column; a bad cursor is refused, not a 500."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from guanxi.core import keyset
from guanxi.customers.models import Customer

pytestmark = pytest.mark.django_db

SORTS = [
    "id",
    "-id",
    "display_name",
    "-display_name",
    "total_spent",
    "-total_spent",
    "last_purchase_at",
    "-last_purchase_at",
]


@pytest.fixture
def rows() -> None:
    base = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    Customer.objects.bulk_create(
        Customer(
            display_name=["张三", "李四", "王五"][i % 3],  # many ties
            total_spent=Decimal(i % 4) * 100,
            last_purchase_at=None if i % 5 == 0 else base + dt.timedelta(days=i % 3),
        )
        for i in range(37)
    )


def expected(sort: str) -> list[int]:
    name = sort.lstrip("-")
    desc = sort.startswith("-")
    order = [F(name).desc() if desc else F(name).asc(), "-id" if desc else "id"]
    return list(Customer.objects.order_by(*order).values_list("id", flat=True))


@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("per_page", [1, 5, 10, 37, 50])
def test_forward_then_backward_shows_every_row_once_in_order(rows, sort, per_page):
    qs = Customer.objects.all()
    seen, pages, cursor = [], [], None
    while True:
        page = keyset.paginate(qs, sort=sort, cursor=cursor, per_page=per_page)
        pages.append([c.pk for c in page])
        seen += pages[-1]
        if not page.has_next:
            break
        cursor = page.next_cursor
    assert seen == expected(sort)

    back = [c.pk for c in page]
    while page.has_previous:
        page = keyset.paginate(qs, sort=sort, cursor=page.previous_cursor, per_page=per_page)
        back = [c.pk for c in page] + back
    assert back == expected(sort)


def test_first_page_has_no_previous_and_never_counts(rows):
    with CaptureQueriesContext(connection) as ctx:
        page = keyset.paginate(Customer.objects.all(), sort="-updated_at", per_page=10)
    assert not page.has_previous and page.has_next
    assert len(ctx.captured_queries) == 1
    assert "COUNT(" not in ctx.captured_queries[0]["sql"].upper()


def test_a_row_deleted_between_pages_neither_repeats_nor_skips(rows):
    qs = Customer.objects.all()
    first = keyset.paginate(qs, sort="display_name", per_page=10)
    Customer.objects.filter(pk=first.rows[0].pk).delete()
    second = keyset.paginate(qs, sort="display_name", cursor=first.next_cursor, per_page=10)
    order = expected("display_name")
    last_of_first = order.index(first.rows[-1].pk)
    assert [c.pk for c in second] == order[last_of_first + 1 : last_of_first + 11]


@pytest.mark.parametrize("bad", ["garbage", "e30", "W10", keyset.encode_cursor("id", "n", 1, 1)])
def test_unreadable_or_foreign_cursor_is_refused(rows, bad):
    with pytest.raises(keyset.InvalidCursor):
        keyset.paginate(Customer.objects.all(), sort="-total_spent", cursor=bad)


def test_works_on_values_querysets(rows):
    qs = Customer.objects.values("id", "display_name")
    page = keyset.paginate(qs, sort="display_name", per_page=5)
    nxt = keyset.paginate(qs, sort="display_name", cursor=page.next_cursor, per_page=5)
    assert [r["id"] for r in page] + [r["id"] for r in nxt] == expected("display_name")[:10]
