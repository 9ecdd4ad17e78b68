"""Completeness and freshness: the score on every write, verification, data-check tasks by
update cycle, the list of stale and incomplete records, the recompute job."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from guanxi.audit.models import AuditEvent
from guanxi.customers import completeness
from guanxi.customers import services as customer_services
from guanxi.customers.models import Customer
from guanxi.followups.models import Task, TaskKind, TaskStatus
from guanxi.jobs.models import Job, JobStatus
from guanxi.jobs.services import start_job
from guanxi.quality import services

from .conftest import GOOD_USCC

pytestmark = pytest.mark.django_db

URL = "/api/v1/customers/"


def test_completeness_is_computed_on_create_and_update(two_teams, customer_of):
    bare = customer_of(two_teams.rep_a, display_name="王芳")
    full = customer_of(
        two_teams.rep_a,
        display_name="李雷",
        gender="male",
        birthday=dt.date(1990, 1, 1),
        identity_code="E12345678",
        occupation="教师",
        region="杭州",
        tags=["老客户"],
        contact_points=[
            {"kind": "mobile", "value": "13800138000"},
            {"kind": "email", "value": "li@example.com"},
        ],
        addresses=[{"city": "杭州", "street": "文三路 1 号"}],
    )
    assert full.completeness == 100
    assert 0 < bare.completeness < 30
    updated = customer_services.update_customer(
        actor=two_teams.rep_a,
        customer=bare,
        data={"contact_points": [{"kind": "mobile", "value": "13900139000"}]},
        version=bare.version,
    )
    assert updated.completeness > bare.completeness


def test_organisation_completeness_counts_contacts_and_credit_code(two_teams, customer_of):
    org = customer_of(
        two_teams.rep_a, kind="organisation", display_name="远方贸易", credit_code=GOOD_USCC
    )
    before = Customer.objects.get(pk=org.pk).completeness
    contact = customer_services.create_contact(
        actor=two_teams.rep_a, data={"organisation": org, "name": "赵经理"}
    )
    with_contact = Customer.objects.get(pk=org.pk).completeness
    assert with_contact > before
    customer_services.delete_contact(actor=two_teams.rep_a, contact=contact)
    assert Customer.objects.get(pk=org.pk).completeness == before


def test_weights_are_in_one_place_and_sum_per_kind():
    facts = completeness.Facts(kind="person", display_name="x")
    assert completeness.score(facts) == round(
        100 * 10 / sum(w for _f, w, kind in completeness.WEIGHTS if kind in ("", "person"))
    )
    assert "phone" in completeness.missing(facts)


def test_recompute_job_fills_every_customer(
    two_teams, customer_of, django_capture_on_commit_callbacks
):
    customer = customer_of(two_teams.rep_a, display_name="王芳", region="杭州")
    Customer.objects.filter(pk=customer.pk).update(completeness=0, name_key="stale")
    with django_capture_on_commit_callbacks(execute=True):
        job = start_job(kind="quality.recompute", actor=two_teams.admin, params={"keys": True})
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job
    customer.refresh_from_db()
    assert customer.completeness > 0 and customer.name_key == "王芳"
    assert Job.objects.get(pk=job.pk).result["changed"] == 1


# --- verification -----------------------------------------------------------------------------


def test_verify_through_the_api_is_audited_and_gated(two_teams, api, customer_of):
    customer = customer_of(two_teams.rep_a)
    assert api(two_teams.rep_b).post(f"{URL}{customer.pk}/verify/").status_code == 404
    assert api(two_teams.analyst).post(f"{URL}{customer.pk}/verify/").status_code == 403
    response = api(two_teams.rep_a).post(f"{URL}{customer.pk}/verify/")
    assert response.status_code == 200 and response.json()["verified_at"]
    assert any(
        "verified_at" in e.changes and e.actor_id == two_teams.rep_a.pk
        for e in AuditEvent.objects.filter(customer_id=customer.pk)
    )


def test_verify_on_the_360_page(two_teams, web, customer_of):
    customer = customer_of(two_teams.rep_a)
    page = web(two_teams.rep_a).get(reverse("customers:detail", args=[customer.pk]))
    assert (
        page.status_code == 200
        and reverse("quality:verify", args=[customer.pk]) in page.content.decode()
    )
    response = web(two_teams.rep_a).post(reverse("quality:verify", args=[customer.pk]))
    assert response.status_code == 302
    assert Customer.objects.get(pk=customer.pk).verified_at is not None
    assert (
        web(two_teams.rep_b).post(reverse("quality:verify", args=[customer.pk])).status_code == 404
    )
    assert (
        web(two_teams.rep_a).get(reverse("quality:verify", args=[customer.pk])).status_code == 405
    )


# --- update cycles ----------------------------------------------------------------------------


def age(customer, *, created_days=None, verified_days=None):
    now = timezone.now()
    values = {}
    if created_days is not None:
        values["created_at"] = now - dt.timedelta(days=created_days)
    if verified_days is not None:
        values["verified_at"] = now - dt.timedelta(days=verified_days)
    Customer.objects.filter(pk=customer.pk).update(**values)


def test_data_check_tasks_follow_the_grade_cycles(two_teams, customer_of):
    vip_due = customer_of(two_teams.rep_a, display_name="贵宾甲", grade="vip")
    age(vip_due, created_days=100)
    vip_fresh = customer_of(two_teams.rep_a, display_name="贵宾乙", grade="vip")
    age(vip_fresh, created_days=400, verified_days=30)
    normal_young = customer_of(two_teams.rep_b, display_name="普通甲")
    age(normal_young, created_days=200)
    normal_due = customer_of(two_teams.rep_b, display_name="普通乙")
    age(normal_due, created_days=800, verified_days=400)
    made = services.create_data_check_tasks()
    assert made == 2
    tasks = Task.objects.filter(kind=TaskKind.DATA_CHECK)
    assert {(t.customer_id, t.assignee_id) for t in tasks} == {
        (vip_due.pk, two_teams.rep_a.pk),
        (normal_due.pk, two_teams.rep_b.pk),
    }
    # At most one open data-check task per customer: running again makes none.
    assert services.create_data_check_tasks() == 0
    Task.objects.filter(customer=vip_due).update(status=TaskStatus.DONE)
    assert services.create_data_check_tasks() == 1


def test_verifying_a_customer_completes_its_open_data_check_task(two_teams, api, web, customer_of):
    """The task says "confirm or correct it, then mark it as verified": marking it verified
    (API or 360° page) is the check done, so the task does not stay open."""
    first = customer_of(two_teams.rep_a, display_name="贵宾甲", grade="vip")
    second = customer_of(two_teams.rep_a, display_name="贵宾乙", grade="vip")
    age(first, created_days=100)
    age(second, created_days=100)
    assert services.create_data_check_tasks() == 2
    response = api(two_teams.rep_a).post(f"{URL}{first.pk}/verify/")
    assert response.status_code == 200
    task = Task.objects.get(customer=first, kind=TaskKind.DATA_CHECK)
    assert task.status == TaskStatus.DONE
    web(two_teams.rep_a).post(reverse("quality:verify", args=[second.pk]))
    assert Task.objects.get(customer=second, kind=TaskKind.DATA_CHECK).status == TaskStatus.DONE
    assert services.create_data_check_tasks() == 0


def test_cycles_are_configurable(two_teams, customer_of):
    customer = customer_of(two_teams.rep_a, grade="important")
    age(customer, created_days=40)
    assert services.create_data_check_tasks() == 0
    row = services.get_settings()
    services.save_settings(
        actor=two_teams.admin, data={"cycle_important_days": 30}, version=row.version
    )
    assert services.create_data_check_tasks() == 1


def test_deleted_customers_get_no_task(two_teams, customer_of):
    customer = customer_of(two_teams.rep_a, grade="vip")
    age(customer, created_days=100)
    customer_services.delete_customer(actor=two_teams.rep_a, customer=customer)
    assert services.create_data_check_tasks() == 0


# --- the list of stale and incomplete records ------------------------------------------------


def test_stale_page_lists_only_what_the_user_may_see(two_teams, web, customer_of):
    mine = customer_of(two_teams.rep_a, display_name="王芳")
    theirs = customer_of(two_teams.rep_b, display_name="李雷")
    page = web(two_teams.rep_a).get(reverse("quality:stale"), {"mode": "incomplete"})
    assert page.status_code == 200
    ids = [c.pk for c in page.context["page"].rows]
    assert mine.pk in ids and theirs.pk not in ids


def test_stale_page_filters_and_sorts(two_teams, web, customer_of):
    due = customer_of(
        two_teams.rep_a,
        display_name="贵宾",
        grade="vip",
        region="杭州",
        occupation="教师",
        birthday=dt.date(1990, 1, 1),
        gender="female",
        identity_code="E12345678",
        contact_points=[
            {"kind": "mobile", "value": "13800138000"},
            {"kind": "email", "value": "a@b.cn"},
        ],
        addresses=[{"city": "杭州"}],
    )
    age(due, created_days=200)
    assert 90 <= Customer.objects.get(pk=due.pk).completeness < 100  # no tags
    sparse = customer_of(two_teams.rep_a, display_name="新客")
    c = web(two_teams.rep_a)
    stale = [r.pk for r in c.get(reverse("quality:stale"), {"mode": "stale"}).context["page"].rows]
    assert stale == [due.pk]
    incomplete = c.get(reverse("quality:stale"), {"mode": "incomplete", "below": "50"})
    assert [r.pk for r in incomplete.context["page"].rows] == [sparse.pk]
    either = c.get(reverse("quality:stale"), {"mode": "any", "sort": "completeness"})
    assert [r.pk for r in either.context["page"].rows] == [sparse.pk, due.pk]
    both = c.get(reverse("quality:stale"), {"mode": "both", "below": "100"})
    assert [r.pk for r in both.context["page"].rows] == [due.pk]
    assert c.get(reverse("quality:stale"), {"mode": "both"}).context["page"].rows == []
    by_verified = c.get(reverse("quality:stale"), {"sort": "verified"})
    assert {r.pk for r in by_verified.context["page"].rows} == {sparse.pk, due.pk}
    # Bad parameters fall back to defaults, never a 500.
    for params in (
        {"mode": "x", "below": "abc", "sort": "?"},
        {"cursor": "garbage"},
        {"below": "-5"},
    ):
        assert c.get(reverse("quality:stale"), params).status_code == 200


def test_stale_page_query_count_does_not_grow_with_rows(
    two_teams, web, customer_of, django_assert_max_num_queries
):
    for i in range(30):
        customer_of(two_teams.rep_a, display_name=f"客户{i}")
    c = web(two_teams.rep_a)
    with django_assert_max_num_queries(14):
        response = c.get(reverse("quality:stale"))
    assert response.status_code == 200 and len(response.context["page"].rows) == 25
    assert response.context["next_url"]
    with django_assert_max_num_queries(14):
        assert c.get(reverse("quality:stale") + response.context["next_url"]).status_code == 200


def test_stale_page_needs_login(client):
    assert client.get(reverse("quality:stale")).status_code == 302


def test_only_admins_start_the_recompute_job(two_teams, web, django_capture_on_commit_callbacks):
    assert web(two_teams.rep_a).post(reverse("quality:recompute")).status_code == 403
    assert not Job.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = web(two_teams.admin).post(reverse("quality:recompute"))
    assert response.status_code == 302
    assert Job.objects.get().kind == "quality.recompute"


def test_a_second_recompute_job_waits_for_the_first(two_teams, web):
    admin = web(two_teams.admin)
    assert admin.post(reverse("quality:recompute")).status_code == 302  # queued
    page = admin.post(reverse("quality:recompute"), follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "already under way" in page.content.decode()
    assert Job.objects.filter(kind="quality.recompute").count() == 1


def test_an_owner_gets_at_most_a_days_worth_of_data_checks(two_teams, customer_of, monkeypatch):
    monkeypatch.setattr(services, "DATA_CHECKS_PER_OWNER", 2)
    for i in range(3):
        age(customer_of(two_teams.rep_a, display_name=f"甲{i}", grade="vip"), created_days=100)
    age(customer_of(two_teams.rep_b, display_name="乙", grade="vip"), created_days=100)
    assert services.create_data_check_tasks() == 3
    assert Task.objects.filter(assignee=two_teams.rep_a).count() == 2
    assert services.create_data_check_tasks() == 1  # the next morning: the third one
