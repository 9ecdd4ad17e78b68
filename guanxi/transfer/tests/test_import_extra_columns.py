"""Importing aliases, WeChat, QQ, websites and custom fields: suggested from Chinese and English
headers, validated by the customers' own code, left alone when the file does not say."""

import pytest

from guanxi.customers import services as customer_services
from guanxi.customers.models import Customer, CustomFieldDefinition
from guanxi.transfer.mapping import suggest

pytestmark = pytest.mark.django_db


@pytest.fixture
def fields(db):
    make = CustomFieldDefinition.objects.create
    return {
        "budget": make(
            key="budget", label="预算", field_type="number", min_value=0, max_value=1000000
        ),
        "signed_on": make(key="signed_on", label="签约日期", field_type="date"),
        "vip_card": make(key="vip_card", label="会员卡", field_type="boolean"),
        "channel": make(
            key="channel", label="渠道类别", field_type="choice", choices=["线上", "线下"]
        ),
        "likes": make(
            key="likes", label="兴趣", field_type="multi_choice", choices=["书, 画", "茶", "酒"]
        ),
        "code": make(key="code", label="Member code", field_type="text", pattern=r"M-\d+"),
    }


@pytest.fixture
def customer(two_teams, fields):
    return customer_services.create_customer(
        actor=two_teams.rep_a,
        data={
            "display_name": "张三",
            "external_id": "C-1",
            "aliases": ["小张", "Zhang, San"],
            "custom_fields": {"budget": 100, "vip_card": True, "likes": ["茶"]},
            "contact_points": [{"kind": "wechat", "value": "zhangsan_wx"}],
        },
    )


def test_suggestions_from_chinese_and_english_headers(fields):
    definitions = list(fields.values())
    zh = ["外部编号", "别名", "微信号", "QQ号", "网址", "预算", "会员卡", "兴趣"]
    assert list(suggest(zh, definitions).values()) == [
        "external_id", "aliases", "wechat", "qq", "website", "custom:budget", "custom:vip_card",
        "custom:likes",
    ]  # fmt: skip
    en = ["External id", "Alias", "WeChat", "QQ", "Website", "member code", "signed_on",
          "预算 (budget)"]  # fmt: skip
    assert list(suggest(en, definitions).values()) == [
        "external_id", "aliases", "wechat", "qq", "website", "custom:code", "custom:signed_on",
        "custom:budget",
    ]  # fmt: skip


def test_a_custom_field_whose_label_is_a_fields_header_keeps_its_own_column(two_teams):
    """A custom field labelled "来源" (the customer's source is 来源 too): the export names it
    "来源 (fair)", and each column is suggested for its own field."""
    from guanxi.transfer.mapping import custom_headers

    fair = CustomFieldDefinition.objects.create(key="fair", label="来源", field_type="text")
    twin = CustomFieldDefinition.objects.create(key="twin", label="预算", field_type="text")
    twin2 = CustomFieldDefinition.objects.create(key="twin2", label="预算", field_type="text")
    headers = ["名称", "来源", *custom_headers([fair, twin, twin2], ["名称", "来源"])]
    assert headers[2:] == ["来源 (fair)", "预算 (twin)", "预算 (twin2)"]
    assert suggest(headers, [fair, twin, twin2]) == {
        "0": "display_name", "1": "source", "2": "custom:fair", "3": "custom:twin",
        "4": "custom:twin2",
    }  # fmt: skip


def test_custom_fields_of_every_type_are_created(two_teams, fields, csv_bytes, run_import):
    content = csv_bytes(
        [
            ["姓名", "预算", "签约日期", "会员卡", "渠道类别", "兴趣", "Member code"],
            ["甲", "1,234.5", "2024/3/31", "是", "线上", "书, 画; 茶", "M-1"],
            ["乙", "0.000001", "20240401", "No", "线下", "茶、酒", ""],
        ]
    )
    imp = run_import(two_teams.rep_a, content)
    assert list(imp.errors.values_list("column", "message")) == []
    assert Customer.objects.get(display_name="甲").custom_fields == {
        "budget": 1234.5, "signed_on": "2024-03-31", "vip_card": True, "channel": "线上",
        "likes": ["书, 画", "茶"], "code": "M-1",
    }  # fmt: skip
    assert Customer.objects.get(display_name="乙").custom_fields == {
        "budget": 0.000001, "signed_on": "2024-04-01", "vip_card": False, "channel": "线下",
        "likes": ["茶", "酒"],
    }  # fmt: skip


