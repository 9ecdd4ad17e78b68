"""Reading portal links for a staff user: only the links of customers the user sees and may
issue links for."""

from __future__ import annotations

from django.db.models import QuerySet

from guanxi.accounts.models import User
from guanxi.customers.models import Customer
from guanxi.customers.selectors import customer_get

from .models import PortalLink
from .policies import may_issue


def link_list(*, user: User, customer: Customer) -> QuerySet[PortalLink]:
    """A customer's links (the customer read through a selector), newest first; none for a user
    who may not issue them."""
    if not may_issue(user, customer):
        return PortalLink.objects.none()
    return PortalLink.objects.filter(customer_id=customer.pk).order_by("-created_at", "-id")


def link_get(*, user: User, pk: int) -> PortalLink:
    """A link whose customer the user sees; PortalLink.DoesNotExist otherwise (a 404: a missing
    and a forbidden link look the same). Whether they may revoke it is the service's check."""
    link = (
        PortalLink.objects.select_related("customer").filter(pk=pk).first()
        if 0 < pk < 2**63
        else None
    )
    if link is None:
        raise PortalLink.DoesNotExist
    try:
        customer_get(user=user, pk=link.customer_id)
    except Customer.DoesNotExist:
        raise PortalLink.DoesNotExist from None
    return link
