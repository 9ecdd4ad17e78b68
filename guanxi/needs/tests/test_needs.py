import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from guanxi.customers.models import Customer
from guanxi.interactions.models import Interaction
from guanxi.needs import selectors, services
from guanxi.needs.models import Need
from guanxi.tickets import services as tickets
from guanxi.tickets.models import TicketCategory

pytestmark = pytest.mark.django_db
URL = "/api/v1/needs/"
EN = {"accept-language": "en"}


@pytest.fixture
def world(two_teams):
    w = two_teams
    w.cust_a = Customer.objects.create(
        display_name="Alpha", owner=w.rep_a, team=w.team_a, grade="vip", industry="Retail"
    )
    w.cust_b = Customer.objects.create(display_name="Beta", owner=w.rep_b, team=w.team_b)
    product = TicketCategory.objects.get(code="price")
    w.ticket_a = tickets.create_ticket(
        actor=w.rep_a, data={"customer": w.cust_a, "category": product, "subject": "Too dear"}
    )
    w.need_a = services.create_need(
        actor=w.rep_a, data={"customer": w.cust_a, "title": "Bulk discount", "category": "price"}
    )
    w.need_b = services.create_need(
        actor=w.rep_b,
        data={"customer": w.cust_b, "title": "Night delivery", "category": "service"},
    )
    return w


def test_record_from_a_ticket_links_it(world):
    need = services.create_need(
        actor=world.rep_a, data={"ticket": world.ticket_a, "title": "Cheaper lids"}
    )
    assert need.customer_id == world.cust_a.pk and need.source == "ticket"
    with pytest.raises(ValidationError) as err:
        services.create_need(
            actor=world.rep_a,
            data={"ticket": world.ticket_a, "customer": world.cust_b, "title": "x"},
        )
    assert "customer" in err.value.message_dict or "ticket" in err.value.message_dict
    with pytest.raises(ValidationError):
        services.create_need(actor=world.rep_b, data={"ticket": world.ticket_a, "title": "x"})


def test_record_from_an_interaction(world):
    from django.utils import timezone

    interaction = Interaction.objects.create(
        customer=world.cust_a,
        channel="phone",
        direction="inbound",
        subject="call",
        occurred_at=timezone.now(),
    )
    need = services.create_need(
        actor=world.rep_a, data={"interaction": interaction, "title": "Callback"}
    )
    assert need.source == "interaction" and need.customer_id == world.cust_a.pk


def test_api_two_users(world, api):
    a, b = api(world.rep_a), api(world.rep_b)
    assert [n["id"] for n in a.get(URL).json()["results"]] == [world.need_a.pk]
    assert a.get(f"{URL}{world.need_b.pk}/").status_code == 404
    response = a.patch(
        f"{URL}{world.need_b.pk}/", {"status": "planned", "version": 1}, format="json"
    )
    assert response.status_code == 404
    assert a.get(f"{URL}{world.need_b.pk}/history/").status_code == 404
    assert (
        b.post(URL, {"customer": world.cust_a.pk, "title": "x"}, format="json").status_code == 400
    )
    response = b.post(URL, {"ticket": world.ticket_a.pk, "title": "x"}, format="json")
    assert response.status_code == 400 and "ticket" in response.json()
    response = a.patch(
        f"{URL}{world.need_a.pk}/", {"status": "planned", "version": 1}, format="json"
    )
    assert response.status_code == 200 and response.json()["status"] == "planned"
    response = a.patch(
        f"{URL}{world.need_a.pk}/", {"status": "declined", "version": 1}, format="json"
    )
    assert response.status_code == 409
    assert a.delete(f"{URL}{world.need_a.pk}/").status_code == 403  # sales may not delete
    assert (
        api(world.analyst)
        .post(URL, {"customer": world.cust_a.pk, "title": "x"}, format="json")
        .status_code
        == 403
    )


def test_api_bad_inputs(world, api):
    a = api(world.rep_a)
    for body, field in [
        ({"title": "x"}, "customer"),
        ({"customer": world.cust_a.pk, "title": ""}, "title"),
        ({"customer": world.cust_a.pk, "title": "x", "category": "space"}, "category"),
        ({"customer": world.cust_a.pk, "title": "x", "importance": 3}, "importance"),
        ({"customer": world.cust_a.pk, "title": "x", "ticket": 99999}, "ticket"),
    ]:
        response = a.post(URL, body, format="json")
        assert response.status_code == 400 and field in response.json(), (body, response.json())


