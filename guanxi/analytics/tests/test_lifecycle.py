"""Every change of stage kept with its date, so that the time spent in each stage can be
reported (issue #6): a customer's history on the 360° page and in the API, and the average and
median days in each stage over the customers a user may see."""

import csv
import datetime as dt
import io

import pytest
from django.utils import timezone, translation

from guanxi.analytics import selectors
from guanxi.analytics.models import LifecycleChange
from guanxi.customers.models import Customer

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 1, 1, 4, 0, tzinfo=dt.UTC)
NOW = T0 + dt.timedelta(days=130)


def day(n: float) -> dt.datetime:
    return T0 + dt.timedelta(days=n)


@pytest.fixture
def history(two_teams):
    """Xavier and Zulu (rep A), Yankee (rep B), with their stage changes:

    Xavier  prospect (created day 0) → new day 10 → repeat day 40 → loyal day 100 (current)
    Yankee  prospect (created day -20) → new day 0 → churned day 50 (current)
    Zulu    created day 0, prospect → new day 0 → repeat day 5 (current)
    """
    w = two_teams
    plans = {
        "Xavier": (
            w.rep_a,
            w.team_a,
            0,
            [("prospect", "new", 10), ("new", "repeat", 40), ("repeat", "loyal", 100)],
        ),
        "Yankee": (w.rep_b, w.team_b, -20, [("prospect", "new", 0), ("new", "churned", 50)]),
        "Zulu": (w.rep_a, w.team_a, 0, [("prospect", "new", 0), ("new", "repeat", 5)]),
    }
    w.customers = {}
    for name, (owner, team, created, changes) in plans.items():
        c = Customer.objects.create(
            display_name=name, owner=owner, team=team, lifecycle_stage=changes[-1][1]
        )
        Customer.objects.filter(pk=c.pk).update(created_at=day(created))
        c.refresh_from_db()
        w.customers[name] = c
        for before, after, at in changes:
            LifecycleChange.objects.create(
                customer=c, from_stage=before, to_stage=after, changed_at=day(at)
            )
    return w


def _without_analytics(make_user, team):
    """A read-only user whose role may not view analytics."""
    from guanxi.accounts.models import Role

    role = Role.objects.get(code="read-only")
    role.permissions = {k: v for k, v in role.permissions.items() if k != "analytics"}
    role.save()
    return make_user("reader", "read-only", team)


def _report(user) -> dict[str, dict]:
    return {row["stage"]: row for row in selectors.time_in_stages(user=user, now=NOW)}


def test_a_customers_stays_with_their_dates_and_days(history):
    xavier = history.customers["Xavier"]
    stays = selectors.stage_stays(user=history.rep_a, customer=xavier, now=NOW)
    assert [(s["stage"], s["began"], s["ended"], s["days"]) for s in stays] == [
        ("prospect", day(0), day(10), 10.0),
        ("new", day(10), day(40), 30.0),
        ("repeat", day(40), day(100), 60.0),
        ("loyal", day(100), None, 30.0),
    ]
    with translation.override("zh-hans"):
        labels = [s["label"] for s in selectors.stage_stays(user=history.rep_a, customer=xavier)]
    assert labels[0] != "prospect" and all(labels)
    # Created at the moment of the first change: no stay before it.
    zulu = selectors.stage_stays(user=history.rep_a, customer=history.customers["Zulu"], now=NOW)
    assert [(s["stage"], s["days"]) for s in zulu] == [("new", 5.0), ("repeat", 125.0)]


def test_average_and_median_days_in_each_stage(history):
    report = _report(history.admin)
    assert {k: (r["stays"], r["average_days"], r["median_days"]) for k, r in report.items()} == {
        "prospect": (2, 15.0, 15.0),  # Xavier 10, Yankee 20
        "new": (3, 28.3, 30.0),  # 30, 50, 5
        "repeat": (2, 92.5, 92.5),  # 60, 125
        "loyal": (1, 30.0, 30.0),
        "churned": (1, 80.0, 80.0),
    }
    assert list(report) == ["prospect", "new", "repeat", "loyal", "churned"]  # stage order


