"""Custom field definitions of customers (an administered setting): list, create, edit.
Administrators only; writes go through guanxi.customers.services.save_custom_field."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from guanxi.accounts.policies import is_admin
from guanxi.accounts.views import admin_required
from guanxi.core.web import ServiceForm, ServiceFormView
from guanxi.customers import selectors, services
from guanxi.customers.forms import NumberField
from guanxi.customers.models import AppliesTo, CustomFieldDefinition, CustomFieldType

NUMBER = {"max_digits": 20, "decimal_places": 6}


class ChoicesField(forms.CharField):
    """The choices of a choice field, one per line."""

    widget = forms.Textarea(attrs={"rows": 4})

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            return "\n".join(str(v) for v in value)
        return value

    def to_python(self, value: Any) -> list[str]:
        text = super().to_python(value) or ""
        return [line.strip() for line in text.splitlines() if line.strip()]


class CustomFieldForm(ServiceForm):
    key = forms.SlugField(
        label=_("Key"),
        max_length=50,
        help_text=_("Letters, digits, - and _; fixed once saved (imports and the API use it)."),
    )
    label = forms.CharField(label=_("Label"), max_length=100)
    field_type = forms.ChoiceField(label=_("Type"), choices=CustomFieldType.choices)
    applies_to = forms.ChoiceField(
        label=_("Applies to"), choices=AppliesTo.choices, initial=AppliesTo.ALL
    )
    required = forms.BooleanField(label=_("Required"), required=False)
    choices = ChoicesField(
        label=_("Choices"),
        required=False,
        help_text=_("For a choice field: one choice per line."),
    )
    max_length = forms.IntegerField(label=_("Maximum length"), required=False, min_value=1)
    min_value = NumberField(label=_("Minimum"), required=False, **NUMBER)
    max_value = NumberField(label=_("Maximum"), required=False, **NUMBER)
    pattern = forms.CharField(
        label=_("Pattern (regular expression)"), required=False, max_length=200
    )
    help_text = forms.CharField(label=_("Help text"), required=False, max_length=200)
    position = forms.IntegerField(label=_("Position"), min_value=0, initial=0)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            # The key is fixed once created: shown, not sent.
            self.fields["key"].disabled = True
            self.fields["key"].required = False

    def service_data(self) -> dict[str, Any]:
        data = super().service_data()
        if self.fields["key"].disabled:
            data.pop("key", None)
        return data


@admin_required
def custom_field_list(request: HttpRequest) -> HttpResponse:
    definitions = selectors.custom_field_list(user=request.user)
    return render(request, "customers/custom_fields.html", {"definitions": definitions})


class CustomFieldFormView(ServiceFormView):
    template_name = "customers/custom_fields_form.html"
    form_class = CustomFieldForm

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated and not is_admin(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self) -> dict[str, Any]:
        return {"editing": self.object is not None}

    def get_initial(self, obj: CustomFieldDefinition | None) -> dict[str, Any]:
        if obj is None:
            return {}
        return {
            "version": obj.version,
            **{f: getattr(obj, f) for f in services.CUSTOM_FIELD_FIELDS},
        }

    def call_service(self, data: dict[str, Any], version: int | None) -> CustomFieldDefinition:
        return services.save_custom_field(
            actor=self.request.user, definition=self.object, data=data, version=version
        )

    def get_success_url(self, result: CustomFieldDefinition) -> str:
        return reverse("customers:custom_field_list")

    def get_discard_url(self) -> str:
        return reverse("customers:custom_field_list")


class CustomFieldCreate(CustomFieldFormView):
    pass


class CustomFieldEdit(CustomFieldFormView):
    def get_object(self) -> CustomFieldDefinition:
        return selectors.custom_field_list(user=self.request.user).get(pk=self.kwargs["pk"])
