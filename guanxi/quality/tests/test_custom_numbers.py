"""Numbers in custom fields as people type them (1,234 / 1,234.5 / １２３４ / " 12 "), at
every entry point (the API, the customer form, an import); ambiguous or bad ones are refused
with a message that says how to write the number."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from guanxi.customers import normalize
from guanxi.customers import services as customer_services
from guanxi.customers.models import Customer

from .conftest import form_errors, post_form

pytestmark = pytest.mark.django_db

URL = "/api/v1/customers/"

GOOD = [
    ("1,234", 1234),
    ("1,234.5", 1234.5),
    ("１２３４", 1234),
    ("１，２３４．５", 1234.5),
    (" 12 ", 12),
    ("-1,234,567", -1234567),
    ("+7", 7),
    ("0.25", 0.25),
    (".5", 0.5),
    ("1 234", 1234),
    ("−3", -3),
]
BAD = ["1,23", "1,2345", "1.234,5", "12,34,567", "1,,234", "abc", "1..2", "1.2.3", ",5", "--1",
       "NaN", "Infinity", "1e3", "¥100", "12%"]  # fmt: skip


@pytest.fixture
def budget(two_teams):
    return customer_services.save_custom_field(
        actor=two_teams.admin,
        definition=None,
        data={"key": "budget", "label": "预算", "field_type": "number"},
    )


@pytest.mark.parametrize(("text", "number"), GOOD)
def test_the_normaliser_reads_numbers_as_people_type_them(text, number):
    assert normalize.parse_number(text) == number


@pytest.mark.parametrize("text", BAD)
def test_ambiguous_or_bad_numbers_are_refused_with_a_translated_message(text):
    with pytest.raises(ValidationError) as caught:
        normalize.parse_number(text)
    assert "1,234.5" in caught.value.messages[0]
    with translation.override("zh-hans"), pytest.raises(ValidationError) as caught:
        normalize.parse_number(text)
    assert "数字" in caught.value.messages[0], caught.value.messages


@pytest.mark.parametrize(("text", "number"), GOOD)
def test_the_api_takes_them(two_teams, api, budget, text, number):
    response = api(two_teams.rep_a).post(
        URL, {"display_name": "王芳", "custom_fields": {"budget": text}}, format="json"
    )
    assert response.status_code == 201, response.content
    assert Customer.objects.get().custom_fields == {"budget": number}


@pytest.mark.parametrize("text", ["1,23", "1.234,5"])
def test_the_api_refuses_ambiguous_ones_beside_the_field(two_teams, api, budget, text):
    response = api(two_teams.rep_a).post(
        URL, {"display_name": "王芳", "custom_fields": {"budget": text}}, format="json"
    )
    assert response.status_code == 400
    assert "1,234.5" in str(response.json()), response.json()


def test_the_api_still_takes_json_numbers(two_teams, api, budget):
    response = api(two_teams.rep_a).post(
        URL, {"display_name": "王芳", "custom_fields": {"budget": 1234.5}}, format="json"
    )
    assert response.status_code == 201, response.content
    assert Customer.objects.get().custom_fields == {"budget": 1234.5}


@pytest.mark.parametrize(("text", "number"), GOOD)
def test_the_form_takes_them(two_teams, web, budget, text, number):
    response = post_form(web(two_teams.rep_a), cf_budget=text)
    assert response.status_code == 302, form_errors(response)
    assert Customer.objects.get().custom_fields == {"budget": number}


def test_the_form_field_is_a_text_box_that_lets_commas_through(two_teams, web, budget):
    from django.urls import reverse

    page = web(two_teams.rep_a).get(reverse("customers:create")).content.decode()
    field = page[page.index('name="cf_budget"') - 200 : page.index('name="cf_budget"') + 200]
    assert 'type="text"' in field and 'inputmode="decimal"' in field, field


@pytest.mark.parametrize("text", ["1,23", "1.234,5"])
def test_the_form_refuses_ambiguous_ones_beside_the_field(two_teams, web, budget, text):
    response = post_form(web(two_teams.rep_a), cf_budget=text)
    assert response.status_code == 400
    errors = form_errors(response)
    assert "1,234.5" in " ".join(errors.get("cf_budget", [])), errors
    assert not Customer.objects.exists()


def test_an_import_takes_them_and_names_the_column_of_a_bad_one(
    two_teams, budget, django_capture_on_commit_callbacks
):
    import csv
    import io

    from guanxi.transfer import services as transfer_services

    buffer = io.StringIO()
    csv.writer(buffer).writerows(
        [["姓名", "预算"], ["甲", "1,234.5"], ["乙", "１２３４"], ["丙", " 12 "], ["丁", "1,23"]]
    )
    imp = transfer_services.upload_import(
        actor=two_teams.rep_a, filename="c.csv", content=buffer.getvalue().encode()
    )
    with django_capture_on_commit_callbacks(execute=True):
        transfer_services.start_import(
            actor=two_teams.rep_a,
            imp=imp,
            mapping={"0": "display_name", "1": "custom:budget"},
            mode="create",
            dry_run=False,
        )
    imp.refresh_from_db()
    assert imp.created_count == 3
    assert {c.display_name: c.custom_fields["budget"] for c in Customer.objects.all()} == {
        "甲": 1234.5, "乙": 1234, "丙": 12,
    }  # fmt: skip
    error = imp.errors.get()
    assert error.column == "预算" and "1,234.5" in error.message
