"""The pool card of the 360° page: one include line there, the reads here."""

from django import template

from guanxi.pool import selectors
from guanxi.pool.policies import may_return

register = template.Library()


@register.inclusion_tag("pool/_card.html", takes_context=True)
def pool_card(context, customer):
    """`customer` was read through the customer selectors for this user (the 360° page)."""
    user = context["request"].user
    return {
        "customer": customer,
        "events": list(selectors.customer_history(customer=customer, limit=5)),
        "may_return": may_return(user, customer),
    }
