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
