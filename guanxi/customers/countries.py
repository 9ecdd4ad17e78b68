"""Countries and regions of an address: the ISO 3166-1 two-letter codes and their names in the
user's language, from the region names that phonenumbers ships for its geocoder (a dependency
kept up with Google's data; no list of our own to maintain)."""

from __future__ import annotations

import functools

from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _
from phonenumbers.geodata.locale import LOCALE_DATA
from pypinyin import lazy_pinyin

DEFAULT = "CN"
# Codes in phonenumbers' names that ISO 3166-1 no longer has (the Netherlands Antilles, 2010).
_WITHDRAWN = frozenset({"AN"})
CODES = frozenset(LOCALE_DATA) - _WITHDRAWN


def _language(language: str | None) -> str:
    """ "zh-hans" -> "zh", "en-gb" -> "en": the languages phonenumbers names regions in."""
    return (language or translation.get_language() or "en").split("-")[0].split("_")[0].lower()


def country_name(code: str, language: str | None = None) -> str:
    """The name of a country or region in `language` (default: the active one); the code
    itself when it is not one."""
    names = LOCALE_DATA.get(code) if code in CODES else None
    if not names:
        return code
    name = names.get(_language(language)) or names.get("en", "")
    if name.startswith("*"):  # "*en": the name is the one of that language
        name = names.get(name[1:], "")
    return name or code


@functools.cache
def _choices(language: str) -> tuple[tuple[str, str], ...]:
    def order(item: tuple[str, str]) -> tuple[int, str]:
        code, name = item
        key = " ".join(lazy_pinyin(name)).casefold() if language == "zh" else name.casefold()
        return (code != DEFAULT, key)

    return tuple(sorted(((c, country_name(c, language)) for c in CODES), key=order))


def country_choices(language: str | None = None) -> list[tuple[str, str]]:
    """(code, name) for every country, China first, the others by name (by pinyin in Chinese)."""
    return list(_choices(_language(language)))


@functools.cache
def _by_name() -> dict[str, str]:
    from .normalize import text_key

    out = {}
    for code in CODES:
        for language in ("en", "zh"):
            out[text_key(country_name(code, language))] = code
    out.update({text_key(k): v for k, v in _OTHER_NAMES.items()})
    return out


# Names people write that are not the ones above.
_OTHER_NAMES = {
    "中华人民共和国": "CN", "中國": "CN", "PRC": "CN", "P.R.China": "CN",
    "People's Republic of China": "CN", "美國": "US", "USA": "US", "U.S.A.": "US",
    "United States of America": "US", "UK": "GB", "Britain": "GB", "Great Britain": "GB",
    "England": "GB", "香港特别行政区": "HK", "中国香港": "HK", "澳门": "MO", "中国澳门": "MO",
    "台湾": "TW", "中国台湾": "TW", "韩国": "KR", "South Korea": "KR", "Korea": "KR",
}  # fmt: skip


def invalid_country_message(value: str) -> str:
    return _(
        "“%(value)s” is not a country or region: write its two-letter ISO 3166 code, such as "
        "CN, HK or US."
    ) % {"value": value}


def clean_country(value: str) -> str:
    """An ISO 3166-1 code from what a user typed: a code in any case; empty is China. Raises
    ValidationError with a message that names the value."""
    code = (value or "").strip().upper() or DEFAULT
    if code not in CODES:
        raise ValidationError(invalid_country_message(value), code="invalid_country")
    return code


def parse_country(value: str) -> str:
    """`clean_country`, also taking a country's name in English or Chinese (中国, United
    States): what a spreadsheet column holds."""
    from .normalize import text_key

    code = _by_name().get(text_key(value or ""))
    return code or clean_country(value)
