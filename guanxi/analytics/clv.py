"""Lifetime value: the BG/NBD purchase model (Fader, Hardie & Lee 2005, "Counting your customers
the easy way") and the Gamma-Gamma spend model (Fader & Hardie 2013, "The Gamma-Gamma model of
monetary value"), fitted by maximum likelihood.

Per customer the models take three numbers: `x` the repeat purchases (purchases after the first),
`t_x` the time between the first and the last purchase, and `T` the time between the first
purchase and the end of the observation; Gamma-Gamma adds `m` the average spend per purchase.
Times are in any unit (the app uses days, the CDNOW test weeks); the scale parameters (alpha,
gamma) come out in that unit and currency.

The log-likelihoods and their gradients are written out here, vectorised with numpy. Terms that
depend on one input only (x, T or t_x) are computed once per distinct value and gathered, so a
fit over a million customers costs about as much as one over the few thousand distinct counts and
day numbers they hold. Parameters are optimised as logarithms (they must stay positive) with
L-BFGS-B and the analytic gradient.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.special import betaln, digamma, expit, gammaln, hyp2f1


class FitError(RuntimeError):
    """The data cannot support a fit (too few customers, no repeat purchases)."""


@dataclass(frozen=True)
class BgNbdParams:
    r: float
    alpha: float
    a: float
    b: float


@dataclass(frozen=True)
class GammaGammaParams:
    p: float
    q: float
    gamma: float


def _distinct(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct values and each value's index among them. Whole numbers in a modest
    range (counts, day numbers: the app's case) take a linear pass instead of a sort."""
    values = np.asarray(values, dtype=float)
    if values.size:
        low, high = float(values.min()), float(values.max())
        if high - low < 5_000_000 and np.array_equal(values, np.floor(values)):
            offsets = (values - low).astype(np.int64)
            present = np.zeros(int(high - low) + 1, dtype=bool)
            present[offsets] = True
            slots = np.cumsum(present) - 1
            return np.flatnonzero(present) + low, slots[offsets]
    uniq, inverse = np.unique(values, return_inverse=True)
    return uniq, inverse.reshape(-1)


class _BgNbdData:
    """The inputs reduced for a fast likelihood: terms of x alone and of T alone are summed per
    distinct value with counts; only the customers with repeat purchases need per-customer work
    (the mixture of "alive all along" and "dropped out after the last purchase")."""

    def __init__(self, x, t_x, T):
        x = np.asarray(x, dtype=float)
        t_x = np.asarray(t_x, dtype=float)
        T = np.asarray(T, dtype=float)
        if not (x.shape == t_x.shape == T.shape):
            raise ValueError("x, t_x and T must have the same length")
        self.n = float(x.size)
        self.ux, ix = _distinct(x)
        self.uT, iT = _distinct(T)
        self.ut, it = _distinct(t_x)
        self.count_x = np.bincount(ix, minlength=self.ux.size).astype(float)
        self.count_T = np.bincount(iT, minlength=self.uT.size).astype(float)
        self.sum_x_by_T = np.bincount(iT, weights=x, minlength=self.uT.size)
        self.repeat = x > 0
        rep = self.repeat
        self.any_repeat = bool(rep.any())
        self.x_r = x[rep]
        self.ix_r = ix[rep]
        self.iT_r = iT[rep]
        self.it_r = it[rep]

    def loglik_and_grad(self, params: np.ndarray) -> tuple[float, np.ndarray]:
        """Sum of the log-likelihoods and the gradient with respect to (r, alpha, a, b)."""
        r, alpha, a, b = params
        ux, n = self.ux, self.n
        log_alpha = np.log(alpha)
        # Per distinct x, weighted by their counts.
        a1_x = gammaln(r + ux) - gammaln(r)
        a2_x = betaln(a, b + ux) - betaln(a, b)
        psi_rx = digamma(r + ux) - digamma(r)
        psi_ab_x = digamma(a + b) - digamma(a + b + ux)
        psi_b_x = psi_ab_x - digamma(b) + digamma(b + ux)
        safe = np.maximum(b + ux - 1, 1e-300)
        log_b_x1 = np.where(ux > 0, np.log(safe), 0.0)
        inv_b_x1 = np.where(ux > 0, 1.0 / safe, 0.0)
        # Per distinct T: the "alive all along" term -(r + x) log(alpha + T), summed.
        log_aT = np.log(alpha + self.uT)
        inv_aT = 1.0 / (alpha + self.uT)
        sum_lT = np.dot(log_aT, self.count_T)
        sum_x_lT = np.dot(log_aT, self.sum_x_by_T)
        ll = np.dot(a1_x + a2_x, self.count_x) + n * r * log_alpha - r * sum_lT - sum_x_lT
        g_r = np.dot(psi_rx, self.count_x) + n * log_alpha - sum_lT
        g_alpha = n * r / alpha - r * np.dot(inv_aT, self.count_T) - np.dot(inv_aT, self.sum_x_by_T)
        g_a = np.dot(psi_ab_x, self.count_x)
        g_b = np.dot(psi_b_x, self.count_x)
        if self.any_repeat:
            # d = l4 - l3 for repeat buyers; log(e^l3 + e^l4) = l3 + softplus(d).
            rx = r + self.x_r
            lT = log_aT[self.iT_r]
            gap = lT - np.log(alpha + self.ut)[self.it_r]
            d = np.log(a) - log_b_x1[self.ix_r] + rx * gap
            soft = np.logaddexp(0.0, d)
            w4 = np.exp(d - soft)  # the share of the "dropped out at t_x" term
            ll += soft.sum()
            g_r += np.dot(w4, gap)
            inv_gap = inv_aT[self.iT_r] - (1.0 / (alpha + self.ut))[self.it_r]
            g_alpha += np.dot(w4 * rx, inv_gap)
            w4_sum = w4.sum()
            g_a += w4_sum / a
            g_b -= np.dot(np.bincount(self.ix_r, weights=w4, minlength=ux.size), inv_b_x1)
        return float(ll), np.array([g_r, g_alpha, g_a, g_b])


