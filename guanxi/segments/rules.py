"""Segment rules: their JSON shape, strict validation, and their compilation to a Django Q.

The ONE place that knows what a rule means. A rule is a tree of groups and conditions::

    {"type": "group", "op": "and" | "or", "negate": false, "rules": [ ... ]}
    {"type": "condition", "field": "status", "operator": "in", "value": ["active"],
     "params": {...}}          # params only for the event fields (orders, interactions)

`validate(rules)` returns the cleaned tree or raises ValidationError with one message per bad
node, keyed by the node's path ("rules.0.2.value"). `compile_rules(cleaned)` turns a cleaned tree
into a Q over Customer; it never adds visibility — the selectors combine it with `visible_q`.

Speed: inside an AND group the conditions on indexed columns come first, then plain columns,
then JSON values and subqueries (EXISTS / IN over orders, interactions, scores), so the SQL reads
in the order the planner is most likely to use.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.core.validation import FIRST_DATE, LAST_DATE, date_range_message, has_nul
from guanxi.customers.models import (
    CustomerKind,
    CustomFieldDefinition,
    CustomFieldType,
    Gender,
    Grade,
    LifecycleStage,
    Status,
    ValueTier,
)

MAX_DEPTH = 4
MAX_NODES = 60
MAX_LIST = 100
MAX_TEXT = 200
MAX_DAYS = 36500

# Types of fields, and the operators each accepts.
CHOICE, TEXT, INTEGER, DECIMAL, FLOAT, DATETIME, DATE, BOOL, TAGS, LIST, AGE, EVENT = (
    "choice",
    "text",
    "integer",
    "decimal",
    "float",
    "datetime",
    "date",
    "bool",
    "tags",
    "list",
    "age",
    "event",
)
NUMERIC = (INTEGER, DECIMAL, FLOAT)
OPERATORS: dict[str, tuple[str, ...]] = {
    CHOICE: ("eq", "ne", "in", "not_in", "is_empty", "is_not_empty"),
    TEXT: ("eq", "ne", "contains", "starts_with", "in", "is_empty", "is_not_empty"),
    INTEGER: ("eq", "ne", "gt", "gte", "lt", "lte", "between", "is_empty", "is_not_empty"),
    DECIMAL: ("eq", "ne", "gt", "gte", "lt", "lte", "between", "is_empty", "is_not_empty"),
    FLOAT: ("gt", "gte", "lt", "lte", "between", "is_empty", "is_not_empty"),
    DATETIME: (
        "before",
        "after",
        "between",
        "in_last_days",
        "not_in_last_days",
        "is_empty",
        "is_not_empty",
    ),
    DATE: ("before", "after", "between", "is_empty", "is_not_empty"),
    BOOL: ("is_true", "is_false"),
    TAGS: ("has_any", "has_all", "has_none"),
    LIST: ("has_any", "has_all", "has_none"),
    AGE: ("between", "gte", "lte"),
    EVENT: ("at_least", "none"),
}
OPERATOR_LABELS = {
    "eq": gettext_lazy("is"),
    "ne": gettext_lazy("is not"),
    "in": gettext_lazy("is one of"),
    "not_in": gettext_lazy("is none of"),
    "is_empty": gettext_lazy("is empty"),
    "is_not_empty": gettext_lazy("is not empty"),
    "contains": gettext_lazy("contains"),
    "starts_with": gettext_lazy("starts with"),
    "gt": gettext_lazy("greater than"),
    "gte": gettext_lazy("at least"),
    "lt": gettext_lazy("less than"),
    "lte": gettext_lazy("at most"),
    "between": gettext_lazy("between"),
    "before": gettext_lazy("before"),
    "after": gettext_lazy("on or after"),
    "in_last_days": gettext_lazy("in the last N days"),
    "not_in_last_days": gettext_lazy("not in the last N days"),
    "is_true": gettext_lazy("is yes"),
    "is_false": gettext_lazy("is no"),
    "has_any": gettext_lazy("has any of"),
    "has_all": gettext_lazy("has all of"),
    "has_none": gettext_lazy("has none of"),
    "at_least": gettext_lazy("at least N times"),
    "none": gettext_lazy("never"),
}
NO_VALUE = ("is_empty", "is_not_empty", "is_true", "is_false", "none")
# Cost rank inside an AND group: lower first.
INDEXED, PLAIN, HEAVY = 0, 1, 2


@dataclass(frozen=True)
class Field:
    key: str
    label: Any
    type: str
    column: str = ""
    choices: tuple[tuple[str, Any], ...] = ()
    nullable: bool = False
    group: Any = ""
    rank: int = PLAIN
    score: bool = False
    definition: CustomFieldDefinition | None = field(default=None, compare=False)


_CUSTOMER = gettext_lazy("Customer")
_AGG = gettext_lazy("Purchases and contact")
_SCORE = gettext_lazy("Scores")
_EVENTS = gettext_lazy("Events in a period")


def _choices(cls) -> tuple:
    return tuple(cls.choices)


def _rfm_choices() -> tuple:
    from guanxi.analytics.models import RfmSegment

    return tuple(RfmSegment.choices)


BASE_FIELDS: tuple[Field, ...] = (
    Field("kind", gettext_lazy("Kind"), CHOICE, "kind", _choices(CustomerKind), group=_CUSTOMER),
    Field("grade", gettext_lazy("Grade"), CHOICE, "grade", _choices(Grade), group=_CUSTOMER),
    Field("status", gettext_lazy("Status"), CHOICE, "status", _choices(Status), group=_CUSTOMER),
    Field(
        "lifecycle_stage",
        gettext_lazy("Lifecycle stage"),
        CHOICE,
        "lifecycle_stage",
        _choices(LifecycleStage),
        group=_CUSTOMER,
    ),
    Field(
        "value_tier",
        gettext_lazy("Value tier"),
        CHOICE,
        "value_tier",
        _choices(ValueTier),
        group=_CUSTOMER,
    ),
    Field("gender", gettext_lazy("Gender"), CHOICE, "gender", _choices(Gender), group=_CUSTOMER),
    Field("region", gettext_lazy("Region"), TEXT, "region", group=_CUSTOMER),
    Field("industry", gettext_lazy("Industry"), TEXT, "industry", group=_CUSTOMER),
    Field("source", gettext_lazy("Source"), TEXT, "source", group=_CUSTOMER),
    Field("occupation", gettext_lazy("Occupation"), TEXT, "occupation", group=_CUSTOMER),
    Field("age", gettext_lazy("Age"), AGE, "birthday", group=_CUSTOMER),
    Field("birthday", gettext_lazy("Birthday"), DATE, "birthday", nullable=True, group=_CUSTOMER),
    Field(
        "created_at",
        gettext_lazy("Created"),
        DATETIME,
        "created_at",
        group=_CUSTOMER,
        rank=INDEXED,
    ),
    Field(
        "marketing_consent",
        gettext_lazy("Consents to marketing"),
        BOOL,
        "marketing_consent",
        group=_CUSTOMER,
    ),
    Field("tags", gettext_lazy("Tags"), TAGS, "tags", group=_CUSTOMER, rank=HEAVY),
    Field("interests", gettext_lazy("Interests"), LIST, "interests", group=_CUSTOMER, rank=HEAVY),
    Field("order_count", gettext_lazy("Number of orders"), INTEGER, "order_count", group=_AGG),
    Field(
        "total_spent",
        gettext_lazy("Total spent"),
        DECIMAL,
        "total_spent",
        group=_AGG,
        rank=INDEXED,
    ),
    Field(
        "average_order_value",
        gettext_lazy("Average order value"),
        DECIMAL,
        "average_order_value",
        group=_AGG,
    ),
    Field(
        "first_purchase_at",
        gettext_lazy("First purchase"),
        DATETIME,
        "first_purchase_at",
        nullable=True,
        group=_AGG,
    ),
    Field(
        "last_purchase_at",
        gettext_lazy("Last purchase"),
        DATETIME,
        "last_purchase_at",
        nullable=True,
        group=_AGG,
        rank=INDEXED,
    ),
    Field(
        "interaction_count",
        gettext_lazy("Number of interactions"),
        INTEGER,
        "interaction_count",
        group=_AGG,
    ),
    Field(
        "last_interaction_at",
        gettext_lazy("Last contact"),
        DATETIME,
        "last_interaction_at",
        nullable=True,
        group=_AGG,
    ),
    Field("open_tickets", gettext_lazy("Open tickets"), INTEGER, "open_tickets", group=_AGG),
    Field("completeness", gettext_lazy("Completeness (%)"), INTEGER, "completeness", group=_AGG),
    Field(
        "score.rfm_segment",
        gettext_lazy("RFM segment"),
        CHOICE,
        "rfm_segment",
        (),
        group=_SCORE,
        rank=HEAVY,
        score=True,
    ),
    *(
        Field(
            f"score.{name}",
            label,
            kind,
            name,
            nullable=nullable,
            group=_SCORE,
            rank=HEAVY,
            score=True,
        )
        for name, label, kind, nullable in (
            ("r_score", gettext_lazy("Recency score (1–5)"), INTEGER, False),
            ("f_score", gettext_lazy("Frequency score (1–5)"), INTEGER, False),
            ("m_score", gettext_lazy("Monetary score (1–5)"), INTEGER, False),
            ("recency_days", gettext_lazy("Days since last purchase"), INTEGER, True),
            ("clv", gettext_lazy("Lifetime value"), DECIMAL, True),
            ("p_alive", gettext_lazy("Probability alive (0–1)"), FLOAT, True),
            ("churn_risk", gettext_lazy("Churn risk (0–1)"), FLOAT, True),
            ("expected_purchases_90d", gettext_lazy("Expected purchases, 90 days"), FLOAT, True),
        )
    ),
    Field("orders", gettext_lazy("Orders"), EVENT, group=_EVENTS, rank=HEAVY),
    Field("interactions", gettext_lazy("Interactions"), EVENT, group=_EVENTS, rank=HEAVY),
)
CUSTOM_PREFIX = "cf."
CUSTOM_TYPES = {
    CustomFieldType.TEXT: TEXT,
    CustomFieldType.NUMBER: DECIMAL,
    CustomFieldType.DATE: DATE,
    CustomFieldType.BOOLEAN: BOOL,
    CustomFieldType.CHOICE: CHOICE,
    CustomFieldType.MULTI_CHOICE: LIST,
}


def fields() -> dict[str, Field]:
    """Every field a rule may use: the built-in ones and the active custom fields."""
    out = {}
    for f in BASE_FIELDS:
        if f.key == "score.rfm_segment":
            f = Field(
                f.key,
                f.label,
                CHOICE,
                f.column,
                _rfm_choices(),
                group=_SCORE,
                rank=HEAVY,
                score=True,
            )
        out[f.key] = f
    for d in CustomFieldDefinition.objects.filter(active=True).order_by("position", "id"):
        kind = CUSTOM_TYPES.get(d.field_type)
        if kind is None:
            continue
        choices = tuple((str(c), str(c)) for c in d.choices or ()) if kind in (CHOICE, LIST) else ()
        out[CUSTOM_PREFIX + d.key] = Field(
            CUSTOM_PREFIX + d.key,
            d.label,
            kind,
            f"custom_fields__{d.key}",
            choices,
            nullable=True,
            group=gettext_lazy("Custom fields"),
            rank=HEAVY,
            definition=d,
        )
    return out


# --- validation ---------------------------------------------------------------------------


class _Errors:
    def __init__(self) -> None:
        self.errors: dict[str, str] = {}
        self.nodes = 0

    def add(self, path: str, message: str) -> None:
        self.errors.setdefault(path, message)


def _int(value: Any, *, low: int = 0, high: int = 10**12) -> int:
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, str):
        value = value.strip()
    number = int(value)
    if isinstance(value, float) and value != number:
        raise ValueError
    if not low <= number <= high:
        raise ValueError
    return number


def _decimal(value: Any) -> Decimal:
    if isinstance(value, bool) or value is None:
        raise ValueError
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError from None
    if not number.is_finite() or abs(number) >= Decimal(10) ** 14:
        raise ValueError
    return number


class _OutOfRange(ValueError):
    pass


def _date(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError
    day = dt.date.fromisoformat(value.strip())
    if not FIRST_DATE <= day <= LAST_DATE:
        raise _OutOfRange
    return day.isoformat()


def _date_message(error: Exception) -> str:
    if isinstance(error, _OutOfRange):
        return date_range_message()
    return _("Enter a date as YYYY-MM-DD.")


def _scalar(f: Field, value: Any) -> Any:
    """One value of field `f`'s type, cleaned; ValueError with no message when it is not."""
    if f.type == CHOICE:
        if not isinstance(value, str) or value not in {c for c, _label in f.choices}:
            raise ValueError(_("Choose one of the offered values."))
        return value
    if f.type in (TEXT, TAGS, LIST):
        if not isinstance(value, str) or not value.strip() or len(value) > MAX_TEXT:
            raise ValueError(_("Enter a text of 1 to %(max)d characters.") % {"max": MAX_TEXT})
        value = value.strip()
        if f.type == LIST and f.choices and value not in {c for c, _label in f.choices}:
            raise ValueError(_("Choose one of the offered values."))
        return value
    if f.type == INTEGER:
        try:
            return _int(value, low=-(10**12))
        except (TypeError, ValueError):
            raise ValueError(_("Enter a whole number.")) from None
    if f.type in (DECIMAL, FLOAT):
        try:
            number = _decimal(value)
        except (TypeError, ValueError):
            raise ValueError(_("Enter a number.")) from None
        return str(number) if f.type == DECIMAL else float(number)
    if f.type in (DATETIME, DATE):
        try:
            return _date(value)
        except (TypeError, ValueError) as error:
            raise ValueError(_date_message(error)) from None
    if f.type == AGE:
        try:
            return _int(value, low=0, high=150)
        except (TypeError, ValueError):
            raise ValueError(_("Enter an age in years between 0 and 150.")) from None
    raise ValueError(_("This field takes no value."))


