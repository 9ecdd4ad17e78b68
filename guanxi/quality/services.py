"""Every write of data quality: the administrator's settings (naming rules, uniqueness, update
cycles), verification, data-check reminders, self-service links and the change requests that
come through them. Customer data itself is only ever changed through guanxi.customers.services.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Count, Exists, F, Min, OuterRef, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from guanxi.accounts.models import User
from guanxi.accounts.policies import has_perm, require_admin
from guanxi.audit import services as audit
from guanxi.audit.models import AuditAction
from guanxi.core import bulk, context
from guanxi.core.errors import ConflictError, PermissionDeniedError
from guanxi.core.versioning import check_version
from guanxi.customers import normalize
from guanxi.customers import services as customer_services
from guanxi.customers.models import (
    PHONE_KINDS,
    ContactKeyKind,
    ContactPoint,
    ContactPointKind,
    Customer,
    Grade,
    UniqueContactKey,
)

from . import rules
from .models import (
    DEFAULT_LEGAL_SUFFIXES,
    ChangeRequest,
    QualitySettings,
    RequestStatus,
    SelfServiceLink,
)
from .policies import may_manage_links

log = logging.getLogger(__name__)

SETTINGS_FIELDS = (
    "forbidden_words",
    "require_legal_suffix",
    "legal_suffixes",
    "person_name_min",
    "person_name_max",
    "organisation_name_min",
    "organisation_name_max",
    "unique_phone",
    "unique_email",
    "cycle_vip_days",
    "cycle_important_days",
    "cycle_normal_days",
    "incomplete_below",
    "link_days",
)
MAX_WORDS = 200
KEY_BATCH = 5000


# --- settings ---------------------------------------------------------------------------------


def get_settings() -> QualitySettings:
    """The settings row, made with its defaults the first time."""
    row, _created = QualitySettings.objects.get_or_create(
        pk=1, defaults={"legal_suffixes": list(DEFAULT_LEGAL_SUFFIXES)}
    )
    return row


def _clean_words(value: Any, field: str, max_len: int = 50) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = value.splitlines()
    if not isinstance(value, (list, tuple)):
        raise ValidationError({field: _("Enter a list of texts.")})
    out: list[str] = []
    for item in value:
        if not isinstance(item, str):
            raise ValidationError({field: _("Enter a list of texts.")})
        text = normalize.clean_text(item)
        if len(text) > max_len:
            raise ValidationError(
                {field: _("Each entry may have at most %(n)d characters.") % {"n": max_len}}
            )
        if text and text not in out:
            out.append(text)
    if len(out) > MAX_WORDS:
        raise ValidationError({field: _("Enter at most %(n)d entries.") % {"n": MAX_WORDS}})
    return out


def duplicate_count(kind: str) -> int:
    """How many normalised phone numbers (or e-mail addresses) more than one live customer
    shares; uniqueness cannot be switched on while there are any."""
    kinds = list(PHONE_KINDS) if kind == ContactKeyKind.PHONE else [ContactPointKind.EMAIL]
    return (
        ContactPoint.objects.filter(kind__in=kinds, customer__deleted_at__isnull=True)
        .values("normalized")
        .annotate(n=Count("customer_id", distinct=True))
        .filter(n__gt=1)
        .count()
    )


def _claim_all(kind: str) -> int:
    """Claim the key of every live customer's point of this kind (the first point per value),
    in batches. Returns how many keys were written."""
    kinds = list(PHONE_KINDS) if kind == ContactKeyKind.PHONE else [ContactPointKind.EMAIL]
    claimed = set(UniqueContactKey.objects.filter(kind=kind).values_list("normalized", flat=True))
    firsts = (
        ContactPoint.objects.filter(kind__in=kinds, customer__deleted_at__isnull=True)
        .values("normalized")
        .annotate(first=Min("id"))
        .order_by()
    )
    rows: list[UniqueContactKey] = []
    written = 0
    for row in firsts.iterator(chunk_size=KEY_BATCH):
        if row["normalized"] in claimed:
            continue
        rows.append(
            UniqueContactKey(kind=kind, normalized=row["normalized"], contact_point_id=row["first"])
        )
        if len(rows) >= KEY_BATCH:
            UniqueContactKey.objects.bulk_create(rows)
            written += len(rows)
            rows = []
    UniqueContactKey.objects.bulk_create(rows)
    return written + len(rows)


def _dedup_hint() -> str:
    try:
        url = reverse("dedup:queue")
    except Exception:  # the duplicates queue is another module; say where to look anyway
        return _("Merge them in the duplicates queue first.")
    return _("Merge them in the duplicates queue first (%(url)s).") % {"url": url}


@transaction.atomic
def save_settings(*, actor: User, data: dict[str, Any], version: int | None) -> QualitySettings:
    require_admin(actor)
    get_settings()
    row = QualitySettings.objects.select_for_update().get(pk=1)
    check_version(row, version)
    unknown = set(data) - set(SETTINGS_FIELDS)
    if unknown:
        raise ValidationError({f: _("There is no such field.") for f in sorted(unknown)})
    before = audit.snapshot(row, SETTINGS_FIELDS)
    for field, value in data.items():
        setattr(row, field, value)
    row.forbidden_words = _clean_words(row.forbidden_words, "forbidden_words")
    row.legal_suffixes = _clean_words(row.legal_suffixes, "legal_suffixes")
    errors: dict[str, str] = {}
    if row.require_legal_suffix and not row.legal_suffixes:
        errors["legal_suffixes"] = _("Enter at least one legal form.")
    for kind in ("person", "organisation"):
        low, high = getattr(row, f"{kind}_name_min"), getattr(row, f"{kind}_name_max")
        if low is not None and high is not None and low > high:
            errors[f"{kind}_name_max"] = _("The maximum must not be below the minimum.")
        if high is not None and high > 200:
            errors[f"{kind}_name_max"] = _("A name has at most 200 characters.")
        if low is not None and low < 1:
            errors[f"{kind}_name_min"] = _("Enter at least 1.")
    for field in ("cycle_vip_days", "cycle_important_days", "cycle_normal_days"):
        value = getattr(row, field)
        if value is None or not 1 <= value <= 3650:
            errors[field] = _("Enter a number of days from 1 to 3650.")
    if row.link_days is None or not 1 <= row.link_days <= 90:
        errors["link_days"] = _("Enter a number of days from 1 to 90.")
    if row.incomplete_below is None or not 1 <= row.incomplete_below <= 100:
        errors["incomplete_below"] = _("Enter a score from 1 to 100.")
    for field, kind in (("unique_phone", ContactKeyKind.PHONE), ("unique_email", "email")):
        if getattr(row, field) and not before[field]:
            count = duplicate_count(kind)
            if count:
                errors[field] = (
                    _(
                        "%(count)d values are shared by more than one customer, so they cannot "
                        "be made unique yet."
                    )
                    % {"count": count}
                    + " "
                    + _dedup_hint()
                )
    if errors:
        raise ValidationError(errors)
    row.full_clean(exclude=["version"])
    for field, kind in (("unique_phone", ContactKeyKind.PHONE), ("unique_email", "email")):
        if getattr(row, field) and not before[field]:
            _claim_all(kind)
        elif before[field] and not getattr(row, field):
            UniqueContactKey.objects.filter(kind=kind).delete()
    row.version = F("version") + 1
    row.save()
    row.refresh_from_db()
    rules.forget()
    changes = audit.diff(before, audit.snapshot(row, SETTINGS_FIELDS))
    if changes:
        audit.record(actor=actor, action=AuditAction.UPDATE, instance=row, changes=changes)
    return row


def start_recompute(*, actor: User):
    """The background job that recomputes every customer's completeness and search keys."""
    from guanxi.jobs.services import refuse_if_under_way, start_job

    require_admin(actor)
    refuse_if_under_way(
        "quality.recompute",
        _("A recompute of every customer is already under way (started %(ago)s ago)."),
    )
    return start_job(kind="quality.recompute", actor=actor, params={"keys": True})


