import datetime as dt
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation

from guanxi.audit.models import AuditEvent
from guanxi.core.errors import PermissionDeniedError
from guanxi.customers.models import Customer
from guanxi.followups.models import Task
from guanxi.interactions.models import Interaction
from guanxi.pool import selectors, services
from guanxi.pool.models import PoolEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def migrated_data(transactional_db):
    """What the data migrations install (roles, default care plans and greeting templates):
    a test that commits runs after others that emptied the tables."""
    import importlib

    from django.apps import apps

    roles = importlib.import_module("guanxi.accounts.migrations.0002_default_roles")
    roles.add_roles(apps, None)
    care = importlib.import_module("guanxi.care.migrations.0002_defaults")
    care.add(apps, None)


EN = {"accept-language": "en"}


def names(qs):
    return sorted(c.display_name for c in qs)


def test_who_sees_which_pool(pool):
    assert names(selectors.pool_list(user=pool.rep_a)) == ["Pool Alpha", "Pool Nobody"]
    assert names(selectors.pool_list(user=pool.rep_b)) == ["Pool Beta", "Pool Nobody"]
    assert names(selectors.pool_list(user=pool.manager_a)) == ["Pool Alpha", "Pool Nobody"]
    everything = ["Pool Alpha", "Pool Beta", "Pool Nobody"]
    assert names(selectors.pool_list(user=pool.head_manager)) == everything
    assert names(selectors.pool_list(user=pool.admin)) == everything
    assert names(selectors.pool_list(user=pool.analyst)) == everything  # scope: all, masked


def test_pool_page_two_users_and_masking(pool, client):
    client.force_login(pool.rep_a)
    body = client.get(reverse("pool:list"), headers=EN).content.decode()
    assert "Pool Alpha" in body and "Pool Nobody" in body and "Pool Beta" not in body
    assert "Owned by A" not in body
    assert "138****1111" in body and "13800001111" not in body
    assert "Shanghai" in body and "IT" in body
    assert reverse("pool:claim", args=[pool.in_a.pk]) in body
    client.force_login(pool.rep_b)
    body = client.get(reverse("pool:list")).content.decode()
    assert "Pool Beta" in body and "Pool Alpha" not in body
    # even a role that sees contact details in full sees them masked in the pool
    client.force_login(pool.admin)
    body = client.get(reverse("pool:list")).content.decode()
    assert "13900002222" not in body and "139****2222" in body


def test_pool_search_matches_names_not_phones(pool, client):
    client.force_login(pool.rep_a)
    body = client.get(reverse("pool:list"), {"q": "alpha"}).content.decode()
    assert "Pool Alpha" in body and "Pool Nobody" not in body
    body = client.get(reverse("pool:list"), {"q": "13800001111"}).content.decode()
    assert "Pool Alpha" not in body
    assert client.get(reverse("pool:list"), {"q": "x" * 5000, "sort": "bogus"}).status_code == 200
    assert client.get(reverse("pool:list"), {"cursor": "garbage"}).status_code == 200


def test_pool_list_query_count_is_constant(pool, client, django_assert_max_num_queries):
    for i in range(30):
        pool.make(f"More {i}", pool.team_a, phone=f"1360000{i:04d}")
    client.force_login(pool.rep_a)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("pool:list"))
    assert response.status_code == 200 and response.content.decode().count("****") >= 25


