import datetime as dt
import zoneinfo

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from guanxi.audit.models import AuditEvent
from guanxi.customers import aggregates
from guanxi.customers.models import ContactPoint, Customer
from guanxi.followups.models import Task
from guanxi.tickets import services
from guanxi.tickets.models import AssignmentRule, SlaAlert, Ticket, TicketStatus

pytestmark = pytest.mark.django_db
SH = zoneinfo.ZoneInfo("Asia/Shanghai")


def test_create_sets_sla_due_dates_in_business_hours(world):
    t = world.ticket_a
    first, _resolution = services.targets_for(t.priority)
    assert t.first_response_due_at > t.created_at
    assert t.resolution_due_at > t.first_response_due_at
    hours = services.business_hours()
    from guanxi.tickets import sla

    assert sla.add_business_time(t.created_at, first, hours) == t.first_response_due_at
    assert Customer.objects.get(pk=world.cust_a.pk).open_tickets == 1


def test_due_dates_count_from_the_stored_opening_moment(world, monkeypatch):
    """The SLA clock starts at the moment stored as the ticket's opening: a model default that
    set its own time at the save made them differ by the save's delay (a test failed during
    business hours)."""
    import types

    from django.utils import timezone as django_timezone

    from guanxi.tickets import sla

    # A Wednesday, 10:00 in Shanghai: inside business hours, where every microsecond counts.
    opened = dt.datetime(2026, 11, 18, 2, 0, 0, 123456, tzinfo=dt.UTC)
    clock = types.SimpleNamespace(**vars(django_timezone))
    clock.now = lambda: opened
    monkeypatch.setattr(services, "timezone", clock)
    ticket = services.create_ticket(
        actor=world.admin,
        data={"customer": world.cust_a, "category": world.delivery, "subject": "Broken on arrival"},
    )
    ticket.refresh_from_db()
    assert ticket.created_at == opened
    first, _resolution = services.targets_for(ticket.priority)
    hours = services.business_hours()
    assert ticket.first_response_due_at == sla.add_business_time(opened, first, hours)


def test_round_robin_within_a_team_per_category_then_default(world, make_user):
    helper = make_user("helper_a", "service", world.team_a)
    AssignmentRule.objects.create(category=world.delivery, team=world.team_a)
    AssignmentRule.objects.create(category=None, team=world.team_b)
    got = []
    for i in range(4):
        t = services.create_ticket(
            actor=world.admin,
            data={"customer": world.cust_a, "category": world.delivery, "subject": f"d{i}"},
        )
        got.append(t.assignee_id)
        assert t.team_id == world.team_a.pk
    members = sorted([world.rep_a.pk, world.manager_a.pk, helper.pk])
    assert got == [*members, members[0]]
    other = services.create_ticket(
        actor=world.admin,
        data={"customer": world.cust_a, "category": world.product, "subject": "p"},
    )
    assert other.assignee_id == world.rep_b.pk and other.team_id == world.team_b.pk


def test_no_rule_leaves_the_ticket_unassigned(world):
    t = services.create_ticket(
        actor=world.admin,
        data={"customer": world.cust_a, "category": world.product, "subject": "x"},
    )
    assert t.assignee_id is None


def test_create_refuses_foreign_customer_and_blank_subject(world):
    with pytest.raises(ValidationError) as err:
        services.create_ticket(
            actor=world.rep_a,
            data={"customer": world.cust_b, "category": world.product, "subject": "x"},
        )
    assert "customer" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        services.create_ticket(
            actor=world.rep_a,
            data={"customer": world.cust_a, "category": world.product, "subject": "   "},
        )
    assert "subject" in err.value.message_dict


def test_status_flow_and_invalid_transitions(world):
    t = world.ticket_a
    with pytest.raises(ValidationError) as err:
        services.change_status(actor=world.rep_a, ticket=t, action="close")
    assert "status" in err.value.message_dict
    with pytest.raises(ValidationError):
        services.change_status(actor=world.rep_a, ticket=t, action="reopen")
    with pytest.raises(ValidationError):
        services.change_status(actor=world.rep_a, ticket=t, action="fly")
    for action, status in [
        ("start", "in_progress"),
        ("wait", "waiting"),
        ("resume", "in_progress"),
        ("resolve", "resolved"),
        ("close", "closed"),
        ("reopen", "in_progress"),
    ]:
        t = services.change_status(actor=world.rep_a, ticket=t, action=action)
        assert t.status == status
    events = AuditEvent.objects.filter(object_type="tickets.ticket", object_id=str(t.pk))
    assert events.count() == 7  # created + six changes


