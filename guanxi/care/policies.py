"""Who may do what in customer care, written once.

Care plans and greeting templates are settings: administrators manage them; anyone signed in
may read the plans (API). A customer's greeting preferences are changed by whoever may change
the customer, and seen by whoever may see it.
"""

from __future__ import annotations

from guanxi.accounts.models import User
from guanxi.accounts.policies import is_admin
from guanxi.customers.models import Customer
from guanxi.customers.policies import may


def may_manage(user: User) -> bool:
    return is_admin(user)


def may_edit_profile(user: User, customer: Customer) -> bool:
    return may(user, "change", customer)
