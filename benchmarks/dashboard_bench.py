"""Dashboard latency at scale: the full dashboard JSON (GET /api/v1/dashboard/) for an
administrator (every customer: read from the summary table) and a sales user (their own few
hundred customers: computed live), timed in-process with django.test.Client.

Runs on an existing benchmark database (seeded by api_bench.py) in benchmarks/out/, or the
one given with --out (e.g. the 1M / 20M base of analytics_bench.py in benchmarks/out20/) —
migrate it first; this script never seeds. It rebuilds the dashboard summary once (timed: that
is the job that keeps the administrator's figures fresh), then measures.

    python benchmarks/dashboard_bench.py --repeat 50
    python benchmarks/dashboard_bench.py --out benchmarks/out20 --repeat 50
    python benchmarks/dashboard_bench.py --affinity      # also time the co-occurrence job

p50 and p95 are over --repeat requests per user, after one warm-up request.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from api_bench import _environment

TARGET_MS = 300.0


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--sales-customers", type=int, default=300)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--skip-summary", action="store_true", help="reuse the last summary")
    parser.add_argument("--affinity", action="store_true", help="time compute_affinity too")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=None, help="the database's directory")
    return parser.parse_args()


def main() -> None:
    _environment()
    args = _args()
    if args.out is not None:
        (args.out / "static").mkdir(parents=True, exist_ok=True)
        os.environ["GUANXI_VAR_DIR"] = str(args.out.resolve())
    import django

    django.setup()
    from api_bench import _token, _users
    from django.test import Client

    from guanxi.customers.models import Customer
    from guanxi.reports import services
    from guanxi.sales.models import Order

    out: dict = {
        "customers": Customer.objects.count(),
        "orders": Order.objects.order_by("-pk").values_list("pk", flat=True).first(),
    }
    print(f"customers {out['customers']:,}, orders (max id) {out['orders']:,}")
    (admin, password), (sales, _same) = _users(args)
    if not args.skip_summary:
        started = time.perf_counter()
        run = services.refresh_dashboard_summary()
        out["summary_seconds"] = round(time.perf_counter() - started, 1)
        out["summary_rows"] = run.rows
        print(f"summary job: {out['summary_seconds']} s, {run.rows} cells")
    if args.affinity:
        started = time.perf_counter()
        run = services.compute_affinity()
        out["affinity_seconds"] = round(time.perf_counter() - started, 1)
        out["affinity_rows"] = run.rows
        print(f"affinity job: {out['affinity_seconds']} s, {run.rows} pairs")
    client = Client()
    out["results"] = []
    for label, user in (("admin", admin), ("sales", sales)):
        headers = {"HTTP_AUTHORIZATION": f"Token {_token(client, user.username, password)}"}
        first = client.get("/api/v1/dashboard/", **headers)
        assert first.status_code == 200, first.content[:500]
        charts = len(first.json()["charts"])
        times, cpu = [], []
        for _i in range(args.repeat):
            started, started_cpu = time.perf_counter(), time.process_time()
            response = client.get("/api/v1/dashboard/", **headers)
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
            assert response.status_code == 200
        times.sort()
        p50 = statistics.median(times)
        p95 = times[min(len(times) - 1, round(0.95 * len(times)) - 1)]
        cpu50 = statistics.median(cpu)
        ok = "ok" if p95 <= TARGET_MS else "SLOW"
        print(
            f"{label:6s} {charts} charts  p50 {p50:7.1f} ms  p95 {p95:7.1f} ms"
            f"  cpu p50 {cpu50:7.1f} ms  load {os.getloadavg()[0]:.2f}  {ok}"
        )
        out["results"].append(
            {
                "user": label,
                "charts": charts,
                "p50_ms": round(p50, 1),
                "p95_ms": round(p95, 1),
                "cpu_p50_ms": round(cpu50, 1),
            }
        )
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
