from django import forms
from django.utils.translation import gettext_lazy as _

from guanxi.core.web import DateInput, ServiceForm

from .models import ScoreSettings
from .services import SETTINGS_FIELDS


class SettingsForm(ServiceForm, forms.ModelForm):
    class Meta:
        model = ScoreSettings
        fields = list(SETTINGS_FIELDS)


class BacktestForm(forms.Form):
    """The last day of a backtest's calibration period: the models are fitted on the orders up
    to the end of that day (services.start_recompute)."""

    as_of = forms.DateField(label=_("calibration period ends on"), widget=DateInput())