def test_stale_version_is_a_conflict(world):
    from guanxi.core.errors import ConflictError

    with pytest.raises(ConflictError):
        services.change_status(actor=world.rep_a, ticket=world.ticket_a, action="start", version=9)


def test_rep_b_cannot_change_rep_as_ticket(world):
    from guanxi.core.errors import PermissionDeniedError

    with pytest.raises(PermissionDeniedError):
        services.change_status(actor=world.rep_b, ticket=world.ticket_a, action="start")
    with pytest.raises(PermissionDeniedError):
        services.add_reply(actor=world.rep_b, ticket=world.ticket_a, body="hi")


def test_waiting_pauses_the_clock(world):
    t = world.ticket_a
    # Opened Monday 10 Nov 2025 10:00, normal priority: first response in 8 h, resolution 40 h.
    opened = dt.datetime(2025, 11, 10, 10, tzinfo=SH)
    Ticket.objects.filter(pk=t.pk).update(created_at=opened, sla_started_at=opened)
    t.refresh_from_db()
    services.recompute_due(t)
    Ticket.objects.filter(pk=t.pk).update(
        first_response_due_at=t.first_response_due_at, resolution_due_at=t.resolution_due_at
    )
    assert t.first_response_due_at.astimezone(SH) == dt.datetime(2025, 11, 10, 18, tzinfo=SH)
    hours = services.business_hours()
    t.refresh_from_db()
    # Wait on the customer from Monday 11:00 to Tuesday 11:00: 9 business hours paused.
    services._apply(t, "wait", dt.datetime(2025, 11, 10, 11, tzinfo=SH), hours)
    services._apply(t, "resume", dt.datetime(2025, 11, 11, 11, tzinfo=SH), hours)
    assert t.sla_paused == dt.timedelta(hours=9)
    assert t.first_response_due_at.astimezone(SH) == dt.datetime(2025, 11, 11, 18, tzinfo=SH)
    assert t.status == TicketStatus.IN_PROGRESS and t.paused_at is None


def test_first_public_reply_is_the_first_response(world):
    t = world.ticket_a
    services.add_reply(actor=world.rep_a, ticket=t, body="internal", public=False)
    t.refresh_from_db()
    assert t.first_responded_at is None and t.status == TicketStatus.NEW
    services.add_reply(actor=world.rep_a, ticket=t, body="We are on it")
    t.refresh_from_db()
    assert t.first_responded_at is not None and t.first_response_met is True
    assert t.status == TicketStatus.IN_PROGRESS
    with pytest.raises(ValidationError):
        services.add_reply(actor=world.rep_a, ticket=t, body="   ")


def test_resolve_emails_a_rating_link_when_the_customer_has_an_email(world, settings):
    settings.PUBLIC_BASE_URL = "https://crm.example.com"
    ContactPoint.objects.create(customer=world.cust_a, kind="email", value="a@example.com")
    with pytest.raises(ValidationError):
        services.rate_ticket(ticket=world.ticket_a, rating=5)
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        t = services.change_status(actor=world.rep_a, ticket=world.ticket_a, action="resolve")
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["a@example.com"]
    url = next(ln for ln in mail.outbox[0].body.splitlines() if ln.startswith("https:"))
    assert url.startswith("https://crm.example.com/portal/rate/")
    token = url.rstrip("/").rsplit("/", 1)[1]
    assert services.ticket_for_rating(token).pk == t.pk
    with pytest.raises(Ticket.DoesNotExist):
        services.ticket_for_rating(token[:-2] + "xx")
    for bad in (0, 6, "x", None, True):
        with pytest.raises(ValidationError):
            services.rate_ticket(ticket=t, rating=bad)
    rated = services.rate_ticket(ticket=t, rating="4", comment=" fine ")
    assert rated.rating == 4 and rated.rating_comment == "fine"
    with pytest.raises(ValidationError):
        services.rate_ticket(ticket=t, rating=5)


def test_resolve_without_email_keeps_the_link_for_the_assignee(world):
    t = services.change_status(actor=world.rep_a, ticket=world.ticket_a, action="resolve")
    t.refresh_from_db()
    assert t.rating_requested_at is not None and len(mail.outbox) == 0


