import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from guanxi.analytics import clv, selectors, services
from guanxi.analytics.models import CustomerScore, LifecycleChange, ModelFit
from guanxi.audit.models import AuditEvent
from guanxi.customers.models import Customer
from guanxi.followups.models import Task, TaskStatus

from .conftest import NOW, days_ago

pytestmark = pytest.mark.django_db


def scores():
    return {s.customer.display_name: s for s in CustomerScore.objects.select_related("customer")}


def test_full_recompute_scores_every_customer(shop):
    services.rebuild_costs()
    out = services.recompute_all(now=NOW)
    assert out["customers"] == 6
    s = scores()
    assert s["Foxtrot"].rfm_score == "" and s["Foxtrot"].recency_days is None
    assert s["Alpha"].recency_days == 10 and s["Alpha"].frequency == 7
    assert len(s["Alpha"].rfm_score) == 3 and s["Alpha"].rfm_segment
    assert 0 <= s["Alpha"].p_alive <= 1 and s["Alpha"].clv > 0
    assert s["Alpha"].churn_risk == pytest.approx(1 - s["Alpha"].p_alive)
    # Profit: spend minus 60 per unit; the units are the amounts / 100.
    alpha = Customer.objects.get(display_name="Alpha")
    assert s["Alpha"].cost_total == alpha.total_spent * Decimal("0.6")
    assert s["Alpha"].profit == alpha.total_spent * Decimal("0.4")
    # Echo was referred by Alpha.
    echo = Customer.objects.get(display_name="Echo")
    assert s["Alpha"].referral_value == echo.total_spent
    fit = ModelFit.objects.get()
    assert fit.r > 0 and fit.alpha > 0 and fit.cuts["recency"]
    stages = dict(Customer.objects.values_list("display_name", "lifecycle_stage"))
    assert stages["Foxtrot"] == "prospect" and stages["Delta"] == "churned"
    assert stages["Bravo"] == "churned"  # 340 days without purchase, p(alive) low
    # Every change is kept with its date and audited as a job.
    assert LifecycleChange.objects.filter(
        customer__display_name="Delta", to_stage="churned"
    ).exists()
    event = AuditEvent.objects.filter(customer_id=stages and alpha.pk, source="job").first()
    assert event is not None and "lifecycle_stage" in event.changes


def test_each_change_of_stage_status_or_tier_is_audited_once_with_its_date(shop):
    before = dict(Customer.objects.values_list("pk", "lifecycle_stage"))
    services.recompute_all(now=NOW)
    delta = Customer.objects.get(display_name="Delta")
    change = LifecycleChange.objects.get(customer=delta)
    assert (change.from_stage, change.to_stage) == (before[delta.pk], "churned")
    assert change.changed_at == NOW
    event = AuditEvent.objects.get(customer_id=delta.pk, source="job")
    assert event.object_type == "customers.customer" and event.object_id == str(delta.pk)
    assert event.object_repr == "Delta" and event.actor_id is None
    assert event.changes["lifecycle_stage"] == [before[delta.pk], "churned"]
    assert set(event.changes) <= {"lifecycle_stage", "status", "value_tier"}


def test_second_run_changes_nothing_and_writes_no_audit(shop):
    services.recompute_all(now=NOW)
    events = AuditEvent.objects.count()
    out = services.recompute_all(now=NOW)
    assert out["changed_customers"] == 0
    assert AuditEvent.objects.count() == events


