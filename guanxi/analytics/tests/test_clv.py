"""The lifetime value models: likelihoods against known values, and the CDNOW reproduction of
the published parameters (Fader, Hardie & Lee 2005; Fader & Hardie 2013)."""

import importlib.metadata

import numpy as np
import pytest
from scipy.special import betaln, gammaln

from guanxi.analytics import clv


def _cdnow():
    """The CDNOW summary shipped in the `lifetimes` package (a test-only dependency, installed
    with --no-deps: only its data files are read)."""
    try:
        dist = importlib.metadata.distribution("lifetimes")
    except importlib.metadata.PackageNotFoundError:
        pytest.fail("pip install --no-deps lifetimes==0.11.3 (requirements-dev.txt)")
    path = dist.locate_file("lifetimes/datasets/cdnow_customers_summary_with_transactions.csv")
    return np.genfromtxt(path, delimiter=",", names=True)


def sig3(value):
    return float(f"{value:.3g}")


def test_bgnbd_reproduces_the_published_cdnow_parameters():
    data = _cdnow()
    assert data.size == 2357
    params, loglik, converged = clv.fit_bgnbd(data["x"], data["t_x"], data["T"])
    assert converged
    assert (sig3(params.r), sig3(params.alpha), sig3(params.a), sig3(params.b)) == (
        0.243,
        4.41,
        0.793,
        2.43,
    )
    assert params.alpha == pytest.approx(4.414, abs=5e-4)
    assert params.b == pytest.approx(2.426, abs=5e-4)
    assert loglik == pytest.approx(-9582.4, abs=0.05)  # the paper's value


def test_gamma_gamma_reproduces_the_published_cdnow_parameters():
    data = _cdnow()
    params, _, converged = clv.fit_gamma_gamma(data["x"], data["zbar"])
    assert converged
    assert (sig3(params.p), sig3(params.q), sig3(params.gamma)) == (6.25, 3.74, 15.4)
    # Published to two decimals: 6.25, 3.74, 15.44 (the likelihood is flat at the optimum: the
    # maximum lies at 15.448).
    assert (params.p, params.q, params.gamma) == pytest.approx((6.25, 3.74, 15.44), abs=0.01)


def test_gamma_gamma_warm_started_from_a_previous_fit_reaches_the_same_optimum():
    data = _cdnow()
    cold, cold_ll, _ = clv.fit_gamma_gamma(data["x"], data["zbar"])
    for start in (cold, clv.GammaGammaParams(5.0, 4.0, 12.0), clv.GammaGammaParams(1, 1, 1e9)):
        warm, warm_ll, converged = clv.fit_gamma_gamma(data["x"], data["zbar"], start=start)
        assert converged
        assert warm_ll == pytest.approx(cold_ll, rel=1e-9)
        assert (warm.p, warm.q, warm.gamma) == pytest.approx((cold.p, cold.q, cold.gamma), rel=1e-3)


def test_bgnbd_loglik_matches_the_formula_written_out():
    params = clv.BgNbdParams(r=0.5, alpha=3.0, a=0.8, b=2.0)
    # x = 0: only the "alive all along" term.
    expected0 = gammaln(0.5) - gammaln(0.5) + 0.5 * np.log(3.0) + 0.0 - 0.5 * np.log(3.0 + 10.0)
    # x = 2, t_x = 4, T = 10.
    r, al, a, b, x, tx, T = 0.5, 3.0, 0.8, 2.0, 2, 4.0, 10.0
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(al)
    a2 = betaln(a, b + x) - betaln(a, b)
    term = (al + T) ** -(r + x) + a / (b + x - 1) * (al + tx) ** -(r + x)
    expected2 = a1 + a2 + np.log(term)
    got = clv.bgnbd_loglik(params, [0, 2], [0.0, 4.0], [10.0, 10.0])
    assert got == pytest.approx([expected0, expected2], rel=1e-12)


def test_bgnbd_gradient_matches_finite_differences():
    rng = np.random.default_rng(1)
    x = rng.integers(0, 6, 200).astype(float)
    T = rng.integers(20, 60, 200).astype(float)
    t_x = np.where(x > 0, np.floor(rng.uniform(0, 1, 200) * T), 0.0)
    data = clv._BgNbdData(x, t_x, T)
    theta = np.array([0.7, 5.0, 0.9, 2.5])
    _, grad = data.loglik_and_grad(theta)
    for k in range(4):
        step = np.zeros(4)
        step[k] = 1e-6 * theta[k]
        up, _ = data.loglik_and_grad(theta + step)
        down, _ = data.loglik_and_grad(theta - step)
        assert grad[k] == pytest.approx((up - down) / (2 * step[k]), rel=1e-5)
    total = clv.bgnbd_loglik(clv.BgNbdParams(*theta), x, t_x, T).sum()
    assert data.loglik_and_grad(theta)[0] == pytest.approx(total, rel=1e-12)


