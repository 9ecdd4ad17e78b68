"""Improvement actions linked to a ticket or a need: only ones the user may see."""

import pytest
from django.core.exceptions import ValidationError

from guanxi.surveys import services
from guanxi.tickets import services as tickets
from guanxi.tickets.models import TicketCategory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket_b(world):
    return tickets.create_ticket(
        actor=world.rep_b,
        data={
            "customer": world.cust_b,
            "category": TicketCategory.objects.get(code="delivery"),
            "subject": "到货太慢",
            "assignee": world.rep_b,
        },
    )


def test_an_action_links_a_ticket_its_author_may_see(world, ticket_b):
    action = services.create_action(
        actor=world.head_manager, data={"title": "缩短配送时间", "ticket": ticket_b}
    )
    assert action.ticket == ticket_b


def test_a_ticket_outside_the_scope_cannot_be_linked(world, ticket_b):
    with pytest.raises(ValidationError) as caught:
        services.create_action(actor=world.manager_a, data={"title": "x", "ticket": ticket_b})
    assert "ticket" in caught.value.message_dict


def test_the_api_treats_an_invisible_ticket_as_missing(world, ticket_b, api):
    response = api(world.manager_a).post(
        "/api/v1/improvement-actions/", {"title": "x", "ticket": ticket_b.pk}, format="json"
    )
    assert response.status_code == 400 and "ticket" in response.json()
    ok = api(world.head_manager).post(
        "/api/v1/improvement-actions/", {"title": "x", "ticket": ticket_b.pk}, format="json"
    )
    assert ok.status_code == 201 and ok.json()["ticket"] == ticket_b.pk


def test_the_owner_updates_an_action_linked_to_a_ticket_they_cannot_see(world, ticket_b, client):
    """The head manager links rep B's ticket and gives the action to rep A, who cannot see the
    ticket: rep A can still mark the action done, and the link stays."""
    from django.urls import reverse

    action = services.create_action(
        actor=world.head_manager,
        data={"title": "缩短配送时间", "ticket": ticket_b, "owner": world.rep_a},
    )
    client.force_login(world.rep_a)
    url = reverse("surveys:action_edit", args=[action.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "title": action.title,
            "owner": world.rep_a.pk,
            "status": "done",
            "ticket": ticket_b.pk,
            "version": action.version,
        },
    )
    assert response.status_code == 302
    action.refresh_from_db()
    assert (action.status, action.ticket_id) == ("done", ticket_b.pk)
