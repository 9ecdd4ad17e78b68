"""Web forms of data quality: adapters that shape what was typed for the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from guanxi.core.web import DateInput, ServiceForm, StyledForm
from guanxi.customers.forms import ListTextField

from .services import MAX_PROPOSAL_TEXT


class LinesField(ListTextField):
    """A list typed one entry per line (commas allowed inside an entry: "Co., Ltd.")."""

    widget = forms.Textarea

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            return "\n".join(str(v) for v in value)
        return value

    def to_python(self, value: Any) -> list[str]:
        if isinstance(value, (list, tuple)):
            return [str(v) for v in value]
        text = forms.CharField.to_python(self, value)
        return [line.strip() for line in text.splitlines() if line.strip()]


def _days(label) -> forms.IntegerField:
    return forms.IntegerField(label=label, min_value=1, max_value=3650)


class SettingsForm(ServiceForm):
    forbidden_words = LinesField(
        label=_("forbidden words"),
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "One per line. No customer name may contain them. A word in Latin letters counts "
            "as a whole word (“test” refuses “Test Co.”, not “Contest”); a Chinese word counts "
            "wherever it stands."
        ),
    )
    require_legal_suffix = forms.BooleanField(
        label=_("organisations' legal names must end in a legal form"), required=False
    )
    legal_suffixes = LinesField(
        label=_("legal forms"),
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("One per line, e.g. 有限公司, 股份有限公司, Co., Ltd."),
    )
    person_name_min = forms.IntegerField(label=_("shortest person name"), min_value=1)
    person_name_max = forms.IntegerField(label=_("longest person name"), min_value=1)
    organisation_name_min = forms.IntegerField(label=_("shortest organisation name"), min_value=1)
    organisation_name_max = forms.IntegerField(label=_("longest organisation name"), min_value=1)
    unique_phone = forms.BooleanField(
        label=_("phone numbers are unique"),
        required=False,
        help_text=_("A second customer with the same phone number is refused."),
    )
    unique_email = forms.BooleanField(
        label=_("e-mail addresses are unique"),
        required=False,
        help_text=_("A second customer with the same e-mail address is refused."),
    )
    cycle_vip_days = _days(_("VIP update cycle (days)"))
    cycle_important_days = _days(_("important update cycle (days)"))
    cycle_normal_days = _days(_("normal update cycle (days)"))
    incomplete_below = forms.IntegerField(
        label=_("incomplete below (score)"), min_value=1, max_value=100
    )
    link_days = forms.IntegerField(
        label=_("self-service links expire after (days)"), min_value=1, max_value=90
    )


class SelfServiceForm(StyledForm):
    """What a customer may correct about themselves; the services validate it for real."""

    display_name = forms.CharField(label=_("name"), max_length=MAX_PROPOSAL_TEXT)
    mobile = forms.CharField(label=_("mobile"), max_length=50, required=False)
    phone = forms.CharField(label=_("phone"), max_length=50, required=False)
    email = forms.CharField(label=_("e-mail"), max_length=200, required=False)
    province = forms.CharField(label=_("province"), max_length=50, required=False)
    city = forms.CharField(label=_("city"), max_length=50, required=False)
    district = forms.CharField(label=_("district"), max_length=50, required=False)
    street = forms.CharField(label=_("street"), max_length=200, required=False)
    postcode = forms.CharField(label=_("postcode"), max_length=12, required=False)
    birthday = forms.DateField(label=_("birthday"), required=False, widget=DateInput())
    marketing_consent = forms.BooleanField(
        label=_("I agree to receive greetings and offers"), required=False
    )

    def __init__(self, *args: Any, kind: str = "person", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if kind != "person":
            del self.fields["birthday"]


class RejectForm(StyledForm):
    reason = forms.CharField(
        label=_("reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
