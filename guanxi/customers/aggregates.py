"""Per-customer aggregates (orders, spend, last purchase, last contact), computed from the facts.

Spend is in the base currency: each order's `total_base` (its total at the exchange rate of its
day); an order in a currency without any rate yet counts as a purchase but adds no spend.

One SQL statement serves a single customer (called by the order and interaction services in
the same transaction as the fact) and a full rebuild (a job, and the demo seeder): the same code,
so the incremental and the full result cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection

_ORDERS_SQL = """
UPDATE customers_customer SET
    order_count = COALESCE(a.n, 0),
    total_spent = COALESCE(a.total, 0),
    average_order_value = CASE WHEN a.valued > 0 THEN ROUND(1.0 * a.total / a.valued, 2) ELSE 0 END,
    first_purchase_at = a.first_at,
    last_purchase_at = a.last_at
FROM (
    SELECT c.id AS cid, o.n, o.valued, o.total, o.first_at, o.last_at
    FROM customers_customer c
    LEFT JOIN (
        SELECT customer_id, COUNT(*) AS n, COUNT(total_base) AS valued, SUM(total_base) AS total,
               MIN(ordered_at) AS first_at, MAX(ordered_at) AS last_at
        FROM sales_order
        WHERE status NOT IN ('cancelled', 'refunded') {order_filter}
        GROUP BY customer_id
    ) o ON o.customer_id = c.id
    {customer_filter}
) a
WHERE customers_customer.id = a.cid
"""

_INTERACTIONS_SQL = """
UPDATE customers_customer SET
    interaction_count = COALESCE(a.n, 0),
    last_interaction_at = a.last_at
FROM (
    SELECT c.id AS cid, i.n, i.last_at
    FROM customers_customer c
    LEFT JOIN (
        SELECT customer_id, COUNT(*) AS n, MAX(occurred_at) AS last_at
        FROM interactions_interaction
        WHERE 1 = 1 {order_filter}
        GROUP BY customer_id
    ) i ON i.customer_id = c.id
    {customer_filter}
) a
WHERE customers_customer.id = a.cid
"""


_TICKETS_SQL = """
UPDATE customers_customer SET
    open_tickets = COALESCE(a.n, 0)
FROM (
    SELECT c.id AS cid, t.n
    FROM customers_customer c
    LEFT JOIN (
        SELECT customer_id, COUNT(*) AS n
        FROM tickets_ticket
        WHERE status IN ('new', 'in_progress', 'waiting') {order_filter}
        GROUP BY customer_id
    ) t ON t.customer_id = c.id
    {customer_filter}
) a
WHERE customers_customer.id = a.cid
"""


def _run(
    sql: str, customer_ids: Iterable[int] | None, id_range: tuple[int, int] | None = None
) -> None:
    params: list[int] = []
    if id_range is not None:
        low, high = id_range
        sql = sql.format(
            order_filter="AND customer_id BETWEEN %s AND %s",
            customer_filter="WHERE c.id BETWEEN %s AND %s",
        )
        params = [low, high, low, high]
    elif customer_ids is None:
        sql = sql.format(order_filter="", customer_filter="")
    else:
        ids = sorted({int(i) for i in customer_ids})
        if not ids:
            return
        marks = ", ".join(["%s"] * len(ids))
        sql = sql.format(
            order_filter=f"AND customer_id IN ({marks})",
            customer_filter=f"WHERE c.id IN ({marks})",
        )
        params = ids + ids
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def refresh_order_aggregates(
    customer_ids: Iterable[int] | None = None, *, id_range: tuple[int, int] | None = None
) -> None:
    """Recompute order count, spend and first/last purchase of the given customers, of the
    customers whose id lies in `id_range` (inclusive), or of all customers."""
    _run(_ORDERS_SQL, customer_ids, id_range)


def refresh_interaction_aggregates(
    customer_ids: Iterable[int] | None = None, *, id_range: tuple[int, int] | None = None
) -> None:
    """Recompute interaction count and last contact, selected as for the orders."""
    _run(_INTERACTIONS_SQL, customer_ids, id_range)


def refresh_ticket_aggregates(
    customer_ids: Iterable[int] | None = None, *, id_range: tuple[int, int] | None = None
) -> None:
    """Recompute the number of open tickets (new, in progress, waiting on the customer)."""
    _run(_TICKETS_SQL, customer_ids, id_range)


def refresh_all(
    customer_ids: Iterable[int] | None = None, *, id_range: tuple[int, int] | None = None
) -> None:
    ids = None if customer_ids is None else list(customer_ids)
    refresh_order_aggregates(ids, id_range=id_range)
    refresh_interaction_aggregates(ids, id_range=id_range)
    refresh_ticket_aggregates(ids, id_range=id_range)
