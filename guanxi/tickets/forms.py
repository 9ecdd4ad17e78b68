from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from guanxi.accounts.models import Team, User
from guanxi.core.web import ServiceForm, StyledForm
from guanxi.customers.models import Customer
from guanxi.customers.policies import assignable_owner_q
from guanxi.customers.selectors import customer_list

from .models import Priority, TicketCategory, TicketKind, TicketStatus
from .selectors import BREACH_FILTERS


class TicketForm(ServiceForm):
    # A number, not a list: there may be a million customers.
    customer = forms.ModelChoiceField(
        label=_("customer number"), queryset=Customer.objects.none(), widget=forms.NumberInput
    )
    kind = forms.ChoiceField(label=_("type"), choices=TicketKind.choices)
    category = forms.ModelChoiceField(label=_("category"), queryset=TicketCategory.objects.none())
    priority = forms.ChoiceField(label=_("priority"), choices=Priority.choices, initial="normal")
    subject = forms.CharField(label=_("subject"), max_length=200)
    description = forms.CharField(
        label=_("description"),
        max_length=20000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    assignee = forms.ModelChoiceField(
        label=_("assignee"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("Leave empty to assign by the assignment rules."),
    )

    def __init__(
        self,
        *args: Any,
        user: User,
        editing: bool = False,
        assignee_id: int | None = None,
        category_id: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customer_list(user=user)
        self.fields["customer"].error_messages["invalid_choice"] = _("There is no such customer.")
        # A category the admin has retired stays on offer for the tickets that have it.
        self.fields["category"].queryset = TicketCategory.objects.filter(
            Q(is_active=True) | Q(pk=category_id)
        )
        # The ticket's current assignee stays on offer even when the editor could not have
        # chosen them: otherwise the list shows nobody and saving any change unassigns it.
        reach = assignable_owner_q(user)
        if assignee_id is not None:
            reach |= Q(pk=assignee_id)
        self.fields["assignee"].queryset = User.objects.filter(reach).order_by("username")
        if editing:
            del self.fields["customer"]


class ReplyForm(StyledForm):
    body = forms.CharField(
        label=_("message"), max_length=20000, widget=forms.Textarea(attrs={"rows": 3})
    )
    is_public = forms.BooleanField(label=_("visible to the customer"), required=False, initial=True)


class FilterForm(StyledForm):
    status = forms.ChoiceField(
        label=_("status"),
        required=False,
        choices=[("", _("any")), ("open", _("open (not resolved)")), *TicketStatus.choices],
    )
    kind = forms.ChoiceField(
        label=_("type"), required=False, choices=[("", _("any")), *TicketKind.choices]
    )
    priority = forms.ChoiceField(
        label=_("priority"), required=False, choices=[("", _("any")), *Priority.choices]
    )
    category = forms.ModelChoiceField(
        label=_("category"),
        required=False,
        queryset=TicketCategory.objects.all(),
        empty_label=_("any"),
    )
    assignee = forms.ModelChoiceField(
        label=_("assignee"),
        required=False,
        queryset=User.objects.filter(is_active=True),
        empty_label=_("anyone"),
    )
    breach = forms.ChoiceField(
        label=_("SLA"),
        required=False,
        choices=[
            ("", _("any")),
            ("at_risk", _("breached or due soon")),
            ("breached", _("breached")),
            ("due_soon", _("due soon")),
        ],
    )
    mine = forms.BooleanField(label=_("my tickets"), required=False)

    def params(self) -> dict[str, Any]:
        if not self.is_valid():
            return {}
        data = dict(self.cleaned_data)
        data["category"] = data["category"].pk if data.get("category") else None
        data["assignee"] = data["assignee"].pk if data.get("assignee") else None
        if data.get("breach") not in BREACH_FILTERS:
            data["breach"] = None
        return data


class SettingsForm(ServiceForm):
    work_start = forms.TimeField(
        label=_("business hours start"), widget=forms.TimeInput(attrs={"type": "time"})
    )
    work_end = forms.TimeField(
        label=_("business hours end"), widget=forms.TimeInput(attrs={"type": "time"})
    )
    time_zone = forms.CharField(label=_("time zone"), max_length=64)
    due_soon_hours = forms.DecimalField(
        label=_("warn this many business hours before a target"),
        min_value=0,
        max_value=100,
        decimal_places=2,
    )
    followup_days = forms.IntegerField(
        label=_("follow-up check, days after closing"), min_value=1, max_value=365
    )
    days_off = forms.CharField(
        label=_("extra days off"),
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "2027-02-06..2027-02-13"}),
        help_text=_(
            "Public holidays the built-in calendar does not know yet, and your own closing "
            "days: one date (YYYY-MM-DD) or range (2027-02-06..2027-02-13) per line."
        ),
    )
    workdays = forms.CharField(
        label=_("extra working days"),
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "2027-02-14"}),
        help_text=_("Make-up working days (调休) on weekends, in the same form."),
    )


class TargetForm(ServiceForm):
    first_response_hours = forms.DecimalField(
        label=_("first response (business hours)"), min_value=0.25, max_value=2000, decimal_places=2
    )
    resolution_hours = forms.DecimalField(
        label=_("resolution (business hours)"), min_value=0.25, max_value=2000, decimal_places=2
    )


class CategoryForm(ServiceForm):
    code = forms.SlugField(label=_("code"), max_length=40)
    name = forms.CharField(label=_("name (English)"), max_length=100)
    name_zh = forms.CharField(label=_("name (Chinese)"), max_length=100, required=False)
    position = forms.IntegerField(label=_("position"), min_value=0, initial=0)
    is_active = forms.BooleanField(label=_("active"), required=False, initial=True)


class RuleForm(ServiceForm):
    category = forms.ModelChoiceField(
        label=_("category"),
        queryset=TicketCategory.objects.all(),
        required=False,
        empty_label=_("default (any category)"),
    )
    team = forms.ModelChoiceField(label=_("team"), queryset=Team.objects.all())
    is_active = forms.BooleanField(label=_("active"), required=False, initial=True)
