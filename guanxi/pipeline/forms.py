from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from guanxi.accounts.models import User
from guanxi.core.web import DateInput, ServiceForm, StyledForm
from guanxi.customers.forms import NumberField
from guanxi.customers.models import Customer
from guanxi.customers.policies import assignable_owner_q
from guanxi.customers.selectors import customer_list

from .models import LostReason, Outcome, Pipeline, Stage


class OpportunityForm(ServiceForm):
    name = forms.CharField(label=_("name"), max_length=200)
    # A number, not a list: there may be a million customers.
    customer = forms.ModelChoiceField(
        label=_("customer number"),
        queryset=Customer.objects.none(),
        widget=forms.NumberInput,
        help_text=_("The number of the customer (shown on the customer's page)."),
    )
    pipeline = forms.ModelChoiceField(label=_("pipeline"), queryset=Pipeline.objects.none())
    stage = forms.ModelChoiceField(
        label=_("stage"),
        queryset=Stage.objects.none(),
        required=False,
        help_text=_("Empty: the first stage of the pipeline."),
    )
    amount = NumberField(label=_("amount"), max_digits=16, decimal_places=2, min_value=0)
    currency = forms.CharField(
        label=_("currency"), max_length=3, required=False, help_text=_("Empty: the pipeline's.")
    )
    probability = forms.IntegerField(
        label=_("probability (%)"),
        min_value=0,
        max_value=100,
        required=False,
        help_text=_("Empty: the stage's default probability."),
    )
    expected_close = forms.DateField(label=_("expected close"), required=False, widget=DateInput())
    owner = forms.ModelChoiceField(label=_("owner"), queryset=User.objects.none())
    notes = forms.CharField(
        label=_("notes"), max_length=20000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customer_list(user=user)
        self.fields["customer"].error_messages["invalid_choice"] = _("There is no such customer.")
        self.fields["pipeline"].queryset = Pipeline.objects.filter(active=True)
        self.fields["stage"].queryset = (
            Stage.objects.filter(pipeline__active=True)
            .exclude(outcome=Outcome.LOST)
            .select_related("pipeline")
        )
        self.fields["stage"].label_from_instance = lambda s: f"{s.pipeline.name} › {s.name}"
        self.fields["owner"].queryset = User.objects.filter(assignable_owner_q(user)).order_by(
            "username"
        )
        if not self.is_bound and not self.initial.get("owner"):
            self.initial["owner"] = user.pk

    def service_data(self) -> dict[str, Any]:
        data = super().service_data()
        if not data.get("currency"):
            data.pop("currency", None)
        if data.get("stage") is None:
            data.pop("stage", None)
        return data


class LoseForm(StyledForm):
    lost_reason = forms.ModelChoiceField(
        label=_("lost reason"),
        queryset=LostReason.objects.filter(active=True),
        error_messages={"required": _("Choose why the opportunity was lost.")},
    )
    lost_note = forms.CharField(
        label=_("details"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class PipelineForm(ServiceForm):
    name = forms.CharField(label=_("name"), max_length=100)
    currency = forms.CharField(label=_("currency"), max_length=3, initial="CNY")
    position = forms.IntegerField(label=_("position"), min_value=0, max_value=2**31 - 1, initial=0)
    active = forms.BooleanField(label=_("active"), required=False, initial=True)


class StageForm(ServiceForm):
    name = forms.CharField(label=_("name"), max_length=100)
    position = forms.IntegerField(label=_("position"), min_value=0, max_value=2**31 - 1)
    probability = forms.IntegerField(label=_("default probability (%)"), min_value=0, max_value=100)
    outcome = forms.ChoiceField(label=_("outcome"), choices=Outcome.choices, initial=Outcome.OPEN)


class LostReasonForm(ServiceForm):
    name = forms.CharField(label=_("name"), max_length=100)
    position = forms.IntegerField(label=_("position"), min_value=0, max_value=2**31 - 1, initial=0)
    active = forms.BooleanField(label=_("active"), required=False, initial=True)
