"""Role permissions per module and action, for API views that name their `module`."""

from rest_framework.permissions import BasePermission

from guanxi.accounts.policies import has_perm

METHOD_ACTIONS = {
    "GET": "view",
    "HEAD": "view",
    "OPTIONS": "view",
    "POST": "create",
    "PUT": "change",
    "PATCH": "change",
    "DELETE": "delete",
}


class ModulePermission(BasePermission):
    """A view sets `module`; an action may name its own with `module_action`."""

    def has_permission(self, request, view) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        module = getattr(view, "module", None)
        if module is None:
            return True
        action = getattr(view, "module_action", None) or METHOD_ACTIONS.get(request.method, "view")
        action_name = getattr(view, "action", None)
        overrides = getattr(view, "module_actions", {})
        if action_name in overrides:
            action = overrides[action_name]
        return has_perm(request.user, module, action)