BAD = [
    ("预算", "abc", "“abc” is not a number: write it as 1234.5 or 1,234.5.",
     "“abc”不是数字：请写成 1234.5 或 1,234.5。"),
    ("预算", "-5", "Enter a number of at least 0.", None),
    ("签约日期", "2024-02-30", "“2024-02-30” is not a date (write it as 2024-03-31).", None),
    ("会员卡", "maybe", "Write yes or no.", "请填写“是”或“否”。"),
    ("渠道类别", "电话", "“电话” is not one of the choices: 线上; 线下.",
     "“电话”不是可选值之一：线上; 线下。"),
    ("兴趣", "茶; 咖啡", "“咖啡” is not one of the choices: 书, 画; 茶; 酒.", None),
    ("Member code", "X-1", "This value does not have the expected form.", None),
]  # fmt: skip


@pytest.mark.parametrize(("column", "value", "message", "chinese"), BAD)
def test_a_bad_custom_value_is_a_row_error_naming_its_column(
    two_teams, fields, customer, csv_bytes, run_import, column, value, message, chinese
):
    """On create and on update: the row is refused with the custom fields' own message, in the
    user's language; the other rows are imported."""
    for mode, number in (("create", "N-1"), ("update", "C-1")):
        content = csv_bytes([["外部编号", "姓名", column], [number, "张三", value],
                             ["N-2", "李四", ""]])  # fmt: skip
        imp = run_import(two_teams.rep_a, content, mode=mode, key="external_id")
        assert list(imp.errors.values_list("column", "message")) == [(column, message)], mode
        assert imp.created_count == (1 if mode == "create" else 0)
    customer.refresh_from_db()
    assert customer.custom_fields == {"budget": 100, "vip_card": True, "likes": ["茶"]}
    if chinese:  # the import runs in its user's language
        imp = run_import(two_teams.rep_a, content, mode="update", key="external_id",
                         language="zh-hans")  # fmt: skip
        assert list(imp.errors.values_list("message", flat=True)) == [chinese]


def test_an_update_with_one_custom_field_leaves_the_others_alone(
    two_teams, customer, csv_bytes, run_import
):
    imp = run_import(two_teams.rep_a, csv_bytes([["外部编号", "预算"], ["C-1", "250"]]),
                     mode="update", key="external_id")  # fmt: skip
    assert (imp.updated_count, imp.error_count) == (1, 0)
    customer.refresh_from_db()
    assert customer.custom_fields == {"budget": 250, "vip_card": True, "likes": ["茶"]}
    # An empty cell, or the same value written another way, changes nothing.
    for cells in (["C-1", "", "", "", ""], ["C-1", "250.00", "yes", "茶", "张三"]):
        content = csv_bytes([["外部编号", "预算", "会员卡", "兴趣", "姓名"], cells])
        imp = run_import(two_teams.rep_a, content, mode="update", key="external_id")
        assert (imp.skipped_count, imp.error_count) == (1, 0), cells
    customer.refresh_from_db()
    assert customer.custom_fields == {"budget": 250, "vip_card": True, "likes": ["茶"]}
    assert customer.version == 2


def test_a_required_custom_field_missing_names_the_field(
    two_teams, customer, csv_bytes, run_import
):
    """A field made required after the customer was saved: the update is refused and the
    error says which field, though the file has no column for it."""
    CustomFieldDefinition.objects.create(key="region_code", label="区号", field_type="text",
                                         required=True)  # fmt: skip
    imp = run_import(two_teams.rep_a, csv_bytes([["外部编号", "行业"], ["C-1", "零售"]]),
                     mode="update", key="external_id")  # fmt: skip
    assert list(imp.errors.values_list("column", "message")) == [
        ("区号", "This field is required.")
    ]


