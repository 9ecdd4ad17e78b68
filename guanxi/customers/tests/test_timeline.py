"""A customer's timeline: four sources in one stream, newest first, paged by a cursor without
gaps or duplicates, a constant number of queries, behind the visibility gate."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from guanxi.customers import selectors, services
from guanxi.interactions import services as interactions
from guanxi.sales import services as sales

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(two_teams):
    return services.create_customer(
        actor=two_teams.rep_a,
        data={
            "display_name": "王芳",
            "contact_points": [{"kind": "mobile", "value": "13812345678"}],
        },
    )


@pytest.fixture
def product(two_teams):
    return sales.save_product(
        actor=two_teams.admin,
        product=None,
        data={"sku": "TEA-1", "name": "龙井", "unit_price": "88"},
    )


def fill(user, customer, product, n: int, *, at: dt.datetime | None = None) -> None:
    """n interactions, orders and notes, and n changes; with `at`, the interactions and orders
    all share that instant (ties broken by the cursor)."""
    for i in range(n):
        when = at or timezone.now() - dt.timedelta(hours=i)
        interactions.create_interaction(
            actor=user,
            data={
                "customer": customer,
                "channel": "phone",
                "subject": f"电话{i}",
                "occurred_at": when,
            },
        )
        sales.create_order(
            actor=user,
            data={"customer": customer, "ordered_at": when, "lines": [{"product": product}]},
        )
        services.create_note(actor=user, customer=customer, body=f"备注{i}")
        customer.refresh_from_db()
        services.update_customer(
            actor=user, customer=customer, data={"region": f"区域{i}"}, version=customer.version
        )


def all_pages(user, customer, limit):
    seen, before = [], None
    while True:
        page = selectors.timeline(user=user, customer=customer, before=before, limit=limit)
        seen.extend(page.items)
        if page.next_before is None:
            return seen
        before = page.next_before


def test_timeline_merges_the_four_sources_newest_first(two_teams, customer, product):
    fill(two_teams.rep_a, customer, product, 2)
    items = selectors.timeline(user=two_teams.rep_a, customer=customer, limit=100).items
    assert {i.kind for i in items} == {"interaction", "order", "note", "change"}
    keys = [i.key for i in items]
    assert keys == sorted(keys, reverse=True)
    # Creating an interaction, order or note shows once, as itself, not again as a change.
    changes = [i.obj for i in items if i.kind == "change"]
    assert all(
        not (e.action == "create" and e.object_type != "customers.customer") for e in changes
    )


@pytest.mark.parametrize("limit", [1, 3, 7])
def test_paging_has_no_gaps_or_duplicates_even_when_times_tie(two_teams, customer, product, limit):
    fill(two_teams.rep_a, customer, product, 3, at=timezone.now() - dt.timedelta(days=1))
    fill(two_teams.rep_a, customer, product, 2)
    everything = selectors.timeline(user=two_teams.rep_a, customer=customer, limit=100).items
    paged = all_pages(two_teams.rep_a, customer, limit)
    assert [(*i.key, i.kind) for i in paged] == [(*i.key, i.kind) for i in everything]
    assert len({(i.kind, i.obj.pk) for i in paged}) == len(paged)


def test_a_bad_cursor_is_a_validation_error(two_teams, customer):
    for bad in ("x", "1.9.1", "1.2", "99999999999999999999999.0.1"):
        with pytest.raises(ValidationError):
            selectors.timeline(user=two_teams.rep_a, customer=customer, before=bad)


def test_timeline_costs_the_same_queries_for_few_and_many_items(two_teams, customer, product):
    def count():
        with CaptureQueriesContext(connection) as ctx:
            page = selectors.timeline(user=two_teams.rep_a, customer=customer, limit=50)
            for item in page.items:  # what the page template touches
                str(getattr(item.obj, "user", None))
                str(getattr(item.obj, "author", None))
                str(getattr(item.obj, "contact", None))
                str(getattr(item.obj, "actor", None))
        return len(ctx.captured_queries), len(page.items)

    fill(two_teams.rep_a, customer, product, 1)
    few, n_few = count()
    fill(two_teams.rep_a, customer, product, 6)
    many, n_many = count()
    assert n_many > n_few and few == many


def test_changes_in_the_timeline_are_masked_for_the_analyst(two_teams, customer):
    customer.refresh_from_db()
    services.update_customer(
        actor=two_teams.rep_a,
        customer=customer,
        data={"contact_points": [{"kind": "mobile", "value": "13987654321"}]},
        version=customer.version,
    )
    analyst = [
        i.changes
        for i in selectors.timeline(user=two_teams.analyst, customer=customer).items
        if i.kind == "change" and "contact_points" in i.changes
    ]
    assert analyst and "13987654321" not in str(analyst) and "139****4321" in str(analyst)
    owner = [
        i.changes
        for i in selectors.timeline(user=two_teams.rep_a, customer=customer).items
        if "contact_points" in i.changes
    ]
    assert "13987654321" in str(owner)


def test_notes_are_written_by_those_who_may_change_the_customer(two_teams, customer):
    from guanxi.core.errors import ConflictError, PermissionDeniedError

    note = services.create_note(actor=two_teams.rep_a, customer=customer, body="  喜欢绿茶 ")
    assert note.body == "喜欢绿茶" and note.author == two_teams.rep_a
    with pytest.raises(PermissionDeniedError):
        services.create_note(actor=two_teams.analyst, customer=customer, body="x")
    with pytest.raises(PermissionDeniedError):
        services.update_note(actor=two_teams.rep_b, note=note, body="x", version=1)
    with pytest.raises(ValidationError):
        services.create_note(actor=two_teams.rep_a, customer=customer, body="   ")
    note = services.update_note(actor=two_teams.rep_a, note=note, body="喜欢红茶", version=1)
    assert note.version == 2
    with pytest.raises(ConflictError):
        services.update_note(actor=two_teams.rep_a, note=note, body="y", version=1)
    assert not selectors.note_list(user=two_teams.rep_b).exists()
    assert selectors.note_list(user=two_teams.analyst).count() == 1
    with pytest.raises(PermissionDeniedError):
        services.delete_note(actor=two_teams.rep_b, note=note)
    services.delete_note(actor=two_teams.rep_a, note=note)
    assert not selectors.note_list(user=two_teams.rep_a).exists()


def test_pool_events_show_no_internal_record_name_on_the_timeline_and_history(
    two_teams, customer, client
):
    """A pool event's stored name ("12 return") is internal: the record type and its changes
    say what happened, in the user's language."""
    from django.urls import reverse

    from guanxi.pool import services as pool

    pool.return_to_pool(actor=two_teams.rep_a, customer=customer, reason="没有预算")
    customer.refresh_from_db()
    pool.claim(actor=two_teams.rep_a, customer=customer)
    client.force_login(two_teams.rep_a)
    zh = {"accept-language": "zh-hans"}
    for url in (
        reverse("customers:detail", args=[customer.pk]),
        reverse("customers:history", args=[customer.pk]),
    ):
        html = client.get(url, headers=zh).content.decode()
        assert "公海记录" in html
        assert f"{customer.pk} return" not in html and f"{customer.pk} claim" not in html
