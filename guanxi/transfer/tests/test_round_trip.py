"""A customer list exported from Guanxi, edited in a spreadsheet and imported back: the edits
are applied and nothing else changes (no duplicates, no lost phones, e-mails, addresses,
aliases, WeChat, QQ, websites or custom field values)."""

import csv
import datetime as dt
import io

import pytest
from django.utils import translation

from guanxi.customers import services as customer_services
from guanxi.customers.models import Customer, CustomFieldDefinition
from guanxi.transfer import services
from guanxi.transfer.models import Export

pytestmark = pytest.mark.django_db

# The unified social credit codes of the customers (valid check digits).
CODE = "91110108551385082Q"


def _definitions():
    """A custom field of every type, one whose label is also a built-in column's header
    ("Source"), one for people only, and an inactive one (its values are kept, not exported)."""
    make = CustomFieldDefinition.objects.create
    make(key="referrer", label="介绍人", field_type="text", position=1)
    make(key="budget", label="Budget", field_type="number", position=2)
    make(key="signed_on", label="签约日期", field_type="date", position=3)
    make(key="vip_card", label="会员卡", field_type="boolean", position=4)
    make(key="channel", label="渠道类别", field_type="choice", choices=["线上", "线下"], position=5)
    make(key="likes", label="兴趣", field_type="multi_choice", choices=["书, 画", "茶", "酒"],
         position=6)  # fmt: skip
    make(key="fair", label="Source", field_type="text", position=7)
    make(key="hobby", label="爱好", field_type="text", applies_to="person", position=8)
    make(key="old_code", label="旧编号", field_type="text", active=False, position=9)


@pytest.fixture
def book(two_teams):
    """Two customers of team A with several phones and e-mails each, an address, tags, aliases,
    WeChat, QQ, websites and custom fields..."""
    rep = two_teams.rep_a
    _definitions()
    person = customer_services.create_customer(
        actor=rep,
        data={
            "display_name": "张三",
            "external_id": "C-001",
            "gender": "male",
            "birthday": dt.date(1990, 5, 4),
            "grade": "vip",
            "tags": ["老客户", "华东"],
            "notes": "=1+1 不是公式",
            "aliases": ["小张", "Zhang, San", "-老张"],
            "custom_fields": {
                "referrer": "=SUM(A1) 李四",
                "budget": 0.000001,
                "signed_on": "2024-03-31",
                "vip_card": True,
                "channel": "线上",
                "likes": ["书, 画", "茶"],
                "fair": "广交会",
                "hobby": "钓鱼",
            },
            "contact_points": [
                {"kind": "mobile", "value": "13800138000"},
                {"kind": "mobile", "value": "13900139000"},
                {"kind": "phone", "value": "010-62345678"},
                {"kind": "email", "value": "zhang@example.com"},
                {"kind": "email", "value": "san@example.org"},
                {"kind": "wechat", "value": "zhangsan_wx"},
                {"kind": "wechat", "value": "zs-1990"},
                {"kind": "qq", "value": "10001"},
            ],
            "addresses": [
                {
                    "province": "浙江",
                    "city": "杭州",
                    "district": "西湖区",
                    "street": "文三路1号",
                    "postcode": "310000",
                },
            ],
        },
    )
    company = customer_services.create_customer(
        actor=rep,
        data={
            "kind": "organisation",
            "display_name": "字节跳动",
            "legal_name": "北京字节跳动科技有限公司",
            "external_id": "C-002",
            "credit_code": CODE,
            "aliases": ["字节", "ByteDance"],
            "custom_fields": {"budget": -1234567.5, "vip_card": False, "likes": ["酒"]},
            "contact_points": [
                {"kind": "phone", "value": "010-58341234"},
                {"kind": "email", "value": "info@bytedance.example"},
                {"kind": "website", "value": "https://bytedance.example"},
                {"kind": "website", "value": "https://www.example.com/p?a=1,2;b=3"},
            ],
            "addresses": [{"country": "US", "city": "Boston", "street": "1 Main St"}],
        },
    )
    # A value of a field that is no longer in use stays with the customer.
    Customer.objects.filter(pk=company.pk).update(
        custom_fields={**company.custom_fields, "old_code": "X-9"}
    )
    company.refresh_from_db()
    return person, company


