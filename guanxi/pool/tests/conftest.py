import pytest


@pytest.fixture
def pool(two_teams):
    """Pool customers of team A, of team B and of no team; rep A's own customer."""
    from guanxi.customers import services as customer_services
    from guanxi.customers.models import Customer

    w = two_teams

    def make(name, team=None, *, kind="person", phone=None, **extra):
        data = {"display_name": name, "owner": None, "team": team, "kind": kind, **extra}
        if phone:
            data["contact_points"] = [{"kind": "mobile", "value": phone}]
        customer = customer_services.create_customer(actor=w.admin, data=data)
        if team is None:  # the service files it under the creator's team: in nobody's now
            Customer.objects.filter(pk=customer.pk).update(team=None)
            customer.refresh_from_db()
        return customer

    w.make = make
    w.in_a = make("Pool Alpha", w.team_a, phone="13800001111", region="Shanghai", industry="IT")
    w.in_b = make("Pool Beta", w.team_b, phone="13900002222")
    w.nobody = make("Pool Nobody", None, phone="13700003333")
    w.owned = customer_services.create_customer(
        actor=w.admin, data={"display_name": "Owned by A", "owner": w.rep_a}
    )
    return w
