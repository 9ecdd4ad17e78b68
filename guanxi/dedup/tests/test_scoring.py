"""The scorer: each reason, the score's range, and blocking without comparing every pair."""

import datetime as dt

import numpy as np
import pytest

from guanxi.customers import normalize
from guanxi.dedup import scoring
from guanxi.dedup.scoring import Record, block_keys, candidate_pairs, prepare, score_pair


def rec(id=None, name="Lachlan Berry", **kw):
    kw.setdefault("name_key", normalize.text_key(name))
    kw.setdefault("pinyin", normalize.pinyin(name)[0])
    return prepare(Record(id=id, names=(name,), **kw))


def codes(result):
    return [r["code"] for r in result.reasons]


def test_identical_people_score_high_and_strangers_low():
    a = rec(birthday=dt.date(1990, 3, 1), postcode="4011", identity_code="6988048")
    b = rec(birthday=dt.date(1990, 3, 1), postcode="4011", identity_code="6988048")
    assert score_pair(a, b).score > 0.99
    c = rec(name="Olivia Clark", birthday=dt.date(1970, 5, 6), postcode="2000")
    assert score_pair(a, c).score < 0.05
    for result in (score_pair(a, b), score_pair(a, c)):
        assert 0 <= result.score <= 1


@pytest.mark.parametrize(
    ("a", "b", "code"),
    [
        (
            {"phones": frozenset({"+8613812345678"})},
            {"phones": frozenset({"+8613812345678"})},
            "same_phone",
        ),
        ({"emails": frozenset({"a@b.cn"})}, {"emails": frozenset({"a@b.cn"})}, "same_email"),
        (
            {"identity_code": "110101199003074514"},
            {"identity_code": "110101199003074514"},
            "same_identity_code",
        ),
        ({"identity_code": "1234567"}, {"identity_code": "1234576"}, "near_identity_code"),
        ({"identity_code": "1234567"}, {"identity_code": "9999999"}, "different_identity_code"),
        (
            {"credit_code": "91110000100000000A"},
            {"credit_code": "91110000100000000A"},
            "same_credit_code",
        ),
        (
            {"credit_code": "91110000100000000A"},
            {"credit_code": "91310000100000000B"},
            "different_credit_code",
        ),
        ({"birthday": dt.date(1990, 3, 4)}, {"birthday": dt.date(1990, 3, 4)}, "same_birthday"),
        ({"birthday": dt.date(1990, 3, 4)}, {"birthday": dt.date(1990, 4, 3)}, "birthday_swapped"),
        ({"birthday": dt.date(1990, 3, 4)}, {"birthday": dt.date(1991, 3, 4)}, "birthday_typo"),
        (
            {"birthday": dt.date(1990, 3, 4)},
            {"birthday": dt.date(1960, 8, 21)},
            "different_birthday",
        ),
        ({"postcode": "100080"}, {"postcode": "100080"}, "same_postcode"),
        ({"postcode": "100080"}, {"postcode": "100081"}, "near_postcode"),
        ({"city": "北京"}, {"city": "北京"}, "same_city"),
        ({"street": "中关村大街1号"}, {"street": "中关村大街1号"}, "same_street"),
        ({"kind": "person"}, {"kind": "organisation"}, "different_kind"),
    ],
)
def test_each_reason(a, b, code):
    result = score_pair(rec(**a), rec(**b))
    assert code in codes(result)
    text = scoring.reason_text(
        code, next(r for r in result.reasons if r["code"] == code).get("params")
    )
    assert text and "%" not in text.replace("% ", "").rstrip("%")


def test_name_reasons_with_percent_and_pinyin():
    similar = score_pair(rec(name="Lachlan Berry"), rec(name="Lachlan Bery"))
    reason = next(r for r in similar.reasons if r["code"] == "names_alike")
    assert 90 <= reason["params"]["percent"] < 100
    assert "%" in scoring.reason_text("names_alike", reason["params"])
    swapped = score_pair(rec(name="Lachlan Berry"), rec(name="Berry Lachlan"))
    assert "names_alike" in codes(swapped)
    different = score_pair(rec(name="Lachlan Berry"), rec(name="Olivia Clark"))
    assert "names_differ" in codes(different)
    homophone = score_pair(rec(name="张伟明"), rec(name="章伟明"))
    assert "pinyin_alike" in codes(homophone)


def org(name):
    return rec(name=name, kind="organisation", name_key=normalize.org_name_key(name))


@pytest.mark.parametrize(
    "other", ["字节跳动科技（北京）有限公司", "字节跳动", "字节跳动科技有限公司", "ByteDance"]
)
def test_organisations_with_the_same_name_key_are_possible_duplicates(other):
    """The legal form and a region, before or in brackets, do not make another company: such
    names share a name key and reach the review threshold on the name alone."""
    kept = org("北京字节跳动科技有限公司")
    if other == "ByteDance":
        assert "same_name_key" not in codes(score_pair(kept, org(other)))
        return
    result = score_pair(kept, org(other))
    assert result.score >= 0.5
    assert "same_name_key" in codes(result)
    assert "names_differ" not in codes(result)
    text = scoring.reason_text("same_name_key")
    assert text and "%" not in text


