from decimal import Decimal

import pytest
from django.urls import reverse

from guanxi.pipeline import services
from guanxi.pipeline.models import Opportunity, Outcome

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}


def test_board_shows_only_visible_cards_with_counts(world, client):
    client.force_login(world.rep_a)
    response = client.get(reverse("pipeline:board"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Deal A" in html and "Deal B" not in html
    column = response.context["columns"][0]
    assert column.count == 1 and column.weighted == {"CNY": world.opp_a.weighted_amount}


def test_board_filters_and_bad_filters(world, client):
    client.force_login(world.admin)
    response = client.get(reverse("pipeline:board"), {"owner": world.rep_b.pk})
    assert [c.name for c in response.context["columns"][0].cards] == ["Deal B"]
    response = client.get(reverse("pipeline:board"), {"team": world.team_a.pk})
    assert [c.name for c in response.context["columns"][0].cards] == ["Deal A"]
    response = client.get(
        reverse("pipeline:board"), {"close_from": "not-a-date", "pipeline": "x" * 40}
    )
    assert response.status_code == 200


def test_board_columns_are_capped_with_more(world, client, django_assert_max_num_queries):
    from guanxi.pipeline.selectors import COLUMN_SIZE

    for i in range(COLUMN_SIZE + 5):
        services.create_opportunity(
            actor=world.rep_a,
            data={"name": f"Bulk {i}", "customer": world.cust_a, "pipeline": world.pipeline},
        )
    client.force_login(world.rep_a)
    with django_assert_max_num_queries(20):
        response = client.get(reverse("pipeline:board"))
    column = response.context["columns"][0]
    assert (
        column.count == COLUMN_SIZE + 6 and len(column.cards) == COLUMN_SIZE and column.next_cursor
    )
    more = client.get(
        reverse("pipeline:board_column", args=[world.stages[0].pk]), {"cursor": column.next_cursor}
    )
    assert more.status_code == 200 and len(more.context["cards"]) == 6
    bad = client.get(
        reverse("pipeline:board_column", args=[world.stages[0].pk]), {"cursor": "garbage"}
    )
    assert bad.status_code == 400


def test_drag_endpoint_moves_and_refuses_stale_version(world, client):
    client.force_login(world.rep_a)
    url = reverse("pipeline:opportunity_move", args=[world.opp_a.pk])
    response = client.post(url, {"stage": world.stages[1].pk, "version": 1}, **JSON)
    assert response.status_code == 200 and response.json()["version"] == 2
    response = client.post(url, {"stage": world.stages[2].pk, "version": 1}, **JSON)
    assert response.status_code == 409
    body = response.json()
    assert body["stage_id"] == world.stages[1].pk and body["version"] == 2 and body["message"]
    response = client.post(url, {"stage": world.lost.pk, "version": 2}, **JSON)
    assert (
        response.status_code == 400
        and Opportunity.objects.get(pk=world.opp_a.pk).status == Outcome.OPEN
    )
    response = client.post(url, {"stage": "abc", "version": 2}, **JSON)
    assert response.status_code == 400
    response = client.post(url, {"stage": world.stages[2].pk, "version": "x"}, **JSON)
    assert response.status_code == 400


def test_drag_endpoint_two_users(world, client):
    client.force_login(world.rep_b)
    url = reverse("pipeline:opportunity_move", args=[world.opp_a.pk])
    assert client.post(url, {"stage": world.stages[1].pk, "version": 1}, **JSON).status_code == 404
    client.force_login(world.analyst)
    assert client.post(url, {"stage": world.stages[1].pk, "version": 1}, **JSON).status_code == 403


def test_stage_select_form_redirects_with_message(world, client):
    client.force_login(world.rep_a)
    url = reverse("pipeline:opportunity_move", args=[world.opp_a.pk])
    response = client.post(url, {"stage": world.stages[3].pk, "version": 1})
    assert response.status_code == 302
    assert Opportunity.objects.get(pk=world.opp_a.pk).stage == world.stages[3]


def test_detail_pages_two_users(world, client):
    client.force_login(world.rep_a)
    assert (
        client.get(reverse("pipeline:opportunity_detail", args=[world.opp_a.pk])).status_code == 200
    )
    for name in ("opportunity_detail", "opportunity_edit", "opportunity_lose"):
        assert client.get(reverse(f"pipeline:{name}", args=[world.opp_b.pk])).status_code == 404
    assert (
        client.post(
            reverse("pipeline:opportunity_win", args=[world.opp_b.pk]), {"version": 1}
        ).status_code
        == 404
    )
    assert (
        client.post(reverse("pipeline:opportunity_order", args=[world.opp_b.pk])).status_code == 404
    )


def test_lose_page_requires_reason(world, client):
    client.force_login(world.rep_a)
    url = reverse("pipeline:opportunity_lose", args=[world.opp_a.pk])
    response = client.post(url, {"version": 1, "lost_note": "x"})
    assert response.status_code == 400 and "lost_reason" in response.context["form"].errors
    response = client.post(url, {"version": 1, "lost_reason": world.reason.pk})
    assert response.status_code == 302
    assert Opportunity.objects.get(pk=world.opp_a.pk).status == Outcome.LOST


def test_win_then_order_via_pages(world, client):
    client.force_login(world.rep_a)
    client.post(reverse("pipeline:opportunity_win", args=[world.opp_a.pk]), {"version": 1})
    response = client.post(reverse("pipeline:opportunity_order", args=[world.opp_a.pk]))
    assert response.status_code == 302 and "/sales/orders/" in response["Location"]
    response = client.post(
        reverse("pipeline:opportunity_order", args=[world.opp_a.pk]), follow=True
    )
    assert "already has its order" in response.content.decode() or "已" in response.content.decode()


def test_create_form_errors_and_success(world, client):
    client.force_login(world.rep_a)
    url = reverse("pipeline:opportunity_create")
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "name": "",
            "customer": world.cust_b.pk,
            "pipeline": world.pipeline.pk,
            "amount": "x",
            "owner": world.rep_a.pk,
        },
    )
    assert response.status_code in (200, 400)
    errors = response.context["form"].errors
    assert "name" in errors and "customer" in errors and "amount" in errors
    response = client.post(
        url,
        {
            "name": "Web deal",
            "customer": world.cust_a.pk,
            "pipeline": world.pipeline.pk,
            "amount": "12.5",
            "owner": world.rep_a.pk,
        },
    )
    assert response.status_code == 302
    assert Opportunity.objects.filter(name="Web deal", amount="12.50").exists()


