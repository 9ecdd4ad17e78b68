"""The in-app reminder: how many of the user's tasks are due today or overdue (one query)."""

from django import template

from guanxi.accounts.policies import has_perm
from guanxi.followups import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def tasks_due_count(context) -> int:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not has_perm(user, "tasks", "view"):
        return 0
    return selectors.my_day_count(user=user)
