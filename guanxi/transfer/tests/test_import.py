"""Imports: reading files, mapping suggestions, modes, dry run, errors, permissions, resume."""

import io

import pytest
from django.core.exceptions import ValidationError

from guanxi.audit.models import AuditEvent
from guanxi.core.errors import PermissionDeniedError
from guanxi.customers.models import ContactPoint, Customer
from guanxi.transfer import services
from guanxi.transfer.mapping import suggest
from guanxi.transfer.models import Import, ImportRowError

pytestmark = pytest.mark.django_db

HEADER = ["姓名", "手机", "邮箱", "标签", "备注"]


def rows(n, start=0):
    return [
        [f"客户{i}", f"1380013{i:04d}", f"c{i}@example.com", "老客户", ""]
        for i in range(start, start + n)
    ]


def test_suggestions_from_chinese_and_english_headers():
    headers = ["姓名", "手机号", "电子邮件", "统一社会信用代码", "公司名称", "External ID",
               "Birthday", "地址", "省", "市", "区", "邮编", "性别", "行业", "标签", "备注",
               "whatever"]  # fmt: skip
    mapping = suggest(headers, [])
    assert [mapping.get(str(i)) for i in range(len(headers))] == [
        "display_name", "mobile", "email", "credit_code", "legal_name", "external_id", "birthday",
        "street", "province", "city", "district", "postcode", "gender", "industry", "tags",
        "notes", None,
    ]  # fmt: skip


def test_suggestion_prefers_the_closer_header_whatever_the_column_order():
    """Guanxi's own export has 编号 (its record number) before 外部编号 (the external id): the
    external id is the column that says so, not the first that could be an id."""
    headers = ["编号", "类型", "名称", "注册名称", "外部编号", "备注"]
    mapping = suggest(headers, [])
    assert mapping.get("4") == "external_id" and "0" not in mapping
    assert mapping.get("2") == "display_name" and mapping.get("3") == "legal_name"
    assert suggest(["客户", "客户名称"], []) == {"1": "display_name"}


def test_a_header_that_is_the_fields_own_label_wins_the_field():
    """A sheet with a company column and a legal-name column: the column that names the field
    as Guanxi labels it (Legal name, 注册名称) gets it, not the looser "company name"."""
    assert suggest(["Company Name", "Legal name"], []).get("1") == "legal_name"
    assert suggest(["公司名称", "注册名称"], []).get("1") == "legal_name"
    assert suggest(["公司名称"], []) == {"0": "legal_name"}


@pytest.mark.parametrize(
    "text",
    [
        "姓名;手机;备注\n张三;13800138000;a,b\n李四;13800138001;c,d\n",
        "姓名\t手机\t备注\n张三\t13800138000\ta;b\n李四\t13800138001\tc|d\n",
        '姓名,手机,备注\n张三,13800138000,"a;b|c"\n李四,13800138001,"x, y"\n',
        "姓名|手机|备注\n张三|13800138000|a, b\n李四|13800138001|c; d\n",
    ],
)
def test_the_delimiter_is_the_one_that_splits_every_line_alike(two_teams, run_import, text):
    imp = run_import(two_teams.rep_a, text.encode())
    assert imp.created_count == 2 and imp.error_count == 0
    assert Customer.objects.get(display_name="张三").contact_points.get().value == "13800138000"


def test_a_file_of_one_column(two_teams, run_import):
    imp = run_import(two_teams.rep_a, "姓名\n张三\n'Ali' Khan\n".encode())
    assert imp.created_count == 2
    assert Customer.objects.filter(display_name="'Ali' Khan").exists()


def test_the_exports_formula_guard_is_taken_off_on_import(two_teams, csv_bytes, run_import):
    """An export writes '- 回访 for a cell that begins with -, so that a spreadsheet shows it as
    text; importing that file again stores "- 回访", not the apostrophe. An apostrophe before
    anything else is the customer's own."""
    content = csv_bytes(
        [["姓名", "手机", "备注"], ["'+Plus 工作室", "'+86 138 0013 8000", "'- 周五回访"],
         ["O'Neil", "13800138001", "'Tis fine"]]
    )  # fmt: skip
    imp = run_import(two_teams.rep_a, content)
    assert imp.created_count == 2, list(imp.errors.values_list("message", flat=True))
    plus = Customer.objects.get(display_name="+Plus 工作室")
    assert plus.notes == "- 周五回访"
    assert plus.contact_points.get().value == "+86 138 0013 8000"
    assert Customer.objects.get(display_name="O'Neil").notes == "'Tis fine"


