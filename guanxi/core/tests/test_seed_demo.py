"""The demo seeder writes consistent data: what the services would have written."""

from __future__ import annotations

import random
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, Max, Q, Sum

from guanxi.accounts.models import Team, User
from guanxi.core import demo
from guanxi.customers import search_index, selectors
from guanxi.customers.keys import search_keys
from guanxi.customers.models import Address, Contact, ContactPoint, Customer
from guanxi.customers.normalize import normalize_email, normalize_phone
from guanxi.interactions.models import Interaction
from guanxi.sales.models import NOT_PURCHASES, Order, OrderLine

pytestmark = pytest.mark.django_db

CENT = Decimal("0.01")


@pytest.fixture
def seeded() -> demo.SeedResult:
    return demo.seed(customers=300, orders=2000, interactions=700, seed=7, out=lambda _: None)


@pytest.fixture
def admin() -> User:
    return User.objects.create_superuser("root", "root@example.com", "x")


def test_counts(seeded: demo.SeedResult) -> None:
    assert Customer.objects.count() == seeded.customers == 300
    assert Order.objects.count() == seeded.orders == 2000
    assert Interaction.objects.count() == seeded.interactions == 700
    assert OrderLine.objects.count() == seeded.order_lines >= 2000
    assert ContactPoint.objects.count() == seeded.contact_points
    assert Address.objects.count() == seeded.addresses == 300
    assert Contact.objects.count() == seeded.contacts > 0


def test_columns_cover_every_column() -> None:
    """A new model field must be added to the seeder (raw inserts name every column)."""
    for model, fields in [
        (Customer, demo.CUSTOMER_FIELDS),
        (Order, demo.ORDER_FIELDS),
        (OrderLine, ("id", *demo.LINE_FIELDS)),
        (Interaction, ("id", *demo.INTERACTION_FIELDS)),
        (ContactPoint, ("id", *demo.CONTACT_POINT_FIELDS)),
        (Address, ("id", *demo.ADDRESS_FIELDS)),
        (Contact, ("id", *demo.CONTACT_FIELDS)),
    ]:
        assert {f.name for f in model._meta.concrete_fields} == set(fields), model


def test_order_totals_equal_the_sum_of_their_lines(seeded: demo.SeedResult) -> None:
    sums = dict(
        OrderLine.objects.values_list("order_id")
        .annotate(s=Sum("amount"))
        .values_list("order_id", "s")
    )
    for order in Order.objects.all():
        assert order.total.quantize(CENT) == Decimal(sums[order.pk]).quantize(CENT), order.number
    for line in OrderLine.objects.all()[:500]:
        assert line.amount.quantize(CENT) == (line.quantity * line.unit_price).quantize(CENT)


def test_aggregates_equal_a_recompute_from_the_facts(seeded: demo.SeedResult) -> None:
    orders: dict[int, list[Order]] = defaultdict(list)
    for order in Order.objects.exclude(status__in=NOT_PURCHASES):
        orders[order.customer_id].append(order)
    interactions = defaultdict(list)
    for i in Interaction.objects.all():
        interactions[i.customer_id].append(i.occurred_at)
    for c in Customer.objects.all():
        mine = orders[c.pk]
        total = sum((o.total for o in mine), Decimal("0")).quantize(CENT)
        assert c.order_count == len(mine)
        assert c.total_spent.quantize(CENT) == total
        if mine:
            assert c.first_purchase_at == min(o.ordered_at for o in mine)
            assert c.last_purchase_at == max(o.ordered_at for o in mine)
        else:
            assert c.first_purchase_at is None and c.last_purchase_at is None
        assert c.interaction_count == len(interactions[c.pk])
        assert c.last_interaction_at == max(interactions[c.pk], default=None)


def test_average_order_value_is_the_mean_of_the_purchases(seeded: demo.SeedResult) -> None:
    for c in Customer.objects.filter(order_count__gt=0):
        mine = Order.objects.filter(customer=c).exclude(status__in=NOT_PURCHASES)
        total = sum((o.total for o in mine), Decimal("0")).quantize(CENT)
        # SQL rounds half away from zero, over a REAL on SQLite: within a cent.
        average = (total / len(mine)).quantize(CENT, rounding=ROUND_HALF_UP)
        assert abs(c.average_order_value - average) <= CENT, c.pk


def test_classification_follows_purchases(seeded: demo.SeedResult) -> None:
    buyers = Customer.objects.annotate(n=Count("orders")).filter(n=0)
    assert not buyers.exclude(lifecycle_stage__in=["prospect", "churned"]).exists()
    assert Customer.objects.filter(kind="person").exclude(gender="").exists()
    assert Customer.objects.filter(kind="organisation").exclude(credit_code="").exists()
    assert not Customer.objects.filter(kind="organisation", birthday__isnull=False).exists()


def test_search_keys_are_those_of_the_services(seeded: demo.SeedResult) -> None:
    for c in Customer.objects.prefetch_related("contact_points")[:100]:
        keys = search_keys(
            kind=c.kind,
            display_name=c.display_name,
            legal_name=c.legal_name,
            short_name=c.short_name,
            aliases=c.aliases,
            contact_points=[
                (p.kind, p.normalized) for p in c.contact_points.all() if p.kind != "wechat"
            ],
        )
        assert {k: getattr(c, k) for k in keys} == keys