def test_list_page_two_users_and_query_count(world, client, django_assert_max_num_queries):
    for i in range(10):
        services.create_need(actor=world.rep_a, data={"customer": world.cust_a, "title": f"n{i}"})
    client.force_login(world.rep_a)
    client.get(reverse("needs:list"))
    with django_assert_max_num_queries(12):
        body = client.get(reverse("needs:list")).content.decode()
    assert "Bulk discount" in body and "Night delivery" not in body
    assert client.get(reverse("needs:edit", args=[world.need_b.pk])).status_code == 404


def test_forms(world, client):
    client.force_login(world.rep_a)
    url = reverse("needs:create")
    response = client.get(url, {"ticket": world.ticket_a.pk})
    assert response.status_code == 200 and "Too dear" in response.content.decode()
    response = client.post(
        url,
        {
            "ticket": world.ticket_a.pk,
            "title": "Volume price",
            "category": "price",
            "importance": "high",
            "status": "collected",
        },
    )
    assert response.status_code == 302
    assert Need.objects.get(title="Volume price").ticket_id == world.ticket_a.pk
    response = client.post(
        url,
        {
            "customer": world.cust_b.pk,
            "title": "x",
            "category": "price",
            "importance": "high",
            "status": "collected",
        },
    )
    assert response.status_code == 400
    edit = reverse("needs:edit", args=[world.need_a.pk])
    response = client.post(
        edit,
        {
            "title": "Bulk discount 10%",
            "category": "price",
            "importance": "high",
            "status": "analysing",
            "version": 1,
        },
    )
    assert response.status_code == 302
    assert Need.objects.get(pk=world.need_a.pk).status == "analysing"


def test_analysis_counts_only_visible_customers(world, client):
    services.create_need(
        actor=world.rep_a,
        data={"customer": world.cust_a, "title": "Bulk discount", "category": "price"},
    )
    data = selectors.analysis(user=world.rep_a)
    assert data["total"] == 2
    assert {r["key"]: r["count"] for r in data["by_category"]}["price"] == 2
    assert {r["key"]: r["count"] for r in data["by_category"]}["service"] == 0
    assert data["top"][0]["title"] == "Bulk discount" and data["top"][0]["n"] == 2
    assert data["by_segment"][0]["key"] == "vip"
    assert sum(r["total"] for r in data["by_month"]) == 2
    assert selectors.analysis(user=world.admin)["total"] == 3
    with translation.override("en"):
        data = selectors.analysis(user=world.admin, segment="industry")
    assert {r["label"] for r in data["by_segment"]} == {"Retail", "(not set)"}
    tomorrow = dt.date.today() + dt.timedelta(days=2)
    assert selectors.analysis(user=world.admin, date_from=tomorrow)["total"] == 0


def test_analysis_page(world, client):
    client.force_login(world.rep_a)
    response = client.get(reverse("needs:analysis"), headers=EN)
    body = response.content.decode()
    assert response.status_code == 200
    assert "echarts.min.js" in body and 'id="table-category"' in body
    assert "Bulk discount" in body and "Night delivery" not in body
    response = client.get(
        reverse("needs:analysis"), {"date_from": "2025-02-01", "date_to": "2025-01-01"}
    )
    assert response.status_code == 400
    assert client.get(reverse("needs:analysis"), {"segment": "bogus"}).status_code == 400
    assert "echarts" not in client.get(reverse("needs:list")).content.decode()
    client.force_login(world.rep_b)
    body = client.get(reverse("needs:analysis")).content.decode()
    assert "Bulk discount" not in body and "Night delivery" in body


def test_a_new_need_ignores_an_interaction_link_that_is_not_a_number(world, client):
    """A superscript ² passes str.isdigit() but is not a number int() reads."""
    client.force_login(world.rep_a)
    assert client.get(reverse("needs:create"), {"interaction": "²"}).status_code == 200