def test_incremental_equals_full_for_a_changed_customer(shop, now):
    from guanxi.sales import services as sales

    services.recompute_all(now=NOW)
    charlie = shop.customers["Charlie"]
    order = sales.create_order(
        actor=shop.rep_b,
        data={
            "customer": charlie,
            "ordered_at": days_ago(1),
            "lines": [{"product": shop.product, "quantity": 2}],
        },
    )
    assert order.pk
    services.refresh_customers([charlie.pk], now=NOW)
    incremental = CustomerScore.objects.get(pk=charlie.pk)
    assert incremental.frequency == 3 and incremental.recency_days == 1
    # The full run with the same fit and cut points gives the same scores.
    fit = ModelFit.objects.get()
    batch = services.read_batch()
    from guanxi.analytics import scoring

    result = scoring.score(
        batch,
        services._fit_from(fit),
        services.rules_from(services.get_settings()),
        services.day_number(NOW),
        cuts=fit.cuts,
    )
    i = list(batch.ids).index(charlie.pk)
    assert incremental.p_alive == pytest.approx(result.p_alive[i])
    assert float(incremental.clv) == pytest.approx(result.clv[i], abs=0.01)
    assert incremental.rfm_score == f"{result.r_score[i]}{result.f_score[i]}{result.m_score[i]}"
    assert incremental.cost_total == Decimal("300.00")  # 1 + 2 + 2 units at 60


def test_order_services_rescore_on_commit(shop, django_capture_on_commit_callbacks):
    from guanxi.sales import services as sales

    services.recompute_all(now=NOW)
    foxtrot = shop.customers["Foxtrot"]
    with django_capture_on_commit_callbacks(execute=True):
        sales.create_order(
            actor=shop.rep_a,
            data={"customer": foxtrot, "lines": [{"product": shop.product, "quantity": 1}]},
        )
    score = CustomerScore.objects.get(pk=foxtrot.pk)
    assert score.frequency == 1 and score.recency_days == 0 and score.cost_total == Decimal("60")
    foxtrot.refresh_from_db()
    assert foxtrot.lifecycle_stage == "new"
    assert LifecycleChange.objects.filter(
        customer=foxtrot, from_stage="prospect", to_stage="new"
    ).exists()


def test_a_backtest_fits_the_past_and_changes_no_customer(shop):
    """A run as of a past date fits the models on the orders up to then and compares their
    predictions with the purchases that followed. Today's scores, stages and tasks stay as
    they are, and later scoring keeps using the fit of the last full run."""
    services.recompute_all(now=NOW)
    current = services.latest_fit()
    before = {name: (s.recency_days, s.frequency, s.clv) for name, s in scores().items()}
    stages = dict(Customer.objects.values_list("display_name", "lifecycle_stage"))

    out = services.recompute_all(as_of=days_ago(100), now=NOW)

    assert {n: (s.recency_days, s.frequency, s.clv) for n, s in scores().items()} == before
    assert dict(Customer.objects.values_list("display_name", "lifecycle_stage")) == stages
    assert out["changed_customers"] == 0 and out["warnings"] == 0
    backtest = ModelFit.objects.get(pk=out["fit_id"])
    assert backtest.backtest and backtest.as_of == days_ago(100)
    assert services.latest_fit() == current  # scoring still uses the full run's fit
    # Up to 100 days ago (that day included): Alpha (5 orders, 4 repeats), Bravo (4, 3) and
    # Delta (1, 0) had bought; Charlie and Echo had not. After it Alpha bought twice (50 and 10
    # days ago), Bravo and Delta not at all.
    holdout = backtest.holdout
    assert holdout["horizon_days"] == 100
    assert holdout["customers"] == 3
    assert holdout["actual"] == 2  # Alpha's orders 50 and 10 days ago
    groups = {g["repeat_purchases"]: g for g in holdout["by_repeat_purchases"]}
    assert groups[0]["customers"] == 1 and groups[0]["actual"] == 0  # Delta
    assert groups[3]["customers"] == 1 and groups[3]["actual"] == 0  # Bravo
    assert groups[4]["customers"] == 1 and groups[4]["actual"] == 2  # Alpha
    params = clv.BgNbdParams(backtest.r, backtest.alpha, backtest.a, backtest.b)
    delta = clv.expected_purchases(params, 100, [0.0], [0.0], [400.0])[0]  # first order 500 d ago
    assert groups[0]["predicted"] == pytest.approx(float(delta), abs=1e-4)
    assert holdout["predicted"] == pytest.approx(
        sum(g["predicted"] * g["customers"] for g in groups.values()), abs=0.01
    )