def test_gamma_gamma_loglik_matches_the_density():
    params = clv.GammaGammaParams(p=6.0, q=4.0, gamma=15.0)
    x, m = 3.0, 20.0
    px = 6.0 * x
    expected = (
        gammaln(px + 4.0)
        - gammaln(px)
        - gammaln(4.0)
        + 4.0 * np.log(15.0)
        + px * np.log(x)
        + (px - 1) * np.log(m)
        - (px + 4.0) * np.log(15.0 + x * m)
    )
    assert clv.gamma_gamma_loglik(params, [x], [m])[0] == pytest.approx(expected, rel=1e-12)


def test_predictions_on_the_cdnow_fit():
    # Values from Fader, Hardie & Lee's worked example (the Excel note "Implementing the BG/NBD
    # model"): customer with x = 2, t_x = 30.43, T = 38.86 weeks; 39 weeks ahead.
    params = clv.BgNbdParams(r=0.2426, alpha=4.4135, a=0.7929, b=2.4259)
    e = clv.expected_purchases(params, 39.0, [2.0], [30.43], [38.86])[0]
    assert e == pytest.approx(1.226, abs=0.005)
    p = clv.probability_alive(params, [2.0, 0.0], [30.43, 0.0], [38.86, 38.86])
    odds = 0.7929 / (2.4259 + 2 - 1) * ((4.4135 + 38.86) / (4.4135 + 30.43)) ** (0.2426 + 2)
    assert p[1] == 1.0 and p[0] == pytest.approx(1 / (1 + odds))
    spend = clv.GammaGammaParams(p=6.25, q=3.74, gamma=15.44)
    population = clv.expected_average_spend(spend, [0.0], [0.0])[0]
    assert population == pytest.approx(6.25 * 15.44 / 2.74)
    # A customer with many purchases is close to their own average.
    assert clv.expected_average_spend(spend, [50.0], [40.0])[0] == pytest.approx(40.0, rel=0.02)


def test_clv_is_the_discounted_sum_of_monthly_purchases():
    params = clv.BgNbdParams(r=0.5, alpha=10.0, a=0.8, b=2.5)
    x, tx, T = np.array([3.0]), np.array([60.0]), np.array([90.0])
    spend = np.array([100.0])
    value = clv.customer_lifetime_value(params, spend, x, tx, T, months=3, monthly_discount=0.1)
    e = [clv.expected_purchases(params, 30.0 * i, x, tx, T)[0] for i in range(4)]
    expected = sum((e[i] - e[i - 1]) / 1.1**i for i in range(1, 4)) * 100
    assert value[0] == pytest.approx(expected)
    undiscounted = clv.customer_lifetime_value(
        params, spend, x, tx, T, months=3, monthly_discount=0.0
    )
    assert undiscounted[0] == pytest.approx(e[3] * 100)


def test_a_fit_needs_repeat_purchases():
    with pytest.raises(clv.FitError):
        clv.fit_bgnbd([0, 0, 0], [0, 0, 0], [5, 6, 7])


def test_gamma_gamma_fit_maximises_the_written_out_likelihood():
    rng = np.random.default_rng(3)
    x = rng.integers(1, 8, 500).astype(float)
    m = rng.gamma(6.0, 5.0, 500)
    params, loglik, converged = clv.fit_gamma_gamma(x, m)
    assert converged
    assert loglik == pytest.approx(clv.gamma_gamma_loglik(params, x, m).sum(), rel=1e-10)
    # Any nearby parameters are worse: the fit is a maximum.
    for k in range(3):
        for factor in (0.98, 1.02):
            values = [params.p, params.q, params.gamma]
            values[k] *= factor
            nearby = clv.gamma_gamma_loglik(clv.GammaGammaParams(*values), x, m).sum()
            assert nearby < loglik


def test_predictions_stay_finite_for_heavy_buyers():
    # The untransformed hypergeometric term overflows here (x = 300 over three years).
    params = clv.BgNbdParams(r=0.8, alpha=40.0, a=0.9, b=3.0)
    x, tx, T = np.array([300.0, 0.0]), np.array([1088.0, 0.0]), np.array([1090.0, 1000.0])
    alive, expected, discounted = clv.forecast(
        params, x, tx, T, horizons=(30.0, 365.0), months=12, monthly_discount=0.01
    )
    assert np.all(np.isfinite(expected[365.0])) and np.all(np.isfinite(discounted))
    # A heavy buyer who bought two days ago is alive and buys at about the posterior mean
    # rate (r + x) / (alpha + T), a little less for the chance of dropping out.
    assert alive[0] > 0.99
    rate = 30 * (0.8 + 300) / (40 + 1090)
    assert 0.8 * rate < expected[30.0][0] < rate
