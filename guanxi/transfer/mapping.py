"""What an import's columns mean: the fields a column can fill, suggestions from Chinese and
English headers, and turning one row's cells into the data the customer services take."""

from __future__ import annotations

import datetime as dt
import functools
import re
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.customers import normalize
from guanxi.customers.countries import parse_country
from guanxi.customers.masking import looks_masked
from guanxi.customers.models import (
    CustomerKind,
    CustomFieldDefinition,
    CustomFieldType,
    Gender,
    Grade,
    LifecycleStage,
    Status,
)
from guanxi.transfer.escaping import FORMULA_STARTS

IGNORE = ""
CUSTOM_PREFIX = "custom:"

# field -> label; "kind" and "owner" are columns too.
TARGETS: dict[str, Any] = {
    "display_name": gettext_lazy("Name"),
    "kind": gettext_lazy("Kind (person / organisation)"),
    "legal_name": gettext_lazy("Legal name"),
    "short_name": gettext_lazy("Short name"),
    "aliases": gettext_lazy("Aliases"),
    "external_id": gettext_lazy("External id"),
    "credit_code": gettext_lazy("Unified social credit code"),
    "mobile": gettext_lazy("Mobile"),
    "phone": gettext_lazy("Phone"),
    "email": gettext_lazy("E-mail"),
    "wechat": gettext_lazy("WeChat"),
    "qq": gettext_lazy("QQ"),
    "website": gettext_lazy("Website"),
    "country": gettext_lazy("Country or region"),
    "province": gettext_lazy("Province"),
    "city": gettext_lazy("City"),
    "district": gettext_lazy("District"),
    "street": gettext_lazy("Street address"),
    "postcode": gettext_lazy("Postcode"),
    "gender": gettext_lazy("Gender"),
    "birthday": gettext_lazy("Birthday"),
    "occupation": gettext_lazy("Occupation"),
    "industry": gettext_lazy("Industry"),
    "region": gettext_lazy("Region"),
    "source": gettext_lazy("Source"),
    "grade": gettext_lazy("Grade"),
    "status": gettext_lazy("Status"),
    "lifecycle_stage": gettext_lazy("Lifecycle stage"),
    "tags": gettext_lazy("Tags"),
    "owner": gettext_lazy("Owner (user name)"),
    "notes": gettext_lazy("Notes"),
    # Not a field: the version of the customer the file was exported at. An update refuses a
    # row whose customer was changed since (someone else's edit is not written over).
    "version": gettext_lazy("Version (as exported)"),
}

