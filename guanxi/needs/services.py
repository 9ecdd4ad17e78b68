"""Writes to needs: validated, permission-checked, audited, optimistically locked."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from guanxi.accounts.models import User
from guanxi.accounts.policies import has_perm
from guanxi.audit import services as audit
from guanxi.audit.models import AuditAction
from guanxi.core.errors import PermissionDeniedError
from guanxi.core.versioning import check_version
from guanxi.customers.policies import can_see

from .models import Need, NeedSource
from .policies import need_visible_q

FIELDS = (
    "customer",
    "title",
    "description",
    "category",
    "importance",
    "status",
    "ticket",
    "interaction",
)
EDITABLE = ("title", "description", "category", "importance", "status")
AUDITED = (*FIELDS, "source")


def _prepare(need: Need, data: dict[str, Any], allowed) -> None:
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValidationError({f: _("There is no such field.") for f in sorted(unknown)})
    for field, value in data.items():
        setattr(need, field, value)
    need.title = " ".join((need.title or "").split())
    need.description = (need.description or "").strip()
    if not need.title:
        raise ValidationError({"title": _("This field is required.")})
    if len(need.description) > 20000:
        raise ValidationError({"description": _("Keep it under %(n)s characters.") % {"n": 20000}})
    need.full_clean(
        exclude=["customer", "ticket", "interaction", "created_by"], validate_unique=False
    )


@transaction.atomic
def create_need(*, actor: User, data: dict[str, Any]) -> Need:
    """A need entered directly, or recorded from a ticket or an interaction of the same customer
    (the source is then linked, and the customer taken from it when not given)."""
    from guanxi.interactions.selectors import interaction_list
    from guanxi.tickets.selectors import ticket_list

    if not has_perm(actor, "needs", "create"):
        raise PermissionDeniedError()
    data = dict(data)
    ticket, interaction = data.get("ticket"), data.get("interaction")
    if ticket is not None and interaction is not None:
        raise ValidationError({"ticket": _("Link a ticket or an interaction, not both.")})
    source = NeedSource.DIRECT
    if ticket is not None:
        if not ticket_list(user=actor).filter(pk=ticket.pk).exists():
            raise ValidationError({"ticket": _("There is no such ticket.")})
        source = NeedSource.TICKET
        data.setdefault("customer", ticket.customer)
        data["customer"] = data["customer"] or ticket.customer
    if interaction is not None:
        if not interaction_list(user=actor).filter(pk=interaction.pk).exists():
            raise ValidationError({"interaction": _("There is no such interaction.")})
        source = NeedSource.INTERACTION
        data["customer"] = data.get("customer") or interaction.customer
    customer = data.get("customer")
    if customer is None:
        raise ValidationError({"customer": _("This field is required.")})
    if customer.deleted_at is not None or not can_see(actor, customer):
        raise ValidationError({"customer": _("There is no such customer.")})
    linked = ticket or interaction
    if linked is not None and linked.customer_id != customer.pk:
        field = "ticket" if ticket is not None else "interaction"
        raise ValidationError({field: _("This belongs to another customer.")})
    need = Need(created_by=actor if actor.pk else None, source=source)
    _prepare(need, data, FIELDS)
    need.save()
    audit.record_create(actor=actor, instance=need, fields=AUDITED, customer_id=need.customer_id)
    return need


def _may_change(actor: User, need: Need, action: str = "change") -> bool:
    if not has_perm(actor, "needs", action):
        return False
    return Need.objects.filter(need_visible_q(actor), pk=need.pk).exists()


@transaction.atomic
def update_need(*, actor: User, need: Need, data: dict[str, Any], version: int | None) -> Need:
    locked = Need.objects.select_for_update(of=("self",)).get(pk=need.pk)
    check_version(locked, version)
    if not _may_change(actor, locked):
        raise PermissionDeniedError()
    before = audit.snapshot(locked, AUDITED)
    _prepare(locked, data, EDITABLE)
    changes = audit.diff(before, audit.snapshot(locked, AUDITED))
    if not changes:
        return locked
    locked.version = F("version") + 1
    locked.save()
    locked.refresh_from_db()
    audit.record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=locked,
        changes=changes,
        customer_id=locked.customer_id,
    )
    return locked


@transaction.atomic
def delete_need(*, actor: User, need: Need) -> None:
    if not _may_change(actor, need, "delete"):
        raise PermissionDeniedError()
    audit.record(
        actor=actor,
        action=AuditAction.DELETE,
        instance=need,
        changes=audit.diff(audit.snapshot(need, AUDITED), {k: None for k in AUDITED}),
        customer_id=need.customer_id,
    )
    need.delete()
