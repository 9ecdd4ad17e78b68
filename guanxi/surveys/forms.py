from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from guanxi.accounts.forms import TeamChoiceField
from guanxi.accounts.models import Team, User
from guanxi.core.web import DateInput, ServiceForm, StyledForm

from .models import ActionStatus, QuestionKind, Survey, SurveyKind
from .selectors import GROUPS


class SurveyForm(ServiceForm):
    title = forms.CharField(label=pgettext_lazy("heading", "title"), max_length=200)
    kind = forms.ChoiceField(label=_("kind"), choices=SurveyKind.choices)
    intro = forms.CharField(
        label=_("introduction"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Shown to the customer above the questions."),
    )
    closes_at = forms.DateTimeField(
        label=_("closes"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Optional. Answers are accepted and may be changed until then."),
    )
    low_csat = forms.IntegerField(
        label=_("low CSAT score (at most)"),
        min_value=1,
        max_value=5,
        initial=2,
        help_text=_("A CSAT answer at or below this makes a follow-up task for the owner."),
    )
    low_nps = forms.IntegerField(
        label=_("low NPS score (at most)"),
        min_value=0,
        max_value=10,
        initial=6,
        help_text=_("An NPS answer at or below this makes a follow-up task for the owner."),
    )


class QuestionForm(ServiceForm):
    kind = forms.ChoiceField(label=_("kind"), choices=QuestionKind.choices)
    text = forms.CharField(label=_("question"), max_length=500)
    choices = forms.CharField(
        label=_("choices"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("For single and multiple choice: one per line."),
    )
    required = forms.BooleanField(
        label=pgettext_lazy("survey question", "required"), required=False, initial=True
    )
    scale_min = forms.IntegerField(label=_("scale from"), initial=1, min_value=-100, max_value=100)
    scale_max = forms.IntegerField(label=_("scale to"), initial=5, min_value=-100, max_value=100)
    position = forms.IntegerField(
        label=_("position"), required=False, min_value=0, max_value=2**31 - 1
    )

    def service_data(self) -> dict[str, Any]:
        data = super().service_data()
        data["choices"] = (data.get("choices") or "").splitlines()
        if data.get("position") is None:
            data.pop("position", None)
        return data


class SendForm(StyledForm):
    customers = forms.CharField(
        label=_("customer numbers"),
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Separated by spaces, commas or lines; at most 500."),
    )
    email = forms.BooleanField(
        label=_("e-mail the link to customers who have an e-mail address"),
        required=False,
        initial=True,
    )

    def clean_customers(self) -> list[int]:
        import re

        raw = [t for t in re.split(r"[\s,，;；]+", self.cleaned_data["customers"]) if t]
        bad = [t for t in raw if not t.isdecimal() or len(t) > 18]
        if bad:
            raise forms.ValidationError(
                _("These are not customer numbers: %(list)s") % {"list": ", ".join(bad[:10])}
            )
        numbers = list(dict.fromkeys(int(t) for t in raw))
        if len(numbers) > 500:
            raise forms.ValidationError(
                _("Send to at most %(n)d customers at a time.") % {"n": 500}
            )
        return numbers


class ResultsFilterForm(StyledForm):
    survey = forms.ModelChoiceField(
        label=_("survey"),
        queryset=Survey.objects.order_by("-created_at"),
        required=False,
        empty_label=_("Any"),
    )
    group_by = forms.ChoiceField(
        label=pgettext_lazy("group by", "by"),
        required=False,
        choices=[
            ("month", _("month")),
            ("team", _("team")),
            ("grade", _("grade")),
            ("value_tier", _("value tier")),
            ("region", _("region")),
            ("industry", _("industry")),
        ],
    )
    team = TeamChoiceField(  # customers of the team or of a team below it
        label=_("team"),
        queryset=Team.objects.order_by("path"),
        required=False,
        empty_label=_("Any"),
    )
    date_from = forms.DateField(
        label=pgettext_lazy("date range", "from"),
        required=False,
        widget=DateInput(),
    )
    date_to = forms.DateField(
        label=pgettext_lazy("date range", "to"),
        required=False,
        widget=DateInput(),
    )

    def filters(self) -> dict[str, Any]:
        data = self.cleaned_data if self.is_valid() else {}
        group_by = data.get("group_by") or "month"
        team = data.get("team")
        return {
            "group_by": group_by if group_by in GROUPS else "month",
            "survey": data.get("survey"),
            "team": team,  # a Team: its answers and those of the teams below it
            "date_from": data.get("date_from"),
            "date_to": data.get("date_to"),
        }


class ActionForm(ServiceForm):
    title = forms.CharField(label=pgettext_lazy("heading", "title"), max_length=200)
    description = forms.CharField(
        label=_("description"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    owner = forms.ModelChoiceField(label=_("owner"), queryset=User.objects.none())
    due_date = forms.DateField(label=_("due date"), required=False, widget=DateInput())
    status = forms.ChoiceField(label=_("status"), choices=ActionStatus.choices)
    survey = forms.ModelChoiceField(
        label=_("survey"), queryset=Survey.objects.order_by("-created_at"), required=False
    )
    theme = forms.CharField(
        label=_("theme"),
        max_length=200,
        required=False,
        help_text=_("What customers said, e.g. “slow delivery”."),
    )
    # Numbers, not lists: there may be a great many tickets and needs.
    ticket = forms.ModelChoiceField(
        label=_("ticket number"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.NumberInput,
        help_text=_("Optional: the ticket that prompted this action."),
    )
    need = forms.ModelChoiceField(
        label=_("need number"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.NumberInput,
        help_text=_("Optional: the customer need this action answers."),
    )

    def __init__(
        self, *args: Any, user: User, links: dict[str, int | None] | None = None, **kwargs: Any
    ) -> None:
        from guanxi.needs.models import Need
        from guanxi.needs.selectors import need_list
        from guanxi.tickets.models import Ticket
        from guanxi.tickets.selectors import ticket_list

        super().__init__(*args, **kwargs)
        # The action's current ticket and need stay valid for whoever edits it (its owner may
        # not see them); a new link must be one the user sees.
        links = links or {}
        for name, selector, model in (("ticket", ticket_list, Ticket), ("need", need_list, Need)):
            queryset = selector(user=user)
            if links.get(name):
                queryset = queryset | model.objects.filter(pk=links[name])
            self.fields[name].queryset = queryset
        for name in ("ticket", "need"):
            self.fields[name].error_messages["invalid_choice"] = _("There is no such record.")
        self.fields["owner"].queryset = User.objects.filter(is_active=True).order_by("username")
        if not self.is_bound and not self.initial.get("owner"):
            self.initial["owner"] = user.pk


class ActionFilterForm(StyledForm):
    status = forms.ChoiceField(
        label=_("status"),
        required=False,
        choices=[("", _("open and in progress")), ("all", _("all")), *ActionStatus.choices],
    )
    owner = forms.ModelChoiceField(label=_("owner"), queryset=User.objects.none(), required=False)
    survey = forms.ModelChoiceField(
        label=_("survey"), queryset=Survey.objects.order_by("-created_at"), required=False
    )
    overdue = forms.BooleanField(label=_("overdue only"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = User.objects.filter(is_active=True).order_by("username")
