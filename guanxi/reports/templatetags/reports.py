"""The recommendations card on the 360° page."""

from django import template

from guanxi.accounts.policies import has_perm

from .. import selectors

register = template.Library()


@register.inclusion_tag("reports/_recommendations_card.html", takes_context=True)
def recommendations_card(context, customer):
    user = context["request"].user
    if not (has_perm(user, "orders", "view") and has_perm(user, "products", "view")):
        return {"show": False}
    return {"show": True, "items": selectors.recommendations(user=user, customer=customer)}