def test_create_from_utf8_csv(two_teams, csv_bytes, run_import):
    imp = run_import(two_teams.rep_a, csv_bytes([HEADER, *rows(3)]))
    assert (imp.status, imp.created_count, imp.error_count) == ("done", 3, 0)
    c = Customer.objects.get(display_name="客户1")
    assert c.owner == two_teams.rep_a and c.team == two_teams.team_a
    assert c.pinyin == "kehu1"
    assert set(c.contact_points.values_list("kind", "normalized")) == {
        ("mobile", "+8613800130001"),
        ("email", "c1@example.com"),
    }
    assert [t.name for t in c.tags.all()] == ["老客户"]
    event = AuditEvent.objects.get(object_type="customers.customer", object_id=str(c.pk))
    assert event.source == "import" and event.request_id == f"import:{imp.pk}"
    assert event.changes["display_name"] == [None, "客户1"]
    assert event.actor == two_teams.rep_a


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk", "gb18030"])
def test_bom_and_gbk_are_detected(two_teams, csv_bytes, run_import, encoding):
    imp = run_import(two_teams.rep_a, csv_bytes([HEADER, *rows(2)], encoding=encoding))
    assert imp.created_count == 2, list(imp.errors.values_list("message", flat=True))
    assert Customer.objects.filter(display_name="客户0").exists()
    assert imp.encoding == {"utf-8-sig": "utf-8-sig"}.get(encoding, "gb18030")


@pytest.mark.parametrize(
    "text",
    ["1990-05-04", "1990/5/4", "1990年5月4日", "19900504", "1990-05-04T00:00:00",
     "1990-05-04 00:00:00", "1990/5/4 0:00", "1990-05-04 00:00"],
)  # fmt: skip
def test_dates_as_spreadsheets_and_databases_write_them(text):
    """A birthday written with its time of day (a database's DATETIME, Excel's 1990/5/4 0:00)
    is the date."""
    from guanxi.transfer.mapping import parse_date

    assert parse_date(text).isoformat() == "1990-05-04"


@pytest.mark.parametrize("text", ["1990-02-30", "5/4/1990", "1990-05-04 25:00", "33000"])
def test_what_is_no_date_is_refused(text):
    from guanxi.transfer.mapping import parse_date

    with pytest.raises(ValidationError):
        parse_date(text)


def test_xlsx_with_numbers_and_dates(two_teams, xlsx_bytes, run_import):
    import datetime as dt

    content = xlsx_bytes(
        [["Name", "Mobile", "Birthday"], ["Li Lei", 13800138000, dt.datetime(1990, 5, 4)]]
    )
    imp = run_import(two_teams.rep_a, content, filename="x.xlsx")
    assert imp.created_count == 1
    c = Customer.objects.get(display_name="Li Lei")
    assert c.birthday == dt.date(1990, 5, 4)
    assert c.contact_points.get().normalized == "+8613800138000"


def test_csv_quotes_doubled_inside_a_cell_far_down_the_file(two_teams, csv_bytes, run_import):
    """Excel writes a quote inside a quoted cell as two; the delimiter is guessed from the
    file's first 64 KB, and a quote far below it must still read as one quote."""
    rows = [["姓名", "手机", "备注"]]
    rows += [[f"客户{i}", f"138{i:08d}", "普通备注，没有引号"] for i in range(2000)]
    rows.append(["星光科技", "13912345678", '他说"明天签约", 好'])
    content = csv_bytes(rows)
    assert content.index(b'""') > 64 * 1024
    imp = run_import(two_teams.rep_a, content)
    assert imp.created_count == 2001 and imp.error_count == 0
    assert Customer.objects.get(display_name="星光科技").notes == '他说"明天签约", 好'


def _with_dimension(content: bytes, ref: str) -> bytes:
    """The workbook with its sheet's declared size (<dimension ref=...>) set to `ref`, as some
    programs write it wrongly; the cells are unchanged."""
    import re
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data, found = re.subn(
                    rb'<dimension ref="[^"]*" ?/>', f'<dimension ref="{ref}"/>'.encode(), data
                )
                assert found == 1
            target.writestr(item, data)
    return out.getvalue()