def test_the_report_counts_only_the_customers_the_user_may_see(history):
    mine = _report(history.rep_a)  # Xavier and Zulu
    assert "churned" not in mine
    assert (mine["new"]["stays"], mine["new"]["median_days"]) == (2, 17.5)
    theirs = _report(history.rep_b)  # Yankee
    assert set(theirs) == {"prospect", "new", "churned"} and theirs["new"]["stays"] == 1


def test_a_customer_whose_stage_never_changed_has_one_stay_since_created(history):
    """A prospect created on day 30 and never moved has been a prospect for 100 days at NOW:
    one stay in the report (a manager's team of prospects was missing from it) and on the
    customer's own history card."""
    w = history
    walt = Customer.objects.create(
        display_name="Walt", owner=w.rep_b, team=w.team_b, lifecycle_stage="prospect"
    )
    Customer.objects.filter(pk=walt.pk).update(created_at=day(30))
    walt.refresh_from_db()
    theirs = _report(w.rep_b)  # Yankee's prospect stay (20 days) and Walt's (100)
    assert (theirs["prospect"]["stays"], theirs["prospect"]["average_days"]) == (2, 60.0)
    assert _report(w.rep_a)["prospect"]["stays"] == 1  # Xavier's only: Walt is rep B's
    [stay] = selectors.stage_stays(user=w.rep_b, customer=walt, now=NOW)
    assert (stay["stage"], stay["began"], stay["ended"], stay["days"]) == (
        "prospect", day(30), None, 100.0
    )  # fmt: skip


def test_customers_in_the_recycle_bin_are_left_out(history):
    Customer.objects.filter(pk=history.customers["Yankee"].pk).update(deleted_at=timezone.now())
    assert "churned" not in _report(history.admin)


def test_a_role_without_analytics_sees_no_history(history, make_user):
    reader = _without_analytics(make_user, history.team_a)
    assert selectors.time_in_stages(user=reader) == []
    assert selectors.stage_stays(user=reader, customer=history.customers["Xavier"]) == []


# --- API ---------------------------------------------------------------------------------


def test_api_lifecycle_of_a_customer(history, api):
    xavier = history.customers["Xavier"]
    response = api(history.rep_a).get(f"/api/v1/customers/{xavier.pk}/lifecycle/")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [r["stage"] for r in rows] == ["prospect", "new", "repeat", "loyal"]
    assert rows[1]["began"].startswith("2026-01-11") and rows[-1]["ended"] is None
    assert rows[1]["days"] == 30.0 and rows[1]["label"]


def test_api_lifecycle_of_a_customer_the_user_may_not_see_is_not_found(history, api):
    yankee = history.customers["Yankee"]
    assert api(history.rep_a).get(f"/api/v1/customers/{yankee.pk}/lifecycle/").status_code == 404
    assert api(history.rep_b).get(f"/api/v1/customers/{yankee.pk}/lifecycle/").status_code == 200
    assert api(history.rep_b).get("/api/v1/customers/999999/lifecycle/").status_code == 404
    assert api().get(f"/api/v1/customers/{yankee.pk}/lifecycle/").status_code in (401, 403)


def test_api_time_in_stages_per_user(history, api):
    rows = api(history.rep_b).get("/api/v1/analytics/lifecycle/").json()["results"]
    assert {r["stage"] for r in rows} == {"prospect", "new", "churned"}
    rows = api(history.admin).get("/api/v1/analytics/lifecycle/").json()["results"]
    new = next(r for r in rows if r["stage"] == "new")
    assert new["stays"] == 3 and set(new) == {
        "stage",
        "label",
        "stays",
        "average_days",
        "median_days",
    }


# --- web ---------------------------------------------------------------------------------


