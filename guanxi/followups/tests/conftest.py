import datetime as dt

import pytest
from django.utils import timezone


@pytest.fixture
def world(two_teams):
    """Two customers, one per team, and a task for each rep on their own customer."""
    from guanxi.customers.models import Customer
    from guanxi.followups.models import Task

    w = two_teams
    w.cust_a = Customer.objects.create(display_name="Alpha", owner=w.rep_a, team=w.team_a)
    w.cust_b = Customer.objects.create(display_name="Beta", owner=w.rep_b, team=w.team_b)
    soon = timezone.now() + dt.timedelta(hours=1)
    w.task_a = Task.objects.create(
        customer=w.cust_a, title="Call Alpha", assignee=w.rep_a, created_by=w.rep_a, due_at=soon
    )
    w.task_b = Task.objects.create(
        customer=w.cust_b, title="Visit Beta", assignee=w.rep_b, created_by=w.rep_b, due_at=soon
    )
    return w
