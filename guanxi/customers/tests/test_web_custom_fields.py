"""Custom field definitions in the web: administrators only; created and edited through
save_custom_field, with its messages beside the fields and nothing typed lost."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from guanxi.customers import services
from guanxi.customers.models import CustomFieldDefinition

pytestmark = pytest.mark.django_db


def field_post(**data) -> dict:
    return {
        "key": "",
        "label": "",
        "field_type": "text",
        "applies_to": "all",
        "choices": "",
        "max_length": "",
        "min_value": "",
        "max_value": "",
        "pattern": "",
        "help_text": "",
        "position": "0",
        "active": "on",
        **data,
    }


@pytest.fixture
def budget(two_teams) -> CustomFieldDefinition:
    return services.save_custom_field(
        actor=two_teams.admin,
        definition=None,
        data={"key": "budget", "label": "预算", "field_type": "number"},
    )


@pytest.mark.parametrize("who", ["rep_a", "head_manager", "analyst"])
def test_non_admins_get_403(two_teams, client, budget, who):
    client.force_login(getattr(two_teams, who))
    for url in (
        reverse("customers:custom_field_list"),
        reverse("customers:custom_field_create"),
        reverse("customers:custom_field_edit", args=[budget.pk]),
    ):
        assert client.get(url).status_code == 403
        assert client.post(url, field_post(key="x", label="x")).status_code == 403
    assert CustomFieldDefinition.objects.count() == 1


def test_admin_lists_creates_and_edits(two_teams, client, budget):
    client.force_login(two_teams.admin)
    assert "预算" in client.get(reverse("customers:custom_field_list")).content.decode()
    response = client.post(
        reverse("customers:custom_field_create"),
        field_post(key="industry_size", label="规模", field_type="choice", choices="大\n中\n小\n"),
    )
    assert response.status_code == 302
    size = CustomFieldDefinition.objects.get(key="industry_size")
    assert size.choices == ["大", "中", "小"]
    page = client.get(reverse("customers:custom_field_edit", args=[size.pk]))
    assert page.context["form"]["choices"].value() == "大\n中\n小"
    response = client.post(
        reverse("customers:custom_field_edit", args=[size.pk]),
        field_post(
            key="changed",
            label="企业规模",
            field_type="choice",
            choices="大\n小",
            version=size.version,
        ),
    )
    assert response.status_code == 302
    size.refresh_from_db()
    assert size.label == "企业规模" and size.key == "industry_size"  # the key does not change


def test_service_refusal_lands_on_the_field_and_keeps_input(two_teams, client):
    client.force_login(two_teams.admin)
    response = client.post(
        reverse("customers:custom_field_create"),
        field_post(key="level", label="客户级别", field_type="choice", pattern="(["),
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "choices" in errors
    assert "客户级别" in response.content.decode()
    assert not CustomFieldDefinition.objects.filter(key="level").exists()


def test_stale_edit_shows_the_conflict_page(two_teams, client, budget):
    client.force_login(two_teams.admin)
    data = field_post(label="年度预算", field_type="number", version=budget.version)
    services.save_custom_field(
        actor=two_teams.admin, definition=budget, data={"label": "预算额"}, version=budget.version
    )
    response = client.post(reverse("customers:custom_field_edit", args=[budget.pk]), data)
    assert response.status_code == 409
    budget.refresh_from_db()
    assert budget.label == "预算额"


def test_list_queries_do_not_grow(two_teams, client, budget):
    client.force_login(two_teams.admin)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("customers:custom_field_list"))
    for i in range(6):
        services.save_custom_field(
            actor=two_teams.admin,
            definition=None,
            data={"key": f"f{i}", "label": f"字段{i}", "field_type": "text"},
        )
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("customers:custom_field_list"))
    assert len(many.captured_queries) == len(few.captured_queries)


def test_number_limits_are_read_as_people_type_them(two_teams, client):
    client.force_login(two_teams.admin)
    data = field_post(key="budget", label="预算", field_type="number")
    response = client.post(
        reverse("customers:custom_field_create"),
        {**data, "min_value": "1,000", "max_value": "１２，０００．５"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    field = CustomFieldDefinition.objects.get(key="budget")
    assert (field.min_value, field.max_value) == (1000, Decimal("12000.5"))
    response = client.post(
        reverse("customers:custom_field_create"), {**data, "key": "b2", "min_value": "1,23"}
    )
    assert response.status_code == 400 and not CustomFieldDefinition.objects.filter(key="b2")
