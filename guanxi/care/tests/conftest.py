import pytest


@pytest.fixture
def world(two_teams):
    """Customers of rep A and rep B, one in the pool (no owner)."""
    from guanxi.customers.models import ContactPoint, Customer

    w = two_teams
    w.cust_a = Customer.objects.create(
        display_name="Alpha Zhang", short_name="Alpha", owner=w.rep_a, team=w.team_a
    )
    w.cust_b = Customer.objects.create(display_name="Beta", owner=w.rep_b, team=w.team_b)
    w.pooled = Customer.objects.create(display_name="Pooled", team=w.team_a)
    w.rep_a.display_name = "Rep A"
    w.rep_a.save()

    def email(customer, value):
        ContactPoint.objects.create(customer=customer, kind="email", value=value, normalized=value)

    w.email = email
    return w
