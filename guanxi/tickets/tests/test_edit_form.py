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


def test_an_edit_keeps_a_category_no_longer_in_use(world, client):
    """A ticket of a category the admin has since retired can still have its subject fixed;
    a retired category cannot be newly chosen."""
    w = world
    ticket = services.update_ticket(
        actor=w.rep_a, ticket=w.ticket_a, data={"category": w.delivery}, version=1
    )
    services.save_category(
        actor=w.admin, category=w.delivery, data={"is_active": False}, version=w.delivery.version
    )
    client.force_login(w.rep_a)
    url = reverse("tickets:edit", args=[ticket.pk])
    html = client.get(url).content.decode()
    assert re.search(rf'<option value="{w.delivery.pk}" selected>', html)
    data = {
        "kind": ticket.kind,
        "category": w.delivery.pk,
        "priority": ticket.priority,
        "subject": "Parcel lost",
        "assignee": w.rep_a.pk,
        "version": ticket.version,
    }
    assert client.post(url, data).status_code == 302
    ticket.refresh_from_db()
    assert (ticket.subject, ticket.category_id) == ("Parcel lost", w.delivery.pk)
    other = services.create_ticket(
        actor=w.rep_a, data={"customer": w.cust_a, "category": w.product, "subject": "Other"}
    )
    data |= {"category": w.delivery.pk, "version": other.version}
    assert client.post(reverse("tickets:edit", args=[other.pk]), data).status_code == 400
