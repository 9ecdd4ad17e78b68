"""Writes to products and orders. Writing an order updates its customer's aggregates in the
same transaction (DESIGN.md)."""

from __future__ import annotations

import re
import secrets
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.db.models.deletion import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.accounts.models import User
from guanxi.accounts.policies import has_perm
from guanxi.analytics import services as analytics
from guanxi.audit import services as audit
from guanxi.audit.models import AuditAction
from guanxi.core.errors import PermissionDeniedError
from guanxi.core.versioning import check_version
from guanxi.customers import aggregates
from guanxi.customers.normalize import clean_text
from guanxi.customers.policies import can_edit, can_see

from .models import ExchangeRate, Order, OrderLine, Product
from .rates import in_base, rate_from, rate_on, rates_of

PRODUCT_FIELDS = (
    "sku",
    "name",
    "category",
    "description",
    "unit_price",
    "unit_cost",
    "currency",
    "active",
)
ORDER_FIELDS = ("customer", "number", "status", "ordered_at", "currency", "notes")
RATE_FIELDS = ("currency", "valid_from", "rate")
MAX_LINES = 500
CENT = Decimal("0.01")


def _unknown(data: dict[str, Any], allowed) -> None:
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValidationError({f: _("There is no such field.") for f in sorted(unknown)})


_CURRENCY_CODE = re.compile(r"[A-Z]{3}")


def clean_currency(value: Any) -> str:
    """An ISO 4217 code as typed (" cny ", full-width ＣＮＹ) in its stored form (CNY): three
    Latin letters, so neither 人民币 nor US$."""
    code = clean_text(str(value or "")).upper()
    if not _CURRENCY_CODE.fullmatch(code):
        raise ValidationError({"currency": _("Enter a three-letter currency code, e.g. CNY.")})
    return code


# --- products ---------------------------------------------------------------------------------


@transaction.atomic
def save_product(
    *, actor: User, product: Product | None, data: dict[str, Any], version: int | None = None
) -> Product:
    creating = product is None
    if not has_perm(actor, "products", "create" if creating else "change"):
        raise PermissionDeniedError()
    _unknown(data, PRODUCT_FIELDS)
    if creating:
        product = Product()
        before: dict[str, Any] = {}
    else:
        product = Product.objects.select_for_update().get(pk=product.pk)
        check_version(product, version)
        before = audit.snapshot(product, PRODUCT_FIELDS)
    for field, value in data.items():
        setattr(product, field, value)
    product.sku = (product.sku or "").strip()
    product.name = " ".join((product.name or "").split())
    product.currency = clean_currency(product.currency)
    product.full_clean(exclude=["version"])
    if Product.objects.filter(sku=product.sku).exclude(pk=product.pk).exists():
        raise ValidationError({"sku": _("Another product already has this SKU.")})
    changes = audit.diff(before, audit.snapshot(product, PRODUCT_FIELDS))
    if not creating and not changes:
        return product
    if not creating:
        product.version = F("version") + 1
    product.save()
    product.refresh_from_db()
    audit.record(
        actor=actor,
        action=AuditAction.CREATE if creating else AuditAction.UPDATE,
        instance=product,
        changes=changes,
    )
    if not creating and {"unit_cost", "currency"} & set(changes):
        analytics.on_costs_changed(actor=actor)
    return product


@transaction.atomic
def delete_product(*, actor: User, product: Product) -> None:
    if not has_perm(actor, "products", "delete"):
        raise PermissionDeniedError()
    audit.record(
        actor=actor,
        action=AuditAction.DELETE,
        instance=product,
        changes={"name": [product.name, None]},
    )
    try:
        with transaction.atomic():
            product.delete()
    except ProtectedError:
        raise ValidationError(
            _("This product appears in orders; mark it inactive instead of deleting it.")
        ) from None


# --- orders -----------------------------------------------------------------------------------


def check_line_list(items: Any) -> None:
    """The shape of a list of lines (an order's or an opportunity's)."""
    if not isinstance(items, (list, tuple)):
        raise ValidationError({"lines": _("Enter a list of lines.")})
    if len(items) > MAX_LINES:
        raise ValidationError({"lines": _("Enter at most %(n)d lines.") % {"n": MAX_LINES}})


