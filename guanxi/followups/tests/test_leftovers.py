"""Task leftovers: reopen and cancel (service, web, API) and reminders over real SMTP."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from guanxi.audit.models import AuditEvent
from guanxi.core.errors import ConflictError, PermissionDeniedError
from guanxi.followups import services
from guanxi.followups.models import Task, TaskStatus

pytestmark = pytest.mark.django_db


def test_reopen_and_cancel_services_audit_and_version(world):
    task = services.cancel_task(actor=world.rep_a, task=world.task_a, version=1)
    assert task.status == TaskStatus.CANCELLED and task.version == 2
    with pytest.raises(ValidationError):
        services.cancel_task(actor=world.rep_a, task=task)
    with pytest.raises(ConflictError):
        services.reopen_task(actor=world.rep_a, task=task, version=1)
    Task.objects.filter(pk=task.pk).update(reminded_at=timezone.now())
    task = services.reopen_task(actor=world.rep_a, task=task, version=2)
    assert task.status == TaskStatus.OPEN and task.version == 3 and task.reminded_at is None
    with pytest.raises(ValidationError):
        services.reopen_task(actor=world.rep_a, task=task)
    done = services.complete_task(actor=world.rep_a, task=task)
    reopened = services.reopen_task(actor=world.rep_a, task=done)
    assert reopened.status == TaskStatus.OPEN and reopened.completed_at is None
    statuses = [
        e.changes["status"]
        for e in AuditEvent.objects.filter(object_type="followups.task", object_id=str(task.pk))
        .exclude(action="create")
        .order_by("id")
    ]
    assert statuses == [
        ["open", "cancelled"],
        ["cancelled", "open"],
        ["open", "done"],
        ["done", "open"],
    ]


def test_another_rep_may_not_cancel_or_reopen(world):
    with pytest.raises(PermissionDeniedError):
        services.cancel_task(actor=world.rep_b, task=world.task_a)
    services.cancel_task(actor=world.rep_a, task=world.task_a)
    with pytest.raises(PermissionDeniedError):
        services.reopen_task(actor=world.rep_b, task=world.task_a)


def test_cancel_and_reopen_on_the_web(world, client):
    client.force_login(world.rep_a)
    cancel = reverse("followups:cancel", args=[world.task_a.pk])
    reopen = reverse("followups:reopen", args=[world.task_a.pk])
    assert client.get(cancel).status_code == 405
    response = client.post(cancel, {"version": 1, "next": "/tasks/?tab=open"})
    assert response.status_code == 302 and response["Location"] == "/tasks/?tab=open"
    assert Task.objects.get(pk=world.task_a.pk).status == TaskStatus.CANCELLED
    # the closed tab lists it with a reopen button; the edit page offers reopen
    closed = client.get(reverse("followups:list"), {"tab": "closed"}).content.decode()
    assert "Call Alpha" in closed and reopen in closed and "Visit Beta" not in closed
    edit = client.get(reverse("followups:edit", args=[world.task_a.pk])).content.decode()
    assert reopen in edit
    # a stale version is a 409 and changes nothing
    stale = client.post(reopen, {"version": 1})
    assert stale.status_code == 409
    assert Task.objects.get(pk=world.task_a.pk).status == TaskStatus.CANCELLED
    assert client.post(reopen, {"version": "x"}).status_code == 302  # message, nothing done
    assert Task.objects.get(pk=world.task_a.pk).status == TaskStatus.CANCELLED
    assert client.post(reopen, {"version": 2}).status_code == 302
    assert Task.objects.get(pk=world.task_a.pk).status == TaskStatus.OPEN
    # reopening an open task: a message, no change; an open redirect target is refused
    response = client.post(reopen, {"next": "https://evil.example/"})
    assert response["Location"] == reverse("followups:list")


def test_other_rep_gets_404_on_cancel_and_reopen(world, client):
    client.force_login(world.rep_b)
    for name in ("cancel", "reopen"):
        url = reverse(f"followups:{name}", args=[world.task_a.pk])
        assert client.post(url).status_code == 404
    assert Task.objects.get(pk=world.task_a.pk).status == TaskStatus.OPEN
    client.force_login(world.manager_a)  # a manager over team A may
    assert client.post(reverse("followups:cancel", args=[world.task_a.pk])).status_code == 302
    assert Task.objects.get(pk=world.task_a.pk).status == TaskStatus.CANCELLED


def test_reopen_through_the_api(world, api):
    url = f"/api/v1/tasks/{world.task_a.pk}/"
    assert api(world.rep_a).post(url + "cancel/", {"version": 1}, format="json").status_code == 200
    assert api(world.rep_b).post(url + "reopen/", {}, format="json").status_code == 404
    assert api(world.rep_a).post(url + "reopen/", {"version": 1}, format="json").status_code == 409
    bad = api(world.rep_a).post(url + "reopen/", {"version": "x"}, format="json")
    assert bad.status_code == 400 and "version" in bad.json()
    ok = api(world.rep_a).post(url + "reopen/", {"version": 2}, format="json")
    assert ok.status_code == 200 and ok.json()["status"] == "open"
    again = api(world.rep_a).post(url + "reopen/", {}, format="json")
    assert again.status_code == 400 and "status" in again.json()


@pytest.mark.parametrize(
    ("language", "subject"), [("en", "Task due: Call Alpha"), ("zh-hans", "任务到期：Call Alpha")]
)
def test_reminder_through_a_real_smtp_server(world, smtp_server, language, subject):
    world.rep_a.email = "rep.a@example.com"
    world.rep_a.language = language
    world.rep_a.save()
    Task.objects.filter(pk=world.task_a.pk).update(due_at=timezone.now() + dt.timedelta(minutes=5))
    Task.objects.filter(pk=world.task_b.pk).update(due_at=timezone.now() + dt.timedelta(days=2))
    from guanxi.followups.tasks import send_task_reminders

    send_task_reminders.call_local()
    assert len(smtp_server) == 1
    message = smtp_server[0]
    assert message["X-Envelope-To"] == "rep.a@example.com"
    assert message["To"] == "rep.a@example.com"
    assert message["Subject"] == subject
    assert "Alpha" in message.get_content()
    send_task_reminders.call_local()
    assert len(smtp_server) == 1  # reminded once
