from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from guanxi.accounts.models import User
from guanxi.core.web import DateInput, ServiceForm, StyledForm
from guanxi.customers.models import Customer
from guanxi.customers.selectors import customer_list

from .models import Importance, NeedCategory, NeedStatus
from .selectors import SEGMENTS


class NeedForm(ServiceForm):
    customer = forms.ModelChoiceField(
        label=_("customer number"),
        queryset=Customer.objects.none(),
        widget=forms.NumberInput,
        required=False,
    )
    title = forms.CharField(label=_("need"), max_length=200)
    category = forms.ChoiceField(label=_("category"), choices=NeedCategory.choices)
    importance = forms.ChoiceField(
        label=_("importance"), choices=Importance.choices, initial=Importance.MEDIUM
    )
    status = forms.ChoiceField(label=_("status"), choices=NeedStatus.choices)
    description = forms.CharField(
        label=_("details"),
        max_length=20000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    ticket = forms.IntegerField(widget=forms.HiddenInput, required=False)
    interaction = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, user: User, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customer_list(user=user)
        self.fields["customer"].error_messages["invalid_choice"] = _("There is no such customer.")
        if editing:
            for name in ("customer", "ticket", "interaction"):
                del self.fields[name]


class NeedFilterForm(StyledForm):
    category = forms.ChoiceField(
        label=_("category"), required=False, choices=[("", _("any")), *NeedCategory.choices]
    )
    status = forms.ChoiceField(
        label=_("status"), required=False, choices=[("", _("any")), *NeedStatus.choices]
    )
    importance = forms.ChoiceField(
        label=_("importance"), required=False, choices=[("", _("any")), *Importance.choices]
    )


class AnalysisForm(StyledForm):
    segment = forms.ChoiceField(
        label=_("segment by"), required=False, choices=list(SEGMENTS.items())
    )
    date_from = forms.DateField(label=_("from"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("to"), required=False, widget=DateInput())

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end must come after the start."))
        return data
