import datetime as dt
import zoneinfo

import pytest
from django.core import mail
from django.utils import timezone

from guanxi.followups import selectors, services
from guanxi.followups.models import Task, TaskStatus

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def test_completing_a_recurring_task_creates_the_next_one(world):
    due = dt.datetime(2026, 1, 31, 9, 0, tzinfo=SHANGHAI)
    for recurrence, expected in [
        ("daily", dt.datetime(2026, 2, 1, 9, 0, tzinfo=SHANGHAI)),
        ("weekly", dt.datetime(2026, 2, 7, 9, 0, tzinfo=SHANGHAI)),
        ("monthly", dt.datetime(2026, 2, 28, 9, 0, tzinfo=SHANGHAI)),
    ]:
        task = services.create_task(
            actor=world.rep_a,
            data={"title": f"Visit {recurrence}", "due_at": due, "recurrence": recurrence},
        )
        done = services.complete_task(actor=world.rep_a, task=task)
        assert done.status == TaskStatus.DONE and done.completed_at is not None
        follow = Task.objects.get(title=f"Visit {recurrence}", status=TaskStatus.OPEN)
        assert follow.due_at == expected
        assert follow.recurrence == recurrence and follow.assignee == world.rep_a


@pytest.mark.parametrize("year", [1, 1899, 3000, 9999])
def test_a_due_time_outside_the_calendar_people_use_is_refused(world, year):
    """Year 9999 was accepted, and completing such a daily task then failed (no year 10000)
    with a page that could not say why."""
    from django.core.exceptions import ValidationError

    due = dt.datetime(year, 12, 31, 23, 0, tzinfo=SHANGHAI)
    with pytest.raises(ValidationError) as error:
        services.create_task(
            actor=world.rep_a, data={"title": "Far", "due_at": due, "recurrence": "daily"}
        )
    assert "due_at" in error.value.message_dict
    with pytest.raises(ValidationError):
        services.update_task(actor=world.rep_a, task=world.task_a, data={"due_at": due}, version=1)


def test_a_one_off_task_does_not_repeat(world):
    services.complete_task(actor=world.rep_a, task=world.task_a)
    assert Task.objects.filter(title="Call Alpha").count() == 1


def test_my_day_uses_the_users_time_zone(world):
    rep = world.rep_a
    # 23:00 on 1 March in Shanghai is 15:00 UTC; 23:30 in Shanghai is still today there.
    now = dt.datetime(2026, 3, 1, 15, 0, tzinfo=dt.UTC)
    Task.objects.all().delete()
    late_today = Task.objects.create(
        title="late", assignee=rep, due_at=dt.datetime(2026, 3, 1, 23, 30, tzinfo=SHANGHAI)
    )
    old = Task.objects.create(
        title="old", assignee=rep, due_at=dt.datetime(2026, 2, 20, 9, 0, tzinfo=SHANGHAI)
    )
    Task.objects.create(
        title="tomorrow", assignee=rep, due_at=dt.datetime(2026, 3, 2, 0, 30, tzinfo=SHANGHAI)
    )
    Task.objects.create(
        title="done",
        assignee=rep,
        due_at=dt.datetime(2026, 3, 1, 9, 0, tzinfo=SHANGHAI),
        status=TaskStatus.DONE,
    )
    assert list(selectors.my_day(user=rep, now=now)) == [old, late_today]
    # For someone in London it is 15:00 on 1 March: 23:30 in Shanghai is today there too,
    # but 00:30 on 2 March in Shanghai (16:30 UTC) is also still their today.
    rep.time_zone = "Europe/London"
    assert [t.title for t in selectors.my_day(user=rep, now=now)] == ["old", "late", "tomorrow"]
    assert list(selectors.overdue(user=rep, now=now)) == [old]


def test_reminder_is_sent_once_in_the_assignees_language(world, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    rep = world.rep_a
    rep.email = "a@example.com"
    rep.language = "en"
    rep.save()
    now = timezone.now()
    Task.objects.filter(pk=world.task_a.pk).update(due_at=now + dt.timedelta(minutes=20))
    Task.objects.filter(pk=world.task_b.pk).update(due_at=now + dt.timedelta(hours=3))
    assert services.send_due_reminders(now=now) == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["a@example.com"]
    assert "Task due: Call Alpha" in mail.outbox[0].subject
    assert "Alpha" in mail.outbox[0].body
    assert services.send_due_reminders(now=now + dt.timedelta(minutes=5)) == 0
    assert len(mail.outbox) == 1
    assert Task.objects.get(pk=world.task_a.pk).reminded_at is not None
    assert Task.objects.get(pk=world.task_b.pk).reminded_at is None


def test_reminder_in_chinese_and_without_address(world, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    world.rep_a.email = "a@example.com"
    world.rep_a.language = "zh-hans"
    world.rep_a.save()
    past = timezone.now() - dt.timedelta(days=1)
    Task.objects.update(due_at=past)
    assert services.send_due_reminders() == 1  # rep B has no address, but is marked reminded
    assert "任务" in mail.outbox[0].subject
    assert not Task.objects.filter(reminded_at__isnull=True).exists()


def test_the_periodic_job_runs_the_service(world, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    from guanxi.followups.tasks import send_task_reminders

    Task.objects.update(due_at=timezone.now())
    send_task_reminders.call_local()
    assert not Task.objects.filter(reminded_at__isnull=True).exists()


def test_a_new_due_time_reminds_again(world):
    Task.objects.update(reminded_at=timezone.now())
    task = services.update_task(
        actor=world.rep_a,
        task=world.task_a,
        data={"due_at": timezone.now() + dt.timedelta(days=2)},
        version=1,
    )
    assert task.reminded_at is None


def test_the_system_closes_open_tasks_in_bulk_with_a_note_in_each_assignees_language(world):
    from django.utils.translation import gettext as _

    from guanxi.audit.models import AuditEvent

    world.rep_b.language = "en"
    world.rep_b.save(update_fields=["language"])
    done = Task.objects.create(
        title="Done already", assignee=world.rep_a, due_at=timezone.now(), status="done"
    )
    closed = services.close_system_tasks(
        task_ids=[world.task_a.pk, world.task_b.pk, done.pk],
        status=TaskStatus.CANCELLED,
        note=lambda: _("Customer: %(name)s") % {"name": "X"},
    )
    assert closed == [world.task_a.pk, world.task_b.pk]
    world.task_a.refresh_from_db()
    world.task_b.refresh_from_db()
    assert world.task_a.status == world.task_b.status == TaskStatus.CANCELLED
    assert world.task_a.notes == "客户：X" and world.task_b.notes == "Customer: X"
    assert world.task_a.version == 2 and world.task_a.completed_at is None
    event = AuditEvent.objects.get(object_type="followups.task", object_id=str(world.task_b.pk))
    assert event.actor_id is None and event.customer_id == world.cust_b.pk
    assert event.changes == {"status": ["open", "cancelled"], "notes": ["", "Customer: X"]}
    # Closed tasks stay as they are; only done or cancelled is a way to close.
    assert (
        services.close_system_tasks(
            task_ids=[world.task_a.pk], status=TaskStatus.DONE, note=lambda: "x"
        )
        == []
    )
    with pytest.raises(ValueError):
        services.close_system_tasks(task_ids=[], status=TaskStatus.OPEN, note=lambda: "x")
