"""Exports: visibility, masking, escaping, permission, audit, formats, API and pages."""

import csv
import io

import pytest
from django.urls import reverse

from guanxi.audit.models import AuditEvent
from guanxi.core.errors import PermissionDeniedError
from guanxi.customers import services as customer_services
from guanxi.transfer import services
from guanxi.transfer.models import Export

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(two_teams):
    def make(owner, name, phone, **extra):
        return customer_services.create_customer(
            actor=owner,
            data={
                "display_name": name,
                "contact_points": [
                    {"kind": "mobile", "value": phone},
                    {"kind": "email", "value": f"{phone}@example.com"},
                ],
                "addresses": [{"city": "北京", "street": "长安街1号"}],
                **extra,
            },
        )

    a1 = make(two_teams.rep_a, "甲一", "13800000001", grade="vip", notes="=cmd|' /C calc'!A0")
    a2 = make(two_teams.rep_a, "甲二", "13800000002")
    b1 = make(two_teams.rep_b, "乙一", "13900000001", grade="vip")
    return a1, a2, b1


def export(user, capture, **kwargs):
    with capture(execute=True):
        e = services.start_export(actor=user, **kwargs)
    return Export.objects.get(pk=e.pk)


def read_csv(e):
    text = bytes(e.content).decode("utf-8")
    assert text.startswith("\ufeff")  # a BOM: Excel reads the Chinese right
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))


def test_export_needs_the_export_permission(two_teams, book):
    with pytest.raises(PermissionDeniedError):  # a sales rep may not export
        services.start_export(actor=two_teams.rep_a, file_format="csv")
    assert services.start_export(actor=two_teams.manager_a, file_format="csv")


def test_export_respects_visibility_and_filters(
    two_teams, book, django_capture_on_commit_callbacks
):
    e = export(two_teams.manager_a, django_capture_on_commit_callbacks, file_format="csv")
    rows = read_csv(e)
    names = {r[2] for r in rows[1:]}
    assert names == {"甲一", "甲二"}  # team A only: rep B's customer is outside the scope
    assert e.status == "done" and e.rows_done == 2
    e = export(
        two_teams.head_manager, django_capture_on_commit_callbacks, file_format="csv",
        filters="grade=vip",
    )  # fmt: skip
    assert {r[2] for r in read_csv(e)[1:]} == {"甲一", "乙一"}
    e = export(two_teams.head_manager, django_capture_on_commit_callbacks, file_format="csv",
               filters="q=甲二")  # fmt: skip
    assert [r[2] for r in read_csv(e)[1:]] == ["甲二"]


def test_ticked_ids_outside_the_scope_are_left_out(
    two_teams, book, django_capture_on_commit_callbacks
):
    a1, _a2, b1 = book
    e = export(two_teams.manager_a, django_capture_on_commit_callbacks, file_format="csv",
               ids=[a1.pk, b1.pk, 999999])  # fmt: skip
    assert [r[2] for r in read_csv(e)[1:]] == ["甲一"]


def test_analyst_gets_masked_contact_details(two_teams, book, django_capture_on_commit_callbacks):
    e = export(two_teams.analyst, django_capture_on_commit_callbacks, file_format="csv",
               filters="q=甲一")  # fmt: skip
    header, row = read_csv(e)
    phone, email, street = row[8], row[10], row[header.index("Street address")]
    assert header[8:14] == ["Mobile", "Phone", "E-mail", "WeChat", "QQ", "Website"]
    assert phone == "138****0001" and email == "1***@example.com" and street == "****"
    assert "13800000001" not in bytes(e.content).decode("utf-8")
    e = export(two_teams.manager_a, django_capture_on_commit_callbacks, file_format="csv",
               filters="q=甲一")  # fmt: skip
    assert read_csv(e)[1][8] == "13800000001"


def test_formula_injection_is_neutralised(two_teams, book, django_capture_on_commit_callbacks):
    e = export(two_teams.manager_a, django_capture_on_commit_callbacks, file_format="csv",
               filters="q=甲一")  # fmt: skip
    row = read_csv(e)[1]
    assert row[-1] == "'=cmd|' /C calc'!A0"