def test_closing_schedules_a_follow_up_task(world):
    conf = services.service_settings()
    conf.followup_days = 3
    conf.save()
    t = services.change_status(actor=world.rep_a, ticket=world.ticket_a, action="resolve")
    t = services.change_status(actor=world.rep_a, ticket=t, action="close")
    task = Task.objects.get(customer=world.cust_a, assignee=world.rep_a)
    assert f"#{t.pk}" in task.title
    assert abs(task.due_at - (t.closed_at + dt.timedelta(days=3))) < dt.timedelta(seconds=1)


def test_open_tickets_aggregate_follows_status_and_rebuild_agrees(world):
    def count():
        return Customer.objects.get(pk=world.cust_a.pk).open_tickets

    services.create_ticket(
        actor=world.rep_a,
        data={"customer": world.cust_a, "category": world.product, "subject": "2"},
    )
    assert count() == 2
    t = services.change_status(actor=world.rep_a, ticket=world.ticket_a, action="wait")
    assert count() == 2  # waiting is still open
    t = services.change_status(actor=world.rep_a, ticket=t, action="resolve")
    assert count() == 1
    t = services.change_status(actor=world.rep_a, ticket=t, action="reopen")
    assert count() == 2
    incremental = dict(Customer.objects.values_list("id", "open_tickets"))
    Customer.objects.update(open_tickets=99)
    aggregates.refresh_all()
    assert dict(Customer.objects.values_list("id", "open_tickets")) == incremental
    Customer.objects.update(open_tickets=99)
    aggregates.refresh_all(id_range=(0, 10**9))
    assert dict(Customer.objects.values_list("id", "open_tickets")) == incremental


def test_sla_watch_flags_and_notifies_once(world):
    t = world.ticket_a
    past = timezone.now() - dt.timedelta(hours=1)
    Ticket.objects.filter(pk=t.pk).update(first_response_due_at=past)
    assert services.check_sla() == 1
    t.refresh_from_db()
    assert t.sla_alert == SlaAlert.BREACHED
    assert Task.objects.filter(assignee=world.rep_a, title__contains=f"#{t.pk}").count() == 1
    assert services.check_sla() == 0  # told once
    # a waiting ticket's clock is stopped: no alert
    waiting = services.change_status(actor=world.rep_b, ticket=world.ticket_b, action="wait")
    Ticket.objects.filter(pk=waiting.pk).update(first_response_due_at=past)
    assert services.check_sla() == 0


def test_an_sla_task_is_done_once_its_ticket_is_resolved_and_others_stay(world):
    t = world.ticket_a
    past = timezone.now() - dt.timedelta(hours=1)
    Ticket.objects.filter(pk=t.pk).update(first_response_due_at=past)
    services.check_sla()
    alert = Task.objects.get(assignee=world.rep_a, title__contains=f"#{t.pk}")
    assert alert.ticket_id == t.pk and alert.status == "open"
    other = Task.objects.create(title="Call back", assignee=world.rep_a, due_at=timezone.now())
    t.refresh_from_db()
    services.change_status(actor=world.rep_a, ticket=t, action="resolve", version=t.version)
    alert.refresh_from_db()
    other.refresh_from_db()
    assert (alert.status, alert.version) == ("done", 2) and alert.completed_at is not None
    assert other.status == "open"


def test_sla_watch_due_soon(world):
    t = world.ticket_a
    soon = services.sla.add_business_time(
        timezone.now(), dt.timedelta(minutes=30), services.business_hours()
    )
    Ticket.objects.filter(pk=t.pk).update(first_response_due_at=soon)
    services.check_sla()
    t.refresh_from_db()
    assert t.sla_alert == SlaAlert.DUE_SOON


def test_dashboard_ticket_stats(world):
    services.add_reply(actor=world.rep_a, ticket=world.ticket_a, body="hi")
    services.change_status(actor=world.rep_a, ticket=world.ticket_a, action="resolve")
    from guanxi.tickets.selectors import dashboard_ticket_stats

    today = timezone.localdate()
    rows = dashboard_ticket_stats(world.rep_a, date_from=today, date_to=today)
    assert len(rows) == 1
    row = rows[0]
    assert row["opened"] == 1 and row["resolved"] == 1
    assert row["first_response_rate"] == 1.0 and row["resolution_rate"] == 1.0
    rows = dashboard_ticket_stats(world.admin, date_from=today, date_to=today)
    assert rows[0]["opened"] == 2
    assert (
        dashboard_ticket_stats(world.admin, date_from=today, date_to=today, team=world.team_b)[0][
            "opened"
        ]
        == 1
    )


