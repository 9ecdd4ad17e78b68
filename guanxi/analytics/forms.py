from django import forms

from guanxi.core.web import ServiceForm

from .models import ScoreSettings
from .services import SETTINGS_FIELDS


class SettingsForm(ServiceForm, forms.ModelForm):
    class Meta:
        model = ScoreSettings
        fields = list(SETTINGS_FIELDS)
