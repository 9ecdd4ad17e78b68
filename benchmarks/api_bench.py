"""REST API latency at scale: seed a big demo base into the benchmark's own SQLite file, then
time the customer endpoints in-process (django.test.Client, so server time without a network).

    python benchmarks/api_bench.py                       # 1M customers, 10M orders
    python benchmarks/api_bench.py --reuse               # measure again without reseeding
    python benchmarks/api_bench.py --customers 50000 --orders 500000 --repeat 100

The database lives under benchmarks/out/ (GUANXI_VAR_DIR), never in the project's var/.
Each case runs --repeat times per round; p50 and p95 are the medians over --rounds rounds.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
OUT = Path(os.environ.get("GUANXI_BENCH_DIR", ROOT / "benchmarks" / "out"))
TARGET_MS = 50.0


def _environment() -> None:
    """Settings read these when they load: set them first."""
    (OUT / "static").mkdir(parents=True, exist_ok=True)  # STATIC_ROOT, or whitenoise warns
    os.environ["GUANXI_VAR_DIR"] = str(OUT)
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("HTTPS", "false")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost")
    os.environ.setdefault("AUTH_THROTTLE_RATE", "1000/minute")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(ROOT))


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=10_000_000)
    parser.add_argument("--interactions", type=int, default=None)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--reuse", action="store_true", help="keep the seeded database")
    parser.add_argument("--repeat", type=int, default=200, help="requests per case and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sales-customers", type=int, default=300)
    parser.add_argument("--explain", action="store_true", help="print each case's query plans")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    return parser.parse_args()


def _seed(args: argparse.Namespace) -> dict[str, float]:
    from django.core.management import call_command

    from guanxi.core import demo

    db = OUT / "guanxi.sqlite3"
    if args.reuse and db.exists():
        from guanxi.customers.models import Customer

        if Customer.objects.exists():
            print(f"Reusing {db.name} ({Customer.objects.count():,} customers)")
            return {}
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    call_command("migrate", verbosity=0)
    print(f"Seeding {args.customers:,} customers and {args.orders:,} orders…")
    result = demo.seed(
        customers=args.customers,
        orders=args.orders,
        interactions=args.interactions,
        seed=args.seed,
    )
    print(f"Seeded {result.rows:,} rows in {result.seconds['total']:.0f} s: {result.seconds}")
    return result.seconds


def _users(args: argparse.Namespace):
    """An administrator and a sales user who owns a few hundred customers."""
    from django.contrib.auth.hashers import make_password

    from guanxi.accounts.models import Role, Team, User
    from guanxi.customers.models import Customer

    password = "bench-" + base64.urlsafe_b64encode(os.urandom(12)).decode()
    hashed = make_password(password)
    admin, _ = User.objects.update_or_create(
        username="bench-admin",
        defaults={"is_superuser": True, "is_staff": True, "role": Role.objects.get(code="admin")},
    )
    team = Team.objects.order_by("pk").first()
    sales, _ = User.objects.update_or_create(
        username="bench-sales", defaults={"role": Role.objects.get(code="sales"), "team": team}
    )
    User.objects.filter(pk__in=[admin.pk, sales.pk]).update(password=hashed)
    owned = Customer.objects.filter(owner=sales).count()
    if owned < args.sales_customers:
        top = Customer.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        rng = random.Random(args.seed)
        ids = rng.sample(range(1, top + 1), min(top, args.sales_customers - owned))
        Customer.objects.filter(pk__in=ids).update(owner=sales, team=team)
    return (admin, password), (sales, password)


def _token(client, username: str, password: str) -> str:
    response = client.post(
        "/api/v1/auth/token/",
        {"username": username, "password": password},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return response.json()["token"]


def _cursor(position: int) -> str:
    """A CursorPagination cursor (ordering -id) that starts below `position`."""
    return base64.b64encode(urlencode({"p": position}).encode()).decode()


def _cases(user, rng: random.Random) -> dict[str, Callable[[int], tuple[str, str, dict | None]]]:
    """Requests per case: i → (method, path, body)."""
    from guanxi.customers import selectors
    from guanxi.customers.models import ContactPoint

    visible = selectors.customer_list(user=user)
    ids = list(visible.order_by("-pk").values_list("pk", flat=True)[:400_000:997])
    if len(ids) < 50:
        ids = list(visible.values_list("pk", flat=True))
    sample = list(
        visible.filter(pk__in=ids).values("pk", "kind", "display_name", "legal_name", "pinyin")
    )
    people = [c for c in sample if c["kind"] == "person" and len(c["display_name"]) == 3] or sample
    orgs = [c for c in sample if c["kind"] == "organisation" and c["legal_name"]] or sample
    mobiles = list(
        ContactPoint.objects.filter(
            customer_id__in=ids, kind="mobile", is_primary=True
        ).values_list("normalized", flat=True)[:200]
    )
    deep = sorted(ids)[len(ids) // 2]
    created = iter(range(10**9))

    def pick(pool: list, i: int):
        return pool[i % len(pool)]

    def org_part(i: int) -> str:
        name = pick(orgs, i)["legal_name"] or pick(orgs, i)["display_name"]
        return name[2:6] if len(name) >= 6 else name

    def spaced(i: int) -> str:
        n = pick(mobiles, i).removeprefix("+86")
        return f"{n[:3]} {n[3:7]} {n[7:]}"

    def create(i: int) -> tuple[str, str, dict]:
        n = next(created)
        mobile = f"139{rng.randrange(10**8):08d}"
        body = {
            "kind": "person",
            "display_name": f"基准测试客户{n}",
            "contact_points": [{"kind": "mobile", "value": mobile}],
        }
        return "post", "/api/v1/customers/", body

    return {
        "list, first page": lambda i: ("get", "/api/v1/customers/", None),
        "list, deep page": lambda i: ("get", f"/api/v1/customers/?cursor={_cursor(deep)}", None),
        "search name (汉字)": lambda i: (
            "get",
            "/api/v1/customers/?" + urlencode({"search": pick(people, i)["display_name"]}),
            None,
        ),
        "search company (汉字)": lambda i: (
            "get",
            "/api/v1/customers/?" + urlencode({"search": org_part(i)}),
            None,
        ),
        "search name (pinyin)": lambda i: (
            "get",
            "/api/v1/customers/?" + urlencode({"search": pick(people, i)["pinyin"]}),
            None,
        ),
        "search phone (138 1234 5678)": lambda i: (
            "get",
            "/api/v1/customers/?" + urlencode({"search": spaced(i)}),
            None,
        ),
        "detail": lambda i: ("get", f"/api/v1/customers/{pick(ids, i)}/", None),
        "create": create,
    }


def _send(client, token: str, request: tuple[str, str, dict | None]):
    method, path, body = request
    headers = {"HTTP_AUTHORIZATION": f"Token {token}"}
    if method == "post":
        return client.post(path, json.dumps(body), content_type="application/json", **headers)
    return client.get(path, **headers)


def _explain(client, token: str, request: tuple[str, str, dict | None]) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        _send(client, token, request)
    for q in queries.captured_queries:
        sql = q["sql"]
        print(f"    {float(q['time']) * 1000:7.1f} ms  {sql[:300]}")
        if sql.lstrip().upper().startswith("SELECT") and connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN QUERY PLAN " + sql)
                for row in cursor.fetchall():
                    print(f"               {row[-1]}")


def _measure(args, client, label: str, token: str, cases) -> list[dict]:
    rows = []
    for name, make in cases.items():
        ok = {200: True, 201: True}
        first = _send(client, token, make(0))
        assert first.status_code in ok, (name, first.status_code, first.content[:500])
        if args.explain:
            print(f"  {label} / {name}: {make(0)[1]}")
            _explain(client, token, make(0))
        for i in range(10):  # warm-up
            _send(client, token, make(i))
        p50s, p95s = [], []
        for _round in range(args.rounds):
            times = []
            for i in range(args.repeat):
                request = make(i)
                start = time.perf_counter()
                response = _send(client, token, request)
                times.append((time.perf_counter() - start) * 1000)
                assert response.status_code in ok, (name, response.status_code)
            times.sort()
            p50s.append(statistics.median(times))
            p95s.append(times[min(len(times) - 1, int(len(times) * 0.95))])
        row = {
            "user": label,
            "case": name,
            "p50_ms": round(statistics.median(p50s), 1),
            "p95_ms": round(statistics.median(p95s), 1),
            "results": len(first.json().get("results", [])) if name != "create" else 1,
        }
        rows.append(row)
        flag = "" if row["p95_ms"] <= TARGET_MS else f"  ← over {TARGET_MS:.0f} ms"
        print(
            f"  {label:6} {name:30} p50 {row['p50_ms']:7.1f} ms  p95 {row['p95_ms']:7.1f} ms{flag}"
        )
    return rows


def main() -> None:
    _environment()
    args = _args()
    import django

    django.setup()
    from django.test import Client

    from guanxi.customers.models import Customer
    from guanxi.sales.models import Order

    seeding = _seed(args)
    (admin, password), (sales, _same) = _users(args)
    client = Client()
    rng = random.Random(args.seed)
    print(
        f"Database: {Customer.objects.count():,} customers, {Order.objects.count():,} orders; "
        f"{args.repeat} requests per case, median of {args.rounds} rounds"
    )
    results = []
    for label, user in (("admin", admin), ("sales", sales)):
        token = _token(client, user.username, password)
        results += _measure(args, client, label, token, _cases(user, rng))
    if args.json:
        args.json.write_text(json.dumps({"seeding": seeding, "api": results}, indent=2))


if __name__ == "__main__":
    main()
