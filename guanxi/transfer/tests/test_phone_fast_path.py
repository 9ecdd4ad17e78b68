"""The fast path for plain CN mobile numbers (customers/normalize.py) gives exactly what
phonenumbers gives: property tests over the formats people write and over noise."""

import phonenumbers
from hypothesis import example, given, settings
from hypothesis import strategies as st

from guanxi.customers import normalize


def reference(value: str) -> str | None:
    """phonenumbers alone, as normalize_phone did before the fast path: E.164 or None."""
    raw = normalize.clean_text(value)
    try:
        number = phonenumbers.parse(raw, "CN")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number) or number.extension:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


digits11 = st.from_regex(r"1[0-9]{10}", fullmatch=True)
prefix = st.sampled_from(["", "+86", "+86 ", "+86-", "(+86) ", "0086 ", "0086", "86", "＋８６"])


@st.composite
def written(draw):
    d = draw(digits11)
    style = draw(st.integers(0, 4))
    if style == 1:
        d = f"{d[:3]} {d[3:7]} {d[7:]}"
    elif style == 2:
        d = f"{d[:3]}-{d[3:7]}-{d[7:]}"
    elif style == 3:
        d = f"({d[:3]}) {d[3:7]}.{d[7:]}"
    elif style == 4:
        d = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in d)  # full-width
    return draw(prefix) + d


@settings(max_examples=400, deadline=None)
@given(written())
@example("13812345678")
@example("14012345678")  # not a mobile range: the full path decides
@example("8613812345678")
def test_fast_path_equals_phonenumbers(value):
    fast = normalize._fast_cn_mobile(normalize.clean_text(value))
    if fast is not None:
        assert fast == reference(value)
    # And normalize_phone (fast path or not) always agrees with phonenumbers on valid mobiles.
    expected = reference(value)
    if expected is not None:
        assert normalize.normalize_phone(value) == expected


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789+-() .86１３", max_size=20))
def test_fast_path_on_noise_never_disagrees(value):
    fast = normalize._fast_cn_mobile(normalize.clean_text(value))
    if fast is not None:
        assert fast == reference(value)
