"""Imported customers are stored as create_customer stores one: search index, completeness,
unique phone/e-mail keys, audit events, ids never reused — through the bulk write path."""

from __future__ import annotations

import pytest
from django.db import connection

from guanxi.audit.models import AuditEvent
from guanxi.customers import search_index, selectors
from guanxi.customers import services as customer_services
from guanxi.customers.models import Customer, UniqueContactKey
from guanxi.quality import services as quality_services

pytestmark = pytest.mark.django_db

HEADER = ["姓名", "手机", "邮箱", "性别", "生日", "省", "市", "地址", "邮编"]


def person(i, mobile=None):
    return [f"导入客户{i}", mobile or f"1390013{i:04d}", f"p{i}@example.com", "女", "1990-05-04",
            "浙江省", "杭州市", f"文三路{i}号", "310000"]  # fmt: skip


def test_imported_customers_are_found_by_search_and_the_index_triggers_stay(
    two_teams, csv_bytes, run_import
):
    imp = run_import(two_teams.rep_a, csv_bytes([HEADER, *[person(i) for i in range(5)]]))
    assert imp.created_count == 5
    user = two_teams.rep_a
    for query in ("导入客户3", "daorukehu3", "139 0013 0003", "0130003", "p3@example.com"):
        found = selectors.search(selectors.customer_list(user=user), query, user=user)
        assert [c.display_name for c in found] == ["导入客户3"], query
    if connection.vendor == "sqlite":
        assert search_index.triggers_present()
    # A customer created afterwards one by one is indexed by the trigger as before.
    customer_services.create_customer(actor=user, data={"display_name": "后来的客户"})
    found = selectors.search(selectors.customer_list(user=user), "后来的", user=user)
    assert [c.display_name for c in found] == ["后来的客户"]


def test_imported_customer_has_the_completeness_create_customer_gives(
    two_teams, csv_bytes, run_import
):
    run_import(two_teams.rep_a, csv_bytes([HEADER, person(1)]))
    imported = Customer.objects.get(display_name="导入客户1")
    made = customer_services.create_customer(
        actor=two_teams.rep_a,
        data={
            "display_name": "手工客户",
            "gender": "female",
            "birthday": imported.birthday,
            "contact_points": [
                {"kind": "mobile", "value": "13900139999"},
                {"kind": "email", "value": "hand@example.com"},
            ],
            "addresses": [
                {
                    "province": "浙江省",
                    "city": "杭州市",
                    "street": "文三路1号",
                    "postcode": "310000",
                }
            ],
        },
    )
    assert imported.completeness > 0
    assert imported.completeness == made.completeness


def test_imported_customer_has_one_audit_event_with_its_data(two_teams, csv_bytes, run_import):
    imp = run_import(two_teams.rep_a, csv_bytes([HEADER, person(1)]))
    c = Customer.objects.get(display_name="导入客户1")
    event = AuditEvent.objects.get(object_type="customers.customer", object_id=str(c.pk))
    assert event.customer_id == c.pk and event.actor == two_teams.rep_a
    assert event.request_id == f"import:{imp.pk}" and event.source == "import"
    assert event.changes["birthday"] == [None, "1990-05-04"]
    assert event.changes["contact_points"] == [None, ["mobile:13900130001", "email:p1@example.com"]]
    assert event.changes["addresses"][1][0]["postcode"] == "310000"


def test_with_unique_phones_an_import_refuses_numbers_the_base_or_the_file_has(
    two_teams, csv_bytes, run_import
):
    row = quality_services.get_settings()
    quality_services.save_settings(
        actor=two_teams.admin, data={"unique_phone": True}, version=row.version
    )
    hidden = customer_services.create_customer(
        actor=two_teams.rep_b,
        data={
            "display_name": "别组客户",
            "contact_points": [{"kind": "mobile", "value": "13900130001"}],
        },
    )
    rows = [person(1), person(2), person(3, mobile="139 0013 0002")]
    imp = run_import(two_teams.rep_a, csv_bytes([HEADER, *rows]))
    assert (imp.created_count, imp.error_count) == (1, 2)
    errors = {e.row_number: (e.column, e.message) for e in imp.errors.all()}
    assert errors[2][0] == "手机" and "别组客户" not in errors[2][1]  # another team's: not named
    assert errors[4] == ("手机", "Row 3 has the same phone number or e-mail.")
    assert Customer.objects.filter(display_name="导入客户2").exists()
    assert not Customer.objects.filter(display_name__in=["导入客户1", "导入客户3"]).exists()
    keys = UniqueContactKey.objects.filter(normalized="+8613900130002")
    assert keys.get().contact_point.customer.display_name == "导入客户2"
    taken = UniqueContactKey.objects.get(normalized="+8613900130001")
    assert taken.contact_point.customer == hidden