def test_xlsx_export(two_teams, book, django_capture_on_commit_callbacks):
    from openpyxl import load_workbook

    e = export(two_teams.analyst, django_capture_on_commit_callbacks, file_format="xlsx")
    sheet = load_workbook(io.BytesIO(bytes(e.content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 4
    notes = next(row[-1] for row in sheet.iter_rows(min_row=2) if row[2].value == "甲一")
    # As typed, but a text cell with Excel's quote prefix: shown and kept as text, never run.
    assert notes.value == "=cmd|' /C calc'!A0" and notes.data_type == "s" and notes.quotePrefix
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    assert "138****0001" in [r[8] for r in rows]


def test_export_is_audited_with_rows_and_filters(
    two_teams, book, django_capture_on_commit_callbacks
):
    e = export(two_teams.manager_a, django_capture_on_commit_callbacks, file_format="csv",
               filters="grade=vip")  # fmt: skip
    event = AuditEvent.objects.get(object_type="transfer.export", object_id=str(e.pk))
    assert event.actor == two_teams.manager_a
    assert event.changes["rows"] == [None, 1] and event.changes["filters"] == [None, "grade=vip"]


@pytest.mark.parametrize(
    "kwargs,field",
    [
        ({"file_format": "pdf"}, "file_format"),
        ({"file_format": "csv", "ids": "1,2"}, "ids"),
        ({"file_format": "csv", "ids": ["x"]}, "ids"),
        ({"file_format": "csv", "filters": "q=" + "x" * 3000}, "filters"),
    ],
)
def test_bad_export_requests(two_teams, kwargs, field):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as info:
        services.start_export(actor=two_teams.manager_a, **kwargs)
    assert field in info.value.message_dict


def test_too_many_rows_fails_with_a_message(
    two_teams, book, settings, django_capture_on_commit_callbacks
):
    settings.EXPORT_MAX_ROWS = 1
    e = export(two_teams.manager_a, django_capture_on_commit_callbacks, file_format="csv")
    assert e.status == "failed" and "at most 1" in e.message


def test_download_only_by_its_author(two_teams, book, client, django_capture_on_commit_callbacks):
    e = export(two_teams.manager_a, django_capture_on_commit_callbacks, file_format="csv")
    url = reverse("transfer:export_download", args=[e.pk])
    client.force_login(two_teams.head_manager)
    assert client.get(url).status_code == 404
    client.force_login(two_teams.manager_a)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")


def test_export_from_the_list_page(two_teams, book, client, django_capture_on_commit_callbacks):
    client.force_login(two_teams.manager_a)
    page = client.get(reverse("customers:list"))
    assert reverse("transfer:export_create").encode() in page.content
    assert "To edit in Excel and import back, choose .xlsx" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("transfer:export_create"), {"file_format": "csv", "query": "grade=vip"}
        )
    assert response.status_code == 302 and response.url == reverse("transfer:export_list")
    e = Export.objects.get()
    assert e.filters == "grade=vip" and e.rows_done == 1
    assert client.get(reverse("transfer:export_list")).status_code == 200
    # A rep has no export button and cannot post one.
    client.force_login(two_teams.rep_a)
    assert (
        reverse("transfer:export_create").encode()
        not in client.get(reverse("customers:list")).content
    )
    assert client.post(reverse("transfer:export_create"), {"file_format": "csv"}).status_code == 403
    assert client.get(reverse("transfer:export_list")).status_code == 403


def test_export_selected_rows_from_the_list(
    two_teams, book, client, django_capture_on_commit_callbacks
):
    _a1, a2, _b1 = book
    client.force_login(two_teams.manager_a)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("transfer:export_create") + "?selected=1",
            {"file_format": "xlsx", "ids": [a2.pk], "action": "", "next": "/"},
        )
    e = Export.objects.get()
    assert e.ids == [a2.pk] and e.rows_done == 1
    # Nothing ticked: refused, not "everything".
    response = client.post(
        reverse("transfer:export_create") + "?selected=1", {"file_format": "csv"}, follow=True
    )
    assert Export.objects.count() == 1
    assert "Select at least one customer." in response.content.decode()
    page = client.get(reverse("customers:list"))
    assert b'formaction="/transfer/exports/new/?selected=1"' in page.content


def test_export_api(two_teams, book, api, django_capture_on_commit_callbacks):
    a1, _a2, b1 = book
    client = api(two_teams.manager_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/exports/", {"file_format": "csv", "ids": [a1.pk, b1.pk]}, format="json"
        )
    assert response.status_code == 202, response.content
    pk = response.json()["id"]
    detail = client.get(f"/api/v1/exports/{pk}/").json()
    assert detail["status"] == "done" and detail["rows_done"] == 1
    download = client.get(f"/api/v1/exports/{pk}/download/")
    assert download.status_code == 200 and "甲一".encode() in download.content
    assert (
        api(two_teams.rep_a)
        .post("/api/v1/exports/", {"file_format": "csv"}, format="json")
        .status_code
        == 403
    )
    assert api(two_teams.head_manager).get(f"/api/v1/exports/{pk}/").status_code == 404
    bad = client.post("/api/v1/exports/", {"file_format": "doc", "ids": ["a"]}, format="json")
    assert bad.status_code == 400 and set(bad.json()) >= {"file_format", "ids"}


def test_export_list_query_count(two_teams, book, client, django_assert_max_num_queries,
                                 django_capture_on_commit_callbacks):  # fmt: skip
    for _ in range(5):
        export(two_teams.manager_a, django_capture_on_commit_callbacks, file_format="csv")
    client.force_login(two_teams.manager_a)
    with django_assert_max_num_queries(8):
        assert client.get(reverse("transfer:export_list")).status_code == 200


def test_export_batches_use_a_constant_number_of_queries(
    two_teams, book, django_assert_max_num_queries
):
    from guanxi.customers.selectors import customer_list
    from guanxi.transfer.writers import batches, customer_row

    with django_assert_max_num_queries(12):
        for batch in batches(customer_list(user=two_teams.admin), 2):
            for c in batch:
                customer_row(two_teams.admin, c)


def test_old_files_are_deleted(two_teams, book, django_capture_on_commit_callbacks, csv_bytes):
    import datetime as dt

    from django.utils import timezone

    from guanxi.transfer.models import ImportFile

    e = export(two_teams.manager_a, django_capture_on_commit_callbacks, file_format="csv")
    imp = services.upload_import(
        actor=two_teams.rep_a, filename="a.csv", content=csv_bytes([["姓名"], ["x"]])
    )
    assert services.delete_old_files() == 0
    old = timezone.now() - dt.timedelta(days=8)
    Export.objects.filter(pk=e.pk).update(created_at=old)
    type(imp).objects.filter(pk=imp.pk).update(created_at=old)
    assert services.delete_old_files() == 2
    e.refresh_from_db()
    imp.refresh_from_db()
    assert e.file_deleted and bytes(e.content) == b""
    assert imp.file_deleted and not ImportFile.objects.filter(import_run=imp).exists()


# --- aliases, WeChat, QQ, websites and custom fields ---------------------------------------------


@pytest.fixture
def rich(two_teams):
    """A customer with aliases, WeChat, QQ, websites and a custom field of each type."""
    from guanxi.customers.models import CustomFieldDefinition

    make = CustomFieldDefinition.objects.create
    make(key="budget", label="预算", field_type="number", position=1)
    make(key="tiny", label="Tiny", field_type="number", position=2)
    make(key="signed_on", label="签约日期", field_type="date", position=3)
    make(key="vip_card", label="会员卡", field_type="boolean", position=4)
    make(key="likes", label="兴趣", field_type="multi_choice", choices=["书, 画", "茶"], position=5)
    make(key="referrer", label="介绍人", field_type="text", position=6)
    make(key="old_code", label="旧编号", field_type="text", active=False, position=7)
    return customer_services.create_customer(
        actor=two_teams.rep_a,
        data={
            "display_name": "丙三",
            "aliases": ['=HYPERLINK("http://x")', "小丙"],
            "contact_points": [
                {"kind": "wechat", "value": "bing_wx"},
                {"kind": "wechat", "value": "bing-2"},
                {"kind": "qq", "value": "12345"},
                {"kind": "website", "value": "https://bing.example"},
            ],
            "custom_fields": {
                "budget": 1234.5,
                "tiny": 0.000001,
                "signed_on": "2024-03-31",
                "vip_card": True,
                "likes": ["书, 画", "茶"],
                "referrer": "@李四",
            },
        },
    )


@pytest.mark.parametrize(
    ("language", "names", "yes"),
    [("en", ["Aliases", "WeChat", "QQ", "Website"], "yes"),
     ("zh-hans", ["别名", "微信", "QQ", "网站"], "是")],
)  # fmt: skip
def test_export_has_aliases_wechat_qq_website_and_custom_fields(
    two_teams, rich, django_capture_on_commit_callbacks, language, names, yes
):
    e = export(two_teams.manager_a, django_capture_on_commit_callbacks, file_format="csv",
               filters="q=丙三", language=language)  # fmt: skip
    header, row = read_csv(e)
    cells = dict(zip(header, row, strict=True))
    assert [cells[n] for n in names] == [
        '\'=HYPERLINK("http://x"); 小丙',
        "bing_wx; bing-2",
        "12345",
        "https://bing.example",
    ]
    # One column per custom field in use, after the customer's own, named by its label.
    assert header[-6:] == ["预算", "Tiny", "签约日期", "会员卡", "兴趣", "介绍人"]
    assert row[-6:] == ["1234.5", "0.000001", "2024-03-31", yes, "书, 画; 茶", "'@李四"]


def test_xlsx_export_of_custom_fields(two_teams, rich, django_capture_on_commit_callbacks):
    from openpyxl import load_workbook

    e = export(two_teams.manager_a, django_capture_on_commit_callbacks, file_format="xlsx",
               filters="q=丙三")  # fmt: skip
    sheet = load_workbook(io.BytesIO(bytes(e.content))).active
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    cells = dict(zip(header, next(sheet.iter_rows(min_row=2)), strict=True))
    assert cells["预算"].value == 1234.5 and cells["预算"].data_type == "n"  # a number: sums work
    assert cells["介绍人"].value == "@李四" and cells["介绍人"].quotePrefix
    assert cells["Aliases"].value == '=HYPERLINK("http://x"); 小丙'
    assert cells["Aliases"].data_type == "s" and cells["Aliases"].quotePrefix


def test_analyst_gets_masked_wechat_qq_and_website(
    two_teams, rich, django_capture_on_commit_callbacks
):
    e = export(two_teams.analyst, django_capture_on_commit_callbacks, file_format="csv",
               filters="q=丙三")  # fmt: skip
    header, row = read_csv(e)
    cells = dict(zip(header, row, strict=True))
    assert (cells["WeChat"], cells["QQ"], cells["Website"]) == ("b***x; b***2", "1***5", "h***e")
    text = bytes(e.content).decode("utf-8")
    assert "bing_wx" not in text and "12345" not in text and "bing.example" not in text
    assert cells["Aliases"].endswith("小丙")  # names are not contact details


def test_export_queries_do_not_grow_with_the_customers(two_teams, rich, django_assert_num_queries):
    """Aliases and custom field values are read with the customers' rows, WeChat, QQ and
    websites with the other contact points: a constant number of queries per batch."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count():
        e = services.start_export(actor=two_teams.manager_a, file_format="xlsx")
        with CaptureQueriesContext(connection) as queries:
            services.run_export(export_id=e.pk)
        assert Export.objects.get(pk=e.pk).status == "done"
        return len(queries)

    few = count()
    for i in range(12):
        customer_services.create_customer(
            actor=two_teams.rep_a,
            data={
                "display_name": f"丁{i}",
                "aliases": [f"小丁{i}"],
                "tags": [f"t{i}"],
                "custom_fields": {"budget": i, "likes": ["茶"]},
                "contact_points": [
                    {"kind": "mobile", "value": f"1380000{i:04d}"},
                    {"kind": "wechat", "value": f"ding{i}"},
                    {"kind": "website", "value": f"https://d{i}.example"},
                ],
                "addresses": [{"city": "上海"}],
            },
        )
    assert count() == few


def test_an_export_with_a_filter_that_does_not_apply_is_refused_not_made_of_everything(
    two_teams, book, client, django_capture_on_commit_callbacks
):
    """A segment the user cannot see (another manager's private one) or a filter value that
    does not exist would be left out by the list, which says so; an export made from such a
    query held every customer the user sees instead of the ones asked for."""
    from django.core.exceptions import ValidationError

    from guanxi.segments import services as segment_services

    private = segment_services.create_segment(
        actor=two_teams.head_manager,
        data={
            "name": "VIP only",
            "rules": {
                "type": "group",
                "op": "and",
                "rules": [
                    {"type": "condition", "field": "grade", "operator": "eq", "value": "vip"}
                ],
            },
        },
    )
    for query in (f"segment={private.pk}", "grade=emperor", "segment=abc"):
        with pytest.raises(ValidationError) as info:
            services.start_export(actor=two_teams.manager_a, file_format="csv", filters=query)
        assert "filters" in info.value.message_dict, query
    assert not Export.objects.exists()
    # The author of the segment exports it; how the list is sorted or paged does not matter.
    e = export(two_teams.head_manager, django_capture_on_commit_callbacks, file_format="csv",
               filters=f"segment={private.pk}&sort=bogus&per_page=7&cursor=x")  # fmt: skip
    assert {r[2] for r in read_csv(e)[1:]} == {"甲一", "乙一"}
    # From the list page: the message, and back on the list with the same filters.
    client.force_login(two_teams.manager_a)
    response = client.post(
        reverse("transfer:export_create"),
        {"file_format": "csv", "query": f"segment={private.pk}&grade=vip"},
    )
    assert response.status_code == 302
    assert response.url == reverse("customers:list") + f"?segment={private.pk}&grade=vip"
    page = client.get(response.url).content.decode()
    assert "Segment" in page and "The export was not started" in page
    assert Export.objects.count() == 1
    # And through the API: a 400 naming the field.
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(two_teams.manager_a)
    bad = api.post(
        "/api/v1/exports/", {"file_format": "csv", "filters": "grade=emperor"}, format="json"
    )
    assert bad.status_code == 400 and "filters" in bad.json()