def _clean_params(f: Field, params: Any, path: str, errors: _Errors) -> dict[str, Any]:
    if params in (None, ""):
        params = {}
    if not isinstance(params, dict):
        errors.add(f"{path}.params", _("Send the period as an object."))
        return {}
    allowed = {"last_days", "from", "to"}
    allowed |= {"product", "category"} if f.key == "orders" else {"channel"}
    unknown = set(params) - allowed
    if unknown:
        errors.add(
            f"{path}.params",
            _("Unknown setting: %(names)s.") % {"names": ", ".join(sorted(unknown))},
        )
        return {}
    out: dict[str, Any] = {}
    if params.get("last_days") not in (None, ""):
        try:
            out["last_days"] = _int(params["last_days"], low=1, high=MAX_DAYS)
        except (TypeError, ValueError):
            errors.add(
                f"{path}.params.last_days",
                _("Enter a number of days from 1 to %(max)d.") % {"max": MAX_DAYS},
            )
    for key in ("from", "to"):
        if params.get(key) not in (None, ""):
            try:
                out[key] = _date(params[key])
            except (TypeError, ValueError) as error:
                errors.add(f"{path}.params.{key}", _date_message(error))
    if "last_days" in out and ("from" in out or "to" in out):
        errors.add(f"{path}.params", _("Give either the last N days or dates, not both."))
    if "from" in out and "to" in out and out["from"] > out["to"]:
        errors.add(f"{path}.params.to", _("The end date is before the start date."))
    if f.key == "orders":
        if params.get("product") not in (None, ""):
            from guanxi.sales.models import Product

            try:
                pid = _int(params["product"], low=1, high=2**62)
            except (TypeError, ValueError):
                pid = None
            if pid is None or not Product.objects.filter(pk=pid).exists():
                errors.add(f"{path}.params.product", _("There is no such product."))
            else:
                out["product"] = pid
        if params.get("category") not in (None, ""):
            cat = params["category"]
            if not isinstance(cat, str) or len(cat.strip()) > 100:
                errors.add(
                    f"{path}.params.category", _("Enter a category of at most 100 characters.")
                )
            else:
                out["category"] = cat.strip()
    else:
        if params.get("channel") not in (None, ""):
            from guanxi.interactions.models import Channel

            if params["channel"] not in Channel.values:
                errors.add(f"{path}.params.channel", _("Choose one of the offered values."))
            else:
                out["channel"] = params["channel"]
    return out


