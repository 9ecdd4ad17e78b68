"""The care card of the 360° page: one include line there, the reads here."""

from django import template

from guanxi.care import selectors
from guanxi.care.policies import may_edit_profile

register = template.Library()


@register.inclusion_tag("care/_card.html", takes_context=True)
def care_card(context, customer):
    """`customer` was read through the customer selectors for this user (the 360° page)."""
    user = context["request"].user
    profile = selectors.profile_of(customer)
    return {
        "customer": customer,
        "profile": profile,
        "occasions": selectors.upcoming_occasions(customer=customer, profile=profile),
        "may_edit": may_edit_profile(user, customer),
        "request": context["request"],
    }