@pytest.mark.parametrize("ref", ["A1:B2", "A1", "A1:Z1048576"])
def test_xlsx_rows_are_read_whatever_size_the_sheet_declares(
    two_teams, xlsx_bytes, run_import, ref
):
    """A declared size smaller than the data must not drop rows or columns silently; a larger
    one must not add a million empty rows."""
    rows = [["Name", "Mobile", "E-mail"]] + [
        [f"Person {i}", f"138{i:08d}", f"p{i}@example.com"] for i in range(30)
    ]
    content = _with_dimension(xlsx_bytes(rows), ref)
    imp = run_import(two_teams.rep_a, content, filename="x.xlsx")
    assert imp.total_rows == 30
    assert imp.created_count == 30 and imp.error_count == 0
    last = Customer.objects.get(display_name="Person 29")
    assert {p.normalized for p in last.contact_points.all()} == {
        "+8613800000029",
        "p29@example.com",
    }


@pytest.mark.parametrize(
    "filename,content,message",
    [
        ("a.csv", b"", "empty"),
        ("a.csv", "姓名,手机\n".encode(), "no rows"),
        ("a.csv", b"\n\n", "empty"),
        ("a.csv", b"\x00\x01binary\x00stuff", "not a text"),
        ("a.csv", b"PK\x03\x04rest", "not a CSV"),
        ("a.csv", "姓名\n".encode("utf-16"), "UTF-16"),
        ("a.csv", b"\xc3\x28\xa0\xa1\xff\xfe\xfd", "encoding"),
        ("a.xlsx", "姓名,手机\n张三,1\n".encode(), "not an Excel"),
        ("a.xlsx", b"PK\x03\x04broken", "damaged"),
        ("a.pdf", b"%PDF-1.4", "Upload a CSV"),
        ("a.csv", "姓名,姓名\n张三,李四\n".encode(), "twice"),
    ],
)
def test_bad_files_are_refused_with_a_message(two_teams, filename, content, message):
    with pytest.raises(ValidationError) as info:
        services.upload_import(actor=two_teams.rep_a, filename=filename, content=content)
    assert message in " ".join(info.value.messages)
    assert not Import.objects.exists()


def test_a_big5_file_is_refused_rather_than_imported_as_garbled_names(two_teams):
    """Big5 (Traditional Chinese, Taiwan and Hong Kong) decodes as GB18030 without an error,
    into characters of GBK's user-defined areas (shown as boxes): 張三 became 昕 and a box,
    and would have been imported so."""
    content = "姓名,手機\n張三,13800000000\n陳七,13800000001\n".encode("big5")
    with pytest.raises(ValidationError) as info:
        services.upload_import(actor=two_teams.rep_a, filename="a.csv", content=content)
    assert "encoding" in " ".join(info.value.messages)
    assert not Import.objects.exists()
    # GBK with the characters a Chinese customer list has is still read.
    gbk = "姓名,手机,公司\n王小明,13800000000,北京星辰科技有限公司\n".encode("gbk")
    assert services.upload_import(actor=two_teams.rep_a, filename="b.csv", content=gbk)


def test_a_cell_too_long_to_read_is_refused_with_its_line_in_the_users_language(two_teams):
    """Python's csv module stops at a cell over its limit (128 KiB) with an English message:
    the user is told which line holds a cell too long for any field, in their language."""
    from django.utils import translation

    head = "姓名,手机,备注\n张三,13800138000,短\n"
    content = (head + "李四,13800138001," + "长" * 200_000 + "\n").encode()
    for language, expected in (("en", "Line 3"), ("zh-hans", "第 3 行")):
        with translation.override(language), pytest.raises(ValidationError) as info:
            services.upload_import(actor=two_teams.rep_a, filename="a.csv", content=content)
        text = " ".join(info.value.messages)
        assert expected in text and "field limit" not in text
    assert not Import.objects.exists()


def test_too_big_and_too_many_rows(two_teams, csv_bytes, settings):
    settings.IMPORT_MAX_FILE_SIZE = 100
    with pytest.raises(ValidationError, match="too big"):
        services.upload_import(actor=two_teams.rep_a, filename="a.csv", content=b"x" * 101)
    settings.IMPORT_MAX_FILE_SIZE = 10**6
    settings.IMPORT_MAX_ROWS = 2
    with pytest.raises(ValidationError, match="more than 2 rows"):
        services.upload_import(
            actor=two_teams.rep_a, filename="a.csv", content=csv_bytes([HEADER, *rows(3)])
        )
    settings.IMPORT_MAX_COLUMNS = 3
    with pytest.raises(ValidationError, match="columns"):
        services.upload_import(
            actor=two_teams.rep_a, filename="a.csv", content=csv_bytes([HEADER, *rows(1)])
        )


