import pytest

from guanxi.analytics import services

from .conftest import NOW

pytestmark = pytest.mark.django_db


def login(client, user):
    client.force_login(user)
    return client


def test_warning_list_shows_only_the_users_customers_with_reasons(shop, client):
    services.recompute_all(now=NOW)
    page = login(client, shop.rep_a).get("/analytics/warnings/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Bravo" in text and "Delta" not in text and "天未购买" in text
    client.logout()
    text = login(client, shop.rep_b).get("/analytics/warnings/").content.decode()
    assert "Delta" in text and "Bravo" not in text


def test_the_warning_list_puts_the_customers_who_spent_most_first(shop, client):
    """It listed the warned customers by number (the order they were entered in): among
    hundreds, an owner could not see which slipping customers carry the business."""
    from guanxi.customers.models import Customer

    services.recompute_all(now=NOW)
    warned = list(services_warned(shop))
    assert len(warned) >= 2
    for rank, customer in enumerate(sorted(warned, key=lambda c: c.pk)):
        Customer.objects.filter(pk=customer.pk).update(total_spent=1000 * (rank + 1))
    page = login(client, shop.admin).get("/analytics/warnings/", HTTP_ACCEPT_LANGUAGE="en")
    text = page.content.decode()
    positions = [text.index(c.display_name) for c in sorted(warned, key=lambda c: -c.pk)]
    assert positions == sorted(positions)
    assert "1,000.00" in text  # the amount the order follows is on the page


def services_warned(shop):
    from guanxi.analytics.models import CustomerScore

    ids = CustomerScore.objects.filter(warning=True).values_list("customer_id", flat=True)
    return [c for c in shop.customers.values() if c.pk in set(ids)]


def test_warning_list_query_count(shop, client, django_assert_max_num_queries):
    services.recompute_all(now=NOW)
    login(client, shop.admin).get("/analytics/warnings/")
    with django_assert_max_num_queries(15):
        assert client.get("/analytics/warnings/").status_code == 200


def test_settings_page_is_for_administrators_and_validates(shop, client):
    assert login(client, shop.head_manager).get("/analytics/settings/").status_code == 403
    client.logout()
    login(client, shop.admin)
    assert client.get("/analytics/settings/").status_code == 200
    row = services.get_settings()
    data = {f: getattr(row, f) for f in services.SETTINGS_FIELDS}
    data.update(version=row.version, tier_high_share=0.9, tier_mid_share=0.5, create_tasks="on")
    response = client.post("/analytics/settings/", data)
    assert response.status_code == 400
    assert "高、中价值层占比之和不能超过 1" in response.content.decode()
    data.update(tier_high_share=0.1, tier_mid_share=0.2)
    assert client.post("/analytics/settings/", data).status_code == 302
    assert services.get_settings().tier_high_share == 0.1


def test_a_fit_without_enough_purchases_is_not_shown_as_empty_parameters(shop, client):
    """With no purchases yet the recompute stores a fit with no parameters, and the settings
    page showed "Fitted … over 0 customers" and rows of lone commas."""
    from django.utils import timezone

    from guanxi.analytics.models import ModelFit

    ModelFit.objects.create(fitted_at=timezone.now(), as_of=timezone.now(), customers=0)
    page = login(client, shop.admin).get("/analytics/settings/", HTTP_ACCEPT_LANGUAGE="en")
    text = page.content.decode()
    assert "Not enough purchases to fit the models yet." in text
    assert "None" not in text and ">, <" not in text and "BG/NBD r" not in text


def test_value_card_and_suggested_grade(shop, client):
    services.recompute_all(now=NOW)
    alpha = shop.customers["Alpha"]
    alpha.refresh_from_db()
    page = login(client, shop.rep_a).get(f"/customers/{alpha.pk}/")
    assert page.status_code == 200
    assert 'id="value-card"' in page.content.decode()
    response = client.post(
        f"/analytics/customers/{alpha.pk}/apply-grade/", {"version": alpha.version}
    )
    assert response.status_code == 302
    alpha.refresh_from_db()
    from guanxi.analytics.scoring import GRADE_FOR_TIER

    assert alpha.grade == GRADE_FOR_TIER[alpha.value_tier]
    # Another rep cannot apply it (the customer is not theirs: 404).
    client.logout()
    delta = shop.customers["Delta"]
    assert (
        login(client, shop.rep_a)
        .post(f"/analytics/customers/{delta.pk}/apply-grade/", {"version": 1})
        .status_code
        == 404
    )


def test_the_suggested_grade_button_only_for_who_may_change_the_customer(shop, client, make_user):
    """A read-only role over the team saw the Apply button, and got a 403 page for pressing it."""
    services.recompute_all(now=NOW)
    alpha = shop.customers["Alpha"]
    alpha.refresh_from_db()
    reader = make_user("reader", "read-only", shop.team_a)
    page = login(client, reader).get(f"/customers/{alpha.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    page = page.content.decode()
    assert 'id="value-card"' in page and "Suggested grade" in page
    assert "apply-grade" not in page
    client.logout()
    page = login(client, shop.manager_a).get(f"/customers/{alpha.pk}/").content.decode()
    assert "apply-grade" in page


def test_cost_totals_can_be_rebuilt_from_the_settings_page(
    shop, client, django_capture_on_commit_callbacks
):
    """The page had no way to start the cost rebuild that product cost changes need (nor had
    the API): profits stayed computed with the old costs."""
    from decimal import Decimal

    from guanxi.analytics.models import CustomerScore
    from guanxi.jobs.models import Job

    services.recompute_all(now=NOW)
    CustomerScore.objects.update(cost_total=0)
    url = "/analytics/rebuild-costs/"
    assert login(client, shop.head_manager).post(url).status_code == 403
    client.logout()
    page = login(client, shop.admin).get("/analytics/settings/").content.decode()
    assert f'action="{url}"' in page
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url).status_code == 302
    job = Job.objects.get(kind="analytics.rebuild_costs")
    assert job.status == "succeeded" and job.created_by == shop.admin
    alpha = CustomerScore.objects.get(customer=shop.customers["Alpha"])
    assert alpha.cost_total > Decimal(0)
    assert client.get(url).status_code == 405


def test_a_second_recompute_or_cost_rebuild_is_a_message_while_one_is_under_way(shop, client):
    """The first click queued the job; the second (or a colleague's) explains instead of
    queuing the same work again, and a finished job lets the next one start."""
    from django.urls import reverse

    from guanxi.jobs.models import Job, JobStatus

    login(client, shop.admin)
    for name, kind in (
        ("analytics:recompute", "analytics.recompute"),
        ("analytics:rebuild_costs", "analytics.rebuild_costs"),
    ):
        assert client.post(reverse(name)).status_code == 302
        page = client.post(reverse(name), follow=True, HTTP_ACCEPT_LANGUAGE="en")
        assert page.status_code == 200
        assert "already under way" in page.content.decode()
        assert "less than a minute ago" in page.content.decode()  # not "0 minutes ago"
        assert Job.objects.filter(kind=kind).count() == 1
        Job.objects.filter(kind=kind).update(status=JobStatus.SUCCEEDED)
        assert client.post(reverse(name)).status_code == 302
        assert Job.objects.filter(kind=kind).count() == 2


def test_money_on_the_value_card_and_the_warning_list_reads_as_money(shop, client):
    """Lifetime value, profit and referral value were raw decimals (12345.6, 4667.670)."""
    from decimal import Decimal

    from guanxi.analytics.models import CustomerScore

    services.recompute_all(now=NOW)
    bravo = shop.customers["Bravo"]
    CustomerScore.objects.filter(customer=bravo).update(
        clv=Decimal("12345.6"), profit=Decimal("1000"), warning=True
    )
    page = login(client, shop.rep_a).get(f"/customers/{bravo.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    text = page.content.decode()
    assert "12,345.60" in text and "1,000.00" in text
    text = client.get("/analytics/warnings/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "12,345.60" in text


def test_a_backtest_from_the_settings_page_shows_its_holdout_and_changes_no_scores(
    shop, client, django_capture_on_commit_callbacks
):
    import datetime as dt

    from guanxi.analytics.models import CustomerScore, ModelFit

    services.recompute_all(now=NOW)
    before = list(CustomerScore.objects.order_by("customer_id").values_list("recency_days", "clv"))
    url = "/analytics/backtest/"
    day = (NOW - dt.timedelta(days=100)).date().isoformat()
    assert login(client, shop.head_manager).post(url, {"as_of": day}).status_code == 403
    client.logout()
    admin = login(client, shop.admin)
    admin.cookies["django_language"] = "en"
    bad = admin.post(url, {"as_of": "2026-02-30"}, follow=True).content.decode()
    assert "Enter a valid date" in bad
    with django_capture_on_commit_callbacks(execute=True):
        assert admin.post(url, {"as_of": day}).status_code == 302
    fit = ModelFit.objects.get(backtest=True)
    assert fit.holdout["actual"] == 2 and fit.holdout["customers"] == 3
    after = list(CustomerScore.objects.order_by("customer_id").values_list("recency_days", "clv"))
    assert after == before
    page = admin.get("/analytics/settings/").content.decode()
    assert "purchases predicted, 2 made." in page
    assert "Changes no customer" in page