def parse_line(
    item: Any, i: int, errors: dict[str, str]
) -> tuple[Product, Decimal, Decimal] | None:
    """Product, quantity and unit price of line `i` (an empty price takes the product's), or
    None with the reason put in `errors` under "lines.<i>…" (orders and opportunities)."""
    if not isinstance(item, dict):
        errors[f"lines.{i}"] = _("Enter an order line.")
        return None
    product = item.get("product")
    if not isinstance(product, Product):
        errors[f"lines.{i}.product"] = _("Choose a product.")
        return None
    try:
        quantity = Decimal(str(item.get("quantity", 1)))
        price = item.get("unit_price")
        unit_price = product.unit_price if price in (None, "") else Decimal(str(price))
    except (InvalidOperation, ValueError):
        errors[f"lines.{i}"] = _("Enter numbers for quantity and price.")
        return None
    if not quantity.is_finite() or quantity <= 0:
        errors[f"lines.{i}.quantity"] = _("Enter a quantity above zero.")
        return None
    if not unit_price.is_finite() or unit_price < 0:
        errors[f"lines.{i}.unit_price"] = _("Enter a price of zero or more.")
        return None
    return product, quantity, unit_price


def full_clean_line(line: Any, i: int, errors: dict[str, str], exclude: list[str]) -> bool:
    try:
        line.full_clean(exclude=exclude)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors[f"lines.{i}.{field}"] = messages[0]
        return False
    return True


def _clean_lines(items: Any, currency: str) -> list[OrderLine]:
    check_line_list(items)
    if not items:
        raise ValidationError({"lines": _("An order needs at least one line.")})
    errors: dict[str, str] = {}
    lines: list[OrderLine] = []
    for i, item in enumerate(items):
        parsed = parse_line(item, i, errors)
        if parsed is None:
            continue
        product, quantity, unit_price = parsed
        if product.currency != currency and item.get("unit_price") in (None, ""):
            errors[f"lines.{i}.unit_price"] = _(
                "The product is priced in %(cur)s; enter the price in %(order)s."
            ) % {"cur": product.currency, "order": currency}
            continue
        line = OrderLine(
            product=product,
            quantity=quantity,
            unit_price=unit_price,
            amount=(quantity * unit_price).quantize(CENT, rounding=ROUND_HALF_UP),
        )
        if full_clean_line(line, i, errors, ["order"]):
            lines.append(line)
    if errors:
        raise ValidationError(errors)
    return lines


def _new_number() -> str:
    return timezone.now().strftime("SO%Y%m%d") + "-" + secrets.token_hex(4).upper()


def _prepare_order(order: Order, data: dict[str, Any]) -> None:
    _unknown(data, (*ORDER_FIELDS, "lines"))
    for field in ORDER_FIELDS:
        if field in data:
            setattr(order, field, data[field])
    order.number = (order.number or "").strip() or _new_number()
    order.currency = clean_currency(order.currency)
    if order.ordered_at is None:
        order.ordered_at = timezone.now()
    if order.customer_id and order.customer.deleted_at is not None:
        raise ValidationError({"customer": _("This customer is in the recycle bin.")})
    order.full_clean(exclude=["customer", "version"], validate_unique=False)
    if Order.objects.filter(number=order.number).exclude(pk=order.pk).exists():
        raise ValidationError({"number": _("Another order already has this number.")})
    # Valued in the base currency at the rate of the order's day (in the business's zone).
    order.exchange_rate = rate_on(order.currency, timezone.localdate(order.ordered_at))
    if order.exchange_rate is None:
        raise ValidationError({"currency": _no_rate_message(order.currency)})


def _allowed(actor: User, action: str, order: Order) -> bool:
    return (
        has_perm(actor, "orders", action)
        and can_see(actor, order.customer)
        and can_edit(actor, order.customer)
    )


def _lines_snapshot(lines: list[OrderLine]) -> list[str]:
    return [f"{line.product_id}×{line.quantity}@{line.unit_price}" for line in lines]


