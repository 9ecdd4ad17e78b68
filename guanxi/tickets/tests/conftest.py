import pytest


@pytest.fixture
def world(two_teams):
    """Two customers, one per team, and a ticket on each, assigned to its owner."""
    from guanxi.customers.models import Customer
    from guanxi.tickets import services
    from guanxi.tickets.models import TicketCategory

    w = two_teams
    w.cust_a = Customer.objects.create(display_name="Alpha", owner=w.rep_a, team=w.team_a)
    w.cust_b = Customer.objects.create(display_name="Beta", owner=w.rep_b, team=w.team_b)
    w.product = TicketCategory.objects.get(code="product")
    w.delivery = TicketCategory.objects.get(code="delivery")
    w.ticket_a = services.create_ticket(
        actor=w.rep_a,
        data={
            "customer": w.cust_a,
            "category": w.product,
            "subject": "Broken lid",
            "assignee": w.rep_a,
        },
    )
    w.ticket_b = services.create_ticket(
        actor=w.rep_b,
        data={
            "customer": w.cust_b,
            "category": w.product,
            "subject": "Late parcel",
            "assignee": w.rep_b,
        },
    )
    return w
