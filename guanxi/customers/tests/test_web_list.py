"""The customer list: a user sees, searches, filters and changes only the customers in their
scope; contact details are masked for roles that may not see them; a page costs the same
whatever its length; bad filters give a message, not a 500."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from guanxi.customers import services
from guanxi.customers.models import Customer, CustomerShare, CustomFieldDefinition

pytestmark = pytest.mark.django_db
LIST = "/customers/"


def make(user, name, **data) -> Customer:
    return services.create_customer(actor=user, data={"display_name": name, **data})


@pytest.fixture
def world(two_teams):
    w = two_teams
    w.a1 = make(w.rep_a, "甲方科技", contact_points=[{"kind": "mobile", "value": "13812345678"}])
    w.b1 = make(w.rep_b, "乙方贸易", contact_points=[{"kind": "mobile", "value": "13987654321"}])
    return w


def page(client, user, **params):
    client.force_login(user)
    response = client.get(LIST, params)
    assert response.status_code == 200
    return response


def test_rep_sees_own_customer_never_another_teams(world, client):
    body = page(client, world.rep_a).content.decode()
    assert "甲方科技" in body
    assert "乙方贸易" not in body


def test_search_and_filters_never_reach_outside_the_scope(world, client):
    for params in (
        {"q": "乙方"},
        {"q": "13987654321"},
        {"q": "139 8765 4321"},
        {"owner": world.rep_b.pk},
        {"team": world.team_b.pk},
        {"grade": "normal"},
    ):
        assert "乙方贸易" not in page(client, world.rep_a, **params).content.decode(), params


def test_search_finds_by_phone_in_any_format_and_by_name(world, client):
    assert "甲方科技" in page(client, world.rep_a, q="+86 138-1234-5678").content.decode()
    assert "甲方科技" in page(client, world.rep_a, q="甲方").content.decode()
    assert "甲方科技" not in page(client, world.rep_a, q="不存在的").content.decode()


def test_filters_narrow_the_list(world, client):
    make(world.rep_a, "VIP客户", grade="vip", region="上海", tags=["重点"])
    body = page(client, world.rep_a, grade="vip").content.decode()
    assert "VIP客户" in body and "甲方科技" not in body
    assert "甲方科技" not in page(client, world.rep_a, region="上海").content.decode()
    body = page(client, world.rep_a, tag="重点").content.decode()
    assert "VIP客户" in body and "甲方科技" not in body


def test_custom_field_filters(world, client):
    CustomFieldDefinition.objects.create(
        key="vip_card", label="会员卡", field_type="boolean", applies_to="all"
    )
    CustomFieldDefinition.objects.create(
        key="level", label="等级", field_type="choice", choices=["金", "银"], applies_to="all"
    )
    make(world.rep_a, "金卡客户", custom_fields={"vip_card": True, "level": "金"})
    assert "金卡客户" in page(client, world.rep_a, cf_vip_card="yes").content.decode()
    body = page(client, world.rep_a, cf_vip_card="yes").content.decode()
    assert "甲方科技" not in body
    assert "金卡客户" in page(client, world.rep_a, cf_level="金").content.decode()
    assert "金卡客户" not in page(client, world.rep_a, cf_level="银").content.decode()


def test_contact_details_masked_for_roles_that_may_not_see_them(world, client):
    full = page(client, world.admin).content.decode()
    assert "13812345678" in full
    masked = page(client, world.analyst).content.decode()
    assert "13812345678" not in masked
    assert "138****5678" in masked


@pytest.mark.parametrize(
    "params",
    [
        {"grade": "emperor"},
        {"owner": "abc"},
        {"owner": "999999"},
        {"sort": "password"},
        {"per_page": "1000000"},
        {"cursor": "garbage!!"},
        {"q": "x" * 500},
        {"cf_nothing": "1", "tag": "no-such-tag"},
    ],
)
def test_bad_filter_values_give_a_message_not_a_500(world, client, params):
    response = page(client, world.rep_a, **params)
    assert 'class="alert alert-warning"' in response.content.decode() or params.get("cf_nothing")


def test_page_costs_the_same_with_two_or_twelve_rows(two_teams, client):
    rep = two_teams.rep_a
    client.force_login(rep)
    cols = ["display_name", "phone", "email", "tags", "owner", "team", "grade"]

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(LIST, {"cols": cols}).status_code == 200
        return len(ctx.captured_queries)

    for i in range(2):
        make(
            rep,
            f"客户{i}",
            tags=["a", "b"],
            contact_points=[{"kind": "email", "value": f"c{i}@x.cn"}],
        )
    few = queries()
    for i in range(2, 12):
        make(
            rep,
            f"客户{i}",
            tags=["a", "b"],
            contact_points=[{"kind": "email", "value": f"c{i}@x.cn"}],
        )
    assert queries() == few


def test_pages_walk_every_customer_once_with_ties(two_teams, client):
    rep = two_teams.rep_a
    for _ in range(7):
        make(rep, "同名客户")  # every name the same: the id breaks the tie
    client.force_login(rep)
    response = client.get(LIST, {"sort": "display_name"})
    seen = [r["customer"].pk for r in response.context["rows"]]
    # Ties broken by id; walking many small pages is covered by core/tests/test_keyset.py.
    assert seen == sorted(Customer.objects.values_list("pk", flat=True))


def test_htmx_request_gets_only_the_results(world, client):
    client.force_login(world.rep_a)
    response = client.get(
        LIST, {"q": "甲方"}, headers={"HX-Request": "true", "HX-Target": "customer-results"}
    )
    body = response.content.decode()
    assert "甲方科技" in body
    assert "<html" not in body
    assert "HX-Request" in response["Vary"]


def test_rows_link_to_the_detail_page(world, client):
    body = page(client, world.rep_a).content.decode()
    assert f'href="{reverse("customers:detail", args=[world.a1.pk])}"' in body


def test_bulk_assign_and_tag_on_own_customers(world, client):
    client.force_login(world.manager_a)
    response = client.post(
        reverse("customers:bulk"),
        {"ids": [world.a1.pk], "action": "add_tag", "tag": "重点", "next": LIST},
    )
    assert response.status_code == 302
    assert list(world.a1.tags.values_list("name", flat=True)) == ["重点"]
    client.post(
        reverse("customers:bulk"),
        {"ids": [world.a1.pk], "action": "assign_owner", "owner": world.manager_a.pk},
    )
    world.a1.refresh_from_db()
    assert world.a1.owner == world.manager_a


def test_bulk_action_refuses_customers_outside_the_scope_as_not_found(world, client):
    client.force_login(world.rep_a)
    response = client.post(
        reverse("customers:bulk"),
        {"ids": [world.a1.pk, world.b1.pk], "action": "delete", "next": LIST},
        follow=True,
    )
    body = response.content.decode()
    world.a1.refresh_from_db()
    world.b1.refresh_from_db()
    assert world.a1.deleted_at is not None
    assert world.b1.deleted_at is None
    assert "乙方贸易" not in body  # refused without revealing the name


def test_bulk_refusal_names_a_hidden_customer_by_number_in_the_users_language(world, client):
    client.force_login(world.rep_a)
    response = client.post(
        reverse("customers:bulk"),
        {"ids": [world.b1.pk], "action": "add_tag", "tag": "重点", "next": LIST},
        follow=True,
        headers={"accept-language": "zh-hans"},
    )
    body = response.content.decode()
    assert f"编号 {world.b1.pk}" in body and "No. " not in body


def test_bulk_tag_longer_than_a_tag_may_be_is_refused_not_cut(world, client):
    client.force_login(world.rep_a)
    response = client.post(
        reverse("customers:bulk"),
        {"ids": [world.a1.pk], "action": "add_tag", "tag": "长" * 60, "next": LIST},
        follow=True,
    )
    assert "alert-danger" in response.content.decode()
    assert not world.a1.tags.exists()


def test_bulk_share_reports_refusals_and_changes_the_rest(world, client):
    # manager_a sees rep_a's customers (team scope) but analyst-like read-only roles may not change
    client.force_login(world.analyst)
    client.post(
        reverse("customers:bulk"),
        {"ids": [world.a1.pk], "action": "share_user", "share_user": world.rep_b.pk},
    )
    assert not CustomerShare.objects.exists()
    client.force_login(world.rep_a)
    client.post(
        reverse("customers:bulk"),
        {"ids": [world.a1.pk], "action": "share_team", "share_team": world.team_b.pk},
    )
    assert CustomerShare.objects.filter(customer=world.a1, team=world.team_b).exists()


def test_bulk_without_selection_or_action_gives_a_message(world, client):
    client.force_login(world.rep_a)
    response = client.post(reverse("customers:bulk"), {"action": "nuke"}, follow=True)
    assert response.status_code == 200
    assert "alert-danger" in response.content.decode()


def test_saved_views_are_private_to_their_user(world, client):
    client.force_login(world.rep_a)
    response = client.post(
        reverse("customers:saved_view_save"),
        {"name": "我的VIP", "query": "grade=vip", "cols": ["display_name", "phone"]},
    )
    assert response.status_code == 302
    assert "grade=vip" in response["Location"] and "cols=phone" in response["Location"]
    assert "我的VIP" in client.get(LIST).content.decode()
    client.force_login(world.rep_b)
    assert "我的VIP" not in client.get(LIST).content.decode()
    from guanxi.accounts.models import SavedView

    view = SavedView.objects.get()
    assert client.post(reverse("customers:saved_view_delete", args=[view.pk])).status_code == 404
    assert SavedView.objects.exists()


def test_column_chooser_shows_the_chosen_columns(world, client):
    body = page(client, world.rep_a, cols=["display_name", "industry"]).content.decode()
    assert "<th" in body
    response = page(client, world.rep_a, cols=["display_name", "nonsense"])
    assert [c["key"] for c in response.context["columns"]] == ["display_name"]


def test_anonymous_is_sent_to_login(client):
    assert client.get(LIST).status_code == 302
