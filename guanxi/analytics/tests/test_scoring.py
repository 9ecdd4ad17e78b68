"""Each score on small cases computed by hand."""

import numpy as np
import pytest

from guanxi.analytics import scoring
from guanxi.analytics.clv import BgNbdParams

DAY = 20_000.0  # the as-of day number


def batch(
    order_counts,
    last_days_ago,
    *,
    first_days_ago=None,
    average=None,
    stage=None,
    contact_days_ago=None,
    referred_by=None,
    total=None,
):
    n = len(order_counts)
    counts = np.array(order_counts)
    last = np.array([np.nan if d is None else DAY - d for d in last_days_ago], dtype=float)
    first = (
        last.copy()
        if first_days_ago is None
        else np.array([np.nan if d is None else DAY - d for d in first_days_ago], dtype=float)
    )
    avg = np.array(average if average is not None else [100.0] * n, dtype=float)
    return scoring.Batch(
        ids=np.arange(1, n + 1),
        order_count=counts,
        total_spent=np.array(total, dtype=float) if total is not None else avg * counts,
        average_spent=avg,
        first_day=first,
        last_day=last,
        contact_day=np.array(
            [np.nan if d is None else DAY - d for d in (contact_days_ago or [None] * n)],
            dtype=float,
        ),
        stage=np.array([scoring.STAGES.index(s) for s in (stage or ["prospect"] * n)], np.int8),
        status=np.zeros(n, np.int8),
        tier=np.zeros(n, np.int8),
        referred_by=np.array(referred_by or [0] * n),
        cost_total=np.zeros(n),
    )


def test_quintile_scores_on_ten_values():
    values = np.arange(1, 11, dtype=float)
    cuts = [float(c) for c in np.quantile(values, scoring.QUINTILES)]
    assert cuts == pytest.approx([2.8, 4.6, 6.4, 8.2])
    assert scoring.quintile_score(values, cuts).tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    # Recency: fewer days is better.
    assert scoring.quintile_score(values, cuts, lower_is_better=True).tolist() == [
        5,
        5,
        4,
        4,
        3,
        3,
        2,
        2,
        1,
        1,
    ]


def test_ties_get_the_same_score_and_a_value_on_a_cut_gets_the_better_one():
    cuts = [2.0, 2.0, 3.0, 5.0]
    values = np.array([1.0, 2.0, 2.0, 3.0, 5.0, 6.0])
    assert scoring.quintile_score(values, cuts).tolist() == [1, 3, 3, 4, 5, 5]
    assert scoring.quintile_score(values, cuts, lower_is_better=True).tolist() == [
        5,
        5,
        5,
        3,
        2,
        1,
    ]


@pytest.mark.parametrize(
    "r,f,m,segment",
    [
        (5, 5, 5, "champions"),
        (5, 4, 3, "champions"),  # FM = round-half-up(3.5) = 4
        (4, 5, 4, "loyal"),
        (3, 4, 4, "loyal"),
        (5, 2, 3, "potential"),
        (5, 1, 1, "new"),
        (4, 1, 1, "promising"),
        (3, 2, 3, "need_attention"),
        (2, 3, 4, "at_risk"),
        (1, 5, 5, "cannot_lose"),
        (2, 2, 1, "hibernating"),
        (1, 1, 1, "lost"),
        (0, 0, 0, ""),
    ],
)
def test_segment_map(r, f, m, segment):
    code = scoring.segments(np.array([r]), np.array([f]), np.array([m]))[0]
    assert scoring.SEGMENTS[code] == segment


def test_rfm_scores_of_a_full_run_and_no_score_without_purchases():
    # Ten buyers: recency 10..100 days, frequency 1..10, average 10..100; one prospect.
    b = batch(
        [*list(range(1, 11)), 0],
        [10 * k for k in range(1, 11)] + [None],
        first_days_ago=[400] * 10 + [None],
        average=[10.0 * k for k in range(1, 11)] + [0.0],
    )
    result = scoring.score(b, scoring.Fit(), scoring.Rules(), DAY, cuts=None)
    assert result.r_score.tolist() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1, 0]
    assert result.f_score.tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 0]
    assert result.m_score.tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 0]
    assert np.isnan(result.recency_days[-1]) and result.recency_days[0] == 10
    assert result.extra["cuts"]["recency"] == pytest.approx([28, 46, 64, 82])
    # The same cut points give the same scores for one customer alone (incremental = full).
    one = batch([3], [30], first_days_ago=[400], average=[30.0])
    alone = scoring.score(one, scoring.Fit(), scoring.Rules(), DAY, cuts=result.extra["cuts"])
    assert (alone.r_score[0], alone.f_score[0], alone.m_score[0]) == (
        result.r_score[2],
        result.f_score[2],
        result.m_score[2],
    )