def test_the_360_page_shows_the_lifecycle_history(history, client):
    client.force_login(history.rep_a)
    xavier = history.customers["Xavier"]
    text = client.get(f"/customers/{xavier.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    text = text.content.decode()
    assert 'id="lifecycle-card"' in text and "生命周期历程" in text
    assert "2026年1月11日" in text and "至今" in text
    other = history.customers["Yankee"]
    assert client.get(f"/customers/{other.pk}/").status_code == 404


def test_the_lifecycle_card_keeps_the_days_in_sight_in_the_narrow_side_column(history, client):
    """Four columns with Chinese dates (2025年6月15日) pushed the days out of the card, behind a
    horizontal scroll: the days now come right after the stage, the period below them."""
    client.force_login(history.rep_a)
    xavier = history.customers["Xavier"]
    text = client.get(f"/customers/{xavier.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    card = text[text.index('id="lifecycle-card"') :]
    card = card[: card.index("</table>")]
    headers = [h.split(">", 1)[1].split("<", 1)[0] for h in card.split("<th scope")[1:]]
    assert headers == ["阶段", "天数", "期间"]
    assert "table-responsive" not in card and "{#" not in card and "side column" not in card


def test_the_report_page_and_its_export_per_user(history, client, make_user):
    client.force_login(history.rep_b)
    page = client.get("/analytics/lifecycle/")
    text = page.content.decode()
    assert page.status_code == 200 and "中位天数" in text and "各生命周期阶段停留时长" in text
    assert "流失" in text  # Yankee's churned stay, translated
    # Sales reps may view but not export.
    assert client.get("/analytics/lifecycle/export/?format=csv").status_code == 403
    client.force_login(history.manager_a)  # team A: Xavier and Zulu
    response = client.get("/analytics/lifecycle/export/?format=csv")
    assert response.status_code == 200 and response["Content-Type"] == "text/csv"
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    stages = [r[0] for r in rows[2:]]
    assert len(stages) == 4  # prospect, new, repeat, loyal: not Yankee's churned stay
    xlsx = client.get("/analytics/lifecycle/export/?format=xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert client.get("/analytics/lifecycle/export/?format=pdf").status_code == 400
    reader = _without_analytics(make_user, history.team_a)
    client.force_login(reader)
    assert client.get("/analytics/lifecycle/").status_code == 403
    xavier = history.customers["Xavier"]
    page = client.get(f"/customers/{xavier.pk}/")
    assert page.status_code == 200 and 'id="lifecycle-card"' not in page.content.decode()


def test_the_api_schema_describes_the_lists_as_they_are_sent(history, api):
    """Both answers are {"results": [...]}; the schema said a bare array, so a client made
    from it could not read them."""
    schema = api(history.rep_a).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    paths = schema.json()["paths"]
    for path, item in (
        ("/api/v1/customers/{id}/lifecycle/", "StageStay"),
        ("/api/v1/analytics/lifecycle/", "StageTime"),
        ("/api/v1/customers/{id}/recommendations/", "Recommendation"),
    ):
        body = paths[path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        ref = body["$ref"].rsplit("/", 1)[-1]
        results = schema.json()["components"]["schemas"][ref]["properties"]["results"]
        assert results["type"] == "array", path
        assert results["items"]["$ref"].endswith(f"/{item}"), path


def test_a_user_who_sees_every_customer_reads_the_summary_a_scoped_one_their_own_live(
    history, api, client, monkeypatch
):
    """The whole history is a scan of seconds at a million customers: a user who sees every
    customer reads the figures the summary job computed, with their moment; a rep reads their
    own customers' live (and never the summary's figures over everyone)."""
    from guanxi.reports import services as report_services

    monkeypatch.setattr(report_services.timezone, "now", lambda: NOW)
    run = report_services.refresh_dashboard_summary()
    live = _report(history.admin)
    summary = {r["stage"]: r for r in selectors.time_in_stages(user=history.admin)}
    assert summary == live and summary["new"]["stays"] == 3
    assert selectors.stage_times_as_of(user=history.admin) == run.refreshed_at
    # A change after the summary shows in the admin's figures only with the next refresh.
    LifecycleChange.objects.create(
        customer=history.customers["Zulu"], from_stage="repeat", to_stage="loyal",
        changed_at=day(120),
    )  # fmt: skip
    assert selectors.time_in_stages(user=history.admin) == list(summary.values())
    # Rep B: their customer alone, live.
    assert selectors.stage_times_as_of(user=history.rep_b) is None
    rows = {r["stage"]: r for r in selectors.time_in_stages(user=history.rep_b)}
    assert rows["new"]["stays"] == 1
    body = api(history.admin).get("/api/v1/analytics/lifecycle/").json()
    assert body["as_of"] and body["results"][0]["stays"]
    assert api(history.rep_b).get("/api/v1/analytics/lifecycle/").json()["as_of"] is None
    client.force_login(history.admin)
    page = client.get("/analytics/lifecycle/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Figures over all customers as of" in page
