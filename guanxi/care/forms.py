from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from guanxi.core.web import ServiceForm
from guanxi.customers.models import Grade
from guanxi.followups.models import TaskKind

from .messages import PLACEHOLDERS
from .models import BirthdayCalendar, GreetingLanguage


class CarePlanForm(ServiceForm):
    name = forms.CharField(label=_("name"), max_length=100)
    grade = forms.ChoiceField(label=_("grade"), choices=Grade.choices)
    cadence_days = forms.IntegerField(
        label=_("contact every (days)"),
        min_value=1,
        max_value=3650,
        help_text=_("The owner gets a task when the customer has not been contacted for longer."),
    )
    task_kind = forms.ChoiceField(
        label=_("task kind"), choices=TaskKind.choices, initial=TaskKind.VISIT
    )
    active = forms.BooleanField(label=_("active"), required=False, initial=True)


def _placeholder_help() -> str:
    return ", ".join("{" + name + "}" for name in PLACEHOLDERS)


class GreetingTemplateForm(ServiceForm):
    enabled = forms.BooleanField(label=_("send greetings"), required=False)
    grades = forms.MultipleChoiceField(
        label=_("grades"),
        choices=Grade.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None chosen: every grade."),
    )
    task_days_ahead = forms.IntegerField(
        label=_("tasks this many days ahead"),
        min_value=0,
        max_value=60,
        help_text=_("Owners of customers who cannot be e-mailed get a task this many days before."),
    )
    subject_zh = forms.CharField(label=_("subject (Chinese)"), max_length=200)
    body_zh = forms.CharField(
        label=_("message (Chinese)"), max_length=5000, widget=forms.Textarea(attrs={"rows": 5})
    )
    subject_en = forms.CharField(label=_("subject (English)"), max_length=200)
    body_en = forms.CharField(
        label=_("message (English)"), max_length=5000, widget=forms.Textarea(attrs={"rows": 5})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        hint = _("Placeholders: %(names)s") % {"names": _placeholder_help()}
        for name in ("body_zh", "body_en"):
            self.fields[name].help_text = hint


class CareProfileForm(ServiceForm):
    calendar = forms.ChoiceField(
        label=_("birthday calendar"),
        choices=BirthdayCalendar.choices,
        help_text=_("For the lunar calendar, the lunar date is worked out from the birthday."),
    )
    language = forms.ChoiceField(label=_("greeting language"), choices=GreetingLanguage.choices)