def _export(user, capture, file_format, language):
    with capture(execute=True):
        e = services.start_export(actor=user, file_format=file_format, language=language)
    e = Export.objects.get(pk=e.pk)
    assert e.status == "done", e.message
    return bytes(e.content)


FIELDS = ("kind", "display_name", "legal_name", "aliases", "external_id", "credit_code",
          "gender", "birthday", "grade", "notes", "custom_fields", "owner_id",
          "team_id")  # fmt: skip


def _snapshot():
    """Every customer with its contact points, addresses and tags, as comparable values."""
    out = {}
    for c in Customer.objects.prefetch_related("contact_points", "addresses", "tags"):
        out[c.pk] = {
            "fields": {f: getattr(c, f) for f in FIELDS},
            "points": sorted((p.kind, p.value, p.is_primary) for p in c.contact_points.all()),
            "addresses": sorted(
                (a.country, a.province, a.city, a.district, a.street, a.postcode, a.is_primary)
                for a in c.addresses.all()
            ),
            "tags": sorted(t.name for t in c.tags.all()),
            "version": c.version,
        }
    return out


def _csv_rows(content):
    text = content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline="")))


def _csv_bytes(rows):
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def _xlsx_rows(content):
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(content)).active
    return [["" if v is None else v for v in row] for row in sheet.iter_rows(values_only=True)]


def _xlsx_bytes(rows):
    from openpyxl import Workbook

    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


FORMATS = {"csv": (_csv_rows, _csv_bytes), "xlsx": (_xlsx_rows, _xlsx_bytes)}


KEYS = [("update", "external_id"), ("upsert", "phone"), ("update", "email"),
        ("upsert", "credit_code")]  # fmt: skip


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
@pytest.mark.parametrize(("mode", "key"), KEYS)
def test_an_unedited_export_imported_back_changes_nothing(
    two_teams, book, run_import, django_capture_on_commit_callbacks, language, file_format,
    mode, key,
):  # fmt: skip
    before = _snapshot()
    content = _export(two_teams.manager_a, django_capture_on_commit_callbacks, file_format,
                      language)  # fmt: skip
    with translation.override(language):
        imp = run_import(two_teams.manager_a, content, filename=f"customers.{file_format}",
                         mode=mode, key=key)  # fmt: skip
    assert imp.status == "done", imp.message
    errors = list(imp.errors.values_list("row_number", "column", "message"))
    if key == "credit_code":  # only the organisation has a code: the person's row is refused
        assert len(errors) == 1 and "empty" in errors[0][2]
        assert (imp.created_count, imp.updated_count, imp.skipped_count) == (0, 0, 1)
    else:
        assert errors == []
        assert (imp.created_count, imp.updated_count, imp.skipped_count) == (0, 0, 2)
    assert _snapshot() == before


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_edits_made_in_the_spreadsheet_are_applied_and_only_they(
    two_teams, book, run_import, django_capture_on_commit_callbacks, file_format
):
    person, company = book
    before = _snapshot()
    read, write = FORMATS[file_format]
    manager = two_teams.manager_a
    content = _export(manager, django_capture_on_commit_callbacks, file_format, "zh-hans")
    rows = read(content)
    header = rows[0]
    ext = header.index("外部编号")
    line = next(r for r in rows[1:] if r[ext] == "C-001")
    line[header.index("手机")] = f"{line[header.index('手机')]}; 13700137000"
    line[header.index("客户等级")] = "重要客户"
    line[header.index("市")] = "宁波"
    assert line[header.index("别名")] == "小张; Zhang, San; -老张"
    line[header.index("别名")] = "小张; -老张"  # an alias deleted in the spreadsheet
    line[header.index("微信")] = f"{line[header.index('微信')]}; new_wx"
    line[header.index("兴趣")] = "茶; 酒"
    line[header.index("签约日期")] = "2024/4/1"
    content = write(rows)
    imp = run_import(two_teams.manager_a, content, filename=f"customers.{file_format}",
                     mode="update", key="external_id")  # fmt: skip
    assert list(imp.errors.values_list("message", flat=True)) == []
    assert (imp.updated_count, imp.skipped_count) == (1, 1)
    after = _snapshot()
    assert after[company.pk] == before[company.pk]
    changed = after[person.pk]
    assert changed["fields"]["grade"] == "important"
    assert ("mobile", "13700137000", False) in changed["points"]
    assert len(changed["points"]) == len(before[person.pk]["points"]) + 2
    assert changed["addresses"] == [("CN", "浙江", "宁波", "西湖区", "文三路1号", "310000", True)]
    assert ("wechat", "new_wx", False) in changed["points"]
    assert changed["fields"]["aliases"] == ["小张", "-老张"]
    assert changed["fields"]["custom_fields"] == {
        **before[person.pk]["fields"]["custom_fields"], "likes": ["茶", "酒"],
        "signed_on": "2024-04-01",
    }  # fmt: skip
    assert Customer.objects.count() == 2


