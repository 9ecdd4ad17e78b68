import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from guanxi.surveys import services
from guanxi.surveys.models import Response, SurveyLink

pytestmark = pytest.mark.django_db


def _answer_url(link):
    return reverse("surveys:answer", args=[services.make_token(link)])


def test_public_page_default_chinese_and_switch(world, client):
    url = _answer_url(world.link_a)
    response = client.get(url)
    assert response.status_code == 200 and 'lang="zh-Hans"' in response.content.decode()
    assert "Alpha" not in response.content.decode()  # nothing about the customer is shown
    response = client.get(url + "?lang=en")
    assert (
        'lang="en"' in response.content.decode() and "Send my answer" in response.content.decode()
    )


def test_public_answer_validation_and_change(world, client):
    url = _answer_url(world.link_a)
    name = f"q{world.q_csat.pk}"
    response = client.post(url, {name: "9", "lang": "en"})
    assert (
        response.status_code == 400 and "Choose a score from 1 to 5." in response.content.decode()
    )
    response = client.post(url, {"lang": "en"})
    assert (
        response.status_code == 400 and "Please answer this question." in response.content.decode()
    )
    assert client.post(url, {name: "4"}).status_code == 200
    response = client.get(url + "?lang=en")
    assert (
        "Change my answer" in response.content.decode()
        and 'value="4" checked' in response.content.decode()
    )
    client.post(url, {name: "5"})
    assert Response.objects.get(link=world.link_a).csat == 5


def test_public_tampered_expired_and_closed(world, client):
    token = services.make_token(world.link_a)
    assert client.get(reverse("surveys:answer", args=[token[:-2] + "zz"])).status_code == 404
    assert client.get(reverse("surveys:answer", args=["nonsense"])).status_code == 404
    SurveyLink.objects.filter(pk=world.link_a.pk).update(
        expires_at=timezone.now() - dt.timedelta(days=1)
    )
    assert client.get(reverse("surveys:answer", args=[token])).status_code == 410
    response = client.post(reverse("surveys:answer", args=[token]), {f"q{world.q_csat.pk}": "5"})
    assert response.status_code == 410 and not Response.objects.exists()
    services.set_survey_status(
        actor=world.head_manager, survey=world.csat, status="closed", version=world.csat.version
    )
    assert client.get(_answer_url(world.link_b)).status_code == 410


def test_one_link_does_not_reach_another_customer(world, client):
    client.post(_answer_url(world.link_a), {f"q{world.q_csat.pk}": "2"})
    response = client.get(_answer_url(world.link_b) + "?lang=en")
    assert "Change my answer" not in response.content.decode()
    assert Response.objects.get().customer == world.cust_a


def test_staff_pages_two_users(world, client):
    services.submit_response(link=world.link_a, answers={str(world.q_csat.pk): "5"})
    services.submit_response(link=world.link_b, answers={str(world.q_csat.pk): "1"})
    client.force_login(world.rep_a)
    for name in (
        "surveys:list",
        "surveys:results",
        "surveys:action_list",
        "surveys:create",
        "surveys:action_create",
    ):
        assert client.get(reverse(name)).status_code == 200, name
    response = client.get(reverse("surveys:detail", args=[world.csat.pk]))
    html = response.content.decode()
    assert "Alpha" in html and "Beta" not in html
    response = client.get(reverse("surveys:results"), {"group_by": "region"})
    assert [r["label"] for r in response.context["rows"]] == ["Beijing"]
    client.force_login(world.rep_b)
    response = client.get(reverse("surveys:results"), {"group_by": "region"})
    assert [r["label"] for r in response.context["rows"]] == ["Shanghai"]
    assert client.get(reverse("surveys:detail", args=[999999])).status_code == 404


def test_results_bad_filters_are_not_errors(world, client):
    client.force_login(world.admin)
    response = client.get(
        reverse("surveys:results"), {"group_by": "nope", "date_from": "2020-99-99", "team": "x"}
    )
    assert response.status_code == 200
    assert "vendor/echarts/echarts.min.js" in response.content.decode()


def test_send_page(world, client, django_capture_on_commit_callbacks):
    client.force_login(world.rep_a)
    url = reverse("surveys:send", args=[world.nps.pk])
    response = client.post(url, {"customers": f"{world.cust_b.pk}", "email": "on"})
    assert response.status_code == 400 and not SurveyLink.objects.filter(survey=world.nps).exists()
    response = client.post(url, {"customers": "12x", "email": "on"})
    assert response.status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"customers": f"{world.cust_a.pk}", "email": "on"})
    assert response.status_code == 200 and "/surveys/answer/" in response.content.decode()
    client.force_login(world.analyst)
    assert client.post(url, {"customers": f"{world.cust_a.pk}"}).status_code == 403


