"""Writes to interactions; each keeps its customer's last-contact aggregate current."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.accounts.models import User
from guanxi.accounts.policies import has_perm
from guanxi.audit import services as audit
from guanxi.audit.models import AuditAction
from guanxi.core.errors import PermissionDeniedError
from guanxi.core.versioning import check_version
from guanxi.customers import aggregates
from guanxi.customers.policies import assignable_owner_q, can_edit, can_see

from .models import Interaction

FIELDS = (
    "customer",
    "contact",
    "channel",
    "direction",
    "purpose",
    "subject",
    "content",
    "occurred_at",
    "duration_minutes",
    "user",
    "outcome",
    "quality_rating",
)


def _allowed(actor: User, action: str, interaction: Interaction) -> bool:
    """Logging a contact with a customer one can see is part of working with them; changing or
    deleting an interaction takes the right to edit the customer, or being its author."""
    if not (has_perm(actor, "interactions", action) and can_see(actor, interaction.customer)):
        return False
    if action == "create":
        return True
    return interaction.user_id == actor.pk or can_edit(actor, interaction.customer)


def _check_author(actor: User, interaction: Interaction) -> None:
    """An interaction is attributed to its author; only a role over others (team or all) may
    attribute it to one of them."""
    if interaction.user_id in (None, actor.pk):
        return
    if not User.objects.filter(assignable_owner_q(actor), pk=interaction.user_id).exists():
        raise ValidationError({"user": _("You cannot log an interaction for this user.")})


def _prepare(interaction: Interaction, data: dict[str, Any]) -> None:
    unknown = set(data) - set(FIELDS)
    if unknown:
        raise ValidationError({f: _("There is no such field.") for f in sorted(unknown)})
    for field, value in data.items():
        setattr(interaction, field, value)
    interaction.subject = " ".join((interaction.subject or "").split())
    interaction.content = (interaction.content or "").strip()
    interaction.outcome = interaction.outcome or ""
    if interaction.occurred_at is None:
        interaction.occurred_at = timezone.now()
    if interaction.occurred_at > timezone.now() + timezone.timedelta(days=1):
        raise ValidationError({"occurred_at": _("An interaction cannot be in the future.")})
    if interaction.contact_id and interaction.contact.organisation_id != interaction.customer_id:
        raise ValidationError({"contact": _("This contact belongs to another customer.")})
    if interaction.customer_id and interaction.customer.deleted_at is not None:
        raise ValidationError({"customer": _("This customer is in the recycle bin.")})
    interaction.full_clean(exclude=["customer", "contact", "user"], validate_unique=False)


@transaction.atomic
def create_interaction(*, actor: User, data: dict[str, Any]) -> Interaction:
    if data.get("customer") is None:
        raise ValidationError({"customer": _("This field is required.")})
    interaction = Interaction(user=actor)
    _prepare(interaction, data)
    if not _allowed(actor, "create", interaction):
        raise PermissionDeniedError()
    _check_author(actor, interaction)
    interaction.save()
    aggregates.refresh_interaction_aggregates([interaction.customer_id])
    audit.record_create(
        actor=actor, instance=interaction, fields=FIELDS, customer_id=interaction.customer_id
    )
    return interaction


@transaction.atomic
def update_interaction(
    *, actor: User, interaction: Interaction, data: dict[str, Any], version: int | None
) -> Interaction:
    locked = Interaction.objects.select_for_update().get(pk=interaction.pk)
    check_version(locked, version)
    if not _allowed(actor, "change", locked):
        raise PermissionDeniedError()
    old_customer = locked.customer_id
    before = audit.snapshot(locked, FIELDS)
    old_author = locked.user_id
    _prepare(locked, data)
    if not _allowed(actor, "change", locked):
        raise PermissionDeniedError()
    if locked.user_id != old_author:
        _check_author(actor, locked)
    changes = audit.diff(before, audit.snapshot(locked, FIELDS))
    if not changes:
        return locked
    locked.version = F("version") + 1
    locked.save()
    locked.refresh_from_db()
    aggregates.refresh_interaction_aggregates({old_customer, locked.customer_id})
    audit.record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=locked,
        changes=changes,
        customer_id=locked.customer_id,
    )
    return locked


@transaction.atomic
def delete_interaction(*, actor: User, interaction: Interaction) -> None:
    if not _allowed(actor, "delete", interaction):
        raise PermissionDeniedError()
    customer_id = interaction.customer_id
    audit.record(
        actor=actor,
        action=AuditAction.DELETE,
        instance=interaction,
        changes=audit.diff(audit.snapshot(interaction, FIELDS), {k: None for k in FIELDS}),
        customer_id=customer_id,
    )
    interaction.delete()
    aggregates.refresh_interaction_aggregates([customer_id])


@transaction.atomic
def log_system_interaction(
    *,
    customer,
    channel: str,
    subject: str,
    content: str = "",
    purpose: str = "care",
    outcome: str = "",
    occurred_at=None,
) -> Interaction:
    """An interaction the system made (an automatic greeting, a care task handed to the owner):
    no author and no acting user's rights to check; validated, aggregated and audited like the
    others. `user` stays empty so that it never counts as a person's follow-up."""
    interaction = Interaction(
        customer=customer,
        channel=channel,
        direction="outbound",
        purpose=purpose,
        subject=" ".join(subject.split())[:200],
        content=content.strip(),
        outcome=outcome,
        occurred_at=occurred_at or timezone.now(),
    )
    interaction.full_clean(exclude=["customer", "contact", "user"], validate_unique=False)
    interaction.save()
    aggregates.refresh_interaction_aggregates([interaction.customer_id])
    audit.record_create(
        actor=None, instance=interaction, fields=FIELDS, customer_id=interaction.customer_id
    )
    return interaction
