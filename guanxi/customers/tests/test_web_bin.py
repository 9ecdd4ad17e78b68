"""Web recycle bin and change history: a user sees, restores and reads the history of only the
customers in their scope; refusals show the service's message; contact details stay masked."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from guanxi.audit.models import AuditEvent
from guanxi.customers import services
from guanxi.customers.models import Customer

pytestmark = pytest.mark.django_db

CREDIT_CODE = "91110000802100433B"


def make_customer(user, name: str, **data) -> Customer:
    return services.create_customer(actor=user, data={"display_name": name, **data})


def deleted(user, name: str, **data) -> Customer:
    customer = make_customer(user, name, **data)
    return services.delete_customer(actor=user, customer=customer)


@pytest.fixture
def b_deleted(two_teams) -> Customer:
    return deleted(two_teams.rep_b, "乙方已删客户")


def test_bin_lists_own_deleted_customers_with_who_and_days_left(two_teams, client, settings):
    settings.RECYCLE_BIN_DAYS = 30
    customer = deleted(two_teams.rep_a, "甲方已删客户")
    client.force_login(two_teams.rep_a)
    response = client.get(reverse("customers:recycle_bin"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "甲方已删客户" in body
    assert str(two_teams.rep_a) in body
    assert reverse("customers:restore", args=[customer.pk]) in body
    row = response.context["rows"][0]
    assert row.days_left == 30


def test_days_left_counts_down_to_the_purge(two_teams, client, settings):
    settings.RECYCLE_BIN_DAYS = 30
    customer = deleted(two_teams.rep_a, "旧客户")
    Customer.objects.filter(pk=customer.pk).update(
        deleted_at=timezone.now() - dt.timedelta(days=28, hours=1)
    )
    client.force_login(two_teams.rep_a)
    response = client.get(reverse("customers:recycle_bin"))
    assert response.context["rows"][0].days_left == 2


def test_rep_never_sees_another_teams_deleted_customer(two_teams, client, b_deleted):
    client.force_login(two_teams.rep_a)
    body = client.get(reverse("customers:recycle_bin")).content.decode()
    assert "乙方已删客户" not in body
    client.force_login(two_teams.rep_b)
    body = client.get(reverse("customers:recycle_bin")).content.decode()
    assert "乙方已删客户" in body


def test_rep_cannot_restore_another_teams_customer(two_teams, client, b_deleted):
    client.force_login(two_teams.rep_a)
    response = client.post(reverse("customers:restore", args=[b_deleted.pk]))
    assert response.status_code == 404
    b_deleted.refresh_from_db()
    assert b_deleted.deleted_at is not None


def test_restore_brings_the_customer_back(two_teams, client):
    customer = deleted(two_teams.rep_a, "要恢复的客户")
    client.force_login(two_teams.rep_a)
    response = client.post(reverse("customers:restore", args=[customer.pk]), follow=True)
    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.deleted_at is None
    assert "要恢复的客户" in response.content.decode()  # the success message
    assert not response.context["rows"]


def test_restore_is_post_only(two_teams, client):
    customer = deleted(two_teams.rep_a, "客户")
    client.force_login(two_teams.rep_a)
    assert client.get(reverse("customers:restore", args=[customer.pk])).status_code == 405


def test_restore_refused_for_a_credit_code_clash_shows_the_reason(two_teams, client):
    old = deleted(two_teams.rep_a, "旧公司", kind="organisation", credit_code=CREDIT_CODE)
    make_customer(two_teams.rep_a, "新公司", kind="organisation", credit_code=CREDIT_CODE)
    client.force_login(two_teams.rep_a)
    response = client.post(reverse("customers:restore", args=[old.pk]), follow=True)
    assert response.status_code == 200
    old.refresh_from_db()
    assert old.deleted_at is not None
    messages = [str(m) for m in response.context["messages"]]
    assert any("统一社会信用代码" in m or "credit code" in m for m in messages), messages


def test_role_without_delete_sees_no_restore_button_and_is_refused(two_teams, client, b_deleted):
    client.force_login(two_teams.analyst)  # sees all, may not delete
    response = client.get(reverse("customers:recycle_bin"))
    assert "乙方已删客户" in response.content.decode()
    assert reverse("customers:restore", args=[b_deleted.pk]) not in response.content.decode()
    response = client.post(reverse("customers:restore", args=[b_deleted.pk]), follow=True)
    b_deleted.refresh_from_db()
    assert b_deleted.deleted_at is not None
    assert list(response.context["messages"])


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("customers:recycle_bin"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_bin_queries_do_not_grow_with_its_length(two_teams, client):
    client.force_login(two_teams.head_manager)
    for i in range(2):
        deleted(two_teams.rep_a, f"客户{i}")
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("customers:recycle_bin"))
    for i in range(2, 12):
        deleted(two_teams.rep_b if i % 2 else two_teams.rep_a, f"客户{i}")
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("customers:recycle_bin"))
    assert len(response.context["rows"]) == 12
    assert len(many.captured_queries) == len(few.captured_queries)


def test_bin_pages_through_many_deleted_customers(two_teams, client, monkeypatch):
    from guanxi.customers.views import bin as bin_views

    monkeypatch.setattr(bin_views, "BIN_PAGE_SIZE", 2)
    for i in range(5):
        deleted(two_teams.rep_a, f"分页{i}")
    client.force_login(two_teams.rep_a)
    base = reverse("customers:recycle_bin")
    url, names = base, []
    while url:
        response = client.get(url)
        names += [r.customer.display_name for r in response.context["rows"]]
        url = base + response.context["next_url"] if response.context["next_url"] else None
    assert sorted(names) == [f"分页{i}" for i in range(5)]


# --- history ------------------------------------------------------------------------------


def test_history_shows_changes_newest_first_with_actor_and_source(two_teams, client):
    customer = make_customer(two_teams.rep_a, "历史客户")
    services.update_customer(
        actor=two_teams.rep_a,
        customer=customer,
        data={"display_name": "改名客户"},
        version=customer.version,
    )
    client.force_login(two_teams.rep_a)
    response = client.get(reverse("customers:history", args=[customer.pk]))
    assert response.status_code == 200
    rows = response.context["rows"]
    assert [r.event.action for r in rows] == ["update", "create"]
    body = response.content.decode()
    assert "历史客户" in body and "改名客户" in body
    assert str(two_teams.rep_a) in body


def test_history_time_is_shown_in_the_users_time_zone(two_teams, client):
    customer = make_customer(two_teams.rep_a, "时区客户")
    at = AuditEvent.objects.filter(customer_id=customer.pk).latest("id").at
    two_teams.rep_a.time_zone = "America/New_York"
    two_teams.rep_a.save(update_fields=["time_zone"])
    client.force_login(two_teams.rep_a)
    body = client.get(reverse("customers:history", args=[customer.pk])).content.decode()
    local = timezone.localtime(at, timezone=zoneinfo.ZoneInfo("America/New_York"))
    assert local.strftime("%Y-%m-%d %H:%M:%S") in body


def test_rep_cannot_read_another_teams_history(two_teams, client, b_deleted):
    live_b = make_customer(two_teams.rep_b, "乙方客户")
    client.force_login(two_teams.rep_a)
    assert client.get(reverse("customers:history", args=[b_deleted.pk])).status_code == 404
    assert client.get(reverse("customers:history", args=[live_b.pk])).status_code == 404
    client.force_login(two_teams.rep_b)
    assert client.get(reverse("customers:history", args=[b_deleted.pk])).status_code == 200


def test_history_of_a_deleted_customer_is_readable_from_the_bin(two_teams, client):
    customer = deleted(two_teams.rep_a, "已删客户")
    client.force_login(two_teams.rep_a)
    response = client.get(reverse("customers:history", args=[customer.pk]))
    assert response.status_code == 200
    assert [r.event.action for r in response.context["rows"]] == ["delete", "create"]


def test_history_masks_contact_details_for_the_analyst(two_teams, client):
    customer = make_customer(
        two_teams.rep_a,
        "隐私客户",
        contact_points=[{"kind": "mobile", "value": "13812345678"}],
        addresses=[{"province": "浙江", "city": "杭州", "street": "文三路90号"}],
    )
    client.force_login(two_teams.analyst)
    body = client.get(reverse("customers:history", args=[customer.pk])).content.decode()
    assert "13812345678" not in body and "文三路90号" not in body
    assert "138****5678" in body
    client.force_login(two_teams.rep_a)
    body = client.get(reverse("customers:history", args=[customer.pk])).content.decode()
    assert "13812345678" in body


def test_history_pages_through_older_events(two_teams, client, monkeypatch):
    from guanxi.customers.views import bin as bin_views

    monkeypatch.setattr(bin_views, "HISTORY_PAGE_SIZE", 2)
    customer = make_customer(two_teams.rep_a, "多次修改")
    for i in range(3):
        customer = services.update_customer(
            actor=two_teams.rep_a,
            customer=customer,
            data={"notes": f"第{i}次"},
            version=customer.version,
        )
    client.force_login(two_teams.rep_a)
    url = reverse("customers:history", args=[customer.pk])
    first = client.get(url)
    assert len(first.context["rows"]) == 2 and first.context["next_url"]
    second = client.get(url + first.context["next_url"])
    ids = [r.event.pk for r in first.context["rows"] + second.context["rows"]]
    assert len(ids) == len(set(ids)) == 4


def test_history_queries_do_not_grow_with_its_length(two_teams, client):
    customer = make_customer(two_teams.rep_a, "查询次数")
    client.force_login(two_teams.rep_a)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("customers:history", args=[customer.pk]))
    for i in range(10):
        customer = services.update_customer(
            actor=two_teams.rep_a if i % 2 else two_teams.admin,
            customer=customer,
            data={"notes": f"n{i}"},
            version=customer.version,
        )
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("customers:history", args=[customer.pk]))
    assert len(response.context["rows"]) == 11
    assert len(many.captured_queries) == len(few.captured_queries)
