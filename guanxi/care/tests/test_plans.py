import datetime as dt
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from guanxi.care import services
from guanxi.care.models import CarePlan, CareTask
from guanxi.core.errors import ConflictError, PermissionDeniedError
from guanxi.customers.models import Customer
from guanxi.followups import services as task_services
from guanxi.followups.models import Task

pytestmark = pytest.mark.django_db


@pytest.fixture
def migrated_data(transactional_db):
    """What the data migrations install (roles, default care plans and greeting templates):
    a test that commits runs after others that emptied the tables."""
    import importlib

    from django.apps import apps

    roles = importlib.import_module("guanxi.accounts.migrations.0002_default_roles")
    roles.add_roles(apps, None)
    care = importlib.import_module("guanxi.care.migrations.0002_defaults")
    care.add(apps, None)


def test_default_plans():
    plans = {p.grade: p.cadence_days for p in CarePlan.objects.all()}
    assert plans == {"vip": 30, "important": 60}


def _age(customer, *, contacted_days_ago=None, created_days_ago=400):
    now = timezone.now()
    Customer.objects.filter(pk=customer.pk).update(
        created_at=now - dt.timedelta(days=created_days_ago),
        last_interaction_at=None
        if contacted_days_ago is None
        else now - dt.timedelta(days=contacted_days_ago),
    )


def test_care_tasks_for_customers_not_contacted_within_the_cadence(world):
    Customer.objects.filter(pk=world.cust_a.pk).update(grade="vip")
    Customer.objects.filter(pk=world.cust_b.pk).update(grade="vip")
    Customer.objects.filter(pk=world.pooled.pk).update(grade="vip")
    _age(world.cust_a, contacted_days_ago=31)
    _age(world.cust_b, contacted_days_ago=29)  # contacted recently enough
    _age(world.pooled, contacted_days_ago=100)  # no owner: in the pool, skipped
    assert services.run_care_plans() == 1
    task = Task.objects.get()
    assert task.customer_id == world.cust_a.pk and task.assignee == world.rep_a
    assert task.kind == "visit" and task.status == "open"
    assert CareTask.objects.get().task == task
    # idempotent: a second run makes no second open task
    assert services.run_care_plans() == 0
    # once done, and still not contacted, the next run makes a new one
    task_services.complete_task(actor=world.rep_a, task=task)
    assert services.run_care_plans() == 1
    assert Task.objects.filter(status="open", customer=world.cust_a).count() == 1


def test_never_contacted_counts_from_creation_and_grades_without_plan(world):
    _age(world.cust_a, created_days_ago=61)
    Customer.objects.filter(pk=world.cust_a.pk).update(grade="important")
    _age(world.cust_b, created_days_ago=400)  # normal grade: no plan
    assert services.run_care_plans() == 1
    assert Task.objects.get().customer_id == world.cust_a.pk


def test_inactive_plans_and_deleted_customers_make_nothing(world):
    Customer.objects.filter(pk=world.cust_a.pk).update(grade="vip", deleted_at=timezone.now())
    _age(world.cust_b, contacted_days_ago=90)
    Customer.objects.filter(pk=world.cust_b.pk).update(grade="important")
    CarePlan.objects.filter(grade="important").update(active=False)
    assert services.run_care_plans() == 0


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_make_one_task(migrated_data, world):
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith(
        "file:memorydb"
    ):
        pytest.skip("an in-memory SQLite database is not shared between threads")
    Customer.objects.filter(pk=world.cust_a.pk).update(grade="vip")
    _age(world.cust_a, contacted_days_ago=45)
    barrier = threading.Barrier(2)
    results = []

    def run():
        barrier.wait()
        try:
            results.append(services.run_care_plans())
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [0, 1]
    assert Task.objects.count() == 1


def test_plan_crud_is_admin_only_versioned_and_validated(world):
    with pytest.raises(PermissionDeniedError):
        services.create_plan(
            actor=world.rep_a, data={"name": "x", "grade": "vip", "cadence_days": 7}
        )
    plan = services.create_plan(
        actor=world.admin, data={"name": " Weekly  VIP ", "grade": "vip", "cadence_days": 7}
    )
    assert plan.name == "Weekly VIP" and plan.version == 1
    for bad, field in [
        ({"name": "VIP care"}, "name"),
        ({"cadence_days": 0}, "cadence_days"),
        ({"grade": "gold"}, "grade"),
        ({"name": "  "}, "name"),
        ({"colour": "red"}, "colour"),
    ]:
        with pytest.raises(ValidationError) as error:
            services.update_plan(actor=world.admin, plan=plan, data=bad, version=1)
        assert field in error.value.message_dict
    plan = services.update_plan(actor=world.admin, plan=plan, data={"cadence_days": 14}, version=1)
    assert plan.version == 2
    with pytest.raises(ConflictError):
        services.update_plan(actor=world.admin, plan=plan, data={"cadence_days": 9}, version=1)
    services.delete_plan(actor=world.admin, plan=plan)
    assert not CarePlan.objects.filter(pk=plan.pk).exists()
