import datetime as dt

import pytest
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from guanxi.audit.models import AuditEvent
from guanxi.customers.models import Customer
from guanxi.portal import services
from guanxi.portal.models import PortalLink
from guanxi.tickets import services as tickets
from guanxi.tickets.models import Ticket, TicketCategory, TicketStatus

pytestmark = pytest.mark.django_db
EN = {"accept-language": "en"}


@pytest.fixture
def world(two_teams):
    w = two_teams
    w.cust_a = Customer.objects.create(display_name="Alpha", owner=w.rep_a, team=w.team_a)
    w.cust_b = Customer.objects.create(display_name="Beta", owner=w.rep_b, team=w.team_b)
    w.product = TicketCategory.objects.get(code="product")
    w.ticket_a = tickets.create_ticket(
        actor=w.rep_a,
        data={"customer": w.cust_a, "category": w.product, "subject": "Lid A", "assignee": w.rep_a},
    )
    w.ticket_b = tickets.create_ticket(
        actor=w.rep_b,
        data={
            "customer": w.cust_b,
            "category": w.product,
            "subject": "Parcel B",
            "assignee": w.rep_b,
        },
    )
    tickets.add_reply(actor=w.rep_a, ticket=w.ticket_a, body="Public answer")
    tickets.add_reply(actor=w.rep_a, ticket=w.ticket_a, body="Secret note", public=False)
    w.link_a = services.issue_link(actor=w.rep_a, customer=w.cust_a)
    w.token_a = services.token_for(w.link_a)
    return w


def home(token):
    return reverse("portal:home", args=[token])


def test_home_shows_only_this_customers_tickets_in_chinese(world, client):
    response = client.get(home(world.token_a))
    body = response.content.decode()
    assert response.status_code == 200 and response["Content-Language"] == "zh-hans"
    assert "Lid A" in body and "Parcel B" not in body
    assert "您的" in body or "反馈" in body
    body = client.get(home(world.token_a), {"lang": "en"}).content.decode()
    assert "Your requests" in body
    assert client.cookies["portal_lang"].value == "en"


def test_ticket_page_shows_public_replies_only(world, client):
    url = reverse("portal:ticket", args=[world.token_a, world.ticket_a.pk])
    body = client.get(url).content.decode()
    assert "Public answer" in body and "Secret note" not in body


def test_other_customers_ticket_is_404(world, client):
    url = reverse("portal:ticket", args=[world.token_a, world.ticket_b.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"form": "reply", "body": "hi"}).status_code == 404
    assert not world.ticket_b.replies.filter(from_customer=True).exists()


@pytest.mark.parametrize("case", ["tampered", "garbage", "expired", "revoked", "deleted"])
def test_bad_tokens_are_404(world, client, case):
    token = world.token_a
    if case == "tampered":
        forged = signing.dumps({"l": world.link_a.pk, "k": "guess"}, salt="other")
        token = forged
    elif case == "garbage":
        token = token[:-3] + "abc"
    elif case == "expired":
        PortalLink.objects.filter(pk=world.link_a.pk).update(
            expires_at=timezone.now() - dt.timedelta(seconds=1)
        )
    elif case == "revoked":
        services.revoke_link(actor=world.rep_a, link=world.link_a)
    elif case == "deleted":
        Customer.objects.filter(pk=world.cust_a.pk).update(deleted_at=timezone.now())
    assert client.get(home(token)).status_code == 404
    assert client.get(reverse("portal:feedback", args=[token])).status_code == 404
    assert client.post(reverse("portal:consent", args=[token]), {}).status_code == 404


def test_wrong_key_in_a_validly_signed_token_is_404(world, client):
    token = signing.dumps({"l": world.link_a.pk, "k": "nope"}, salt=services.SALT)
    assert client.get(home(token)).status_code == 404


def test_feedback_creates_a_portal_ticket(world, client):
    url = reverse("portal:feedback", args=[world.token_a])
    response = client.post(
        url,
        {"kind": "suggestion", "category": world.product.pk, "subject": "", "description": "x"},
        headers=EN,
    )
    assert response.status_code == 400
    response = client.post(
        url,
        {
            "kind": "suggestion",
            "category": world.product.pk,
            "subject": "More colours",
            "description": "Please",
        },
    )
    assert response.status_code == 302
    ticket = Ticket.objects.get(subject="More colours")
    assert ticket.customer_id == world.cust_a.pk and ticket.source == "portal"
    assert ticket.created_by is None and ticket.first_response_due_at
    event = AuditEvent.objects.get(object_type="tickets.ticket", object_id=str(ticket.pk))
    assert event.source == "portal" and event.actor is None
    assert Customer.objects.get(pk=world.cust_a.pk).open_tickets == 2


