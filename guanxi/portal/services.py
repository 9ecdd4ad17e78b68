"""Portal links: issued by staff for one customer, signed, expiring and revocable.

The URL carries `signing.dumps({"l": id, "k": key})`: the signature proves the server made it,
the row says whether it still holds (not expired, not revoked). Everything the portal shows is
read through `link.customer`, so a link never reaches another customer's records.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from guanxi.accounts.models import User
from guanxi.accounts.policies import has_perm
from guanxi.audit import services as audit
from guanxi.audit.models import AuditAction
from guanxi.core.errors import PermissionDeniedError
from guanxi.customers.models import Customer

from .models import PortalLink
from .policies import may_issue

SALT = "guanxi.portal.link"
SOURCE = "portal"  # the audit source of what a customer does in the portal


def token_for(link: PortalLink) -> str:
    return signing.dumps({"l": link.pk, "k": link.key}, salt=SALT, compress=True)


def portal_url(link: PortalLink) -> str:
    return settings.PUBLIC_BASE_URL.rstrip("/") + reverse("portal:home", args=[token_for(link)])


@transaction.atomic
def issue_link(*, actor: User, customer: Customer, days: int | None = None) -> PortalLink:
    if not may_issue(actor, customer):
        raise PermissionDeniedError()
    days = days or settings.PORTAL_LINK_DAYS
    link = PortalLink.objects.create(
        customer=customer,
        created_by=actor,
        expires_at=timezone.now() + dt.timedelta(days=days),
    )
    audit.record_create(
        actor=actor, instance=link, fields=("customer", "expires_at"), customer_id=customer.pk
    )
    return link


@transaction.atomic
def revoke_link(*, actor: User, link: PortalLink) -> PortalLink:
    if not may_issue(actor, link.customer):
        raise PermissionDeniedError()
    if link.revoked_at is None:
        link.revoked_at = timezone.now()
        link.save(update_fields=["revoked_at"])
        audit.record(
            actor=actor,
            action=AuditAction.UPDATE,
            instance=link,
            changes={"revoked_at": [None, link.revoked_at.isoformat()]},
            customer_id=link.customer_id,
        )
    return link


def resolve(token: str) -> PortalLink:
    """The live link a token stands for; PortalLink.DoesNotExist for a tampered, unknown,
    expired or revoked one (the portal answers 404 to all of them alike)."""
    try:
        data = signing.loads(token, salt=SALT)
        pk, key = int(data["l"]), str(data["k"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise PortalLink.DoesNotExist from None
    link = PortalLink.objects.select_related("customer").get(
        pk=pk,
        key=key,
        revoked_at__isnull=True,
        expires_at__gt=timezone.now(),
        customer__deleted_at__isnull=True,
    )
    now = timezone.now()
    if link.last_used_at is None or now - link.last_used_at > dt.timedelta(minutes=5):
        PortalLink.objects.filter(pk=link.pk).update(last_used_at=now)
    return link


def customer_links(*, user: User, customer: Customer, limit: int = 5) -> list[PortalLink]:
    """The latest links of a customer the user may see (the caller passed the gate)."""
    if not has_perm(user, "tickets", "view"):
        return []
    return list(customer.portal_links.order_by("-created_at", "-id")[:limit])
