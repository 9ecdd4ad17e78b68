import datetime as dt

import pytest

from guanxi.analytics import services
from guanxi.jobs.models import Job

from .conftest import NOW

pytestmark = pytest.mark.django_db

SCORE_FIELDS = [
    "recency_days",
    "frequency",
    "monetary",
    "rfm_score",
    "rfm_segment",
    "value_tier",
    "clv",
    "expected_purchases_90d",
    "p_alive",
    "churn_risk",
    "lifecycle_stage",
]


def test_customer_representation_carries_the_scores(shop, api):
    services.recompute_all(now=NOW)
    alpha = shop.customers["Alpha"]
    data = api(shop.rep_a).get(f"/api/v1/customers/{alpha.pk}/").json()
    for name in SCORE_FIELDS:
        assert name in data
    assert data["frequency"] == 7 and data["recency_days"] == 10
    assert len(data["rfm_score"]) == 3 and 0 <= data["p_alive"] <= 1
    # Without a score row the fields are null, not an error.
    foxtrot_data = api(shop.rep_a).get("/api/v1/customers/?page_size=50").json()
    assert any(row["display_name"] == "Foxtrot" for row in foxtrot_data["results"])


def test_vanishing_probabilities_are_not_given_as_1e_minus_35(shop, api):
    """A long-lapsed frequent buyer came out as "p_alive": 1.0726601637616493e-35: the
    probabilities and expected purchases are given to six decimals."""
    from guanxi.analytics.models import CustomerScore

    services.recompute_all(now=NOW)
    alpha = shop.customers["Alpha"]
    CustomerScore.objects.filter(customer=alpha).update(
        p_alive=1.0726601637616493e-35,
        churn_risk=1 - 1.0726601637616493e-35,
        expected_purchases_90d=0.123456789,
    )
    data = api(shop.rep_a).get(f"/api/v1/customers/{alpha.pk}/").json()
    assert data["p_alive"] == 0.0 and data["churn_risk"] == 1.0
    assert data["expected_purchases_90d"] == 0.123457


def test_scores_are_read_only(shop, api):
    services.recompute_all(now=NOW)
    alpha = shop.customers["Alpha"]
    client = api(shop.rep_a)
    data = client.get(f"/api/v1/customers/{alpha.pk}/").json()
    response = client.patch(
        f"/api/v1/customers/{alpha.pk}/",
        {"version": data["version"], "clv": "1", "p_alive": 0.5},
        format="json",
    )
    assert response.status_code in (200, 400)
    assert api(shop.rep_a).get(f"/api/v1/customers/{alpha.pk}/").json()["clv"] == data["clv"]


def test_customer_list_with_scores_adds_no_query(shop, api, django_assert_max_num_queries):
    services.recompute_all(now=NOW)
    client = api(shop.admin)
    client.get("/api/v1/customers/")  # warm caches (role, content types)
    with django_assert_max_num_queries(8):
        response = client.get("/api/v1/customers/")
    assert response.status_code == 200 and len(response.json()["results"]) == 6
    assert all("rfm_score" in row for row in response.json()["results"])


def test_a_rep_cannot_read_scores_of_another_reps_customer(shop, api):
    services.recompute_all(now=NOW)
    delta = shop.customers["Delta"]
    assert api(shop.rep_a).get(f"/api/v1/customers/{delta.pk}/").status_code == 404
    assert api(shop.rep_b).get(f"/api/v1/customers/{delta.pk}/").status_code == 200


def test_model_endpoint(shop, api):
    client = api(shop.rep_a)
    assert client.get("/api/v1/analytics/model/").status_code == 404  # not fitted yet
    services.recompute_all(now=NOW)
    data = client.get("/api/v1/analytics/model/").json()
    for name in ("r", "alpha", "a", "b", "p", "q", "gamma", "fitted_at"):
        assert name in data
    assert data["r"] > 0
    assert api().get("/api/v1/analytics/model/").status_code in (401, 403)


def test_model_endpoint_counts_the_customers_only_for_who_sees_them_all(shop, api):
    """The number of customers in the fit is a count over the whole base: a rep (six customers
    in this shop, two of them theirs) does not learn it; the parameters are the model's."""
    services.recompute_all(now=NOW)
    rep = api(shop.rep_a).get("/api/v1/analytics/model/").json()
    assert rep["customers"] is None and rep["r"] > 0
    assert api(shop.manager_a).get("/api/v1/analytics/model/").json()["customers"] is None
    assert api(shop.analyst).get("/api/v1/analytics/model/").json()["customers"] == 6
    assert api(shop.admin).get("/api/v1/analytics/model/").json()["customers"] == 6


def test_model_endpoint_gives_the_current_fit_or_the_latest_backtest(shop, api):
    services.recompute_all(now=NOW)
    services.recompute_all(as_of=NOW - dt.timedelta(days=100), now=NOW)
    admin = api(shop.admin)
    current = admin.get("/api/v1/analytics/model/").json()
    assert current["backtest"] is False and current["holdout"] is None
    assert current["as_of"] == current["fitted_at"]
    backtest = admin.get("/api/v1/analytics/model/", {"backtest": "true"}).json()
    assert backtest["backtest"] is True and backtest["as_of"] < backtest["fitted_at"]
    assert backtest["holdout"]["horizon_days"] == 100 and backtest["holdout"]["actual"] == 2
    # The holdout counts cover the whole base: not for a rep.
    rep = api(shop.rep_a).get("/api/v1/analytics/model/", {"backtest": "true"}).json()
    assert rep["holdout"] is None and rep["r"] == backtest["r"]
    bad = admin.get("/api/v1/analytics/model/", {"backtest": "maybe"})
    assert bad.status_code == 400 and "backtest" in bad.json()


