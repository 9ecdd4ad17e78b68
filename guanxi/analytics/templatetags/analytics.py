from django import template

from guanxi.analytics import scoring, selectors
from guanxi.customers.policies import may

register = template.Library()


@register.inclusion_tag("analytics/_value_card_body.html", takes_context=True)
def value_card(context, customer):
    """The value card of the 360° page: the customer's scores, for roles that see analytics."""
    user = context["request"].user
    score = selectors.score_get(user=user, customer=customer)
    suggested = scoring.GRADE_FOR_TIER.get(customer.value_tier)
    grade_labels = dict(customer._meta.get_field("grade").choices)
    return {
        "visible": selectors.can_view(user),
        "customer": customer,
        "score": score,
        "suggested_grade": suggested if suggested and suggested != customer.grade else None,
        "suggested_label": grade_labels.get(suggested, ""),
        "may_apply": suggested is not None and may(user, "change", customer),
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("analytics/_lifecycle_card.html", takes_context=True)
def lifecycle_card(context, customer):
    """The lifecycle history of the 360° page: each stage the customer went through, when, and
    for how many days; for roles that see analytics."""
    user = context["request"].user
    return {
        "visible": selectors.can_view(user),
        "customer": customer,
        "stays": selectors.stage_stays(user=user, customer=customer),
    }
