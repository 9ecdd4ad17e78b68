"""Writes of the analytics app: full and incremental score recomputes, the customers' derived
fields (lifecycle stage, status, value tier) with their history and audit, the cost totals
behind profit, win-back tasks, and the scoring settings.

Reading: one SELECT of the per-customer aggregate columns (DESIGN.md: scores are computed over
one row per customer, never over the orders) straight into numpy arrays. Only an `as_of` run
reads the orders, in one grouped SQL statement (a scan of the orders table: about 20 s at 20M
orders on SQLite). Writing: the narrow score table with executemany (a full recompute on SQLite
rebuilds the table instead: _rebuild_table); the customer rows only where a derived field
changed, with one audit event and one lifecycle history row per change, in bulk.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import logging
import time
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

import numpy as np
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from guanxi.accounts.models import User
from guanxi.accounts.policies import has_perm, is_admin
from guanxi.audit import services as audit
from guanxi.audit.models import AuditAction
from guanxi.core import bulk, context
from guanxi.core.errors import PermissionDeniedError
from guanxi.core.versioning import check_version
from guanxi.customers.models import Customer
from guanxi.jobs.models import Job, JobStatus
from guanxi.jobs.services import Progress, refuse_if_under_way, start_job, under_way
from guanxi.sales.models import NOT_PURCHASES
from guanxi.sales.rates import rate_case_sql

from . import clv, scoring
from .models import CustomerScore, LifecycleChange, ModelFit, ScoreSettings

log = logging.getLogger(__name__)

SETTINGS_FIELDS = tuple(
    f.name
    for f in ScoreSettings._meta.get_fields()
    if f.name not in ("id", "version", "updated_at")
)
WRITE_BATCH = 50_000
READ_BATCH = 50_000
MAX_THRESHOLD_DAYS = 36_500  # a hundred years
MAX_LOYAL_ORDERS = 10_000
_NULL_DAY = -1e9
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


# --- settings ---------------------------------------------------------------------------------


def get_settings() -> ScoreSettings:
    settings_row, _created = ScoreSettings.objects.get_or_create(pk=1)
    return settings_row


def rules_from(settings_row: ScoreSettings) -> scoring.Rules:
    values = {name: getattr(settings_row, name) for name in scoring.Rules.__dataclass_fields__}
    for name in ("tier_high_amount", "tier_mid_amount"):
        values[name] = float(values[name])
    return scoring.Rules(**values)


def may_recompute(user: User) -> bool:
    return is_admin(user) or has_perm(user, "analytics", "change")


@transaction.atomic
def update_settings(*, actor: User, data: dict[str, Any], version: int | None) -> ScoreSettings:
    if not is_admin(actor):
        raise PermissionDeniedError()
    unknown = set(data) - set(SETTINGS_FIELDS)
    if unknown:
        raise ValidationError({f: _("There is no such field.") for f in sorted(unknown)})
    get_settings()
    row = ScoreSettings.objects.select_for_update().get(pk=1)
    check_version(row, version)
    before = audit.snapshot(row, SETTINGS_FIELDS)
    for name, value in data.items():
        setattr(row, name, value)
    errors: dict[str, str] = {}
    for name in ("tier_high_share", "tier_mid_share"):
        if not 0 <= getattr(row, name) <= 1:
            errors[name] = _("Enter a share between 0 and 1.")
    if not errors and row.tier_high_share + row.tier_mid_share > 1:
        errors["tier_mid_share"] = _("The high and mid shares together cannot exceed 1.")
    amounts = (row.tier_mid_amount, row.tier_high_amount)
    for name in ("tier_high_amount", "tier_mid_amount"):
        if getattr(row, name) is not None and getattr(row, name) < 0:
            errors[name] = _("Enter an amount of zero or more.")
    if not errors and None not in amounts and amounts[0] > amounts[1]:
        errors["tier_mid_amount"] = _("The mid tier must start below the high tier.")
    for name in ("at_risk_p_alive", "churned_p_alive", "warn_p_alive"):
        if not 0 <= getattr(row, name) <= 1:
            errors[name] = _("Enter a probability between 0 and 1.")
    if not 0 <= row.monthly_discount < 1:
        errors["monthly_discount"] = _("Enter a rate from 0 up to (not including) 1.")
    if row.churned_days < row.at_risk_days:
        errors["churned_days"] = _("Churned must come after at risk.")
    if row.churned_p_alive > row.at_risk_p_alive:
        errors["churned_p_alive"] = _("The churned threshold cannot be above the at-risk one.")
    if not 1 <= row.clv_months <= 120:
        errors["clv_months"] = _("Enter from 1 to 120 months.")
    if row.warn_interval_factor <= 0:
        errors["warn_interval_factor"] = _("Enter a number above zero.")
    if row.loyal_orders < 2:
        # One purchase makes a new customer; loyal needs more, or new and repeat never happen.
        errors["loyal_orders"] = _("Enter at least 2 purchases.")
    elif row.loyal_orders > MAX_LOYAL_ORDERS:  # a small integer column on PostgreSQL
        errors["loyal_orders"] = _("Enter at most %(max)d purchases.") % {"max": MAX_LOYAL_ORDERS}
    for name in ("at_risk_days", "churned_days", "dormant_days", "warn_days"):
        if not 1 <= getattr(row, name) <= MAX_THRESHOLD_DAYS:
            errors[name] = _("Enter from 1 to %(max)d days.") % {"max": MAX_THRESHOLD_DAYS}
    if errors:
        raise ValidationError(errors)
    row.full_clean(exclude=["version"])
    changes = audit.diff(before, audit.snapshot(row, SETTINGS_FIELDS))
    if not changes:
        return row
    row.version = F("version") + 1
    row.save()
    row.refresh_from_db()
    audit.record(actor=actor, action=AuditAction.UPDATE, instance=row, changes=changes)
    return row


# --- reading ----------------------------------------------------------------------------------


def _day(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"FLOOR(EXTRACT(EPOCH FROM {column}) / 86400.0)"
    return f"CAST(julianday({column}) - 2440587.5 AS INTEGER)"


def _code(column: str, values: tuple[str, ...]) -> str:
    whens = " ".join(f"WHEN '{v}' THEN {i}" for i, v in enumerate(values))
    return f"CASE {column} {whens} ELSE 0 END"


def _num(expr: str) -> str:
    return f"CAST({expr} AS DOUBLE PRECISION)"


def day_number(moment: dt.datetime) -> float:
    return float((moment - _EPOCH).total_seconds() // 86400)


def _select_sql(*, as_of: bool, ids: list[int] | None, referrals_in_sql: bool) -> str:
    if as_of:
        source = f"""
            LEFT JOIN (
                SELECT customer_id, COUNT(*) AS n, SUM(total_base) AS total,
                       COUNT(total_base) AS valued,
                       MIN(ordered_at) AS first_at, MAX(ordered_at) AS last_at
                FROM sales_order
                WHERE status NOT IN ({", ".join("%s" for _ in NOT_PURCHASES)})
                  AND ordered_at <= %s
                GROUP BY customer_id
            ) o ON o.customer_id = c.id"""  # noqa: S608 (constants; values are parameters)
        count, total = "COALESCE(o.n, 0)", "COALESCE(o.total, 0)"
        average = "CASE WHEN o.valued > 0 THEN 1.0 * o.total / o.valued ELSE 0 END"
        # A typed NULL: PostgreSQL cannot pick an EXTRACT for a bare one.
        first, last, contact = "o.first_at", "o.last_at", "CAST(NULL AS TIMESTAMP)"
    else:
        source = ""
        count, total, average = "c.order_count", "c.total_spent", "c.average_order_value"
        first, last, contact = "c.first_purchase_at", "c.last_purchase_at", "c.last_interaction_at"
    referral = "0"
    if referrals_in_sql:
        referral = _num(
            "COALESCE((SELECT SUM(r.total_spent) FROM customers_customer r "
            "WHERE r.referred_by_id = c.id AND r.deleted_at IS NULL), 0)"
        )
    where = "c.deleted_at IS NULL"
    if ids is not None:
        where += f" AND c.id IN ({', '.join('%s' for _ in ids)})"
    return f"""
        SELECT c.id, {count}, {_num(total)}, {_num(average)},
               COALESCE({_day(first)}, {_NULL_DAY}), COALESCE({_day(last)}, {_NULL_DAY}),
               COALESCE({_day(contact)}, {_NULL_DAY}),
               {_code("c.lifecycle_stage", scoring.STAGES)},
               {_code("c.status", scoring.STATUSES)},
               {_code("c.value_tier", scoring.TIERS)},
               COALESCE(c.referred_by_id, 0),
               {_num("COALESCE(s.cost_total, 0)")},
               {referral}
        FROM customers_customer c
        LEFT JOIN analytics_customerscore s ON s.customer_id = c.id
        {source}
        WHERE {where}
        ORDER BY c.id"""  # noqa: S608 (constants; values are parameters)


def read_batch(*, ids: Iterable[int] | None = None, as_of: dt.datetime | None = None):
    """The inputs of the given customers (all live ones when `ids` is None), as numpy arrays.
    With `as_of`, the purchase aggregates are computed from the orders up to that moment."""
    id_list = None if ids is None else sorted({int(i) for i in ids})
    sql = _select_sql(as_of=as_of is not None, ids=id_list, referrals_in_sql=id_list is not None)
    params: list[Any] = []
    if as_of is not None:
        params += [str(s) for s in NOT_PURCHASES] + [as_of]
    if id_list is not None:
        params += id_list
    # Every column is a number (NULLs are COALESCEd in SQL): into numpy a slice of rows at a
    # time (a million live row tuples would only set the garbage collector scanning them).
    parts = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(READ_BATCH):
            parts.append(
                np.fromiter(
                    itertools.chain.from_iterable(rows), dtype=np.float64, count=len(rows) * 13
                ).reshape(-1, 13)
            )
    data = np.concatenate(parts) if parts else np.empty((0, 13))
    del parts

    def days(col):
        values = data[:, col]
        return np.where(values <= _NULL_DAY, np.nan, values)

    return scoring.Batch(
        ids=data[:, 0].astype(np.int64),
        order_count=data[:, 1].astype(np.int64),
        total_spent=data[:, 2],
        average_spent=data[:, 3],
        first_day=days(4),
        last_day=days(5),
        contact_day=days(6),
        stage=data[:, 7].astype(np.int8),
        status=data[:, 8].astype(np.int8),
        tier=data[:, 9].astype(np.int8),
        referred_by=data[:, 10].astype(np.int64),
        cost_total=data[:, 11],
        referral_value=data[:, 12] if id_list is not None else None,
    )


# --- writing ----------------------------------------------------------------------------------

_SCORE_COLUMNS = (
    "customer_id",
    "recency_days",
    "frequency",
    "monetary",
    "r_score",
    "f_score",
    "m_score",
    "rfm_score",
    "rfm_segment",
    "p_alive",
    "expected_purchases_30d",
    "expected_purchases_90d",
    "expected_purchases_365d",
    "expected_spend",
    "clv",
    "churn_risk",
    "profit",
    "referral_value",
    "usual_interval_days",
    "warning",
    "cost_total",
    "computed_at",
)
_RFM_STRINGS = np.array(
    ["" if n < 111 else str(n) for n in range(556)], dtype=object
)  # "543" from 543


# Columns of the score table that a full recompute does not compute: a rebuild of the table
# carries them over from the current rows (they must be nullable: NULL where there is none).
_KEPT_COLUMNS = ("winback_task_id",)


def _nullable(values: np.ndarray, decimals: int | None, nan_is_null: bool) -> np.ndarray:
    """A column of floats with NULL for NaN and infinities. The sqlite3 module binds a float
    NaN as NULL, and binds floats far faster than None (None goes through the module's
    adaptation lookup, an order of magnitude slower per value), so on SQLite a missing value
    stays NaN; other databases get None."""
    values = np.asarray(values, dtype=np.float64)
    if decimals is not None:
        values = np.round(values, decimals)
    missing = ~np.isfinite(values)
    if nan_is_null:
        return np.where(missing, np.nan, values) if missing.any() else values
    out = values.astype(object)
    out[missing] = None
    return out


def _score_columns(
    batch: scoring.Batch, result: scoring.Result, computed_at: Any
) -> list[np.ndarray]:
    """The values of _SCORE_COLUMNS, one array per column, in the batch's order (numpy
    arrays: a million Python objects per column would only burden the garbage collector;
    _rows makes Python values a slice at a time). On SQLite missing values are NaN (stored
    as NULL) and booleans 0/1, as SQLite stores them; days since the last purchase go as
    whole floats, which the column's integer affinity stores as integers: the stored rows are
    the same as with ints, None and booleans, which the other databases get."""
    n = len(batch)
    sqlite = connection.vendor == "sqlite"
    rfm = _RFM_STRINGS[
        result.r_score.astype(np.int64) * 100
        + result.f_score.astype(np.int64) * 10
        + result.m_score.astype(np.int64)
    ]
    segments = np.array(scoring.SEGMENTS, dtype=object)[result.segment]
    recency = np.trunc(np.asarray(result.recency_days, dtype=np.float64))
    if sqlite:
        recency = _nullable(recency, None, True)
        warning = result.warning.astype(np.int64)
    else:
        known = np.isfinite(recency)
        recency = np.where(known, recency, 0).astype(np.int64).astype(object)
        recency[~known] = None
        warning = result.warning.astype(bool)

    def nullable(values: np.ndarray, decimals: int | None = None) -> np.ndarray:
        return _nullable(values, decimals, sqlite)

    return [
        batch.ids.astype(np.int64),
        recency,
        batch.order_count.astype(np.int64),
        np.round(batch.average_spent, 2),
        result.r_score.astype(np.int64),
        result.f_score.astype(np.int64),
        result.m_score.astype(np.int64),
        rfm,
        segments,
        nullable(result.p_alive),
        nullable(result.expected_30),
        nullable(result.expected_90),
        nullable(result.expected_365),
        nullable(result.expected_spend, 2),
        nullable(result.clv, 2),
        nullable(result.churn_risk),
        nullable(result.profit, 2),
        np.round(result.referral_value, 2),
        nullable(result.usual_interval),
        warning,
        np.round(batch.cost_total, 2),
        np.full(n, computed_at, dtype=object),
    ]


def _rows(columns: list[np.ndarray], start: int, stop: int) -> Iterator[tuple]:
    """Row tuples of one slice of the columns, as Python values, made as the driver takes
    them: a million live tuples would only set the garbage collector scanning them."""
    return zip(*(c[start:stop].tolist() for c in columns), strict=True)


def _upsert_sql() -> str:
    cols = ", ".join(_SCORE_COLUMNS)
    marks = ", ".join(["%s"] * len(_SCORE_COLUMNS))
    updates = ", ".join(f"{c} = excluded.{c}" for c in _SCORE_COLUMNS[1:])
    return (
        f"INSERT INTO analytics_customerscore ({cols}) VALUES ({marks}) "  # noqa: S608 (built from constants; values are parameters)
        f"ON CONFLICT (customer_id) DO UPDATE SET {updates}"
    )


def write_scores(
    batch: scoring.Batch,
    result: scoring.Result,
    *,
    computed_at: dt.datetime,
    rebuild: bool = False,
) -> None:
    """Write the score rows of the batch: an upsert, row by row; or, with `rebuild` (a full
    recompute that writes every live customer's row) on SQLite, a rebuild of the whole table
    (see _rebuild_table). Both leave the same rows."""
    # The moment is adapted for the database once, not once per row.
    stamp = connection.ops.adapt_datetimefield_value(computed_at)
    columns = _score_columns(batch, result, stamp)
    if rebuild and bool(np.all(batch.ids[1:] > batch.ids[:-1])) and _can_rebuild():
        _rebuild_table(columns, batch.ids)
        return
    sql = _upsert_sql()
    with connection.cursor() as cursor:
        for start in range(0, len(batch), WRITE_BATCH):
            cursor.executemany(sql, _rows(columns, start, start + WRITE_BATCH))


def _can_rebuild() -> bool:
    """The table can be rebuilt on SQLite, inside a transaction, while no other table refers
    to it (a DROP would act on those references) and while every one of its columns is either
    computed or kept (a column added later must be put in one of the two lists)."""
    if connection.vendor != "sqlite" or not connection.in_atomic_block:
        return False
    if CustomerScore._meta.related_objects:
        return False
    with connection.cursor() as cursor:
        names = {
            info.name
            for info in connection.introspection.get_table_description(
                cursor, CustomerScore._meta.db_table
            )
        }
    if names != set(_SCORE_COLUMNS) | set(_KEPT_COLUMNS):
        log.warning("score table columns %s are not all known: upserting instead", names)
        return False
    return True


def _rebuild_table(columns: list[np.ndarray], ids: np.ndarray) -> None:
    """SQLite: write every score row into a new table and swap it in, in the caller's
    transaction. Rewriting a million rows in place costs SQLite far more than writing them
    afresh (docs/benchmarks.md): every row is found, rewritten, and its entries moved in the
    secondary indexes at random places. Here the rows go into a table without secondary
    indexes in key order (appends), then the indexes are built in one sorted pass each, the
    old table is dropped and the new one renamed.

    The new table is created from the current table's own CREATE statement, and the indexes
    from theirs (sqlite_master), so the migrations stay the only source of the schema. The
    kept columns (_KEPT_COLUMNS, e.g. the win-back task) are carried over for the rebuilt
    rows, and rows of customers this run did not score (in the recycle bin, or added since
    the read) are copied whole. Readers are not disturbed: SQLite in WAL mode gives each read
    transaction the snapshot it began with, so a reader sees either the old table or the new
    one, and a statement prepared against the old one is prepared again by SQLite itself."""
    table = CustomerScore._meta.db_table
    new = f"{table}__new"
    qn = connection.ops.quote_name
    n = len(ids)
    with connection.cursor() as cursor:
        cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = %s", [table])
        create = cursor.fetchone()[0]
        cursor.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
            "AND sql IS NOT NULL ORDER BY name",
            [table],
        )
        indexes = [row[0] for row in cursor.fetchall()]
        head = f"CREATE TABLE {qn(table)} ("
        if not create.startswith(head):  # pragma: no cover - SQLite keeps the quoted name
            raise RuntimeError(f"unexpected schema of {table}: {create[:80]}")
        cursor.execute(f"CREATE TABLE {qn(new)} (" + create[len(head) :])

        # The kept columns of the customers being rewritten, where they hold a value.
        kept = [np.full(n, np.nan, dtype=object) for _ in _KEPT_COLUMNS]
        cursor.execute(
            f"SELECT customer_id, {', '.join(_KEPT_COLUMNS)} FROM {qn(table)} "  # noqa: S608 (constants)
            f"WHERE {' OR '.join(f'{c} IS NOT NULL' for c in _KEPT_COLUMNS)}"
        )
        for customer_id, *values in cursor.fetchall():
            at = int(np.searchsorted(ids, customer_id))
            if at < n and ids[at] == customer_id:
                for column, value in zip(kept, values, strict=True):
                    column[at] = value
        names = (*_SCORE_COLUMNS, *_KEPT_COLUMNS)
        all_columns = [*columns, *kept]
        for start in range(0, n, WRITE_BATCH):
            bulk.insert_rows(new, names, _rows(all_columns, start, start + WRITE_BATCH))
        # Rows of customers not in this run stay as they are. (Their ids come from the
        # primary key's index, a narrow one: a join of the two tables would read every row.)
        cursor.execute(f"SELECT customer_id FROM {qn(table)}")  # noqa: S608 (constants)
        present = np.fromiter((row[0] for row in cursor.fetchall()), dtype=np.int64)
        others = np.setdiff1d(present, ids).tolist()
        every = ", ".join(qn(c) for c in names)
        for low in range(0, len(others), 500):
            part = others[low : low + 500]
            cursor.execute(
                f"INSERT INTO {qn(new)} ({every}) SELECT {every} FROM {qn(table)} "  # noqa: S608 (constants; values are parameters)
                f"WHERE customer_id IN ({', '.join(['%s'] * len(part))})",
                part,
            )
        cursor.execute(f"DROP TABLE {qn(table)}")
        cursor.execute(f"ALTER TABLE {qn(new)} RENAME TO {qn(table)}")
        for statement in indexes:
            cursor.execute(statement)


def apply_customer_changes(batch, result, *, at: dt.datetime) -> int:
    """Write lifecycle stage, status and value tier where they changed, with a lifecycle
    history row per stage change and one audit event per customer (source: job). The customer
    rows' `version` is left alone: these are derived fields, not a person's edit. Rows are
    written with bulk inserts, without model instances: a nightly run changes thousands."""
    changed = (
        (result.stage != batch.stage)
        | (result.status != batch.status)
        | (result.tier != batch.tier)
    )
    idx = np.nonzero(changed)[0]
    if idx.size == 0:
        return 0
    stages, statuses, tiers = scoring.STAGES, scoring.STATUSES, scoring.TIERS
    stamp = connection.ops.adapt_datetimefield_value(at)
    history_table = bulk.table_columns(
        LifecycleChange, ("customer", "from_stage", "to_stage", "changed_at")
    )
    fields = (
        ("lifecycle_stage", result.stage, batch.stage, stages),
        ("status", result.status, batch.status, statuses),
        ("value_tier", result.tier, batch.tier, tiers),
    )
    with connection.cursor() as cursor, context.acting_as(source=context.Source.JOB):
        for start in range(0, idx.size, WRITE_BATCH):
            part = idx[start : start + WRITE_BATCH]
            ids = batch.ids[part].tolist()
            new = [(column[part].tolist(), old[part].tolist()) for _n, column, old, _l in fields]
            names: dict[int, str] = {}
            for low in range(0, len(ids), 5000):  # within SQLite's limit of bound parameters
                names.update(
                    Customer.objects.filter(pk__in=ids[low : low + 5000]).values_list(
                        "pk", "display_name"
                    )
                )
            (stage, old_stage), (status, _s), (tier, _t) = new
            cursor.executemany(
                "UPDATE customers_customer SET lifecycle_stage = %s, status = %s, "
                "value_tier = %s WHERE id = %s",
                [
                    (stages[a], statuses[b], tiers[c], cid)
                    for a, b, c, cid in zip(stage, status, tier, ids, strict=True)
                ],
            )
            events, history = [], []
            for k, cid in enumerate(ids):
                changes = {}
                for (name, _c, _o, labels), (after, before) in zip(fields, new, strict=True):
                    if after[k] != before[k]:
                        changes[name] = [labels[before[k]], labels[after[k]]]
                if "lifecycle_stage" in changes:
                    history.append((cid, stages[old_stage[k]], stages[stage[k]], stamp))
                events.append(("customers.customer", cid, names.get(cid, cid), changes, cid))
            audit.record_rows(actor=None, action=AuditAction.UPDATE, rows=events)
            bulk.insert_rows(*history_table, history)
    return int(idx.size)


# --- fits -------------------------------------------------------------------------------------


def latest_fit() -> ModelFit | None:
    """The fit that scoring uses: the latest of the full runs (never a backtest)."""
    return ModelFit.objects.filter(backtest=False).order_by("-fitted_at", "-id").first()


def _fit_from(row: ModelFit | None) -> scoring.Fit:
    fit = scoring.Fit()
    if row is None:
        return fit
    if row.r is not None:
        fit.purchases = clv.BgNbdParams(row.r, row.alpha, row.a, row.b)
    if row.p is not None:
        fit.spend = clv.GammaGammaParams(row.p, row.q, row.gamma)
    return fit


# --- recompute --------------------------------------------------------------------------------


class _PhaseClock:
    """Wall and CPU seconds of the phases of a run, into `timings` ("read", "read_cpu"...):
    CPU time shows the work done when a shared machine stretches the wall time."""

    def __init__(self, timings: dict[str, float]) -> None:
        self.timings = timings

    @contextlib.contextmanager
    def __call__(self, phase: str):
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self.timings[phase] = time.perf_counter() - wall
            self.timings[f"{phase}_cpu"] = time.process_time() - cpu


def recompute_all(*, as_of: dt.datetime | None = None, now: dt.datetime | None = None) -> dict:
    """Fit the models and score every live customer. Returns the phase timings (seconds).

    With `as_of` (a past moment) the run is a backtest: only the orders up to then count, the
    models are fitted on that calibration period, and their predictions for the time since are
    compared with the purchases that followed (ModelFit.holdout). A backtest changes no
    customer: today's scores, stages, statuses, tiers and tasks stay as they are, and its fit
    is never the one that scoring uses (latest_fit)."""
    now = now or timezone.now()
    moment = as_of or now
    as_of_day = day_number(moment)
    rules = rules_from(get_settings())
    timings: dict[str, float] = {}
    clock = _PhaseClock(timings)

    with clock("read"):
        batch = read_batch(as_of=as_of)
    with clock("fit"):
        # The previous fit is a good starting point (fewer iterations; the optimum is the same).
        fit = scoring.fit_models(batch, as_of_day, start=_fit_from(latest_fit()))
    result = None
    holdout: dict[str, Any] = {}
    changed = closed = 0
    if as_of is not None:
        with clock("holdout"):
            actual = purchases_between(batch.ids, start=moment, end=now)
            horizon = (now - moment).total_seconds() / 86400
            holdout = scoring.holdout_check(batch, fit, as_of_day, horizon, actual)
    else:
        with clock("score"):
            result = scoring.score(batch, fit, rules, as_of_day, cuts=None)
    with clock("write"), transaction.atomic():
        if result is not None:
            with clock("write_scores"):
                write_scores(batch, result, computed_at=now, rebuild=True)
            with clock("write_customers"):
                changed = apply_customer_changes(batch, result, at=now)
            with clock("close_tasks"):
                closed = close_winback_tasks(now=now)
        row = ModelFit.objects.create(
            fitted_at=now,
            as_of=moment,
            customers=len(batch),
            r=fit.purchases.r if fit.purchases else None,
            alpha=fit.purchases.alpha if fit.purchases else None,
            a=fit.purchases.a if fit.purchases else None,
            b=fit.purchases.b if fit.purchases else None,
            p=fit.spend.p if fit.spend else None,
            q=fit.spend.q if fit.spend else None,
            gamma=fit.spend.gamma if fit.spend else None,
            log_likelihood=fit.log_likelihood,
            converged=fit.converged,
            cuts=result.extra["cuts"] if result is not None else {},
            backtest=as_of is not None,
            holdout=holdout,
        )
    ModelFit.objects.filter(pk=row.pk).update(timings=timings)
    return {
        "customers": len(batch),
        "changed_customers": changed,
        "warnings": int(result.warning.sum()) if result is not None else 0,
        "closed_winback_tasks": closed,
        "fit_id": row.pk,
        "holdout": holdout,
        "timings": {k: round(v, 3) for k, v in timings.items()},
    }


def purchases_between(ids: np.ndarray, *, start: dt.datetime, end: dt.datetime) -> np.ndarray:
    """How many purchases each of the customers `ids` (sorted) made after `start`, up to and
    including `end`, in the order of `ids` (one grouped scan of the orders in that period)."""
    counts = np.zeros(len(ids))
    marks = ", ".join("%s" for _ in NOT_PURCHASES)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT customer_id, COUNT(*) FROM sales_order WHERE status NOT IN ({marks}) "  # noqa: S608 (constants; values are parameters)
            "AND ordered_at > %s AND ordered_at <= %s GROUP BY customer_id",
            [*(str(s) for s in NOT_PURCHASES), start, end],
        )
        for customer_id, count in cursor.fetchall():
            at = int(np.searchsorted(ids, customer_id))
            if at < len(ids) and ids[at] == customer_id:
                counts[at] = count
    return counts


def refresh_customers(customer_ids: Iterable[int], *, now: dt.datetime | None = None) -> None:
    """Score the given customers again with the latest fit and the cut points of the last full
    run (an order of theirs changed). Their referrers are scored too: referral value moves."""
    ids = {int(i) for i in customer_ids if i}
    if not ids:
        return
    now = now or timezone.now()
    referrers = Customer.objects.filter(pk__in=ids, referred_by__isnull=False).values_list(
        "referred_by_id", flat=True
    )
    ids |= set(referrers)
    _refresh_costs(ids)
    row = latest_fit()
    fit = _fit_from(row)
    cuts = row.cuts if row is not None else {}
    rules = rules_from(get_settings())
    batch = read_batch(ids=ids)
    if not len(batch):
        return
    result = scoring.score(batch, fit, rules, day_number(now), cuts=cuts)
    with transaction.atomic():
        write_scores(batch, result, computed_at=now)
        apply_customer_changes(batch, result, at=now)
        close_winback_tasks(customer_ids=batch.ids.tolist(), now=now)
    warned = [int(c) for c, w in zip(batch.ids, result.warning, strict=True) if w]
    if warned and get_settings().create_tasks:
        transaction.on_commit(lambda: create_winback_tasks(customer_ids=warned))


def on_orders_changed(customer_ids: Iterable[int]) -> None:
    """Called by the order services inside their transaction: rescores these customers once
    the order is committed."""
    ids = sorted({int(i) for i in customer_ids if i})
    if ids:
        transaction.on_commit(lambda: _refresh_quietly(ids))


def _refresh_quietly(ids: list[int]) -> None:
    """The order is committed whatever happens here: a failure is logged, and the nightly
    full recompute scores these customers again."""
    try:
        refresh_customers(ids)
    except Exception:
        log.exception("incremental scoring of customers %s failed", ids)


# --- cost totals (profit) ---------------------------------------------------------------------

_COST_SQL = """
    SELECT o.customer_id, COALESCE(SUM(l.quantity * COALESCE(p.unit_cost, 0) * {rate}), 0)
    FROM sales_order o
    JOIN sales_orderline l ON l.order_id = o.id
    JOIN sales_product p ON p.id = l.product_id
    WHERE o.status NOT IN ({statuses}) {filter}
    GROUP BY o.customer_id
"""


def _ensure_rows_sql() -> str:
    return (
        "INSERT INTO analytics_customerscore (customer_id, frequency, monetary, r_score, "
        "f_score, m_score, rfm_score, rfm_segment, cost_total, warning) "
        "VALUES (%s, 0, 0, 0, 0, 0, '', '', 0, %s) ON CONFLICT (customer_id) DO NOTHING"
    )


def _store_costs(rows: list[tuple[int, Any]], ids: Iterable[int]) -> None:
    costs = {int(cid): Decimal(str(cost)).quantize(Decimal("0.01")) for cid, cost in rows}
    with connection.cursor() as cursor:
        cursor.executemany(_ensure_rows_sql(), [(int(cid), False) for cid in ids])
        cursor.executemany(
            "UPDATE analytics_customerscore SET cost_total = %s WHERE customer_id = %s",
            [(costs.get(int(cid), Decimal("0.00")), int(cid)) for cid in ids],
        )


def _refresh_costs(ids: set[int]) -> None:
    """Cost of the purchases of these customers: their own order lines (an index walk)."""
    id_list = sorted(ids)
    statuses = ", ".join("%s" for _ in NOT_PURCHASES)
    marks = ", ".join("%s" for _ in id_list)
    rate, rate_params = rate_case_sql("p.currency")
    sql = _COST_SQL.format(rate=rate, statuses=statuses, filter=f"AND o.customer_id IN ({marks})")
    with connection.cursor() as cursor:
        cursor.execute(sql, [*rate_params, *(str(s) for s in NOT_PURCHASES), *id_list])
        rows = cursor.fetchall()
    with transaction.atomic():
        _store_costs(rows, id_list)


def rebuild_costs(*, progress: Progress | None = None, chunk: int = 20_000) -> int:
    """Recompute every customer's cost total from the order lines, a range of customer ids at
    a time (a scan of the order lines: on_costs_changed starts it when product costs or the
    rates that value them change). Costs are valued at today's rates, as the products' costs
    are today's."""
    bounds = Customer.objects.order_by("pk").values_list("pk", flat=True)
    low, high = bounds.first(), bounds.last()
    if low is None:
        return 0
    if progress:
        progress.set_total(high - low + 1)
    statuses = ", ".join("%s" for _ in NOT_PURCHASES)
    rate, rate_params = rate_case_sql("p.currency")
    sql = _COST_SQL.format(
        rate=rate, statuses=statuses, filter="AND o.customer_id BETWEEN %s AND %s"
    )
    done = 0
    for start in range(low, high + 1, chunk):
        end = min(start + chunk - 1, high)
        with connection.cursor() as cursor:
            cursor.execute(sql, [*rate_params, *(str(s) for s in NOT_PURCHASES), start, end])
            rows = cursor.fetchall()
        ids = list(Customer.objects.filter(pk__range=(start, end)).values_list("pk", flat=True))
        with transaction.atomic():
            _store_costs(rows, ids)
        done += len(ids)
        if progress:
            progress.advance_to(end - low + 1)
    return done


def on_costs_changed(*, actor: User | None) -> None:
    """Product costs, or the exchange rates that value them, changed: every customer's cost
    total is rebuilt in a job, unless one is queued that has not started yet (it will read the
    new costs)."""
    job = under_way("analytics.rebuild_costs")
    if job is not None and job.status == JobStatus.QUEUED:
        return
    start_job(kind="analytics.rebuild_costs", actor=actor)


# --- win-back tasks ---------------------------------------------------------------------------


def create_winback_tasks(*, customer_ids: Iterable[int] | None = None, limit: int = 5000) -> int:
    """A follow-up task for the owner of each warned customer without an open win-back task
    (one open per customer), created through the followups services as the owner."""
    from guanxi.followups import services as followups
    from guanxi.followups.models import TaskKind, TaskStatus

    from .selectors import warning_reasons

    qs = (
        CustomerScore.objects.filter(
            warning=True, customer__deleted_at__isnull=True, customer__owner__isnull=False
        )
        .exclude(winback_task__status=TaskStatus.OPEN)
        .select_related("customer__owner")
        .order_by("customer_id")
    )
    if customer_ids is not None:
        qs = qs.filter(customer_id__in=list(customer_ids))
    rules = rules_from(get_settings())
    created = 0
    for score in qs[:limit]:
        owner = score.customer.owner
        if not owner.is_active or not has_perm(owner, "tasks", "create"):
            continue
        try:
            # In the owner's language, as the other apps' tasks for an owner are.
            with translation.override(owner.language or settings.LANGUAGE_CODE):
                reasons = "; ".join(str(r) for r in warning_reasons(score, rules))
                title = _("Win back %(name)s") % {"name": score.customer.display_name}
            with transaction.atomic():
                task = followups.create_task(
                    actor=owner,
                    data={
                        "customer": score.customer,
                        "kind": TaskKind.FOLLOW_UP,
                        "title": title,
                        "notes": reasons,
                        "assignee": owner,
                        "due_at": timezone.now() + dt.timedelta(days=3),
                    },
                )
                CustomerScore.objects.filter(pk=score.pk).update(winback_task=task)
        except (ValidationError, PermissionDeniedError) as exc:
            log.info("no win-back task for customer %s: %s", score.customer_id, exc)
            continue
        created += 1
    return created


def close_winback_tasks(
    *, customer_ids: Iterable[int] | None = None, now: dt.datetime | None = None
) -> int:
    """Close the open win-back task of each customer no longer on the warning list (of the
    given customers; of all when None), through the followups services: done, noted "the
    customer bought again", when they bought since the task was made; cancelled, noted "no
    longer on the warning list", when the warning went for another reason (new thresholds).
    The score forgets the task, so that a new warning later makes a new one. One query over
    the scores that hold a win-back task (a partial index), not over every customer."""
    from guanxi.followups import services as followups
    from guanxi.followups.models import TaskStatus

    qs = CustomerScore.objects.filter(
        warning=False, winback_task__isnull=False, winback_task__status=TaskStatus.OPEN
    )
    if customer_ids is not None:
        qs = qs.filter(customer_id__in=sorted({int(i) for i in customer_ids}))
    bought, gone = [], []
    for task_id, created_at, last_purchase in qs.values_list(
        "winback_task_id", "winback_task__created_at", "customer__last_purchase_at"
    ):
        (bought if last_purchase is not None and last_purchase >= created_at else gone).append(
            task_id
        )
    if not bought and not gone:
        return 0
    with context.acting_as(source=context.Source.JOB):
        closed = followups.close_system_tasks(
            task_ids=bought,
            status=TaskStatus.DONE,
            note=lambda: _("The customer bought again."),
            now=now,
        )
        closed += followups.close_system_tasks(
            task_ids=gone,
            status=TaskStatus.CANCELLED,
            note=lambda: _("The customer is no longer on the churn warning list."),
            now=now,
        )
    for low in range(0, len(closed), 5000):
        CustomerScore.objects.filter(winback_task_id__in=closed[low : low + 5000]).update(
            winback_task=None
        )
    return len(closed)


# --- jobs -------------------------------------------------------------------------------------


@transaction.atomic
def start_recompute(*, actor: User, as_of: dt.datetime | dt.date | None = None) -> Job:
    """A full recompute job; with `as_of`, a backtest up to that moment, or for a day up to
    its end (in the active time zone)."""
    if not may_recompute(actor):
        raise PermissionDeniedError()
    if isinstance(as_of, dt.date) and not isinstance(as_of, dt.datetime):
        end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time.min)
        as_of = timezone.make_aware(end) - dt.timedelta(microseconds=1)
    if as_of is not None and as_of > timezone.now():
        raise ValidationError({"as_of": _("Choose a date in the past.")})
    if as_of is not None and not Customer.objects.filter(first_purchase_at__lte=as_of).exists():
        # Nothing to fit: the run would write every customer's scores as empty.
        raise ValidationError(
            {"as_of": _("There are no purchases up to that date; choose a later one.")}
        )
    refuse_if_under_way(
        "analytics.recompute",
        _(
            "A recompute is already under way (started %(ago)s ago); scores update when it "
            "finishes."
        ),
    )
    params = {"as_of": as_of.isoformat()} if as_of else {}
    return start_job(kind="analytics.recompute", actor=actor, params=params)


@transaction.atomic
def start_nightly_recompute() -> Job | None:
    """The nightly full recompute as a job, unless one for today is already under way (a
    person's, or last night's still running): the same run twice would only write the same
    scores. A backtest (a run as of a past date) does not count: it changes no scores."""
    running = under_way("analytics.recompute", without_param="as_of")
    if running is not None:
        log.info("nightly recompute skipped: job %s is under way", running.pk)
        return None
    with context.acting_as(source=context.Source.JOB):
        return start_job(kind="analytics.recompute", params={})


@transaction.atomic
def start_cost_rebuild(*, actor: User) -> Job:
    if not may_recompute(actor):
        raise PermissionDeniedError()
    refuse_if_under_way(
        "analytics.rebuild_costs",
        _("A rebuild of the cost totals is already under way (started %(ago)s ago)."),
    )
    return start_job(kind="analytics.rebuild_costs", actor=actor)
