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
from scipy.special import betaln, digamma, gammaln, hyp2f1


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
    uniq, inverse = np.unique(values, return_inverse=True)
    return uniq, inverse.reshape(-1)


class _BgNbdData:
    """The inputs, reduced to their distinct values plus index arrays."""

    def __init__(self, x, t_x, T, weights=None):
        x = np.asarray(x, dtype=float)
        t_x = np.asarray(t_x, dtype=float)
        T = np.asarray(T, dtype=float)
        if not (x.shape == t_x.shape == T.shape):
            raise ValueError("x, t_x and T must have the same length")
        self.n = float(x.size if weights is None else np.sum(weights))
        self.w = None if weights is None else np.asarray(weights, dtype=float)
        self.ux, self.ix = _distinct(x)
        self.uT, self.iT = _distinct(T)
        self.ut, self.it = _distinct(t_x)
        self.repeat = x > 0
        self.x = x

    def _sum(self, values: np.ndarray) -> float:
        return float(np.sum(values if self.w is None else values * self.w))

    def loglik_and_grad(self, params: np.ndarray) -> tuple[float, np.ndarray]:
        """Sum of the log-likelihoods and the gradient with respect to (r, alpha, a, b)."""
        r, alpha, a, b = params
        ux = self.ux
        # Per distinct x.
        a1_x = gammaln(r + ux) - gammaln(r)
        a2_x = betaln(a, b + ux) - betaln(a, b)
        psi_rx = digamma(r + ux) - digamma(r)
        psi_ab_x = digamma(a + b) - digamma(a + b + ux)
        psi_b_x = psi_ab_x - digamma(b) + digamma(b + ux)
        with np.errstate(divide="ignore", invalid="ignore"):
            log_b_x1 = np.where(ux > 0, np.log(np.maximum(b + ux - 1, 1e-300)), 0.0)
            inv_b_x1 = np.where(ux > 0, 1.0 / (b + ux - 1), 0.0)
        # Per distinct T and t_x.
        log_aT = np.log(alpha + self.uT)
        log_at = np.log(alpha + self.ut)
        inv_aT = 1.0 / (alpha + self.uT)
        inv_at = 1.0 / (alpha + self.ut)

        x = self.x
        rx = r + x
        lT = log_aT[self.iT]
        lt = log_at[self.it]
        l3 = -rx * lT
        l4 = np.where(self.repeat, np.log(a) - log_b_x1[self.ix] - rx * lt, -np.inf)
        top = np.logaddexp(l3, l4)
        w4 = np.exp(l4 - top)  # the share of the "dropped out at t_x" term; 0 when x = 0
        w3 = 1.0 - w4
        ll = a1_x[self.ix] + r * np.log(alpha) + a2_x[self.ix] + top

        g_r = psi_rx[self.ix] + np.log(alpha) - w3 * lT - w4 * lt
        g_alpha = r / alpha - rx * (w3 * inv_aT[self.iT] + w4 * inv_at[self.it])
        g_a = psi_ab_x[self.ix] + w4 / a
        g_b = psi_b_x[self.ix] - w4 * inv_b_x1[self.ix]
        grad = np.array([self._sum(g_r), self._sum(g_alpha), self._sum(g_a), self._sum(g_b)])
        return self._sum(ll), grad


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
    return np.exp(result.x), -float(result.fun), bool(result.success)


def fit_bgnbd(x, t_x, T, *, weights=None) -> tuple[BgNbdParams, float, bool]:
    """Maximum-likelihood BG/NBD parameters, the log-likelihood at the optimum and whether the
    optimiser reported convergence."""
    data = _BgNbdData(x, t_x, T, weights)
    if data.n < 2 or not np.any(data.repeat):
        raise FitError("BG/NBD needs customers with repeat purchases")
    scale = float(np.mean(data.uT)) or 1.0
    start = np.array([1.0, scale, 1.0, 1.0])
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


def fit_gamma_gamma(x, m) -> tuple[GammaGammaParams, float, bool]:
    """Maximum-likelihood Gamma-Gamma parameters over customers with x > 0 and m > 0."""
    x = np.asarray(x, dtype=float)
    m = np.asarray(m, dtype=float)
    keep = (x > 0) & (m > 0)
    x, m = x[keep], m[keep]
    if x.size < 2:
        raise FitError("Gamma-Gamma needs customers with repeat purchases")
    n = float(x.size)
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

    start = np.array([1.0, 1.0, float(np.mean(m))])
    params, ll, ok = _optimise(fun_grad, start)
    return GammaGammaParams(*map(float, params)), ll * n, ok


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
    return 1.0 / (1.0 + np.exp(_log_odds_dead(params, x, np.asarray(t_x), np.asarray(T))))


def _pairs(x: np.ndarray, T: np.ndarray):
    """Distinct (x, T) pairs and the index of each customer's pair."""
    key = np.stack([x, T], axis=1)
    if np.all(x == np.round(x)) and np.all(T == np.round(T)) and x.size and T.min() >= 0:
        # Whole counts and days (the app's case): one integer key sorts much faster.
        span = float(T.max()) + 1.0
        flat = x * span + T
        uniq, inverse = np.unique(flat, return_inverse=True)
        return np.floor(uniq / span), uniq - np.floor(uniq / span) * span, inverse.reshape(-1)
    uniq, inverse = np.unique(key, axis=0, return_inverse=True)
    return uniq[:, 0], uniq[:, 1], inverse.reshape(-1)


def _numerator(params: BgNbdParams, t: float, ux: np.ndarray, uT: np.ndarray) -> np.ndarray:
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    z = t / (alpha + uT + t)
    head = (a + b + ux - 1) / (a - 1)
    return head * (
        1.0
        - ((alpha + uT) / (alpha + uT + t)) ** (r + ux) * hyp2f1(r + ux, b + ux, a + b + ux - 1, z)
    )


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
    return numerator / (1.0 + np.exp(_log_odds_dead(params, x, t_x, T)))


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
    alive_share = 1.0 / (1.0 + np.exp(_log_odds_dead(purchases, x, t_x, T)))
    return discounted[inverse] * alive_share * np.asarray(spend_per_purchase, dtype=float)
