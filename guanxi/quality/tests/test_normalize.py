"""The normalisers behind the name keys and contact keys: examples and properties."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from hypothesis import example, given, settings
from hypothesis import strategies as st

from guanxi.customers import normalize
from guanxi.customers.keys import search_keys

from .conftest import GOOD_RIC

names = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")),
        st.sampled_from("字節跳動科技有限公司北京（）()ＡＢＣabc 　"),
    ),
    min_size=1,
    max_size=40,
)


@pytest.mark.parametrize(
    "raw",
    [
        "13800138000",
        "+86 138 0013 8000",
        "0086-138-0013-8000",
        "(+86)138 0013 8000",
        "138-0013-8000",
    ],
)
def test_five_spellings_of_one_mobile_give_one_e164(raw):
    assert normalize.normalize_phone(raw) == "+8613800138000"


@pytest.mark.parametrize(
    "raw", ["010-12345678 转 123", "010 1234 5678 分机 123", "01012345678转123"]
)
def test_landline_with_extension(raw):
    assert normalize.normalize_phone(raw) == "+861012345678;ext=123"


@pytest.mark.parametrize(
    "name",
    [
        "北京字节跳动科技有限公司",
        "字节跳动科技（北京）有限公司",
        "字节跳动",
        "字節跳動科技有限公司",
    ],
)
def test_three_bytedance_spellings_share_one_key(name):
    assert normalize.org_name_key(name) == "字节跳动"


@pytest.mark.parametrize(
    "name", ["ByteDance Ltd.", "bytedance", "BYTEDANCE Co., Ltd.", "ＢｙｔｅＤａｎｃｅ"]
)
def test_english_forms_share_one_key(name):
    assert normalize.org_name_key(name) == "bytedance"


def test_industry_words_are_stripped_only_at_the_end_and_never_to_nothing():
    assert normalize.org_name_key("上海贸易有限公司") == "贸易"
    assert normalize.org_name_key("网络科技有限公司") != ""
    assert normalize.org_name_key("科技创新网络有限公司") == "科技创新"


def test_traditional_and_simplified_names_find_each_other():
    assert normalize.text_key("張偉") == normalize.text_key("张伟")
    keys_t = search_keys(kind="person", display_name="張偉")
    keys_s = search_keys(kind="person", display_name="张伟")
    assert keys_t["name_key"] == keys_s["name_key"] and keys_t["pinyin"] == "zhangwei"


def test_identity_codes():
    assert normalize.normalize_identity_code(GOOD_RIC.lower()) == GOOD_RIC
    assert normalize.normalize_identity_code(" e 1234-5678 ") == "E1234-5678"
    for bad in ("110105194912310021", "110105194913310028", "AB", "E123_456", "X" * 33):
        with pytest.raises(ValidationError):
            normalize.normalize_identity_code(bad)


def test_postcodes():
    assert normalize.normalize_postcode("310000", "CN") == "310000"
    assert normalize.normalize_postcode("sw1a 1aa", "GB") == "SW1A 1AA"
    assert normalize.normalize_postcode("10110", "TH") == "10110"
    for code, country in (("31000", "CN"), ("3100000", "CN"), ("ABCDE", "US"), ("!!", "TH")):
        with pytest.raises(ValidationError):
            normalize.normalize_postcode(code, country)


# --- properties -------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(names)
@example("ß")
@example("ﬁ")
def test_text_key_is_idempotent_and_ignores_width_case_and_spaces(name):
    key = normalize.text_key(name)
    assert normalize.text_key(key) == key
    assert " " not in key
    assert (
        normalize.text_key(name.upper()) == normalize.text_key(name.lower()) or not name.isascii()
    )


@settings(max_examples=300, deadline=None)
@given(names)
def test_org_key_is_idempotent_and_never_empty_for_a_name_with_letters(name):
    key = normalize.org_name_key(name)
    if any(ch.isalnum() for ch in name):
        assert key
    assert normalize.org_name_key(key) == key


@settings(max_examples=200, deadline=None)
@given(
    st.text(
        alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 ",
        min_size=1,
        max_size=30,
    )
)
def test_full_width_and_half_width_give_one_key(name):
    full = "".join(
        chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else "\u3000" if c == " " else c for c in name
    )
    assert normalize.text_key(full) == normalize.text_key(name)
    assert normalize.org_name_key(full) == normalize.org_name_key(name)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="字節跳動張偉華東貿易發展國際電腦網絡資訊", min_size=1, max_size=12))
def test_traditional_and_simplified_give_one_key(name):
    simplified = normalize.to_simplified(name)
    assert normalize.text_key(name) == normalize.text_key(simplified)
    assert normalize.org_name_key(name) == normalize.org_name_key(simplified)
    assert normalize.pinyin(normalize.text_key(name)) == normalize.pinyin(simplified)


@settings(max_examples=200, deadline=None)
@given(
    st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
    st.sampled_from(["", "+86 ", "0086-", "(+86)"]),
)
def test_phone_formats_are_one_key_and_the_key_is_stable(mobile, prefix):
    try:
        e164 = normalize.normalize_phone(prefix + mobile)
    except ValidationError:
        return  # not every such number is allocated; the invalid ones are refused everywhere
    assert e164 == normalize.normalize_phone(mobile) == normalize.normalize_phone(e164)
    spaced = f"{mobile[:3]} {mobile[3:7]} {mobile[7:]}"
    assert normalize.normalize_phone(spaced) == e164


@pytest.mark.django_db
def test_search_in_traditional_characters_finds_the_simplified_name(two_teams, api, customer_of):
    customer = customer_of(two_teams.rep_a, display_name="张伟")
    org = customer_of(two_teams.rep_a, kind="organisation", display_name="北京字节跳动科技有限公司")
    client = api(two_teams.rep_a)
    found = client.get("/api/v1/customers/", {"search": "張偉"}).json()["results"]
    assert [c["id"] for c in found] == [customer.pk]
    found = client.get("/api/v1/customers/", {"search": "字節跳動"}).json()["results"]
    assert [c["id"] for c in found] == [org.pk]
