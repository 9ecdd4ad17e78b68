import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from guanxi.care.models import CarePlan, CareProfile, Greeting, GreetingTemplate
from guanxi.customers.models import Customer

pytestmark = pytest.mark.django_db
EN = {"accept-language": "en"}


def test_care_pages_are_for_administrators(world, client):
    plan = CarePlan.objects.first()
    urls = [
        reverse("care:plan_list"),
        reverse("care:plan_create"),
        reverse("care:plan_edit", args=[plan.pk]),
        reverse("care:template_edit", args=["birthday"]),
    ]
    for user in (world.rep_a, world.manager_a, world.analyst):
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == 403, (user, url)
        assert client.post(reverse("care:plan_delete", args=[plan.pk])).status_code == 403
    client.logout()
    assert client.get(urls[0]).status_code == 302  # to the login page
    client.force_login(world.admin)
    for url in urls:
        assert client.get(url).status_code == 200
    assert client.get(reverse("care:template_edit", args=["nope"])).status_code == 404
    assert client.get(reverse("care:plan_edit", args=[99999])).status_code == 404


def test_plan_list_shows_plans_templates_and_greetings(
    world, client, django_assert_max_num_queries
):
    Greeting.objects.create(
        customer=world.cust_a,
        occasion="birthday",
        year=2026,
        occasion_date=dt.date(2026, 6, 1),
        channel="email",
        status="sent",
    )
    client.force_login(world.admin)
    with django_assert_max_num_queries(10):
        body = client.get(reverse("care:plan_list"), headers=EN).content.decode()
    assert "VIP care" in body and "Mid-Autumn Festival" in body and "Alpha Zhang" in body


def test_create_edit_delete_plan_on_the_web(world, client):
    client.force_login(world.admin)
    data = {
        "name": "Monthly",
        "grade": "normal",
        "cadence_days": 30,
        "task_kind": "call",
        "active": "on",
    }
    assert client.post(reverse("care:plan_create"), data).status_code == 302
    plan = CarePlan.objects.get(name="Monthly")
    bad = client.post(reverse("care:plan_create"), {**data, "cadence_days": "0"})
    assert bad.status_code == 400
    dup = client.post(reverse("care:plan_create"), data, headers=EN)
    assert dup.status_code == 400 and "Another care plan has this name" in dup.content.decode()
    edit = reverse("care:plan_edit", args=[plan.pk])
    assert client.post(edit, {**data, "cadence_days": 45, "version": 1}).status_code == 302
    assert client.post(edit, {**data, "cadence_days": 50, "version": 1}).status_code == 409
    assert CarePlan.objects.get(pk=plan.pk).cadence_days == 45
    assert client.get(reverse("care:plan_delete", args=[plan.pk])).status_code == 405
    assert client.post(reverse("care:plan_delete", args=[plan.pk])).status_code == 302
    assert not CarePlan.objects.filter(pk=plan.pk).exists()


def test_template_edit_refuses_unknown_placeholders(world, client):
    client.force_login(world.admin)
    template = GreetingTemplate.objects.get(occasion="mid_autumn")
    url = reverse("care:template_edit", args=["mid_autumn"])
    data = {
        "enabled": "on",
        "grades": ["vip", "important"],
        "task_days_ahead": 5,
        "subject_zh": "中秋快乐",
        "body_zh": "{name}，{festival}快乐！",
        "subject_en": "Happy Mid-Autumn",
        "body_en": "Dear {customer.owner.password}",
        "version": template.version,
    }
    response = client.post(url, data, headers=EN)
    assert response.status_code == 400
    assert "Unknown placeholder: {customer.owner.password}" in response.content.decode()
    response = client.post(url, {**data, "body_en": "Dear {name}"})
    assert response.status_code == 302
    template.refresh_from_db()
    assert template.grades == ["important", "vip"] and template.task_days_ahead == 5
    assert client.post(url, {**data, "body_en": "Hi {name}"}).status_code == 409
    assert client.post(url, {**data, "task_days_ahead": 99, "version": 2}).status_code == 400