# --- freshness ----------------------------------------------------------------------------------


def stale_q(row: QualitySettings, now: dt.datetime | None = None, prefix: str = "") -> Q:
    """Customers due for a check: never verified and created longer ago than their grade's
    cycle, or verified longer ago."""
    now = now or timezone.now()
    q = Q(pk__in=[])
    for grade in Grade.values:
        cutoff = now - dt.timedelta(days=row.cycle_days(grade))
        q |= Q(**{f"{prefix}grade": grade}) & (
            Q(**{f"{prefix}verified_at__isnull": True, f"{prefix}created_at__lt": cutoff})
            | Q(**{f"{prefix}verified_at__lt": cutoff})
        )
    return q


@transaction.atomic
def verify(*, actor: User, customer: Customer) -> Customer:
    """Mark a customer's data as checked now (the 360° page's and the API's action). That is
    the check its open data-check tasks ask for: those the user may close are done."""
    from guanxi.followups import services as task_services
    from guanxi.followups.models import Task, TaskKind, TaskStatus
    from guanxi.followups.policies import may_change

    verified = customer_services.verify_customer(actor=actor, customer=customer)
    for task in Task.objects.filter(
        customer_id=verified.pk, kind=TaskKind.DATA_CHECK, status=TaskStatus.OPEN
    ):
        if may_change(actor, task):
            task_services.complete_task(actor=actor, task=task)
    return verified