def test_the_last_full_fit_is_used_after_a_backtest_by_incremental_scoring(shop):
    services.recompute_all(now=NOW)
    current = services.latest_fit()
    services.recompute_all(as_of=days_ago(100), now=NOW)
    assert ModelFit.objects.order_by("-id").first().backtest
    services.refresh_customers([shop.customers["Alpha"].pk], now=NOW)
    assert scores()["Alpha"].recency_days == 10  # today's facts, not those of the backtest
    assert services.latest_fit() == current


def test_warnings_tasks_and_reasons(shop):
    services.recompute_all(now=NOW)
    created = services.create_winback_tasks()
    warned = set(
        CustomerScore.objects.filter(warning=True).values_list("customer__display_name", flat=True)
    )
    assert {"Bravo", "Delta"} <= warned and "Echo" not in warned
    assert created == len(warned)
    task = Task.objects.get(customer__display_name="Delta")
    assert task.assignee == shop.rep_b and task.status == TaskStatus.OPEN
    # One open task per customer: a second pass creates none.
    assert services.create_winback_tasks() == 0
    rules = services.rules_from(services.get_settings())
    with translation.override("en"):
        reasons = selectors.warning_reasons(
            CustomerScore.objects.get(customer__display_name="Delta"), rules
        )
    assert reasons == ["no purchase for 500 days (more than 180)"]


def test_reasons_wording():
    rules = services.scoring.Rules(warn_p_alive=0.3, warn_days=180, warn_interval_factor=3)
    score = CustomerScore(p_alive=0.21, recency_days=240, usual_interval_days=45)
    with translation.override("en"):
        assert selectors.warning_reasons(score, rules) == [
            "p(alive) 0.21 < 0.3",
            "no purchase for 240 days, usually every 45",
        ]
    with translation.override("zh-hans"):
        assert selectors.warning_reasons(score, rules)[1] == "已 240 天未购买，平时每 45 天购买一次"


def test_a_rep_sees_only_warnings_of_their_own_customers(shop):
    services.recompute_all(now=NOW)
    names_a = set(selectors.warning_list(user=shop.rep_a).values_list("display_name", flat=True))
    names_b = set(selectors.warning_list(user=shop.rep_b).values_list("display_name", flat=True))
    assert names_a == {"Bravo"} and names_b == {"Delta"}
    everyone = set(
        selectors.warning_list(user=shop.head_manager).values_list("display_name", flat=True)
    )
    assert everyone == {"Bravo", "Delta"}


def test_time_in_stages(shop):
    services.recompute_all(now=NOW - dt.timedelta(days=10))
    services.recompute_all(now=NOW)
    report = {row["stage"]: row for row in selectors.time_in_stages(user=shop.admin, now=NOW)}
    assert report["churned"]["stays"] >= 2
    assert report["churned"]["average_days"] == pytest.approx(10)
    mine = {
        row["stage"]: row["stays"] for row in selectors.time_in_stages(user=shop.rep_a, now=NOW)
    }
    assert mine["churned"] == 1  # only Bravo among rep A's customers


def test_settings_validation_and_permission(shop):
    from django.core.exceptions import ValidationError

    from guanxi.core.errors import PermissionDeniedError

    with pytest.raises(PermissionDeniedError):
        services.update_settings(actor=shop.head_manager, data={"warn_days": 90}, version=1)
    with pytest.raises(ValidationError) as err:
        services.update_settings(
            actor=shop.admin, data={"tier_high_share": 0.8, "tier_mid_share": 0.5}, version=1
        )
    assert "tier_mid_share" in err.value.message_dict
    row = services.update_settings(actor=shop.admin, data={"warn_days": 90}, version=1)
    assert row.warn_days == 90 and row.version == 2