def test_contact_points_are_normalised_as_the_services_do(seeded: demo.SeedResult) -> None:
    for p in ContactPoint.objects.filter(kind__in=["mobile", "email"]):
        expected = normalize_phone(p.value) if p.kind == "mobile" else normalize_email(p.value)
        assert p.normalized == expected, p.value
    for c in Contact.objects.all():
        assert c.mobile_normalized == normalize_phone(c.mobile)
        assert c.email_normalized == normalize_email(c.email)


def test_every_mobile_prefix_and_format_normalises_to_e164() -> None:
    rng = random.Random(1)
    for prefix in demo.MOBILE_PREFIXES:
        for _ in range(20):
            national = prefix + f"{rng.randrange(10**8):08d}"
            for written in demo.mobile_formats(national):
                assert normalize_phone(written) == demo.cn_mobile_e164(national), written


def test_search_finds_seeded_customers(seeded: demo.SeedResult, admin: User) -> None:
    visible = selectors.customer_list(user=admin)
    sample = list(Customer.objects.order_by("pk")[::30])
    for c in sample:
        found = selectors.search(visible, c.display_name, user=admin).values_list("pk", flat=True)
        assert c.pk in found, c.display_name
        if len(c.pinyin) >= 3:
            assert c.pk in selectors.search(visible, c.pinyin, user=admin).values_list(
                "pk", flat=True
            )
        mobile = c.contact_points.filter(kind="mobile", is_primary=True).get()
        national = mobile.normalized.removeprefix("+86")
        spaced = f"{national[:3]} {national[3:7]} {national[7:]}"
        assert c.pk in selectors.search(visible, spaced, user=admin).values_list("pk", flat=True)


def test_bulk_mode_rebuilds_the_index_and_keeps_the_schema() -> None:
    """With the triggers and indexes off while inserting, everything is back afterwards."""

    def schema() -> set[tuple[str, str]]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT type, name FROM sqlite_master WHERE type IN ('index', 'trigger')"
            )
            return set(cursor.fetchall())

    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    before = schema()
    demo.seed(customers=120, orders=300, seed=3, rebuild_index=True, out=lambda _: None)
    assert schema() == before
    assert search_index.triggers_present()
    c = Customer.objects.order_by("?").first()
    admin = User.objects.create_superuser("root2", "r@example.com", "x")
    assert c.pk in selectors.search(
        selectors.customer_list(user=admin), c.display_name, user=admin
    ).values_list("pk", flat=True)
    # The triggers work again for writes that follow.
    Customer.objects.filter(pk=c.pk).update(search_text="zzqqxxneedle")
    found = selectors.search(selectors.customer_list(user=admin), "qqxxneedle", user=admin)
    assert list(found.values_list("pk", flat=True)) == [c.pk]


def test_demo_org_and_owners(seeded: demo.SeedResult) -> None:
    parent = Team.objects.get(name=demo.DEMO_PARENT_TEAM)
    children = Team.objects.filter(parent=parent)
    assert {t.name for t in children} == {name for name, _ in demo.DEMO_TEAMS}
    for team in children:
        assert team.path == f"{parent.path}{team.pk}/"
    users = User.objects.filter(username__startswith="demo-")
    assert {u.role.code for u in users} == set(demo.DEMO_ROLES)
    assert not any(u.has_usable_password() for u in users)
    owned = Customer.objects.filter(owner__isnull=False)
    assert owned.exists() and Customer.objects.filter(owner__isnull=True).exists()
    for c in owned.select_related("owner")[:50]:
        assert c.team_id == c.owner.team_id


def test_demo_passwords_only_on_request() -> None:
    demo.seed(customers=5, orders=5, seed=1, demo_passwords=True, out=lambda _: None)
    user = User.objects.get(username="demo-sales-1")
    assert user.check_password(demo.DEMO_PASSWORD)


def test_same_seed_same_data() -> None:
    demo.seed(customers=40, orders=100, seed=11, out=lambda _: None)
    first = list(Customer.objects.order_by("pk").values_list("display_name", "search_text"))
    Customer.objects.all().delete()
    demo.seed(customers=40, orders=100, seed=11, out=lambda _: None)
    again = list(Customer.objects.order_by("pk").values_list("display_name", "search_text"))
    assert first == again


def test_seeding_twice_adds() -> None:
    demo.seed(customers=30, orders=60, seed=1, out=lambda _: None)
    demo.seed(customers=30, orders=60, seed=2, out=lambda _: None)
    assert Customer.objects.count() == 60
    assert Order.objects.count() == 120
    assert Order.objects.values("number").distinct().count() == 120
    # Ids were given explicitly: the database's own ids carry on after them.
    assert (
        Customer.objects.create(display_name="later").pk
        > Customer.objects.aggregate(m=Max("pk", filter=~Q(display_name="later")))["m"]
    )


def test_foreign_keys_hold(seeded: demo.SeedResult) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA foreign_key_check")
        assert cursor.fetchall() == []


def test_command() -> None:
    out = StringIO()
    call_command("seed_demo", customers=20, orders=50, seed=5, batch_size=7, stdout=out)
    assert "Added 20 customers, 50 orders" in out.getvalue()
    assert Customer.objects.count() == 20