def _clean_condition(node: dict, path: str, known: dict[str, Field], errors: _Errors) -> dict:
    unknown = set(node) - {"type", "field", "operator", "value", "params"}
    if unknown:
        errors.add(path, _("Unknown key: %(names)s.") % {"names": ", ".join(sorted(unknown))})
    key = node.get("field")
    f = known.get(key) if isinstance(key, str) else None
    if f is None:
        errors.add(f"{path}.field", _("There is no such field: %(field)s.") % {"field": key})
        return {
            "type": "condition",
            "field": key,
            "operator": node.get("operator"),
            "value": node.get("value"),
        }
    op = node.get("operator")
    if op not in OPERATORS[f.type]:
        errors.add(
            f"{path}.operator",
            _("“%(op)s” cannot be used with %(field)s; use one of: %(ops)s.")
            % {"op": op, "field": f.label, "ops": ", ".join(OPERATORS[f.type])},
        )
        return {"type": "condition", "field": key, "operator": op, "value": node.get("value")}
    out: dict[str, Any] = {"type": "condition", "field": key, "operator": op}
    value = node.get("value")
    vpath = f"{path}.value"
    try:
        if f.type == EVENT:
            out["params"] = _clean_params(f, node.get("params"), path, errors)
            if op == "at_least":
                try:
                    out["value"] = _int(value, low=1, high=100000)
                except (TypeError, ValueError):
                    raise ValueError(_("Enter a whole number of at least 1.")) from None
        elif op in NO_VALUE:
            empty_test = op in ("is_empty", "is_not_empty")
            if empty_test and not f.nullable and f.type not in (CHOICE, TEXT):
                raise ValueError(_("This field is never empty."))
        elif op == "between":
            if not isinstance(value, list | tuple) or len(value) != 2:
                raise ValueError(_("Enter two values: from and to."))
            low, high = _scalar(f, value[0]), _scalar(f, value[1])
            if (Decimal(str(low)) if f.type in (*NUMERIC, AGE) else low) > (
                Decimal(str(high)) if f.type in (*NUMERIC, AGE) else high
            ):
                raise ValueError(_("The first value must not be greater than the second."))
            out["value"] = [low, high]
        elif op in ("in", "not_in", "has_any", "has_all", "has_none"):
            if not isinstance(value, list) or not value:
                raise ValueError(_("Choose at least one value."))
            if len(value) > MAX_LIST:
                raise ValueError(_("Choose at most %(max)d values.") % {"max": MAX_LIST})
            out["value"] = list(dict.fromkeys(_scalar(f, v) for v in value))
        elif op in ("in_last_days", "not_in_last_days"):
            try:
                out["value"] = _int(value, low=1, high=MAX_DAYS)
            except (TypeError, ValueError):
                raise ValueError(
                    _("Enter a number of days from 1 to %(max)d.") % {"max": MAX_DAYS}
                ) from None
        else:
            if isinstance(value, list | dict) or value is None or value == "":
                raise ValueError(_("Enter a value."))
            out["value"] = _scalar(f, value)
    except ValueError as error:
        errors.add(vpath, str(error.args[0]) if error.args else _("Enter a valid value."))
        out["value"] = value
    return out


