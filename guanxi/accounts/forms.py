"""Web forms of the administration pages: users, teams and roles. They shape input only;
guanxi.accounts.services validates, checks that the actor is an administrator and audits."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from guanxi.core.web import ServiceForm

from .models import ACTIONS, MODULES, DataScope, Role, Team
from .services import available_time_zones


class TeamChoiceField(forms.ModelChoiceField):
    """Teams shown as a tree: each name indented by its depth."""

    def label_from_instance(self, obj: Team) -> str:
        depth = max(0, obj.path.count("/") - 2)
        return "\u3000" * depth + obj.name


class UserForm(ServiceForm):
    username = forms.CharField(label=_("Username"), max_length=150)
    display_name = forms.CharField(label=_("Display name"), max_length=100, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    team = TeamChoiceField(label=_("Team"), queryset=Team.objects.none(), required=False)
    role = forms.ModelChoiceField(label=_("Role"), queryset=Role.objects.none())
    language = forms.ChoiceField(label=_("Language"), required=False, choices=[])
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=[], initial=settings.TIME_ZONE)
    is_active = forms.BooleanField(
        label=_("Active"),
        required=False,
        initial=True,
        help_text=_("A deactivated user can no longer log in; their records stay theirs."),
    )
    password = forms.CharField(
        label=_("Password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(
        self, *args: Any, teams=None, roles=None, creating: bool = True, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if teams is not None:
            self.fields["team"].queryset = teams
        if roles is not None:
            self.fields["role"].queryset = roles
        self.fields["language"].choices = [("", _("As the browser asks")), *settings.LANGUAGES]
        self.fields["time_zone"].choices = [(z, z) for z in sorted(available_time_zones())]
        self.creating = creating
        if creating:
            self.fields["password"].required = True
        else:
            self.fields["password"].help_text = _("Leave empty to keep the current password.")


class TeamForm(ServiceForm):
    name = forms.CharField(label=_("Name"), max_length=100)
    parent = TeamChoiceField(
        label=_("Parent team"),
        queryset=Team.objects.none(),
        required=False,
        help_text=_("Empty for a team at the top."),
    )

    def __init__(self, *args: Any, parents=None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if parents is not None:
            self.fields["parent"].queryset = parents


def perm_field_name(module: str, action: str) -> str:
    return f"perm_{module}_{action}"


MODULE_LABELS = {
    "customers": _("Customers"),
    "contacts": _("Contacts"),
    "interactions": _("Interactions"),
    "products": _("Products"),
    "orders": _("Orders"),
    "users": _("Users"),
    "teams": _("Teams"),
    "tasks": _("Tasks"),
    "opportunities": _("Opportunities"),
    "tickets": _("Tickets"),
    "needs": _("Needs"),
    "surveys": _("Surveys"),
    "articles": _("Knowledge base"),
    "analytics": _("Analytics"),
    "segments": _("Segments"),
}
ACTION_LABELS = {
    "view": _("View"),
    "create": _("Create"),
    "change": _("Change"),
    "delete": _("Delete"),
    "export": _("Export"),
}


class RoleForm(ServiceForm):
    """A role's name, data scope, contact-details flag and a checkbox per module and action."""

    name = forms.CharField(label=_("Name"), max_length=100)
    data_scope = forms.ChoiceField(label=_("Data scope"), choices=DataScope.choices)
    can_view_contact_details = forms.BooleanField(
        label=_("Sees contact details in full"),
        required=False,
        help_text=_("Otherwise phone numbers and e-mail addresses are masked."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for module in MODULES:
            for action in ACTIONS:
                field = forms.BooleanField(
                    label=f"{MODULE_LABELS.get(module, module)} · "
                    f"{ACTION_LABELS.get(action, action)}",
                    required=False,
                )
                field.widget.attrs["class"] = "form-check-input"
                self.fields[perm_field_name(module, action)] = field

    def matrix(self) -> list[tuple[str, list[forms.BoundField]]]:
        """Rows of the permission table: a module's label and its action checkboxes."""
        return [
            (
                str(MODULE_LABELS.get(module, module)),
                [self[perm_field_name(module, action)] for action in ACTIONS],
            )
            for module in MODULES
        ]

    def field_for_error(self, key: str) -> str | None:
        if key.startswith("permissions"):
            return None
        return super().field_for_error(key)

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "data_scope": data["data_scope"],
            "can_view_contact_details": data["can_view_contact_details"],
            "permissions": {
                module: [a for a in ACTIONS if data.get(perm_field_name(module, a))]
                for module in MODULES
            },
        }


def role_initial(role: Role) -> dict[str, Any]:
    initial: dict[str, Any] = {
        "version": role.version,
        "name": role.name,
        "data_scope": role.data_scope,
        "can_view_contact_details": role.can_view_contact_details,
    }
    granted = role.permissions or {}
    for module in MODULES:
        for action in ACTIONS:
            initial[perm_field_name(module, action)] = action in granted.get(module, [])
    return initial