@transaction.atomic
def create_order(*, actor: User, data: dict[str, Any]) -> Order:
    if data.get("customer") is None:
        raise ValidationError({"customer": _("This field is required.")})
    order = Order(created_by=actor)
    _prepare_order(order, data)
    if not _allowed(actor, "create", order):
        raise PermissionDeniedError()
    lines = _clean_lines(data.get("lines"), order.currency)
    order.total = sum((line.amount for line in lines), Decimal("0"))
    order.total_base = in_base(order.total, order.exchange_rate)
    order.save()
    for line in lines:
        line.order = order
    OrderLine.objects.bulk_create(lines)
    aggregates.refresh_order_aggregates([order.customer_id])
    analytics.on_orders_changed([order.customer_id])
    changes = {
        k: [None, v]
        for k, v in audit.snapshot(order, (*ORDER_FIELDS, "total")).items()
        if v not in (None, "")
    }
    changes["lines"] = [None, _lines_snapshot(lines)]
    audit.record(
        actor=actor,
        action=AuditAction.CREATE,
        instance=order,
        changes=changes,
        customer_id=order.customer_id,
    )
    return order


@transaction.atomic
def update_order(*, actor: User, order: Order, data: dict[str, Any], version: int | None) -> Order:
    locked = Order.objects.select_for_update().select_related("customer").get(pk=order.pk)
    check_version(locked, version)
    if not _allowed(actor, "change", locked):
        raise PermissionDeniedError()
    old_customer = locked.customer_id
    old_lines = list(locked.lines.all())
    before = audit.snapshot(locked, (*ORDER_FIELDS, "total"))
    before["lines"] = _lines_snapshot(old_lines)
    _prepare_order(locked, data)
    if not _allowed(actor, "change", locked):
        raise PermissionDeniedError()
    lines = _clean_lines(data["lines"], locked.currency) if "lines" in data else old_lines
    locked.total = sum((line.amount for line in lines), Decimal("0"))
    locked.total_base = in_base(locked.total, locked.exchange_rate)
    after = audit.snapshot(locked, (*ORDER_FIELDS, "total"))
    after["lines"] = _lines_snapshot(lines)
    changes = audit.diff(before, after)
    if not changes:
        return locked
    locked.version = F("version") + 1
    locked.save()
    locked.refresh_from_db()
    if "lines" in data:
        locked.lines.all().delete()
        for line in lines:
            line.pk = None
            line.order = locked
        OrderLine.objects.bulk_create(lines)
    aggregates.refresh_order_aggregates({old_customer, locked.customer_id})
    analytics.on_orders_changed({old_customer, locked.customer_id})
    audit.record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=locked,
        changes=changes,
        customer_id=locked.customer_id,
    )
    return locked


@transaction.atomic
def delete_order(*, actor: User, order: Order) -> None:
    if not _allowed(actor, "delete", order):
        raise PermissionDeniedError()
    customer_id = order.customer_id
    audit.record(
        actor=actor,
        action=AuditAction.DELETE,
        instance=order,
        changes={"number": [order.number, None], "total": [str(order.total), None]},
        customer_id=customer_id,
    )
    order.delete()
    aggregates.refresh_order_aggregates([customer_id])
    analytics.on_orders_changed([customer_id])


# --- exchange rates ---------------------------------------------------------------------------


def _no_rate_message(currency: str) -> str:
    return _(
        "There is no exchange rate for %(currency)s yet, so the order cannot be valued in "
        "%(base)s. Someone who manages products enters one under Sales › Exchange rates."
    ) % {"currency": currency, "base": settings.DEFAULT_CURRENCY}