# Header words (after text_key: lower case, no spaces) that suggest a field.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "display_name": ("姓名", "名字", "客户名称", "客户名", "客户", "名称", "联系人", "name",
                     "fullname", "customer", "customername", "displayname"),
    "legal_name": ("注册名称", "工商注册名称", "legalname", "公司名称", "公司", "企业名称",
                   "单位名称", "单位", "company", "companyname", "organisation", "organization"),
    "short_name": ("简称", "公司简称", "shortname"),
    "aliases": ("别名", "曾用名", "aliases", "alias"),
    "kind": ("类型", "客户类型", "kind", "type", "customertype"),
    "external_id": ("外部编号", "编号", "客户编号", "外部id", "externalid", "external_id", "id",
                    "code", "customerid", "customercode"),
    "credit_code": ("统一社会信用代码", "信用代码", "社会信用代码", "creditcode", "uscc",
                    "unifiedsocialcreditcode"),
    "mobile": ("手机", "手机号", "手机号码", "移动电话", "mobile", "mobilephone", "cell",
               "cellphone"),
    "phone": ("电话", "座机", "固定电话", "联系电话", "办公电话", "phone", "tel", "telephone",
              "landline"),
    "email": ("邮箱", "电子邮件", "电子邮箱", "邮件", "email", "e-mail", "mail"),
    "wechat": ("微信", "微信号", "wechat", "weixin"),
    "qq": ("qq", "qq号"),
    "website": ("网站", "网址", "主页", "website", "web", "url", "homepage"),
    "country": ("国家/地区", "国家或地区", "国家", "countryorregion", "country", "countrycode",
                "nation"),
    "province": ("省", "省份", "省/直辖市", "province", "state"),
    "city": ("市", "城市", "city"),
    "district": ("区", "区县", "县区", "区/县", "district", "county"),
    "street": ("地址", "详细地址", "街道", "街道地址", "通讯地址", "address", "street",
               "streetaddress"),
    "postcode": ("邮编", "邮政编码", "postcode", "zip", "zipcode", "postalcode"),
    "gender": ("性别", "gender", "sex"),
    "birthday": ("生日", "出生日期", "出生年月日", "birthday", "birthdate", "dateofbirth", "dob"),
    "occupation": ("职业", "occupation", "job", "jobtitle", "职务"),
    "industry": ("行业", "所属行业", "industry"),
    "region": ("地区", "区域", "region", "area"),
    "source": ("来源", "客户来源", "渠道", "source", "channel", "leadsource"),
    "grade": ("等级", "客户等级", "级别", "grade", "level", "tier"),
    "status": ("状态", "客户状态", "status"),
    "lifecycle_stage": ("生命周期", "生命周期阶段", "阶段", "lifecyclestage", "stage"),
    "tags": ("标签", "tags", "tag", "labels"),
    "owner": ("负责人", "所有人", "归属人", "销售", "owner", "salesrep", "accountowner"),
    "notes": ("备注", "说明", "notes", "note", "remark", "remarks", "comment", "comments"),
    "version": ("版本", "版本号", "version"),
}  # fmt: skip
# Each field's words, the most telling first: of two columns that could fill a field, the one
# whose header comes earlier in its list is suggested (外部编号 before 编号).
_BY_WORD = {word: field for field, words in SYNONYMS.items() for word in words}
_RANK = {word: rank for words in SYNONYMS.values() for rank, word in enumerate(words)}

CONTACT_TARGETS = ("mobile", "phone", "email", "wechat", "qq", "website")
ADDRESS_TARGETS = ("country", "province", "city", "district", "street", "postcode")
# Several values in one cell: Guanxi's export writes "a; b" (VALUE_SEPARATOR).
VALUE_SEPARATOR = "; "
# Phones, e-mails, WeChat and QQ hold no separator: several in one cell may also be separated
# by commas, Chinese commas, 、 or a new line.
_MULTI_SPLIT = re.compile(r"[;,，；、|\r\n]+")
# Web addresses may hold commas and semicolons ("?a=1,2;b=3") but no spaces: several are
# separated by spaces, new lines, a "; " or a Chinese separator.
_URL_SPLIT = re.compile(r"[;,|]?\s+|[，；、]+")
# Values that may hold a comma ("Acme, Inc." as an alias, "书, 画" as a choice): only the
# export's own separator (";", "；"), "|" or a new line separates them.
_VALUES_SPLIT = re.compile(r"[;；|\r\n]+")
KEY_TARGETS = {"external_id": "external_id", "credit_code": "credit_code",
               "phone": "mobile", "email": "email"}  # fmt: skip
_LIST_SPLIT = re.compile(r"[,;，；、|]+")


def targets(definitions: list[CustomFieldDefinition]) -> list[tuple[str, str]]:
    """The choices of a column: ignore, the customer's fields, then its custom fields."""
    out = [(IGNORE, str(_("— ignore —")))]
    out += [(key, str(label)) for key, label in TARGETS.items()]
    custom = _("custom field")
    out += [(f"{CUSTOM_PREFIX}{d.key}", f"{d.label} ({custom})") for d in definitions]
    return out


def _header_key(header: str) -> str:
    return normalize.text_key(header).replace("_", "").replace("*", "").rstrip(":：")


def custom_headers(definitions: list[CustomFieldDefinition], taken: list[str]) -> list[str]:
    """The export's header of each custom field: its label, or "label (key)" when the label
    alone would be read as another column (a built-in field's header or synonym, one of
    `taken`, another custom field's label), so that `suggest` maps each back to its field."""
    labels = [_header_key(d.label) for d in definitions]
    used = {_header_key(t) for t in taken}
    out = []
    for d, key in zip(definitions, labels, strict=True):
        clash = key in _BY_WORD or key.replace("-", "") in _BY_WORD or key in used
        out.append(f"{d.label} ({d.key})" if clash or labels.count(key) > 1 else d.label)
    return out


