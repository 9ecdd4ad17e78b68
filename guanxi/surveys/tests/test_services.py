import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from guanxi.core.errors import PermissionDeniedError
from guanxi.customers.models import Customer
from guanxi.followups.models import Task
from guanxi.surveys import selectors, services
from guanxi.surveys.models import Response, SurveyLink

pytestmark = pytest.mark.django_db


def test_csat_and_nps_surveys_start_with_their_question(world):
    assert world.q_csat.kind == "csat" and world.q_nps.kind == "nps"


def test_questions_are_validated_and_only_change_in_draft(world):
    draft = services.create_survey(actor=world.rep_a, data={"title": "Custom", "kind": "custom"})
    with pytest.raises(ValidationError) as exc:
        services.add_question(
            actor=world.rep_a,
            survey=draft,
            data={"kind": "single", "text": "Pick", "choices": ["a"]},
        )
    assert "choices" in exc.value.message_dict
    q = services.add_question(
        actor=world.rep_a,
        survey=draft,
        data={"kind": "multiple", "text": "Which", "choices": [" a ", "b", "a", ""]},
    )
    assert q.choices == ["a", "b"]
    with pytest.raises(ValidationError):
        services.add_question(
            actor=world.rep_a,
            survey=draft,
            data={"kind": "scale", "text": "S", "scale_min": 5, "scale_max": 1},
        )
    services.add_question(actor=world.rep_a, survey=draft, data={"kind": "nps", "text": "N"})
    with pytest.raises(ValidationError):
        services.add_question(actor=world.rep_a, survey=draft, data={"kind": "nps", "text": "N2"})
    with pytest.raises(ValidationError):
        services.add_question(
            actor=world.head_manager, survey=world.csat, data={"kind": "text", "text": "late"}
        )
    # a sales rep may create surveys but not change someone else's
    with pytest.raises(PermissionDeniedError):
        services.add_question(actor=world.rep_b, survey=draft, data={"kind": "text", "text": "x"})


def test_opening_needs_a_question(world):
    draft = services.create_survey(actor=world.rep_a, data={"title": "Empty", "kind": "custom"})
    with pytest.raises(ValidationError):
        services.set_survey_status(actor=world.rep_a, survey=draft, status="active", version=1)


def test_answer_validation_messages(world):
    draft = services.create_survey(actor=world.rep_a, data={"title": "Mixed", "kind": "csat"})
    q_single = services.add_question(
        actor=world.rep_a, survey=draft, data={"kind": "single", "text": "S", "choices": ["x", "y"]}
    )
    q_multi = services.add_question(
        actor=world.rep_a,
        survey=draft,
        data={"kind": "multiple", "text": "M", "choices": ["x", "y"], "required": False},
    )
    q_scale = services.add_question(
        actor=world.rep_a,
        survey=draft,
        data={"kind": "scale", "text": "Sc", "scale_min": 0, "scale_max": 3},
    )
    q_text = services.add_question(
        actor=world.rep_a, survey=draft, data={"kind": "text", "text": "T", "required": False}
    )
    questions = list(draft.questions.all())
    q_csat = next(q for q in questions if q.kind == "csat")
    with pytest.raises(ValidationError) as exc:
        services.clean_answers(
            questions,
            {
                str(q_csat.pk): "6",
                str(q_single.pk): "z",
                str(q_multi.pk): ["x", "q"],
                str(q_scale.pk): "4",
                str(q_text.pk): "x" * 6000,
            },
        )
    errors = exc.value.message_dict
    assert set(errors) == {f"q{q.pk}" for q in (q_csat, q_single, q_multi, q_scale, q_text)}
    with pytest.raises(ValidationError) as exc:
        services.clean_answers(questions, {})
    assert set(exc.value.message_dict) == {f"q{q_csat.pk}", f"q{q_single.pk}", f"q{q_scale.pk}"}
    ok = services.clean_answers(
        questions,
        {
            str(q_csat.pk): " 4 ",
            str(q_single.pk): "y",
            str(q_multi.pk): ["y", "x"],
            str(q_scale.pk): "0",
            "999": "ignored",
        },
    )
    assert ok == {
        str(q_csat.pk): 4,
        str(q_single.pk): "y",
        str(q_multi.pk): ["x", "y"],
        str(q_scale.pk): 0,
    }
    with pytest.raises(ValidationError):
        services.clean_answers(
            questions, {str(q_csat.pk): True, str(q_single.pk): "y", str(q_scale.pk): 1}
        )


