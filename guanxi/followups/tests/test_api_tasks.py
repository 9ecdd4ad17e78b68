import datetime as dt

import pytest
from django.utils import timezone

from guanxi.audit.models import AuditEvent
from guanxi.followups.models import Task, TaskStatus

pytestmark = pytest.mark.django_db

URL = "/api/v1/tasks/"


def _due(hours=2):
    return (timezone.now() + dt.timedelta(hours=hours)).isoformat()


def test_rep_sees_only_their_tasks(world, api):
    client = api(world.rep_a)
    ids = [t["id"] for t in client.get(URL).json()["results"]]
    assert ids == [world.task_a.pk]
    assert client.get(f"{URL}{world.task_b.pk}/").status_code == 404
    assert client.post(f"{URL}{world.task_b.pk}/complete/").status_code == 404
    assert client.post(f"{URL}{world.task_b.pk}/cancel/").status_code == 404
    assert client.delete(f"{URL}{world.task_b.pk}/").status_code == 404
    response = client.patch(f"{URL}{world.task_b.pk}/", {"title": "x", "version": 1}, format="json")
    assert response.status_code == 404
    assert client.get(f"{URL}{world.task_b.pk}/history/").status_code == 404
    assert Task.objects.get(pk=world.task_b.pk).status == TaskStatus.OPEN


def test_manager_and_admin_see_their_scope(world, api):
    manager_ids = {t["id"] for t in api(world.manager_a).get(URL).json()["results"]}
    assert manager_ids == {world.task_a.pk}
    admin_ids = {t["id"] for t in api(world.admin).get(URL).json()["results"]}
    assert admin_ids == {world.task_a.pk, world.task_b.pk}


def test_assignee_sees_task_on_a_customer_they_cannot_see(world, api):
    task = Task.objects.create(
        customer=world.cust_b, title="Help B", assignee=world.rep_a, due_at=timezone.now()
    )
    client = api(world.rep_a)
    assert client.get(f"{URL}{task.pk}/").status_code == 200


def test_create_defaults_to_the_actor_and_audits(world, api):
    client = api(world.rep_a)
    response = client.post(
        URL,
        {
            "title": "  Check   data ",
            "kind": "data_check",
            "customer": world.cust_a.pk,
            "due_at": _due(),
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["assignee"] == world.rep_a.pk and body["title"] == "Check data"
    assert body["created_by"] == world.rep_a.pk and body["status"] == "open"
    assert AuditEvent.objects.filter(
        object_type="followups.task", object_id=str(body["id"])
    ).exists()


def test_create_refuses_foreign_customer_and_assignee(world, api):
    client = api(world.rep_a)
    response = client.post(
        URL, {"title": "x", "customer": world.cust_b.pk, "due_at": _due()}, format="json"
    )
    assert response.status_code == 400 and "customer" in response.json()
    response = client.post(
        URL, {"title": "x", "assignee": world.rep_b.pk, "due_at": _due()}, format="json"
    )
    assert response.status_code == 400 and "assignee" in response.json()
    # a manager may assign within their team
    response = api(world.manager_a).post(
        URL, {"title": "x", "assignee": world.rep_a.pk, "due_at": _due()}, format="json"
    )
    assert response.status_code == 201


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"title": ""},
        {"title": "x"},
        {"title": "x", "due_at": "tomorrow"},
        {"title": "x", "due_at": _due(), "priority": "whenever"},
        {"title": "x", "due_at": _due(), "recurrence": "yearly"},
        {"title": "x", "due_at": _due(), "customer": "abc"},
        {"title": "x", "due_at": _due(), "status": "done", "nope": 1},
        [],
        "text",
    ],
)
def test_bad_input_is_a_400(world, api, body):
    response = api(world.rep_a).post(URL, body, format="json")
    assert response.status_code == 400, response.content


def test_patch_needs_the_current_version(world, api):
    client = api(world.rep_a)
    url = f"{URL}{world.task_a.pk}/"
    assert client.patch(url, {"title": "New"}, format="json").status_code == 400
    ok = client.patch(url, {"title": "New", "version": 1}, format="json")
    assert ok.status_code == 200 and ok.json()["version"] == 2
    stale = client.patch(url, {"title": "Newer", "version": 1}, format="json")
    assert stale.status_code == 409
    assert Task.objects.get(pk=world.task_a.pk).title == "New"


def test_complete_and_filters(world, api):
    client = api(world.rep_a)
    response = client.post(f"{URL}{world.task_a.pk}/complete/")
    assert response.status_code == 200
    assert response.json()["status"] == "done" and response.json()["completed_at"]
    assert client.post(f"{URL}{world.task_a.pk}/complete/").status_code == 400
    assert client.get(URL, {"status": "open"}).json()["results"] == []
    assert len(client.get(URL, {"status": "done"}).json()["results"]) == 1
    assert client.get(URL, {"customer": world.cust_a.pk}).json()["results"]
    assert client.get(URL, {"due_before": timezone.now().isoformat()}).json()["results"] == []
    assert client.get(URL, {"due_after": "garbage"}).status_code == 400


def test_stale_complete_is_a_409(world, api):
    response = api(world.rep_a).post(
        f"{URL}{world.task_a.pk}/complete/", {"version": 7}, format="json"
    )
    assert response.status_code == 409


def test_delete(world, api):
    assert api(world.rep_a).delete(f"{URL}{world.task_a.pk}/").status_code == 204
    assert not Task.objects.filter(pk=world.task_a.pk).exists()


def test_list_query_count_is_constant(world, api):
    client = api(world.rep_a)
    client.get(URL)
    for i in range(3):
        Task.objects.create(
            customer=world.cust_a, title=f"t{i}", assignee=world.rep_a, due_at=timezone.now()
        )
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    for i in range(20):
        Task.objects.create(
            customer=world.cust_a, title=f"u{i}", assignee=world.rep_a, due_at=timezone.now()
        )
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(URL).json()["results"]) == 24
    assert len(many) == len(few)
