import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from guanxi.followups.models import Task, TaskStatus

pytestmark = pytest.mark.django_db

EN = {"accept-language": "en"}


@pytest.mark.parametrize("tab", ["today", "overdue", "open", "bogus"])
def test_rep_a_never_sees_rep_bs_task(world, client, tab):
    Task.objects.update(due_at=timezone.now() - dt.timedelta(hours=1))
    client.force_login(world.rep_a)
    body = client.get(reverse("followups:list"), {"tab": tab}).content.decode()
    assert "Call Alpha" in body
    assert "Visit Beta" not in body


def test_foreign_task_pages_are_404(world, client):
    client.force_login(world.rep_a)
    assert client.get(reverse("followups:edit", args=[world.task_b.pk])).status_code == 404
    assert client.post(reverse("followups:edit", args=[world.task_b.pk])).status_code == 404
    assert client.post(reverse("followups:complete", args=[world.task_b.pk])).status_code == 404
    assert client.get(reverse("followups:complete", args=[world.task_a.pk])).status_code == 405
    assert Task.objects.get(pk=world.task_b.pk).status == TaskStatus.OPEN


def test_home_and_360_page_show_only_visible_tasks(world, client):
    Task.objects.create(
        customer=world.cust_a, title="B's task on A", assignee=world.rep_b, due_at=timezone.now()
    )
    client.force_login(world.rep_a)
    home = client.get(reverse("home")).content.decode()
    assert "Call Alpha" in home and "Visit Beta" not in home and "B&#x27;s task" not in home
    detail = client.get(reverse("customers:detail", args=[world.cust_a.pk])).content.decode()
    assert 'id="open-tasks"' in detail and "Call Alpha" in detail and "B&#x27;s task on A" in detail
    assert client.get(reverse("customers:detail", args=[world.cust_b.pk])).status_code == 404


def test_navbar_badge_counts_my_day(world, client):
    Task.objects.create(title="Overdue", assignee=world.rep_a, due_at=timezone.now())
    client.force_login(world.rep_a)
    body = client.get(reverse("followups:list"), headers=EN).content.decode()
    assert '>2<span class="visually-hidden"> due today or overdue' in body


def test_create_edit_and_complete_through_the_web(world, client):
    client.force_login(world.rep_a)
    url = reverse("followups:create")
    assert client.get(url, {"customer": world.cust_a.pk}).status_code == 200
    assert client.get(url, {"customer": world.cust_b.pk}).status_code == 200
    due = timezone.localtime(timezone.now() + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    data = {
        "title": "Send the quote",
        "kind": "follow_up",
        "due_at": due,
        "priority": "high",
        "assignee": world.rep_a.pk,
        "customer": world.cust_a.pk,
        "recurrence": "none",
    }
    response = client.post(url, data)
    assert response.status_code == 302
    task = Task.objects.get(title="Send the quote")
    assert task.customer == world.cust_a and task.created_by == world.rep_a
    # bad input is a 400 with the form, not a 500
    bad = client.post(url, {**data, "customer": world.cust_b.pk, "assignee": world.rep_b.pk})
    assert bad.status_code == 400
    assert client.post(url, {**data, "due_at": "soon", "customer": "x"}).status_code == 400
    edit = reverse("followups:edit", args=[task.pk])
    assert client.post(edit, {**data, "title": "Quote v2", "version": 1}).status_code == 302
    stale = client.post(edit, {**data, "title": "Quote v3", "version": 1})
    assert stale.status_code == 409
    assert Task.objects.get(pk=task.pk).title == "Quote v2"
    done = client.post(
        reverse("followups:complete", args=[task.pk]), headers={"HX-Request": "true"}
    )
    assert done.status_code == 200 and "Quote v2" in done.content.decode()
    assert Task.objects.get(pk=task.pk).status == TaskStatus.DONE
    again = client.post(reverse("followups:complete", args=[task.pk]))
    assert again.status_code == 302


def test_task_list_query_count_is_constant(world, client):
    client.force_login(world.rep_a)
    url = reverse("followups:list")
    client.get(url, {"tab": "open"})
    with CaptureQueriesContext(connection) as few:
        client.get(url, {"tab": "open"})
    for i in range(15):
        Task.objects.create(
            customer=world.cust_a, title=f"t{i}", assignee=world.rep_a, due_at=timezone.now()
        )
    with CaptureQueriesContext(connection) as many:
        body = client.get(url, {"tab": "open"}).content.decode()
    assert "t14" in body
    assert len(many) == len(few)


def test_detail_query_count_is_constant(world, client):
    client.force_login(world.rep_a)
    url = reverse("customers:detail", args=[world.cust_a.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for i in range(5):
        Task.objects.create(
            customer=world.cust_a, title=f"t{i}", assignee=world.rep_b, due_at=timezone.now()
        )
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


def test_user_without_task_rights_gets_403(world, client):
    role = world.rep_a.role
    role.permissions = {k: v for k, v in role.permissions.items() if k != "tasks"}
    role.save()
    client.force_login(world.rep_a)
    assert client.get(reverse("followups:list")).status_code == 403
    assert client.get(reverse("followups:create")).status_code == 403
    assert client.get(reverse("home")).status_code == 200


def test_task_changes_show_in_the_customers_history_and_timeline(world, client):
    from guanxi.followups import services

    task = services.create_task(
        actor=world.rep_a,
        data={"title": "Audited call", "customer": world.cust_a, "due_at": timezone.now()},
    )
    services.complete_task(actor=world.rep_a, task=task)
    client.force_login(world.rep_a)
    detail = client.get(reverse("customers:detail", args=[world.cust_a.pk]))
    assert detail.status_code == 200
    history = client.get(reverse("customers:history", args=[world.cust_a.pk]))
    assert history.status_code == 200 and "Audited call" in history.content.decode()
    api_history = client.get(f"/api/v1/tasks/{task.pk}/history/")
    assert api_history.status_code == 200 and api_history.json()["results"]


def test_task_form_in_chinese_calls_the_title_a_title_not_a_job_title(world, client):
    """ "title" of a task is 标题; only a contact's title is a job title (职务)."""
    client.force_login(world.rep_a)
    zh = {"accept-language": "zh-hans"}
    body = client.get(reverse("followups:create"), headers=zh).content.decode()
    assert "标题" in body and "职务" not in body
    org = world.cust_a
    org.kind = "organisation"
    org.save(update_fields=["kind"])
    contact_form = client.get(
        reverse("customers:contact_create", args=[org.pk]), headers=zh
    ).content.decode()
    assert "职务" in contact_form