DATA_CHECK_BATCH = 500
# A rep who owns thousands of overdue records gets a day's work, not all of them at once: the
# rest come on the following mornings (a record stays due until it is verified).
DATA_CHECKS_PER_OWNER = 25


def create_data_check_tasks(*, now: dt.datetime | None = None) -> int:
    """For each customer whose record is due, a data-check task for its owner, unless one is
    open already; at most DATA_CHECKS_PER_OWNER new ones per owner and run. Runs daily; each
    task in its own transaction. Returns how many were made."""
    from guanxi.followups import services as task_services
    from guanxi.followups.models import Task, TaskKind, TaskStatus

    now = now or timezone.now()
    row = get_settings()
    open_check = Task.objects.filter(
        customer_id=OuterRef("pk"), kind=TaskKind.DATA_CHECK, status=TaskStatus.OPEN
    )
    due = (
        Customer.objects.filter(stale_q(row, now), deleted_at__isnull=True, owner__isnull=False)
        .filter(~Exists(open_check))
        .select_related("owner")
        .order_by("pk")
    )
    made = 0
    per_owner: dict[int, int] = {}
    for batch in bulk.keyset_batches(due, DATA_CHECK_BATCH):
        for customer in batch:
            owner = customer.owner
            if per_owner.get(owner.pk, 0) >= DATA_CHECKS_PER_OWNER:
                continue
            if not owner.is_active or not has_perm(owner, "tasks", "create"):
                continue
            per_owner[owner.pk] = per_owner.get(owner.pk, 0) + 1
            with transaction.atomic(), translation.override(owner.language or None):
                task_services.create_task(
                    actor=owner,
                    data={
                        "customer": customer,
                        "kind": TaskKind.DATA_CHECK,
                        "title": _("Check the data of %(name)s") % {"name": customer.display_name},
                        "notes": _(
                            "The record is due for its regular check (every %(days)d days for "
                            "this grade). Confirm or correct it, then mark it as verified."
                        )
                        % {"days": row.cycle_days(customer.grade)},
                        "due_at": now + dt.timedelta(days=7),
                        "assignee": owner,
                    },
                )
            made += 1
    return made


# --- self-service links -----------------------------------------------------------------------

LINK_SALT = "guanxi.quality.self-service"


