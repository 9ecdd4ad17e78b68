"""Who may do what with portal links, written once: whoever may open tickets and sees the
customer issues, lists and revokes that customer's links."""

from __future__ import annotations

from guanxi.accounts.models import User
from guanxi.accounts.policies import has_perm
from guanxi.customers.models import Customer
from guanxi.customers.policies import can_see


def may_issue(user: User, customer: Customer) -> bool:
    return (
        customer.deleted_at is None
        and has_perm(user, "tickets", "create")
        and can_see(user, customer)
    )