def test_customer_reply_resumes_a_waiting_ticket_and_rates(world, client):
    tickets.change_status(actor=world.rep_a, ticket=world.ticket_a, action="wait")
    url = reverse("portal:ticket", args=[world.token_a, world.ticket_a.pk])
    assert client.post(url, {"form": "reply", "body": ""}).status_code == 400
    assert client.post(url, {"form": "reply", "body": "Here is the photo"}).status_code == 302
    ticket = Ticket.objects.get(pk=world.ticket_a.pk)
    assert ticket.status == TicketStatus.IN_PROGRESS
    assert client.post(url, {"form": "rating", "rating": "5"}).status_code == 400  # not resolved
    tickets.change_status(actor=world.rep_a, ticket=ticket, action="resolve")
    assert client.post(url, {"form": "rating", "rating": "9"}).status_code == 400
    assert client.post(url, {"form": "rating", "rating": "4", "comment": "ok"}).status_code == 302
    ticket.refresh_from_db()
    assert ticket.rating == 4 and ticket.rating_comment == "ok"


def test_rating_link(world, client):
    ticket = tickets.change_status(actor=world.rep_a, ticket=world.ticket_a, action="resolve")
    token = tickets.rating_token(ticket)
    url = reverse("portal:rate", args=[token])
    assert client.get(url).status_code == 200
    assert client.get(reverse("portal:rate", args=[token + "x"])).status_code == 404
    other = signing.dumps({"t": world.ticket_b.pk}, salt="wrong")
    assert client.get(reverse("portal:rate", args=[other])).status_code == 404
    assert client.post(url, {"rating": "0"}).status_code == 400
    assert client.post(url, {"rating": "5"}).status_code == 200
    assert Ticket.objects.get(pk=ticket.pk).rating == 5
    client.post(url, {"rating": "1"})
    assert Ticket.objects.get(pk=ticket.pk).rating == 5  # once


def test_consent_is_set_through_the_customers_service_and_audited(world, client):
    url = reverse("portal:consent", args=[world.token_a])
    assert client.get(url).status_code == 405
    assert client.post(url, {"marketing_consent": "on"}).status_code == 302
    customer = Customer.objects.get(pk=world.cust_a.pk)
    assert customer.marketing_consent and customer.marketing_consent_at
    event = AuditEvent.objects.filter(object_type="customers.customer").latest("id")
    assert event.source == "portal" and "marketing_consent" in event.changes
    client.post(url, {})
    assert not Customer.objects.get(pk=world.cust_a.pk).marketing_consent
    assert not Customer.objects.get(pk=world.cust_b.pk).marketing_consent_at


def test_staff_issue_and_revoke_links_within_scope(world, client):
    client.force_login(world.rep_b)
    assert client.post(reverse("portal:issue", args=[world.cust_a.pk])).status_code == 404
    assert client.post(reverse("portal:revoke", args=[world.link_a.pk])).status_code == 404
    client.force_login(world.analyst)  # sees all customers, may not create tickets
    assert client.post(reverse("portal:issue", args=[world.cust_a.pk])).status_code == 403
    client.force_login(world.rep_a)
    assert client.get(reverse("portal:issue", args=[world.cust_a.pk])).status_code == 405
    response = client.post(reverse("portal:issue", args=[world.cust_a.pk]), follow=True, headers=EN)
    assert "/portal/c/" in response.content.decode()
    assert PortalLink.objects.filter(customer=world.cust_a).count() == 2
    response = client.post(reverse("portal:revoke", args=[world.link_a.pk]))
    assert response.status_code == 302
    assert PortalLink.objects.get(pk=world.link_a.pk).revoked_at is not None
    assert client.get(home(world.token_a)).status_code == 404


def test_home_lists_this_customers_open_surveys_only(world, client):
    from guanxi.surveys import services as surveys

    survey = surveys.create_survey(
        actor=world.head_manager, data={"title": "服务满意度", "kind": "csat"}
    )
    survey = surveys.set_survey_status(
        actor=world.head_manager, survey=survey, status="active", version=1
    )
    other = surveys.create_survey(actor=world.head_manager, data={"title": "只给乙", "kind": "nps"})
    other = surveys.set_survey_status(
        actor=world.head_manager, survey=other, status="active", version=1
    )
    link = surveys.get_or_create_link(
        actor=world.head_manager, survey=survey, customer=world.cust_a
    )
    surveys.get_or_create_link(actor=world.head_manager, survey=other, customer=world.cust_b)
    body = client.get(home(world.token_a)).content.decode()
    assert "服务满意度" in body and surveys.link_url(link) in body
    assert "只给乙" not in body
