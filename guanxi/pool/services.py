"""Writes of the public pool: claims, returns and the daily return of neglected customers.

The owner and team change through the customers services (audited there); this app records
its own event with the reason, audited too.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from guanxi.accounts.models import User
from guanxi.audit import services as audit
from guanxi.core.errors import PermissionDeniedError
from guanxi.core.versioning import check_version
from guanxi.customers import services as customer_services
from guanxi.customers.models import Customer, CustomerKind, code_lookup
from guanxi.followups import services as followups
from guanxi.followups.models import Task, TaskStatus
from guanxi.interactions.models import Interaction

from .models import PoolEvent, PoolEventKind
from .policies import claim_cap, may_claim, may_return
from .selectors import held_count

log = logging.getLogger(__name__)

EVENT_FIELDS = ("kind", "user", "reason")
MAX_REASON = 500
BATCH = 500


def _error(message: str) -> ValidationError:
    return ValidationError({NON_FIELD_ERRORS: [message]})


def _user_name(user: User) -> str:
    return user.display_name or user.get_full_name() or user.username


def _record(customer: Customer, kind: str, *, user_id, actor, reason: str = "", task=None):
    event = PoolEvent.objects.create(
        customer=customer,
        kind=kind,
        user_id=user_id,
        actor=actor if getattr(actor, "pk", None) else None,
        reason=reason,
        task=task,
    )
    audit.record_create(actor=actor, instance=event, fields=EVENT_FIELDS, customer_id=customer.pk)
    return event


def company_owner(customer: Customer, claimer: User) -> User | None:
    """Another rep who owns the same company: a live owned customer with the same unified
    social credit code, or, for an organisation, the same name key."""
    same = Q()
    if customer.credit_code:
        same |= code_lookup("credit_code", [customer.credit_code])
    if customer.kind == CustomerKind.ORGANISATION and customer.name_key:
        same |= Q(name_key=customer.name_key, kind=CustomerKind.ORGANISATION)
    if not same:
        return None
    other = (
        Customer.objects.filter(same, deleted_at__isnull=True, owner__isnull=False)
        .exclude(pk=customer.pk)
        .exclude(owner_id=claimer.pk)
        .select_related("owner")
        .order_by("id")
        .first()
    )
    return other.owner if other else None


@transaction.atomic
def claim(*, actor: User, customer: Customer) -> Customer:
    """Make `actor` the owner of a customer of their pool (read through pool_get). Refused over
    the cap, when another rep owns the same company, or when someone else was quicker: of two
    claims at once exactly one wins."""
    if not may_claim(actor):
        raise PermissionDeniedError()
    # One claim of this rep at a time, so that two at once cannot both pass the cap.
    User.objects.select_for_update().filter(pk=actor.pk).first()
    cap = claim_cap(actor)
    if cap:
        held = held_count(user=actor)
        if held >= cap:
            raise _error(
                _(
                    "You already hold %(held)s customers and the cap is %(cap)s: return a "
                    "customer to the pool before claiming another."
                )
                % {"held": held, "cap": cap}
            )
    owner = company_owner(customer, actor)
    if owner is not None:
        raise _error(
            _("%(owner)s already owns this company; ask them or your manager.")
            % {"owner": _user_name(owner)}
        )
    taken = customer_services.take_unowned_customer(
        actor=actor, customer_id=customer.pk, owner=actor
    )
    if taken is None:
        raise _error(_("This customer is no longer in the pool: someone claimed it first."))
    _record(taken, PoolEventKind.CLAIM, user_id=actor.pk, actor=actor)
    return taken


@transaction.atomic
def return_to_pool(
    *, actor: User, customer: Customer, reason: str, version: int | None = None
) -> Customer:
    """Give up a customer (read through a customer selector) with a reason; it keeps its team
    and lands in that team's pool."""
    if not may_return(actor, customer):
        raise PermissionDeniedError()
    reason = " ".join(str(reason or "").split())
    if not reason:
        raise ValidationError({"reason": _("Say why the customer goes back to the pool.")})
    if len(reason) > MAX_REASON:
        raise ValidationError(
            {"reason": _("Keep the reason under %(max)s characters.") % {"max": MAX_REASON}}
        )
    if version is not None:
        check_version(Customer.objects.get(pk=customer.pk), version)
    owner_id = customer.owner_id
    released = customer_services.release_customer(
        actor=actor, customer_id=customer.pk, owner_id=owner_id
    )
    if released is None:
        raise _error(_("This customer changed hands meanwhile; reload the page."))
    _record(released, PoolEventKind.RETURN, user_id=owner_id, actor=actor, reason=reason)
    return released