def test_zip_bomb_is_refused_before_opening(two_teams, settings):
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (20 * 2**20))
    with pytest.raises(ValidationError, match="zip bomb"):
        services.upload_import(actor=two_teams.rep_a, filename="a.xlsx", content=buffer.getvalue())
    settings.IMPORT_MAX_UNPACKED_SIZE = 2**20
    with pytest.raises(ValidationError, match="would unpack"):
        services.upload_import(actor=two_teams.rep_a, filename="a.xlsx", content=buffer.getvalue())


def test_bad_rows_are_reported_and_good_rows_imported(two_teams, csv_bytes, run_import):
    content = csv_bytes(
        [
            ["姓名", "手机", "邮箱", "生日", "等级"],
            ["张三", "13800138000", "zs@example.com", "1990-01-02", "VIP"],
            ["李四", "12345", "", "", ""],
            ["王五", "", "not-an-email", "", ""],
            ["", "13800138001", "", "", ""],
            ["赵六", "", "", "2099-01-01", "重要"],
            ["钱七", "", "", "1990年3月4日", "金牌"],
        ]
    )
    imp = run_import(two_teams.rep_a, content)
    assert (imp.created_count, imp.error_count) == (1, 5)
    errors = {e.row_number: (e.column, e.message) for e in imp.errors.all()}
    assert errors[3][0] == "手机" and "12345" in errors[3][1]
    assert errors[4][0] == "邮箱"
    assert errors[5][0] == "姓名"
    assert errors[6][0] == "生日" and "future" in errors[6][1]
    assert errors[7][0] == "等级"
    assert Customer.objects.get().grade == "vip"


def test_every_error_of_a_row_is_reported_at_once(two_teams, csv_bytes, run_import):
    """A row with several mistakes lists them all, so the user fixes the file once: the cells
    that cannot be read (a date, a choice), and, in a row that can be read, everything the
    customers' rules refuse (phone, e-mail, postcode, credit code, birthday)."""
    from guanxi.transfer import writers

    content = csv_bytes(
        [
            ["姓名", "手机", "邮箱", "生日", "等级", "邮编", "性别"],
            ["张三", "13800138000", "", "32/13/2020", "金牌", "", "不详"],
            ["李四", "12345", "not-an-email", "2099-01-01", "", "1000", ""],
            ["王五", "12345", "", "2020年13月1日", "", "", ""],
        ]
    )
    imp = run_import(two_teams.rep_a, content)
    assert (imp.created_count, imp.error_count) == (0, 3)
    by_row: dict[int, set[str]] = {}
    for error in imp.errors.all():
        by_row.setdefault(error.row_number, set()).add(error.column)
    assert by_row[2] == {"生日", "等级", "性别"}
    assert by_row[3] == {"手机", "邮箱", "生日", "邮编"}
    # An unreadable date, and the rest of the row checked all the same.
    assert by_row[4] == {"生日", "手机"}
    lines = writers.error_file(imp, imp.errors.all()).decode("utf-8-sig").splitlines()
    assert len(lines) == 4  # the header and one line per row, with all its messages
    assert all(column in lines[2] for column in ("手机:", "邮箱:", "生日:", "邮编:"))


def test_nul_characters_in_cells_are_dropped(two_teams, run_import):
    """A CSV may hold NUL characters (past the first bytes, which would mark it as binary);
    no field can, and PostgreSQL cannot store one: they are dropped, not a failed job."""
    head = "姓名,备注\n" + "".join(f"客户{i},ok\n" for i in range(6000))  # > 64 KiB
    content = (head + "王\x00芳,a\x00b\n").encode("utf-8")
    imp = run_import(two_teams.rep_a, content)
    assert imp.status == "done" and imp.error_count == 0
    assert Customer.objects.filter(display_name="王芳", notes="ab").exists()


def test_errors_are_in_the_users_language(two_teams, csv_bytes, django_capture_on_commit_callbacks):
    content = csv_bytes([["姓名", "手机"], ["李四", "12345"]])
    imp = services.upload_import(
        actor=two_teams.rep_a, filename="a.csv", content=content, language="zh-hans"
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.start_import(
            actor=two_teams.rep_a, imp=imp, mapping={"0": "display_name", "1": "mobile"},
            mode="create",
        )  # fmt: skip
    imp = Import.objects.get(pk=imp.pk)
    assert "不是" in imp.errors.get().message or "电话" in imp.errors.get().message


def test_error_file_has_the_original_row_and_the_error(two_teams, csv_bytes, run_import):
    from guanxi.transfer import writers

    imp = run_import(
        two_teams.rep_a, csv_bytes([["姓名", "手机"], ["李四", "12345"], ["=cmd", "1"]])
    )
    text = writers.error_file(imp, imp.errors.all()).decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0].startswith("Row,姓名,手机,Error")
    assert lines[1].startswith("2,李四,12345,")
    assert lines[2].startswith("3,'=cmd,1,")  # the row's own text is neutralised too


