"""Every write of duplicate detection: the thresholds, the scan, the review decisions, merges and
their undo; and the check of a customer about to be saved. Scoring lives in scoring.py."""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import json
import time
from array import array
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.accounts.models import User
from guanxi.accounts.policies import require_admin
from guanxi.audit import services as audit
from guanxi.audit.models import AuditAction
from guanxi.core.errors import ConflictError, PermissionDeniedError
from guanxi.core.versioning import check_version
from guanxi.customers import aggregates, normalize
from guanxi.customers.keys import search_keys
from guanxi.customers.models import (
    PHONE_KINDS,
    Address,
    ContactPoint,
    ContactPointKind,
    Customer,
    code_lookup,
)
from guanxi.customers.policies import may, visible_q
from guanxi.customers.services import CUSTOMER_FIELDS
from guanxi.pool.selectors import pool_list

from . import policies, scoring
from .models import DedupSettings, DuplicatePair, Merge, PairStatus

# --- settings ---------------------------------------------------------------------------------


def get_settings() -> DedupSettings:
    return DedupSettings.objects.get_or_create(pk=1)[0]


@transaction.atomic
def update_settings(*, actor: User, data: dict[str, Any], version: Any) -> DedupSettings:
    require_admin(actor)
    current = DedupSettings.objects.select_for_update().get(pk=get_settings().pk)
    check_version(current, version)
    errors: dict[str, str] = {}
    values: dict[str, float] = {}
    for name in ("review_threshold", "likely_threshold"):
        raw = data.get(name, getattr(current, name))
        try:
            value = float(raw)
        except (TypeError, ValueError):
            errors[name] = _("Enter a number between 0 and 1.")
            continue
        if isinstance(raw, bool) or not 0 < value < 1:
            errors[name] = _("Enter a number between 0 and 1.")
            continue
        values[name] = round(value, 4)
    if not errors and values["likely_threshold"] < values["review_threshold"]:
        errors["likely_threshold"] = _(
            "The likely-duplicate threshold cannot be below the review threshold."
        )
    if errors:
        raise ValidationError(errors)
    before = audit.snapshot(current, ("review_threshold", "likely_threshold"))
    for name, value in values.items():
        setattr(current, name, value)
    changes = audit.diff(before, values)
    if not changes:
        return current
    current.updated_by = actor
    current.version = F("version") + 1
    current.save()
    current.refresh_from_db()
    audit.record(actor=actor, action=AuditAction.UPDATE, instance=current, changes=changes)
    return current


# --- records for scoring ----------------------------------------------------------------------

_CUSTOMER_COLUMNS = (
    "id",
    "kind",
    "display_name",
    "legal_name",
    "short_name",
    "aliases",
    "name_key",
    "pinyin",
    "birthday",
    "identity_code",
    "credit_code",
)


def _rows(qs) -> Iterator[tuple]:
    """The rows of a `values_list` queryset straight from the database cursor: the scan reads
    millions, and the per-row conversions of the ORM would cost more than the scan itself.
    Dates may come as text (SQLite) and JSON as text; `_records` takes both forms."""
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(2000):
            yield from rows


def _records(
    customers: Iterable[tuple],
    points: Iterable[tuple],
    addresses: Iterable[tuple],
    shared: dict | None = None,
) -> dict[int, scoring.Record]:
    """Records from rows of customers, their contact points and addresses; `shared`: a dict
    kept from one batch to the next (the scan), in which dates of birth and the forms of
    names many customers have in common are kept once."""
    if shared is None:
        shared = {}
    phones: dict[int, list[str]] = {}
    emails: dict[int, list[str]] = {}
    email_kind = ContactPointKind.EMAIL.value
    for cid, kind, value in points:
        if kind == email_kind:
            found = emails.get(cid)
            if found is None:
                emails[cid] = [value]
            elif value not in found:
                found.append(value)
        else:
            value = value.partition(";")[0]
            found = phones.get(cid)
            if found is None:
                phones[cid] = [value]
            elif value not in found:
                found.append(value)
    first_address: dict[int, tuple] = {}
    for cid, postcode, city, street, district in addresses:
        if cid not in first_address:
            first_address[cid] = (postcode or "", city or "", f"{street} {district}".strip())
    no_address = ("", "", "")
    prepare, Record = scoring.prepare, scoring.Record
    out: dict[int, scoring.Record] = {}
    for (
        cid,
        kind,
        display,
        legal,
        short,
        aliases,
        name_key,
        py,
        birthday,
        ident,
        credit,
    ) in customers:
        if isinstance(aliases, str):
            aliases = json.loads(aliases) if aliases != "[]" else None
        if legal or short or aliases:
            names = tuple(n for n in (display, legal, short, *(aliases or ())) if n)
        else:
            names = (display,) if display else ()
        if isinstance(birthday, str):
            day = shared.get(birthday)
            if day is None:
                day = shared[birthday] = dt.date.fromisoformat(birthday)
            birthday = day
        postcode, city, street = first_address.get(cid, no_address)
        out[cid] = prepare(
            Record(
                cid,
                kind,
                names,
                name_key,
                py,
                birthday,
                ident or "",
                credit or "",
                tuple(phones[cid]) if cid in phones else (),
                tuple(emails[cid]) if cid in emails else (),
                postcode,
                city,
                street,
            ),
            cleaned=True,
            shared=shared,
        )
    return out


