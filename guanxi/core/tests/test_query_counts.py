"""Lists cost the same number of queries whatever their length (no N+1)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db


def queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries)


def fill(client, admin, n, offset=0):
    product = None
    for i in range(offset, offset + n):
        customer = client.post(
            "/api/v1/customers/",
            {
                "display_name": f"客户{i}",
                "tags": [f"t{i}"],
                "contact_points": [{"kind": "mobile", "value": f"1380000{i:04d}"}],
                "addresses": [{"province": "浙江", "city": "杭州", "street": f"{i}号"}],
            },
            format="json",
        ).json()
        if product is None:
            product = admin.post(
                "/api/v1/products/",
                {"sku": f"P{offset}", "name": "P", "unit_price": "1"},
                format="json",
            ).json()
        client.post(
            "/api/v1/orders/",
            {"customer": customer["id"], "lines": [{"product": product["id"]}]},
            format="json",
        )
        client.post(
            "/api/v1/interactions/",
            {"customer": customer["id"], "channel": "phone", "subject": "hi"},
            format="json",
        )


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/customers/",
        "/api/v1/customers/?search=客户",
        "/api/v1/orders/",
        "/api/v1/interactions/",
        "/api/v1/users/",
    ],
)
@pytest.mark.parametrize("who", ["admin", "head_manager", "rep_a"])
def test_list_queries_do_not_grow_with_the_page(two_teams, api, url, who):
    from guanxi.accounts.models import User

    user = getattr(two_teams, who)
    admin = api(two_teams.admin)
    # rep_a creates so that every role sees the rows.
    fill(api(two_teams.rep_a), admin, 2)
    admin.get("/api/v1/customers/")
    # A fresh user object per request, as authentication gives in production.
    few = queries(api(User.objects.get(pk=user.pk)), url)
    fill(api(two_teams.rep_a), admin, 10, offset=2)
    many = queries(api(User.objects.get(pk=user.pk)), url)
    assert many == few, (few, many)