def bgnbd_loglik(params: BgNbdParams, x, t_x, T) -> np.ndarray:
    """Per-customer BG/NBD log-likelihood (equation 6 of Fader, Hardie & Lee 2005)."""
    x = np.asarray(x, dtype=float)
    t_x = np.asarray(t_x, dtype=float)
    T = np.asarray(T, dtype=float)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = betaln(a, b + x) - betaln(a, b)
    a3 = -(r + x) * np.log(alpha + T)
    with np.errstate(divide="ignore", invalid="ignore"):
        a4 = np.where(
            x > 0,
            np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + t_x),
            -np.inf,
        )
    return a1 + a2 + np.logaddexp(a3, a4)


def _optimise(fun_grad, start: np.ndarray) -> tuple[np.ndarray, float, bool]:
    """Maximise a log-likelihood over positive parameters, optimised as logarithms."""

    def objective(log_params):
        params = np.exp(log_params)
        ll, grad = fun_grad(params)
        if not np.isfinite(ll):
            return 1e300, np.zeros_like(log_params)
        return -ll, -grad * params

    result = minimize(
        objective,
        np.log(start),
        jac=True,
        method="L-BFGS-B",
        bounds=[(-12.0, 12.0)] * len(start),
        options={"maxiter": 500, "ftol": 1e-15, "gtol": 1e-9},
    )
    # Started at the optimum (a warm start from yesterday's fit), the line search can stop
    # "abnormally" with nothing left to gain: a vanishing gradient is convergence too.
    converged = bool(result.success) or bool(np.max(np.abs(result.jac)) < 1e-6)
    return np.exp(result.x), -float(result.fun), converged


def fit_bgnbd(x, t_x, T, *, start: BgNbdParams | None = None) -> tuple[BgNbdParams, float, bool]:
    """Maximum-likelihood BG/NBD parameters, the log-likelihood at the optimum and whether the
    optimiser reported convergence. `start` (e.g. the previous fit) saves iterations; the
    optimum does not depend on it."""
    data = _BgNbdData(x, t_x, T)
    if data.n < 2 or not data.any_repeat:
        raise FitError("BG/NBD needs customers with repeat purchases")
    if start is not None:
        start = np.array([start.r, start.alpha, start.a, start.b])
    else:
        start = np.array([1.0, float(np.mean(data.uT)) or 1.0, 1.0, 1.0])
    n = data.n

    def fun_grad(params):
        ll, grad = data.loglik_and_grad(params)
        return ll / n, grad / n

    params, ll, ok = _optimise(fun_grad, start)
    return BgNbdParams(*map(float, params)), ll * n, ok


def gamma_gamma_loglik(params: GammaGammaParams, x, m) -> np.ndarray:
    """Per-customer Gamma-Gamma log-likelihood of the average spend `m` over `x` purchases."""
    x = np.asarray(x, dtype=float)
    m = np.asarray(m, dtype=float)
    p, q, g = params.p, params.q, params.gamma
    px = p * x
    return (
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(g)
        + px * np.log(x)
        + (px - 1) * np.log(m)
        - (px + q) * np.log(g + x * m)
    )