def test_the_export_headers_are_suggested_for_the_import_in_both_languages(
    two_teams, book, django_capture_on_commit_callbacks
):
    from guanxi.transfer.mapping import suggest

    for language in ("en", "zh-hans"):
        content = _export(two_teams.manager_a, django_capture_on_commit_callbacks, "csv", language)
        header = _csv_rows(content)[0]
        definitions = list(CustomFieldDefinition.objects.filter(active=True))
        mapped = {header[int(i)]: f for i, f in suggest(header, definitions).items()}
        fields = set(mapped.values())
        assert {"display_name", "kind", "external_id", "credit_code", "mobile", "phone", "email",
                "country", "province", "city", "street", "postcode", "tags", "owner",
                "notes", "aliases", "wechat", "qq",
                "website"} <= fields, (language, mapped)  # fmt: skip
        # One column per custom field in use, suggested for it (the "Source" field's header
        # says which it is, apart from the customer's own source).
        custom = {f for f in fields if f.startswith("custom:")}
        assert custom == {f"custom:{key}" for key in ("referrer", "budget", "signed_on",
                          "vip_card", "channel", "likes", "fair", "hobby")}  # fmt: skip
        assert "source" in fields
        # Columns Guanxi computes are not suggested: they are not the customer's data.
        assert len(fields) == len(mapped)


def test_a_role_that_sees_masked_contact_details_imports_its_own_export_back(
    two_teams, book, make_user, run_import, django_capture_on_commit_callbacks
):
    """Its file holds 138****8000, z***@example.com and ****: those are not values, and the
    rest of the row (here an edited grade) is imported."""
    from guanxi.accounts.models import Role

    Role.objects.create(
        code="clerk", name="Clerk", data_scope="all", can_view_contact_details=False,
        permissions={"customers": ["view", "change", "export"]},
    )  # fmt: skip
    clerk = make_user("clerk", "clerk", two_teams.head)
    person, company = book
    before = _snapshot()
    rows = _csv_rows(_export(clerk, django_capture_on_commit_callbacks, "csv", "en"))
    header = rows[0]
    assert "138****8000" in rows[1][header.index("Mobile")] + rows[2][header.index("Mobile")]
    line = next(r for r in rows[1:] if r[header.index("External id")] == "C-001")
    assert line[header.index("WeChat")] == "z***x; z***0" and line[header.index("QQ")] == "1***1"
    xlsx = _xlsx_rows(_export(clerk, django_capture_on_commit_callbacks, "xlsx", "en"))
    assert "zhangsan_wx" not in str(xlsx) and "z***x; z***0" in str(xlsx)
    line[header.index("Grade")] = "Normal"
    imp = run_import(clerk, _csv_bytes(rows), mode="update", key="external_id")
    assert list(imp.errors.values_list("column", "message")) == []
    assert (imp.updated_count, imp.skipped_count) == (1, 1)
    after = _snapshot()
    assert after[company.pk] == before[company.pk]
    assert after[person.pk]["fields"]["grade"] == "normal"
    for part in ("points", "addresses", "tags"):
        assert after[person.pk][part] == before[person.pk][part]