def test_writes_in_small_batches_give_the_same_result(shop, monkeypatch):
    monkeypatch.setattr(services, "WRITE_BATCH", 2)
    services.recompute_all(now=NOW)
    small = {s.customer_id: (s.rfm_score, s.clv, s.warning) for s in CustomerScore.objects.all()}
    stages = dict(Customer.objects.values_list("pk", "lifecycle_stage"))
    monkeypatch.setattr(services, "WRITE_BATCH", 50_000)
    out = services.recompute_all(now=NOW)
    assert out["changed_customers"] == 0
    assert small == {
        s.customer_id: (s.rfm_score, s.clv, s.warning) for s in CustomerScore.objects.all()
    }
    assert stages == dict(Customer.objects.values_list("pk", "lifecycle_stage"))


# --- the full recompute's rebuild of the score table (SQLite) and the upsert ------------------


def _stored_rows() -> list[tuple]:
    """Every score row as stored: on SQLite quote() tells 50 from 50.0 and NULL from ''."""
    from django.db import connection

    names = [f.column for f in CustomerScore._meta.concrete_fields]
    if connection.vendor == "sqlite":
        names = [f"quote({n})" for n in names]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(names)} "  # noqa: S608 (model columns)
            "FROM analytics_customerscore ORDER BY customer_id"
        )
        return [tuple(str(v) for v in row) for row in cursor.fetchall()]


def _vendor() -> str:
    from django.db import connection

    return connection.vendor


sqlite_only = pytest.mark.skipif(
    _vendor() != "sqlite", reason="the rebuild of the score table is SQLite's; others upsert"
)


def _schema() -> list[tuple]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'analytics_customerscore' "
            "ORDER BY type, name"
        )
        return cursor.fetchall()


def _scored(as_of_now=NOW):
    from guanxi.analytics import scoring

    batch = services.read_batch()
    result = scoring.score(
        batch,
        services._fit_from(services.latest_fit()),
        services.rules_from(services.get_settings()),
        services.day_number(as_of_now),
        cuts=None,
    )
    return batch, result


@sqlite_only
def test_the_rebuild_and_the_upsert_leave_the_same_rows(shop):
    from django.db import connection, transaction

    services.rebuild_costs()
    services.recompute_all(now=NOW)
    batch, result = _scored()
    with transaction.atomic():
        services.write_scores(batch, result, computed_at=NOW, rebuild=True)
    rebuilt = _stored_rows()
    # The upsert over rows holding other values, and into an empty table, give the same rows.
    CustomerScore.objects.update(
        recency_days=None, frequency=0, monetary=0, rfm_score="", rfm_segment="", clv=None
    )
    services.write_scores(batch, result, computed_at=NOW)
    assert _stored_rows() == rebuilt
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM analytics_customerscore")
    services.write_scores(batch, result, computed_at=NOW)
    assert _stored_rows() == rebuilt
    # And the same as parameters in the form other databases get (None for missing values,
    # booleans): the NaN and 0/1 that SQLite is given are stored as NULL and 0/1.
    columns = services._score_columns(batch, result, "x")
    columns[-1][:] = connection.ops.adapt_datetimefield_value(NOW)
    plain = [
        [None if isinstance(v, float) and v != v else v for v in column.tolist()]
        for column in columns
    ]
    plain[services._SCORE_COLUMNS.index("warning")] = [bool(v) for v in result.warning]
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM analytics_customerscore")
        cursor.executemany(services._upsert_sql(), list(zip(*plain, strict=True)))
    assert _stored_rows() == rebuilt
    foxtrot = CustomerScore.objects.get(customer=shop.customers["Foxtrot"])
    assert foxtrot.recency_days is None and foxtrot.p_alive is None and foxtrot.warning is False
    alpha = CustomerScore.objects.get(customer=shop.customers["Alpha"])
    assert alpha.recency_days == 10 and isinstance(alpha.recency_days, int)


@sqlite_only
def test_a_full_recompute_rebuilds_the_table_with_the_schema_of_the_migrations(shop, monkeypatch):
    before = _schema()
    calls = []
    real = services._rebuild_table
    monkeypatch.setattr(services, "_rebuild_table", lambda *a: calls.append(1) or real(*a))
    services.recompute_all(now=NOW)
    assert calls == [1]
    assert _schema() == before
    # The incremental update upserts.
    services.refresh_customers([shop.customers["Alpha"].pk], now=NOW)
    assert calls == [1]


