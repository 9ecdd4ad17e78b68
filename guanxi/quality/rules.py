"""The data quality rules as the customers services apply them.

`current()` reads the one settings row at most once per request (web/API; the request id of
guanxi.core.context tells requests apart) and once per call elsewhere; `check_names` raises
field errors that name the rule. Nothing here changes what the user typed.
"""

from __future__ import annotations

import contextvars
import functools
import re
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from guanxi.core import context
from guanxi.customers import normalize

from .models import DEFAULT_LEGAL_SUFFIXES, QualitySettings

_cache: contextvars.ContextVar[tuple[str, QualitySettings] | None] = contextvars.ContextVar(
    "guanxi_quality_rules", default=None
)


def current() -> QualitySettings:
    request_id = context.current().request_id
    cached = _cache.get()
    if request_id and cached and cached[0] == request_id:
        return cached[1]
    rules = QualitySettings.objects.filter(pk=1).first()
    if rules is None:
        rules = QualitySettings(pk=1, legal_suffixes=list(DEFAULT_LEGAL_SUFFIXES))
    if request_id:
        _cache.set((request_id, rules))
    return rules


def forget() -> None:
    """Drop the cached rules (after they were changed)."""
    _cache.set(None)


def _names(customer: Any) -> list[tuple[str, str]]:
    out = [
        ("display_name", customer.display_name),
        ("legal_name", customer.legal_name),
        ("short_name", customer.short_name),
    ]
    out += [("aliases", alias) for alias in customer.aliases or []]
    return [(field, value) for field, value in out if value]


def stored_names(customer: Any) -> tuple[str, set[tuple[str, str]]]:
    """The kind and the names of a customer as saved: `check_names(..., before=...)` holds
    only the names that differ from these to the rules."""
    return customer.kind, set(_names(customer))


# A letter or digit of an alphabetic script (Latin, Greek, Cyrillic…): any word character but
# the underscore and the ideographs and syllables of Chinese, Japanese and Korean, which are
# written without spaces between words.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_LETTER = rf"(?![{_CJK}])[^\W_]"
_LATIN = re.compile(rf"(?:{_LETTER})+(?: (?:{_LETTER})+)*")


def _spaced_key(value: str) -> str:
    """`text_key` word by word: the spaces between words kept, to find whole words."""
    return " ".join(normalize.text_key(part) for part in normalize.clean_text(value).split())


@functools.lru_cache(maxsize=4096)
def _forbidden_pattern(word: str) -> tuple[str, re.Pattern[str] | None]:
    """The key of a forbidden word, and for a word of an alphabetic script a pattern that finds
    it as a whole word ("test" is in "Test Co." and "测试test", not in "Contest" or "Testé").
    Chinese has no spaces between words: such a word is found anywhere in a name. Made once
    per word, not once per name checked (an import checks every row's)."""
    spaced = _spaced_key(word)
    if not _LATIN.fullmatch(spaced):
        return normalize.text_key(word), None
    return normalize.text_key(word), re.compile(rf"(?<!{_LETTER}){re.escape(spaced)}(?!{_LETTER})")


def check_names(
    customer: Any,
    rules: QualitySettings | None = None,
    *,
    before: tuple[str, set[tuple[str, str]]] | None = None,
) -> None:
    """Forbidden words (in any name), length limits per kind, and the legal form at the end of
    an organisation's legal name. Raises ValidationError keyed by the field.

    `before` (`stored_names` of the customer before the change): a name that is unchanged, of
    a customer whose kind is unchanged, is not checked again, so that a rule the administrator
    adds later does not refuse a new grade, tag or owner of a customer saved before it."""
    rules = rules or current()
    errors: dict[str, str] = {}
    unchanged: set[tuple[str, str]] = set()
    if before is not None and before[0] == customer.kind:
        unchanged = before[1]
    words = [(w, _forbidden_pattern(w)) for w in rules.forbidden_words or [] if w]
    for field, value in _names(customer):
        if (field, value) in unchanged:
            continue
        key, spaced = normalize.text_key(value), _spaced_key(value)
        for word, (word_key, latin) in words:
            if not word_key or field in errors:
                continue
            if latin.search(spaced) if latin else word_key in key:
                errors[field] = _("A name must not contain “%(word)s”.") % {"word": word}
    if customer.kind == "organisation":
        low, high = rules.organisation_name_min, rules.organisation_name_max
    else:
        low, high = rules.person_name_min, rules.person_name_max
    for field in ("display_name", "legal_name"):
        value = getattr(customer, field) or ""
        if not value or field in errors or (field, value) in unchanged:
            continue
        if len(value) < low:
            errors[field] = _("A name must have at least %(n)d characters.") % {"n": low}
        elif len(value) > high:
            errors[field] = _("A name may have at most %(n)d characters.") % {"n": high}
    if (
        customer.kind == "organisation"
        and rules.require_legal_suffix
        and customer.legal_name
        and "legal_name" not in errors
        and ("legal_name", customer.legal_name) not in unchanged
    ):
        suffixes = [s for s in rules.legal_suffixes or [] if normalize.bare_key(s)]
        # Punctuation aside: "Co.,Ltd" is the legal form "Co., Ltd." as people write it.
        name = normalize.bare_key(customer.legal_name)
        if suffixes and not any(name.endswith(normalize.bare_key(s)) for s in suffixes):
            errors["legal_name"] = _(
                "The legal name of an organisation must end in one of: %(forms)s."
            ) % {"forms": ", ".join(suffixes)}
    if errors:
        raise ValidationError(errors)