# --- the daily return of neglected customers --------------------------------------------------


def _followed_up_since(when: dt.datetime) -> Q:
    """A person's interaction, a completed task or a claim since `when` (automatic greetings,
    logged without an author, do not count)."""
    human = Interaction.objects.filter(
        customer=OuterRef("pk"), user__isnull=False, occurred_at__gte=when
    )
    done = Task.objects.filter(
        customer=OuterRef("pk"), status=TaskStatus.DONE, completed_at__gte=when
    )
    claimed = PoolEvent.objects.filter(
        customer=OuterRef("pk"), kind=PoolEventKind.CLAIM, created_at__gte=when
    )
    return Q(created_at__gte=when) | Exists(human) | Exists(done) | Exists(claimed)


def neglected(since: dt.datetime) -> QuerySet[Customer]:
    return Customer.objects.filter(owner__isnull=False, deleted_at__isnull=True).exclude(
        _followed_up_since(since)
    )


def _batches(qs: QuerySet[Customer]):
    last_id = 0
    while True:
        rows = list(qs.filter(pk__gt=last_id).order_by("pk").values_list("pk", "owner_id")[:BATCH])
        if not rows:
            return
        last_id = rows[-1][0]
        yield rows


def return_neglected(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Customers without a follow-up for POOL_RETURN_DAYS go back to the pool; owners of those
    that will in POOL_RETURN_WARNING_DAYS get a task first (once per neglect). Safe to run twice."""
    days = settings.POOL_RETURN_DAYS
    counts = {"returned": 0, "warned": 0}
    if not days:
        return counts
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=days)
    for rows in _batches(neglected(cutoff)):
        for customer_id, owner_id in rows:
            counts["returned"] += _auto_return(customer_id, owner_id, days)
    warn_days = min(settings.POOL_RETURN_WARNING_DAYS, days)
    if warn_days > 0:
        warn_since = now - dt.timedelta(days=days - warn_days)
        warned = PoolEvent.objects.filter(
            customer=OuterRef("pk"), kind=PoolEventKind.WARNING, created_at__gte=warn_since
        )
        for rows in _batches(neglected(warn_since).exclude(Exists(warned))):
            for customer_id, owner_id in rows:
                counts["warned"] += _warn(customer_id, owner_id, now + dt.timedelta(days=warn_days))
    return counts


@transaction.atomic
def _auto_return(customer_id: int, owner_id: int, days: int) -> int:
    released = customer_services.release_customer(
        actor=None, customer_id=customer_id, owner_id=owner_id
    )
    if released is None:
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        reason = _("No follow-up for %(days)s days.") % {"days": days}
    _record(released, PoolEventKind.AUTO_RETURN, user_id=owner_id, actor=None, reason=reason)
    return 1


@transaction.atomic
def _warn(customer_id: int, owner_id: int, due: dt.datetime) -> int:
    customer = (
        Customer.objects.select_related("owner")
        .filter(pk=customer_id, owner_id=owner_id, deleted_at__isnull=True)
        .first()
    )
    if customer is None or not customer.owner.is_active:
        return 0
    owner = customer.owner
    with translation.override(owner.language or settings.LANGUAGE_CODE):
        title = _("Follow up %(name)s or it returns to the public pool") % {
            "name": customer.display_name
        }
        notes = _(
            "%(name)s has had no follow-up for a long time and returns to the public pool on "
            "%(date)s unless you contact the customer."
        ) % {"name": customer.display_name, "date": timezone.localdate(due).isoformat()}
    task = followups.create_system_task(
        assignee=owner, customer=customer, title=title, notes=notes, due_at=due, priority="high"
    )
    _record(customer, PoolEventKind.WARNING, user_id=owner_id, actor=None, task=task)
    return 1
