"""Editing a ticket keeps its assignee when the editor could not have chosen them: the lead of
team A changes the subject of a ticket assigned to rep B, and rep B stays the assignee."""

import re

import pytest
from django.urls import reverse

from guanxi.tickets import services

pytestmark = pytest.mark.django_db


def test_an_edit_keeps_an_assignee_the_editor_cannot_choose(world, client):
    w = world
    ticket = services.update_ticket(
        actor=w.admin, ticket=w.ticket_a, data={"assignee": w.rep_b}, version=w.ticket_a.version
    )
    client.force_login(w.manager_a)  # sees team A's customer; may assign to team A only
    url = reverse("tickets:edit", args=[ticket.pk])
    html = client.get(url).content.decode()
    assert re.search(rf'<option value="{w.rep_b.pk}" selected>', html)
    response = client.post(
        url,
        {
            "kind": ticket.kind,
            "category": ticket.category_id,
            "priority": ticket.priority,
            "subject": "Broken lid, photo attached",
            "description": "",
            "assignee": w.rep_b.pk,
            "version": ticket.version,
        },
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.subject == "Broken lid, photo attached"
    assert ticket.assignee_id == w.rep_b.pk


def test_the_editor_still_cannot_pick_someone_outside_their_reach(world, client):
    w = world
    client.force_login(w.manager_a)
    ticket = w.ticket_a
    response = client.post(
        reverse("tickets:edit", args=[ticket.pk]),
        {
            "kind": ticket.kind,
            "category": ticket.category_id,
            "priority": ticket.priority,
            "subject": ticket.subject,
            "assignee": w.rep_b.pk,
            "version": ticket.version,
        },
    )
    assert response.status_code == 400
    ticket.refresh_from_db()
    assert ticket.assignee_id == w.rep_a.pk
