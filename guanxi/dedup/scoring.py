"""Duplicate detection: blocking keys and the score of a candidate pair, in one place.

Everything that looks for duplicates (the check before a customer is saved, the scan of the
whole base, the accuracy benchmark) builds `Record`s, groups them by `block_keys` and scores
only records that share a key with `score_at_least` (the score of `score_pair` when it reaches
the review threshold; the cheap fields are compared first, and a pair that cannot reach the
threshold is dropped before its names are); nothing compares every pair.

The score is a Fellegi-Sunter style sum of evidence: each field that both records have adds
weight when it agrees (a shared mobile number is strong evidence, a shared postcode weak) and
takes some away when it disagrees. The sum, with a prior for "two records that share a blocking
key are rarely the same customer", goes through a logistic curve to a score between 0 and 1.
Each contribution above noise becomes a reason: a machine code, parameters without any
personal value (so a reason can be shown about a record the user may not see), and a
translatable text.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
import sys
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _
from rapidfuzz import fuzz
from rapidfuzz.distance import DamerauLevenshtein, JaroWinkler

from guanxi.customers import normalize

# Buckets of a weak key (a name and a date of birth, a name and a postcode) larger than this are
# not paired: forty people born on one day with one name are not one person.
MAX_BLOCK_SIZE = 40
# A name alone is weaker still: thousands of customers are called 王伟, and a base of a million
# has hundreds of each common name; only rare names pair on the name alone.
MAX_NAME_BLOCK_SIZE = 8
NAME_PREFIXES = ("nk:", "ns:")
# Strong keys (identity and credit codes, phones, e-mails) are paired in larger buckets.
MAX_STRONG_BLOCK_SIZE = 200
STRONG_PREFIXES = ("id:", "cc:", "ph:", "em:")


# Every key starts with a three-character prefix ("ph:", "nk:", "pb:"...).
PREFIX_LIMITS = {
    **dict.fromkeys(STRONG_PREFIXES, MAX_STRONG_BLOCK_SIZE),
    **dict.fromkeys(NAME_PREFIXES, MAX_NAME_BLOCK_SIZE),
}


def block_limit(key: str) -> int:
    return PREFIX_LIMITS.get(key[:3], MAX_BLOCK_SIZE)


# Log-odds weights (base 2). Tuned on the Febrl data (benchmarks/dedup_bench.py).
PRIOR = -4.0
W_IDENTITY_SAME, W_IDENTITY_NEAR, W_IDENTITY_DIFF = 9.0, 5.0, -2.5
W_CREDIT_SAME, W_CREDIT_DIFF = 12.0, -8.0
W_PHONE_SAME, W_PHONE_DIFF = 8.0, -1.5
W_EMAIL_SAME, W_EMAIL_DIFF = 8.0, -1.5
W_BIRTHDAY_SAME, W_BIRTHDAY_SWAP, W_BIRTHDAY_TYPO, W_BIRTHDAY_DIFF = 4.5, 3.0, 2.5, -4.0
W_POSTCODE_SAME, W_POSTCODE_NEAR, W_POSTCODE_DIFF = 2.0, 0.8, -1.0
W_CITY_SAME, W_CITY_DIFF = 1.0, -0.5
W_STREET_SAME, W_STREET_NEAR, W_STREET_DIFF = 2.5, 1.2, -1.0
W_KIND_DIFF = -6.0
# Two organisations whose names differ only by legal form and region (北京字节跳动科技有限公司,
# 字节跳动科技（北京）有限公司, 字节跳动): their name keys are equal; worth a review on its own.
W_ORG_NAME_KEY_SAME = 4.5


REASON_TEXTS: dict[str, Any] = {
    "same_identity_code": _("same identity number"),
    "near_identity_code": _("identity numbers differ by one character"),
    "different_identity_code": _("different identity numbers"),
    "same_credit_code": _("same unified social credit code"),
    "different_credit_code": _("different unified social credit codes"),
    "same_phone": _("same phone number"),
    "same_email": _("same e-mail address"),
    "names_alike": _("names %(percent)d%% alike"),
    "names_differ": _("names only %(percent)d%% alike"),
    "pinyin_alike": _("names sound alike (pinyin %(percent)d%% alike)"),
    "same_name_key": _("same name apart from the legal form and the region"),
    "same_birthday": _("same date of birth"),
    "birthday_swapped": _("date of birth with day and month swapped"),
    "birthday_typo": _("dates of birth differ by one digit"),
    "different_birthday": _("different dates of birth"),
    "same_postcode": _("same postcode"),
    "near_postcode": _("postcodes differ by one digit"),
    "same_city": _("same city"),
    "same_street": _("street addresses %(percent)d%% alike"),
    "different_kind": _("one is a person, the other an organisation"),
}


def reason_text(code: str, params: dict[str, Any] | None = None) -> str:
    """The reason in the active language."""
    template = REASON_TEXTS.get(code)
    if template is None:
        return code
    text = str(template)
    return text % params if params else text.replace("%%", "%")


@dataclass(slots=True)
class Record:
    """What duplicate detection knows of a customer (saved or about to be)."""

    id: int | None
    kind: str = "person"
    names: tuple[str, ...] = ()
    name_key: str = ""
    pinyin: str = ""
    birthday: dt.date | None = None
    identity_code: str = ""
    credit_code: str = ""
    # E.164 numbers and e-mail addresses (a tuple or a set: the scan keeps tuples, smaller).
    phones: Collection[str] = ()
    emails: Collection[str] = ()
    postcode: str = ""
    city: str = ""
    street: str = ""
    # Comparable forms, filled by `prepare`: the names lower case, the same without spaces,
    # whether the first is Chinese, the date of birth as YYYYMMDD.
    name_texts: tuple[str, ...] = field(default=(), repr=False)
    name_compact: tuple[str, ...] = field(default=(), repr=False)
    cjk: bool = field(default=False, repr=False)
    birthday_digits: str = field(default="", repr=False)


_CJK = re.compile("[\u3400-\u9fff]")


def _cjk(text: str) -> bool:
    return _CJK.search(text) is not None


def _name_text(name: str) -> str:
    return name.casefold().replace("-", " ")


def _name_forms(names: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...], bool]:
    """The names lower case (each once), the same without spaces, whether the first is
    Chinese."""
    if len(names) == 1:
        text = names[0].casefold().replace("-", " ")
        if text == names[0]:
            text = names[0]  # kept once (Chinese names do not change)
        texts: tuple[str, ...] = (text,) if text else ()
        compact: tuple[str, ...] = (text.replace(" ", ""),) if text else ()
    else:
        texts = tuple(dict.fromkeys(t for t in map(_name_text, names) if t))
        compact = tuple(t.replace(" ", "") for t in texts)
    return texts, compact, bool(texts) and _cjk(texts[0])


def _folded(names: tuple[str, ...]) -> tuple[str, ...]:
    """The names width-folded with single spaces; the same tuple when nothing changes."""
    folded = tuple(normalize.clean_text(n) for n in names)
    return names if folded == names else folded


def prepare(
    record: Record,
    *,
    cleaned: bool = False,
    shared: dict[tuple[str, ...], tuple] | None = None,
) -> Record:
    """Comparable forms of the names (lower case, width-folded), computed once per record.

    `cleaned`: the street and city were stored by the customer services, already width-folded
    and with single spaces (normalize.clean_text), so only case is folded (the scan's fast
    path). Names are width-folded in every case: the services keep them as written
    (normalize.tidy_text: ＪＯＨＮ and （北京） stay full-width).
    `shared`: a dict kept across records (by the scan): records with the same names share
    their forms, computed once (a million customers have far fewer distinct names)."""
    if not cleaned:
        record.street = normalize.clean_text(record.street)
        record.city = normalize.clean_text(record.city)
    names = record.names
    if shared is None:
        names = record.names = _folded(names)
        texts, record.name_compact, record.cjk = _name_forms(names)
    else:
        forms = shared.get(names)
        if forms is None:
            folded = _folded(names)
            forms = shared[names] = (folded, *_name_forms(folded))
        record.names, texts, record.name_compact, record.cjk = forms
        names = record.names
    record.name_texts = texts
    if record.birthday is not None:
        record.birthday_digits = _birthday_digits(record.birthday)
    record.identity_code = record.identity_code.strip().upper()
    # Values many customers share are kept once (a scan holds a million records).
    record.postcode = sys.intern(record.postcode.strip())
    record.city = sys.intern(record.city.casefold().replace(" ", ""))
    street = _name_text(record.street)
    if street != record.street:
        record.street = street  # else the same text is kept once
    if names and record.name_key == names[0]:  # the same text, kept once
        record.name_key = names[0]
    return record


@functools.lru_cache(maxsize=65536)
def _birthday_digits(birthday: dt.date) -> str:
    return birthday.isoformat().replace("-", "")


@functools.lru_cache(maxsize=65536)
def _bday_keys(birthday: dt.date) -> tuple[str, str]:
    """The date and the date with day and month in order (catches swapped day and month)."""
    m, d = birthday.month, birthday.day
    low, high = (m, d) if m <= d else (d, m)
    return birthday.isoformat(), f"{birthday.year}-{low}-{high}"


def block_keys(record: Record) -> set[str]:
    """Keys under which `record` meets its candidate duplicates (`block_key_sets` together)."""
    strong, names, weak = block_key_sets(record)
    return strong | names | weak


def block_key_sets(record: Record) -> tuple[set[str], set[str], set[str]]:
    """Keys under which `record` meets its candidate duplicates: strong keys, name keys and
    weak keys (their buckets have different size limits, `block_limit`).

    Strong keys: identity code, credit code, each phone (E.164) and e-mail. Name keys: each
    name key, the name's parts in order. Weak keys: pinyin with date of birth, pinyin with
    postcode, date of birth with postcode, date of birth (day and month in order) with the
    first letters of the pinyin, of the last name part or of the identity code, postcode with
    the start of the street. A typo in any one field still leaves the record in a block with
    its duplicate through the others.
    """
    strong: set[str] = set()
    ident = record.identity_code
    if ident:
        strong.add("id:" + ident)
    if record.credit_code:
        strong.add("cc:" + record.credit_code)
    for p in record.phones:
        strong.add("ph:" + p)
    for e in record.emails:
        strong.add("em:" + e)
    keys: set[str] = set()
    if record.name_key:
        keys.add("nk:" + record.name_key)
    names = record.name_texts
    tokens = names[0].split() if names else []
    for name in record.name_compact[1:]:
        keys.add("nk:" + name)
    if len(tokens) > 1:
        # Given name and surname in either order ("Berry Lachlan").
        keys.add("ns:" + " ".join(sorted(tokens)))
    weak: set[str] = set()
    py = record.pinyin
    postcode = record.postcode
    if py and postcode:
        weak.add(f"pp:{py}|{postcode}")
    birthday = record.birthday
    if birthday:
        exact, ordered = _bday_keys(birthday)
        if py:
            weak.add(f"pb:{py}|{exact}")
            weak.add(f"bi:{ordered}|{py[:2]}")
        if postcode:
            weak.add(f"bp:{exact}|{postcode}")
        if tokens:
            # The last name part's start: a swapped or missing given name still meets.
            weak.add(f"bt:{ordered}|{tokens[-1][:2]}")
        if ident:
            weak.add(f"bc:{ordered}|{ident[:2]}")
    if postcode and record.street and py:
        weak.add(f"ps:{postcode}|{record.street[:4]}|{py[0]}")
    return strong, keys, weak


def candidate_pairs(records: Iterable[Record]) -> tuple[set[tuple[int, int]], int]:
    """Pairs (low id, high id) of records that share a block key, and how many buckets were
    left out as too common."""
    buckets: dict[str, list[int]] = {}
    for record in records:
        for key in block_keys(record):
            buckets.setdefault(key, []).append(record.id)
    return pairs_from_buckets(buckets.items())


def pairs_from_buckets(buckets) -> tuple[set[tuple[int, int]], int]:
    pairs: set[tuple[int, int]] = set()
    skipped = 0
    for key, ids in buckets:
        n = len(ids)
        if n < 2:
            continue
        limit = block_limit(key)
        if n > limit:
            skipped += 1
            continue
        ids = sorted(set(ids))
        for i, a in enumerate(ids):
            for b in ids[i + 1 :]:
                pairs.add((a, b))
    return pairs, skipped


# --- scoring ----------------------------------------------------------------------------------


def _name_similarity(a: Record, b: Record) -> float:
    best = 0.0
    for x, xc in zip(a.name_texts, a.name_compact, strict=True):
        for y, yc in zip(b.name_texts, b.name_compact, strict=True):
            if x == y:
                return 1.0
            sort = fuzz.token_sort_ratio(x, y) / 100
            jw = JaroWinkler.normalized_similarity(xc, yc)
            # Token sort forgives order ("berry lachlan"); Jaro-Winkler forgives typos; a name
            # that lost a part ("lowe" / "paige lowe") is caught by the partial token ratio.
            partial = fuzz.token_set_ratio(x, y) / 100 * 0.92
            best = max(best, sort, 0.5 * (sort + jw), partial)
    return best


def _pinyin_similarity(a: Record, b: Record) -> float:
    if not (a.pinyin and b.pinyin):
        return 0.0
    return JaroWinkler.normalized_similarity(a.pinyin, b.pinyin)


def _share(x: Collection[str], y: Collection[str]) -> bool:
    for v in x:  # noqa: SIM110 (a plain loop: twice as fast as any() over a generator)
        if v in y:
            return True
    return False


def _code_distance(x: str, y: str) -> int:
    return DamerauLevenshtein.distance(x, y, score_cutoff=2)


def _birthday_match(a: Record, b: Record) -> str:
    x, y = a.birthday, b.birthday
    if x == y:
        return "same"
    if x.year == y.year and x.month == y.day and x.day == y.month:
        return "swapped"
    # One digit changed, or two neighbours swapped, in YYYYMMDD.
    if DamerauLevenshtein.distance(a.birthday_digits, b.birthday_digits, score_cutoff=1) == 1:
        return "typo"
    return "different"


@dataclass(slots=True)
class Score:
    score: float
    reasons: list[dict[str, Any]]

    @property
    def percent(self) -> int:
        return round(self.score * 100)


# Reasons are listed strongest first; among equally strong ones, in this order of fields.
_REASON_ORDER = {
    code: rank
    for rank, code in enumerate(
        (
            "different_kind",
            "same_credit_code",
            "different_credit_code",
            "same_identity_code",
            "near_identity_code",
            "different_identity_code",
            "same_phone",
            "same_email",
            "pinyin_alike",
            "same_name_key",
            "names_alike",
            "names_differ",
            "same_birthday",
            "birthday_swapped",
            "birthday_typo",
            "different_birthday",
            "same_postcode",
            "near_postcode",
            "same_city",
            "same_street",
        )
    )
}
# The most the name and the street can add (the costly comparisons, made last).
_MAX_NAME_WEIGHT = 5.0
_MAX_STREET_WEIGHT = W_STREET_SAME


def _probability(total: float) -> float:
    return round(1.0 / (1.0 + 2.0 ** (-total)), 4)


@functools.lru_cache(maxsize=16)
def _least_total(threshold: float) -> float:
    """The smallest sum of evidence whose score reaches `threshold` (the score only grows with
    the sum, so a sum below it scores below the threshold)."""
    low, high = -1000.0, 1000.0
    if _probability(low) >= threshold:
        return low
    while True:
        middle = (low + high) / 2
        if middle in (low, high):
            return high
        if _probability(middle) >= threshold:
            high = middle
        else:
            low = middle


def _evidence(
    a: Record, b: Record, reasons: list[dict[str, Any]] | None, threshold: float | None
) -> float | None:
    """The sum of the evidence weights (with the prior) of a pair; each contribution with a
    code is appended to `reasons` when that is a list. With a `threshold`, None as soon as the
    score cannot reach it whatever the fields not yet compared say (the cheap fields are
    compared first, then the names, then the street)."""
    total = PRIOR

    def add(weight: float, code: str | None = None, **params: Any) -> None:
        nonlocal total
        total += weight
        if code is not None and reasons is not None:
            reasons.append(_reason(code, weight, **params))

    if a.kind != b.kind:
        add(W_KIND_DIFF, "different_kind")
    if a.credit_code and b.credit_code:
        if a.credit_code == b.credit_code:
            add(W_CREDIT_SAME, "same_credit_code")
        else:
            add(W_CREDIT_DIFF, "different_credit_code")
    if a.identity_code and b.identity_code:
        if a.identity_code == b.identity_code:
            add(W_IDENTITY_SAME, "same_identity_code")
        elif _code_distance(a.identity_code, b.identity_code) <= 1:
            add(W_IDENTITY_NEAR, "near_identity_code")
        else:
            add(W_IDENTITY_DIFF, "different_identity_code")
    if a.phones and b.phones:
        if _share(a.phones, b.phones):
            add(W_PHONE_SAME, "same_phone")
        else:
            add(W_PHONE_DIFF)
    if a.emails and b.emails:
        if _share(a.emails, b.emails):
            add(W_EMAIL_SAME, "same_email")
        else:
            add(W_EMAIL_DIFF)
    if a.birthday and b.birthday:
        match = _birthday_match(a, b)
        if match == "same":
            add(W_BIRTHDAY_SAME, "same_birthday")
        elif match == "swapped":
            add(W_BIRTHDAY_SWAP, "birthday_swapped")
        elif match == "typo":
            add(W_BIRTHDAY_TYPO, "birthday_typo")
        else:
            add(W_BIRTHDAY_DIFF, "different_birthday")
    if a.postcode and b.postcode:
        if a.postcode == b.postcode:
            add(W_POSTCODE_SAME, "same_postcode")
        elif len(a.postcode) == len(b.postcode) and _code_distance(a.postcode, b.postcode) <= 1:
            add(W_POSTCODE_NEAR, "near_postcode")
        else:
            add(W_POSTCODE_DIFF)
    if a.city and b.city:
        if a.city == b.city:
            add(W_CITY_SAME, "same_city")
        else:
            add(W_CITY_DIFF)

    names = bool(a.name_texts and b.name_texts)
    streets = bool(a.street and b.street)
    least = -math.inf if threshold is None else _least_total(threshold)
    if total + _MAX_NAME_WEIGHT * names + _MAX_STREET_WEIGHT * streets < least:
        return None
    if names:
        sim = _name_similarity(a, b)
        # 1.0 → +5, 0.9 → +3, 0.8 → +1, 0.7 → -1.5, below → down to -6.
        weight = 5.0 - (1.0 - sim) * 20.0 if sim >= 0.8 else 1.0 - (0.8 - sim) * 25.0
        weight = max(weight, -6.0)
        percent = math.floor(sim * 100)
        if (
            weight < W_ORG_NAME_KEY_SAME
            and a.kind == b.kind == "organisation"
            and a.name_key
            and a.name_key == b.name_key
        ):
            add(W_ORG_NAME_KEY_SAME, "same_name_key")
            weight = None
        elif (a.cjk or b.cjk) and sim < 0.9:
            py = _pinyin_similarity(a, b)
            if py >= 0.95:
                weight = max(weight, 3.0)
                add(weight, "pinyin_alike", percent=math.floor(py * 100))
                weight = None
        if weight is not None:
            if weight > 0:
                add(weight, "names_alike", percent=percent)
            elif weight < -1:
                add(weight, "names_differ", percent=percent)
            else:
                add(weight)
    if streets:
        if total + _MAX_STREET_WEIGHT < least:
            return None
        sim = fuzz.token_sort_ratio(a.street, b.street) / 100
        if sim >= 0.9:
            add(W_STREET_SAME, "same_street", percent=math.floor(sim * 100))
        elif sim >= 0.75:
            add(W_STREET_NEAR, "same_street", percent=math.floor(sim * 100))
        else:
            add(W_STREET_DIFF)
    return total


def _reason(code: str, weight: float, **params: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"code": code, "weight": round(weight, 2)}
    if params:
        out["params"] = params
    return out


def score_pair(a: Record, b: Record) -> Score:
    """How likely two records are the same customer (0–1) and why."""
    reasons: list[dict[str, Any]] = []
    total = _evidence(a, b, reasons, None)
    reasons.sort(key=lambda r: (-abs(r["weight"]), _REASON_ORDER[r["code"]]))
    return Score(score=_probability(total), reasons=reasons)


def score_at_least(a: Record, b: Record, threshold: float) -> Score | None:
    """`score_pair(a, b)` when its score reaches `threshold`, else None: the check and the
    scan keep only such pairs, and most candidate pairs are ruled out by their cheap fields
    before their names are compared, without building reasons."""
    total = _evidence(a, b, None, threshold)
    if total is None or _probability(total) < threshold:
        return None
    return score_pair(a, b)


def public_reasons(reasons: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Reasons as an API or a page shows them: code, parameters and text in the active
    language. They carry no personal value, so they may describe a record the user cannot
    see."""
    return [
        {
            "code": r["code"],
            "params": r.get("params", {}),
            "text": reason_text(r["code"], r.get("params")),
            "positive": r.get("weight", 0) > 0,
        }
        for r in reasons
    ]
