"""Ticket words read as ticket words in Chinese, not as the same English word elsewhere
(a "new" ticket is not a "new customer")."""

from django.utils import translation

from guanxi.tickets.models import TicketStatus


def test_a_new_ticket_is_new_not_a_new_customer():
    with translation.override("zh-hans"):
        assert str(TicketStatus.NEW.label) == "新建"
    with translation.override("en"):
        assert str(TicketStatus.NEW.label) == "new"