def test_breach_filters_follow_the_targets(world):
    from guanxi.tickets.selectors import breach_q

    now = timezone.now()
    soon = services.sla.add_business_time(now, dt.timedelta(minutes=30), services.business_hours())
    Ticket.objects.filter(pk=world.ticket_a.pk).update(first_response_due_at=soon)
    Ticket.objects.filter(pk=world.ticket_b.pk).update(
        first_response_due_at=now - dt.timedelta(minutes=1)
    )

    def ids(kind):
        return set(Ticket.objects.filter(breach_q(kind, now)).values_list("pk", flat=True))

    assert ids("due_soon") == {world.ticket_a.pk}
    assert ids("breached") == {world.ticket_b.pk}
    assert ids("at_risk") == {world.ticket_a.pk, world.ticket_b.pk}
    services.change_status(actor=world.rep_b, ticket=world.ticket_b, action="wait")
    assert ids("breached") == set()  # the clock is stopped


def test_moving_a_target_later_clears_a_stale_flag(world):
    t = world.ticket_a
    Ticket.objects.filter(pk=t.pk).update(
        first_response_due_at=timezone.now() - dt.timedelta(minutes=1)
    )
    services.check_sla()
    t.refresh_from_db()
    assert t.sla_alert == SlaAlert.BREACHED
    # A lower priority gives a later target, recomputed from the creation: no longer breached.
    t = services.update_ticket(actor=world.rep_a, ticket=t, data={"priority": "low"}, version=1)
    assert t.first_response_due_at > timezone.now() and t.sla_alert == SlaAlert.NONE


def test_month_buckets_follow_the_local_calendar(world, settings):
    from guanxi.tickets.selectors import dashboard_ticket_stats

    # 31 Oct 2025 23:30 in Shanghai is 15:30 UTC: an October ticket, not a November one.
    sh = zoneinfo.ZoneInfo("Asia/Shanghai")
    Ticket.objects.filter(pk=world.ticket_a.pk).update(
        created_at=dt.datetime(2025, 10, 31, 23, 30, tzinfo=sh)
    )
    Ticket.objects.filter(pk=world.ticket_b.pk).update(
        created_at=dt.datetime(2025, 11, 1, 0, 30, tzinfo=sh)
    )
    rows = dashboard_ticket_stats(
        world.admin, date_from=dt.date(2025, 9, 15), date_to=dt.date(2025, 12, 31)
    )
    assert [(r["month"], r["opened"]) for r in rows] == [
        (dt.date(2025, 10, 1), 1),
        (dt.date(2025, 11, 1), 1),
    ]
    assert (
        dashboard_ticket_stats(
            world.admin, date_from=dt.date(2025, 11, 2), date_to=dt.date(2025, 11, 30)
        )
        == []
    )
    assert (
        dashboard_ticket_stats(
            world.admin, date_from=dt.date(2025, 12, 1), date_to=dt.date(2025, 11, 1)
        )
        == []
    )


def test_extra_days_off_and_working_days_are_read_in_the_forms_people_write_them(world):
    conf = services.service_settings()
    saved = services.save_settings(
        actor=world.admin,
        data={
            "days_off": "2027-02-06..2027-02-08\n２０２７－０２－１０ 至 2027-02-11，2027-10-01",
            "workdays": ["2027-02-14", " 2027-02-14 "],
        },
        version=conf.version,
    )
    assert saved.days_off == [
        "2027-02-06", "2027-02-07", "2027-02-08", "2027-02-10", "2027-02-11", "2027-10-01"
    ]  # fmt: skip
    assert saved.workdays == ["2027-02-14"]
    text = services.calendar_text(saved.days_off)
    assert text == "2027-02-06..2027-02-08\n2027-02-10..2027-02-11\n2027-10-01"
    assert services.parse_days(text, "days_off") == saved.days_off
    hours = services.business_hours()
    assert not hours.is_workday(dt.date(2027, 2, 8)) and hours.is_workday(dt.date(2027, 2, 14))
    assert AuditEvent.objects.filter(object_type="tickets.servicesettings").exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("days_off", "2027-02-30", "is not a date"),
        ("days_off", "next Friday", "is not a date"),
        ("days_off", "2027-02-10..2027-02-01", "the end comes before the start"),
        ("days_off", "2027-01-01..2027-12-31", "at most 62 days"),
        ("days_off", "0001-01-01", "between 1900-01-01 and 2999-12-31"),
        ("workdays", "2027-02-07", "also listed as a day off"),
        ("days_off", {"2027-01-01": True}, "one per line"),
    ],
)
def test_a_bad_calendar_entry_is_a_message_and_nothing_is_saved(world, field, value, message):
    from django.utils import translation

    conf = services.service_settings()
    services.save_settings(actor=world.admin, data={"days_off": "2027-02-07"}, version=conf.version)
    before = services.service_settings()
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        services.save_settings(actor=world.admin, data={field: value}, version=before.version)
    assert message in " ".join(caught.value.message_dict[field])
    after = services.service_settings()
    assert (after.days_off, after.workdays, after.version) == (
        ["2027-02-07"], [], before.version
    )  # fmt: skip


