import pytest
from django.urls import reverse

from guanxi.tickets import services
from guanxi.tickets.models import AssignmentRule, SlaTarget, Ticket, TicketCategory, TicketStatus

pytestmark = pytest.mark.django_db
EN = {"accept-language": "en"}


def test_list_shows_only_visible_tickets(world, client):
    client.force_login(world.rep_a)
    body = client.get(reverse("tickets:list"), headers=EN).content.decode()
    assert "Broken lid" in body and "Late parcel" not in body
    body = client.get(
        reverse("tickets:list"), {"breach": "breached", "status": "open", "mine": "on"}
    ).content.decode()
    assert "Late parcel" not in body


def test_list_bad_filters_and_cursor_do_not_break(world, client):
    client.force_login(world.rep_a)
    response = client.get(
        reverse("tickets:list"), {"status": "nope", "category": "x", "cursor": "garbage"}
    )
    assert response.status_code == 200


def test_list_query_count(world, client, django_assert_max_num_queries):
    for i in range(15):
        services.create_ticket(
            actor=world.admin,
            data={"customer": world.cust_a, "category": world.product, "subject": f"t{i}"},
        )
    client.force_login(world.admin)
    client.get(reverse("tickets:list"))
    with django_assert_max_num_queries(14):
        response = client.get(reverse("tickets:list"))
    assert response.status_code == 200


def test_foreign_ticket_pages_are_404(world, client):
    client.force_login(world.rep_a)
    pk = world.ticket_b.pk
    assert client.get(reverse("tickets:detail", args=[pk])).status_code == 404
    assert client.get(reverse("tickets:edit", args=[pk])).status_code == 404
    assert (
        client.post(reverse("tickets:transition", args=[pk]), {"action": "start"}).status_code
        == 404
    )
    assert client.post(reverse("tickets:reply", args=[pk]), {"body": "x"}).status_code == 404
    assert Ticket.objects.get(pk=pk).status == TicketStatus.NEW


def test_detail_actions_reply_and_history(world, client):
    client.force_login(world.rep_a)
    url = reverse("tickets:detail", args=[world.ticket_a.pk])
    body = client.get(url, headers=EN).content.decode()
    assert 'id="ticket-actions"' in body and "Start work" in body and 'id="ticket-history"' in body
    response = client.post(
        reverse("tickets:reply", args=[world.ticket_a.pk]),
        {"body": "We are looking", "is_public": "on"},
    )
    assert response.status_code == 302
    response = client.post(
        reverse("tickets:transition", args=[world.ticket_a.pk]),
        {"action": "close"},
        headers=EN,
        follow=True,
    )
    assert "cannot be changed this way" in response.content.decode()
    response = client.post(
        reverse("tickets:transition", args=[world.ticket_a.pk]), {"action": "resolve"}
    )
    assert Ticket.objects.get(pk=world.ticket_a.pk).status == TicketStatus.RESOLVED
    body = client.get(url, headers=EN).content.decode()
    assert "We are looking" in body
    assert 'id="rating-link"' in body and "/portal/rate/" in body  # no e-mail: shown to staff


def test_create_and_edit_forms(world, client):
    client.force_login(world.rep_a)
    url = reverse("tickets:create")
    assert client.get(url, {"customer": world.cust_b.pk}).status_code == 200
    data = {
        "customer": world.cust_a.pk,
        "kind": "complaint",
        "category": world.product.pk,
        "priority": "high",
        "subject": "Scratched",
        "description": "",
    }
    response = client.post(url, data)
    assert response.status_code == 302
    ticket = Ticket.objects.get(subject="Scratched")
    assert ticket.source == "web" and ticket.priority == "high"
    response = client.post(url, {**data, "customer": world.cust_b.pk}, headers=EN)
    assert response.status_code == 400 and "There is no such customer" in response.content.decode()
    response = client.post(url, {**data, "subject": ""})
    assert response.status_code == 400
    edit = reverse("tickets:edit", args=[ticket.pk])
    assert client.get(edit).status_code == 200
    response = client.post(edit, {**data, "subject": "Scratched lid", "version": 1})
    assert response.status_code == 302
    response = client.post(edit, {**data, "subject": "Stale", "version": 1})
    assert response.status_code == 409
    assert Ticket.objects.get(pk=ticket.pk).subject == "Scratched lid"