def _point_rows(qs) -> Iterator[tuple]:
    return _rows(
        qs.filter(kind__in=[*PHONE_KINDS, ContactPointKind.EMAIL])
        .order_by()
        .values_list("customer_id", "kind", "normalized")
    )


def _address_rows(qs) -> Iterator[tuple]:
    return _rows(
        qs.order_by("customer_id", "-is_primary", "id").values_list(
            "customer_id", "postcode", "city", "street", "district"
        )
    )


def load_records(ids: Iterable[int]) -> dict[int, scoring.Record]:
    """Records of these live customers (at most a few thousand ids per call)."""
    ids = sorted(set(ids))
    out: dict[int, scoring.Record] = {}
    for start in range(0, len(ids), 900):
        chunk = ids[start : start + 900]
        customers = _rows(
            Customer.objects.filter(pk__in=chunk, deleted_at__isnull=True)
            .order_by()
            .values_list(*_CUSTOMER_COLUMNS)
        )
        points = _point_rows(ContactPoint.objects.filter(customer_id__in=chunk))
        addresses = _address_rows(Address.objects.filter(customer_id__in=chunk))
        out.update(_records(customers, points, addresses))
    return out


def _records_in_range(low: int, high: int, shared: dict | None = None) -> dict[int, scoring.Record]:
    customers = _rows(
        Customer.objects.filter(pk__gte=low, pk__lte=high, deleted_at__isnull=True)
        .order_by()
        .values_list(*_CUSTOMER_COLUMNS)
    )
    points = _point_rows(ContactPoint.objects.filter(customer_id__gte=low, customer_id__lte=high))
    addresses = _address_rows(Address.objects.filter(customer_id__gte=low, customer_id__lte=high))
    return _records(customers, points, addresses, shared)


def record_from_data(data: dict[str, Any]) -> scoring.Record:
    """A record from the data of a customer about to be created or changed (the body of a
    create). Values that do not parse (a half-typed phone) are left out, not refused: this is
    a check, the save validates."""
    kind = data.get("kind") or "person"
    display = normalize.clean_text(str(data.get("display_name") or ""))
    legal = normalize.clean_text(str(data.get("legal_name") or ""))
    short = normalize.clean_text(str(data.get("short_name") or ""))
    aliases = [normalize.clean_text(str(a)) for a in data.get("aliases") or [] if a]
    display = display or legal or short
    keys = search_keys(
        kind=kind, display_name=display, legal_name=legal, short_name=short, aliases=aliases
    )
    phones: set[str] = set()
    emails: set[str] = set()
    for point in data.get("contact_points") or []:
        if not isinstance(point, dict):
            continue
        value = str(point.get("value") or "")
        try:
            if point.get("kind") in PHONE_KINDS:
                phones.add(normalize.normalize_phone(value).split(";")[0])
            elif point.get("kind") == ContactPointKind.EMAIL:
                emails.add(normalize.normalize_email(value))
        except ValidationError:
            continue
    address = next((a for a in data.get("addresses") or [] if isinstance(a, dict)), {})
    birthday = data.get("birthday")
    if isinstance(birthday, str):
        try:
            birthday = dt.date.fromisoformat(birthday)
        except ValueError:
            birthday = None
    if not isinstance(birthday, dt.date):
        birthday = None
    credit = normalize.compact_credit_code(str(data.get("credit_code") or ""))
    street = f"{address.get('street') or ''} {address.get('district') or ''}".strip()
    return scoring.prepare(
        scoring.Record(
            id=None,
            kind=kind,
            names=tuple(n for n in (display, legal, short, *aliases) if n),
            name_key=keys["name_key"],
            pinyin=keys["pinyin"],
            birthday=birthday,
            identity_code=normalize.clean_text(str(data.get("identity_code") or "")),
            credit_code=credit,
            phones=frozenset(phones),
            emails=frozenset(emails),
            postcode=normalize.clean_text(str(address.get("postcode") or "")),
            city=str(address.get("city") or ""),
            street=street,
        )
    )


# --- the check before saving ------------------------------------------------------------------

CHECK_LIMIT = 200
CHECK_RESULTS = 10


def _candidate_ids(record: scoring.Record, exclude_id: int | None) -> set[int]:
    """Customers that share an indexed key with the record: phones, e-mails, codes, name keys,
    pinyin. Each lookup is bounded."""
    live = Customer.objects.filter(deleted_at__isnull=True)
    found: set[int] = set()
    values = [*record.phones, *record.emails]
    if values:
        found |= set(
            ContactPoint.objects.filter(
                normalized__in=values + [f"{p};" for p in record.phones],
                customer__deleted_at__isnull=True,
            ).values_list("customer_id", flat=True)[:CHECK_LIMIT]
        )
        phone_prefix = Q()
        for phone in record.phones:
            phone_prefix |= Q(normalized__startswith=f"{phone};")
        if record.phones:
            found |= set(
                ContactPoint.objects.filter(phone_prefix).values_list("customer_id", flat=True)[
                    :CHECK_LIMIT
                ]
            )
    for code_field in ("identity_code", "credit_code"):
        code = getattr(record, code_field)
        if code:
            same_code = live.filter(code_lookup(code_field, [code]))
            found |= set(same_code.values_list("id", flat=True)[:CHECK_LIMIT])
    name_keys = {record.name_key, *(normalize.text_key(n) for n in record.names[1:])} - {""}
    if name_keys:
        found |= set(live.filter(name_key__in=name_keys).values_list("id", flat=True)[:CHECK_LIMIT])
    if record.pinyin:
        found |= set(live.filter(pinyin=record.pinyin).values_list("id", flat=True)[:CHECK_LIMIT])
    found.discard(exclude_id)
    return found


