import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanxi.core.web import ServiceForm

from .models import ScoreSettings
from .services import SETTINGS_FIELDS


class SettingsForm(ServiceForm, forms.ModelForm):
    class Meta:
        model = ScoreSettings
        fields = list(SETTINGS_FIELDS)


class BacktestForm(forms.Form):
    """The last day of a backtest's calibration period: the models are fitted on the orders up
    to the end of that day, in the user's time zone."""

    as_of = forms.DateField(
        label=_("calibration period ends on"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def moment(self) -> dt.datetime:
        day = self.cleaned_data["as_of"]
        end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min)
        return timezone.make_aware(end) - dt.timedelta(microseconds=1)
