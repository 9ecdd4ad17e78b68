"""Exact duplicates refused: credit codes always, phones and e-mails when the administrator makes
them unique — also when two users save at the same moment."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.urls import reverse

from guanxi.customers import services as customer_services
from guanxi.customers.models import ContactPoint, Customer, UniqueContactKey
from guanxi.quality import services

from .conftest import GOOD_USCC, form_errors, post_form

URL = "/api/v1/customers/"


def configure(admin, **data):
    row = services.get_settings()
    return services.save_settings(actor=admin, data=data, version=row.version)


def mobile(value):
    return {"contact_points": [{"kind": "mobile", "value": value}]}


@pytest.mark.django_db
def test_same_credit_code_names_the_customer_only_to_who_may_see_it(two_teams, api, customer_of):
    existing = customer_of(
        two_teams.rep_b, kind="organisation", display_name="远方贸易", credit_code=GOOD_USCC
    )
    payload = {"kind": "organisation", "display_name": "远方", "credit_code": GOOD_USCC}
    hidden = api(two_teams.rep_a).post(URL, payload, format="json")
    assert hidden.status_code == 400
    message = hidden.json()["credit_code"][0]
    assert "远方贸易" not in message and str(existing.pk) not in message
    assert "another team or user" in message or "其他" in message
    seen = api(two_teams.head_manager).post(URL, payload, format="json")
    assert seen.status_code == 400 and "远方贸易" in seen.json()["credit_code"][0]
    # In the recycle bin it no longer counts; restoring it while another has the code is refused.
    customer_services.delete_customer(actor=two_teams.rep_b, customer=existing)
    assert api(two_teams.rep_a).post(URL, payload, format="json").status_code == 201
    restore = api(two_teams.rep_b).post(f"{URL}{existing.pk}/restore/")
    assert restore.status_code == 400


@pytest.mark.django_db
def test_phone_uniqueness_off_by_default_then_refused_when_on(two_teams, api, web):
    client = api(two_teams.rep_a)
    assert (
        client.post(URL, {"display_name": "甲"} | mobile("13800138000"), format="json").status_code
        == 201
    )
    configure(two_teams.admin, unique_phone=False)
    second = client.post(URL, {"display_name": "乙"} | mobile("+86 138 0013 8000"), format="json")
    assert second.status_code == 201  # not unique yet: allowed
    refused = configure_expecting_error(two_teams.admin, unique_phone=True)
    assert "1" in refused["unique_phone"][0]
    Customer.objects.filter(display_name="乙").delete()
    configure(two_teams.admin, unique_phone=True)
    third = client.post(URL, {"display_name": "丙"} | mobile("138-0013-8000"), format="json")
    assert third.status_code == 400
    assert "甲" in third.json()["contact_points.0.value"][0]  # rep A may see 甲
    form = post_form(
        web(two_teams.rep_a), display_name="丁", **{"contact_points-0-value": "0086 13800138000"}
    )
    assert form.status_code == 400 and "contact_points.0.value" in form_errors(form)
    # Rep B may not see 甲: told it exists, not whose it is.
    other = api(two_teams.rep_b).post(
        URL, {"display_name": "戊"} | mobile("13800138000"), format="json"
    )
    assert other.status_code == 400
    assert "甲" not in other.json()["contact_points.0.value"][0]


def configure_expecting_error(admin, **data):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        configure(admin, **data)
    return error.value.message_dict


@pytest.mark.django_db
def test_switching_on_with_duplicates_is_refused_with_the_count(two_teams, customer_of, web):
    for name in ("甲", "乙"):
        customer_of(two_teams.rep_a, display_name=name, **mobile("13800138000"))
    for name in ("丙", "丁"):
        customer_of(
            two_teams.rep_a,
            display_name=name,
            contact_points=[{"kind": "email", "value": "a@b.cn"}],
        )
    errors = configure_expecting_error(two_teams.admin, unique_phone=True, unique_email=True)
    assert "1" in errors["unique_phone"][0] and "1" in errors["unique_email"][0]
    assert not services.get_settings().unique_phone
    page = web(two_teams.admin).post(
        reverse("quality:settings"),
        {
            "version": str(services.get_settings().version),
            "unique_phone": "on",
            "legal_suffixes": "有限公司",
            "person_name_min": "1",
            "person_name_max": "100",
            "organisation_name_min": "1",
            "organisation_name_max": "200",
            "cycle_vip_days": "90",
            "cycle_important_days": "180",
            "cycle_normal_days": "365",
            "incomplete_below": "60",
            "link_days": "14",
        },
    )
    assert page.status_code == 400 and "unique_phone" in page.context["form"].errors


@pytest.mark.django_db
def test_switching_on_claims_existing_numbers_and_off_releases_them(two_teams, customer_of):
    a = customer_of(
        two_teams.rep_a,
        display_name="甲",
        contact_points=[
            {"kind": "mobile", "value": "13800138000"},
            {"kind": "phone", "value": "13800138000"},  # the same number twice on one customer
        ],
    )
    customer_of(two_teams.rep_a, display_name="乙", **mobile("13900139000"))
    configure(two_teams.admin, unique_phone=True)
    assert UniqueContactKey.objects.count() == 2
    # The customer's own edit keeps working with its own number.
    customer_services.update_customer(
        actor=two_teams.rep_a, customer=a, data={"occupation": "教师"}, version=a.version
    )
    configure(two_teams.admin, unique_phone=False)
    assert UniqueContactKey.objects.count() == 0


@pytest.mark.django_db
def test_recycle_bin_releases_the_key_and_restore_is_refused_when_taken(
    two_teams, api, customer_of
):
    configure(two_teams.admin, unique_email=True)
    first = customer_of(
        two_teams.rep_a,
        display_name="甲",
        contact_points=[{"kind": "email", "value": "Wang@QQ.com"}],
    )
    customer_services.delete_customer(actor=two_teams.rep_a, customer=first)
    client = api(two_teams.rep_a)
    second = client.post(
        URL,
        {"display_name": "乙", "contact_points": [{"kind": "email", "value": "wang@qq.com"}]},
        format="json",
    )
    assert second.status_code == 201
    restore = client.post(f"{URL}{first.pk}/restore/")
    assert restore.status_code == 400
    assert "restored" in str(restore.json()) or "恢复" in str(restore.json())
    assert Customer.objects.get(pk=first.pk).deleted_at is not None
    customer_services.delete_customer(
        actor=two_teams.rep_a, customer=Customer.objects.get(pk=second.json()["id"])
    )
    assert client.post(f"{URL}{first.pk}/restore/").status_code == 200
    assert UniqueContactKey.objects.filter(contact_point__customer_id=first.pk).count() == 1


@pytest.mark.django_db
def test_a_moved_contact_point_keeps_its_key(two_teams, customer_of):
    """A merge moves contact points to the survivor: the key follows the row."""
    configure(two_teams.admin, unique_phone=True)
    loser = customer_of(two_teams.rep_a, display_name="甲", **mobile("13800138000"))
    survivor = customer_of(two_teams.rep_a, display_name="乙")
    ContactPoint.objects.filter(customer=loser).update(customer=survivor)
    key = UniqueContactKey.objects.get()
    assert key.contact_point.customer_id == survivor.pk
    with pytest.raises(ValidationError):
        customer_of(two_teams.rep_b, display_name="丙", **mobile("13800138000"))


@pytest.mark.skipif(connection.vendor != "sqlite", reason="threads share one SQLite file")
def test_two_simultaneous_creates_with_one_phone_make_one_customer(
    transactional_db, make_team, make_user
):
    from importlib import import_module

    from django.apps import apps

    from guanxi.accounts.models import Role

    if not Role.objects.exists():  # flushed by a transactional test that ran before this one
        import_module("guanxi.accounts.migrations.0002_default_roles").add_roles(apps, None)
    team = make_team("Sales")
    admin = make_user("boss", "admin", team)
    reps = [make_user(f"rep{i}", "sales", team) for i in range(6)]
    configure(admin, unique_phone=True)
    start = threading.Barrier(len(reps))
    results: list[str] = []

    def create(user):
        try:
            start.wait()
            customer_services.create_customer(
                actor=user, data={"display_name": f"客户{user.pk}", **mobile("13800138000")}
            )
            results.append("ok")
        except Exception as exc:  # a field error is the expected refusal
            from django.core.exceptions import ValidationError

            results.append("refused" if isinstance(exc, ValidationError) else repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=create, args=(user,)) for user in reps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(results) == ["ok"] + ["refused"] * (len(reps) - 1), results
    assert Customer.objects.filter(contact_points__normalized="+8613800138000").count() == 1


@pytest.mark.django_db
def test_unique_key_constraint_turns_into_a_field_error(two_teams, customer_of, monkeypatch):
    """When the check passes but the insert collides (another transaction won the race), the
    UNIQUE constraint refuses and the user gets a field message, not a 500."""
    configure(two_teams.admin, unique_phone=True)
    customer_of(two_teams.rep_a, display_name="甲", **mobile("13800138000"))
    from django.core.exceptions import ValidationError

    monkeypatch.setattr(customer_services, "_contact_key_clashes", lambda *a, **k: None)
    with pytest.raises(ValidationError) as error:
        customer_of(two_teams.rep_a, display_name="乙", **mobile("13800138000"))
    assert "contact_points.0.value" in error.value.message_dict
    assert Customer.objects.filter(display_name="乙").count() == 0


@pytest.mark.django_db
def test_same_credit_code_through_the_form(two_teams, web, customer_of):
    customer_of(
        two_teams.rep_b, kind="organisation", display_name="远方贸易", credit_code=GOOD_USCC
    )
    c = web(two_teams.rep_a)
    bad = post_form(c, kind="organisation", display_name="远方", credit_code=GOOD_USCC)
    assert bad.status_code == 400
    message = form_errors(bad)["credit_code"][0]
    assert "远方贸易" not in message
    good = post_form(
        c,
        kind="organisation",
        display_name="近邻",
        credit_code="91310000MA1FL1234Q",
        **{"contact_points-0-value": "13900139000"},
    )
    assert good.status_code == 302, form_errors(good)