def find_duplicates(record: scoring.Record, *, exclude_id: int | None = None) -> list[tuple]:
    """(customer id, Score) of saved customers that may be the same as `record`, best first,
    at or above the review threshold."""
    threshold = get_settings().review_threshold
    keys = scoring.block_keys(record)
    candidates = load_records(_candidate_ids(record, exclude_id))
    out = []
    for cid, other in candidates.items():
        if not keys & scoring.block_keys(other):
            continue
        result = scoring.score_at_least(record, other, threshold)
        if result is not None:
            out.append((cid, result))
    out.sort(key=lambda item: (-item[1].score, item[0]))
    return out[:CHECK_RESULTS]


def _refused_by(data: dict[str, Any], record: scoring.Record, exclude_id: int | None) -> set[int]:
    """Customers the customers service would refuse this save for, whatever its score: the
    same unified social credit code, or a phone number or e-mail address the administrator
    made unique (a shared family phone scores low, yet the save is refused)."""
    from guanxi.customers.models import ContactKeyKind, UniqueContactKey
    from guanxi.quality import rules as quality_rules

    found: set[int] = set()
    if record.credit_code:
        found |= set(
            Customer.objects.filter(
                code_lookup("credit_code", [record.credit_code]), deleted_at__isnull=True
            ).values_list("id", flat=True)[:CHECK_RESULTS]
        )
    rules = quality_rules.current()
    keys = Q()
    for point in data.get("contact_points") or []:
        if not isinstance(point, dict):
            continue
        value = normalize.clean_text(str(point.get("value") or ""))
        try:
            if point.get("kind") in PHONE_KINDS and rules.unique_phone:
                keys |= Q(kind=ContactKeyKind.PHONE, normalized=normalize.normalize_phone(value))
            elif point.get("kind") == ContactPointKind.EMAIL and rules.unique_email:
                keys |= Q(kind=ContactKeyKind.EMAIL, normalized=normalize.normalize_email(value))
        except ValidationError:
            continue
    if keys:
        found |= set(
            UniqueContactKey.objects.filter(keys).values_list(
                "contact_point__customer_id", flat=True
            )[:CHECK_RESULTS]
        )
    found.discard(exclude_id)
    return found


def _dismissed_partners(customer_id: int) -> set[int]:
    """The customers a dismissed pair says `customer_id` is not a duplicate of."""
    pairs = DuplicatePair.objects.filter(status=PairStatus.DISMISSED).filter(
        Q(customer_a_id=customer_id) | Q(customer_b_id=customer_id)
    )
    return {
        b if a == customer_id else a for a, b in pairs.values_list("customer_a_id", "customer_b_id")
    }


def check_duplicates(
    *, actor: User, data: dict[str, Any], exclude_id: int | None = None
) -> list[dict[str, Any]]:
    """What saving `data` would collide with, as the user may see it: a customer the user may
    see comes with its id and name; one they may not see only as "a matching customer exists"
    with its score and reasons (which carry no personal value). `refused` marks a customer
    the save would be refused for (same credit code, or a phone or e-mail made unique), listed
    first whatever its score."""
    if not (may(actor, "create") or may(actor, "change")):
        raise PermissionDeniedError()
    # Only a customer the user may see can be the one being edited.
    if (
        exclude_id is not None
        and not Customer.objects.filter(visible_q(actor), pk=exclude_id).exists()
    ):
        raise ValidationError({"id": _("There is no such customer.")})
    record = record_from_data(data)
    found = find_duplicates(record, exclude_id=exclude_id)
    refused = _refused_by(data, record, exclude_id)
    if exclude_id is not None:
        # A pair someone dismissed as "not a duplicate" is not raised again when either of
        # its customers is edited (unless the save would be refused anyway).
        different = _dismissed_partners(exclude_id) - refused
        found = [(cid, result) for cid, result in found if cid not in different]
    missing = refused - {cid for cid, _s in found}
    for cid, other in load_records(missing).items():
        found.append((cid, scoring.score_pair(record, other)))
    found.sort(key=lambda item: (item[0] not in refused, -item[1].score, item[0]))
    if not found:
        return []
    likely = get_settings().likely_threshold
    visible = dict(
        Customer.objects.filter(visible_q(actor), pk__in=[cid for cid, _s in found]).values_list(
            "id", "display_name"
        )
    )
    # A customer without an owner in the user's pool is no other team's: the user may claim
    # it instead of adding it twice, and the pool already shows them its name.
    pooled = dict(
        pool_list(user=actor)
        .filter(pk__in=[cid for cid, _s in found if cid not in visible])
        .values_list("id", "display_name")
    )
    out = []
    for cid, result in found:
        entry: dict[str, Any] = {
            "score": result.score,
            "likely": result.score >= likely,
            "reasons": scoring.public_reasons(result.reasons),
            "refused": cid in refused,
            "in_pool": cid in pooled,
        }
        if cid in visible:
            entry.update(visible=True, id=cid, display_name=visible[cid])
        elif cid in pooled:
            entry.update(
                visible=False,
                id=cid,
                display_name=pooled[cid],
                message=_("It is in the public pool: claim it rather than adding it again."),
            )
        else:
            entry.update(
                visible=False,
                id=None,
                display_name=None,
                message=_("A matching customer exists, owned by another team or user."),
            )
        out.append(entry)
    return out