def test_profile_edit_from_the_360_page(world, client):
    Customer.objects.filter(pk=world.cust_a.pk).update(birthday=dt.date(1990, 9, 21))
    client.force_login(world.rep_a)
    detail = client.get(reverse("customers:detail", args=[world.cust_a.pk]), headers=EN)
    body = detail.content.decode()
    assert 'id="care-occasions"' in body and "birthday" in body
    url = reverse("care:profile_edit", args=[world.cust_a.pk])
    assert url in body
    assert client.get(url).status_code == 200
    response = client.post(url, {"calendar": "lunar", "language": "en"})
    assert response.status_code == 302
    profile = CareProfile.objects.get(customer=world.cust_a)
    assert (profile.calendar, profile.lunar_month, profile.lunar_day) == ("lunar", 8, 3)
    body = client.get(reverse("customers:detail", args=[world.cust_a.pk]), headers=EN)
    assert "Birthday by the lunar calendar (month 8, day 3)" in body.content.decode()
    assert client.post(url, {"calendar": "julian", "language": "en"}).status_code == 400
    assert (
        client.post(url, {"calendar": "gregorian", "language": "en", "version": 9}).status_code
        == 409
    )
    # rep B may neither see nor change rep A's customer; the analyst may see, not change
    client.force_login(world.rep_b)
    assert client.get(url).status_code == 404
    assert client.post(url, {"calendar": "gregorian", "language": "en"}).status_code == 404
    client.force_login(world.analyst)
    assert client.get(url).status_code == 403
    body = client.get(reverse("customers:detail", args=[world.cust_a.pk])).content.decode()
    assert 'id="care-occasions"' in body and url not in body


def test_upcoming_occasions_show_greeted(world, client):
    today = timezone.localdate()
    Customer.objects.filter(pk=world.cust_a.pk).update(
        birthday=today.replace(year=1990) if not (today.month == 2 and today.day == 29) else None
    )
    Greeting.objects.create(
        customer=world.cust_a,
        occasion="birthday",
        year=today.year,
        occasion_date=today,
        channel="email",
        status="sent",
    )
    client.force_login(world.rep_a)
    body = client.get(reverse("customers:detail", args=[world.cust_a.pk]), headers=EN)
    assert "greeted" in body.content.decode()


def test_care_plans_api(world, api):
    assert api(world.rep_a).get("/api/v1/care-plans/").status_code == 200
    data = {"name": "Fortnightly VIP", "grade": "vip", "cadence_days": 14}
    assert api(world.rep_a).post("/api/v1/care-plans/", data, format="json").status_code == 403
    created = api(world.admin).post("/api/v1/care-plans/", data, format="json")
    assert created.status_code == 201 and created.json()["version"] == 1
    url = f"/api/v1/care-plans/{created.json()['id']}/"
    assert (
        api(world.rep_a).patch(url, {"cadence_days": 1, "version": 1}, format="json").status_code
        == 403
    )
    assert api(world.rep_a).delete(url).status_code == 403
    for body in (
        {"cadence_days": 0, "version": 1},
        {"grade": "gold", "version": 1},
        {"colour": 1, "version": 1},
        {"cadence_days": 3},
        {"name": "VIP care", "version": 1},
        {"task_kind": "dance", "version": 1},
    ):
        assert api(world.admin).patch(url, body, format="json").status_code == 400, body
    assert (
        api(world.admin).patch(url, {"cadence_days": 7, "version": 1}, format="json").status_code
        == 200
    )
    assert (
        api(world.admin).patch(url, {"cadence_days": 8, "version": 1}, format="json").status_code
        == 409
    )
    assert api(world.admin).delete(url).status_code == 204
    assert api().get("/api/v1/care-plans/").status_code in (401, 403)


def test_periodic_jobs_run_the_services(world, smtp_server):
    from guanxi.care.tasks import make_care_plan_tasks, send_daily_greetings

    Customer.objects.filter(pk=world.cust_a.pk).update(
        grade="vip", created_at=timezone.now() - dt.timedelta(days=90)
    )
    make_care_plan_tasks.call_local()
    assert world.cust_a.tasks.count() == 1
    send_daily_greetings.call_local()  # whatever today is: runs without error


def test_two_people_setting_up_a_new_profile_at_once_do_not_overwrite_each_other(world, client):
    """Rep A and their manager both open the greeting preferences of a customer who has none
    yet (so their forms carry no version). The first save creates the profile; the second,
    made on the empty form, is a conflict and changes nothing."""
    Customer.objects.filter(pk=world.cust_a.pk).update(birthday=dt.date(1990, 9, 21))
    url = reverse("care:profile_edit", args=[world.cust_a.pk])
    client.force_login(world.rep_a)
    assert client.post(url, {"calendar": "lunar", "language": "en"}).status_code == 302
    client.force_login(world.manager_a)
    response = client.post(url, {"calendar": "gregorian", "language": "zh-hans"})
    assert response.status_code == 409
    profile = CareProfile.objects.get(customer=world.cust_a)
    assert (profile.calendar, profile.language, profile.version) == ("lunar", "en", 1)
    # Sent again from the conflict page, with the version it shows, it is saved.
    again = client.post(url, {"calendar": "gregorian", "language": "zh-hans", "version": 1})
    assert again.status_code == 302
    profile.refresh_from_db()
    assert (profile.calendar, profile.language) == ("gregorian", "zh-hans")