def suggest(headers: list[str], definitions: list[CustomFieldDefinition]) -> dict[str, str]:
    """A field for each header that names one; each field is suggested once: for the column
    whose header names it best (its rank in SYNONYMS), the first such column on a tie.
    A custom field is named by its key, its label, or "label (key)" (the export's header)."""
    custom = {}
    for d in definitions:
        target = f"{CUSTOM_PREFIX}{d.key}"
        custom.setdefault(_header_key(d.key), target)
        custom.setdefault(_header_key(d.label), target)
        custom[_header_key(f"{d.label} ({d.key})")] = target
    best: dict[str, tuple[int, int]] = {}  # field -> (rank, column)
    for index, header in enumerate(headers):
        key = _header_key(header)
        word = key if key in _BY_WORD else key.replace("-", "")
        field = _BY_WORD.get(word) or custom.get(key)
        if not field:
            continue
        candidate = (_RANK.get(word, -1) if field in SYNONYMS else -1, index)
        if field not in best or candidate < best[field]:
            best[field] = candidate
    return {
        str(index): field for field, (_rank, index) in sorted(best.items(), key=lambda i: i[1][1])
    }


def _choice_lookup(choices) -> dict[str, str]:
    """Values, English and Chinese labels of a choice set, as keys to the value."""
    out: dict[str, str] = {}
    for value, label in choices:
        out[normalize.text_key(value)] = value
        for language in ("en", "zh-hans"):
            with translation.override(language):
                out[normalize.text_key(str(label))] = value
    return out


_LOOKUPS: dict[str, dict[str, str]] = {}


def _lookup(name: str) -> dict[str, str]:
    if name not in _LOOKUPS:
        extra: dict[str, str] = {}
        if name == "kind":
            choices = CustomerKind.choices
            extra = {"个人": "person", "企业": "organisation", "公司": "organisation",
                     "单位": "organisation", "organization": "organisation", "org": "organisation",
                     "company": "organisation", "individual": "person"}  # fmt: skip
        elif name == "gender":
            choices = Gender.choices
            extra = {"男": "male", "女": "female", "m": "male", "f": "female", "男性": "male",
                     "女性": "female"}  # fmt: skip
        elif name == "grade":
            choices = Grade.choices
            extra = {"重要客户": "important", "普通客户": "normal", "vip客户": "vip"}
        elif name == "status":
            choices = Status.choices
        else:
            choices = LifecycleStage.choices
        table = _choice_lookup(choices)
        table.update(extra)
        _LOOKUPS[name] = table
    return _LOOKUPS[name]


def parse_choice(name: str, text: str) -> str:
    value = _lookup(name).get(normalize.text_key(text))
    if value is None:
        raise ValidationError(_("“%(value)s” is not one of the accepted values.") % {"value": text})
    return value


_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")


# A time of day after the date (a database's DATETIME, Excel's "1990/5/4 0:00"): the date.
_TIME_OF_DAY = re.compile(r"[ T](?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d+)?)?$")


def parse_date(text: str) -> dt.date:
    text = normalize.clean_text(text)
    text = _TIME_OF_DAY.sub("", text)
    match = _DATE.match(text)
    if match:
        parts = match.groups()
    elif len(text) == 8 and text.isdigit():
        parts = (text[:4], text[4:6], text[6:])
    elif "T" in text and _DATE.match(text.split("T")[0]):
        parts = _DATE.match(text.split("T")[0]).groups()
    else:
        parts = None
    try:
        if parts is None:
            raise ValueError
        return dt.date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        raise ValidationError(
            _("“%(value)s” is not a date (write it as 2024-03-31).") % {"value": text}
        ) from None


def parse_version(text: str) -> int:
    """The version column of an export: a whole number (a spreadsheet may write 3 as 3.0)."""
    text = str(text).strip()
    if text.endswith(".0"):
        text = text[:-2]
    if not (text.isascii() and text.isdigit()) or len(text) > 9 or int(text) < 1:
        raise ValidationError(_("Enter the version as exported: a whole number."))
    return int(text)