class LinkError(Exception):
    """A self-service token that cannot be used; `reason` says why (for the public page)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def token_for(link: SelfServiceLink) -> str:
    return signing.dumps({"l": link.pk, "c": link.customer_id}, salt=LINK_SALT, compress=True)


def link_url(link: SelfServiceLink) -> str:
    """The address the customer opens: PUBLIC_BASE_URL, like every link sent to customers (the
    host staff reach the server by may be an intranet name)."""
    path = reverse("quality:self_service", args=[token_for(link)])
    return settings.PUBLIC_BASE_URL.rstrip("/") + path


@transaction.atomic
def create_link(*, actor: User, customer: Customer, send: bool = False) -> SelfServiceLink:
    """A link for this one customer, valid for the configured number of days; sent by e-mail
    to the customer's primary address when `send`."""
    if not may_manage_links(actor, customer):
        raise PermissionDeniedError()
    row = rules.current()
    link = SelfServiceLink.objects.create(
        customer=customer,
        created_by=actor,
        expires_at=timezone.now() + dt.timedelta(days=row.link_days),
    )
    if send:
        email = (
            ContactPoint.objects.filter(customer=customer, kind=ContactPointKind.EMAIL)
            .order_by("-is_primary", "id")
            .values_list("value", flat=True)
            .first()
        )
        if not email:
            raise ValidationError({"send": _("This customer has no e-mail address.")})
        link.sent_to = email
        link.save(update_fields=["sent_to"])
        url = link_url(link)
        # The customer's language is not known: the site's default (zh-hans) speaks to them.
        with translation.override(settings.LANGUAGE_CODE):
            subject, body = _link_mail(customer, link, url)
        transaction.on_commit(
            lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [email])
        )
    audit.record(
        actor=actor,
        action=AuditAction.CREATE,
        instance=link,
        changes={
            "expires_at": [None, link.expires_at.isoformat()],
            "sent": [None, bool(send)],
        },
        customer_id=customer.pk,
    )
    return link


def _link_mail(customer: Customer, link: SelfServiceLink, url: str) -> tuple[str, str]:
    subject = _("Please check the details we hold about you")
    body = _(
        "Hello %(name)s,\n\nplease check the details we hold about you and correct them if "
        "needed:\n\n%(url)s\n\nThe link is valid until %(until)s.\n"
    ) % {
        "name": customer.display_name,
        "url": url,
        "until": timezone.localtime(link.expires_at).strftime("%Y-%m-%d"),
    }
    return subject, body


@transaction.atomic
def revoke_link(*, actor: User, link: SelfServiceLink) -> SelfServiceLink:
    link = SelfServiceLink.objects.select_for_update().select_related("customer").get(pk=link.pk)
    if not may_manage_links(actor, link.customer):
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


