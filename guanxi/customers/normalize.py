"""Normalising what people type: phones, e-mail addresses and names.

The original value is always kept beside its normalised form; these functions never decide
what is stored as the user's text, only the keys that search and duplicate detection use.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from decimal import Decimal

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from opencc import OpenCC
from pypinyin import Style, lazy_pinyin
from pypinyin.seg.simpleseg import simple_seg
from stdnum.cn import ric

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
    "co., limited",
    "co.,limited",
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
# Generic industry words, stripped only from the end of the core name (after the legal form and
# the region), and never so far that nothing is left: 字节跳动科技 -> 字节跳动, 上海贸易 -> 贸易.
INDUSTRY_WORDS = (
    "信息技术", "网络科技", "科技发展", "技术服务", "文化传媒", "电子商务", "供应链管理",
    "科技", "技术", "信息", "网络", "贸易", "实业", "商贸", "电子", "软件", "发展", "咨询",
    "服务", "管理", "传媒", "控股", "投资", "国际", "中国", "数码", "智能", "数据", "物流",
    "technology", "technologies", "tech", "network", "networks", "trading", "international",
    "holdings", "holding", "group", "china",
)  # fmt: skip
REGIONS = (
    "北京", "上海", "天津", "重庆", "河北", "山西", "辽宁", "吉林", "黑龙江", "江苏", "浙江",
    "安徽", "福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "海南", "四川", "贵州",
    "云南", "陕西", "甘肃", "青海", "台湾", "内蒙古", "广西", "西藏", "宁夏", "新疆", "香港",
    "澳门", "深圳", "广州", "杭州", "南京", "苏州", "成都", "武汉", "西安", "厦门", "青岛",
    "大连", "宁波", "无锡", "长沙", "郑州", "济南", "合肥", "福州", "沈阳", "哈尔滨", "昆明",
)  # fmt: skip
_LEGAL_SUFFIX_KEYS = tuple(
    dict.fromkeys(
        k
        for suffix in LEGAL_SUFFIXES
        for k in (suffix.replace(" ", ""), re.sub(r"[\s.,]", "", suffix))
        if k
    )
)
_REGION_RE = "|".join(sorted(REGIONS, key=len, reverse=True))
_REGION_PREFIX = re.compile(rf"^(?:{_REGION_RE})(?:省|市|自治区|特别行政区)?")
_REGION_BRACKETS = re.compile(rf"[(（](?:{_REGION_RE})(?:省|市)?[)）]")


_T2S = OpenCC("t2s")
# Punctuation that does not tell two organisations apart: "ByteDance, Ltd." = "bytedance ltd".
_KEY_PUNCTUATION = re.compile(r"[\s.,;:·•'\"`!?&+\-_/\\|()\[\]{}<>“”‘’、。，；：！？（）【】《》]+")


def tidy_text(value: str) -> str:
    """A name as the user wrote it, with one space between words and none at the ends. Its
    characters are kept: the full-width brackets of a registered name such as
    字节跳动科技（北京）有限公司, full-width letters, traditional characters. What matching needs
    (width, case, traditional to simplified) is normalised beside it, in the keys (text_key,
    org_name_key, pinyin), never in the name itself."""
    return " ".join((value or "").split())


def clean_text(value: str) -> str:
    """Full-width to half-width (NFKC), one space between words, no space at the ends (split()
    and the \\s of a regular expression know the same Unicode spaces)."""
    return " ".join(unicodedata.normalize("NFKC", value or "").split())


# A number as people type it, after clean_text (full-width digits and signs are half-width):
# an optional sign, digits with a comma (or a space) between every group of three, or none,
# and an optional decimal point and decimals.
_NUMBER = re.compile(r"^[+-]?(?:\d{1,3}(?:([, ])\d{3})(?:\1\d{3})*|\d+)?(?:\.\d*)?$")


def parse_number(value: str) -> Decimal:
    """A number typed by a Chinese or English user: 1,234 / 1,234.5 / １２３４ / " 12 ".
    Anything ambiguous (1,23 or 1.234,5), and anything that is not a plain number (1e3, ¥100,
    12%), is refused with a message that says how to write it."""
    text = clean_text(value).replace("\u2212", "-")  # the minus sign of typesetting
    if not text or not any(c.isdigit() for c in text) or not _NUMBER.match(text):
        raise ValidationError(
            _("“%(value)s” is not a number: write it as 1234.5 or 1,234.5.") % {"value": value},
            code="invalid_number",
        )
    return Decimal(text.replace(",", "").replace(" ", ""))


@functools.lru_cache(maxsize=100_000)
def to_simplified(value: str) -> str:
    """Traditional characters as simplified ones (字節跳動 -> 字节跳动); others unchanged."""
    if value.isascii():
        return value
    return _T2S.convert(value)


@functools.lru_cache(maxsize=200_000)
def text_key(value: str) -> str:
    """A key of a text that ignores case, width, spaces and traditional/simplified forms."""
    key = value or ""
    for _round in range(3):  # case folding and NFKC can feed each other; stop when stable
        folded = to_simplified(clean_text(key)).casefold()
        folded = unicodedata.normalize("NFKC", folded)
        folded = _SPACES.sub("", folded)
        if folded == key:
            break
        key = folded
    return key


def bare_key(value: str) -> str:
    """`text_key` without punctuation: "Co.,Ltd" and "Co., Ltd." give the same key."""
    return _KEY_PUNCTUATION.sub("", text_key(value))


def _strip_legal_forms(key: str) -> str:
    changed = True
    while changed:
        changed = False
        for suffix in _LEGAL_SUFFIX_KEYS:
            if key.endswith(suffix) and len(key) > len(suffix):
                key = key[: -len(suffix)].rstrip(",.&-")
                changed = True
    return key


@functools.lru_cache(maxsize=100_000)
def org_name_key(name: str) -> str:
    """The core of an organisation's name (see _org_key_once), applied until it no longer
    changes, so that the key of a key is the key itself."""
    key = _org_key_once(name)
    for _round in range(3):
        again = _org_key_once(key)
        if again == key:
            break
        key = again
    return key


def _org_key_once(name: str) -> str:
    """The core of an organisation's name: no legal form, no region, no industry word at the
    end, no punctuation; never empty for a name that has a character to keep.

    北京字节跳动科技有限公司, 字节跳动科技（北京）有限公司, 字節跳動 and 字节跳动 give 字节跳动;
    "ByteDance Ltd." and "bytedance" give "bytedance".
    """
    full = text_key(name)
    key = _REGION_BRACKETS.sub("", full)
    key = _strip_legal_forms(key)
    key = _KEY_PUNCTUATION.sub("", key)
    key = _strip_legal_forms(key)
    key = _REGION_PREFIX.sub("", key) or key
    stripped = True
    while stripped:
        stripped = False
        for word in INDUSTRY_WORDS:
            if key.endswith(word) and len(key) >= len(word) + 2:
                key = key[: -len(word)]
                stripped = True
                break
    key = unicodedata.normalize("NFKC", key)
    return key or _KEY_PUNCTUATION.sub("", full) or full


@functools.lru_cache(maxsize=100_000)
def _segment_pinyin(segment: str) -> tuple[str, str]:
    full = "".join(lazy_pinyin(segment, errors="default"))
    initials = "".join(
        lazy_pinyin(segment, style=Style.FIRST_LETTER, strict=False, errors="default")
    )
    return full, initials


@functools.lru_cache(maxsize=200_000)
def pinyin(value: str) -> tuple[str, str]:
    """Full pinyin and pinyin initials of a name, lower-case, without spaces.

    Latin text passes through unchanged: "ByteDance 字节" gives ("bytedancezijie", "bytedancezj").
    pypinyin reads a text as runs of Chinese and of other characters (its simple_seg) and
    converts each run on its own, so the pinyin of a run is cached: 上海瑞丰123科技有限公司 is
    the runs 上海瑞丰, 123 and 科技有限公司, which thousands of company names share.
    """
    text = text_key(value)
    if not text:
        return "", ""
    parts = [_segment_pinyin(segment) for segment in simple_seg(text)]
    full = "".join(p[0] for p in parts)
    initials = "".join(p[1] for p in parts)
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


# A Chinese landline with its extension after a dash or a space, as business cards print it:
# 010-62345678-123, (010) 6234 5678-8001.
_TRAILING_EXTENSION = re.compile(r"^(?P<main>.*\d)\s*[-\s]\s*(?P<ext>\d{1,6})$")


def _landline_with_extension(raw: str, region: str | None) -> phonenumbers.PhoneNumber | None:
    """The number read as a valid Chinese fixed line followed by an extension, or None."""
    match = _TRAILING_EXTENSION.match(raw)
    if match is None:
        return None
    try:
        number = phonenumbers.parse(match["main"], region or settings.PHONE_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return None
    fixed = (
        phonenumbers.PhoneNumberType.FIXED_LINE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )
    if (
        number.country_code != 86
        or number.extension
        or not phonenumbers.is_valid_number(number)
        or phonenumbers.number_type(number) not in fixed
    ):
        return None
    number.extension = match["ext"]
    return number


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
        number = _landline_with_extension(raw, region) or number
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


def compact_credit_code(value: str) -> str:
    """A unified social credit code as it is stored and compared: half-width, upper case,
    without the spaces and hyphens people group it with (9111 0108 MA01X6TK3 9,
    91110108-MA01X6TK3-9). Not validated here (services check the check digit)."""
    return re.sub(r"[\s-]", "", clean_text(value).upper())


IDENTITY_OTHER = re.compile(r"^[A-Z0-9][A-Z0-9-]{2,30}[A-Z0-9]$")


def normalize_identity_code(value: str) -> str:
    """An identity document number: an 18-character value is a Chinese resident identity card
    number (居民身份证号, with its check digit); other documents have 4 to 32 letters, digits
    or hyphens. Upper case, no spaces. Raises ValidationError with a message for the user."""
    code = clean_text(value).upper().replace(" ", "")
    if not code:
        return ""
    if len(code) == 18 and code[:17].isdigit():
        if not ric.is_valid(code):
            raise ValidationError(
                _(
                    "“%(value)s” is not a valid resident identity card number (18 characters "
                    "with a correct birth date and check digit)."
                ),
                code="invalid_identity_code",
                params={"value": value},
            )
        return code
    if not IDENTITY_OTHER.match(code):
        raise ValidationError(
            _("An identity number has 4 to 32 letters, digits or hyphens."),
            code="invalid_identity_code",
        )
    return code


_POSTCODE_OTHER = re.compile(r"^[A-Z0-9][A-Z0-9 -]{1,10}[A-Z0-9]$")
_POSTCODE_COUNTRY = {
    "CN": (re.compile(r"^\d{6}$"), gettext_lazy("A Chinese postcode has six digits.")),
    "HK": (re.compile(r"^$"), gettext_lazy("Hong Kong has no postcodes.")),
    "US": (re.compile(r"^\d{5}(-\d{4})?$"), gettext_lazy("A US ZIP code has 5 digits (or 5+4).")),
    "DE": (re.compile(r"^\d{5}$"), gettext_lazy("A German postcode has five digits.")),
    "FR": (re.compile(r"^\d{5}$"), gettext_lazy("A French postcode has five digits.")),
    "JP": (
        re.compile(r"^\d{3}-?\d{4}$"),
        gettext_lazy("A Japanese postcode has seven digits (123-4567)."),
    ),
    "GB": (
        re.compile(r"^[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}$"),
        gettext_lazy("Enter a UK postcode such as SW1A 1AA."),
    ),
}


def normalize_postcode(value: str, country: str) -> str:
    """A postcode checked against the country's pattern (CN: six digits); other countries
    a sane pattern of 3 to 12 letters, digits, spaces or hyphens."""
    code = clean_text(value).upper()
    if not code:
        return ""
    rule = _POSTCODE_COUNTRY.get((country or "CN").upper())
    if rule is not None:
        pattern, message = rule
        if not pattern.match(code):
            raise ValidationError(str(message), code="invalid_postcode")
        return code
    if not _POSTCODE_OTHER.match(code):
        raise ValidationError(
            _("A postcode has 3 to 12 letters, digits, spaces or hyphens."),
            code="invalid_postcode",
        )
    return code