def test_an_amount_written_with_thousands_separators_or_full_width_digits_is_read(world, client):
    client.force_login(world.rep_a)
    url = reverse("pipeline:opportunity_create")
    for name, amount in (("Big deal", "1,000,000.50"), ("Wide deal", "１２,５００")):
        data = {
            "name": name,
            "customer": world.cust_a.pk,
            "pipeline": world.pipeline.pk,
            "amount": amount,
            "owner": world.rep_a.pk,
        }
        assert client.post(url, data).status_code == 302, name
    assert Opportunity.objects.get(name="Big deal").amount == Decimal("1000000.50")
    assert Opportunity.objects.get(name="Wide deal").amount == Decimal("12500")


def test_settings_admin_only(world, client):
    client.force_login(world.rep_a)
    assert client.get(reverse("pipeline:settings")).status_code == 403
    assert client.get(reverse("pipeline:settings_pipeline_create")).status_code == 403
    client.force_login(world.admin)
    assert client.get(reverse("pipeline:settings")).status_code == 200
    response = client.post(
        reverse("pipeline:settings_pipeline_create"),
        {"name": "Key accounts", "currency": "CNY", "position": 1, "active": "on"},
    )
    assert response.status_code == 302
    response = client.post(
        reverse("pipeline:settings_stage_delete", args=[world.won.pk]), follow=True
    )
    assert world.pipeline.stages.filter(pk=world.won.pk).exists()


def test_anonymous_is_sent_to_login(client):
    assert client.get(reverse("pipeline:board")).status_code == 302


def test_customer_page_lists_open_opportunities(world, client):
    client.force_login(world.rep_a)
    response = client.get(reverse("customers:detail", args=[world.cust_a.pk]))
    assert response.status_code == 200 and "Deal A" in response.content.decode()
    assert [o.pk for o in response.context["open_opportunities"]] == [world.opp_a.pk]


def test_board_column_shows_only_visible_cards(world, client):
    client.force_login(world.rep_b)
    response = client.get(reverse("pipeline:board_column", args=[world.stages[0].pk]))
    assert [c.name for c in response.context["cards"]] == ["Deal B"]
    client.force_login(world.rep_a)
    response = client.get(reverse("pipeline:board_column", args=[world.stages[0].pk]))
    assert [c.name for c in response.context["cards"]] == ["Deal A"]
    assert client.get(reverse("pipeline:board_column", args=[999999])).status_code == 404


def test_board_filters_offer_any_owner_and_team_in_the_users_language(world, client):
    client.force_login(world.admin)
    html = client.get(reverse("pipeline:board"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "不限" in html and "---------" not in html


@pytest.mark.parametrize("pipeline", ["²", "³" * 5])
def test_a_board_asked_for_a_pipeline_in_superscript_digits_shows_the_first(
    world, client, pipeline
):
    """ "²" passed str.isdigit() and then failed int(): a 500."""
    client.force_login(world.admin)
    assert client.get(reverse("pipeline:board"), {"pipeline": pipeline}).status_code == 200


def test_board_close_date_range_reads_from_to_in_chinese_not_lifecycle_stages(world, client):
    """The "to" of the close-date filter is 至; the lifecycle history's "to" (新阶段, the stage
    a customer moved to) lives in its own context and must not leak into other forms."""
    client.force_login(world.rep_a)
    response = client.get(reverse("pipeline:board"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert str(response.context["form"]["close_to"].label) == "至"
    assert "新阶段" not in response.content.decode()


def test_open_opportunity_reads_in_progress_in_chinese_not_to_do(world, client):
    """An open opportunity is 进行中; 待办 is an open task's status."""
    client.force_login(world.rep_a)
    url = reverse("pipeline:opportunity_detail", args=[world.opp_a.pk])
    html = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "进行中" in html and "待办" not in html


def test_stale_stage_select_on_the_detail_page_does_not_talk_of_a_card_on_the_board(world, client):
    """The board's drag is told its card snapped back; the detail page's stage select has no
    card and no board, so it gets the usual conflict message."""
    client.force_login(world.rep_a)
    url = reverse("pipeline:opportunity_move", args=[world.opp_a.pk])
    client.post(url, {"stage": world.stages[1].pk, "version": 1})
    response = client.post(
        url,
        {"stage": world.stages[2].pk, "version": 1},
        follow=True,
        HTTP_REFERER=reverse("pipeline:opportunity_detail", args=[world.opp_a.pk]),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    body = response.content.decode()
    assert "changed by someone else" in body
    assert "Reload the board" not in body and "back where it was" not in body
    assert Opportunity.objects.get(pk=world.opp_a.pk).stage == world.stages[1]