def test_model_endpoint_needs_the_analytics_view_permission(shop, api, make_user):
    from guanxi.accounts.models import Role

    services.recompute_all(now=NOW)
    role = Role.objects.create(code="no-analytics", name="No analytics", permissions={})
    nobody = make_user("nobody", "sales")
    nobody.role = role
    nobody.save()
    assert api(nobody).get("/api/v1/analytics/model/").status_code == 403
    assert api(shop.analyst).get("/api/v1/analytics/model/").status_code == 200


def test_recompute_is_for_administrators(shop, api, django_capture_on_commit_callbacks):
    response = api(shop.head_manager).post("/api/v1/analytics/recompute/", {}, format="json")
    assert response.status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        response = api(shop.admin).post("/api/v1/analytics/recompute/", {}, format="json")
    assert response.status_code == 202, response.content
    job = Job.objects.get(pk=response.json()["id"])
    assert job.kind == "analytics.recompute" and job.status == "succeeded"
    assert job.result["customers"] == 6


def test_a_recompute_refreshes_the_dashboard_summary_it_changed(
    shop, api, django_capture_on_commit_callbacks
):
    """The dashboard of a user who sees every customer reads a summary refreshed hourly: after
    a recompute (new thresholds, new stages and tiers) it kept the old figures for up to an
    hour, while a manager's live charts, and the customers a slice opens, had the new ones."""
    from collections import Counter

    from guanxi.customers.models import Customer
    from guanxi.reports import services as reports
    from guanxi.reports.charts import Filters
    from guanxi.reports.selectors import dashboard

    reports.refresh_dashboard_summary()  # before any scores: every customer a prospect

    def stages(user):
        chart = next(
            c for c in dashboard(user=user, filters=Filters())["charts"] if c["key"] == "by_stage"
        )
        return dict(zip(chart["categories"], chart["series"][0]["data"], strict=True))

    with django_capture_on_commit_callbacks(execute=True):
        response = api(shop.admin).post("/api/v1/analytics/recompute/", {}, format="json")
    assert response.status_code == 202, response.content
    live = Counter(
        Customer.objects.filter(pk__in=[c.pk for c in shop.customers.values()]).values_list(
            "lifecycle_stage", flat=True
        )
    )
    assert len(live) > 1  # the recompute moved customers out of "prospect"
    assert sorted(stages(shop.admin).values()) == sorted(live.values())


def test_recompute_as_of_and_bad_input(shop, api):
    client = api(shop.admin)
    response = client.post(
        "/api/v1/analytics/recompute/", {"as_of": "2026-01-01T00:00:00Z"}, format="json"
    )
    assert response.status_code == 202
    assert Job.objects.get(pk=response.json()["id"]).params["as_of"].startswith("2026-01-01")
    bad = client.post("/api/v1/analytics/recompute/", {"as_of": "yesterday"}, format="json")
    assert bad.status_code == 400 and "as_of" in str(bad.json())
    future = client.post(
        "/api/v1/analytics/recompute/", {"as_of": "2999-01-01T00:00:00Z"}, format="json"
    )
    assert future.status_code == 400 and "as_of" in str(future.json())
    for wrong in ("2026-02-30", "2026-13-01T00:00:00Z"):
        answer = client.post(
            "/api/v1/analytics/recompute/", {"as_of": wrong}, format="json",
            HTTP_ACCEPT_LANGUAGE="en",
        )  # fmt: skip
        assert answer.status_code == 400
        assert "Enter a date (2025-12-31)" in answer.json()["as_of"][0]


def test_recompute_as_of_a_day_means_up_to_its_end(shop, api):
    from guanxi.jobs.models import JobStatus

    Job.objects.all().delete()
    client = api(shop.admin)
    response = client.post("/api/v1/analytics/recompute/", {"as_of": "2026-01-01"}, format="json")
    assert response.status_code == 202, response.json()
    as_of = Job.objects.get(pk=response.json()["id"]).params["as_of"]
    assert as_of.startswith("2026-01-01T23:59:59.999999")
    Job.objects.update(status=JobStatus.SUCCEEDED)


@pytest.mark.parametrize("as_of", ["0001-01-01T00:00:00Z", "1900-01-01T00:00:00Z", "2024-01-01"])
def test_recompute_as_of_before_any_purchase_is_refused(shop, api, as_of):
    """Before, the job ran and "succeeded": it fitted nothing (the model API then gave nulls)
    and wrote every customer's scores as if they had never bought anything."""
    response = api(shop.admin).post(
        "/api/v1/analytics/recompute/", {"as_of": as_of}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400, response.content
    assert "no purchases" in str(response.json()["as_of"])
    assert not Job.objects.filter(kind="analytics.recompute").exists()


def test_a_second_recompute_is_refused_while_one_is_queued(shop, api):
    first = api(shop.admin).post("/api/v1/analytics/recompute/", {}, format="json")
    assert first.status_code == 202
    second = api(shop.admin).post(
        "/api/v1/analytics/recompute/", {}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert second.status_code == 400
    assert "already under way" in second.json()["non_field_errors"][0]
    assert Job.objects.filter(kind="analytics.recompute").count() == 1
