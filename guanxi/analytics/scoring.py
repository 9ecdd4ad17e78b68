"""The scores of many customers at once, as numpy arrays: RFM, value tier, lifetime value, churn
risk, lifecycle stage and status, churn warning. No database here: `services` reads the
per-customer aggregates into a `Batch`, calls `score`, and writes the result. A full recompute
and the incremental update of one customer run the same function; the full run also derives the
cut points (`derive_cuts`) that the incremental one reuses.

RFM
    recency = days since the last purchase, frequency = purchases, monetary = average spend per
    purchase. Each gets a quintile score 1–5 against cut points at the 20/40/60/80 % quantiles
    (numpy "linear") of the customers with purchases: the score is 1 + the number of cut points
    the value is above (for recency: below, since recent is better). A value equal to a cut point
    gets the better score, so equal values always get equal scores (ties are deterministic).
    Customers without a purchase get no score (0, empty rfm_score and segment).

Segments (the usual RFM segment map, over R and FM = round-half-up((F + M) / 2)):

    ======  ==========  ===============
    R       FM          segment
    ======  ==========  ===============
    5       4–5         champions
    3–4     4–5         loyal
    4–5     2–3         potential loyalists
    5       1           new
    4       1           promising
    3       1–3         need attention
    1–2     3–4         at risk
    1–2     5           cannot lose them
    1–2     1–2         hibernating (R 1 and FM 1: lost)
    ======  ==========  ===============

Lifetime value
    BG/NBD inputs from the aggregates: x = purchases − 1, t_x = days from first to last purchase,
    T = days from first purchase to the as-of date (whole days). Gamma-Gamma uses the average
    spend of all purchases (the aggregates keep no separate average of repeat purchases). CLV =
    expected spend over `clv_months` months of 30 days, discounted monthly.

Lifecycle stage (rules in this order; the thresholds are in ScoreSettings):

    =============  ==================================================================
    prospect       no purchase
    churned        days since last purchase > churned_days, or p(alive) < churned_p_alive
    at risk        days since last purchase > at_risk_days, or p(alive) < at_risk_p_alive
    won back       was churned (or won back and not yet loyal) and is neither of the above
    loyal          purchases ≥ loyal_orders
    repeat         purchases ≥ 2
    new            one purchase
    =============  ==================================================================

Status: churned when the stage is churned; otherwise dormant when the last activity (purchase
or contact) is more than dormant_days ago, active else; a customer with neither keeps its status.

Churn warning: a customer with purchases whose p(alive) < warn_p_alive, or with no purchase for
more than warn_days days, or for more than warn_interval_factor × their usual interval between
purchases (t_x / x, for customers with a repeat purchase).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import clv

STAGES = ("prospect", "new", "repeat", "loyal", "at_risk", "churned", "won_back")
STATUSES = ("active", "dormant", "churned")
TIERS = ("", "high", "mid", "low")
SEGMENTS = (
    "",
    "champions",
    "loyal",
    "potential",
    "new",
    "promising",
    "need_attention",
    "at_risk",
    "cannot_lose",
    "hibernating",
    "lost",
)
# What grade a value tier suggests (shown on the 360° page, applied by a person).
GRADE_FOR_TIER = {"high": "vip", "mid": "important", "low": "normal"}

_S = {name: i for i, name in enumerate(SEGMENTS)}
# SEGMENT_GRID[r - 1][fm - 1]
SEGMENT_GRID = np.array(
    [
        [_S["lost"], _S["hibernating"], _S["at_risk"], _S["at_risk"], _S["cannot_lose"]],
        [_S["hibernating"], _S["hibernating"], _S["at_risk"], _S["at_risk"], _S["cannot_lose"]],
        [
            _S["need_attention"],
            _S["need_attention"],
            _S["need_attention"],
            _S["loyal"],
            _S["loyal"],
        ],
        [_S["promising"], _S["potential"], _S["potential"], _S["loyal"], _S["loyal"]],
        [_S["new"], _S["potential"], _S["potential"], _S["champions"], _S["champions"]],
    ],
    dtype=np.int8,
)
QUINTILES = (0.2, 0.4, 0.6, 0.8)
MONTH_DAYS = 30.0


@dataclass(frozen=True)
class Rules:
    """The tunable thresholds (a plain copy of ScoreSettings, so this module needs no ORM)."""

    tier_mode: str = "quantile"
    tier_basis: str = "clv"
    tier_high_share: float = 0.2
    tier_mid_share: float = 0.3
    tier_high_amount: float = 10000.0
    tier_mid_amount: float = 2000.0
    clv_months: int = 12
    monthly_discount: float = 0.01
    loyal_orders: int = 5
    at_risk_days: int = 180
    at_risk_p_alive: float = 0.3
    churned_days: int = 365
    churned_p_alive: float = 0.1
    dormant_days: int = 90
    warn_p_alive: float = 0.3
    warn_days: int = 180
    warn_interval_factor: float = 3.0


@dataclass
class Batch:
    """Per-customer inputs, one array element per customer. Days are whole days since the
    epoch (NaN when unknown); codes index STAGES, STATUSES and TIERS."""

    ids: np.ndarray
    order_count: np.ndarray
    total_spent: np.ndarray
    average_spent: np.ndarray
    first_day: np.ndarray
    last_day: np.ndarray
    contact_day: np.ndarray
    stage: np.ndarray
    status: np.ndarray
    tier: np.ndarray
    referred_by: np.ndarray
    cost_total: np.ndarray
    referral_value: np.ndarray | None = None  # computed from this batch when None

    def __len__(self) -> int:
        return int(self.ids.size)


@dataclass
class Fit:
    purchases: clv.BgNbdParams | None = None
    spend: clv.GammaGammaParams | None = None
    log_likelihood: float | None = None
    converged: bool = False


@dataclass
class Result:
    recency_days: np.ndarray
    r_score: np.ndarray
    f_score: np.ndarray
    m_score: np.ndarray
    segment: np.ndarray
    p_alive: np.ndarray
    expected_30: np.ndarray
    expected_90: np.ndarray
    expected_365: np.ndarray
    expected_spend: np.ndarray
    clv: np.ndarray
    churn_risk: np.ndarray
    profit: np.ndarray
    referral_value: np.ndarray
    usual_interval: np.ndarray
    warning: np.ndarray
    stage: np.ndarray
    status: np.ndarray
    tier: np.ndarray
    extra: dict = field(default_factory=dict)


def model_inputs(batch: Batch, as_of_day: float) -> tuple[np.ndarray, ...]:
    """(buyers mask, x, t_x, T) for BG/NBD, in days; x, t_x and T are 0 for non-buyers."""
    buyers = batch.order_count > 0
    x = np.where(buyers, batch.order_count - 1, 0).astype(float)
    t_x = np.where(buyers, batch.last_day - batch.first_day, 0.0)
    T = np.where(buyers, as_of_day - batch.first_day, 0.0)
    t_x = np.maximum(t_x, 0.0)
    T = np.maximum(T, t_x)
    return buyers, x, t_x, T


def fit_models(batch: Batch, as_of_day: float, start: Fit | None = None) -> Fit:
    """Fit BG/NBD and Gamma-Gamma over the customers with purchases (starting the optimisers
    from `start`, the previous fit, when given)."""
    buyers, x, t_x, T = model_inputs(batch, as_of_day)
    fit = Fit()
    if not buyers.any():
        return fit
    try:
        fit.purchases, fit.log_likelihood, fit.converged = clv.fit_bgnbd(
            x[buyers], t_x[buyers], T[buyers], start=start.purchases if start else None
        )
    except clv.FitError:
        return fit
    try:
        fit.spend, _, spend_ok = clv.fit_gamma_gamma(
            x[buyers], batch.average_spent[buyers], start=start.spend if start else None
        )
        fit.converged = fit.converged and spend_ok
    except clv.FitError:
        fit.spend = None
    return fit


HOLDOUT_GROUPS = 7  # repeat purchases 0..6 in the calibration period, then "7 or more"


def holdout_check(
    batch: Batch, fit: Fit, as_of_day: float, horizon_days: float, actual: np.ndarray
) -> dict[str, Any]:
    """How well the purchase model fitted as of a past day predicts what followed: for the
    customers who had bought by then, the expected purchases over the `horizon_days` after it
    against `actual` (their purchases in that period, in the batch's order), in all and by the
    number of repeat purchases in the calibration period (the conditional-expectation check of
    Fader, Hardie & Lee 2005, figure 4). {} without a fit or a period to compare."""
    buyers, x, t_x, T = model_inputs(batch, as_of_day)
    if fit.purchases is None or horizon_days <= 0 or not buyers.any():
        return {}
    predicted = clv.expected_purchases(
        fit.purchases, horizon_days, x[buyers], t_x[buyers], T[buyers]
    )
    got = np.asarray(actual, dtype=float)[buyers]
    repeats = x[buyers]
    groups = []
    for k in range(HOLDOUT_GROUPS + 1):
        mask = repeats == k if k < HOLDOUT_GROUPS else repeats >= k
        if mask.any():
            groups.append(
                {
                    "repeat_purchases": k,
                    "or_more": k == HOLDOUT_GROUPS,
                    "customers": int(mask.sum()),
                    "predicted": round(float(predicted[mask].mean()), 4),
                    "actual": round(float(got[mask].mean()), 4),
                }
            )
    return {
        "horizon_days": round(float(horizon_days), 2),
        "customers": int(buyers.sum()),
        "predicted": round(float(predicted.sum()), 2),
        "actual": int(got.sum()),
        "by_repeat_purchases": groups,
    }


def _cut_points(values: np.ndarray) -> list[float]:
    values = values[np.isfinite(values)]
    if values.size == 0:
        return []
    return [float(v) for v in np.quantile(values, QUINTILES)]


def _value_basis(batch: Batch, customer_clv: np.ndarray, rules: Rules) -> np.ndarray:
    if rules.tier_basis == "total_spent":
        return batch.total_spent.astype(float)
    return np.where(np.isfinite(customer_clv), customer_clv, 0.0)


def derive_cuts(batch: Batch, result: Result, rules: Rules) -> dict[str, list[float]]:
    """Cut points of a full run: RFM quintiles and the value tier thresholds (quantile mode)."""
    buyers = batch.order_count > 0
    value = _value_basis(batch, result.clv, rules)[buyers]
    tiers: list[float] = []
    if value.size:
        high = float(np.quantile(value, max(0.0, 1.0 - rules.tier_high_share)))
        mid = float(
            np.quantile(value, max(0.0, 1.0 - rules.tier_high_share - rules.tier_mid_share))
        )
        tiers = [high, mid]
    return {
        "recency": _cut_points(result.recency_days[buyers]),
        "frequency": _cut_points(batch.order_count[buyers].astype(float)),
        "monetary": _cut_points(batch.average_spent[buyers].astype(float)),
        "tier": tiers,
    }


def quintile_score(values: np.ndarray, cuts: list[float], *, lower_is_better: bool = False):
    """1–5 against four cut points; a value equal to a cut point gets the better score."""
    if len(cuts) != 4:
        return np.zeros(values.shape, dtype=np.int8)
    cuts_arr = np.asarray(cuts, dtype=float)
    if lower_is_better:
        return (5 - np.searchsorted(cuts_arr, values, side="left")).astype(np.int8)
    return (1 + np.searchsorted(cuts_arr, values, side="right")).astype(np.int8)


def segments(r: np.ndarray, f: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Segment codes (indexes into SEGMENTS) from the three scores; 0 where unscored."""
    scored = (r > 0) & (f > 0) & (m > 0)
    fm = (f.astype(int) + m.astype(int) + 1) // 2
    ri = np.clip(r.astype(int) - 1, 0, 4)
    fi = np.clip(fm - 1, 0, 4)
    return np.where(scored, SEGMENT_GRID[ri, fi], 0).astype(np.int8)


def score(
    batch: Batch,
    fit: Fit,
    rules: Rules,
    as_of_day: float,
    cuts: dict[str, list[float]] | None,
) -> Result:
    """Every score of every customer in the batch. With `cuts` None the RFM and tier cut
    points are derived from this batch (a full run) and returned in result.extra["cuts"]."""
    n = len(batch)
    buyers, x, t_x, T = model_inputs(batch, as_of_day)
    nan = np.full(n, np.nan)
    recency = np.where(buyers, as_of_day - batch.last_day, np.nan)
    recency = np.where(buyers, np.maximum(recency, 0.0), np.nan)

    p_alive, e30, e90, e365, spend, value = (nan.copy() for _ in range(6))
    if fit.purchases is not None and buyers.any():
        pb = fit.purchases
        xb, tb, Tb = x[buyers], t_x[buyers], T[buyers]
        alive, expected, discounted = clv.forecast(
            pb,
            xb,
            tb,
            Tb,
            horizons=(30.0, 90.0, 365.0),
            months=rules.clv_months,
            monthly_discount=rules.monthly_discount,
        )
        p_alive[buyers] = alive
        e30[buyers], e90[buyers], e365[buyers] = expected[30.0], expected[90.0], expected[365.0]
        own = batch.average_spent[buyers]
        if fit.spend is not None and fit.spend.q > 1:
            expected_spend = clv.expected_average_spend(fit.spend, xb, own)
            # Where the model has no finite answer, the customer's own average stands in.
            spend[buyers] = np.where(np.isfinite(expected_spend), expected_spend, own)
        else:  # no fit, or q <= 1: the population mean spend is undefined
            spend[buyers] = own
        value[buyers] = discounted * spend[buyers]
    churn_risk = 1.0 - p_alive

    result = Result(
        recency_days=recency,
        r_score=np.zeros(n, np.int8),
        f_score=np.zeros(n, np.int8),
        m_score=np.zeros(n, np.int8),
        segment=np.zeros(n, np.int8),
        p_alive=p_alive,
        expected_30=e30,
        expected_90=e90,
        expected_365=e365,
        expected_spend=spend,
        clv=value,
        churn_risk=churn_risk,
        profit=np.where(buyers, batch.total_spent - batch.cost_total, np.nan),
        referral_value=_referral_value(batch),
        usual_interval=np.where(buyers & (x > 0), t_x / np.maximum(x, 1), np.nan),
        warning=np.zeros(n, bool),
        stage=batch.stage.copy(),
        status=batch.status.copy(),
        tier=batch.tier.copy(),
    )
    if cuts is None:
        cuts = derive_cuts(batch, result, rules)
    result.extra["cuts"] = cuts

    r = quintile_score(
        np.nan_to_num(recency, nan=np.inf), cuts.get("recency", []), lower_is_better=True
    )
    f = quintile_score(batch.order_count.astype(float), cuts.get("frequency", []))
    m = quintile_score(batch.average_spent.astype(float), cuts.get("monetary", []))
    result.r_score = np.where(buyers, r, 0).astype(np.int8)
    result.f_score = np.where(buyers, f, 0).astype(np.int8)
    result.m_score = np.where(buyers, m, 0).astype(np.int8)
    result.segment = segments(result.r_score, result.f_score, result.m_score)

    result.tier = _tiers(batch, result, rules, cuts)
    result.stage = _stages(batch, result, rules, buyers)
    result.status = _statuses(batch, result, rules, buyers, as_of_day)
    result.warning = warning_mask(result, rules, buyers)
    return result


def _referral_value(batch: Batch) -> np.ndarray:
    """Spend to date of the customers each customer referred (within the batch)."""
    if batch.referral_value is not None:
        return batch.referral_value.astype(float)
    n = len(batch)
    has = batch.referred_by > 0
    if not has.any():
        return np.zeros(n)
    pos = np.searchsorted(batch.ids, batch.referred_by[has])
    pos = np.clip(pos, 0, n - 1)
    found = batch.ids[pos] == batch.referred_by[has]
    return np.bincount(pos[found], weights=batch.total_spent[has][found], minlength=n)


def _tiers(batch: Batch, result: Result, rules: Rules, cuts) -> np.ndarray:
    value = _value_basis(batch, result.clv, rules)
    if rules.tier_mode == "amount":
        high, mid = float(rules.tier_high_amount), float(rules.tier_mid_amount)
    else:
        tier_cuts = cuts.get("tier") or []
        if len(tier_cuts) != 2:
            return np.full(len(batch), TIERS.index("low"), np.int8)
        high, mid = tier_cuts
    buyers = batch.order_count > 0
    tier = np.where(
        buyers & (value >= high),
        TIERS.index("high"),
        np.where(buyers & (value >= mid), TIERS.index("mid"), TIERS.index("low")),
    )
    return tier.astype(np.int8)


def _stages(batch: Batch, result: Result, rules: Rules, buyers: np.ndarray) -> np.ndarray:
    i = STAGES.index
    recency = np.nan_to_num(result.recency_days, nan=0.0)
    p_alive = result.p_alive
    with np.errstate(invalid="ignore"):
        churned = buyers & ((recency > rules.churned_days) | (p_alive < rules.churned_p_alive))
        at_risk = (
            buyers & ~churned & ((recency > rules.at_risk_days) | (p_alive < rules.at_risk_p_alive))
        )
    healthy = buyers & ~churned & ~at_risk
    base = np.where(
        batch.order_count >= rules.loyal_orders,
        i("loyal"),
        np.where(batch.order_count >= 2, i("repeat"), i("new")),
    )
    won_back = healthy & (
        (batch.stage == i("churned"))
        | ((batch.stage == i("won_back")) & (batch.order_count < rules.loyal_orders))
    )
    stage = np.where(
        ~buyers,
        i("prospect"),
        np.where(
            churned,
            i("churned"),
            np.where(at_risk, i("at_risk"), np.where(won_back, i("won_back"), base)),
        ),
    )
    return stage.astype(np.int8)


def _statuses(batch, result, rules, buyers, as_of_day) -> np.ndarray:
    i = STATUSES.index
    last_activity = np.fmax(
        np.where(buyers, batch.last_day, np.nan), batch.contact_day
    )  # fmax ignores NaN
    idle = as_of_day - last_activity
    known = np.isfinite(idle)
    status = np.where(
        result.stage == STAGES.index("churned"),
        i("churned"),
        np.where(
            known,
            np.where(np.nan_to_num(idle) > rules.dormant_days, i("dormant"), i("active")),
            batch.status,
        ),
    )
    return status.astype(np.int8)


def warning_mask(result: Result, rules: Rules, buyers: np.ndarray) -> np.ndarray:
    recency = np.nan_to_num(result.recency_days, nan=0.0)
    interval = result.usual_interval
    with np.errstate(invalid="ignore"):
        by_p = result.p_alive < rules.warn_p_alive
        by_days = recency > rules.warn_days
        by_interval = (interval > 0) & (recency > rules.warn_interval_factor * interval)
    return buyers & (by_p | by_days | by_interval)
