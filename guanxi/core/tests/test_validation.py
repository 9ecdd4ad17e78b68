"""validation.full_clean decides as Django's Model.full_clean does, with Django's messages."""

from __future__ import annotations

import datetime as dt
import decimal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from guanxi.core import validation
from guanxi.customers.models import Address, Customer

CUSTOMER_EXCLUDE = ("owner", "team", "tags", "created_by", "deleted_by")

# Values of every shape a field might be handed: right and wrong types, empty, too long, NUL.
ANY_VALUE = st.one_of(
    st.none(),
    st.sampled_from(["", "person", "organisation", "vip", "male", "x", "CN", "a\x00b"]),
    st.text(max_size=5),
    st.text(min_size=201, max_size=210),
    st.integers(min_value=-5, max_value=5),
    st.booleans(),
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 1, 1)),
    st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2030, 1, 1)).map(
        lambda d: d.replace(tzinfo=dt.UTC)
    ),
    st.decimals(min_value=-(10**15), max_value=10**15, places=3, allow_nan=False),
    st.lists(st.text(max_size=3), max_size=2),
    st.dictionaries(st.text(max_size=3), st.text(max_size=3), max_size=2),
    st.just({1, 2}),
)


def outcome(check):
    try:
        check()
    except ValidationError as exc:
        return exc.message_dict
    except (TypeError, ValueError, decimal.InvalidOperation) as exc:  # Django's own crash
        return type(exc).__name__
    return None


def assert_same(model, exclude, values):
    first, second = model(), model()
    for name, value in values.items():
        setattr(first, name, value)
        setattr(second, name, value)
    expected = outcome(lambda: first.full_clean(exclude=list(exclude), validate_unique=False))
    assert outcome(lambda: validation.full_clean(second, exclude=exclude)) == expected
    # Django's clean also converts values; the quick path never changes a value it accepts.
    if expected is None:
        for name in values:
            assert getattr(second, name) == getattr(first, name)


CUSTOMER_FIELDS = ["kind", "display_name", "legal_name", "gender", "birthday", "aliases",
                   "custom_fields", "grade", "total_spent", "order_count", "verified_at",
                   "marketing_consent", "referred_by_id", "credit_code"]  # fmt: skip


@pytest.mark.filterwarnings("ignore:DateTimeField .* received a naive datetime")
@settings(max_examples=300, deadline=None)
@given(st.fixed_dictionaries({}, optional={name: ANY_VALUE for name in CUSTOMER_FIELDS}))
def test_customer_checks_match_django(values):
    if values.get("referred_by_id") not in (None, ""):
        values["referred_by_id"] = None  # a set link is looked up in the database: Django's way
    values.setdefault("display_name", "王伟")
    assert_same(Customer, CUSTOMER_EXCLUDE, values)


@settings(max_examples=200, deadline=None)
@given(
    st.fixed_dictionaries(
        {},
        optional={
            name: ANY_VALUE
            for name in ["country", "province", "city", "street", "postcode", "is_primary"]
        },
    )
)
def test_address_checks_match_django(values):
    assert_same(Address, ("customer",), values)


@pytest.mark.django_db
def test_a_referrer_that_does_not_exist_is_reported_as_django_reports_it():
    customer = Customer(display_name="王伟", referred_by_id=987654)
    with pytest.raises(ValidationError) as caught:
        validation.full_clean(customer, exclude=CUSTOMER_EXCLUDE)
    assert "referred_by" in caught.value.message_dict


def test_a_clean_customer_passes_without_django_conversion():
    customer = Customer(
        display_name="字节跳动", kind="organisation", total_spent=decimal.Decimal("12.50")
    )
    validation.full_clean(customer, exclude=CUSTOMER_EXCLUDE)