def test_a_credit_code_twice_in_the_file_names_the_row_that_has_it_first(
    two_teams, csv_bytes, run_import
):
    header = ["公司名称", "统一社会信用代码"]
    code = "91110108MA01A0B1CY"
    rows = [
        ["甲公司有限公司", code],
        ["乙公司有限公司", "91310000MA1FL1234Q"],
        ["丙公司有限公司", code],
    ]
    imp = run_import(two_teams.rep_a, csv_bytes([header, *rows]), kind="organisation")
    assert (imp.created_count, imp.error_count) == (2, 1)
    error = imp.errors.get()
    assert (error.row_number, error.column) == (4, "统一社会信用代码")
    assert error.message == "The same unified social credit code is already in row 2."


def test_ids_of_purged_customers_are_never_given_again(two_teams, csv_bytes, run_import):
    user = two_teams.rep_a
    top = customer_services.create_customer(actor=user, data={"display_name": "最后一个"})
    top_id = top.pk
    Customer.objects.filter(pk=top_id).delete()  # purged for good
    run_import(user, csv_bytes([HEADER, person(1)]))
    assert Customer.objects.get(display_name="导入客户1").pk > top_id


def test_the_file_is_kept_apart_from_the_import_row_that_each_batch_updates(
    two_teams, csv_bytes, run_import
):
    from guanxi.transfer.models import Import, ImportFile

    content = csv_bytes([HEADER, person(1)])
    imp = run_import(two_teams.rep_a, content)
    assert "content" not in {f.name for f in Import._meta.concrete_fields}
    assert bytes(ImportFile.objects.get(import_run=imp).content) == content


@pytest.fixture
def race(two_teams, monkeypatch):
    """On PostgreSQL another transaction can claim a unique number between a batch's check
    and its insert. Simulated: with unique phones on and 13900130001 taken by another team's
    customer, the first check of a batch sees none of the base's numbers. Returns the list of
    checks made."""
    row = quality_services.get_settings()
    quality_services.save_settings(
        actor=two_teams.admin, data={"unique_phone": True}, version=row.version
    )
    customer_services.create_customer(
        actor=two_teams.rep_b,
        data={
            "display_name": "同时保存的客户",
            "contact_points": [{"kind": "mobile", "value": "13900130001"}],
        },
    )
    real = customer_services.new_contact_key_clashes
    calls = []

    def blind_first(**kwargs):
        calls.append(1)
        return {} if len(calls) == 1 else real(**kwargs)

    monkeypatch.setattr(customer_services, "new_contact_key_clashes", blind_first)
    return calls


def test_a_phone_taken_by_another_transaction_during_a_batch_is_that_rows_error_not_a_failed_job(
    two_teams, csv_bytes, run_import, race
):
    imp = run_import(two_teams.rep_a, csv_bytes([HEADER, person(1), person(2)]))
    assert len(race) == 2  # the batch ran again
    assert (imp.status, imp.created_count, imp.error_count) == ("done", 1, 1)
    assert [(e.row_number, e.column) for e in imp.errors.all()] == [(2, "手机")]
    assert list(Customer.objects.filter(display_name__startswith="导入客户").values_list(
        "display_name", flat=True)) == ["导入客户2"]  # fmt: skip
    assert UniqueContactKey.objects.filter(normalized="+8613900130001").count() == 1


def test_a_phone_taken_by_another_transaction_during_a_dry_run_is_that_rows_error_too(
    two_teams, csv_bytes, run_import, race
):
    """The dry run writes its batch as the import does (then rolls it back): the same race
    must end in a row error, not a failed dry run."""
    imp = run_import(two_teams.rep_a, csv_bytes([HEADER, person(1), person(2)]), dry_run=True)
    assert len(race) == 2  # the batch ran again
    assert (imp.status, imp.created_count, imp.error_count) == ("done", 1, 1)
    assert [(e.row_number, e.column) for e in imp.errors.all()] == [(2, "手机")]
    assert not Customer.objects.filter(display_name__startswith="导入客户").exists()
