"""Web forms of products and orders. They only shape input: guanxi.sales.services validates,
checks permissions and audits."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from guanxi.core.web import DateInput, ServiceForm, StyledForm
from guanxi.customers.forms import NumberField
from guanxi.customers.models import Customer

from .models import OrderStatus, Product

MONEY = {"max_digits": 14, "decimal_places": 2, "min_value": Decimal("0")}


class ProductForm(ServiceForm):
    sku = forms.CharField(label=_("SKU"), max_length=64)
    name = forms.CharField(label=_("Name"), max_length=200)
    category = forms.CharField(label=_("Category"), max_length=100, required=False)
    description = forms.CharField(
        label=_("Description"), required=False, max_length=10000, widget=forms.Textarea
    )
    unit_price = NumberField(label=_("Unit price"), **MONEY)
    unit_cost = NumberField(label=_("Unit cost"), required=False, **MONEY)
    currency = forms.CharField(
        label=_("Currency"), max_length=3, min_length=3, initial=settings.DEFAULT_CURRENCY
    )
    active = forms.BooleanField(
        label=_("Active"),
        required=False,
        initial=True,
        help_text=_("Inactive products stay on past orders but cannot be ordered."),
    )


class ExchangeRateForm(ServiceForm):
    currency = forms.CharField(
        label=_("Currency"),
        max_length=3,
        min_length=3,
        help_text=_("Three letters, e.g. USD."),
    )
    valid_from = forms.DateField(
        label=_("Valid from"),
        widget=DateInput(),
        help_text=_("Orders from this day on, until the currency's next rate, are valued at it."),
    )
    rate = NumberField(
        label=_("Rate"),
        max_digits=18,
        decimal_places=8,
        min_value=Decimal("0.00000001"),
        error_messages={"min_value": _("Enter a rate above zero.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["rate"].help_text = _(
            "What one unit of the currency is worth in %(base)s, e.g. 7.1 for one USD."
        ) % {"base": settings.DEFAULT_CURRENCY}


class CustomerField(forms.ModelChoiceField):
    """A customer the user may see, entered by its number: a list of a million customers cannot
    be a drop-down."""

    widget = forms.NumberInput

    def label_from_instance(self, obj: Customer) -> str:
        return obj.display_name


class OrderForm(ServiceForm):
    customer = CustomerField(
        label=_("Customer"),
        queryset=Customer.objects.none(),
        help_text=_("The customer's number, shown on the customer's page."),
        error_messages={"invalid_choice": _("There is no customer with this number.")},
    )
    number = forms.CharField(
        label=_("Order number"),
        max_length=40,
        required=False,
        help_text=_("Leave empty to number the order automatically."),
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=OrderStatus.choices, initial=OrderStatus.PLACED
    )
    ordered_at = forms.DateTimeField(
        label=_("Ordered at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Leave empty for now."),
    )
    currency = forms.CharField(
        label=_("Currency"), max_length=3, min_length=3, initial=settings.DEFAULT_CURRENCY
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=10000, widget=forms.Textarea
    )

    def __init__(self, *args: Any, customers=None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if customers is not None:
            self.fields["customer"].queryset = customers

    def clean_currency(self) -> str:
        return self.cleaned_data["currency"].strip().upper()


class ProductChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Product) -> str:
        return f"{obj.name} ({obj.sku}) · {obj.unit_price} {obj.currency}"


class OrderLineForm(StyledForm):
    product = ProductChoiceField(
        label=_("Product"),
        queryset=Product.objects.none(),
        error_messages={"invalid_choice": _("Choose a product from the list.")},
    )
    quantity = forms.DecimalField(
        label=_("Quantity"),
        max_digits=12,
        decimal_places=3,
        min_value=Decimal("0.001"),
        initial=Decimal("1"),
    )
    unit_price = NumberField(label=_("Unit price"), required=False, **MONEY)

    def __init__(self, *args: Any, products=None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if products is not None:
            self.fields["product"].queryset = products


class BaseOrderLineFormSet(forms.BaseFormSet):
    label = _("Order lines")

    def __init__(self, *args: Any, products=None, **kwargs: Any) -> None:
        self.products = products
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        return {"products": self.products}

    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].widget.attrs["class"] = "form-check-input"


OrderLineFormSet = forms.formset_factory(
    OrderLineForm,
    formset=BaseOrderLineFormSet,
    extra=1,
    can_delete=True,
    max_num=500,
    absolute_max=500,
)


class OrderFilterForm(StyledForm):
    """The filters of the order list (GET); a bad value is reported and ignored."""

    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *OrderStatus.choices]
    )
    customer = forms.IntegerField(label=_("Customer number"), required=False, min_value=1)
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput())

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date must not be before the start date."))
        return data


class ProductFilterForm(StyledForm):
    category = forms.ChoiceField(label=_("Category"), required=False, choices=[])
    active = forms.ChoiceField(
        label=_("Active"),
        required=False,
        choices=[("", _("All")), ("yes", _("Active")), ("no", _("Inactive"))],
    )

    def __init__(self, *args: Any, categories: list[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("All")), *((c, c) for c in categories)]