def test_dry_run_writes_nothing_and_reports(
    two_teams, csv_bytes, run_import, django_capture_on_commit_callbacks
):
    content = csv_bytes([HEADER, *rows(3), ["坏", "123", "", "", ""]])
    before = AuditEvent.objects.count()
    imp = run_import(two_teams.rep_a, content, dry_run=True)
    assert (imp.created_count, imp.error_count) == (3, 1)
    assert imp.preview["created"][0] == [2, "客户0"]
    assert imp.preview["errors"][0][0] == 5
    assert not Customer.objects.exists()
    assert not ContactPoint.objects.exists()
    assert AuditEvent.objects.count() == before + 1  # the upload only
    # Then for real, with the same mapping.
    with django_capture_on_commit_callbacks(execute=True):
        services.start_import(
            actor=two_teams.rep_a, imp=imp, mapping=imp.mapping, mode="create", dry_run=False
        )
    imp.refresh_from_db()
    assert (imp.created_count, imp.error_count, Customer.objects.count()) == (3, 1, 3)


def test_upsert_by_external_id_updates_and_dedupes_within_file(two_teams, csv_bytes, run_import):
    first = csv_bytes([["外部编号", "姓名", "手机"], ["A1", "甲", "13800138000"]])
    run_import(two_teams.rep_a, first)
    content = csv_bytes(
        [
            ["外部编号", "姓名", "邮箱"],
            ["A1", "甲（新）", "a@example.com"],
            ["B2", "乙", ""],
            ["B2", "乙二", "b@example.com"],
        ]
    )
    imp = run_import(two_teams.rep_a, content, mode="upsert", key="external_id")
    assert imp.status == "done", imp.message
    assert (imp.created_count, imp.updated_count, imp.error_count) == (1, 2, 0)
    a = Customer.objects.get(external_id="A1")
    assert a.display_name == "甲（新）" or a.display_name == "甲(新)"
    # The phone it had is kept; the e-mail is added.
    assert set(a.contact_points.values_list("kind", flat=True)) == {"mobile", "email"}
    b = Customer.objects.get(external_id="B2")
    assert b.display_name == "乙二"
    assert Customer.objects.filter(external_id="B2").count() == 1


def test_upsert_dry_run_counts_duplicates_in_file_once(two_teams, csv_bytes, run_import, settings):
    settings.IMPORT_BATCH_SIZE = 2  # the duplicate falls into another batch
    content = csv_bytes([["外部编号", "姓名"], ["X", "a"], ["Y", "b"], ["X", "c"]])
    imp = run_import(two_teams.rep_a, content, mode="upsert", key="external_id", dry_run=True)
    assert (imp.created_count, imp.updated_count) == (2, 1)


def test_create_mode_refuses_existing_key_and_repeats(two_teams, csv_bytes, run_import):
    run_import(two_teams.rep_a, csv_bytes([["手机", "姓名"], ["13800138000", "甲"]]))
    content = csv_bytes(
        [
            ["手机", "姓名"],
            ["138 0013 8000", "甲2"],
            ["13900139000", "乙"],
            ["+86 139-0013-9000", "乙2"],
        ]
    )
    imp = run_import(two_teams.rep_a, content, mode="create", key="phone")
    assert (imp.created_count, imp.error_count) == (1, 2)
    messages = list(imp.errors.order_by("row_number").values_list("message", flat=True))
    assert "already exists" in messages[0] and "row 3" in messages[1]


