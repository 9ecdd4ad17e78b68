"""The service card on a customer's 360° page, read through the selectors for request.user."""

from django import template

from guanxi.accounts.policies import has_perm

register = template.Library()


@register.simple_tag(takes_context=True)
def service_card(context, customer):
    from guanxi.needs.selectors import customer_needs
    from guanxi.portal.services import customer_links
    from guanxi.tickets.selectors import customer_tickets

    user = context["request"].user
    sees_tickets = has_perm(user, "tickets", "view")
    sees_needs = has_perm(user, "needs", "view")
    if not (sees_tickets or sees_needs):
        return None
    may_issue = has_perm(user, "tickets", "create")
    return {
        "tickets": customer_tickets(user=user, customer=customer) if sees_tickets else [],
        "needs": customer_needs(user=user, customer=customer) if sees_needs else [],
        "links": customer_links(user=user, customer=customer, limit=3) if may_issue else [],
        "may_create_ticket": may_issue,
        "may_record_need": has_perm(user, "needs", "create"),
        "may_issue_link": may_issue,
    }
