"""The dashboard's filters: team and period."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.accounts import selectors as account_selectors
from guanxi.core.web import StyledForm

from .charts import Filters

MAX_YEARS = 10


class DashboardFilterForm(StyledForm):
    team = forms.ModelChoiceField(
        label=gettext_lazy("Team"), required=False, queryset=None, empty_label=None
    )
    date_from = forms.DateField(
        label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=gettext_lazy("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = account_selectors.team_list(user=user)
        self.fields["team"].empty_label = _("All teams I can see")

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end:
            if start > end:
                self.add_error("date_to", _("The end date is before the start date."))
            elif (end - start) > dt.timedelta(days=366 * MAX_YEARS):
                self.add_error(
                    "date_from", _("Choose a period of at most %(n)d years.") % {"n": MAX_YEARS}
                )
        return data

    def filters(self) -> Filters:
        data = self.cleaned_data
        return Filters(
            team=data.get("team"), date_from=data.get("date_from"), date_to=data.get("date_to")
        )
