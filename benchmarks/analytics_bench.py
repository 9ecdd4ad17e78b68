"""Full analytics recompute at scale: RFM, value tiers, BG/NBD + Gamma-Gamma fit, lifetime
value, churn risk, lifecycle stages — timed per phase (read aggregates, fit, score, write), the
median of --runs runs.

The database is the one `seed_demo` filled under benchmarks/out20/ (git-ignored):

    GUANXI_VAR_DIR=$PWD/benchmarks/out20 .venv/bin/python manage.py migrate
    GUANXI_VAR_DIR=$PWD/benchmarks/out20 .venv/bin/python manage.py seed_demo \\
        --customers 1000000 --orders 20000000
    .venv/bin/python benchmarks/analytics_bench.py            # 3 runs, medians

Every run is the nightly run of a new day: run i scores as of one day after the previous fit
(the latest of the last stored fit and the clock, plus a day), so every buyer's recency, p(alive)
and lifetime value change and every score row is rewritten; the customers that cross a
threshold that day change stage, status or tier (with their audit and history rows), as they do
at night. The first run is a warm-up (on a fresh base it also rewrites most customers' stage,
status and tier); it is reported separately and left out of the medians. Wall and CPU time
(this process) are printed, with the load average.
"""

from __future__ import annotations

import argparse
import datetime as dt
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

    from django.utils import timezone

    runs = []
    for i in range(args.runs + 1):
        last = services.latest_fit()
        day = max(timezone.now(), last.fitted_at if last else timezone.now())
        day += dt.timedelta(days=1)
        load = os.getloadavg()[0]
        t0, c0 = time.perf_counter(), time.process_time()
        out = services.recompute_all(now=day)
        total, cpu = time.perf_counter() - t0, time.process_time() - c0
        phases = out["timings"]
        label = "warm-up" if i == 0 else f"run {i}"
        print(
            f"{label} (as of {day:%Y-%m-%d}, load {load:.2f}): total {total:.2f} s"
            f" (cpu {cpu:.2f} s) · "
            + " · ".join(
                f"{k} {v:.2f} s (cpu {phases[k + '_cpu']:.2f})"
                for k, v in phases.items()
                if not k.endswith("_cpu")
            )
            + f" · changed customers {out['changed_customers']:,} · warnings {out['warnings']:,}"
        )
        if i > 0:
            runs.append({**phases, "total": total, "cpu": cpu})
    print(f"median of runs (load average now {os.getloadavg()[0]:.2f}):")
    for key in ("read", "fit", "score", "write_scores", "write_customers", "write", "total"):
        wall = statistics.median(r[key] for r in runs)
        cpu = statistics.median(r["cpu" if key == "total" else f"{key}_cpu"] for r in runs)
        print(f"  {key:16s} {wall:6.2f} s  cpu {cpu:6.2f} s")
    fit = services.latest_fit()
    print(
        f"fit: r={fit.r:.4g} alpha={fit.alpha:.4g} a={fit.a:.4g} b={fit.b:.4g} "
        f"p={fit.p:.4g} q={fit.q:.4g} gamma={fit.gamma:.4g} converged={fit.converged}"
    )


if __name__ == "__main__":
    main()
