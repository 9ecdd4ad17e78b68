"""Web page latency at scale: server time of the customer workspace's pages, in-process
(django.test.Client, so no network and no browser), on the database that api_bench.py seeds.

    python benchmarks/api_bench.py --customers 1000000 --orders 10000000   # once: seed
    python benchmarks/web_bench.py                      # measure the pages on it
    python benchmarks/web_bench.py --repeat 50 --rounds 1    # quick look
    python benchmarks/web_bench.py --explain            # each case's SQL, timings and plans

It never seeds nor deletes: without a seeded database under benchmarks/out/ it says so and
stops. It applies pending migrations first (the workspace's new tables) and collects the static
files (pages name their hashed copies). Cases, for the
administrator (sees every customer) and the sales user (owns a few hundred) that api_bench.py
creates: the customer list's first page, a search from the list's box (a Chinese name, pinyin
initials, a phone typed 138 1234 5678), and a customer's 360° page. p50 and p95 are the medians
over --rounds rounds of --repeat requests. Target: p95 ≤ 100 ms per page.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

import api_bench

TARGET_MS = 100.0
CUSTOMER_LINK = re.compile(r'href="/customers/(\d+)/"')


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=100, help="requests per case and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--sales-customers", type=int, default=300)
    parser.add_argument("--explain", action="store_true", help="print each case's query plans")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    return parser.parse_args()


def _cases(user, rng: random.Random) -> dict[str, Callable[[int], str]]:
    """Pages per case: i → path."""
    from guanxi.customers import selectors
    from guanxi.customers.models import ContactPoint

    visible = selectors.customer_list(user=user)
    ids = list(visible.order_by("-pk").values_list("pk", flat=True)[:400_000:997])
    if len(ids) < 50:
        ids = list(visible.values_list("pk", flat=True))
    rng.shuffle(ids)
    sample = list(visible.filter(pk__in=ids).values("pk", "kind", "display_name", "pinyin"))
    people = [c for c in sample if c["kind"] == "person" and len(c["display_name"]) == 3] or sample
    mobiles = list(
        ContactPoint.objects.filter(
            customer_id__in=ids, kind="mobile", is_primary=True
        ).values_list("normalized", flat=True)[:200]
    )

    def pick(pool: list, i: int):
        return pool[i % len(pool)]

    def initials(i: int) -> str:
        from pypinyin import Style, lazy_pinyin

        return "".join(lazy_pinyin(pick(people, i)["display_name"], style=Style.FIRST_LETTER))

    def spaced(i: int) -> str:
        n = pick(mobiles, i).removeprefix("+86")
        return f"{n[:3]} {n[3:7]} {n[7:]}"

    def listing(query: dict) -> str:
        return "/customers/?" + urlencode(query) if query else "/customers/"

    return {
        "list, first page": lambda i: listing({}),
        "search name (汉字)": lambda i: listing({"q": pick(people, i)["display_name"]}),
        "search pinyin initials": lambda i: listing({"q": initials(i)}),
        "search phone (138 1234 5678)": lambda i: listing({"q": spaced(i)}),
        "360° page": lambda i: f"/customers/{pick(ids, i)}/",
    }


def _captured(client, path: str):
    """The response and its queries as (sql, params, ms): counted with a wrapper, because each
    request resets the connection's own query log."""
    from django.db import connection

    queries: list[tuple[str, object, float]] = []

    def record(run, sql, params, many, context):
        start = time.perf_counter()
        try:
            return run(sql, params, many, context)
        finally:
            queries.append((sql, params, (time.perf_counter() - start) * 1000))

    with connection.execute_wrapper(record):
        response = client.get(path)
    return response, queries


def _explain(client, path: str) -> None:
    from django.db import connection

    for sql, params, ms in _captured(client, path)[1]:
        print(f"    {ms:7.1f} ms  {sql[:300]}")
        if sql.lstrip().upper().startswith("SELECT") and connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
                for row in cursor.fetchall():
                    print(f"               {row[-1]}")


def _measure(args, client, label: str, cases) -> list[dict]:
    from django.db import reset_queries

    rows = []
    for name, make in cases.items():
        first, queries = _captured(client, make(0))
        assert first.status_code == 200, (name, make(0), first.status_code, first.get("Location"))
        if args.explain:
            print(f"  {label} / {name}: {make(0)}")
            _explain(client, make(0))
        for i in range(10):  # warm-up
            client.get(make(i))
        p50s, p95s = [], []
        for _round in range(args.rounds):
            times = []
            for i in range(args.repeat):
                path = make(i)
                start = time.perf_counter()
                response = client.get(path)
                times.append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200, (name, path, response.status_code)
            reset_queries()
            times.sort()
            p50s.append(statistics.median(times))
            p95s.append(times[min(len(times) - 1, int(len(times) * 0.95))])
        row = {
            "user": label,
            "case": name,
            "p50_ms": round(statistics.median(p50s), 1),
            "p95_ms": round(statistics.median(p95s), 1),
            "queries": len(queries),
            "customers shown": len(set(CUSTOMER_LINK.findall(first.content.decode()))),
            "bytes": len(first.content),
        }
        rows.append(row)
        flag = "" if row["p95_ms"] <= TARGET_MS else f"  ← over {TARGET_MS:.0f} ms"
        print(
            f"  {label:6} {name:30} p50 {row['p50_ms']:7.1f} ms  p95 {row['p95_ms']:7.1f} ms"
            f"  {row['queries']:3} queries  {row['customers shown']:3} customers{flag}"
        )
    return rows


def main() -> None:
    api_bench._environment()
    args = _args()
    db = api_bench.OUT / "guanxi.sqlite3"
    if not db.exists():
        sys.exit(f"No benchmark database at {db}: seed one first with benchmarks/api_bench.py.")
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from guanxi.customers.models import Customer
    from guanxi.sales.models import Order

    call_command("migrate", verbosity=0)  # the workspace's tables, if the seed predates them
    call_command("collectstatic", interactive=False, verbosity=0)  # pages name hashed files
    customers = Customer.objects.count()
    if not customers:
        sys.exit(f"{db} holds no customers: seed it first with benchmarks/api_bench.py.")
    args.reuse = True
    (admin, _password), (sales, _same) = api_bench._users(args)
    rng = random.Random(args.seed)
    print(
        f"Database: {customers:,} customers, {Order.objects.count():,} orders; "
        f"{args.repeat} requests per case, median of {args.rounds} rounds"
    )
    results = []
    for label, user in (("admin", admin), ("sales", sales)):
        client = Client(headers={"accept-language": "zh-hans"})
        user.refresh_from_db()  # _users() set a new password: log in with the current hash
        client.force_login(user)
        results += _measure(args, client, label, _cases(user, rng))
    if args.json:
        args.json.write_text(json.dumps({"web": results}, indent=2))


if __name__ == "__main__":
    main()
