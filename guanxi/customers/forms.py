"""Web forms for customers, their contact points and addresses, contacts, interactions and notes.
Adapters: they shape what the user typed for the services, which validate it for real."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from guanxi.accounts.models import Team, User
from guanxi.accounts.policies import is_admin, managed_team_ids, sees_contact_details
from guanxi.accounts.selectors import team_list, user_list
from guanxi.core.web import DateInput, ServiceForm, StyledForm, style_widgets
from guanxi.interactions.models import Channel, Direction, Outcome, Purpose

from . import countries, normalize, selectors
from .models import (
    AppliesTo,
    Contact,
    ContactPointKind,
    ContactRole,
    Customer,
    CustomerKind,
    CustomFieldDefinition,
    CustomFieldType,
    Gender,
    Grade,
    LifecycleStage,
    Status,
    ValueTier,
)
from .policies import assignable_owner_q

BLANK = [("", "—")]
_SPLIT = re.compile(r"[,，、;；\n]+")


class ListTextField(forms.CharField):
    """A list of short texts typed on one line, separated by commas (, ， 、 ;)."""

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            return ", ".join(str(v) for v in value)
        return value

    def to_python(self, value: Any) -> list[str]:
        if isinstance(value, (list, tuple)):
            return [str(v) for v in value]
        text = super().to_python(value)
        return [part.strip() for part in _SPLIT.split(text) if part.strip()]


class NumberField(forms.DecimalField):
    """A number typed as people type it (1,234.5, full-width digits): a text box, since a
    browser's number box drops "1,234" before the server sees it, read by the normaliser
    every other entry point uses."""

    widget = forms.TextInput(attrs={"inputmode": "decimal"})

    def to_python(self, value: Any) -> Decimal | None:
        if value in self.empty_values:
            return None
        if isinstance(value, (int, Decimal)):
            return Decimal(value)
        return normalize.parse_number(str(value))


# Fields shown only for one kind of customer.
PERSON_FIELDS = ("gender", "birthday", "occupation", "interests", "preferences", "identity_code")
ORGANISATION_FIELDS = ("legal_name", "credit_code")
GROUPS = (
    (_("Names"), ("kind", "display_name", "legal_name", "short_name", "aliases", "credit_code")),
    (
        _("Person"),
        ("gender", "birthday", "identity_code", "occupation", "interests", "preferences"),
    ),
    (
        _("Classification"),
        (
            "grade",
            "status",
            "lifecycle_stage",
            "value_tier",
            "industry",
            "region",
            "source",
            "referred_by",
            "marketing_consent",
        ),
    ),
    (_("Tags and notes"), ("tags", "notes", "external_id")),
    (_("Owner"), ("owner", "team")),
)


def _custom_field(definition: CustomFieldDefinition) -> forms.Field:
    kind = definition.field_type
    common = {
        "label": definition.label,
        "required": definition.required,
        "help_text": definition.help_text,
    }
    if kind == CustomFieldType.NUMBER:
        return NumberField(min_value=definition.min_value, max_value=definition.max_value, **common)
    if kind == CustomFieldType.DATE:
        return forms.DateField(widget=DateInput(), **common)
    if kind == CustomFieldType.BOOLEAN:
        return forms.TypedChoiceField(
            choices=[("", "—"), ("true", _("yes")), ("false", _("no"))],
            coerce=lambda v: v == "true",
            empty_value=None,
            **common,
        )
    if kind == CustomFieldType.CHOICE:
        return forms.ChoiceField(choices=BLANK + [(c, c) for c in definition.choices], **common)
    if kind == CustomFieldType.MULTI_CHOICE:
        return forms.MultipleChoiceField(
            choices=[(c, c) for c in definition.choices],
            widget=forms.CheckboxSelectMultiple,
            **common,
        )
    return forms.CharField(max_length=definition.max_length or 1000, **common)


class CustomerForm(ServiceForm):
    kind = forms.ChoiceField(label=_("kind"), choices=CustomerKind.choices)
    display_name = forms.CharField(label=_("name"), max_length=200)
    legal_name = forms.CharField(label=_("legal name"), max_length=200, required=False)
    short_name = forms.CharField(label=_("short name"), max_length=100, required=False)
    aliases = ListTextField(
        label=_("aliases"), required=False, help_text=_("Separate several with commas.")
    )
    credit_code = forms.CharField(
        label=_("unified social credit code"), max_length=30, required=False
    )
    gender = forms.ChoiceField(label=_("gender"), choices=BLANK + Gender.choices, required=False)
    birthday = forms.DateField(label=_("birthday"), required=False, widget=DateInput())
    identity_code = forms.CharField(
        label=_("identity number"),
        max_length=40,
        required=False,
        help_text=_("Resident identity card (18 characters) or another document's number."),
    )
    occupation = forms.CharField(label=_("occupation"), max_length=100, required=False)
    interests = ListTextField(
        label=_("interests"), required=False, help_text=_("Separate several with commas.")
    )
    preferences = forms.CharField(
        label=_("preferences"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    grade = forms.ChoiceField(label=_("grade"), choices=Grade.choices, initial=Grade.NORMAL)
    status = forms.ChoiceField(label=_("status"), choices=Status.choices, initial=Status.ACTIVE)
    lifecycle_stage = forms.ChoiceField(
        label=_("lifecycle stage"), choices=LifecycleStage.choices, initial=LifecycleStage.PROSPECT
    )
    value_tier = forms.ChoiceField(
        label=_("value tier"), choices=BLANK + ValueTier.choices, required=False
    )
    industry = forms.CharField(label=_("industry"), max_length=100, required=False)
    region = forms.CharField(label=_("region"), max_length=100, required=False)
    source = forms.CharField(label=_("source"), max_length=100, required=False)
    tags = ListTextField(
        label=_("tags"), required=False, help_text=_("Separate several with commas.")
    )
    notes = forms.CharField(
        label=_("notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    external_id = forms.CharField(label=_("external id"), max_length=100, required=False)
    # A number, not a list: there may be a million customers.
    referred_by = forms.ModelChoiceField(
        label=_("referred by (customer number)"),
        queryset=Customer.objects.none(),
        required=False,
        widget=forms.NumberInput,
    )
    marketing_consent = forms.BooleanField(label=_("consents to marketing"), required=False)
    owner = forms.ModelChoiceField(label=_("owner"), queryset=User.objects.none(), required=False)
    team = forms.ModelChoiceField(label=_("team"), queryset=Team.objects.none(), required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        # The current owner and team stay choosable even when this user could not assign
        # them: otherwise saving any other change would silently clear them.
        current_owner = getattr(self.initial.get("owner"), "pk", self.initial.get("owner"))
        current_team = getattr(self.initial.get("team"), "pk", self.initial.get("team"))
        self.fields["owner"].queryset = user_list(user=user).filter(
            assignable_owner_q(user) | Q(pk=current_owner or 0)
        )
        teams = team_list(user=user)
        if not is_admin(user):
            teams = teams.filter(
                Q(pk__in=managed_team_ids(user)) | Q(pk=user.team_id or 0) | Q(pk=current_team or 0)
            )
        self.fields["team"].queryset = teams
        self.fields["referred_by"].queryset = selectors.customer_list(user=user)
        if not sees_contact_details(user):
            # An identity number is personal data, masked for this role: not shown, not sent.
            del self.fields["identity_code"]
        self.definitions = list(selectors.custom_field_list(user=user).filter(active=True))
        for definition in self.definitions:
            self.fields[f"cf_{definition.key}"] = _custom_field(definition)
        style_widgets(self)

    # -- layout ------------------------------------------------------------------------

    def groups(self) -> list[tuple[str, list[tuple[forms.BoundField, str]]]]:
        """The fields in titled groups, each with the kind of customer it belongs to."""
        out = [
            (str(title), [(self[n], self.field_kind(n)) for n in names if n in self.fields])
            for title, names in GROUPS
        ]
        custom = [(self[f"cf_{d.key}"], self.field_kind(f"cf_{d.key}")) for d in self.definitions]
        if custom:
            out.append((str(_("Custom fields")), custom))
        return out

    def field_kind(self, name: str) -> str:
        """Which kind of customer a field belongs to ("" for both)."""
        if name in PERSON_FIELDS:
            return CustomerKind.PERSON
        if name in ORGANISATION_FIELDS:
            return CustomerKind.ORGANISATION
        if name.startswith("cf_"):
            return next(
                (
                    ("" if d.applies_to == AppliesTo.ALL else d.applies_to)
                    for d in self.definitions
                    if f"cf_{d.key}" == name
                ),
                "",
            )
        return ""

    # -- to and from the service -------------------------------------------------------

    def field_for_error(self, key: str) -> str | None:
        if key.startswith("custom_fields."):
            name = "cf_" + key.split(".", 1)[1]
            return name if name in self.fields else None
        return super().field_for_error(key)

    def service_data(self) -> dict[str, Any]:
        data = super().service_data()
        kind = data.get("kind")
        custom: dict[str, Any] = {}
        for definition in self.definitions:
            value = data.pop(f"cf_{definition.key}", None)
            if definition.applies_to not in (AppliesTo.ALL, kind):
                continue
            if value in (None, "", []):
                continue
            if isinstance(value, dt.date):
                value = value.isoformat()
            custom[definition.key] = value
        data["custom_fields"] = custom
        if kind == CustomerKind.ORGANISATION:
            # Hidden for an organisation: what was typed before switching the kind is dropped.
            for name in PERSON_FIELDS:
                if name not in self.fields:
                    continue
                data[name] = [] if name == "interests" else (None if name == "birthday" else "")
        else:
            data["legal_name"] = data.get("legal_name") or ""
            data["credit_code"] = ""
        return data

    @staticmethod
    def initial_from(customer: Customer) -> dict[str, Any]:
        initial: dict[str, Any] = {
            name: getattr(customer, name)
            for name in (
                "kind",
                "display_name",
                "legal_name",
                "short_name",
                "aliases",
                "credit_code",
                "identity_code",
                "gender",
                "birthday",
                "occupation",
                "interests",
                "preferences",
                "grade",
                "status",
                "lifecycle_stage",
                "value_tier",
                "industry",
                "region",
                "source",
                "notes",
                "external_id",
                "owner",
                "team",
                "referred_by",
                "marketing_consent",
                "version",
            )
        }
        initial["tags"] = sorted(t.name for t in customer.tags.all())
        for key, value in (customer.custom_fields or {}).items():
            if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                value = dt.date.fromisoformat(value)
            elif isinstance(value, bool):
                value = "true" if value else "false"
            initial[f"cf_{key}"] = value
        return initial


class ContactPointForm(StyledForm):
    kind = forms.ChoiceField(label=_("kind"), choices=BLANK + ContactPointKind.choices)
    value = forms.CharField(label=_("value"), max_length=200, required=False)
    label = forms.CharField(label=_("label"), max_length=50, required=False)
    is_primary = forms.BooleanField(label=_("primary"), required=False)


class AddressForm(StyledForm):
    label = forms.CharField(label=_("label"), max_length=50, required=False)
    country = forms.ChoiceField(
        label=_("country or region"),
        choices=countries.country_choices,  # called when the form is made: the user's language
        required=False,
        initial=countries.DEFAULT,
    )
    province = forms.CharField(label=_("province"), max_length=50, required=False)
    city = forms.CharField(label=_("city"), max_length=50, required=False)
    district = forms.CharField(label=_("district"), max_length=50, required=False)
    street = forms.CharField(label=_("street"), max_length=200, required=False)
    postcode = forms.CharField(label=_("postcode"), max_length=12, required=False)
    is_primary = forms.BooleanField(label=_("primary"), required=False)

    def has_changed(self) -> bool:
        # The preset country alone does not make a blank row an address.
        return any(name != "country" for name in self.changed_data)


class _Rows(forms.BaseFormSet):
    label: Any = ""


ContactPointFormSet = forms.formset_factory(
    ContactPointForm, formset=_Rows, extra=1, can_delete=True, max_num=20, absolute_max=20
)
ContactPointFormSet.label = _("contact points")
AddressFormSet = forms.formset_factory(
    AddressForm, formset=_Rows, extra=1, can_delete=True, max_num=20, absolute_max=20
)
AddressFormSet.label = _("addresses")


class ContactForm(ServiceForm):
    name = forms.CharField(label=_("name"), max_length=100)
    title = forms.CharField(
        label=pgettext_lazy("job title", "title"), max_length=100, required=False
    )
    role = forms.ChoiceField(label=_("role"), choices=ContactRole.choices, initial="other")
    mobile = forms.CharField(label=_("mobile"), max_length=50, required=False)
    email = forms.CharField(label=_("e-mail"), max_length=200, required=False)
    notes = forms.CharField(
        label=_("notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    is_primary = forms.BooleanField(label=_("primary contact"), required=False)


class InteractionForm(ServiceForm):
    channel = forms.ChoiceField(label=_("channel"), choices=Channel.choices)
    direction = forms.ChoiceField(
        label=_("direction"), choices=Direction.choices, initial=Direction.OUTBOUND
    )
    purpose = forms.ChoiceField(label=_("purpose"), choices=Purpose.choices, initial="other")
    subject = forms.CharField(label=_("subject"), max_length=200)
    content = forms.CharField(
        label=_("content"),
        max_length=20000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    occurred_at = forms.DateTimeField(
        label=_("time"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("In your time zone; empty means now."),
    )
    duration_minutes = forms.IntegerField(
        label=_("duration (minutes)"), required=False, min_value=0, max_value=24 * 60
    )
    contact = forms.ModelChoiceField(
        label=_("contact"), queryset=Contact.objects.none(), required=False
    )
    outcome = forms.ChoiceField(label=_("outcome"), choices=BLANK + Outcome.choices, required=False)
    quality_rating = forms.TypedChoiceField(
        label=_("quality (1–5)"),
        choices=BLANK + [(str(i), str(i)) for i in range(1, 6)],
        coerce=int,
        empty_value=None,
        required=False,
    )

    def __init__(self, *args: Any, user: User, customer: Customer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if customer.kind == CustomerKind.ORGANISATION:
            self.fields["contact"].queryset = selectors.contact_list(user=user).filter(
                organisation_id=customer.pk
            )
        else:
            del self.fields["contact"]


class QuickInteractionForm(InteractionForm):
    """The short form on the 360° page: what happened, through which channel, when."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("duration_minutes", "outcome", "quality_rating", "contact"):
            self.fields.pop(name, None)


class NoteForm(ServiceForm):
    body = forms.CharField(
        label=_("note"), max_length=10000, widget=forms.Textarea(attrs={"rows": 2})
    )