def test_a_ticket_opened_before_a_listed_holiday_is_due_after_it(world, monkeypatch):
    import types

    from django.utils import timezone as django_timezone

    conf = services.service_settings()
    services.save_settings(
        actor=world.admin, data={"days_off": "2031-01-01..2031-01-03"}, version=conf.version
    )
    # Tuesday 31 Dec 2030, 17:00 in Shanghai; 2031 is beyond the built-in calendar.
    opened = dt.datetime(2030, 12, 31, 9, 0, tzinfo=dt.UTC)
    clock = types.SimpleNamespace(**vars(django_timezone))
    clock.now = lambda: opened
    monkeypatch.setattr(services, "timezone", clock)
    ticket = services.create_ticket(
        actor=world.admin,
        data={"customer": world.cust_a, "category": world.delivery, "subject": "Late parcel"},
    )
    local = ticket.first_response_due_at.astimezone(zoneinfo.ZoneInfo("Asia/Shanghai"))
    assert local.date() == dt.date(2031, 1, 6)  # the Monday after the days off and the weekend


def test_holidays_entered_after_a_ticket_was_opened_move_its_open_targets(world, monkeypatch):
    """The State Council publishes a year's holidays late: tickets already open across them
    get their targets moved when the administrator enters them; closed ones keep theirs."""
    import types

    from django.utils import timezone as django_timezone

    # Tuesday 31 Dec 2030, 17:00 in Shanghai; 2031 is beyond the built-in calendar.
    opened = dt.datetime(2030, 12, 31, 9, 0, tzinfo=dt.UTC)
    clock = types.SimpleNamespace(**vars(django_timezone))
    clock.now = lambda: opened
    monkeypatch.setattr(services, "timezone", clock)
    data = {"customer": world.cust_a, "category": world.delivery, "subject": "Late parcel"}
    ticket = services.create_ticket(actor=world.admin, data=data)
    closed = services.create_ticket(actor=world.admin, data={**data, "subject": "Done"})
    Ticket.objects.filter(pk=closed.pk).update(status=TicketStatus.CLOSED)
    shanghai = zoneinfo.ZoneInfo("Asia/Shanghai")
    before = Ticket.objects.get(pk=ticket.pk).first_response_due_at.astimezone(shanghai)
    assert before.date() == dt.date(2031, 1, 1)  # Wednesday: a working day by weekends alone
    closed_due = Ticket.objects.get(pk=closed.pk).resolution_due_at
    conf = services.service_settings()
    services.save_settings(
        actor=world.admin, data={"days_off": "2031-01-01..2031-01-03"}, version=conf.version
    )
    after = Ticket.objects.get(pk=ticket.pk).first_response_due_at.astimezone(shanghai)
    assert after.date() == dt.date(2031, 1, 6) and after.time() == before.time()
    assert Ticket.objects.get(pk=closed.pk).resolution_due_at == closed_due
    # Saving without a change of business time moves nothing.
    conf = services.service_settings()
    services.save_settings(actor=world.admin, data={"followup_days": 9}, version=conf.version)
    assert Ticket.objects.get(pk=ticket.pk).first_response_due_at.astimezone(shanghai) == after


def test_moving_open_targets_reads_the_sla_targets_once_not_per_ticket(
    world, django_assert_max_num_queries
):
    data = {"customer": world.cust_a, "category": world.delivery, "subject": "Parcel"}
    for n in range(12):
        services.create_ticket(actor=world.admin, data={**data, "subject": f"Parcel {n}"})
    hours = services.business_hours()
    hours = type(hours)(start=dt.time(10, 0), end=dt.time(15, 0), time_zone=hours.time_zone)
    # One query per priority's target, one per batch (and the empty next one), one update.
    with django_assert_max_num_queries(4 + 3 + 1):
        assert services.recompute_open_tickets(hours) >= 12
