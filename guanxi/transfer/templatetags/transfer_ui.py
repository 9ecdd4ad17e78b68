"""Template helpers of import and export: whether the menu offers them (the services decide)."""

from __future__ import annotations

from django import template

from guanxi.transfer import services

register = template.Library()


@register.filter
def may_import(user) -> bool:
    return services.may_import(user)


@register.filter
def may_export(user) -> bool:
    return services.may_export(user)