def _clean_node(node: Any, path: str, depth: int, known: dict[str, Field], errors: _Errors):
    errors.nodes += 1
    if errors.nodes > MAX_NODES:
        errors.add(
            "rules",
            _("A segment may have at most %(max)d conditions and groups.") % {"max": MAX_NODES},
        )
        return None
    if not isinstance(node, dict):
        errors.add(path, _("Each rule must be an object."))
        return None
    kind = node.get("type") or ("group" if "rules" in node else "condition")
    if kind == "condition":
        return _clean_condition(node, path, known, errors)
    if kind != "group":
        errors.add(f"{path}.type", _("The type must be “group” or “condition”."))
        return None
    unknown = set(node) - {"type", "op", "negate", "rules"}
    if unknown:
        errors.add(path, _("Unknown key: %(names)s.") % {"names": ", ".join(sorted(unknown))})
    op = node.get("op", "and")
    if op not in ("and", "or"):
        errors.add(f"{path}.op", _("A group combines its rules with “and” or “or”."))
    negate = node.get("negate", False)
    if not isinstance(negate, bool):
        errors.add(f"{path}.negate", _("Enter true or false."))
    if depth > MAX_DEPTH:
        errors.add(path, _("Groups may be nested at most %(max)d deep.") % {"max": MAX_DEPTH})
        return None
    children = node.get("rules", [])
    if not isinstance(children, list):
        errors.add(f"{path}.rules", _("The rules of a group must be a list."))
        children = []
    cleaned = [
        _clean_node(child, f"{path}.{i}", depth + 1, known, errors)
        for i, child in enumerate(children)
    ]
    return {
        "type": "group",
        "op": op,
        "negate": bool(negate),
        "rules": [c for c in cleaned if c is not None],
    }


