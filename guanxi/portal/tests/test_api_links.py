"""Portal links in the API: issued, listed and revoked by whoever may open tickets for a
customer they see (as on the 360° page); 404 outside the scope, 403 without the right."""

import pytest
from django.conf import settings as django_settings
from django.test import Client

from guanxi.audit.models import AuditEvent
from guanxi.customers.models import Customer
from guanxi.portal import services
from guanxi.portal.models import PortalLink

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(two_teams):
    w = two_teams
    w.cust_a = Customer.objects.create(display_name="Alpha", owner=w.rep_a, team=w.team_a)
    w.cust_b = Customer.objects.create(display_name="Beta", owner=w.rep_b, team=w.team_b)
    return w


def url(customer) -> str:
    return f"/api/v1/customers/{customer.pk}/portal-links/"


def test_issue_list_and_revoke(world, api):
    client = api(world.rep_a)
    response = client.post(url(world.cust_a), {}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    public = django_settings.PUBLIC_BASE_URL.rstrip("/")
    assert body["url"].startswith(public + "/portal/c/") and body["is_live"] is True
    assert body["expires_at"] and body["customer"] == world.cust_a.pk
    assert Client().get(body["url"].removeprefix(public)).status_code == 200
    older = services.issue_link(actor=world.rep_a, customer=world.cust_a)
    PortalLink.objects.filter(pk=older.pk).update(created_at=older.created_at.replace(year=2020))
    rows = client.get(url(world.cust_a)).json()["results"]
    assert [r["id"] for r in rows] == [body["id"], older.pk]
    assert all("url" not in r for r in rows)
    revoke = f"{url(world.cust_a)}{body['id']}/revoke/"
    response = client.post(revoke)
    assert response.status_code == 200 and response.json()["is_live"] is False
    assert client.post(revoke).status_code == 200
    assert AuditEvent.objects.filter(object_type="portal.portallink", action="update").count() == 1
    assert Client().get(body["url"].removeprefix(public)).status_code == 404
    # a link under another customer's address, or no link at all: not found
    mine = Customer.objects.create(display_name="Gamma", owner=world.rep_a, team=world.team_a)
    assert client.post(f"{url(mine)}{older.pk}/revoke/").status_code == 404
    for pk in (0, 99999, 2**63, 2**70):
        assert client.post(f"{url(world.cust_a)}{pk}/revoke/").status_code == 404
    assert client.get(revoke).status_code == 405


def test_another_teams_customer_is_not_found(world, api):
    link = services.issue_link(actor=world.rep_b, customer=world.cust_b)
    client = api(world.rep_a)
    assert client.get(url(world.cust_b)).status_code == 404
    assert client.post(url(world.cust_b), {}, format="json").status_code == 404
    assert client.post(f"{url(world.cust_b)}{link.pk}/revoke/").status_code == 404
    assert PortalLink.objects.get(pk=link.pk).revoked_at is None
    assert PortalLink.objects.filter(customer=world.cust_b).count() == 1
    for pk in (0, 2**63 + 1):
        assert client.get(f"/api/v1/customers/{pk}/portal-links/").status_code == 404


def test_a_user_who_may_not_open_tickets_may_not_manage_links(world, api):
    """The analyst sees every customer but opens no tickets: 403, as the web action answers."""
    link = services.issue_link(actor=world.rep_a, customer=world.cust_a)
    client = api(world.analyst)
    assert client.get(url(world.cust_a)).status_code == 403
    assert client.post(url(world.cust_a), {}, format="json").status_code == 403
    assert client.post(f"{url(world.cust_a)}{link.pk}/revoke/").status_code == 403
    assert PortalLink.objects.get(pk=link.pk).revoked_at is None
    assert api().get(url(world.cust_a)).status_code in (401, 403)


def test_bad_bodies_are_400s(world, api):
    client = api(world.rep_a)
    for body in ([], "x", {"days": 3}, {"x": None}):
        response = client.post(url(world.cust_a), body, format="json")
        assert response.status_code == 400, (body, response.content)
    assert not PortalLink.objects.exists()


def test_the_schema_describes_portal_links(world, api):
    schema = api(world.rep_a).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    paths = schema.json()["paths"]
    assert set(paths["/api/v1/customers/{id}/portal-links/"]) == {"get", "post"}
    assert "/api/v1/customers/{id}/portal-links/{link_id}/revoke/" in paths
