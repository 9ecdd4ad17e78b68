"""Normalising what people type: phones, e-mail addresses and names.

The original value is always kept beside its normalised form; these functions never decide
what is stored as the user's text, only the keys that search and duplicate detection use.
"""

from __future__ import annotations

import functools
import re
import unicodedata

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from pypinyin import Style, lazy_pinyin

_SPACES = re.compile(r"\s+")
_PHONE_CHARS = re.compile(r"^[\d\s()+\-.#*/extEXT转分机]+$")

# Legal-form suffixes and region prefixes, stripped from organisation names to build a key
# under which 北京字节跳动科技有限公司, 字节跳动科技（北京）有限公司 and 字节跳动 meet.
LEGAL_SUFFIXES = (
    "股份有限公司",
    "有限责任公司",
    "有限公司",
    "集团公司",
    "集团",
    "公司",
    "corporation",
    "incorporated",
    "company",
    "limited",
    "co., ltd.",
    "co.,ltd.",
    "co. ltd.",
    "co ltd",
    "co.",
    "corp.",
    "corp",
    "inc.",
    "inc",
    "ltd.",
    "ltd",
    "llc",
    "gmbh",
    "plc",
)
INDUSTRY_WORDS = ("科技", "技术", "信息", "网络", "贸易", "实业", "商贸", "电子", "软件")
REGIONS = (
    "北京", "上海", "天津", "重庆", "河北", "山西", "辽宁", "吉林", "黑龙江", "江苏", "浙江",
    "安徽", "福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "海南", "四川", "贵州",
    "云南", "陕西", "甘肃", "青海", "台湾", "内蒙古", "广西", "西藏", "宁夏", "新疆", "香港",
    "澳门", "深圳", "广州", "杭州", "南京", "苏州", "成都", "武汉", "西安", "厦门", "青岛",
    "大连", "宁波", "无锡", "长沙", "郑州", "济南", "合肥", "福州", "沈阳", "哈尔滨", "昆明",
)  # fmt: skip
_REGION_RE = "|".join(sorted(REGIONS, key=len, reverse=True))
_REGION_PREFIX = re.compile(rf"^(?:{_REGION_RE})(?:省|市|自治区|特别行政区)?")
_REGION_BRACKETS = re.compile(rf"[(（](?:{_REGION_RE})(?:省|市)?[)）]")


def clean_text(value: str) -> str:
    """Full-width to half-width (NFKC), one space between words, no space at the ends."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", value or "")).strip()


def text_key(value: str) -> str:
    """A case- and width-insensitive key of a text, without spaces."""
    return clean_text(value).casefold().replace(" ", "")


def org_name_key(name: str) -> str:
    """The core of an organisation's name: no legal form, no region, no industry word."""
    key = text_key(name)
    key = _REGION_BRACKETS.sub("", key)
    changed = True
    while changed:
        changed = False
        for suffix in LEGAL_SUFFIXES:
            s = suffix.replace(" ", "")
            if key.endswith(s) and len(key) > len(s):
                key = key[: -len(s)].rstrip(",.")
                changed = True
    key = _REGION_PREFIX.sub("", key) or key
    for word in INDUSTRY_WORDS:
        if key.endswith(word) and len(key) > len(word) + 1:
            key = key[: -len(word)]
            break
    return key


@functools.lru_cache(maxsize=200_000)
def pinyin(value: str) -> tuple[str, str]:
    """Full pinyin and pinyin initials of a name, lower-case, without spaces.

    Latin text passes through unchanged: "ByteDance 字节" gives ("bytedancezijie", "bytedancezj").
    """
    text = text_key(value)
    if not text:
        return "", ""
    full = "".join(lazy_pinyin(text, errors="default"))
    initials = "".join(lazy_pinyin(text, style=Style.FIRST_LETTER, strict=False, errors="default"))
    return full.casefold(), initials.casefold()


def looks_like_phone(value: str) -> bool:
    digits = sum(ch.isdigit() for ch in value)
    return digits >= 5 and bool(_PHONE_CHARS.match(value.strip()))


# A CN mobile number as phonenumbers' own metadata describes it (national significant number).
_CN_MOBILE = re.compile(
    phonenumbers.PhoneMetadata.metadata_for_region("CN").mobile.national_number_pattern
)
_MOBILE_SEPARATORS = str.maketrans("", "", " -.()")


def _fast_cn_mobile(raw: str) -> str | None:
    """E.164 of a plain CN mobile number (13812345678, 138 1234 5678, +86-138..., 0086...)
    without phonenumbers' full parse: the same result, a tenth of the time. None for anything
    else, which then takes the full path (tests/test_normalize.py proves the equivalence)."""
    digits = raw.translate(_MOBILE_SEPARATORS)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    elif len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    if len(digits) == 11 and digits.isascii() and digits.isdigit() and _CN_MOBILE.fullmatch(digits):
        return "+86" + digits
    return None


def normalize_phone(value: str, region: str | None = None) -> str:
    """E.164 form of a phone number (+8613812345678), with ';ext=' for an extension.

    Raises ValidationError with a message for the user when the number is not valid.
    """
    raw = clean_text(value)
    if (region or settings.PHONE_DEFAULT_REGION) == "CN" and raw[-1:].isdigit():
        fast = _fast_cn_mobile(raw)
        if fast is not None:
            return fast
    raw = re.sub(r"(转|分机)", " ext ", raw)
    if not raw:
        raise ValidationError(_("Enter a phone number."), code="required")
    try:
        number = phonenumbers.parse(raw, region or settings.PHONE_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        raise ValidationError(
            _("“%(value)s” is not a phone number."), code="invalid_phone", params={"value": value}
        ) from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(
            _("“%(value)s” is not a valid phone number."),
            code="invalid_phone",
            params={"value": value},
        )
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return f"{e164};ext={number.extension}" if number.extension else e164


def normalize_email(value: str) -> str:
    email = clean_text(value).casefold()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError(
            _("“%(value)s” is not a valid e-mail address."),
            code="invalid_email",
            params={"value": value},
        ) from None
    return email
