"""Forms of the core pages: the user's own preferences."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from guanxi.accounts.services import available_time_zones


def _language_choices() -> list[tuple[str, str]]:
    return [("", _("As my browser asks")), *settings.LANGUAGES]


# The areas of the IANA names people pick from (Asia/Shanghai, Europe/Berlin…); the others are
# aliases and legacy names (Zulu, W-SU, US/Pacific, Etc/GMT+8, localtime) that only clutter the
# list. They stay valid values: one already chosen is still offered.
_AREAS = frozenset(
    [
        "Africa",
        "America",
        "Antarctica",
        "Asia",
        "Atlantic",
        "Australia",
        "Europe",
        "Indian",
        "Pacific",
    ]
)


def _time_zone_choices(current: str = "") -> list[tuple[str, str]]:
    names = {name for name in available_time_zones() if name.partition("/")[0] in _AREAS}
    names |= {"UTC"} | ({current} & available_time_zones())
    return [(name, name) for name in sorted(names)]


class PreferencesForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=_language_choices, required=False)
    time_zone = forms.ChoiceField(label=_("Time zone"))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        current = self.data.get("time_zone") or self.initial.get("time_zone") or ""
        self.fields["time_zone"].choices = _time_zone_choices(str(current))