def test_a_rebuild_keeps_win_back_tasks_and_rows_of_customers_not_scored(shop):
    from guanxi.customers.models import Customer

    services.recompute_all(now=NOW)
    assert services.create_winback_tasks() > 0
    links = dict(
        CustomerScore.objects.filter(winback_task__isnull=False).values_list(
            "customer_id", "winback_task_id"
        )
    )
    assert links
    # A customer in the recycle bin is not scored; its row stays as it was.
    bravo = shop.customers["Bravo"]
    Customer.objects.filter(pk=bravo.pk).update(deleted_at=NOW)
    bravo_row = [r for r in _stored_rows() if r[0] == str(bravo.pk)]
    later = NOW + dt.timedelta(days=1)
    services.recompute_all(now=later)
    assert [r for r in _stored_rows() if r[0] == str(bravo.pk)] == bravo_row
    assert (
        dict(
            CustomerScore.objects.filter(winback_task__isnull=False).values_list(
                "customer_id", "winback_task_id"
            )
        )
        == links
    )
    # The other rows were rewritten as of the new day.
    alpha = CustomerScore.objects.get(customer=shop.customers["Alpha"])
    assert alpha.recency_days == 11 and alpha.computed_at == later
    assert CustomerScore.objects.count() == 6


def test_every_score_column_is_either_computed_or_kept():
    """A column added to CustomerScore must be put in _SCORE_COLUMNS (the recompute writes it)
    or _KEPT_COLUMNS (a rebuild of the table carries it over); until then the full recompute
    falls back to the upsert."""
    columns = {f.column for f in CustomerScore._meta.concrete_fields}
    assert columns == set(services._SCORE_COLUMNS) | set(services._KEPT_COLUMNS)
    assert not set(services._SCORE_COLUMNS) & set(services._KEPT_COLUMNS)
    for name in services._KEPT_COLUMNS:
        assert CustomerScore._meta.get_field(name.removesuffix("_id")).null


@sqlite_only
def test_an_unknown_column_makes_the_full_recompute_upsert(shop, monkeypatch):
    calls = []
    monkeypatch.setattr(services, "_KEPT_COLUMNS", ())
    monkeypatch.setattr(services, "_rebuild_table", lambda *a: calls.append(1))
    services.recompute_all(now=NOW)
    assert calls == [] and CustomerScore.objects.count() == 6


@pytest.mark.django_db(transaction=True)
def test_a_reader_sees_the_old_rows_or_the_new_ones_during_a_rebuild(shop):
    """SQLite in WAL mode: a read transaction open across the swap keeps reading the table
    as it began; a later one reads the new table."""
    import sqlite3

    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("the rebuild is SQLite's")
    services.recompute_all(now=NOW)
    alpha = shop.customers["Alpha"].pk
    reader = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
    try:
        reader.execute("BEGIN")
        query = "SELECT recency_days FROM analytics_customerscore WHERE customer_id = ?"
        assert reader.execute(query, [alpha]).fetchone() == (10,)
        services.recompute_all(now=NOW + dt.timedelta(days=2))
        assert reader.execute(query, [alpha]).fetchone() == (10,)
        reader.execute("COMMIT")
        assert reader.execute(query, [alpha]).fetchone() == (12,)
    finally:
        reader.close()


