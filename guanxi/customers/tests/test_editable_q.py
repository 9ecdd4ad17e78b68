"""customers.policies.editable_q (the right to change, as a filter for a page of rows) gives
the same answer as can_edit (the object check) for every user and customer: owner, team
managers, roles that see all, and shares with and without the right to edit."""

import pytest

from guanxi.customers import services
from guanxi.customers.models import Customer
from guanxi.customers.policies import can_edit, editable_q, visible_q

pytestmark = pytest.mark.django_db


def test_editable_q_agrees_with_can_edit(two_teams):
    w = two_teams
    made = [
        services.create_customer(actor=owner, data={"kind": "person", "display_name": name})
        for owner, name in ((w.rep_a, "甲"), (w.rep_a, "乙"), (w.rep_b, "丙"), (w.rep_b, "丁"))
    ]
    services.share_customer(actor=w.rep_a, customer=made[1], user=w.rep_b, can_edit=True)
    services.share_customer(actor=w.rep_b, customer=made[2], user=w.rep_a, can_edit=False)
    services.share_customer(actor=w.rep_b, customer=made[3], team=w.team_a, can_edit=True)
    users = (w.rep_a, w.rep_b, w.manager_a, w.head_manager, w.analyst, w.admin)
    for user in users:
        seen = Customer.objects.filter(visible_q(user))
        editable = set(seen.filter(editable_q(user)).values_list("pk", flat=True))
        expected = {c.pk for c in seen if can_edit(user, c)}
        assert editable == expected, user.username
    assert {made[1].pk} <= set(
        Customer.objects.filter(visible_q(w.rep_b), editable_q(w.rep_b)).values_list(
            "pk", flat=True
        )
    )