def test_claim_sets_owner_and_team_audited_and_leaves_the_pool(pool, client):
    client.force_login(pool.rep_a)
    response = client.post(reverse("pool:claim", args=[pool.nobody.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:detail", args=[pool.nobody.pk])
    customer = Customer.objects.get(pk=pool.nobody.pk)
    assert customer.owner == pool.rep_a and customer.team == pool.team_a
    assert customer.version == pool.nobody.version + 1
    event = PoolEvent.objects.get(customer=customer)
    assert event.kind == "claim" and event.user == pool.rep_a and event.actor == pool.rep_a
    audit = AuditEvent.objects.filter(object_type="customers.customer", customer_id=customer.pk)
    assert audit.filter(changes__owner=[None, pool.rep_a.pk]).exists()
    assert AuditEvent.objects.filter(object_type="pool.poolevent").exists()
    # gone from everyone's pool; now on rep A's 360° page with contacts in full
    for user in (pool.rep_a, pool.rep_b, pool.admin):
        assert customer.pk not in selectors.pool_list(user=user).values_list("pk", flat=True)
    detail = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert "13700003333" in detail and 'id="pool-history"' in detail
    # a second claim: refused with a message, nothing changes
    client.force_login(pool.rep_b)
    response = client.post(reverse("pool:claim", args=[pool.nobody.pk]), headers=EN)
    assert response.status_code == 302
    assert Customer.objects.get(pk=pool.nobody.pk).owner == pool.rep_a


def test_rep_b_cannot_claim_from_team_as_pool(pool, client, api):
    client.force_login(pool.rep_b)
    client.post(reverse("pool:claim", args=[pool.in_a.pk]))
    assert Customer.objects.get(pk=pool.in_a.pk).owner is None
    assert api(pool.rep_b).post(f"/api/v1/pool/{pool.in_a.pk}/claim/").status_code == 404
    assert api(pool.rep_b).get(f"/api/v1/pool/{pool.in_a.pk}/").status_code == 404
    assert client.get(reverse("pool:history", args=[pool.in_a.pk])).status_code == 404
    assert client.get(reverse("customers:detail", args=[pool.in_a.pk])).status_code == 404


def test_masked_role_may_look_but_not_claim(pool, client, api):
    client.force_login(pool.analyst)
    body = client.get(reverse("pool:list")).content.decode()
    assert "Pool Beta" in body and "13900002222" not in body
    assert reverse("pool:claim", args=[pool.in_b.pk]) not in body
    assert client.post(reverse("pool:claim", args=[pool.in_b.pk])).status_code == 403
    response = api(pool.analyst).post(f"/api/v1/pool/{pool.in_b.pk}/claim/")
    assert response.status_code == 403
    listing = api(pool.analyst).get("/api/v1/pool/").json()["results"]
    assert {r["contact_hint"] for r in listing} == {"138****1111", "139****2222", "137****3333"}
    with pytest.raises(PermissionDeniedError):
        services.claim(actor=pool.analyst, customer=pool.in_b)


@translation.override("en")
def test_cap_refusal_says_the_cap(pool, settings):
    settings.POOL_CLAIM_CAP = 1  # rep A already holds one customer
    with pytest.raises(ValidationError) as error:
        services.claim(actor=pool.rep_a, customer=pool.in_a)
    assert "the cap is 1" in " ".join(error.value.messages)
    settings.POOL_CLAIM_CAP_BY_ROLE = {"sales": 2}
    services.claim(actor=pool.rep_a, customer=pool.in_a)
    with pytest.raises(ValidationError) as error:
        services.claim(actor=pool.rep_a, customer=pool.nobody)
    assert "the cap is 2" in " ".join(error.value.messages)
    settings.POOL_CLAIM_CAP_BY_ROLE = {}
    settings.POOL_CLAIM_CAP = 0  # no cap
    services.claim(actor=pool.rep_a, customer=pool.nobody)


def test_claim_refused_when_another_rep_owns_the_company(pool, api):
    from guanxi.customers import services as customer_services

    code = "91350100M000100Y43"
    customer_services.create_customer(
        actor=pool.admin,
        data={
            "display_name": "福州某某科技有限公司",
            "kind": "organisation",
            "owner": pool.rep_b,
            "contact_points": [{"kind": "mobile", "value": "13511112222"}],
        },
    )
    same_name = pool.make("福州某某科技有限公司（分部）", None, kind="organisation")
    same_name.refresh_from_db()
    other = Customer.objects.get(display_name="福州某某科技有限公司")
    Customer.objects.filter(pk=same_name.pk).update(name_key=other.name_key)
    pool.rep_b.display_name = "Rep B"
    pool.rep_b.save()
    response = api(pool.rep_a).post(
        f"/api/v1/pool/{same_name.pk}/claim/", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    message = " ".join(response.json()["non_field_errors"])
    assert "Rep B already owns this company" in message
    assert "13511112222" not in message and "福州" not in message
    # same credit code, different name
    Customer.objects.filter(pk=other.pk).update(credit_code=code)
    by_code = pool.make("Another name", None, kind="organisation")
    Customer.objects.filter(pk=by_code.pk).update(credit_code=code)
    with pytest.raises(ValidationError):
        services.claim(actor=pool.rep_a, customer=Customer.objects.get(pk=by_code.pk))
    # two people with the same name are not the same company
    first = pool.make("张伟", None)
    second = pool.make("张伟", None)
    services.claim(actor=pool.rep_b, customer=first)
    services.claim(actor=pool.rep_a, customer=second)


@pytest.mark.django_db(transaction=True)
def test_two_reps_claiming_at_once_exactly_one_wins(migrated_data, pool):
    if connection.settings_dict["NAME"].startswith("file:memorydb"):
        pytest.skip("an in-memory SQLite database is not shared between threads")
    from guanxi.accounts.models import User

    barrier = threading.Barrier(2)
    outcomes = {}

    def run(user_id):
        user = User.objects.get(pk=user_id)
        customer = selectors.pool_get(user=user, pk=pool.nobody.pk)
        barrier.wait()
        try:
            services.claim(actor=user, customer=customer)
            outcomes[user_id] = "won"
        except ValidationError as exc:
            outcomes[user_id] = " ".join(exc.messages)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(u.pk,)) for u in (pool.rep_a, pool.rep_b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(outcomes) == 2 and list(outcomes.values()).count("won") == 1
    winner = Customer.objects.get(pk=pool.nobody.pk).owner_id
    assert outcomes[winner] == "won"
    assert PoolEvent.objects.filter(customer_id=pool.nobody.pk, kind="claim").count() == 1


def test_return_with_reason_through_the_web(pool, client):
    client.force_login(pool.rep_a)
    url = reverse("pool:return", args=[pool.owned.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"reason": "   ", "version": pool.owned.version}).status_code == 400
    assert client.post(url, {"reason": "x" * 501}).status_code == 400
    stale = client.post(url, {"reason": "No budget", "version": pool.owned.version + 5})
    assert stale.status_code == 409
    response = client.post(url, {"reason": "No budget", "version": pool.owned.version})
    assert response.status_code == 302
    customer = Customer.objects.get(pk=pool.owned.pk)
    assert customer.owner is None
    event = PoolEvent.objects.get(customer=customer)
    assert (event.kind, event.user, event.reason) == ("return", pool.rep_a, "No budget")
    # rep A may no longer open it, but sees it in the pool with its history
    assert client.get(reverse("customers:detail", args=[customer.pk])).status_code == 404
    history = client.get(reverse("pool:history", args=[customer.pk])).content.decode()
    assert "No budget" in history


def test_only_the_owner_or_a_manager_returns(pool, client, api):
    client.force_login(pool.rep_b)
    assert client.get(reverse("pool:return", args=[pool.owned.pk])).status_code == 404
    response = api(pool.rep_b).post(
        f"/api/v1/pool/{pool.owned.pk}/return/", {"reason": "mine now"}, format="json"
    )
    assert response.status_code == 404
    client.force_login(pool.analyst)  # sees the customer, may not change it
    assert client.get(reverse("pool:return", args=[pool.owned.pk])).status_code == 403
    response = api(pool.manager_a).post(
        f"/api/v1/pool/{pool.owned.pk}/return/", {"reason": "Left the company"}, format="json"
    )
    assert response.status_code == 200 and Customer.objects.get(pk=pool.owned.pk).owner is None


def test_api_list_claim_return_and_bad_input(pool, api, django_assert_max_num_queries):
    client = api(pool.rep_a)
    with django_assert_max_num_queries(8):
        listing = client.get("/api/v1/pool/").json()
    assert sorted(r["display_name"] for r in listing["results"]) == ["Pool Alpha", "Pool Nobody"]
    assert "contact_points" not in listing["results"][0]
    assert client.get("/api/v1/pool/", {"q": "nobody"}).json()["results"][0]["id"] == (
        pool.nobody.pk
    )
    assert client.post("/api/v1/pool/abc/claim/").status_code == 404
    assert (
        client.post(f"/api/v1/pool/{pool.in_a.pk}/claim/", {"x": 1}, format="json").status_code
        == 400
    )
    claimed = client.post(f"/api/v1/pool/{pool.in_a.pk}/claim/")
    assert claimed.status_code == 200 and claimed.json()["id"] == pool.in_a.pk
    assert client.post(f"/api/v1/pool/{pool.in_a.pk}/claim/").status_code == 404  # not in pool
    url = f"/api/v1/pool/{pool.in_a.pk}/return/"
    for body in ({}, {"reason": ""}, {"reason": "ok", "version": "x"}, {"reason": "ok", "y": 1}):
        response = client.post(url, body, format="json")
        assert response.status_code == 400, body
    assert client.post(url, {"reason": "ok", "version": 99}, format="json").status_code == 409
    assert client.post(url, {"reason": "Wrong region"}, format="json").status_code == 200
    history = client.get(f"/api/v1/pool/{pool.in_a.pk}/history/").json()["results"]
    assert [e["kind"] for e in history] == ["return", "claim"]
    assert history[0]["reason"] == "Wrong region"
    assert api(pool.rep_b).get(f"/api/v1/pool/{pool.in_a.pk}/history/").status_code == 404
    assert api().get("/api/v1/pool/").status_code in (401, 403)
    assert client.delete(f"/api/v1/pool/{pool.in_b.pk}/").status_code == 405


def test_neglected_customers_return_automatically_after_a_warning(pool, settings):
    settings.POOL_RETURN_DAYS = 30
    settings.POOL_RETURN_WARNING_DAYS = 3
    now = timezone.now()
    Customer.objects.filter(pk=pool.owned.pk).update(created_at=now - dt.timedelta(days=200))
    # 28 days without a follow-up: warned (task for the owner), not yet returned
    Interaction.objects.create(
        customer=pool.owned,
        channel="phone",
        subject="call",
        user=pool.rep_a,
        occurred_at=now - dt.timedelta(days=28),
    )
    # an automatic greeting (no author) does not count as a follow-up
    Interaction.objects.create(
        customer=pool.owned, channel="email", subject="Happy birthday", occurred_at=now
    )
    assert services.return_neglected(now=now) == {"returned": 0, "warned": 1}
    task = Task.objects.get(customer=pool.owned)
    assert task.assignee == pool.rep_a and task.priority == "high"
    assert services.return_neglected(now=now) == {"returned": 0, "warned": 0}  # once
    # three days later, still nothing: back to the pool of team A
    later = now + dt.timedelta(days=3)
    assert services.return_neglected(now=later) == {"returned": 1, "warned": 0}
    customer = Customer.objects.get(pk=pool.owned.pk)
    assert customer.owner is None
    assert PoolEvent.objects.filter(customer=customer, kind="auto_return").count() == 1
    assert services.return_neglected(now=later)["returned"] == 0


def test_recent_follow_up_or_claim_keeps_the_customer(pool, settings):
    settings.POOL_RETURN_DAYS = 30
    now = timezone.now()
    Customer.objects.update(created_at=now - dt.timedelta(days=200))
    services.claim(actor=pool.rep_b, customer=Customer.objects.get(pk=pool.in_b.pk))
    assert services.return_neglected(now=now)["returned"] == 1  # only rep A's old customer
    assert Customer.objects.get(pk=pool.in_b.pk).owner == pool.rep_b
    settings.POOL_RETURN_DAYS = 0
    assert services.return_neglected(now=now + dt.timedelta(days=999)) == {
        "returned": 0,
        "warned": 0,
    }


def test_360_page_return_button_only_for_who_may_return(pool, client):
    url = reverse("customers:detail", args=[pool.owned.pk])
    button = reverse("pool:return", args=[pool.owned.pk])
    client.force_login(pool.rep_a)
    body = client.get(url).content.decode()
    assert 'id="pool-history"' in body and button in body
    client.force_login(pool.analyst)
    body = client.get(url).content.decode()
    assert 'id="pool-history"' in body and button not in body