def test_the_aliases_cell_replaces_the_aliases_and_an_empty_one_keeps_them(
    two_teams, customer, csv_bytes, run_import
):
    """A cell with aliases is the customer's list (an alias deleted in the spreadsheet is
    gone; a comma stays inside an alias); an empty cell or no column changes nothing."""
    content = csv_bytes([["外部编号", "别名"], ["C-1", "Zhang, San；老张"]])
    imp = run_import(two_teams.rep_a, content, mode="update", key="external_id")
    assert (imp.updated_count, imp.error_count) == (1, 0)
    customer.refresh_from_db()
    assert customer.aliases == ["Zhang, San", "老张"]
    for content in (csv_bytes([["外部编号", "别名"], ["C-1", ""]]),
                    csv_bytes([["外部编号", "姓名"], ["C-1", "张三"]])):  # fmt: skip
        imp = run_import(two_teams.rep_a, content, mode="update", key="external_id")
        assert (imp.skipped_count, imp.error_count) == (1, 0)
    customer.refresh_from_db()
    assert customer.aliases == ["Zhang, San", "老张"]
    too_long = "长" * 101
    imp = run_import(two_teams.rep_a, csv_bytes([["外部编号", "别名"], ["C-1", too_long]]),
                     mode="update", key="external_id")  # fmt: skip
    assert list(imp.errors.values_list("column", "message")) == [
        ("别名", "Each entry may have at most 100 characters.")
    ]


def test_wechat_qq_and_websites_add_to_the_contact_points(
    two_teams, customer, csv_bytes, run_import
):
    content = csv_bytes(
        [
            ["外部编号", "微信", "QQ", "网站"],
            ["C-1", "zhangsan_wx; zs-2", "10001，10002",
             "https://a.example/p?x=1,2;y=3; https://b.example"],
        ]
    )  # fmt: skip
    imp = run_import(two_teams.rep_a, content, mode="update", key="external_id")
    assert (imp.updated_count, imp.error_count) == (1, 0)
    points = sorted(customer.contact_points.values_list("kind", "value"))
    assert points == [
        ("qq", "10001"), ("qq", "10002"), ("website", "https://a.example/p?x=1,2;y=3"),
        ("website", "https://b.example"), ("wechat", "zhangsan_wx"), ("wechat", "zs-2"),
    ]  # fmt: skip
    # The same again changes nothing.
    imp = run_import(two_teams.rep_a, content, mode="update", key="external_id")
    assert (imp.skipped_count, imp.error_count) == (1, 0)


def test_masked_wechat_qq_and_websites_are_not_values(two_teams, customer, csv_bytes, run_import):
    """What an export for a role that sees no contact details holds (z***x) is left out: it
    neither adds a contact point nor refuses the row."""
    content = csv_bytes(
        [["外部编号", "姓名", "微信", "QQ", "网站"], ["C-1", "张三", "z***x", "1***1", "h***e"],
         ["C-9", "新客户", "n***x", "", ""]]
    )  # fmt: skip
    imp = run_import(two_teams.rep_a, content, mode="upsert", key="external_id")
    assert (imp.created_count, imp.skipped_count, imp.error_count) == (1, 1, 0)
    assert list(customer.contact_points.values_list("value", flat=True)) == ["zhangsan_wx"]
    assert not Customer.objects.get(external_id="C-9").contact_points.exists()


def test_the_mapping_page_suggests_the_columns_and_says_how_cells_are_read(
    two_teams, fields, client
):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from guanxi.transfer.models import Import

    client.force_login(two_teams.rep_a)
    content = "姓名,别名,微信,QQ,网站,会员卡,预算 (budget)\n张三,小张,zs,1,a.example,是,1\n"
    client.post(
        reverse("transfer:import_new"), {"file": SimpleUploadedFile("c.csv", content.encode())}
    )
    page = client.get(reverse("transfer:import_mapping", args=[Import.objects.get().pk]))
    text = page.content.decode()
    for value in ("aliases", "wechat", "qq", "website", "custom:vip_card", "custom:budget"):
        assert f'<option value="{value}" selected>' in text, value
    assert "a cell of aliases replaces the customer's aliases" in text


def test_a_value_for_a_field_of_the_other_kind_says_so(two_teams, csv_bytes, run_import):
    CustomFieldDefinition.objects.create(key="hobby", label="爱好", field_type="text",
                                         applies_to="person")  # fmt: skip
    content = csv_bytes(
        [["名称", "类型", "爱好"], ["某公司", "企业", "钓鱼"], ["某人", "个人", "钓鱼"]]
    )
    imp = run_import(two_teams.rep_a, content, kind="column")
    assert list(imp.errors.values_list("column", "message")) == [
        ("爱好", "This field is for people only.")
    ]
    assert Customer.objects.get().custom_fields == {"hobby": "钓鱼"}
