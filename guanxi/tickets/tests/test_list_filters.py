"""The ticket list filters by type, so a service lead can work the complaints alone; the API
does the same with ?kind=."""

import pytest
from django.urls import reverse

from guanxi.tickets import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def complaint(world):
    return services.create_ticket(
        actor=world.rep_a,
        data={
            "customer": world.cust_a,
            "category": world.product,
            "kind": "complaint",
            "subject": "Rude driver",
            "assignee": world.rep_a,
        },
    )


def test_the_list_shows_the_complaints_alone(world, complaint, client):
    client.force_login(world.rep_a)
    response = client.get(reverse("tickets:list"), {"kind": "complaint"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Rude driver" in html and "Broken lid" not in html
    assert 'name="kind"' in html  # the filter is offered on the page


def test_an_unknown_type_is_ignored(world, complaint, client):
    client.force_login(world.rep_a)
    html = client.get(reverse("tickets:list"), {"kind": "nonsense"}).content.decode()
    assert "Rude driver" in html and "Broken lid" in html
