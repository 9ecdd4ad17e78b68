"""Pipeline board, time in stage and funnel over 100 000 opportunities (20 000 customers).

Run on an empty database (it creates users, customers and opportunities):
    export GUANXI_VAR_DIR=$(mktemp -d); .venv/bin/python manage.py migrate
    .venv/bin/python manage.py shell < benchmarks/pipeline_board.py
Prints the best of three timings and the number of queries of each selector.
"""

import random
import time
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from guanxi.accounts.models import Role, Team, User
from guanxi.customers.models import Customer
from guanxi.pipeline import selectors, services
from guanxi.pipeline.models import Opportunity, StageChange

admin = User.objects.create_user(
    username="admin", password="x", role=Role.objects.get(code="admin")
)
team = Team.objects.create(name="T")
team.path = f"/{team.pk}/"
team.save()
rep = User.objects.create_user(
    username="rep", password="x", role=Role.objects.get(code="sales"), team=team
)
N_CUST, N_OPP = 20000, 100000
Customer.objects.bulk_create(
    [
        Customer(display_name=f"C{i}", owner=(rep if i % 10 == 0 else admin), team=team)
        for i in range(N_CUST)
    ],
    batch_size=5000,
)
ids = list(Customer.objects.values_list("id", "owner_id"))
p = services.create_pipeline(actor=admin, data={"name": "Sales"})
stages = list(p.stages.all())
now = timezone.now()
t = time.perf_counter()
opps = []
for i in range(N_OPP):
    cid, owner = ids[i % len(ids)]
    s = random.choice(stages)
    opps.append(
        Opportunity(
            name=f"O{i}",
            customer_id=cid,
            owner_id=owner,
            pipeline=p,
            stage=s,
            status=s.outcome,
            amount=Decimal(random.randint(1, 100000)),
            probability=s.probability,
            stage_entered_at=now,
        )
    )
Opportunity.objects.bulk_create(opps, batch_size=5000)
StageChange.objects.bulk_create(
    [
        StageChange(
            opportunity_id=o.pk,
            stage_id=o.stage_id,
            entered_at=now - timezone.timedelta(hours=5),
            left_at=now,
            seconds=18000,
        )
        for o in Opportunity.objects.only("id", "stage_id")
    ],
    batch_size=5000,
)
print("seeded", time.perf_counter() - t)
for user in (admin, rep):
    for label, fn in (
        (
            "board",
            lambda user=user: selectors.board(
                user=user, pipeline=p, filters=selectors.BoardFilters()
            ),
        ),
        ("avg_time", lambda user=user: selectors.average_time_in_stage(user=user, pipeline=p)),
        ("funnel", lambda user=user: selectors.funnel(user, pipeline=p)),
    ):
        fn()
        best = 1e9
        for _ in range(3):
            with CaptureQueriesContext(connection) as q:
                t = time.perf_counter()
                fn()
                best = min(best, time.perf_counter() - t)
        print(user.username, label, f"{best * 1000:.0f} ms", len(q.captured_queries), "queries")
