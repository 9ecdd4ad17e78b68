"""The dashboard's filters: team and period."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.accounts import selectors as account_selectors
from guanxi.accounts.forms import TeamChoiceField
from guanxi.core.validation import FIRST_DATE, LAST_DATE, date_range_message
from guanxi.core.web import DateInput, StyledForm

from .charts import Filters

MAX_YEARS = 10


class DashboardFilterForm(StyledForm):
    team = TeamChoiceField(  # the team and the teams below it
        label=gettext_lazy("Team"), required=False, queryset=None, empty_label=None
    )
    date_from = forms.DateField(label=gettext_lazy("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=gettext_lazy("To"), required=False, widget=DateInput())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = account_selectors.team_list(user=user)
        self.fields["team"].empty_label = _("All teams I can see")

    def clean(self):
        """The period as the charts will draw it: with one end given, it still runs to today
        or from the months before the end (charts.months), so it is checked as a whole."""
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        for name, value in (("date_from", start), ("date_to", end)):
            if value is not None and not FIRST_DATE <= value <= LAST_DATE:
                self.add_error(name, date_range_message())
        if "date_from" in self.errors or "date_to" in self.errors or not start:
            return data
        if end is None:
            end = timezone.localdate()
            if start > end:
                self.add_error("date_from", _("The start date is after today."))
                return data
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
