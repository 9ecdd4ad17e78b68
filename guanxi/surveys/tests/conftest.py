import pytest


@pytest.fixture
def world(two_teams):
    """A customer per team (A has an e-mail address), an active CSAT survey and an active NPS
    survey made by the head manager, and a link for each customer to the CSAT survey."""
    from guanxi.customers.models import ContactPoint, Customer
    from guanxi.surveys import services

    w = two_teams
    w.cust_a = Customer.objects.create(
        display_name="Alpha", owner=w.rep_a, team=w.team_a, grade="vip", region="Beijing"
    )
    w.cust_b = Customer.objects.create(
        display_name="Beta", owner=w.rep_b, team=w.team_b, grade="normal", region="Shanghai"
    )
    ContactPoint.objects.create(
        customer=w.cust_a, kind="email", value="alpha@example.com", normalized="alpha@example.com"
    )
    w.csat = services.create_survey(actor=w.head_manager, data={"title": "Service", "kind": "csat"})
    w.csat = services.set_survey_status(
        actor=w.head_manager, survey=w.csat, status="active", version=1
    )
    w.nps = services.create_survey(actor=w.head_manager, data={"title": "Loyalty", "kind": "nps"})
    w.nps = services.set_survey_status(
        actor=w.head_manager, survey=w.nps, status="active", version=1
    )
    w.link_a = services.get_or_create_link(actor=w.head_manager, survey=w.csat, customer=w.cust_a)
    w.link_b = services.get_or_create_link(actor=w.head_manager, survey=w.csat, customer=w.cust_b)
    w.q_csat = w.csat.questions.get()
    w.q_nps = w.nps.questions.get()
    return w


@pytest.fixture
def answer(world):
    """Answer a survey for a customer through a fresh link: answer(survey, customer, {qid: v})."""
    from guanxi.surveys import services

    def submit(survey, customer, answers):
        link = services.get_or_create_link(actor=world.admin, survey=survey, customer=customer)
        return services.submit_response(link=link, answers={str(k): v for k, v in answers.items()})

    return submit
