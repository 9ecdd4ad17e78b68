"""Forms of the core pages: the user's own preferences."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from guanxi.accounts.services import available_time_zones


def _language_choices() -> list[tuple[str, str]]:
    return [("", _("As my browser asks")), *settings.LANGUAGES]


def _time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(available_time_zones())]


class PreferencesForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=_language_choices, required=False)
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=_time_zone_choices)