def revalue_orders(currency: str, *, chunk: int = 2000) -> int:
    """Value every order in `currency` again at the rates now known (after a rate was
    entered, changed or deleted), and refresh the aggregates and scores of the customers
    whose orders changed value. Returns how many orders changed."""
    if currency == settings.DEFAULT_CURRENCY:
        return 0
    rates = rates_of(currency)
    changed: list[Order] = []
    customers: set[int] = set()
    orders = Order.objects.filter(currency=currency).only(
        "id", "customer_id", "ordered_at", "total", "exchange_rate", "total_base"
    )
    for order in orders.iterator(chunk_size=chunk):
        rate = rate_from(rates, timezone.localdate(order.ordered_at))
        total_base = in_base(order.total, rate)
        if order.exchange_rate != rate or order.total_base != total_base:
            order.exchange_rate, order.total_base = rate, total_base
            changed.append(order)
            customers.add(order.customer_id)
    Order.objects.bulk_update(changed, ["exchange_rate", "total_base"], batch_size=500)
    ids = sorted(customers)
    for low in range(0, len(ids), chunk):
        aggregates.refresh_order_aggregates(ids[low : low + chunk])
    analytics.on_orders_changed(ids)
    return len(changed)


def _rates_changed(actor: User, currencies: set[str]) -> None:
    for currency in currencies:
        revalue_orders(currency)
    if Product.objects.filter(currency__in=currencies, unit_cost__isnull=False).exists():
        analytics.on_costs_changed(actor=actor)


@transaction.atomic
def save_exchange_rate(
    *,
    actor: User,
    rate: ExchangeRate | None,
    data: dict[str, Any],
    version: int | None = None,
) -> ExchangeRate:
    """Enter or change a rate; the orders it values are valued again."""
    creating = rate is None
    if not has_perm(actor, "products", "create" if creating else "change"):
        raise PermissionDeniedError()
    _unknown(data, RATE_FIELDS)
    if creating:
        rate = ExchangeRate(created_by=actor)
        before: dict[str, Any] = {}
    else:
        rate = ExchangeRate.objects.select_for_update().get(pk=rate.pk)
        check_version(rate, version)
        before = audit.snapshot(rate, RATE_FIELDS)
    old_currency = rate.currency
    for field, value in data.items():
        setattr(rate, field, value)
    rate.currency = clean_currency(rate.currency)
    if rate.currency == settings.DEFAULT_CURRENCY:
        raise ValidationError(
            {
                "currency": _("%(currency)s is the base currency: it is always worth 1.")
                % {"currency": rate.currency}
            }
        )
    rate.full_clean(exclude=["version"], validate_constraints=False, validate_unique=False)
    taken = ExchangeRate.objects.filter(currency=rate.currency, valid_from=rate.valid_from)
    if taken.exclude(pk=rate.pk).exists():
        raise ValidationError(
            {
                "valid_from": _("%(currency)s already has a rate from this day; change that one.")
                % {"currency": rate.currency}
            }
        )
    changes = audit.diff(before, audit.snapshot(rate, RATE_FIELDS))
    if not creating and not changes:
        return rate
    if not creating:
        rate.version = F("version") + 1
    rate.save()
    rate.refresh_from_db()
    audit.record(
        actor=actor,
        action=AuditAction.CREATE if creating else AuditAction.UPDATE,
        instance=rate,
        changes=changes,
    )
    _rates_changed(actor, {rate.currency, old_currency} - {""})
    return rate


@transaction.atomic
def delete_exchange_rate(*, actor: User, rate: ExchangeRate) -> None:
    """Delete a rate; the orders it valued are valued at the currency's other rates. The last
    rate of a currency that orders use cannot be deleted: they would lose their value."""
    if not has_perm(actor, "products", "delete"):
        raise PermissionDeniedError()
    locked = ExchangeRate.objects.select_for_update().get(pk=rate.pk)
    others = ExchangeRate.objects.filter(currency=locked.currency).exclude(pk=locked.pk)
    if not others.exists() and Order.objects.filter(currency=locked.currency).exists():
        raise ValidationError(
            _(
                "Orders in %(currency)s are valued at this rate. Enter another rate for "
                "%(currency)s before deleting its last one."
            )
            % {"currency": locked.currency}
        )
    audit.record(
        actor=actor,
        action=AuditAction.DELETE,
        instance=locked,
        changes={
            "currency": [locked.currency, None],
            "valid_from": [str(locked.valid_from), None],
            "rate": [str(locked.rate), None],
        },
    )
    locked.delete()
    _rates_changed(actor, {locked.currency})