def split_list(text: str) -> list[str]:
    return [p.strip() for p in _LIST_SPLIT.split(text) if p.strip()]


def split_values(text: str) -> list[str]:
    """The values of a cell the export wrote with VALUE_SEPARATOR; a comma stays inside a
    value ("Acme, Inc.")."""
    return [p.strip() for p in _VALUES_SPLIT.split(text) if p.strip()]


def split_urls(text: str) -> list[str]:
    return [p for p in (p.strip(" ;,|") for p in _URL_SPLIT.split(text)) if p]


def split_choices(text: str, choices: list[str]) -> list[str]:
    """The choices in a multiple-choice cell: separated by ";" (as exported), or, where a part
    is not one of the choices, by commas (as people type them: "A, B" or "甲、乙")."""
    out: list[str] = []
    for part in split_values(text):
        out += [part] if part in choices else split_list(part)
    return out


_TRUE = {"1", "true", "yes", "y", "是", "有", "对", "√"}
_FALSE = {"0", "false", "no", "n", "否", "无", "不", "×"}


def _yes_no() -> tuple[str, str]:
    """The words the export writes for a yes/no custom field, in the active language."""
    return _("yes"), _("no")


@functools.cache
def _boolean_words() -> tuple[frozenset[str], frozenset[str]]:
    """Yes and no as a cell may say them: the export's words in both languages, and others."""
    true, false = set(_TRUE), set(_FALSE)
    for language in ("en", "zh-hans"):
        with translation.override(language):
            yes, no = _yes_no()
        true.add(normalize.text_key(yes))
        false.add(normalize.text_key(no))
    return frozenset(true), frozenset(false)


def custom_cell(definition: CustomFieldDefinition, value: Any) -> Any:
    """A custom field's value as the export writes it, in a form `parse_custom` (and the
    custom fields' validation) reads back as the same value: numbers as numbers without an
    exponent, dates as 2024-03-31, yes / no in the user's language, several choices separated
    by VALUE_SEPARATOR."""
    if value is None or value == "" or value == []:
        return ""
    kind = definition.field_type
    if kind == CustomFieldType.BOOLEAN and isinstance(value, bool):
        return _yes_no()[0] if value else _yes_no()[1]
    if (
        kind == CustomFieldType.NUMBER
        and isinstance(value, int | float)
        and not isinstance(value, bool)
    ):
        return value if isinstance(value, int) else Decimal(str(value))
    if isinstance(value, list):
        return VALUE_SEPARATOR.join(str(v) for v in value)
    return str(value)


def parse_custom(definition: CustomFieldDefinition, text: str) -> Any:
    """A custom field's cell as the value the custom fields' validation takes (which then
    checks it against the definition: customers/custom_fields.py)."""
    kind = definition.field_type
    if kind == CustomFieldType.BOOLEAN:
        key = normalize.text_key(text)
        true, false = _boolean_words()
        if key in true:
            return True
        if key in false:
            return False
        raise ValidationError(_("Write yes or no."))
    if kind == CustomFieldType.MULTI_CHOICE:
        return split_choices(text, list(definition.choices or []))
    if kind == CustomFieldType.DATE:
        return parse_date(text).isoformat()
    return text


class RowError(Exception):
    """A row that cannot be imported: the column at fault (header text) and the message; or,
    with `problems`, every (column, message) found in the row, so that a user corrects them
    all at once."""

    def __init__(self, column: str, message: str, problems: list[tuple[str, str]] | None = None):
        self.column = column
        self.message = message
        self.problems = problems or [(column, message)]
        super().__init__(message)


