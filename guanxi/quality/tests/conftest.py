"""Shared helpers of the data quality tests."""

from __future__ import annotations

import pytest
from django.urls import reverse

from guanxi.customers import services as customer_services

GOOD_USCC = "91110108MA01A0B1CY"
GOOD_USCC_2 = "91310000MA1FL1234Q"
GOOD_RIC = "11010519491231002X"


@pytest.fixture
def web(client):
    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture
def customer_of(db):
    def make(user, **data):
        payload = {"kind": "person", "display_name": "张三"} | data
        return customer_services.create_customer(actor=user, data=payload)

    return make


def form_data(**overrides) -> dict:
    """A valid customer web form (one mobile), as the browser sends it."""
    data = {
        "kind": "person",
        "display_name": "王芳",
        "grade": "normal",
        "status": "active",
        "lifecycle_stage": "prospect",
        "contact_points-TOTAL_FORMS": "1",
        "contact_points-INITIAL_FORMS": "0",
        "contact_points-0-kind": "mobile",
        "contact_points-0-value": "13812345678",
        "addresses-TOTAL_FORMS": "0",
        "addresses-INITIAL_FORMS": "0",
    }
    data.update(overrides)
    return data


def post_form(client, **overrides):
    return client.post(reverse("customers:create"), form_data(**overrides))


def form_errors(response) -> dict[str, list[str]]:
    """Every message on the customer form page: form fields by name, formset rows as
    "contact_points.0.value" / "addresses.0.postcode", non-field ones under "__all__"."""
    out: dict[str, list[str]] = {}
    form = response.context["form"]
    for field, errors in form.errors.items():
        out[field] = list(errors)
    for name, formset in (response.context.get("formsets") or {}).items():
        for i, row in enumerate(formset.forms):
            for field, errors in row.errors.items():
                out[f"{name}.{i}.{field}"] = list(errors)
    return out
