"""A service lead (a role whose scope is the team) sees and works the queue of their team: the
tickets assigned to the team, whoever the customer belongs to, like the agents who work them.
The lead of another team does not."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from guanxi.followups.models import Task
from guanxi.tickets import selectors, services
from guanxi.tickets.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(world, make_team, make_user):
    """A service team beside the sales teams: its lead (a manager), an agent, and a ticket of
    team B's customer assigned to the agent. Neither the lead nor manager A sees the customer."""
    w = world
    w.care = make_team("Customer care")
    w.lead = make_user("lead", "manager", w.care)
    w.agent = make_user("agent", "service", w.care)
    w.ticket = services.create_ticket(
        actor=w.agent,
        data={
            "customer": w.cust_b,
            "category": w.product,
            "subject": "Wrong colour",
            "assignee": w.agent,
        },
    )
    assert w.ticket.team_id == w.care.pk
    return w


def test_the_service_lead_sees_the_tickets_of_their_team(desk, api):
    w = desk
    assert selectors.ticket_list(user=w.lead).filter(pk=w.ticket.pk).exists()
    assert selectors.ticket_get(user=w.lead, pk=w.ticket.pk) == w.ticket
    response = api(w.lead).get("/api/v1/tickets/")
    assert [row["id"] for row in response.json()["results"]] == [w.ticket.pk]


def test_the_service_lead_works_a_ticket_of_their_team(desk):
    w = desk
    ticket = services.change_status(actor=w.lead, ticket=w.ticket, action="start")
    assert ticket.status == "in_progress"
    services.add_reply(actor=w.lead, ticket=ticket, body="We are on it.", public=False)


def test_the_lead_of_another_team_does_not_see_them(desk, api):
    w = desk
    assert not selectors.ticket_list(user=w.manager_a).filter(pk=w.ticket.pk).exists()
    assert api(w.manager_a).get(f"/api/v1/tickets/{w.ticket.pk}/").status_code == 404
    assert w.ticket.pk not in [
        row["id"] for row in api(w.manager_a).get("/api/v1/tickets/").json()["results"]
    ]


def test_the_ticket_page_offers_no_dead_links_to_a_customer_the_lead_cannot_see(desk, client):
    """The lead works the ticket, but the customer's page, its portal link and a need for it
    are out of their scope: the page names the customer without linking to what would 404."""
    w = desk
    client.force_login(w.lead)
    html = client.get(reverse("tickets:detail", args=[w.ticket.pk])).content.decode()
    assert "Beta" in html
    assert f"/customers/{w.cust_b.pk}/" not in html
    assert reverse("portal:issue", args=[w.cust_b.pk]) not in html
    assert reverse("needs:create") not in html
    client.force_login(w.agent)  # who sees every customer gets them all
    html = client.get(reverse("tickets:detail", args=[w.ticket.pk])).content.decode()
    assert f"/customers/{w.cust_b.pk}/" in html
    assert reverse("portal:issue", args=[w.cust_b.pk]) in html
    assert reverse("needs:create") in html


@pytest.fixture
def leads_ticket(desk):
    """A ticket of team B's customer assigned (by round robin, say) to the lead, who does not
    see the customer."""
    w = desk
    return services.update_ticket(
        actor=w.agent, ticket=w.ticket, data={"assignee": w.lead}, version=w.ticket.version
    )


def test_the_lead_is_told_of_a_breach_on_a_ticket_whose_customer_they_cannot_see(
    desk, leads_ticket
):
    past = timezone.now() - dt.timedelta(hours=1)
    Ticket.objects.filter(pk=leads_ticket.pk).update(first_response_due_at=past)
    assert services.check_sla() == 1
    task = Task.objects.get(assignee=desk.lead, title__contains=f"#{leads_ticket.pk}")
    assert task.customer_id is None  # the task names the ticket, not the unseen customer
    assert services.check_sla() == 0


def test_the_lead_gets_the_follow_up_of_a_ticket_they_closed(desk, leads_ticket):
    t = services.change_status(actor=desk.lead, ticket=leads_ticket, action="resolve")
    services.change_status(actor=desk.lead, ticket=t, action="close")
    assert Task.objects.filter(assignee=desk.lead, title__contains=f"#{t.pk}").exists()
