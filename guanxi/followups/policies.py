"""Who sees and who may change a task, written once.

A task is seen by its assignee, its creator and, when it concerns a customer, by whoever may see
that customer; administrators see every task. It is changed by its assignee or creator, by
whoever may edit its customer, and by administrators, each within their role's task rights.
"""

from __future__ import annotations

from django.db.models import Q

from guanxi.accounts.models import User
from guanxi.accounts.policies import has_perm, is_admin
from guanxi.customers.policies import can_edit, visible_q

from .models import Task


def task_visible_q(user: User) -> Q:
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    live = Q(customer__isnull=True) | Q(customer__deleted_at__isnull=True)
    if is_admin(user):
        return live
    mine = Q(assignee_id=user.pk) | Q(created_by_id=user.pk)
    return live & (mine | (Q(customer__isnull=False) & visible_q(user, "customer__")))


def may_change(user: User, task: Task, action: str = "change") -> bool:
    if not has_perm(user, "tasks", action):
        return False
    if is_admin(user) or user.pk in (task.assignee_id, task.created_by_id):
        return True
    return task.customer_id is not None and can_edit(user, task.customer)