def test_a_bad_phone_added_to_an_existing_customer_names_its_column(
    two_teams, book, run_import, csv_bytes
):
    content = csv_bytes([["外部编号", "邮箱"], ["C-001", "zhang@example.com; wang@@example"]])
    imp = run_import(two_teams.rep_a, content, mode="update", key="external_id")
    assert list(imp.errors.values_list("column", flat=True)) == ["邮箱"]
    assert imp.updated_count == 0


@pytest.mark.parametrize("mode", ["update", "upsert"])
def test_a_phone_typed_before_the_known_ones_still_finds_the_customer(
    two_teams, book, run_import, csv_bytes, mode
):
    """Matched by phone, a row is the customer of any of its phones (or e-mails), not only of
    the first in the cell: a new number typed first makes no second customer."""
    person, _company = book
    content = csv_bytes(
        [
            ["名称", "手机", "邮箱"],
            ["张三", "13700137000; 13900139000", "new@example.com, san@example.org"],
        ]
    )
    for key in ("phone", "email"):
        imp = run_import(two_teams.manager_a, content, mode=mode, key=key)
        assert list(imp.errors.values_list("message", flat=True)) == []
        assert imp.created_count == 0
    assert Customer.objects.count() == 2
    values = set(person.contact_points.values_list("value", flat=True))
    assert {"13700137000", "new@example.com", "13800138000"} <= values


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_a_row_for_a_customer_changed_since_the_export_is_refused_not_written_over(
    two_teams, book, run_import, django_capture_on_commit_callbacks, file_format
):
    """Manager A exports the list and edits it in a spreadsheet; meanwhile the head of sales
    makes a customer VIP on its page. Importing the file back must not silently put the grade the
    file still holds over the head's change: the row of that customer is refused (a
    conflict, named in the error file), the other rows go through."""
    person, company = book
    read, write = FORMATS[file_format]
    content = _export(two_teams.manager_a, django_capture_on_commit_callbacks, file_format, "en")
    customer_services.update_customer(
        actor=two_teams.head_manager,
        customer=company,
        data={"grade": "vip"},
        version=Customer.objects.get(pk=company.pk).version,
    )
    rows = read(content)
    header = rows[0]
    ext = header.index("External id")
    for line in rows[1:]:
        line[header.index("Notes")] = "checked in the spreadsheet"
    imp = run_import(two_teams.manager_a, write(rows), filename=f"customers.{file_format}",
                     mode="update", key="external_id")  # fmt: skip
    assert imp.status == "done", imp.message
    errors = list(imp.errors.values_list("row_number", "message"))
    company_row = next(i for i, r in enumerate(rows) if r[ext] == "C-002") + 1
    assert [row for row, _m in errors] == [company_row]
    assert "changed" in errors[0][1]
    assert imp.updated_count == 1
    company.refresh_from_db()
    person.refresh_from_db()
    assert (company.grade, company.notes) == ("vip", "")
    assert person.notes == "checked in the spreadsheet"
    # The file as exported, imported again: each row would undo a later change: refused.
    again = run_import(two_teams.manager_a, content, filename=f"customers.{file_format}",
                       mode="update", key="external_id")  # fmt: skip
    assert again.errors.count() == 2 and again.updated_count == 0
    company.refresh_from_db()
    person.refresh_from_db()
    assert (company.grade, person.notes) == ("vip", "checked in the spreadsheet")
    # A row of an older version that changes nothing writes nothing over: it is skipped.
    rows = read(content)
    line = next(r for r in rows[1:] if r[ext] == "C-001")
    line[header.index("Notes")] = "checked in the spreadsheet"
    last = run_import(two_teams.manager_a, write([rows[0], line]),
                      filename=f"customers.{file_format}", mode="update",
                      key="external_id")  # fmt: skip
    assert list(last.errors.values_list("message", flat=True)) == []
    assert (last.updated_count, last.skipped_count) == (0, 1)