def resolve_link(token: str, *, for_update: bool = False) -> SelfServiceLink:
    """The link a token names, if it can still be used; LinkError(reason) otherwise, with
    reason one of "invalid", "expired", "revoked", "used"."""
    try:
        payload = signing.loads(token, salt=LINK_SALT)
        pk, customer_id = int(payload["l"]), int(payload["c"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise LinkError("invalid") from None
    qs = SelfServiceLink.objects.select_related("customer")
    if for_update:
        qs = qs.select_for_update(of=("self",))
    link = qs.filter(pk=pk, customer_id=customer_id).first()
    if link is None or link.customer.deleted_at is not None:
        raise LinkError("invalid")
    if link.revoked_at is not None:
        raise LinkError("revoked")
    if link.used_at is not None:
        raise LinkError("used")
    if link.expires_at <= timezone.now():
        raise LinkError("expired")
    return link


# --- what a customer sees and proposes --------------------------------------------------------

PROPOSAL_FIELDS = (
    "display_name",
    "mobile",
    "phone",
    "email",
    "province",
    "city",
    "district",
    "street",
    "postcode",
    "birthday",
    "marketing_consent",
)
SINGLE_KINDS = ("mobile", "phone", "email")
ADDRESS_PARTS = ("province", "city", "district", "street", "postcode")


def _primary(points: list[ContactPoint], kind: str) -> ContactPoint | None:
    same = [p for p in points if p.kind == kind]
    return next((p for p in same if p.is_primary), same[0] if same else None)


def current_values(customer: Customer) -> dict[str, Any]:
    """The customer's own data as the self-service form shows it (unmasked: it is theirs)."""
    points = list(customer.contact_points.all())
    address = next(iter(customer.addresses.all()), None)
    values: dict[str, Any] = {
        "display_name": customer.display_name,
        "birthday": customer.birthday.isoformat() if customer.birthday else "",
        "marketing_consent": customer.marketing_consent,
    }
    for kind in SINGLE_KINDS:
        point = _primary(points, kind)
        values[kind] = point.value if point else ""
    for part in ADDRESS_PARTS:
        values[part] = getattr(address, part) if address else ""
    return values


def changes_of(customer: Customer, proposed: dict[str, Any]) -> dict[str, list[Any]]:
    """[current, proposed] for each field the customer changed."""
    current = current_values(customer)
    return {
        field: [current.get(field), value]
        for field, value in proposed.items()
        if field in PROPOSAL_FIELDS and value != current.get(field)
    }


def service_data(customer: Customer, proposed: dict[str, Any]) -> dict[str, Any]:
    """The proposal as data for customers.services.update_customer, applied on top of what is
    stored now: the primary mobile, phone and e-mail replaced, the primary address updated."""
    data: dict[str, Any] = {}
    if "display_name" in proposed:
        data["display_name"] = proposed["display_name"]
    if "birthday" in proposed and customer.kind == "person":
        data["birthday"] = (
            dt.date.fromisoformat(proposed["birthday"]) if proposed["birthday"] else None
        )
    if "marketing_consent" in proposed:
        data["marketing_consent"] = bool(proposed["marketing_consent"])
    points = list(customer.contact_points.all())
    if any(kind in proposed for kind in SINGLE_KINDS):
        rows = []
        replaced = {kind: _primary(points, kind) for kind in SINGLE_KINDS if kind in proposed}
        for p in points:
            if p.kind in replaced and replaced[p.kind] is p:
                continue
            rows.append(
                {"kind": p.kind, "value": p.value, "label": p.label, "is_primary": p.is_primary}
            )
        for kind in SINGLE_KINDS:
            if proposed.get(kind):
                rows.insert(0, {"kind": kind, "value": proposed[kind], "is_primary": True})
                for r in rows[1:]:
                    if r["kind"] == kind:
                        r["is_primary"] = False
        data["contact_points"] = rows
    if any(part in proposed for part in ADDRESS_PARTS):
        addresses = list(customer.addresses.all())
        rows = [
            {f: getattr(a, f) for f in customer_services.ADDRESS_FIELDS}
            | {"is_primary": a.is_primary}
            for a in addresses
        ]
        first = rows[0] if rows else {"country": "CN", "is_primary": True}
        for part in ADDRESS_PARTS:
            if part in proposed:
                first[part] = proposed[part]
        if not rows:
            rows = [first] if any(first.get(p) for p in ADDRESS_PARTS) else []
        data["addresses"] = rows
    return data


MAX_PROPOSAL_TEXT = 200


@transaction.atomic
def submit_request(*, token: str, proposed: dict[str, Any]) -> ChangeRequest:
    """What the customer typed on the public page: validated with the customers services' rules
    (nothing saved), kept as a change request for the owner; the link is then used up."""
    link = resolve_link(token, for_update=True)
    customer = link.customer
    clean: dict[str, Any] = {}
    for field, value in proposed.items():
        if field not in PROPOSAL_FIELDS:
            continue
        if field == "marketing_consent":
            clean[field] = bool(value)
        elif field == "birthday":
            clean[field] = value.isoformat() if isinstance(value, dt.date) else (value or "")
        elif field == "display_name":  # a name is kept as written, as the services keep it
            clean[field] = normalize.tidy_text(str(value or ""))[:MAX_PROPOSAL_TEXT]
        else:
            clean[field] = normalize.clean_text(str(value or ""))[:MAX_PROPOSAL_TEXT]
    changes = changes_of(customer, clean)
    if not changes:
        raise ValidationError(_("You have not changed anything."))
    changed = {field: new for field, (_old, new) in changes.items()}
    data = service_data(customer, changed)
    try:
        customer_services.validate_customer_changes(customer=customer, data=data)
    except ValidationError as exc:
        raise ValidationError(_proposal_errors(exc, data)) from None
    request = ChangeRequest.objects.create(customer=customer, link=link, proposed=changed)
    link.used_at = timezone.now()
    link.save(update_fields=["used_at"])
    with context.acting_as(request_id=f"self-service-{request.pk}"):
        audit.record(
            actor=None,
            action=AuditAction.CREATE,
            instance=request,
            changes={"proposed": [None, sorted(changed)]},
            customer_id=customer.pk,
        )
    return request


def _proposal_errors(exc: ValidationError, data: dict[str, Any]) -> dict[str, list[str]]:
    """Service error keys (contact_points.0.value, addresses.0.postcode) as the public form's
    field names (mobile, postcode)."""
    if not hasattr(exc, "error_dict"):
        return {"__all__": exc.messages}
    out: dict[str, list[str]] = {}
    for key, errors in exc.message_dict.items():
        field = key
        parts = key.split(".")
        if parts[0] == "contact_points" and len(parts) >= 2 and parts[1].isdigit():
            row = data["contact_points"][int(parts[1])]
            field = row["kind"] if row["kind"] in SINGLE_KINDS else "__all__"
        elif parts[0] == "addresses" and len(parts) == 3:
            field = parts[2] if parts[2] in ADDRESS_PARTS else "__all__"
        elif field not in PROPOSAL_FIELDS:
            field = "__all__"
        out.setdefault(field, []).extend(errors)
    return out


def _locked_request(actor: User, request: ChangeRequest, version: int | None) -> ChangeRequest:
    """The request locked for a decision: refused first to a user who may not decide it (so
    they learn nothing from a version or a status), then on a stale version (a conflict) or a
    decision already made."""
    locked = (
        ChangeRequest.objects.select_for_update(of=("self",))
        .select_related("customer")
        .get(pk=request.pk)
    )
    if not may_manage_links(actor, locked.customer):
        raise PermissionDeniedError()
    check_version(locked, version)
    if locked.status != RequestStatus.PENDING:
        raise ValidationError(_("This request has already been decided."))
    return locked


class CustomerChangedError(ConflictError):
    """A request was decided beside customer data that has changed since."""


@transaction.atomic
def accept_request(
    *,
    actor: User,
    request: ChangeRequest,
    version: int | None = None,
    customer_version: int | None = None,
) -> ChangeRequest:
    """Apply the proposed changes through customers.services.update_customer (so every rule
    holds), audited with the self-service source: the request id names the change request.
    The customer went through all their data and the owner accepted it: the record is
    verified now (`verify`, which also completes its open data-check task).

    `customer_version` is the customer's version beside which the request was read (its "now"
    column): when the customer changed since, the decision was made on data no longer there
    and accepting would write over that change: a conflict, nothing is changed."""
    locked = _locked_request(actor, request, version)
    customer = Customer.objects.select_for_update().get(pk=locked.customer_id)
    if customer_version is not None:
        try:
            seen = int(customer_version)
        except (TypeError, ValueError):
            raise ValidationError({"customer_version": _("Enter a whole number.")}) from None
        if seen != customer.version:
            raise CustomerChangedError(
                current_version=locked.version,
                message=_(
                    "The customer's data changed after you opened this request; look at it "
                    "again before accepting."
                ),
            )
    data = service_data(customer, locked.proposed)
    with context.acting_as(request_id=f"self-service-{locked.pk}"):
        updated = customer_services.update_customer(
            actor=actor, customer=customer, data=data, version=customer.version
        )
        _decide(actor, locked, RequestStatus.ACCEPTED, "")
        verify(actor=actor, customer=updated)
    return locked


@transaction.atomic
def reject_request(
    *, actor: User, request: ChangeRequest, reason: str, version: int | None = None
) -> ChangeRequest:
    locked = _locked_request(actor, request, version)
    reason = normalize.clean_text(reason or "")
    if not reason:
        raise ValidationError({"reason": _("Say why the changes are rejected.")})
    if len(reason) > 500:
        raise ValidationError({"reason": _("Enter at most %(n)d characters.") % {"n": 500}})
    with context.acting_as(request_id=f"self-service-{locked.pk}"):
        _decide(actor, locked, RequestStatus.REJECTED, reason)
    return locked


def _decide(actor: User, locked: ChangeRequest, status: str, reason: str) -> None:
    locked.status = status
    locked.reason = reason
    locked.decided_by = actor
    locked.decided_at = timezone.now()
    locked.version = F("version") + 1
    locked.save(update_fields=["status", "reason", "decided_by", "decided_at", "version"])
    locked.refresh_from_db()
    audit.record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=locked,
        changes={"status": [RequestStatus.PENDING, status], "reason": [None, reason or None]},
        customer_id=locked.customer_id,
    )
