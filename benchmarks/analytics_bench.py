"""Full analytics recompute at scale: RFM, value tiers, BG/NBD + Gamma-Gamma fit, lifetime
value, churn risk, lifecycle stages — timed per phase (read aggregates, fit, score, write), the
median of --runs runs.

The database is the one `seed_demo` filled under benchmarks/out20/ (git-ignored):

    GUANXI_VAR_DIR=$PWD/benchmarks/out20 .venv/bin/python manage.py migrate
    GUANXI_VAR_DIR=$PWD/benchmarks/out20 .venv/bin/python manage.py seed_demo \\
        --customers 1000000 --orders 20000000
    .venv/bin/python benchmarks/analytics_bench.py            # 3 runs, medians

The first run on a fresh base also rewrites most customers' stage, status and tier (with their
audit and history rows); it is reported separately and left out of the medians, which measure
the nightly steady state.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "out20"))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--costs", action="store_true", help="time the cost total rebuild too")
    args = parser.parse_args()
    os.environ["GUANXI_VAR_DIR"] = args.out
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from guanxi.analytics import services
    from guanxi.customers.models import Customer

    call_command("migrate", "analytics", verbosity=0)
    print(f"customers: {Customer.objects.count():,}")
    if args.costs:
        t0 = time.perf_counter()
        services.rebuild_costs()
        print(f"cost totals rebuilt from the order lines: {time.perf_counter() - t0:.1f} s")

    runs = []
    for i in range(args.runs + 1):
        t0 = time.perf_counter()
        out = services.recompute_all()
        total = time.perf_counter() - t0
        phases = out["timings"]
        label = "warm-up" if i == 0 else f"run {i}"
        print(
            f"{label}: total {total:.2f} s · "
            + " · ".join(f"{k} {v:.2f} s" for k, v in phases.items())
            + f" · changed customers {out['changed_customers']:,} · warnings {out['warnings']:,}"
        )
        if i > 0:
            runs.append({**phases, "total": total})
    print("median of runs:")
    for key in ("read", "fit", "score", "write", "total"):
        print(f"  {key:6s} {statistics.median(r[key] for r in runs):6.2f} s")
    fit = services.latest_fit()
    print(
        f"fit: r={fit.r:.4g} alpha={fit.alpha:.4g} a={fit.a:.4g} b={fit.b:.4g} "
        f"p={fit.p:.4g} q={fit.q:.4g} gamma={fit.gamma:.4g} converged={fit.converged}"
    )


if __name__ == "__main__":
    main()
