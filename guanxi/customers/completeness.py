"""How complete a customer's record is: a score from 0 to 100 over weighted fields.

The weights live here and nowhere else. The services recompute the score on every write (in
the same transaction); `recompute_range` refreshes many customers at once (the data-quality job
and the data migration that filled existing rows), with the model classes passed in so that a
migration can use its historical models.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count

# (field, weight, kinds it applies to: "" = every customer)
WEIGHTS: tuple[tuple[str, int, str], ...] = (
    ("name", 10, ""),
    ("phone", 20, ""),
    ("email", 10, ""),
    ("address", 10, ""),
    ("industry_or_occupation", 10, ""),
    ("region", 5, ""),
    ("tags", 5, ""),
    ("birthday", 10, "person"),
    ("gender", 5, "person"),
    ("identity_code", 5, "person"),
    ("legal_name", 5, "organisation"),
    ("credit_code", 15, "organisation"),
    ("contacts", 10, "organisation"),
)
PHONE_KINDS = ("mobile", "phone")


@dataclass
class Facts:
    """What the score is computed from; the related facts are counted or listed by the caller."""

    kind: str
    display_name: str = ""
    legal_name: str = ""
    industry: str = ""
    occupation: str = ""
    region: str = ""
    birthday: object = None
    gender: str = ""
    identity_code: str = ""
    credit_code: str = ""
    point_kinds: Iterable[str] = ()
    addresses: int = 0
    tags: int = 0
    contacts: int = 0


def _present(facts: Facts, field: str) -> bool:
    kinds = set(facts.point_kinds)
    if field == "name":
        return bool(facts.display_name)
    if field == "phone":
        return bool(kinds & set(PHONE_KINDS))
    if field == "email":
        return "email" in kinds
    if field == "address":
        return facts.addresses > 0
    if field == "industry_or_occupation":
        return bool(facts.industry or facts.occupation)
    if field in ("tags", "contacts"):
        return getattr(facts, field) > 0
    if field == "addresses":
        return facts.addresses > 0
    return bool(getattr(facts, field))


def score(facts: Facts) -> int:
    """0–100: the weighted share of the fields that apply to this kind of customer and are
    filled in."""
    total = have = 0
    for field, weight, kind in WEIGHTS:
        if kind and kind != facts.kind:
            continue
        total += weight
        if _present(facts, field):
            have += weight
    return round(100 * have / total) if total else 0


def missing(facts: Facts) -> list[str]:
    """The weighted fields that are empty, heaviest first (shown to the user)."""
    rows = [
        (weight, field)
        for field, weight, kind in WEIGHTS
        if (not kind or kind == facts.kind) and not _present(facts, field)
    ]
    return [field for _w, field in sorted(rows, key=lambda r: -r[0])]


def facts_of(customer, *, point_kinds, addresses: int, tags: int, contacts: int) -> Facts:
    return Facts(
        kind=customer.kind,
        display_name=customer.display_name,
        legal_name=customer.legal_name,
        industry=customer.industry,
        occupation=customer.occupation,
        region=customer.region,
        birthday=customer.birthday,
        gender=customer.gender,
        identity_code=customer.identity_code,
        credit_code=customer.credit_code,
        point_kinds=point_kinds,
        addresses=addresses,
        tags=tags,
        contacts=contacts,
    )


def recompute_range(
    *, Customer, ContactPoint, Address, Contact, low: int, high: int, keys=None
) -> int:
    """Recompute the completeness (and, with `keys`, the search keys) of customers with ids in
    [low, high]; a few queries per batch, whatever its size. Returns how many rows changed."""
    customers = list(Customer.objects.filter(pk__gte=low, pk__lte=high).order_by("pk"))
    if not customers:
        return 0
    ids = [c.pk for c in customers]
    points: dict[int, list[tuple[str, str]]] = {}
    for cid, kind, normalized in ContactPoint.objects.filter(customer_id__in=ids).values_list(
        "customer_id", "kind", "normalized"
    ):
        points.setdefault(cid, []).append((kind, normalized))
    addresses = dict(
        Address.objects.filter(customer_id__in=ids)
        .values("customer_id")
        .annotate(n=Count("id"))
        .values_list("customer_id", "n")
    )
    contacts = dict(
        Contact.objects.filter(organisation_id__in=ids)
        .values("organisation_id")
        .annotate(n=Count("id"))
        .values_list("organisation_id", "n")
    )
    through = Customer.tags.through
    tags = dict(
        through.objects.filter(customer_id__in=ids)
        .values("customer_id")
        .annotate(n=Count("id"))
        .values_list("customer_id", "n")
    )
    changed = []
    fields = ["completeness"]
    for c in customers:
        before = (c.completeness, c.name_key, c.pinyin, c.pinyin_initials, c.search_text)
        c.completeness = score(
            facts_of(
                c,
                point_kinds=[k for k, _n in points.get(c.pk, [])],
                addresses=addresses.get(c.pk, 0),
                tags=tags.get(c.pk, 0),
                contacts=contacts.get(c.pk, 0),
            )
        )
        if keys is not None:
            for field, value in keys(c, points.get(c.pk, [])).items():
                setattr(c, field, value)
        if before != (c.completeness, c.name_key, c.pinyin, c.pinyin_initials, c.search_text):
            changed.append(c)
    if keys is not None:
        fields += ["name_key", "pinyin", "pinyin_initials", "search_text"]
    if changed:
        Customer.objects.bulk_update(changed, fields, batch_size=500)
    return len(changed)


def key_function(customer, points):
    """The search keys of a (possibly historical) customer row and its (kind, normalized)
    contact points: keys.search_keys, so that every writer computes them the same way."""
    from .keys import search_keys

    return search_keys(
        kind=customer.kind,
        display_name=customer.display_name,
        legal_name=customer.legal_name,
        short_name=customer.short_name,
        aliases=customer.aliases or [],
        contact_points=points,
    )


def recompute_all(*, keys: bool = False, batch: int = 5000, on_batch=None) -> tuple[int, int]:
    """Recompute every customer (completeness; the search keys too with `keys`) in id ranges,
    one transaction each. `on_batch(done, total)` reports progress. Returns (range size,
    rows changed)."""
    from django.db import transaction
    from django.db.models import Max, Min

    from .models import Address, Contact, ContactPoint, Customer

    bounds = Customer.objects.aggregate(low=Min("id"), high=Max("id"))
    if bounds["low"] is None:
        return 0, 0
    low, high = bounds["low"], bounds["high"]
    changed = 0
    start = low
    while start <= high:
        end = min(start + batch - 1, high)
        with transaction.atomic():
            changed += recompute_range(
                Customer=Customer,
                ContactPoint=ContactPoint,
                Address=Address,
                Contact=Contact,
                low=start,
                high=end,
                keys=key_function if keys else None,
            )
        if on_batch is not None:
            on_batch(end - low + 1, high - low + 1)
        start = end + 1
    return high - low + 1, changed