# --- the scan ---------------------------------------------------------------------------------

SCAN_BATCH = 50_000
# The two low bits of a key's hash carry its kind, which sets its bucket limit.
_KIND_BITS = {
    scoring.MAX_BLOCK_SIZE: 0,
    scoring.MAX_STRONG_BLOCK_SIZE: 1,
    scoring.MAX_NAME_BLOCK_SIZE: 2,
}
_LIMITS = np.array(
    [scoring.MAX_BLOCK_SIZE, scoring.MAX_STRONG_BLOCK_SIZE, scoring.MAX_NAME_BLOCK_SIZE, 0]
)
_HASH_MASK = 0x3FFF_FFFF_FFFF_FFFC


def _pairs_from_hashes(hashes: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, int]:
    """Unique (low, high) id pairs of ids that share a key hash, buckets over the size limit
    left out; and how many buckets were left out."""
    if not len(hashes):
        return np.empty((0, 2), dtype=np.int64), 0
    # Buckets first, from the hashes alone (sorting numbers alone is fast); then only the keys
    # in a bucket of a usable size are sorted with their ids (most keys are in no bucket).
    ordered = np.sort(hashes)
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    sizes = np.diff(np.r_[starts, len(ordered)])
    limits = _LIMITS[ordered[starts] & 3]
    usable = (sizes >= 2) & (sizes <= limits)
    skipped = int((sizes > limits).sum())
    wanted = ordered[starts[usable]]
    del ordered
    if not len(wanted):
        return np.empty((0, 2), dtype=np.int64), skipped
    # Which keys are in such a bucket: a table indexed by hash bits rules most keys out at
    # once; the few left are looked up among the wanted hashes (a binary search of every key
    # would jump around memory millions of times).
    bits = min(27, max(10, (32 * len(wanted)).bit_length()))
    table = np.zeros(1 << bits, dtype=bool)
    slot_mask = (1 << bits) - 1
    table[(wanted >> 2) & slot_mask] = True
    maybe = np.flatnonzero(table[(hashes >> 2) & slot_mask])
    del table
    at = np.minimum(np.searchsorted(wanted, hashes[maybe]), len(wanted) - 1)
    keep = maybe[wanted[at] == hashes[maybe]]
    hashes, ids = hashes[keep], ids[keep]
    order = np.argsort(hashes)
    hashes, ids = hashes[order], ids[order]
    starts = np.flatnonzero(np.r_[True, hashes[1:] != hashes[:-1]])
    sizes = np.diff(np.r_[starts, len(hashes)])
    chunks: list[np.ndarray] = []
    for size in np.unique(sizes):
        group_starts = starts[sizes == size]
        members = ids[group_starts[:, None] + np.arange(size)]  # (groups, size)
        i, j = np.triu_indices(size, k=1)
        a, b = members[:, i].ravel(), members[:, j].ravel()
        chunks.append(np.stack([np.minimum(a, b), np.maximum(a, b)], axis=1))
    pairs = np.concatenate(chunks)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    top = int(pairs.max()) + 1
    if top < 2**31:
        # One number per pair: unique over numbers is much faster than over rows.
        codes = np.unique(pairs[:, 0] * top + pairs[:, 1])
        return np.stack([codes // top, codes % top], axis=1), skipped
    return np.unique(pairs, axis=0), skipped


@contextlib.contextmanager
def _without_gc() -> Iterator[None]:
    """The cyclic garbage collector off: the scan makes millions of objects, none in a cycle,
    and each collection would walk all those it holds."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def scan(*, progress=None) -> dict[str, Any]:
    """Score every pair of live customers that shares a blocking key; store those at or above
    the review threshold as open pairs (a pair dismissed as not a duplicate keeps that status,
    with its new score), and drop open pairs that no longer qualify.

    Each customer is read once, in batches of ids: its record is kept and its blocking keys
    are kept as hashes beside its id. The pairs come from the hashes (numpy); the records in
    no pair are let go, and each pair is scored with the scorer of the check before saving
    (`scoring.score_at_least`). Progress: reading is the first half, scoring the second."""
    started_at = timezone.now()
    clock, cpu = time.perf_counter(), time.process_time()
    bounds = Customer.objects.filter(deleted_at__isnull=True).order_by("pk")
    low = bounds.values_list("pk", flat=True).first()
    high = bounds.reverse().values_list("pk", flat=True).first()
    result: dict[str, Any] = {"customers": 0, "candidates": 0, "pairs": 0, "skipped_blocks": 0}
    if low is None:
        DuplicatePair.objects.filter(status=PairStatus.OPEN).delete()
        return result
    span = high - low + 1
    if progress is not None:
        progress.set_total(2 * span)
    with _without_gc():
        records, pairs = _blocks(low, high, result, progress)
        result["blocking_seconds"] = round(time.perf_counter() - clock, 2)
        result["blocking_cpu_seconds"] = round(time.process_time() - cpu, 2)
        threshold = get_settings().review_threshold
        score_at_least = scoring.score_at_least
        found: list[DuplicatePair] = []
        step = max(1, len(pairs) // 20)
        for start in range(0, len(pairs), step):
            for a, b in pairs[start : start + step].tolist():
                scored = score_at_least(records[a], records[b], threshold)
                if scored is not None:
                    found.append(
                        DuplicatePair(
                            customer_a_id=a,
                            customer_b_id=b,
                            score=scored.score,
                            reasons=scored.reasons,
                            scanned_at=started_at,
                        )
                    )
            if progress is not None:
                done = min(start + step, len(pairs))
                progress.advance_to(span + span * done // len(pairs), force=True)
        del records, pairs
    result["scoring_seconds"] = round(time.perf_counter() - clock - result["blocking_seconds"], 2)
    with transaction.atomic():
        for start in range(0, len(found), 5000):
            DuplicatePair.objects.bulk_create(
                found[start : start + 5000],
                update_conflicts=True,
                unique_fields=["customer_a", "customer_b"],
                update_fields=["score", "reasons", "scanned_at"],
            )
        DuplicatePair.objects.filter(status=PairStatus.OPEN, scanned_at__lt=started_at).delete()
    result["pairs"] = len(found)
    result["seconds"] = round(time.perf_counter() - clock, 2)
    result["cpu_seconds"] = round(time.process_time() - cpu, 2)
    if progress is not None:
        progress.advance_to(2 * span, force=True)
    return result


def _blocks(
    low: int, high: int, result: dict[str, Any], progress
) -> tuple[dict[int, scoring.Record], np.ndarray]:
    """The scan's first half: the records of the customers in a candidate pair, and the
    candidate pairs ((low id, high id) rows)."""
    records: dict[int, scoring.Record] = {}
    hash_parts: list[np.ndarray] = []
    id_parts: list[np.ndarray] = []
    key_sets = scoring.block_key_sets
    shared: dict = {}  # values many customers have in common, kept once
    kinds = (
        _KIND_BITS[scoring.MAX_STRONG_BLOCK_SIZE],
        _KIND_BITS[scoring.MAX_NAME_BLOCK_SIZE],
        _KIND_BITS[scoring.MAX_BLOCK_SIZE],
    )
    for start in range(low, high + 1, SCAN_BATCH):
        end = min(start + SCAN_BATCH - 1, high)
        batch = _records_in_range(start, end, shared)
        records.update(batch)
        ids = np.fromiter(batch, dtype=np.int64, count=len(batch))
        # Per kind of key: the keys' hashes (machine integers, no Python objects), and how
        # many keys each customer has.
        hashes = (array("q"), array("q"), array("q"))
        counts = (array("q"), array("q"), array("q"))
        for record in batch.values():
            for keys, kind_hashes, kind_counts in zip(
                key_sets(record), hashes, counts, strict=True
            ):
                kind_hashes.extend(map(hash, keys))
                kind_counts.append(len(keys))
        for kind_hashes, kind_counts, bits in zip(hashes, counts, kinds, strict=True):
            # The key's hash with its kind in the two low bits.
            hash_parts.append(np.frombuffer(kind_hashes, dtype=np.int64) & _HASH_MASK | bits)
            id_parts.append(np.repeat(ids, np.frombuffer(kind_counts, dtype=np.int64)))
        del batch, hashes, counts
        if progress is not None:
            progress.advance_to(end - low + 1, force=True)
    pairs, skipped = _pairs_from_hashes(np.concatenate(hash_parts), np.concatenate(id_parts))
    del hash_parts, id_parts
    result.update(customers=len(records), candidates=len(pairs), skipped_blocks=skipped)
    return {cid: records[cid] for cid in np.unique(pairs).tolist()}, pairs


def open_pairs_above(threshold: float) -> list[tuple[int, int]]:
    """(low id, high id) of the open pairs at or above a score (for the benchmark)."""
    return list(
        DuplicatePair.objects.filter(status=PairStatus.OPEN, score__gte=threshold).values_list(
            "customer_a_id", "customer_b_id"
        )
    )


@transaction.atomic
def start_scan(*, actor: User):
    """Start the scan of the whole base as a background job (policies.may_scan), unless one
    is already under way: a second click, or a colleague's, would scan everything twice."""
    from guanxi.jobs.services import refuse_if_under_way, start_job

    if not policies.may_scan(actor):
        raise PermissionDeniedError()
    refuse_if_under_way(
        "dedup.scan",
        _(
            "A scan of the whole base is already under way (started %(ago)s ago); new "
            "pairs appear in the queue when it finishes."
        ),
    )
    return start_job(kind="dedup.scan", actor=actor)


# --- review decisions -------------------------------------------------------------------------


@transaction.atomic
def dismiss_pair(*, actor: User, pair: DuplicatePair, version: Any) -> DuplicatePair:
    """Mark a pair "not a duplicate": later scans do not raise it again."""
    locked = DuplicatePair.objects.select_for_update().get(pk=pair.pk)
    check_version(locked, version)
    if not policies.may_decide(actor, locked):
        raise PermissionDeniedError()
    if locked.status != PairStatus.OPEN:
        raise ValidationError({"status": _("This pair has already been decided.")})
    DuplicatePair.objects.filter(pk=locked.pk).update(
        status=PairStatus.DISMISSED,
        decided_at=timezone.now(),
        decided_by=actor,
        version=F("version") + 1,
    )
    locked.refresh_from_db()
    audit.record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=locked,
        changes={"status": [PairStatus.OPEN, PairStatus.DISMISSED]},
    )
    return locked


# --- merge and undo ---------------------------------------------------------------------------

# Fields whose winner the user chooses: those a user sets on a customer, but the aliases, which
# a merge gathers from both; everything else is kept by the system.
MERGE_FIELDS = tuple(f for f in CUSTOMER_FIELDS if f != "aliases")
# Fields the merge also changes and the undo restores.
TRACKED_FIELDS = (*MERGE_FIELDS, "aliases", "name_key", "pinyin", "pinyin_initials", "search_text")
# Relations that belong to duplicate detection itself and do not move.
_NOT_MOVED = {"dedup.duplicatepair", "dedup.merge"}


def _rescore(customer_ids: list[int]) -> None:
    """Orders moved with the merge (or back with its undo): the value scores and cost totals of
    both customers are recomputed once the transaction commits (guanxi.analytics)."""
    if apps.is_installed("guanxi.analytics"):
        from guanxi.analytics.services import on_orders_changed

        on_orders_changed(customer_ids)


def _reverse_relations():
    """Every foreign key to Customer from another record (one-to-many), and many-to-many
    through tables, whatever app defines them; one-to-one rows (a score per customer) are
    recomputed, not moved."""
    for rel in Customer._meta.get_fields(include_hidden=True):
        if not rel.auto_created or rel.concrete:
            continue
        model = rel.related_model
        if model._meta.label_lower in _NOT_MOVED or rel.one_to_one:
            continue
        if rel.many_to_many:
            continue  # handled through their through table's foreign key below
        if rel.one_to_many:
            yield model, rel.field


# Rows that are the same thing when these fields agree: the loser's copy stays behind rather
# than giving the survivor the same phone number twice.
_SAME_WHEN = {ContactPoint: ("kind", "normalized")}


def _unique_sets(model, field) -> list[tuple[str, ...]]:
    """Sets of fields unique together that include `field` (besides it)."""
    sets: list[tuple[str, ...]] = []
    if model in _SAME_WHEN:
        sets.append(_SAME_WHEN[model])
    if field.unique:
        sets.append(())
    for together in model._meta.unique_together:
        if field.name in together:
            sets.append(tuple(f for f in together if f != field.name))
    for constraint in model._meta.constraints:
        fields = getattr(constraint, "fields", None) or ()
        if field.name in fields:
            sets.append(tuple(f for f in fields if f != field.name))
    return sets


def _move_rows(survivor: Customer, loser: Customer) -> tuple[dict[str, list], dict[str, int]]:
    """Point every row of the loser at the survivor; rows that would clash with a row of the
    survivor under a uniqueness rule (a share with the same user) stay with the loser. Returns
    the ids moved per relation and the count left behind per relation."""
    moved: dict[str, list] = {}
    kept: dict[str, int] = {}
    for model, field in _reverse_relations():
        label = f"{model._meta.label_lower}.{field.name}"
        manager = model._base_manager
        qs = manager.filter(**{field.attname: loser.pk})
        if model is Customer:
            qs = qs.exclude(pk=survivor.pk)
        all_clash = False
        clash: Q | None = None
        for others in _unique_sets(model, field):
            survivor_rows = manager.filter(**{field.attname: survivor.pk})
            if not others:
                all_clash = all_clash or survivor_rows.exists()
                continue
            for values in survivor_rows.values_list(*others):
                if any(v is None for v in values):
                    continue  # NULLs never clash under a unique constraint
                q = Q(**dict(zip(others, values, strict=True)))
                clash = q if clash is None else clash | q
        if all_clash:
            left_ids = set(qs.values_list("pk", flat=True))
        elif clash is not None:
            left_ids = set(qs.filter(clash).values_list("pk", flat=True))
        else:
            left_ids = set()
        ids = [pk for pk in qs.values_list("pk", flat=True) if pk not in left_ids]
        for start in range(0, len(ids), 900):
            manager.filter(pk__in=ids[start : start + 900]).update(**{field.attname: survivor.pk})
        if ids:
            moved[label] = ids
        if left_ids:
            kept[label] = len(left_ids)
    return moved, kept


def _field_value(customer: Customer, name: str) -> Any:
    field = Customer._meta.get_field(name)
    return getattr(customer, getattr(field, "attname", name))


def _clean_choices(choices: Any) -> dict[str, str]:
    if choices in (None, ""):
        return {}
    if not isinstance(choices, dict):
        raise ValidationError({"choices": _("Choose, for each field, which record's value wins.")})
    errors: dict[str, str] = {}
    out: dict[str, str] = {}
    for name, side in choices.items():
        if name not in MERGE_FIELDS:
            errors[f"choices.{name}"] = _("This field cannot be chosen in a merge.")
        elif side not in ("survivor", "loser"):
            errors[f"choices.{name}"] = _("Choose “survivor” or “loser”.")
        else:
            out[name] = side
    if errors:
        raise ValidationError(errors)
    return out


def _lock_pair(a: int, b: int) -> tuple[Customer, Customer]:
    """Both customers locked, in id order (no deadlock between two merges)."""
    rows = {
        c.pk: c
        for c in Customer.objects.select_for_update()
        .filter(pk__in=sorted((a, b)), deleted_at__isnull=True)
        .order_by("pk")
    }
    if a not in rows or b not in rows:
        raise Customer.DoesNotExist
    return rows[a], rows[b]


@transaction.atomic
def merge_customers(
    *,
    actor: User,
    survivor: Customer,
    loser: Customer,
    choices: Any = None,
    survivor_version: Any,
    loser_version: Any,
) -> Merge:
    """Merge `loser` into `survivor`: the chosen field values, every related row, tags and the
    loser's names (as aliases) go to the survivor; the loser goes to the recycle bin marked as
    merged. `survivor` and `loser` must come from a selector for `actor`."""
    if survivor.pk == loser.pk:
        raise ValidationError({"loser": _("A customer cannot be merged with itself.")})
    choices = _clean_choices(choices)
    s, lo = _lock_pair(survivor.pk, loser.pk)
    errors = {}
    for name, record, version in (("survivor", s, survivor_version), ("loser", lo, loser_version)):
        try:
            check_version(record, version)
        except ValidationError:
            errors[f"{name}_version"] = _("Send the version of the record you merged.")
    if errors:
        raise ValidationError(errors)
    if not policies.may_merge(actor, s, lo):
        raise PermissionDeniedError()
    if lo.kind != s.kind and choices.get("kind") is None:
        # Different kinds merge only when the user says which kind wins.
        raise ValidationError(
            {"choices.kind": _("The customers are of different kinds: choose which kind wins.")}
        )
    before = {name: audit._jsonable(_field_value(s, name)) for name in TRACKED_FIELDS}
    own_names = (s.display_name, s.legal_name, s.short_name)
    for name, side in choices.items():
        if side == "loser":
            setattr(s, Customer._meta.get_field(name).attname, _field_value(lo, name))
    if s.referred_by_id in (s.pk, lo.pk):
        s.referred_by_id = None if lo.referred_by_id == s.pk else lo.referred_by_id
    if s.kind == "organisation":
        s.gender, s.birthday = "", None
    # Every name either record had stays: the kept record's names that the merged one's
    # replaced, and the merged record's names, become aliases.
    # Names are kept as written: one that differs from another only in width, case or
    # traditional / simplified form is the same name (normalize.text_key), as the customer
    # services keep aliases.
    aliases = list(s.aliases or [])
    seen = {normalize.text_key(n) for n in (*aliases, s.display_name, s.legal_name, s.short_name)}
    for name in (
        *own_names,
        lo.display_name,
        lo.legal_name,
        lo.short_name,
        *(lo.aliases or []),
    ):
        key = normalize.text_key(name or "")
        if key and key not in seen:
            seen.add(key)
            aliases.append(name)
    s.aliases = aliases[:20]
    if s.credit_code:
        clash = Customer.objects.filter(
            code_lookup("credit_code", [s.credit_code]), deleted_at__isnull=True
        )
        if clash.exclude(pk__in=(s.pk, lo.pk)).exists():
            raise ValidationError(
                {"credit_code": _("Another customer already has this unified social credit code.")}
            )
    moved, kept = _move_rows(s, lo)
    survivor_tags = set(s.tags.values_list("pk", flat=True))
    added_tags = [t for t in lo.tags.values_list("pk", flat=True) if t not in survivor_tags]
    s.tags.add(*added_tags)
    points = list(s.contact_points.all())
    s.__dict__.update(
        search_keys(
            kind=s.kind,
            display_name=s.display_name,
            legal_name=s.legal_name,
            short_name=s.short_name,
            aliases=s.aliases,
            contact_points=[(p.kind, p.normalized) for p in points],
        )
    )
    # Primary contact points and addresses: the survivor's stay primary.
    for model in (ContactPoint, Address):
        label = f"customers.{model.__name__.lower()}.customer"
        if (
            moved.get(label)
            and model.objects.filter(customer=s, is_primary=True)
            .exclude(pk__in=moved[label])
            .exists()
        ):
            model.objects.filter(pk__in=moved[label], is_primary=True).update(is_primary=False)
    s.version = F("version") + 1
    s.save()
    s.refresh_from_db()
    after = {name: audit._jsonable(_field_value(s, name)) for name in TRACKED_FIELDS}
    changed = {k for k in TRACKED_FIELDS if before[k] != after[k]}
    now = timezone.now()
    Customer.objects.filter(pk=lo.pk).update(
        deleted_at=now, deleted_by=actor, version=F("version") + 1
    )
    aggregates.refresh_all([s.pk, lo.pk])
    _rescore([s.pk, lo.pk])
    merge = Merge.objects.create(
        survivor=s,
        loser=lo,
        survivor_name=s.display_name,
        loser_name=lo.display_name,
        choices=choices,
        before={k: before[k] for k in changed},
        after={k: after[k] for k in changed},
        moved=moved,
        added_tags=added_tags,
        created_by=actor,
    )
    DuplicatePair.objects.filter(
        customer_a_id=min(s.pk, lo.pk), customer_b_id=max(s.pk, lo.pk)
    ).update(status=PairStatus.MERGED, decided_at=now, decided_by=actor, version=F("version") + 1)
    moved_counts = {label: len(ids) for label, ids in moved.items()}
    winners = {name: side for name, side in choices.items() if side == "loser"}
    survivor_changes = {k: [before[k], after[k]] for k in sorted(changed)}
    survivor_changes.update(
        {
            "merged_from": [None, lo.pk],
            "merge": [None, merge.pk],
            "fields_from_merged": [None, winners],
            "moved": [None, moved_counts],
        }
    )
    if kept:
        survivor_changes["left_with_merged"] = [None, kept]
    for key in ("search_text", "pinyin", "pinyin_initials", "name_key"):
        survivor_changes.pop(key, None)
    audit.record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=s,
        changes=survivor_changes,
        customer_id=s.pk,
    )
    audit.record(
        actor=actor,
        action=AuditAction.DELETE,
        instance=lo,
        changes={
            "deleted_at": [None, now.isoformat()],
            "merged_into": [None, s.pk],
            "merge": [None, merge.pk],
            "moved": [None, moved_counts],
        },
        customer_id=lo.pk,
    )
    return merge