def fit_gamma_gamma(
    x, m, *, start: GammaGammaParams | None = None
) -> tuple[GammaGammaParams, float, bool]:
    """Maximum-likelihood Gamma-Gamma parameters over customers with x > 0 and m > 0.
    `start` (e.g. the previous fit) saves iterations; the optimum does not depend on it."""
    x = np.asarray(x, dtype=float)
    m = np.asarray(m, dtype=float)
    keep = (x > 0) & (m > 0)
    x, m = x[keep], m[keep]
    if x.size < 2:
        raise FitError("Gamma-Gamma needs customers with repeat purchases")
    n = float(x.size)
    scale = float(np.mean(m))
    m = m / scale
    ux, ix = _distinct(x)
    log_ux = np.log(ux)
    sum_log_m_by_x = np.bincount(ix, weights=np.log(m), minlength=ux.size)
    count_by_x = np.bincount(ix, minlength=ux.size).astype(float)
    xm = x * m

    def fun_grad(params):
        p, q, g = params
        # Terms of x only: once per distinct x, weighted by how many customers share it.
        pux = p * ux
        psi = digamma(pux + q)
        per_x = (
            gammaln(pux + q) - gammaln(pux) - gammaln(q) + q * np.log(g) + pux * log_ux
        ) * count_by_x + (pux - 1) * sum_log_m_by_x
        gxm = g + xm
        log_gxm = np.log(gxm)
        pxq = (p * ux + q)[ix]
        ll = per_x.sum() - np.dot(pxq, log_gxm)
        x_log_gxm = np.dot(x, log_gxm)
        g_p = (
            np.dot(ux * (psi - digamma(pux) + log_ux), count_by_x)
            + np.dot(ux, sum_log_m_by_x)
            - x_log_gxm
        )
        g_q = np.dot(psi - digamma(q) + np.log(g), count_by_x) - log_gxm.sum()
        g_g = q * n / g - np.sum(pxq / gxm)
        return float(ll) / n, np.array([g_p, g_q, g_g]) / n

    if start is not None and min(start.p, start.q, start.gamma / scale) > 0:
        # Within the optimiser's bounds (logarithms in ±12), or the cold start.
        first = np.clip(np.array([start.p, start.q, start.gamma / scale]), 1e-5, 1e5)
    else:
        first = np.array([1.0, 1.0, 1.0])
    params, ll, ok = _optimise(fun_grad, first)
    # Spend was fitted in units of its mean (so gamma stays within the optimiser's bounds
    # whatever the currency): gamma scales back, the likelihood of m is that of m/scale less
    # log(scale) per customer.
    p, q, g = map(float, params)
    return GammaGammaParams(p, q, g * scale), ll * n - n * np.log(scale), ok


# --- predictions ------------------------------------------------------------------------------


def _log_odds_dead(params: BgNbdParams, x, t_x, T) -> np.ndarray:
    """log(a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x)) for x > 0, -inf else."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(
            x > 0,
            np.log(a)
            - np.log(np.maximum(b + x - 1, 1e-300))
            + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x)),
            -np.inf,
        )


def probability_alive(params: BgNbdParams, x, t_x, T) -> np.ndarray:
    """P(still a customer at T | x, t_x, T) (equation 11 of Fader, Hardie & Lee 2005).
    A customer with no repeat purchase is alive with probability 1 in this model."""
    x = np.asarray(x, dtype=float)
    return expit(-_log_odds_dead(params, x, np.asarray(t_x), np.asarray(T)))


def _pairs(x: np.ndarray, T: np.ndarray):
    """Distinct (x, T) pairs and the index of each customer's pair."""
    if x.size and np.array_equal(x, np.floor(x)) and np.array_equal(T, np.floor(T)):
        # Whole counts and days (the app's case): one whole-number key.
        t_low = float(T.min())
        span = float(T.max()) - t_low + 1.0
        keys, inverse = _distinct(x * span + (T - t_low))
        ux = np.floor(keys / span)
        return ux, keys - ux * span + t_low, inverse
    uniq, inverse = np.unique(np.stack([x, T], axis=1), axis=0, return_inverse=True)
    return uniq[:, 0], uniq[:, 1], inverse.reshape(-1)


