"""Ticket words read as ticket words in Chinese, not as the same English word elsewhere
(a "new" ticket is not a "new customer")."""

import pytest
from django.utils import translation

from guanxi.tickets.models import TicketStatus


def test_a_new_ticket_is_new_not_a_new_customer():
    with translation.override("zh-hans"):
        assert str(TicketStatus.NEW.label) == "新建"
    with translation.override("en"):
        assert str(TicketStatus.NEW.label) == "new"


@pytest.mark.django_db
def test_the_reply_form_labels_start_with_a_capital_in_english(world, client):
    """Like every other field label (core/_field.html capitalises them)."""
    from django.urls import reverse

    client.force_login(world.rep_a)
    url = reverse("tickets:detail", args=[world.ticket_a.pk])
    html = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert ">Message</label>" in html
    assert ">Visible to the customer</span>" in html