def refuse_restore_of_merged(customer: Customer) -> None:
    """A customer merged into another comes back only by undoing the merge (a restore guard of
    the customer services)."""
    if Merge.objects.filter(loser=customer, undone_at__isnull=True).exists():
        raise ValidationError(
            _("This customer was merged into another customer; undo the merge to bring it back.")
        )


@transaction.atomic
def undo_merge(*, actor: User, merge: Merge) -> Merge:
    """Undo a merge: the survivor's fields as they were, the moved rows back to the merged
    customer, which comes back from the recycle bin.

    Refused (ConflictError) when a field the merge changed has been changed on the survivor
    since, because restoring it would overwrite that later change; edits to other fields are
    kept. Rows moved by the merge that were deleted or moved elsewhere since stay where they
    are. Refused as well when either customer is gone (purged, or the survivor merged away)."""
    locked = Merge.objects.select_for_update().get(pk=merge.pk)
    if locked.undone_at is not None:
        raise ValidationError({"merge": _("This merge has already been undone.")})
    if locked.survivor_id is None or locked.loser_id is None:
        raise ValidationError(
            {"merge": _("One of the customers no longer exists; the merge cannot be undone.")}
        )
    rows = {
        c.pk: c
        for c in Customer.objects.select_for_update()
        .filter(pk__in=sorted((locked.survivor_id, locked.loser_id)))
        .order_by("pk")
    }
    s, lo = rows[locked.survivor_id], rows[locked.loser_id]
    if s.deleted_at is not None:
        raise ValidationError(
            {"merge": _("The surviving customer is in the recycle bin; restore it first.")}
        )
    if lo.deleted_at is None:
        raise ValidationError({"merge": _("The merged customer is no longer in the recycle bin.")})
    if not policies.may_merge(actor, s, lo):
        raise PermissionDeniedError()
    current = {name: audit._jsonable(_field_value(s, name)) for name in locked.after}
    changed_since = sorted(
        name
        for name, value in locked.after.items()
        if current[name] != value and name not in ("search_text",)
    )
    if changed_since:
        labels = ", ".join(str(Customer._meta.get_field(n).verbose_name) for n in changed_since)
        raise ConflictError(
            current_version=s.version,
            message=_(
                "The surviving customer was changed since the merge (%(fields)s); undoing the "
                "merge would overwrite that change. Change these fields back, or edit the "
                "records by hand."
            )
            % {"fields": labels},
        )
    for name, value in locked.before.items():
        field = Customer._meta.get_field(name)
        setattr(s, field.attname, field.to_python(value) if value is not None else None)
    points = list(
        s.contact_points.exclude(pk__in=locked.moved.get("customers.contactpoint.customer", []))
    )
    s.__dict__.update(
        search_keys(
            kind=s.kind,
            display_name=s.display_name,
            legal_name=s.legal_name,
            short_name=s.short_name,
            aliases=s.aliases,
            contact_points=[(p.kind, p.normalized) for p in points],
        )
    )
    if lo.credit_code:
        clash = Customer.objects.filter(
            code_lookup("credit_code", [lo.credit_code]), deleted_at__isnull=True
        )
        if clash.exclude(pk=lo.pk).exclude(pk=s.pk).exists() or s.credit_code == lo.credit_code:
            raise ValidationError(
                {"credit_code": _("Another customer already has this unified social credit code.")}
            )
    moved_back: dict[str, int] = {}
    relations = {
        f"{model._meta.label_lower}.{field.name}": (model, field)
        for model, field in _reverse_relations()
    }
    for label, ids in locked.moved.items():
        if label not in relations:
            continue
        model, field = relations[label]
        count = 0
        for start in range(0, len(ids), 900):
            count += model._base_manager.filter(
                pk__in=ids[start : start + 900], **{field.attname: s.pk}
            ).update(**{field.attname: lo.pk})
        moved_back[label] = count
    if locked.added_tags:
        s.tags.remove(*locked.added_tags)
    s.version = F("version") + 1
    s.save()
    s.refresh_from_db()
    was = lo.deleted_at
    Customer.objects.filter(pk=lo.pk).update(
        deleted_at=None, deleted_by=None, version=F("version") + 1
    )
    aggregates.refresh_all([s.pk, lo.pk])
    _rescore([s.pk, lo.pk])
    now = timezone.now()
    Merge.objects.filter(pk=locked.pk).update(undone_at=now, undone_by=actor)
    locked.refresh_from_db()
    DuplicatePair.objects.filter(
        customer_a_id=min(s.pk, lo.pk), customer_b_id=max(s.pk, lo.pk)
    ).update(status=PairStatus.OPEN, decided_at=None, decided_by=None, version=F("version") + 1)
    restored = {k: [locked.after[k], v] for k, v in locked.before.items()}
    for key in ("search_text", "pinyin", "pinyin_initials", "name_key"):
        restored.pop(key, None)
    audit.record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=s,
        changes={**restored, "merge_undone": [locked.pk, None], "moved_back": [None, moved_back]},
        customer_id=s.pk,
    )
    audit.record(
        actor=actor,
        action=AuditAction.RESTORE,
        instance=lo,
        changes={"deleted_at": [was.isoformat(), None], "merge_undone": [locked.pk, None]},
        customer_id=lo.pk,
    )
    return locked