def test_action_pages(world, client):
    client.force_login(world.rep_a)
    response = client.post(
        reverse("surveys:action_create"), {"title": "", "owner": world.rep_a.pk, "status": "open"}
    )
    assert response.status_code in (200, 400) and "title" in response.context["form"].errors
    response = client.post(
        reverse("surveys:action_create"),
        {
            "title": "Call back unhappy VIPs",
            "owner": world.rep_a.pk,
            "status": "open",
            "due_date": "2020-01-01",
            "survey": world.csat.pk,
        },
    )
    assert response.status_code == 302
    response = client.get(reverse("surveys:action_list"), {"overdue": "on"})
    assert [a.title for a in response.context["page"].rows] == ["Call back unhappy VIPs"]
    response = client.get(reverse("surveys:action_list"), {"status": "bogus"})
    assert response.status_code == 200


def test_list_query_counts(world, client, django_assert_max_num_queries):
    for i in range(10):
        services.create_survey(actor=world.admin, data={"title": f"S{i}", "kind": "csat"})
        services.create_action(actor=world.admin, data={"title": f"A{i}"})
    client.force_login(world.rep_a)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("surveys:list")).status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(reverse("surveys:action_list")).status_code == 200


def test_adding_a_question_to_a_survey_that_is_not_there_is_a_404(world, client):
    client.force_login(world.rep_a)
    url = reverse("surveys:question_create", args=[987654])
    assert client.get(url).status_code == 404
    assert client.post(url, {"kind": "text", "text": "Hello?"}).status_code == 404


def test_question_and_status_pages_two_users(world, client):
    draft = services.create_survey(actor=world.rep_a, data={"title": "Mine", "kind": "custom"})
    create = reverse("surveys:question_create", args=[draft.pk])
    client.force_login(world.rep_b)
    response = client.post(
        create, {"kind": "text", "text": "Hello?", "scale_min": 1, "scale_max": 5}
    )
    assert response.status_code == 403 and not draft.questions.exists()
    response = client.post(
        reverse("surveys:status", args=[world.csat.pk]),
        {"status": "closed", "version": world.csat.version},
    )
    world.csat.refresh_from_db()
    assert response.status_code == 302 and world.csat.status == "active"
    client.force_login(world.rep_a)
    response = client.post(
        create, {"kind": "single", "text": "Pick", "choices": "one", "scale_min": 1, "scale_max": 5}
    )
    assert response.status_code in (200, 400) and "choices" in response.context["form"].errors
    response = client.post(
        create,
        {
            "kind": "single",
            "text": "Pick",
            "choices": "one\ntwo",
            "required": "on",
            "scale_min": 1,
            "scale_max": 5,
        },
    )
    assert response.status_code == 302
    question = draft.questions.get()
    edit = reverse("surveys:question_edit", args=[draft.pk, question.pk])
    assert client.get(edit).status_code == 200
    client.force_login(world.rep_b)
    assert (
        client.post(reverse("surveys:question_delete", args=[draft.pk, question.pk])).status_code
        == 302
    )
    assert draft.questions.exists()
    client.force_login(world.rep_a)
    client.post(reverse("surveys:question_delete", args=[draft.pk, question.pk]))
    assert not draft.questions.exists()
    assert client.get(reverse("surveys:question_edit", args=[draft.pk, 999999])).status_code == 404


def test_results_filters_offer_any_survey_and_team_in_the_users_language(world, client):
    client.force_login(world.admin)
    html = client.get(reverse("surveys:results"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "不限" in html and "---------" not in html


@pytest.mark.parametrize("number", ["²", "١٢", "１２"])
def test_customer_numbers_in_other_scripts_are_a_message_not_an_error(world, client, number):
    """A superscript ² passes str.isdigit() but is not a number int() reads."""
    client.force_login(world.rep_a)
    url = reverse("surveys:send", args=[world.nps.pk])
    response = client.post(url, {"customers": number})
    assert response.status_code == 400
    assert "customers" in response.context["form"].errors


def test_a_new_action_ignores_a_link_that_is_not_a_number(world, client):
    client.force_login(world.rep_a)
    response = client.get(reverse("surveys:action_create"), {"ticket": "²", "survey": "٣"})
    assert response.status_code == 200


@pytest.mark.parametrize("closes", ["0001-01-01T00:00", "2020-01-01T10:00"])
def test_a_closing_time_out_of_range_or_past_is_a_message_on_the_form(world, client, closes):
    """Year 1 overflowed when stored (a bare "bad request" page, the form lost); a time already
    past made a survey nobody could ever answer."""
    client.force_login(world.rep_a)
    response = client.post(
        reverse("surveys:create"),
        {"title": "Winter check", "kind": "nps", "closes_at": closes, "low_csat": 2, "low_nps": 6},
    )
    assert response.status_code == 400
    assert "closes_at" in response.context["form"].errors
    assert "Winter check" in response.content.decode()


def test_the_api_refuses_a_closing_time_already_past(world, api):
    response = api(world.rep_a).post(
        "/api/v1/surveys/",
        {"title": "Winter check", "kind": "nps", "closes_at": "2020-01-01T10:00:00+08:00"},
        format="json",
    )
    assert response.status_code == 400 and "closes_at" in response.json()
