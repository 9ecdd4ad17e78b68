"""Resolving a ticket that had no reply yet: the first response is late only if the
first-response target had passed (a ticket settled on the phone in ten minutes is not late)."""

import datetime as dt

import pytest
from django.utils import timezone

from guanxi.tickets import services
from guanxi.tickets.models import Ticket

pytestmark = pytest.mark.django_db


def test_resolved_before_the_first_response_target_is_on_time(world):
    t = services.change_status(actor=world.rep_a, ticket=world.ticket_a, action="resolve")
    assert t.first_response_met is True and t.resolution_met is True


def test_resolved_after_the_first_response_target_without_a_reply_is_late(world):
    past = timezone.now() - dt.timedelta(minutes=5)
    Ticket.objects.filter(pk=world.ticket_a.pk).update(first_response_due_at=past)
    t = services.change_status(actor=world.rep_a, ticket=world.ticket_a, action="resolve")
    assert t.first_response_met is False


def test_the_rating_request_speaks_chinese_and_english(world, settings):
    """As the survey e-mails: a customer who reads English gets the request in English too,
    with a link that opens the rating page in English."""
    from django.core import mail
    from django.test import TestCase

    from guanxi.customers.models import ContactPoint

    settings.PUBLIC_BASE_URL = "https://crm.example.com"
    ContactPoint.objects.create(customer=world.cust_a, kind="email", value="a@example.com")
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.change_status(actor=world.rep_a, ticket=world.ticket_a, action="resolve")
    body = mail.outbox[0].body
    assert "请告诉我们您的满意程度" in body
    assert "Please tell us how satisfied you are (1 to 5):" in body
    urls = [line for line in body.splitlines() if line.startswith("https://")]
    assert len(urls) == 2 and urls[1] == urls[0] + "?lang=en"
