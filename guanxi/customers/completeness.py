"""How complete a customer's record is: a score from 0 to 100 over weighted fields.

The weights live here and nowhere else. The services recompute the score on every write (in
the same transaction); `recompute_range` refreshes many customers at once (the data-quality job
and the data migration that filled existing rows), with the model classes passed in so that a
migration can use its historical models.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connections, transaction
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


LOADED_FIELDS = (
    "kind",
    "display_name",
    "legal_name",
    "short_name",
    "aliases",
    "industry",
    "occupation",
    "region",
    "birthday",
    "gender",
    "identity_code",
    "credit_code",
    "completeness",
    "name_key",
    "pinyin",
    "pinyin_initials",
    "search_text",
)
KEY_FIELDS = ("name_key", "pinyin", "pinyin_initials", "search_text")


def recompute_range(
    *, Customer, ContactPoint, Address, Contact, low: int, high: int, keys=None
) -> int:
    """Recompute the completeness (and, with `keys`, the search keys) of customers with ids in
    [low, high]; a few range queries per batch, whatever its size, and one UPDATE per changed
    row sent with executemany. Returns how many rows changed."""
    customers = list(
        Customer.objects.filter(pk__gte=low, pk__lte=high).only(*LOADED_FIELDS).order_by("pk")
    )
    if not customers:
        return 0
    points: dict[int, list[tuple[str, str]]] = {}
    in_range = {"customer_id__gte": low, "customer_id__lte": high}
    for cid, kind, normalized in ContactPoint.objects.filter(**in_range).values_list(
        "customer_id", "kind", "normalized"
    ):
        points.setdefault(cid, []).append((kind, normalized))

    def counts(qs, key: str) -> dict[int, int]:
        return dict(qs.values(key).annotate(n=Count("id")).values_list(key, "n").order_by())

    addresses = counts(Address.objects.filter(**in_range), "customer_id")
    contacts = counts(
        Contact.objects.filter(organisation_id__gte=low, organisation_id__lte=high),
        "organisation_id",
    )
    tags = counts(Customer.tags.through.objects.filter(**in_range), "customer_id")
    fields = ("completeness", *KEY_FIELDS) if keys is not None else ("completeness",)
    rows: list[list] = []
    for c in customers:
        before = [getattr(c, f) for f in fields]
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
        after = [getattr(c, f) for f in fields]
        if after != before:
            rows.append([*after, c.pk])
    if rows:
        meta = Customer._meta
        connection = connections[Customer.objects.db]
        quote = connection.ops.quote_name
        columns = ", ".join(f"{quote(meta.get_field(f).column)} = %s" for f in fields)
        # Table and column names come from the model, values are parameters.
        sql = f"UPDATE {quote(meta.db_table)} SET {columns} WHERE id = %s"  # noqa: S608
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.executemany(sql, rows)
    return len(rows)


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


def keys_if_changed_by_0007(customer, points):
    """The search keys, for the rows whose keys migration 0007 changes: organisations (new
    legal forms, punctuation and industry words) and names with traditional characters.
    Other people's keys stay what they were, which spares the costly pinyin of most rows."""
    from .normalize import to_simplified

    names = [customer.display_name, customer.legal_name, customer.short_name]
    names += list(customer.aliases or [])
    if customer.kind != "organisation" and all(to_simplified(n or "") == (n or "") for n in names):
        return {}
    return key_function(customer, points)