def test_an_update_by_a_phone_two_customers_share_is_refused_not_applied_to_the_oldest(
    two_teams, csv_bytes, run_import
):
    """A family's landline: the phone does not say which customer the row means."""
    run_import(
        two_teams.rep_a,
        csv_bytes([["手机", "姓名"], ["13800138000", "陈七"], ["13800138000", "王小明"]]),
    )
    run_import(two_teams.rep_a, csv_bytes([["手机", "姓名"], ["13900139000", "乙"]]))
    content = csv_bytes(
        [["手机", "行业", "姓名"], ["138 0013 8000", "制造", "陈七"], ["13900139000", "零售", "乙"]]
    )
    for mode in ("update", "upsert"):
        imp = run_import(
            two_teams.rep_a, content, mode=mode, key="phone",
            mapping={"0": "mobile", "1": "industry", "2": "display_name"},
        )  # fmt: skip
        assert (imp.updated_count + imp.skipped_count, imp.error_count) == (1, 1)
        error = imp.errors.get()
        assert (error.row_number, error.column) == (2, "手机")
        assert "More than one customer has this" in error.message
        assert set(Customer.objects.filter(industry="制造")) == set()
    assert Customer.objects.get(display_name="乙").industry == "零售"
    assert Customer.objects.count() == 3


def test_update_mode_cannot_touch_another_reps_customer(two_teams, csv_bytes, run_import):
    run_import(two_teams.rep_b, csv_bytes([["外部编号", "姓名"], ["B-1", "乙的客户"]]))
    run_import(two_teams.rep_a, csv_bytes([["外部编号", "姓名"], ["A-1", "甲的客户"]]))
    content = csv_bytes([["外部编号", "行业"], ["B-1", "制造"], ["A-1", "零售"], ["Z-9", "x"]])
    imp = run_import(two_teams.rep_a, content, mode="update", key="external_id",
                     mapping={"0": "external_id", "1": "industry"})  # fmt: skip
    assert (imp.updated_count, imp.error_count) == (1, 2)
    assert set(imp.errors.values_list("message", flat=True)) == {"Customer not found or not yours."}
    assert Customer.objects.get(external_id="B-1").industry == ""
    assert Customer.objects.get(external_id="A-1").industry == "零售"
    # The manager over both teams may.
    imp = run_import(two_teams.head_manager, content, mode="update", key="external_id",
                     mapping={"0": "external_id", "1": "industry"})  # fmt: skip
    assert (imp.updated_count, imp.skipped_count) == (1, 1)  # A-1 has that industry already
    assert Customer.objects.get(external_id="B-1").industry == "制造"


def test_a_customer_updated_twice_in_one_batch(two_teams, csv_bytes, run_import):
    run_import(two_teams.rep_a, csv_bytes([["外部编号", "姓名"], ["K", "甲"]]))
    content = csv_bytes([["外部编号", "行业", "标签"], ["K", "制造", "a"], ["K", "零售", "b"]])
    imp = run_import(two_teams.rep_a, content, mode="update", key="external_id",
                     mapping={"0": "external_id", "1": "industry", "2": "tags"})  # fmt: skip
    assert (imp.updated_count, imp.error_count) == (2, 0)
    customer = Customer.objects.get(external_id="K")
    assert customer.industry == "零售" and sorted(t.name for t in customer.tags.all()) == ["a", "b"]


def test_a_version_column_is_read_as_a_whole_number(two_teams, csv_bytes, run_import):
    """The export's version column (版本): a bad cell is the row's error; a good one is the
    version the row was exported at (1 here, as the customer has it: the row is applied)."""
    run_import(two_teams.rep_a, csv_bytes([["外部编号", "姓名"], ["K", "甲"], ["L", "乙"]]))
    content = csv_bytes([["外部编号", "行业", "版本"], ["K", "制造", "1"], ["L", "零售", "一"]])
    imp = run_import(two_teams.rep_a, content, mode="update", key="external_id")
    assert imp.mapping == {"0": "external_id", "1": "industry", "2": "version"}
    assert (imp.updated_count, imp.error_count) == (1, 1)
    assert list(imp.errors.values_list("row_number", "column")) == [(3, "版本")]
    assert Customer.objects.get(external_id="K").industry == "制造"
    assert Customer.objects.get(external_id="L").industry == ""


def test_unchanged_rows_are_skipped(two_teams, csv_bytes, run_import):
    content = csv_bytes([["外部编号", "姓名"], ["K", "甲"]])
    run_import(two_teams.rep_a, content)
    imp = run_import(two_teams.rep_a, content, mode="upsert", key="external_id")
    assert (imp.created_count, imp.updated_count, imp.skipped_count) == (0, 0, 1)