def _numerator(params: BgNbdParams, t: float, ux: np.ndarray, uT: np.ndarray) -> np.ndarray:
    """The numerator of equation 10, with the hypergeometric term through Euler's
    transformation: ((alpha+T)/(alpha+T+t))^(r+x) · 2F1(r+x, b+x; a+b+x−1; z)
    = (1−z)^(a−1) · 2F1(a+b−1−r, a−1; a+b+x−1; z), z = t/(alpha+T+t). The transformed series
    has small parameters and stays finite for customers with many purchases, where the
    original overflows."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    z = t / (alpha + uT + t)
    head = (a + b + ux - 1) / (a - 1)
    with np.errstate(over="ignore", invalid="ignore"):
        term = (1.0 - z) ** (a - 1) * hyp2f1(a + b - 1 - r, a - 1, a + b + ux - 1, z)
        bad = ~np.isfinite(term)
        if bad.any():  # extreme a (no dropout to speak of): the untransformed form holds there
            zb, xb, Tb = z[bad], ux[bad], uT[bad]
            term[bad] = ((alpha + Tb) / (alpha + Tb + t)) ** (r + xb) * hyp2f1(
                r + xb, b + xb, a + b + xb - 1, zb
            )
    return head * (1.0 - term)


def expected_purchases(params: BgNbdParams, t, x, t_x, T) -> np.ndarray:
    """Expected purchases in the next `t` time units (equation 10 of Fader, Hardie & Lee 2005).

    hyp2f1 is evaluated once per distinct (x, T): customers first seen on the same day with the
    same count share it."""
    x = np.asarray(x, dtype=float)
    t_x = np.asarray(t_x, dtype=float)
    T = np.asarray(T, dtype=float)
    if x.size == 0:
        return np.zeros(0)
    ux, uT, inverse = _pairs(x, T)
    numerator = _numerator(params, float(t), ux, uT)[inverse]
    return numerator * expit(-_log_odds_dead(params, x, t_x, T))


def expected_average_spend(params: GammaGammaParams, x, m) -> np.ndarray:
    """E[spend per purchase | x, m] (equation 5 of Fader & Hardie 2013); the population mean
    p·gamma/(q − 1) for customers with no repeat purchase."""
    p, q, g = params.p, params.q, params.gamma
    x = np.asarray(x, dtype=float)
    m = np.asarray(m, dtype=float)
    population = p * g / (q - 1) if q > 1 else np.nan
    with np.errstate(invalid="ignore", divide="ignore"):
        weight = (p * x) / (p * x + q - 1)
        conditional = (1 - weight) * population + weight * m
    return np.where(x > 0, conditional, population)


def customer_lifetime_value(
    purchases: BgNbdParams,
    spend_per_purchase: np.ndarray,
    x,
    t_x,
    T,
    *,
    months: int,
    monthly_discount: float,
    days_per_unit: float = 1.0,
) -> np.ndarray:
    """Discounted expected spend over the next `months` months: for each month the expected
    purchases in that month times the expected spend, discounted by (1 + d) ** month (the
    method of lifetimes' `customer_lifetime_value`). Times are in units of `days_per_unit`
    days."""
    month = 30.0 / days_per_unit
    x = np.asarray(x, dtype=float)
    t_x = np.asarray(t_x, dtype=float)
    T = np.asarray(T, dtype=float)
    if x.size == 0:
        return np.zeros(0)
    ux, uT, inverse = _pairs(x, T)
    discounted = np.zeros(ux.shape)
    previous = np.zeros(ux.shape)
    for i in range(1, months + 1):
        current = _numerator(purchases, month * i, ux, uT)
        discounted += (current - previous) / (1.0 + monthly_discount) ** i
        previous = current
    alive_share = expit(-_log_odds_dead(purchases, x, t_x, T))
    return discounted[inverse] * alive_share * np.asarray(spend_per_purchase, dtype=float)


def forecast(
    params: BgNbdParams,
    x,
    t_x,
    T,
    *,
    horizons: tuple[float, ...],
    months: int,
    monthly_discount: float,
    days_per_unit: float = 1.0,
) -> tuple[np.ndarray, dict[float, np.ndarray], np.ndarray]:
    """Everything the scores need from BG/NBD in one pass over the distinct (x, T) pairs:
    probability alive, expected purchases per horizon, and the discounted expected purchases
    over `months` months (times the expected spend, the lifetime value). Same results as
    probability_alive, expected_purchases and customer_lifetime_value."""
    x = np.asarray(x, dtype=float)
    t_x = np.asarray(t_x, dtype=float)
    T = np.asarray(T, dtype=float)
    if x.size == 0:
        empty = np.zeros(0)
        return empty, {h: empty for h in horizons}, empty
    alive = expit(-_log_odds_dead(params, x, t_x, T))
    ux, uT, inverse = _pairs(x, T)
    expected = {h: _numerator(params, float(h), ux, uT)[inverse] * alive for h in horizons}
    month = 30.0 / days_per_unit
    discounted = np.zeros(ux.shape)
    previous = np.zeros(ux.shape)
    for i in range(1, months + 1):
        current = _numerator(params, month * i, ux, uT)
        discounted += (current - previous) / (1.0 + monthly_discount) ** i
        previous = current
    return alive, expected, discounted[inverse] * alive
