"""Template helpers for the web workspace's layout."""

from __future__ import annotations

from decimal import Decimal

from django import template

from guanxi.accounts import policies
from guanxi.core.numbers import plain_decimal

register = template.Library()


@register.filter
def is_admin(user) -> bool:
    """Whether the user sees the Administration menu (the policy decides, not the template)."""
    return policies.is_admin(user)


@register.filter
def has_perm(user, spec: str) -> bool:
    """`user|has_perm:"customers.view"`: whether the user's role grants that action."""
    module, _, action = spec.partition(".")
    return policies.has_perm(user, module, action)


@register.simple_tag(takes_context=True)
def active(context, *prefixes: str) -> str:
    """'active' when the current URL name (namespace:name) starts with one of the prefixes."""
    match = getattr(context.get("request"), "resolver_match", None)
    name = match.view_name if match else ""
    return "active" if any(name.startswith(p) for p in prefixes) else ""


@register.filter
def alert_class(level_tag: str) -> str:
    """Bootstrap alert colour for a Django message level."""
    return {"error": "danger", "debug": "secondary"}.get(level_tag, level_tag or "info")


@register.filter
def plain_number(value) -> str:
    """A Decimal without trailing zeros or an exponent: 7.10000000 as "7.1", 100 as "100"."""
    if value is None or value == "":
        return ""
    return plain_decimal(Decimal(value))