def test_one_answer_per_link_that_may_change_until_closed(world):
    r = services.submit_response(link=world.link_a, answers={str(world.q_csat.pk): "5"})
    r2 = services.submit_response(link=world.link_a, answers={str(world.q_csat.pk): "4"})
    assert r.pk == r2.pk and r2.csat == 4 and r2.changed_at is not None
    assert Response.objects.filter(link=world.link_a).count() == 1
    services.set_survey_status(
        actor=world.head_manager, survey=world.csat, status="closed", version=world.csat.version
    )
    with pytest.raises(ValidationError):
        services.submit_response(link=world.link_a, answers={str(world.q_csat.pk): "3"})
    assert Response.objects.get(pk=r.pk).csat == 4


def test_expired_link_refuses_answers(world):
    SurveyLink.objects.filter(pk=world.link_a.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    world.link_a.refresh_from_db()
    with pytest.raises(ValidationError):
        services.submit_response(link=world.link_a, answers={str(world.q_csat.pk): "5"})


def test_tokens_are_signed(world):
    token = services.make_token(world.link_a)
    assert services.link_from_token(token) == world.link_a
    other = services.make_token(world.link_b)
    forged = token.split(":")[0] + ":" + other.split(":", 1)[1]
    for bad in (token[:-1] + ("A" if token[-1] != "A" else "B"), forged, "", "x:y", other + "x"):
        with pytest.raises(SurveyLink.DoesNotExist):
            services.link_from_token(bad)
    Customer.objects.filter(pk=world.cust_a.pk).update(deleted_at=timezone.now())
    with pytest.raises(SurveyLink.DoesNotExist):
        services.link_from_token(token)


def test_low_csat_makes_one_task_for_the_owner(world):
    r = services.submit_response(link=world.link_a, answers={str(world.q_csat.pk): "2"})
    task = r.followup_task
    assert task is not None and task.assignee == world.rep_a and task.customer == world.cust_a
    assert task.priority == "high"
    services.submit_response(link=world.link_a, answers={str(world.q_csat.pk): "1"})
    assert Task.objects.filter(customer=world.cust_a).count() == 1


def test_good_csat_makes_no_task_and_thresholds_are_configurable(world):
    services.submit_response(link=world.link_a, answers={str(world.q_csat.pk): "3"})
    assert not Task.objects.exists()
    survey = services.update_survey(
        actor=world.head_manager,
        survey=world.csat,
        data={"low_csat": 3},
        version=world.csat.version,
    )
    assert survey.low_csat == 3
    r = services.submit_response(link=world.link_b, answers={str(world.q_csat.pk): "3"})
    assert r.followup_task.assignee == world.rep_b


def test_nps_low_is_six_or_less(world, answer):
    assert answer(world.nps, world.cust_a, {world.q_nps.pk: 7}).followup_task is None
    assert answer(world.nps, world.cust_b, {world.q_nps.pk: 6}).followup_task is not None


def test_scores_hand_computed(world, answer, make_user):
    from guanxi.customers.models import Customer

    # CSAT answers 5, 4, 2, 1 -> average 3.0, satisfied 2/4 = 50 %
    # NPS answers 10, 9, 7, 3, 0 -> promoters 2/5 = 40 %, detractors 2/5 = 40 %, NPS 0
    customers = [
        Customer.objects.create(display_name=f"C{i}", owner=world.rep_a, team=world.team_a)
        for i in range(5)
    ]
    for customer, score in zip(customers, (5, 4, 2, 1), strict=False):
        answer(world.csat, customer, {world.q_csat.pk: score})
    for customer, score in zip(customers, (10, 9, 7, 3, 0), strict=True):
        answer(world.nps, customer, {world.q_nps.pk: score})
    total = selectors.totals(world.admin)
    assert total["csat_n"] == 4 and total["csat_avg"] == 3.0 and total["csat_satisfied_pct"] == 50.0
    assert (
        total["nps_n"] == 5 and total["promoters_pct"] == 40.0 and total["detractors_pct"] == 40.0
    )
    assert total["nps"] == 0.0
    nps_only = selectors.totals(world.admin, survey=world.nps)
    assert nps_only["csat_n"] == 0 and nps_only["csat_avg"] is None and nps_only["nps"] == 0.0
    # 10, 10, 6: promoters 2/3, detractors 1/3 -> NPS 33.3
    extra = [
        Customer.objects.create(display_name=f"E{i}", owner=world.rep_b, team=world.team_b)
        for i in range(3)
    ]
    for customer, score in zip(extra, (10, 10, 6), strict=True):
        answer(world.nps, customer, {world.q_nps.pk: score})
    by_team = {
        r["label"]: r for r in selectors.scores(world.admin, group_by="team", survey=world.nps)
    }
    assert by_team["Team B"]["nps"] == 33.3 and by_team["Team A"]["nps"] == 0.0


def test_scores_only_over_visible_customers(world, answer):
    answer(world.csat, world.cust_a, {world.q_csat.pk: 5})
    answer(world.csat, world.cust_b, {world.q_csat.pk: 1})
    assert selectors.totals(world.rep_a)["csat_avg"] == 5.0
    assert selectors.totals(world.rep_b)["csat_avg"] == 1.0
    assert selectors.totals(world.admin)["csat_avg"] == 3.0
    by_grade = {r["key"]: r for r in selectors.scores(world.rep_a, group_by="grade")}
    assert set(by_grade) == {"vip"}


def test_satisfaction_trend_by_month(world, answer):
    r = answer(world.csat, world.cust_a, {world.q_csat.pk: 4})
    Response.objects.filter(pk=r.pk).update(submitted_at=timezone.now() - dt.timedelta(days=40))
    answer(world.nps, world.cust_a, {world.q_nps.pk: 10})
    today = timezone.localdate()
    rows = selectors.satisfaction_trend(
        world.admin, date_from=today - dt.timedelta(days=90), date_to=today
    )
    assert len(rows) == 2 and rows[0]["csat_avg"] == 4.0 and rows[1]["nps"] == 100.0
    assert rows[0]["key"] < rows[1]["key"]
    assert (
        selectors.satisfaction_trend(
            world.admin, date_from=today, date_to=today, team=world.team_b.pk
        )
        == []
    )


def test_send_by_email_only_to_customers_with_an_address(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        result = services.send_survey(
            actor=world.head_manager, survey=world.nps, customers=[world.cust_a, world.cust_b]
        )
    assert result["emailed"] == 1 and result["no_email"] == [world.cust_b]
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["alpha@example.com"]
    assert "/surveys/answer/" in mail.outbox[0].body
    link = SurveyLink.objects.get(survey=world.nps, customer=world.cust_a)
    assert link.sent_at is not None
    # sending again does not e-mail the same link twice
    with django_capture_on_commit_callbacks(execute=True):
        services.send_survey(actor=world.head_manager, survey=world.nps, customers=[world.cust_a])
    assert len(mail.outbox) == 1


def test_links_only_for_visible_customers_of_open_surveys(world):
    with pytest.raises(ValidationError):
        services.get_or_create_link(actor=world.rep_a, survey=world.csat, customer=world.cust_b)
    draft = services.create_survey(actor=world.rep_a, data={"title": "D", "kind": "csat"})
    with pytest.raises(ValidationError):
        services.get_or_create_link(actor=world.rep_a, survey=draft, customer=world.cust_a)
    with pytest.raises(PermissionDeniedError):
        services.get_or_create_link(actor=world.analyst, survey=world.csat, customer=world.cust_a)


def test_surveys_for_customer(world):
    services.submit_response(link=world.link_a, answers={str(world.q_csat.pk): "5"})
    rows = selectors.surveys_for_customer(world.cust_a)
    assert [r["survey"] for r in rows] == [world.csat] and rows[0]["answered"] is True
    assert rows[0]["url"].startswith("/surveys/answer/")
    SurveyLink.objects.filter(pk=world.link_a.pk).update(expires_at=timezone.now())
    assert selectors.surveys_for_customer(world.cust_a) == []


def test_improvement_actions(world):
    action = services.create_action(
        actor=world.rep_a,
        data={
            "title": " Faster  delivery ",
            "survey": world.csat,
            "theme": "delivery",
            "due_date": timezone.localdate() - dt.timedelta(days=1),
        },
    )
    assert action.title == "Faster delivery" and action.owner == world.rep_a and action.is_overdue
    assert list(selectors.overdue_actions(user=world.rep_b)) == [action]
    with pytest.raises(ValidationError):
        services.create_action(actor=world.rep_a, data={"title": ""})
    with pytest.raises(PermissionDeniedError):
        services.update_action(actor=world.rep_b, action=action, data={"status": "done"}, version=1)
    action = services.update_action(
        actor=world.rep_a, action=action, data={"status": "done"}, version=1
    )
    assert not action.is_overdue and list(selectors.overdue_actions(user=world.rep_a)) == []
    with pytest.raises(PermissionDeniedError):
        services.create_action(actor=world.analyst, data={"title": "x"})


def test_a_link_has_one_token_whenever_it_is_shown(world):
    """The portal page and the e-mail show the same link: its token carries no timestamp."""
    import time
    from unittest import mock

    first = services.make_token(world.link_a)
    with mock.patch("time.time", return_value=time.time() + 3600):
        assert services.make_token(world.link_a) == first


def test_a_token_sent_before_tokens_lost_their_timestamp_still_opens_the_survey(world):
    from django.core import signing

    link = world.link_a
    old = signing.dumps(
        [link.pk, link.survey_id, link.customer_id], salt=services.TOKEN_SALT, compress=False
    )
    assert services.link_from_token(old) == link