@pytest.mark.parametrize(
    "data,field",
    [
        ({"loyal_orders": 0}, "loyal_orders"),  # every buyer "loyal", none new or repeat
        ({"loyal_orders": 1}, "loyal_orders"),
        ({"at_risk_days": 0, "churned_days": 0}, "at_risk_days"),  # all but today's buyers
        ({"warn_days": 0}, "warn_days"),  # a warning and a win-back task for almost everyone
        ({"dormant_days": 0}, "dormant_days"),
        ({"dormant_days": 99_999_999_999}, "dormant_days"),
        ({"churned_days": 10**9}, "churned_days"),
        ({"tier_mid_amount": Decimal("-5")}, "tier_mid_amount"),  # nobody ever low
        ({"tier_mid_amount": Decimal("-50"), "tier_high_amount": -1}, "tier_high_amount"),
        ({"loyal_orders": 100_000_000_000}, "loyal_orders"),  # out of a small integer's range
    ],
)
def test_thresholds_that_empty_a_stage_or_flag_everyone_are_refused(shop, data, field):
    """They were saved, and the next recompute moved hundreds of customers (and made a task
    for each warned one)."""
    with pytest.raises(ValidationError) as err:
        services.update_settings(actor=shop.admin, data=data, version=1)
    assert field in err.value.message_dict, err.value.message_dict
    assert services.get_settings().version == 1


def test_winback_tasks_are_written_in_the_owners_language(shop):
    """They were written in whatever language the job ran in (the site's default), so an
    English-speaking rep got "挽回客户 Bravo" and Chinese reasons."""
    shop.rep_a.language = "en"
    shop.rep_a.save(update_fields=["language"])
    services.recompute_all(now=NOW)
    with translation.override("zh-hans"):
        services.create_winback_tasks()
    bravo = Task.objects.get(customer__display_name="Bravo")
    assert bravo.title == "Win back Bravo" and "no purchase for" in bravo.notes
    delta = Task.objects.get(customer__display_name="Delta")  # rep B: the site's language
    assert delta.title == "挽回客户 Delta"


def test_the_nightly_recompute_is_not_queued_twice_while_one_is_under_way(shop):
    from guanxi.analytics import tasks
    from guanxi.jobs.models import Job, JobStatus

    tasks.recompute_nightly.call_local()
    job = Job.objects.get(kind="analytics.recompute")
    assert job.created_by is None and job.status == JobStatus.QUEUED
    tasks.recompute_nightly.call_local()  # last night's still queued, or a person's
    assert Job.objects.filter(kind="analytics.recompute").count() == 1
    Job.objects.filter(pk=job.pk).update(status=JobStatus.SUCCEEDED)
    tasks.recompute_nightly.call_local()
    assert Job.objects.filter(kind="analytics.recompute").count() == 2


def _open_winback(name: str) -> Task:
    score = CustomerScore.objects.select_related("winback_task").get(customer__display_name=name)
    assert score.winback_task is not None and score.winback_task.status == TaskStatus.OPEN
    return score.winback_task


def test_a_winback_task_is_done_when_the_customer_buys_again(
    shop, django_capture_on_commit_callbacks
):
    """The task stayed open after the customer came back: the owner kept being asked to win
    back a customer who had just bought."""
    from django.utils import timezone

    from guanxi.sales import services as sales

    services.recompute_all(now=NOW)
    services.create_winback_tasks()
    task = _open_winback("Bravo")
    other = _open_winback("Delta")
    with django_capture_on_commit_callbacks(execute=True):
        sales.create_order(
            actor=shop.rep_a,
            data={
                "customer": shop.customers["Bravo"],
                "lines": [{"product": shop.product, "quantity": 1}],
            },
        )
    score = CustomerScore.objects.get(customer__display_name="Bravo")
    assert not score.warning and score.winback_task_id is None
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE and task.completed_at is not None
    assert task.version == 2
    # The owner's language (the site's: zh-hans), after the reasons already there.
    assert task.notes.endswith("\n\n客户已再次购买。") and task.notes.startswith("存活概率")
    event = AuditEvent.objects.filter(object_type="followups.task", object_id=str(task.pk)).latest(
        "id"
    )
    assert event.actor_id is None and event.customer_id == shop.customers["Bravo"].pk
    assert event.changes["status"] == ["open", "done"]
    # Only the customer who bought: Delta's task stays open.
    other.refresh_from_db()
    assert other.status == TaskStatus.OPEN
    # A new warning later makes a new task.
    services.recompute_all(now=timezone.now() + dt.timedelta(days=900))
    assert services.create_winback_tasks(customer_ids=[shop.customers["Bravo"].pk]) == 1
    assert _open_winback("Bravo").pk != task.pk