class RowReader:
    """Turns the cells of a row into customer data for the services, given the mapping
    {column index: field}. Values that need parsing (choices, dates, lists) are parsed here;
    everything else is validated by the customers' own services."""

    def __init__(
        self,
        headers: list[str],
        mapping: dict[str, str],
        *,
        kind: str,
        definitions: dict[str, CustomFieldDefinition],
    ):
        self.headers = headers
        self.columns = [(int(i), f) for i, f in mapping.items() if f]
        self.kind = kind
        self.definitions = definitions
        self.column_of = {f: headers[int(i)] for i, f in mapping.items() if f}

    def header(self, field: str) -> str:
        if field.startswith("custom_fields."):
            field = CUSTOM_PREFIX + field.split(".", 1)[1]
        if field.startswith(("contact_points.", "addresses.")):
            return ""
        return self.column_of.get(field, "")

    def read_all(self, cells: list[str]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        """The row's data without the cells that cannot be read, and those cells' (column,
        message): the rest can still be checked, so that a row's mistakes are told at once."""
        data: dict[str, Any] = {}
        points: list[dict[str, str]] = []
        address: dict[str, str] = {}
        custom: dict[str, Any] = {}
        problems: list[tuple[str, str]] = []
        for index, field in self.columns:
            text = cells[index] if index < len(cells) else ""
            if not text:
                continue
            if text[0] == "'" and text[1:].startswith(FORMULA_STARTS):
                text = text[1:]  # the guard an export puts before =, +, -, @ (escaping.py)
            try:
                if field in CONTACT_TARGETS:
                    # A masked value (an export for a role that does not see contact
                    # details: 138****8000, z***x) is not a value: it is left out.
                    values = split_urls(text) if field == "website" else _MULTI_SPLIT.split(text)
                    points += [
                        {"kind": field, "value": value}
                        for value in values
                        if value.strip() and not looks_masked(value)
                    ]
                elif field == "street" and looks_masked(text):
                    continue  # an export for a role that sees no street: not the street
                elif field == "country":
                    address[field] = parse_country(text)
                elif field in ADDRESS_TARGETS:
                    address[field] = text
                elif field in ("kind", "gender", "grade", "status", "lifecycle_stage"):
                    data[field] = parse_choice(field, text)
                elif field == "birthday":
                    data[field] = parse_date(text)
                elif field == "version":
                    data[field] = parse_version(text)
                elif field == "tags":
                    data[field] = split_list(text)
                elif field == "aliases":
                    # The cell is the customer's aliases: an update replaces the list with it
                    # (an alias deleted in the spreadsheet is gone). An empty cell, or no
                    # column, leaves the aliases as they are, as for every other field.
                    data[field] = split_values(text)
                elif field.startswith(CUSTOM_PREFIX):
                    definition = self.definitions.get(field[len(CUSTOM_PREFIX) :])
                    if definition is not None:
                        custom[definition.key] = parse_custom(definition, text)
                else:
                    data[field] = text
            except ValidationError as exc:
                problems.append((self.headers[index], exc.messages[0]))
        if "kind" not in data:
            data["kind"] = self.kind or CustomerKind.PERSON
        if points:
            data["contact_points"] = points
        if address:
            data["addresses"] = [address]
        if custom:
            data["custom_fields"] = custom
        return data, problems

    def key_value(self, key: str, data: dict[str, Any]) -> str | None:
        """The normalised value of the match key in this row's data, or None when empty.
        Raises RowError when it is there but not valid."""
        values = self.key_values(key, data)
        return values[0] if values else None

    def key_values(self, key: str, data: dict[str, Any]) -> list[str]:
        """Every normalised value of the match key in this row's data, in the file's order:
        a row matched by phone (or e-mail) is the customer of any of its phones (e-mails).
        Raises RowError when one is not valid."""
        if key in ("external_id", "credit_code"):
            value = data.get(key) or ""
            if key == "credit_code":
                value = normalize.compact_credit_code(value)
            else:
                value = normalize.clean_text(value)
            return [value] if value else []
        kinds = ("mobile", "phone") if key == "phone" else ("email",)
        out: list[str] = []
        for point in data.get("contact_points", []):
            if point["kind"] not in kinds:
                continue
            try:
                if key == "phone":
                    value = normalize.normalize_phone(point["value"])
                else:
                    value = normalize.normalize_email(point["value"])
            except ValidationError as exc:
                raise RowError(self.column_of.get(point["kind"], ""), exc.messages[0]) from None
            if value not in out:
                out.append(value)
        return out