def test_owner_column_and_scope(two_teams, csv_bytes, run_import):
    content = csv_bytes(
        [["姓名", "负责人"], ["甲", "rep_a"], ["乙", "rep_b"], ["丙", "nobody"], ["丁", ""]]
    )
    imp = run_import(two_teams.rep_a, content)
    assert imp.created_count == 2
    assert {c.display_name: c.owner.username for c in Customer.objects.all()} == {
        "甲": "rep_a",
        "丁": "rep_a",
    }
    messages = sorted(imp.errors.values_list("message", flat=True))
    assert any("nobody" in m for m in messages)
    assert any("cannot assign" in m for m in messages)
    imp = run_import(two_teams.manager_a, csv_bytes([["姓名", "负责人"], ["戊", "rep_a"]]))
    assert Customer.objects.get(display_name="戊").owner == two_teams.rep_a


def test_organisations_with_credit_code(two_teams, csv_bytes, run_import):
    from guanxi.core.demo import credit_code

    good, other = credit_code(1), credit_code(2)
    content = csv_bytes(
        [
            ["公司名称", "统一社会信用代码", "类型"],
            ["北京甲科技有限公司", good, "企业"],
            ["乙公司", "91110000000000000X", "公司"],
            ["丙公司", good, "企业"],
            ["丁公司", other, "个人"],
        ]
    )
    imp = run_import(two_teams.rep_a, content, kind="column")
    assert imp.created_count == 2, list(imp.errors.values_list("message", flat=True))
    c = Customer.objects.get(credit_code=good)
    assert c.kind == "organisation" and c.display_name == "北京甲科技有限公司"
    assert c.name_key == "甲科技"
    messages = " ".join(imp.errors.values_list("message", flat=True))
    assert "not a valid unified social credit code" in messages
    assert "The same unified social credit code is already in row 2." in messages


def test_mapping_and_options_are_validated(two_teams, csv_bytes):
    imp = services.upload_import(
        actor=two_teams.rep_a, filename="a.csv", content=csv_bytes([HEADER, *rows(1)])
    )
    cases = [
        ({"0": "nonsense"}, "create", "", "mapping"),
        ({"9": "display_name"}, "create", "", "mapping"),
        ({"0": "display_name", "1": "display_name"}, "create", "", "mapping"),
        ({"1": "mobile"}, "create", "", "mapping"),
        ({"0": "display_name"}, "update", "", "key"),
        ({"0": "display_name"}, "upsert", "email", "key"),
        ({"0": "display_name"}, "bogus", "", "mode"),
        ([], "create", "", "mapping"),
    ]
    for mapping, mode, key, field in cases:
        with pytest.raises(ValidationError) as info:
            services.start_import(
                actor=two_teams.rep_a, imp=imp, mapping=mapping, mode=mode, key=key
            )
        assert field in info.value.message_dict, (mapping, mode, key)
    with pytest.raises(ValidationError) as info:
        services.start_import(
            actor=two_teams.rep_a, imp=imp, mapping={"0": "display_name"}, mode="create",
            kind="column",
        )  # fmt: skip
    assert "kind" in info.value.message_dict


def test_permissions(two_teams, csv_bytes, make_user):
    content = csv_bytes([HEADER, *rows(1)])
    with pytest.raises(PermissionDeniedError):  # analyst: view and export only
        services.upload_import(actor=two_teams.analyst, filename="a.csv", content=content)
    service_user = make_user("svc", "service", two_teams.team_a)  # may change, not create
    imp = services.upload_import(actor=service_user, filename="a.csv", content=content)
    with pytest.raises(PermissionDeniedError):
        services.start_import(
            actor=service_user, imp=imp, mapping={"0": "display_name"}, mode="create"
        )
    with pytest.raises(PermissionDeniedError):
        services.start_import(
            actor=service_user, imp=imp, mapping={"0": "display_name"}, mode="upsert",
            key="email",
        )  # fmt: skip
    # Another user cannot start someone else's upload.
    with pytest.raises(PermissionDeniedError):
        services.start_import(
            actor=two_teams.rep_b, imp=imp, mapping={"0": "display_name"}, mode="create"
        )