def test_more_evidence_scores_higher():
    base = {"birthday": dt.date(1980, 1, 2)}
    weak = score_pair(rec(**base), rec(**base)).score
    strong = score_pair(
        rec(**base, phones=frozenset({"+8613812345678"})),
        rec(**base, phones=frozenset({"+8613812345678"})),
    ).score
    assert strong > weak


def test_reasons_carry_no_personal_values():
    a = rec(phones=frozenset({"+8613812345678"}), emails=frozenset({"x@y.cn"}), postcode="100080")
    for reason in score_pair(a, a).reasons:
        text = repr(reason)
        assert "13812345678" not in text and "x@y.cn" not in text and "100080" not in text


def test_blocking_pairs_only_records_that_share_a_key():
    records = [
        rec(id=i, name=f"Person {i:04d}x{i * 7919 % 1000}", postcode=str(1000 + i))
        for i in range(2000)
    ]
    records.append(rec(id=5000, name="Person 0007x", phones=frozenset({"+8613812345678"})))
    records.append(rec(id=5001, name="Someone Else", phones=frozenset({"+8613812345678"})))
    pairs, _skipped = candidate_pairs(records)
    assert (5000, 5001) in pairs
    # Far fewer than all 2,002 × 2,001 / 2 ≈ 2 million pairs.
    assert len(pairs) < 100


def test_common_names_are_not_paired_all_with_all():
    records = [rec(id=i, name="王伟") for i in range(scoring.MAX_BLOCK_SIZE + 10)]
    pairs, skipped = candidate_pairs(records)
    assert pairs == set() and skipped >= 1


def test_block_keys_survive_a_typo_in_any_one_field():
    a = rec(name="Lachlan Berry", birthday=dt.date(1999, 2, 19), postcode="4814")
    for b in (
        rec(name="Lachlan Bery", birthday=dt.date(1999, 2, 19), postcode="4814"),
        rec(name="Lachlan Berry", birthday=dt.date(1999, 2, 18), postcode="4814"),
        rec(name="Lachlan Berry", birthday=dt.date(1999, 2, 19), postcode="4815"),
        rec(name="Berry Lachlan", birthday=dt.date(1999, 2, 19), postcode=""),
    ):
        assert block_keys(a) & block_keys(b)


def test_public_reasons_are_translated_text():
    from django.utils import translation

    result = score_pair(
        rec(phones=frozenset({"+8613812345678"})), rec(phones=frozenset({"+8613812345678"}))
    )
    with translation.override("en"):
        texts = [r["text"] for r in scoring.public_reasons(result.reasons)]
    assert "same phone number" in texts


def test_the_scan_and_the_check_keep_exactly_the_pairs_the_full_score_keeps():
    """`score_at_least` (the scan's and the check's) rules pairs out before comparing names,
    but keeps a pair, with the same score and reasons, whenever `score_pair` reaches the
    threshold."""
    people = [
        rec(name="Lachlan Berry", birthday=dt.date(1999, 2, 19), postcode="4814", street="1 A St"),
        rec(name="Lachlan Bery", birthday=dt.date(1999, 2, 19), postcode="4814", street="1 A St"),
        rec(name="Berry Lachlan", birthday=dt.date(1999, 2, 18), postcode="4815"),
        rec(name="Olivia Clark", birthday=dt.date(1999, 2, 19), phones=frozenset({"+861380"})),
        rec(name="Olivia Clarke", phones=frozenset({"+861380"}), emails=frozenset({"o@c.au"})),
        rec(name="张伟明", birthday=dt.date(1980, 1, 2), city="北京", street="中关村大街1号"),
        rec(name="章伟明", birthday=dt.date(1980, 2, 1), city="北京", street="中关村大街1号"),
        rec(name="张伟", birthday=dt.date(1980, 1, 2), identity_code="110101198001020011"),
        rec(name="张伟", birthday=dt.date(1980, 1, 2), identity_code="110101198001020012"),
        rec(name="张伟", kind="organisation", credit_code="91110000100000000A"),
    ]
    for threshold in (0.05, 0.3, 0.5, 0.85, 0.99):
        for a in people:
            for b in people:
                full = score_pair(a, b)
                fast = scoring.score_at_least(a, b, threshold)
                if full.score >= threshold:
                    assert fast == full
                else:
                    assert fast is None


def test_pairs_from_key_hashes_leave_out_oversized_buckets():
    from guanxi.dedup.services import _KIND_BITS, _pairs_from_hashes

    weak, name = _KIND_BITS[scoring.MAX_BLOCK_SIZE], _KIND_BITS[scoring.MAX_NAME_BLOCK_SIZE]
    small = [(100 << 2 | weak, i) for i in (7, 3, 5)]  # one bucket of three
    again = [(200 << 2 | weak, i) for i in (3, 7)]  # the same pair through another key
    crowd = [(300 << 2 | name, i) for i in range(10, 10 + scoring.MAX_NAME_BLOCK_SIZE + 1)]
    alone = [(400 << 2 | weak, 1)]
    hashes, ids = zip(*(small + again + crowd + alone), strict=True)
    pairs, skipped = _pairs_from_hashes(np.array(hashes), np.array(ids))
    assert pairs.tolist() == [[3, 5], [3, 7], [5, 7]]
    assert skipped == 1
    nothing = np.empty(0, dtype=np.int64)
    pairs, skipped = _pairs_from_hashes(nothing, nothing)
    assert pairs.shape == (0, 2) and skipped == 0