def test_value_tiers_by_share_and_by_amount():
    b = batch([1] * 10, [5] * 10, total=[100.0 * k for k in range(1, 11)], average=[1.0] * 10)
    rules = scoring.Rules(tier_basis="total_spent", tier_high_share=0.2, tier_mid_share=0.3)
    result = scoring.score(b, scoring.Fit(), rules, DAY, cuts=None)
    tiers = [scoring.TIERS[t] for t in result.tier]
    # Cuts at the 80 % (820) and 50 % (550) quantiles: 900 and 1000 high, 600–800 mid.
    assert tiers == ["low"] * 5 + ["mid"] * 3 + ["high"] * 2
    by_amount = scoring.Rules(
        tier_mode="amount", tier_basis="total_spent", tier_high_amount=700, tier_mid_amount=300
    )
    result = scoring.score(b, scoring.Fit(), by_amount, DAY, cuts=None)
    tiers = [scoring.TIERS[t] for t in result.tier]
    assert tiers == ["low"] * 2 + ["mid"] * 4 + ["high"] * 4
    assert scoring.GRADE_FOR_TIER["high"] == "vip"


def test_lifecycle_rules_and_status():
    rules = scoring.Rules(at_risk_days=180, churned_days=365, loyal_orders=5, dormant_days=90)
    b = batch(
        [0, 1, 2, 6, 3, 3, 2, 2, 6],
        [None, 10, 10, 10, 200, 400, 5, 5, 100],
        first_days_ago=[None, 10, 300, 900, 500, 900, 600, 600, 700],
        stage=[
            "prospect",
            "prospect",
            "new",
            "repeat",
            "repeat",
            "at_risk",
            "churned",
            "won_back",
            "loyal",
        ],
    )
    result = scoring.score(b, scoring.Fit(), rules, DAY, cuts=None)
    assert [scoring.STAGES[s] for s in result.stage] == [
        "prospect",
        "new",
        "repeat",
        "loyal",
        "at_risk",
        "churned",
        "won_back",
        "won_back",
        "loyal",
    ]
    statuses = [scoring.STATUSES[s] for s in result.status]
    assert statuses == [
        "active",
        "active",
        "active",
        "active",
        "dormant",
        "churned",
        "active",
        "active",
        "dormant",
    ]


def test_probability_alive_drives_stages_and_warnings():
    params = BgNbdParams(r=0.5, alpha=10.0, a=0.8, b=2.5)
    rules = scoring.Rules(
        at_risk_p_alive=0.3,
        churned_p_alive=0.1,
        warn_p_alive=0.3,
        at_risk_days=10_000,
        churned_days=10_000,
        warn_days=10_000,
        warn_interval_factor=1000,
    )
    # A regular buyer who stopped: 10 purchases in the first 100 days, nothing for 150 days.
    b = batch([11, 11], [150, 2], first_days_ago=[250, 250], stage=["loyal", "loyal"])
    result = scoring.score(b, scoring.Fit(purchases=params), rules, DAY, cuts=None)
    assert result.p_alive[0] < 0.1 < 0.9 < result.p_alive[1]
    assert result.churn_risk == pytest.approx(1 - result.p_alive)
    assert [scoring.STAGES[s] for s in result.stage] == ["churned", "loyal"]
    assert result.warning.tolist() == [True, False]


def test_warning_by_days_and_by_usual_interval():
    rules = scoring.Rules(warn_days=180, warn_interval_factor=3.0, warn_p_alive=0.0)
    # usual interval: 90 days over 2 repeats = 45; 140 days since > 3 × 45.
    b = batch([3, 3, 1, 0], [140, 100, 200, None], first_days_ago=[230, 190, 200, None])
    result = scoring.score(b, scoring.Fit(), rules, DAY, cuts=None)
    assert result.usual_interval[0] == 45
    assert result.warning.tolist() == [True, False, True, False]


def test_referral_value_and_profit():
    b = batch([1, 2, 1], [5, 5, 5], total=[100.0, 250.0, 40.0], referred_by=[0, 1, 1])
    b.cost_total = np.array([60.0, 100.0, 0.0])
    result = scoring.score(b, scoring.Fit(), scoring.Rules(), DAY, cuts=None)
    assert result.referral_value.tolist() == [290.0, 0.0, 0.0]
    assert result.profit.tolist() == [40.0, 150.0, 40.0]