def test_the_full_recompute_closes_the_tasks_of_customers_no_longer_warned(shop):
    from django.utils import timezone

    from guanxi.customers import aggregates
    from guanxi.sales.models import Order

    shop.rep_b.language = "en"
    shop.rep_b.save(update_fields=["language"])
    services.recompute_all(now=NOW)
    services.create_winback_tasks()
    bravo, delta = _open_winback("Bravo"), _open_winback("Delta")
    # Delta buys (an order written straight into the table, as an import would), and the
    # thresholds no longer warn about Bravo.
    Order.objects.create(
        customer=shop.customers["Delta"],
        number="D2",
        ordered_at=timezone.now(),
        total=100,
        total_base=100,
    )
    aggregates.refresh_all()
    services.update_settings(
        actor=shop.admin,
        data={"warn_p_alive": 0.0, "warn_days": 36_500, "warn_interval_factor": 1000.0},
        version=1,
    )
    out = services.recompute_all()
    assert out["closed_winback_tasks"] == 2
    delta.refresh_from_db()
    bravo.refresh_from_db()
    assert delta.status == TaskStatus.DONE and delta.notes.endswith("The customer bought again.")
    assert bravo.status == TaskStatus.CANCELLED and bravo.completed_at is None
    assert bravo.notes.endswith("客户已不在流失预警名单上。")
    assert not CustomerScore.objects.filter(winback_task__isnull=False).exists()
    # Nothing left to close: a second run closes none and writes no audit event.
    events = AuditEvent.objects.count()
    assert services.recompute_all()["closed_winback_tasks"] == 0
    assert AuditEvent.objects.count() == events


def test_a_task_closed_by_its_owner_is_left_alone(shop):
    from guanxi.followups import services as followups

    services.recompute_all(now=NOW)
    services.create_winback_tasks()
    task = _open_winback("Delta")
    followups.cancel_task(actor=shop.rep_b, task=task)
    services.update_settings(
        actor=shop.admin,
        data={"warn_p_alive": 0.0, "warn_days": 36_500, "warn_interval_factor": 1000.0},
        version=1,
    )
    assert services.recompute_all()["closed_winback_tasks"] == 1  # Bravo's, not this one
    task.refresh_from_db()
    assert task.status == TaskStatus.CANCELLED and task.version == 2 and not task.notes.count("\n")


def test_closing_win_back_tasks_takes_the_same_queries_for_one_or_many(shop):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    services.recompute_all(now=NOW)
    services.create_winback_tasks()
    warned = list(CustomerScore.objects.filter(warning=True).values_list("pk", flat=True))
    assert len(warned) >= 2
    CustomerScore.objects.filter(pk=warned[0]).update(warning=False)
    with CaptureQueriesContext(connection) as one:
        assert services.close_winback_tasks() == 1
    CustomerScore.objects.filter(pk__in=warned).update(warning=False)
    with CaptureQueriesContext(connection) as many:
        assert services.close_winback_tasks() == len(warned) - 1
    assert len(many) == len(one)


def test_a_recompute_as_of_a_past_date_does_not_stop_the_nightly_one(shop):
    """A run as of a past date writes every score as of then and leaves today's stages alone:
    the nightly run queued after it is what brings the scores back to today. Skipping the
    night because such a run was under way left the past scores in place for a whole day."""
    from guanxi.analytics import tasks
    from guanxi.jobs.models import Job

    past = Job.objects.create(
        kind="analytics.recompute", params={"as_of": "2025-01-01T00:00:00+00:00"}
    )
    tasks.recompute_nightly.call_local()
    nightly = Job.objects.filter(kind="analytics.recompute").exclude(pk=past.pk)
    assert [job.params for job in nightly] == [{}]
    tasks.recompute_nightly.call_local()  # a run for today is under way now: not twice
    assert nightly.count() == 1
