from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from guanxi.accounts.models import User
from guanxi.core.web import ServiceForm
from guanxi.customers.models import Customer
from guanxi.customers.policies import assignable_owner_q
from guanxi.customers.selectors import customer_list

from .models import Priority, Recurrence, TaskKind


class TaskForm(ServiceForm):
    title = forms.CharField(label=_("title"), max_length=200)
    kind = forms.ChoiceField(label=_("kind"), choices=TaskKind.choices, initial=TaskKind.FOLLOW_UP)
    due_at = forms.DateTimeField(
        label=_("due"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("In your time zone."),
    )
    priority = forms.ChoiceField(
        label=_("priority"), choices=Priority.choices, initial=Priority.NORMAL
    )
    assignee = forms.ModelChoiceField(label=_("assignee"), queryset=User.objects.none())
    # A number, not a list: there may be a million customers.
    customer = forms.ModelChoiceField(
        label=_("customer number"),
        queryset=Customer.objects.none(),
        required=False,
        widget=forms.NumberInput,
        help_text=_("Optional: the number of the customer this task is about."),
    )
    recurrence = forms.ChoiceField(
        label=_("repeats"), choices=Recurrence.choices, initial=Recurrence.NONE
    )
    notes = forms.CharField(
        label=_("notes"), max_length=20000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customer_list(user=user)
        self.fields["customer"].error_messages["invalid_choice"] = _("There is no such customer.")
        self.fields["assignee"].queryset = User.objects.filter(assignable_owner_q(user)).order_by(
            "username"
        )
        if not self.is_bound and not self.initial.get("assignee"):
            self.initial["assignee"] = user.pk