def test_killed_import_resumes_without_duplicates(two_teams, csv_bytes, settings, monkeypatch):
    """A crash after two batches; the job runs again (huey's retry) and finishes: exactly one
    customer per input row, and the counts are those of one run."""
    from guanxi.jobs import services as job_services
    from guanxi.jobs.models import Job

    settings.IMPORT_BATCH_SIZE = 10
    content = csv_bytes([HEADER, *rows(45)])
    imp = services.upload_import(actor=two_teams.rep_a, filename="a.csv", content=content)
    calls = {"n": 0}
    real = services.ImportRun.run_batch

    def crashing(self, batch, rows_done):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("killed")
        return real(self, batch, rows_done)

    monkeypatch.setattr(services.ImportRun, "run_batch", crashing)
    monkeypatch.setattr("huey.contrib.djhuey.HUEY.immediate", False)
    services.start_import(
        actor=two_teams.rep_a, imp=imp, mapping=suggest(imp.headers, []), mode="create",
        dry_run=False,
    )  # fmt: skip
    job = Job.objects.get(pk=Import.objects.get(pk=imp.pk).job_id)
    with pytest.raises(RuntimeError):
        job_services.execute(str(job.pk))
    imp.refresh_from_db()
    assert list(imp.errors.values_list("message", flat=True)) == []
    assert (imp.status, imp.rows_done, Customer.objects.count()) == ("failed", 20, 20)
    # The user asks to run it again (after huey's retries): it resumes, whatever is sent.
    services.start_import(
        actor=two_teams.rep_a, imp=imp, mapping={"0": "display_name"}, mode="create",
        dry_run=False,
    )  # fmt: skip
    imp.refresh_from_db()
    assert (imp.status, imp.rows_done, imp.created_count) == ("queued", 20, 20)
    job_services.execute(str(imp.job_id))
    imp.refresh_from_db()
    assert imp.status == "done", imp.message
    assert Customer.objects.count() == 45
    assert imp.created_count == 45
    names = list(Customer.objects.values_list("display_name", flat=True))
    assert len(names) == len(set(names)) == 45
    assert ContactPoint.objects.count() == 90


def test_custom_fields_and_tags(two_teams, csv_bytes, run_import):
    from guanxi.customers.models import CustomFieldDefinition

    CustomFieldDefinition.objects.create(key="vip_card", label="会员卡", field_type="boolean")
    CustomFieldDefinition.objects.create(key="budget", label="预算", field_type="number")
    content = csv_bytes(
        [
            ["姓名", "会员卡", "预算", "标签"],
            ["甲", "是", "12.5", "a；b、c"],
            ["乙", "maybe", "x", ""],
        ]
    )
    mapping = {"0": "display_name", "1": "custom:vip_card", "2": "custom:budget", "3": "tags"}
    imp = run_import(two_teams.rep_a, content, mapping=mapping)
    assert imp.created_count == 1
    c = Customer.objects.get(display_name="甲")
    assert c.custom_fields == {"vip_card": True, "budget": 12.5}
    assert sorted(t.name for t in c.tags.all()) == ["a", "b", "c"]
    assert sorted(ImportRowError.objects.values_list("column", flat=True)) == ["会员卡", "预算"]


def test_several_phones_and_emails_in_one_cell(two_teams, csv_bytes, run_import):
    content = csv_bytes(
        [
            ["姓名", "手机", "电话", "邮箱"],
            ["甲", "13800138000; 13900139000", "", "a@example.com，b@example.com"],
            ["乙", "13700137000、13600136000", "010-62345678\n010-62345679", "c@example.com"],
        ]
    )
    imp = run_import(two_teams.rep_a, content)
    assert imp.created_count == 2 and imp.error_count == 0
    points = {
        c.display_name: sorted((p.kind, p.value) for p in c.contact_points.all())
        for c in Customer.objects.all()
    }
    assert points["甲"] == [("email", "a@example.com"), ("email", "b@example.com"),
                           ("mobile", "13800138000"), ("mobile", "13900139000")]  # fmt: skip
    assert points["乙"] == [("email", "c@example.com"), ("mobile", "13600136000"),
                           ("mobile", "13700137000"), ("phone", "010-62345678"),
                           ("phone", "010-62345679")]  # fmt: skip


def test_the_country_column_takes_codes_and_names_and_refuses_others(
    two_teams, csv_bytes, run_import
):
    content = csv_bytes(
        [
            ["姓名", "国家/地区", "城市"],
            ["甲", "美国", "Boston"],
            ["乙", "gb", "London"],
            ["丙", "United States", "Boston"],
            ["丁", "ZZ", "杭州"],
            ["戊", "", "杭州"],
        ]
    )
    imp = run_import(two_teams.rep_a, content)
    assert imp.created_count == 4
    countries = {c.display_name: c.addresses.get().country for c in Customer.objects.all()}
    assert countries == {"甲": "US", "乙": "GB", "丙": "US", "戊": "CN"}
    error = imp.errors.get()
    assert error.column == "国家/地区" and "“ZZ” is not a country" in error.message