def validate(rules: Any, *, known: dict[str, Field] | None = None) -> dict:
    """The cleaned rule tree; ValidationError({"rules.<path>": message, ...}) when any node is
    bad. An empty group is allowed (it matches every customer the user may see)."""
    if isinstance(rules, str):
        try:
            rules = json.loads(rules)
        except ValueError:
            raise ValidationError({"rules": _("The rules are not valid JSON.")}) from None
    if rules in (None, {}):
        rules = {"type": "group", "op": "and", "rules": []}
    if has_nul(rules):
        raise ValidationError({"rules": _("A value in the rules holds a NUL character.")})
    errors = _Errors()
    if not isinstance(rules, dict) or rules.get("type", "group") != "group":
        raise ValidationError({"rules": _("The rules must be a group.")})
    cleaned = _clean_node(rules, "rules", 1, known if known is not None else fields(), errors)
    if errors.errors:
        raise ValidationError(errors.errors)
    return cleaned


# --- compilation --------------------------------------------------------------------------


def _aware(day: str, *, end: bool = False) -> dt.datetime:
    date = dt.date.fromisoformat(day) + dt.timedelta(days=1 if end else 0)
    return timezone.make_aware(dt.datetime.combine(date, dt.time.min))


def _period_range(params: dict, column: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if params.get("last_days"):
        out[f"{column}__gte"] = timezone.now() - dt.timedelta(days=params["last_days"])
    if params.get("from"):
        out[f"{column}__gte"] = _aware(params["from"])
    if params.get("to"):
        out[f"{column}__lt"] = _aware(params["to"], end=True)
    return out


def _event_q(f: Field, op: str, value: Any, params: dict) -> Q:
    if f.key == "orders":
        from guanxi.sales.models import NOT_PURCHASES, Order, OrderLine

        facts = Order.objects.exclude(status__in=NOT_PURCHASES).filter(
            **_period_range(params, "ordered_at")
        )
        lines = OrderLine.objects.filter(order_id=OuterRef("pk"))
        if params.get("product"):
            facts = facts.filter(Exists(lines.filter(product_id=params["product"])))
        if params.get("category"):
            facts = facts.filter(Exists(lines.filter(product__category=params["category"])))
    else:
        from guanxi.interactions.models import Interaction

        facts = Interaction.objects.filter(**_period_range(params, "occurred_at"))
        if params.get("channel"):
            facts = facts.filter(channel=params["channel"])
    if op == "none":
        return ~Q(Exists(facts.filter(customer_id=OuterRef("pk"))))
    if value == 1:
        return Q(Exists(facts.filter(customer_id=OuterRef("pk"))))
    counted = (
        facts.order_by()
        .values("customer_id")
        .annotate(n=Count("id"))
        .filter(n__gte=value)
        .values("customer_id")
    )
    return Q(id__in=counted)


def _json_needles(value: str) -> list[str]:
    """How `value` appears inside a stored JSON list: ASCII-escaped (SQLite, as Django writes
    it) or as is (PostgreSQL's jsonb text)."""
    return list(dict.fromkeys([json.dumps(value), json.dumps(value, ensure_ascii=False)]))


def _list_has(column: str, value: str) -> Q:
    q = Q()
    for needle in _json_needles(value):
        q |= Q(**{f"{column}__icontains": needle})
    return q


def _matching(q: Q) -> Q:
    """The customers that satisfy `q`, as an id set: NOT of it is exactly everyone else. On a
    custom field (a key of a JSON column) a customer without the key gives NULL, and SQL's
    NOT (NULL) left them out of "is not", "has none of" and every negated group."""
    from guanxi.customers.models import Customer

    return Q(id__in=Customer.objects.filter(q).values("id"))


def _not(f: Field, q: Q) -> Q:
    return ~_matching(q) if f.definition is not None else ~q


def _condition_q(node: dict, known: dict[str, Field]) -> Q:
    f = known[node["field"]]
    op, value = node["operator"], node.get("value")
    if f.type == EVENT:
        return _event_q(f, op, value, node.get("params") or {})
    col = f.column
    if f.type == TAGS:
        from guanxi.customers.models import Customer

        through = Customer.tags.through.objects.filter(
            customer_id=OuterRef("pk"), tag__name__in=value
        )
        if op == "has_any":
            return Q(Exists(through))
        if op == "has_none":
            return ~Q(Exists(through))
        q = Q()
        for name in value:
            q &= Q(
                Exists(
                    Customer.tags.through.objects.filter(customer_id=OuterRef("pk"), tag__name=name)
                )
            )
        return q
    if f.type == LIST:
        # A JSON list: the whole field (interests) or one custom field's value.
        parts = [_list_has(col, v) for v in value]
        if op == "has_any":
            return _or(parts)
        if op == "has_none":
            return _not(f, _or(parts))
        q = Q()
        for p in parts:
            q &= p
        return q
    if f.type == AGE:
        today = timezone.localdate()

        def born_before(years: int) -> dt.date:  # the last birthday date of someone `years` old
            try:
                return today.replace(year=today.year - years)
            except ValueError:  # 29 February
                return today.replace(year=today.year - years, day=28)

        if op == "gte":
            return Q(birthday__lte=born_before(value))
        if op == "lte":
            return Q(birthday__gt=born_before(value + 1))
        low, high = value
        return Q(birthday__lte=born_before(low), birthday__gt=born_before(high + 1))
    if f.type == BOOL:
        return Q(**{col: op == "is_true"})
    if op == "is_empty":
        q = Q(**{f"{col}__isnull": True})
        return q | Q(**{col: ""}) if f.type in (TEXT, CHOICE) else q
    if op == "is_not_empty":
        q = Q(**{f"{col}__isnull": False})
        return q & ~Q(**{col: ""}) if f.type in (TEXT, CHOICE) else q
    if f.type == DATETIME:
        if op == "in_last_days":
            return Q(**{f"{col}__gte": timezone.now() - dt.timedelta(days=value)})
        if op == "not_in_last_days":
            since = timezone.now() - dt.timedelta(days=value)
            return Q(**{f"{col}__lt": since}) | Q(**{f"{col}__isnull": True})
        if op == "before":
            return Q(**{f"{col}__lt": _aware(value)})
        if op == "after":
            return Q(**{f"{col}__gte": _aware(value)})
        return Q(**{f"{col}__gte": _aware(value[0]), f"{col}__lt": _aware(value[1], end=True)})
    if f.type == DATE:
        if op == "before":
            return Q(**{f"{col}__lt": value})
        if op == "after":
            return Q(**{f"{col}__gte": value})
        return Q(**{f"{col}__gte": value[0], f"{col}__lte": value[1]})
    if f.definition is not None and f.type == DECIMAL:
        value = [float(v) for v in value] if isinstance(value, list) else float(value)
    elif f.type == DECIMAL:
        value = [Decimal(v) for v in value] if isinstance(value, list) else Decimal(value)
    simple = {
        "eq": "",
        "gt": "__gt",
        "gte": "__gte",
        "lt": "__lt",
        "lte": "__lte",
        "in": "__in",
        "contains": "__icontains",
        "starts_with": "__istartswith",
    }
    if op in simple:
        return Q(**{f"{col}{simple[op]}": value})
    if op == "ne":
        return _not(f, Q(**{col: value}))
    if op == "not_in":
        return _not(f, Q(**{f"{col}__in": value}))
    if op == "between":
        return Q(**{f"{col}__gte": value[0], f"{col}__lte": value[1]})
    raise ValueError(op)  # pragma: no cover - validate() refuses unknown operators


def _or(parts: list[Q]) -> Q:
    q = Q()
    for p in parts:
        q |= p
    return q


def _wrap(f: Field, q: Q) -> Q:
    """A score condition holds only for customers that have a score row that satisfies it. A
    custom field condition becomes the set of customers it holds for, so that a negated group
    over it keeps the customers without that field."""
    if f.score:
        from guanxi.analytics.models import CustomerScore

        inner = CustomerScore.objects.filter(q)
        return Q(id__in=inner.values("customer_id"))
    if f.definition is not None:
        return _matching(q)
    return q


def _rank(node: dict, known: dict[str, Field]) -> int:
    if node["type"] == "group":
        return HEAVY + 1
    f = known[node["field"]]
    return f.rank


def _compile(node: dict, known: dict[str, Field]) -> Q:
    if node["type"] == "condition":
        f = known[node["field"]]
        return _wrap(f, _condition_q(node, known))
    children = node["rules"]
    if node["op"] == "and":
        children = sorted(children, key=lambda c: _rank(c, known))
    parts = [_compile(c, known) for c in children]
    q = Q()
    for p in parts:
        q = q & p if node["op"] == "and" else q | p
    if not parts:
        q = Q()
    return ~q if node.get("negate") and parts else (Q(pk__in=[]) if node.get("negate") else q)


def compile_rules(rules: dict, *, known: dict[str, Field] | None = None) -> Q:
    """A Q over Customer for a cleaned rule tree (from validate()). Raises ValidationError when
    a rule no longer validates (a custom field was removed since it was saved)."""
    known = known if known is not None else fields()
    cleaned = validate(rules, known=known)
    return _compile(cleaned, known)
