"""Normalisers, keys and masking, by example and by property."""

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from guanxi.customers import masking, normalize


@pytest.mark.parametrize(
    "raw",
    [
        "13812345678",
        "138 1234 5678",
        "138-1234-5678",
        "+86 138 1234 5678",
        "(+86)13812345678",
        "0086 13812345678",
        "１３８１２３４５６７８",
    ],
)
def test_mobile_numbers_in_any_format_share_one_e164_form(raw):
    assert normalize.normalize_phone(raw) == "+8613812345678"


def test_landline_with_extension():
    assert normalize.normalize_phone("010-62345678 转 123") == "+861062345678;ext=123"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("010-62345678-123", "+861062345678;ext=123"),
        ("(010) 6234 5678-8001", "+861062345678;ext=8001"),
        ("+86-10-62345678-123", "+861062345678;ext=123"),
        ("0755-88888888-1234", "+8675588888888;ext=1234"),
        ("021 5555 7777 8", "+862155557777;ext=8"),
        ("010-6234-5678", "+861062345678"),
    ],
)
def test_landline_with_its_extension_after_a_dash_as_on_chinese_business_cards(typed, expected):
    assert normalize.normalize_phone(typed) == expected


@pytest.mark.parametrize("typed", ["0755-888888-1", "138-0013-8000-12", "12345-678"])
def test_a_dash_and_digits_after_an_invalid_number_are_no_extension(typed):
    with pytest.raises(ValidationError):
        normalize.normalize_phone(typed)
    assert normalize.normalize_phone("(021) 6234 5678") == "+862162345678"


@pytest.mark.parametrize("raw", ["12345", "abc", "", "138123456789999"])
def test_invalid_phones_raise_a_clear_error(raw):
    with pytest.raises(ValidationError):
        normalize.normalize_phone(raw)


def test_email_is_lower_cased_and_validated():
    assert normalize.normalize_email(" Zhang.San@QQ.COM ") == "zhang.san@qq.com"
    with pytest.raises(ValidationError):
        normalize.normalize_email("not-an-email")


@pytest.mark.parametrize(
    "name",
    ["北京字节跳动科技有限公司", "字节跳动科技（北京）有限公司", "字节跳动", "字节跳动有限公司"],
)
def test_organisation_name_variants_share_a_key(name):
    assert normalize.org_name_key(name) == "字节跳动"


def test_english_legal_forms_are_stripped():
    assert normalize.org_name_key("ByteDance Co., Ltd.") == normalize.org_name_key("ByteDance Ltd")


def test_pinyin_and_initials():
    assert normalize.pinyin("张三") == ("zhangsan", "zs")
    assert normalize.pinyin("ByteDance 字节") == ("bytedancezijie", "bytedancezj")


@given(st.text(max_size=200))
def test_clean_text_is_idempotent_and_trimmed(text):
    once = normalize.clean_text(text)
    assert normalize.clean_text(once) == once
    assert once == once.strip()


@given(st.text(max_size=100))
def test_text_key_ignores_case_width_and_spaces(text):
    key = normalize.text_key(text)
    assert " " not in key
    assert (
        normalize.text_key(text.upper()) == normalize.text_key(text.lower()) or not text.isascii()
    )


@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
def test_masked_mobile_keeps_only_prefix_and_last_four(mobile):
    masked = masking.mask("mobile", mobile)
    assert masked == mobile[:3] + "****" + mobile[-4:]
    assert mobile[3:7] not in masked.replace(mobile[:3], "", 1).replace(mobile[-4:], "")


@pytest.mark.parametrize(
    "raw",
    [
        "(+86) 13812345678",
        "(86)13812345678",
        "+86-138-1234-5678",
        "0086 138 1234 5678",
        "86 13812345678",
        "+８６ １３８１２３４５６７８",
    ],
)
def test_masked_mobile_drops_the_country_code_however_it_was_typed(raw):
    """The mask shows the national number's prefix (138****5678), not 861****5678."""
    assert masking.mask("mobile", raw) == "138****5678"


@pytest.mark.parametrize("raw", ["010-6234-5678", "+86 10 6234 5678", "(010) 6234 5678"])
def test_masked_landline_keeps_its_area_code(raw):
    assert masking.mask("phone", raw) == "010****5678"


@given(st.emails())
def test_masked_email_hides_the_local_part(email):
    masked = masking.mask("email", email)
    local, _, domain = email.rpartition("@")
    assert masked == local[:1] + "***@" + domain


# Chinese characters with several readings in and out of phrases (重庆, 银行, 长大, 音乐), Latin,
# digits, full-width forms, spaces of several kinds and punctuation.
MIXED_TEXT = st.text(
    alphabet=st.sampled_from(
        list("重庆银行长大音乐和平字节跳动科技有限公司王伟张秀英単體") + list("ByteDance ltd 123")
        + ["\u3000", "\t", "\n", "\xa0", "\u2003", "Ａ", "１", "（", "）", "-", ".", "·"]
    ),
    max_size=24,
)  # fmt: skip


@given(MIXED_TEXT)
def test_clean_text_collapses_the_spaces_a_regular_expression_finds(value):
    import re
    import unicodedata

    expected = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", value)).strip()
    assert normalize.clean_text(value) == expected


@given(MIXED_TEXT)
def test_pinyin_by_cached_runs_is_the_pinyin_of_the_whole_text(value):
    from pypinyin import Style, lazy_pinyin

    text = normalize.text_key(value)
    full = "".join(lazy_pinyin(text, errors="default")).casefold()
    initials = "".join(
        lazy_pinyin(text, style=Style.FIRST_LETTER, strict=False, errors="default")
    ).casefold()
    assert normalize.pinyin(value) == ((full, initials) if text else ("", ""))