def test_analyst_cannot_create_or_act(world, client):
    client.force_login(world.analyst)
    assert client.get(reverse("tickets:detail", args=[world.ticket_a.pk])).status_code == 200
    assert client.get(reverse("tickets:create")).status_code == 403
    response = client.post(
        reverse("tickets:transition", args=[world.ticket_a.pk]), {"action": "start"}
    )
    assert response.status_code == 403


def test_settings_are_for_admins(world, client):
    url = reverse("tickets:settings")
    client.force_login(world.manager_a)
    assert client.get(url).status_code == 403
    assert client.post(url, {"form": "rule", "rule-team": world.team_a.pk}).status_code == 403
    client.force_login(world.admin)
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"form": "rule", "rule-team": world.team_a.pk, "rule-is_active": "on"}
    )
    assert response.status_code == 302 and AssignmentRule.objects.count() == 1
    response = client.post(url, {"form": "rule", "rule-team": world.team_b.pk}, headers=EN)
    assert response.status_code == 400 and "already a default rule" in response.content.decode()
    response = client.post(
        url,
        {
            "form": "target-urgent",
            "urgent-first_response_hours": "2",
            "urgent-resolution_hours": "1",
            "urgent-version": 1,
        },
        headers=EN,
    )
    assert response.status_code == 400
    response = client.post(
        url,
        {
            "form": "target-urgent",
            "urgent-first_response_hours": "2",
            "urgent-resolution_hours": "6",
            "urgent-version": 1,
        },
    )
    assert response.status_code == 302
    assert SlaTarget.objects.get(priority="urgent").first_response_hours == 2
    conf = services.service_settings()
    base = {
        "form": "settings",
        "work_start": "08:30",
        "work_end": "17:30",
        "time_zone": "Asia/Shanghai",
        "due_soon_hours": "1",
        "followup_days": "5",
        "version": conf.version,
    }
    assert client.post(url, {**base, "time_zone": "Mars/Base"}).status_code == 400
    assert client.post(url, {**base, "work_end": "08:00"}).status_code == 400
    assert client.post(url, base).status_code == 302
    assert services.service_settings().followup_days == 5
    response = client.post(
        url,
        {
            "form": "category",
            "cat-code": "billing",
            "cat-name": "Billing",
            "cat-name_zh": "账单",
            "cat-position": "9",
            "cat-is_active": "on",
        },
    )
    assert response.status_code == 302 and TicketCategory.objects.filter(code="billing").exists()
    response = client.post(
        url, {"form": "category", "cat-code": "billing", "cat-name": "B", "cat-position": "1"}
    )
    assert response.status_code == 400  # the code is taken


def test_360_page_shows_the_service_card_within_scope(world, client):
    client.force_login(world.rep_a)
    body = client.get(reverse("customers:detail", args=[world.cust_a.pk])).content.decode()
    assert 'id="customer-service"' in body and "Broken lid" in body
    assert "Late parcel" not in body
    # the customer's timeline shows ticket events
    response = client.get(reverse("customers:timeline", args=[world.cust_a.pk]), headers=EN)
    assert "Broken lid" in response.content.decode()


def test_the_admin_enters_holidays_the_built_in_calendar_does_not_know(world, client):
    from guanxi.tickets import services, sla

    url = reverse("tickets:settings")
    client.force_login(world.admin)
    page = client.get(url, headers=EN).content.decode()
    assert f"knows the years up to {sla.last_calendar_year()}" in page
    conf = services.service_settings()
    form = {
        "form": "settings",
        "work_start": "09:00",
        "work_end": "18:00",
        "time_zone": "Asia/Shanghai",
        "due_soon_hours": "2",
        "followup_days": "7",
        "version": conf.version,
    }
    response = client.post(url, {**form, "days_off": "2027-02-06..2027-02-3x"}, headers=EN)
    assert response.status_code == 400
    assert "is not a date (YYYY-MM-DD) or a range of dates" in response.content.decode()
    assert services.service_settings().days_off == []
    response = client.post(
        url, {**form, "days_off": "2027-02-06~2027-02-08", "workdays": "2027-02-14"}
    )
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert "2027-02-06..2027-02-08" in page and "2027-02-14" in page
