"""Every write to customers, their contact points, addresses, contacts, shares, tags and custom
field definitions. Services validate, normalise, check permissions, write the audit event, and
run in one transaction; every entry point (API, web, import, job) calls them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum.cn import uscc

from guanxi.accounts.models import DataScope, Team, User
from guanxi.accounts.policies import (
    data_scope,
    has_perm,
    is_admin,
    require_admin,
    sees_contact_details,
)
from guanxi.audit import services as audit
from guanxi.audit.models import AuditAction
from guanxi.core import bulk, validation
from guanxi.core.errors import ConflictError, PermissionDeniedError
from guanxi.core.versioning import check_version

from . import completeness, countries, normalize, search_index
from .custom_fields import clean_custom_fields
from .keys import search_keys
from .masking import mask
from .models import (
    PHONE_KINDS,
    Address,
    Contact,
    ContactKeyKind,
    ContactPoint,
    ContactPointKind,
    Customer,
    CustomerKind,
    CustomerShare,
    CustomFieldDefinition,
    Note,
    Tag,
    UniqueContactKey,
    code_lookup,
)
from .policies import assignable_owner_q, may, visible_q

# Fields a user may set on a customer; everything else is kept by the system.
CUSTOMER_FIELDS = (
    "kind",
    "display_name",
    "legal_name",
    "short_name",
    "aliases",
    "external_id",
    "credit_code",
    "identity_code",
    "gender",
    "birthday",
    "occupation",
    "interests",
    "preferences",
    "industry",
    "region",
    "source",
    "grade",
    "status",
    "lifecycle_stage",
    "value_tier",
    "custom_fields",
    "notes",
    "owner",
    "team",
    "referred_by",
    "marketing_consent",
)
RELATED_FIELDS = ("contact_points", "addresses", "tags")
ADDRESS_FIELDS = ("label", "country", "province", "city", "district", "street", "postcode")
MAX_LIST_ITEMS = 20
_POINT_KINDS = frozenset(ContactPointKind.values)
# Checks another app adds (in its AppConfig.ready) that may refuse to restore a customer from
# the recycle bin, e.g. one merged into another customer (guanxi.dedup): each raises a
# ValidationError with the reason.
RESTORE_GUARDS: list = []


# --- validation helpers -----------------------------------------------------------------------


def _clean_str_list(
    value: Any, field: str, *, max_len: int = 100, names: bool = False
) -> list[str]:
    """A list of short texts, cleaned, without repeats. `names`: the texts are names (aliases),
    kept as written (normalize.tidy_text), and two that differ only in width, case or
    traditional / simplified form are the same entry."""
    if value in (None, ""):
        return []
    if not isinstance(value, (list, tuple)):
        raise ValidationError({field: _("Enter a list of texts.")})
    out: list[str] = []
    seen: set[str] = set()
    for item in value:
        if not isinstance(item, str):
            raise ValidationError({field: _("Enter a list of texts.")})
        text = normalize.tidy_text(item) if names else normalize.clean_text(item)
        if len(text) > max_len:
            raise ValidationError(
                {field: _("Each entry may have at most %(n)d characters.") % {"n": max_len}}
            )
        key = normalize.text_key(text) if names else text
        if text and key not in seen:
            seen.add(key)
            out.append(text)
    if len(out) > MAX_LIST_ITEMS:
        raise ValidationError({field: _("Enter at most %(n)d entries.") % {"n": MAX_LIST_ITEMS}})
    return out


def _clean_credit_code(value: str) -> str:
    code = normalize.compact_credit_code(value)
    if not code:
        return ""
    if not uscc.is_valid(code):
        raise ValidationError(
            {
                "credit_code": _(
                    "“%(value)s” is not a valid unified social credit code (18 characters "
                    "with a correct check digit)."
                )
                % {"value": value}
            }
        )
    return code


def _clean_contact_points(items: Any) -> list[ContactPoint]:
    if items in (None, ""):
        return []
    if not isinstance(items, (list, tuple)):
        raise ValidationError({"contact_points": _("Enter a list of contact points.")})
    if len(items) > MAX_LIST_ITEMS:
        raise ValidationError(
            {"contact_points": _("Enter at most %(n)d entries.") % {"n": MAX_LIST_ITEMS}}
        )
    errors: dict[str, str] = {}
    points: list[ContactPoint] = []
    seen: set[tuple[str, str]] = set()
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            errors[f"contact_points.{i}"] = _("Enter a contact point.")
            continue
        kind = item.get("kind") or ""
        value = normalize.clean_text(str(item.get("value") or ""))
        if kind not in _POINT_KINDS:
            errors[f"contact_points.{i}.kind"] = _("Choose a valid kind of contact point.")
            continue
        if not value:
            errors[f"contact_points.{i}.value"] = _("This field is required.")
            continue
        if len(value) > 200:
            errors[f"contact_points.{i}.value"] = _("Enter at most 200 characters.")
            continue
        try:
            if kind in PHONE_KINDS:
                normalized = normalize.normalize_phone(value)
            elif kind == ContactPointKind.EMAIL:
                normalized = normalize.normalize_email(value)
            else:
                normalized = normalize.text_key(value)
        except ValidationError as exc:
            errors[f"contact_points.{i}.value"] = exc.messages[0]
            continue
        if (kind, normalized) in seen:
            continue
        seen.add((kind, normalized))
        label = normalize.clean_text(str(item.get("label") or ""))[:50]
        point = ContactPoint(
            kind=kind,
            value=value,
            normalized=normalized,
            label=label,
            is_primary=bool(item.get("is_primary")),
        )
        point.row = i  # the submitted row, for error messages after de-duplication
        points.append(point)
    if errors:
        raise ValidationError(errors)
    # At most one primary per kind; the first of a kind is primary when none is marked.
    for kind in {p.kind for p in points}:
        same = [p for p in points if p.kind == kind]
        primary = next((p for p in same if p.is_primary), same[0])
        for p in same:
            p.is_primary = p is primary
    return points


def _clean_addresses(items: Any) -> list[Address]:
    if items in (None, ""):
        return []
    if not isinstance(items, (list, tuple)):
        raise ValidationError({"addresses": _("Enter a list of addresses.")})
    if len(items) > MAX_LIST_ITEMS:
        raise ValidationError(
            {"addresses": _("Enter at most %(n)d entries.") % {"n": MAX_LIST_ITEMS}}
        )
    errors: dict[str, str] = {}
    out: list[Address] = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            errors[f"addresses.{i}"] = _("Enter an address.")
            continue
        unknown = set(item) - set(ADDRESS_FIELDS) - {"is_primary", "id"}
        if unknown:
            errors[f"addresses.{i}"] = _("Unknown fields: %(fields)s") % {
                "fields": ", ".join(sorted(unknown))
            }
            continue
        values = {k: normalize.clean_text(str(item.get(k) or "")) for k in ADDRESS_FIELDS}
        try:
            values["country"] = countries.clean_country(values["country"])
        except ValidationError as exc:
            errors[f"addresses.{i}.country"] = exc.messages[0]
            continue
        address = Address(**values, is_primary=bool(item.get("is_primary")))
        try:
            validation.full_clean(address, exclude=("customer",))
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors[f"addresses.{i}.{field}"] = messages[0]
            continue
        try:
            address.postcode = normalize.normalize_postcode(address.postcode, address.country)
        except ValidationError as exc:
            errors[f"addresses.{i}.postcode"] = exc.messages[0]
            continue
        out.append(address)
    if errors:
        raise ValidationError(errors)
    if out and not any(a.is_primary for a in out):
        out[0].is_primary = True
    return out


def _clean_tags(actor: User, names: Any) -> list[Tag]:
    """The tags of these names; a new name makes a new tag (audited, as save_tag does)."""
    cleaned = _clean_str_list(names, "tags", max_len=50)
    tags = {t.name: t for t in Tag.objects.filter(name__in=cleaned)}
    for name in cleaned:
        if name not in tags:
            tags[name] = Tag.objects.create(name=name)
            audit.record(
                actor=actor,
                action=AuditAction.CREATE,
                instance=tags[name],
                changes={"name": [None, name]},
            )
    return [tags[n] for n in cleaned]


def _apply_keys(customer: Customer, points: list[ContactPoint] | None = None) -> None:
    """Name key, pinyin and the search text from the names, aliases and contact points."""
    if points is None and customer.pk:
        points = list(customer.contact_points.all())
    keys = search_keys(
        kind=customer.kind,
        display_name=customer.display_name,
        legal_name=customer.legal_name,
        short_name=customer.short_name,
        aliases=customer.aliases,
        contact_points=[(p.kind, p.normalized) for p in points or []],
    )
    for field, value in keys.items():
        setattr(customer, field, value)


def _validate_owner(actor: User, owner: User | None) -> None:
    if owner is None:
        # A customer without an owner is one that only roles over teams or all may make.
        if data_scope(actor) == DataScope.OWN:
            raise ValidationError({"owner": _("Choose an owner.")})
        return
    if not User.objects.filter(assignable_owner_q(actor), pk=owner.pk).exists():
        raise ValidationError({"owner": _("You cannot assign customers to this user.")})


def _validate_team(actor: User, team: Team | None, owner: User | None) -> None:
    if team is None or is_admin(actor):
        return
    allowed = {owner.team_id if owner else None, actor.team_id}
    if team.pk not in allowed:
        raise ValidationError({"team": _("Choose the owner's team or your own.")})


def _clean_identity_code(value: str) -> str:
    try:
        return normalize.normalize_identity_code(value or "")
    except ValidationError as exc:
        raise ValidationError({"identity_code": exc.messages[0]}) from None


def _validate_referrer(actor: User, customer: Customer) -> None:
    referrer = customer.referred_by
    if referrer is None:
        return
    if customer.pk and referrer.pk == customer.pk:
        raise ValidationError({"referred_by": _("A customer cannot refer themselves.")})
    visible = Customer.objects.filter(visible_q(actor), pk=referrer.pk, deleted_at__isnull=True)
    if not visible.exists():
        raise ValidationError({"referred_by": _("There is no such customer.")})


def _prepare(
    actor: User, customer: Customer, data: dict[str, Any], definitions: list | None = None
) -> None:
    unknown = set(data) - set(CUSTOMER_FIELDS) - set(RELATED_FIELDS)
    if unknown:
        raise ValidationError({f: _("There is no such field.") for f in sorted(unknown)})
    from guanxi.quality import rules as quality_rules  # the administrator's naming rules

    stored_custom_fields = dict(customer.custom_fields or {})
    consent_before = customer.marketing_consent if customer.pk else None
    referrer_before = customer.referred_by_id
    names_before = quality_rules.stored_names(customer) if customer.pk else None
    for field in CUSTOMER_FIELDS:
        if field in data:
            setattr(customer, field, data[field])
    # Names are kept as written (the keys normalise them beside it); codes and the occupation
    # are cleaned to half-width.
    for field in ("display_name", "legal_name", "short_name"):
        setattr(customer, field, normalize.tidy_text(getattr(customer, field) or ""))
    for field in ("external_id", "occupation"):
        setattr(customer, field, normalize.clean_text(getattr(customer, field) or ""))
    for field in ("industry", "region", "source", "preferences", "notes"):
        value = getattr(customer, field)
        setattr(customer, field, (value or "").strip())
    for field in ("gender", "value_tier"):
        setattr(customer, field, getattr(customer, field) or "")
    # Every check runs and all their messages come back together (validation.Errors): a form
    # or an import row is corrected in one go. A value that failed is left empty so that the
    # model's own checks do not report it a second time.
    errors = validation.Errors()
    customer.aliases = errors.run(
        _clean_str_list, customer.aliases, "aliases", names=True, default=[]
    )
    customer.interests = errors.run(
        _clean_str_list, customer.interests, "interests", max_len=50, default=[]
    )
    customer.credit_code = errors.run(_clean_credit_code, customer.credit_code or "", default="")
    customer.identity_code = errors.run(
        _clean_identity_code, customer.identity_code or "", default=""
    )
    customer.marketing_consent = bool(customer.marketing_consent)
    if customer.marketing_consent != consent_before and (
        consent_before is not None or customer.marketing_consent
    ):
        customer.marketing_consent_at = timezone.now()
    if customer.referred_by_id != referrer_before:
        errors.run(_validate_referrer, actor, customer)
    if customer.kind == CustomerKind.ORGANISATION and (customer.gender or customer.birthday):
        errors.add("kind", _("An organisation has no gender or birthday."))
    if customer.birthday and customer.birthday > timezone.localdate():
        errors.add("birthday", _("A birthday cannot be in the future."))
    if customer.birthday and customer.birthday < dt.date(1900, 1, 1):
        errors.add("birthday", _("Enter a birthday after 1900."))
    if not customer.display_name:
        customer.display_name = customer.legal_name or customer.short_name
    errors.run(quality_rules.check_names, customer, before=names_before)
    customer.custom_fields = errors.run(
        clean_custom_fields,
        customer.custom_fields,
        customer_kind=customer.kind,
        stored=stored_custom_fields,
        active=definitions,
        default=stored_custom_fields,
    )
    errors.run(
        validation.full_clean,
        customer,
        exclude=("owner", "team", "tags", "created_by", "deleted_by", *errors.by_field),
    )
    errors.raise_any()


def _related_snapshot(
    points: list[ContactPoint], addresses: list[Address], tags: list[Tag] | list[str]
) -> dict[str, Any]:
    """The audited form of a customer's contact points, addresses and tags (or tag names)."""
    return {
        "contact_points": [f"{p.kind}:{p.value}" for p in points],
        "addresses": [
            {f: getattr(a, f) for f in ADDRESS_FIELDS if getattr(a, f)} for a in addresses
        ],
        "tags": sorted(t if isinstance(t, str) else t.name for t in tags),
    }


def _check_unique_credit_code(actor: User | None, customer: Customer) -> None:
    """A unified social credit code belongs to one live customer. The message names the other
    customer only to a user who may see it."""
    if not customer.credit_code:
        return
    clash = Customer.objects.filter(
        code_lookup("credit_code", [customer.credit_code]), deleted_at__isnull=True
    )
    if customer.pk:
        clash = clash.exclude(pk=customer.pk)
    other = clash.only("pk", "display_name").first()
    if other is None:
        return
    raise ValidationError({"credit_code": _clash_message(actor, other, "credit_code")})


def _check_clashes(
    errors: validation.Errors, actor: User | None, customer: Customer, points: list[ContactPoint]
) -> None:
    """The credit code and the unique phones and e-mails another customer has, reported with
    every other mistake (`errors`) rather than after they are corrected. claim_contact_keys
    checks the keys again when it claims them (a concurrent save)."""
    if not errors.has("credit_code"):
        errors.run(_check_unique_credit_code, actor, customer)
    errors.run(_contact_key_clashes, actor, customer, _wanted_keys(points))


def _clash_message(actor: User | None, other: Customer, what: str) -> str:
    seen = actor is not None and Customer.objects.filter(visible_q(actor), pk=other.pk).exists()
    labels = {
        "credit_code": _("this unified social credit code"),
        ContactKeyKind.PHONE: _("this phone number"),
        ContactKeyKind.EMAIL: _("this e-mail address"),
    }
    if seen:
        return _("Customer “%(name)s” (no. %(id)d) already has %(what)s.") % {
            "name": other.display_name,
            "id": other.pk,
            "what": labels[what],
        }
    return _("A customer with %(what)s already exists; it is owned by another team or user.") % {
        "what": labels[what]
    }


def _key_kind(point_kind: str) -> str | None:
    if point_kind in PHONE_KINDS:
        return ContactKeyKind.PHONE
    if point_kind == ContactPointKind.EMAIL:
        return ContactKeyKind.EMAIL
    return None


def _wanted_keys(points: list[ContactPoint]) -> dict[tuple[str, str], ContactPoint]:
    """The (kind, normalised value) keys these points claim under the administrator's rules."""
    from guanxi.quality import rules as quality_rules

    rules = quality_rules.current()
    unique = {ContactKeyKind.PHONE: rules.unique_phone, ContactKeyKind.EMAIL: rules.unique_email}
    wanted: dict[tuple[str, str], ContactPoint] = {}
    for point in points:
        kind = _key_kind(point.kind)
        if kind and unique[kind]:
            wanted.setdefault((kind, point.normalized), point)
    return wanted


def _contact_key_clashes(
    actor: User | None,
    customer: Customer,
    wanted: dict[tuple[str, str], ContactPoint],
    restoring: bool = False,
) -> None:
    if not wanted:
        return
    existing = (
        UniqueContactKey.objects.filter(normalized__in=[n for _k, n in wanted])
        .exclude(contact_point__customer_id=customer.pk)
        .select_related("contact_point__customer")
    )
    errors: dict[str, str] = {}
    for key in existing:
        point = wanted.get((key.kind, key.normalized))
        if point is None:
            continue
        message = _clash_message(actor, key.contact_point.customer, key.kind)
        if restoring:
            message = _("The customer cannot be restored: %(reason)s") % {"reason": message}
        errors[_point_error_key(point, restoring)] = message
    if errors:
        raise ValidationError(errors)


def claim_contact_keys(
    *, actor: User | None, customer: Customer, points: list[ContactPoint], restoring=False
) -> None:
    """Claim the unique keys of saved contact points for the kinds the administrator made
    unique. A key already claimed by another customer's point is a field error; the UNIQUE
    constraint decides when two transactions claim the same key at once."""
    wanted = _wanted_keys(points)
    if not wanted:
        return
    _contact_key_clashes(actor, customer, wanted, restoring)
    # The customer's own keys (e.g. the same number as mobile and phone) stay as they are.
    own = set(
        UniqueContactKey.objects.filter(contact_point__customer_id=customer.pk).values_list(
            "kind", "normalized"
        )
    )
    rows = [
        UniqueContactKey(kind=kind, normalized=normalized, contact_point=point)
        for (kind, normalized), point in wanted.items()
        if (kind, normalized) not in own
    ]
    try:
        with transaction.atomic():
            UniqueContactKey.objects.bulk_create(rows)
    except IntegrityError:
        # Another transaction claimed one of them between the check and the insert.
        point = rows[0].contact_point if len(rows) == 1 else None
        field = _point_error_key(point, restoring) if point else "contact_points"
        raise ValidationError(
            {field: _("Another customer has just been saved with this phone number or e-mail.")}
        ) from None


def _point_error_key(point: ContactPoint, restoring: bool) -> str:
    if restoring:
        return "contact_points"
    return f"contact_points.{getattr(point, 'row', 0)}.value"


def release_contact_keys(*, customer: Customer) -> None:
    UniqueContactKey.objects.filter(contact_point__customer_id=customer.pk).delete()


def _score(
    customer: Customer,
    points: list[ContactPoint],
    addresses: list[Address],
    tags: list[Tag] | list[str],
    contacts: int | None = None,
) -> None:
    if contacts is None:
        contacts = (
            Contact.objects.filter(organisation_id=customer.pk).count()
            if customer.pk and customer.kind == CustomerKind.ORGANISATION
            else 0
        )
    customer.completeness = completeness.score(
        completeness.facts_of(
            customer,
            point_kinds=[p.kind for p in points],
            addresses=len(addresses),
            tags=len(tags),
            contacts=contacts,
        )
    )


def refresh_completeness(*, customer_id: int) -> None:
    """Recompute one customer's completeness from what is stored (after a contact changed)."""
    completeness.recompute_range(
        Customer=Customer,
        ContactPoint=ContactPoint,
        Address=Address,
        Contact=Contact,
        low=customer_id,
        high=customer_id,
    )


# --- customers --------------------------------------------------------------------------------


@transaction.atomic
def create_customer(*, actor: User, data: dict[str, Any]) -> Customer:
    if not may(actor, "create"):
        raise PermissionDeniedError()
    data = dict(data)
    data.setdefault("owner", actor)
    owner = data.get("owner")
    _validate_owner(actor, owner)
    if "team" not in data or data["team"] is None:
        data["team"] = Team.objects.filter(pk=owner.team_id).first() if owner else actor.team
    _validate_team(actor, data["team"], owner)
    customer = Customer(created_by=actor)
    errors = validation.Errors()
    points = errors.run(_clean_contact_points, data.get("contact_points"), default=[])
    addresses = errors.run(_clean_addresses, data.get("addresses"), default=[])
    errors.run(_prepare, actor, customer, data)
    _check_clashes(errors, actor, customer, points)
    errors.raise_any()
    tags = _clean_tags(actor, data.get("tags"))
    _apply_keys(customer, points)
    _score(customer, points, addresses, tags, contacts=0)
    customer.save()
    for p in points:
        p.customer = customer
    ContactPoint.objects.bulk_create(points)
    claim_contact_keys(actor=actor, customer=customer, points=points)
    for a in addresses:
        a.customer = customer
    Address.objects.bulk_create(addresses)
    customer.tags.set(tags)
    after = audit.snapshot(customer, CUSTOMER_FIELDS)
    after.update(_related_snapshot(points, addresses, tags))
    audit.record(
        actor=actor,
        action=AuditAction.CREATE,
        instance=customer,
        changes={k: [None, v] for k, v in after.items() if v not in (None, "", [], {})},
        customer_id=customer.pk,
    )
    return customer


def _locked(pk: int, *, deleted: bool = False) -> Customer:
    qs = Customer.objects.select_for_update().filter(deleted_at__isnull=not deleted)
    return qs.get(pk=pk)


@transaction.atomic
def update_customer(
    *, actor: User, customer: Customer, data: dict[str, Any], version: int | None
) -> Customer:
    """Change a customer. `version` is the version the user edited; a stale one raises
    ConflictError and changes nothing."""
    locked = _locked(customer.pk)
    check_version(locked, version)
    if not may(actor, "change", locked):
        raise PermissionDeniedError()
    data = dict(data)
    if not sees_contact_details(actor):
        # What such a role reads is masked; written back it would overwrite the real values.
        for field in ("contact_points", "addresses"):
            if field in data:
                raise ValidationError({field: _("Your role may not change contact details.")})
        if "identity_code" in data:
            sent = data["identity_code"] or ""
            if sent in (locked.identity_code, mask("identity", locked.identity_code)):
                data.pop("identity_code")
            else:
                raise ValidationError(
                    {"identity_code": _("Your role may not change contact details.")}
                )
    old_points = list(locked.contact_points.all())
    old_addresses = list(locked.addresses.all())
    old_tags = list(locked.tags.all())
    before = audit.snapshot(locked, CUSTOMER_FIELDS)
    before.update(_related_snapshot(old_points, old_addresses, old_tags))
    if "owner" in data and data["owner"] != locked.owner:
        _validate_owner(actor, data["owner"])
        if "team" not in data and data["owner"] is not None:
            data["team"] = Team.objects.filter(pk=data["owner"].team_id).first()
    if "team" in data and data["team"] != locked.team:
        if data["team"] is None and not is_admin(actor):
            raise ValidationError({"team": _("Choose a team.")})
        _validate_team(actor, data["team"], data.get("owner", locked.owner))
    errors = validation.Errors()
    points = old_points
    if "contact_points" in data:
        points = errors.run(_clean_contact_points, data["contact_points"], default=[])
    addresses = old_addresses
    if "addresses" in data:
        addresses = errors.run(_clean_addresses, data["addresses"], default=[])
    errors.run(_prepare, actor, locked, data)
    _check_clashes(errors, actor, locked, points if "contact_points" in data else [])
    errors.raise_any()
    tags = _clean_tags(actor, data["tags"]) if "tags" in data else old_tags
    _apply_keys(locked, points)
    _score(locked, points, addresses, tags)
    after = audit.snapshot(locked, CUSTOMER_FIELDS)
    after.update(_related_snapshot(points, addresses, tags))
    changes = audit.diff(before, after)
    if not changes:
        return locked
    locked.version = F("version") + 1
    locked.save()
    locked.refresh_from_db()
    if "contact_points" in data:
        locked.contact_points.all().delete()
        for p in points:
            p.pk = None
            p.customer = locked
        ContactPoint.objects.bulk_create(points)
        claim_contact_keys(actor=actor, customer=locked, points=points)
    if "addresses" in data:
        locked.addresses.all().delete()
        for a in addresses:
            a.pk = None
            a.customer = locked
        Address.objects.bulk_create(addresses)
    if "tags" in data:
        locked.tags.set(tags)
    audit.record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=locked,
        changes=changes,
        customer_id=locked.pk,
    )
    return locked


def validate_customer_changes(*, customer: Customer, data: dict[str, Any]) -> None:
    """Run the validation of `update_customer` on `data` without saving anything (self-service
    forms check what a customer typed with the same rules as every other entry point). Raises
    ValidationError with the same field keys."""
    copy = Customer.objects.get(pk=customer.pk)
    errors = validation.Errors()
    points = []
    if "contact_points" in data:
        points = errors.run(_clean_contact_points, data["contact_points"], default=[])
    if "addresses" in data:
        errors.run(_clean_addresses, data["addresses"])
    errors.run(
        _prepare, copy.owner, copy, {k: v for k, v in data.items() if k not in RELATED_FIELDS}
    )
    _check_clashes(errors, None, copy, points)
    errors.raise_any()


@transaction.atomic
def delete_customer(*, actor: User, customer: Customer, version: int | None = None) -> Customer:
    """Move a customer to the recycle bin: hidden everywhere, restorable until purged."""
    locked = _locked(customer.pk)
    if version is not None:
        check_version(locked, version)
    if not may(actor, "delete", locked):
        raise PermissionDeniedError()
    now = timezone.now()
    Customer.objects.filter(pk=locked.pk).update(
        deleted_at=now, deleted_by=actor, version=F("version") + 1
    )
    release_contact_keys(customer=locked)
    locked.refresh_from_db()
    audit.record(
        actor=actor,
        action=AuditAction.DELETE,
        instance=locked,
        changes={"deleted_at": [None, now.isoformat()]},
        customer_id=locked.pk,
    )
    return locked


@transaction.atomic
def restore_customer(*, actor: User, customer: Customer) -> Customer:
    locked = _locked(customer.pk, deleted=True)
    if not may(actor, "delete", locked):
        raise PermissionDeniedError()
    for guard in RESTORE_GUARDS:
        guard(locked)
    if locked.credit_code:
        _check_unique_credit_code(actor, locked)
    claim_contact_keys(
        actor=actor, customer=locked, points=list(locked.contact_points.all()), restoring=True
    )
    was = locked.deleted_at
    Customer.objects.filter(pk=locked.pk).update(
        deleted_at=None, deleted_by=None, version=F("version") + 1
    )
    locked.refresh_from_db()
    audit.record(
        actor=actor,
        action=AuditAction.RESTORE,
        instance=locked,
        changes={"deleted_at": [was.isoformat(), None]},
        customer_id=locked.pk,
    )
    return locked


def purge_recycle_bin(*, older_than_days: int | None = None, batch_size: int = 500) -> int:
    """Delete for good the customers that have been in the recycle bin longer than the limit
    (RECYCLE_BIN_DAYS). Each purge is audited. Returns how many were purged."""
    days = settings.RECYCLE_BIN_DAYS if older_than_days is None else older_than_days
    cutoff = timezone.now() - dt.timedelta(days=days)
    purged = 0
    while True:
        with transaction.atomic():
            batch = list(Customer.objects.filter(deleted_at__lt=cutoff).order_by("pk")[:batch_size])
            if not batch:
                return purged
            for customer in batch:
                audit.record(
                    actor=None,
                    action=AuditAction.PURGE,
                    instance=customer,
                    changes={"display_name": [customer.display_name, None]},
                    customer_id=customer.pk,
                )
            Customer.objects.filter(pk__in=[c.pk for c in batch]).delete()
            purged += len(batch)


@transaction.atomic
def share_customer(
    *,
    actor: User,
    customer: Customer,
    user: User | None = None,
    team: Team | None = None,
    can_edit: bool = False,
) -> CustomerShare:
    if (user is None) == (team is None):
        raise ValidationError(_("Share with either a user or a team."))
    if not may(actor, "change", customer):
        raise PermissionDeniedError()
    share, _created = CustomerShare.objects.update_or_create(
        customer=customer, user=user, team=team, defaults={"can_edit": can_edit}
    )
    target = f"user:{user.pk}" if user else f"team:{team.pk}"
    audit.record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=customer,
        changes={"shared_with": [None, target]},
        customer_id=customer.pk,
    )
    return share


@transaction.atomic
def unshare_customer(
    *, actor: User, customer: Customer, user: User | None = None, team: Team | None = None
) -> None:
    if not may(actor, "change", customer):
        raise PermissionDeniedError()
    deleted, _rows = CustomerShare.objects.filter(
        Q(customer=customer) & (Q(user=user) if user else Q(team=team))
    ).delete()
    if deleted:
        target = f"user:{user.pk}" if user else f"team:{team.pk}"
        audit.record(
            actor=actor,
            action=AuditAction.UPDATE,
            instance=customer,
            changes={"shared_with": [target, None]},
            customer_id=customer.pk,
        )


@transaction.atomic
def verify_customer(*, actor: User, customer: Customer) -> Customer:
    """Record that the customer's data was checked now (freshness); audited."""
    locked = _locked(customer.pk)
    if not may(actor, "change", locked):
        raise PermissionDeniedError()
    was = locked.verified_at
    now = timezone.now()
    Customer.objects.filter(pk=locked.pk).update(verified_at=now, version=F("version") + 1)
    locked.refresh_from_db()
    audit.record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=locked,
        changes={"verified_at": [was.isoformat() if was else None, now.isoformat()]},
        customer_id=locked.pk,
    )
    return locked


# --- contacts of organisations ----------------------------------------------------------------

CONTACT_FIELDS = ("organisation", "name", "title", "role", "mobile", "email", "notes", "is_primary")


def _prepare_contact(contact: Contact, data: dict[str, Any]) -> None:
    unknown = set(data) - set(CONTACT_FIELDS)
    if unknown:
        raise ValidationError({f: _("There is no such field.") for f in sorted(unknown)})
    for field in CONTACT_FIELDS:
        if field in data:
            setattr(contact, field, data[field])
    contact.name = normalize.tidy_text(contact.name or "")
    contact.title = normalize.clean_text(contact.title or "")
    contact.mobile = normalize.clean_text(contact.mobile or "")
    contact.email = normalize.clean_text(contact.email or "")
    errors: dict[str, str] = {}
    try:
        contact.mobile_normalized = (
            normalize.normalize_phone(contact.mobile) if contact.mobile else ""
        )
    except ValidationError as exc:
        errors["mobile"] = exc.messages[0]
    try:
        contact.email_normalized = normalize.normalize_email(contact.email) if contact.email else ""
    except ValidationError as exc:
        errors["email"] = exc.messages[0]
    if contact.organisation_id and contact.organisation.kind != CustomerKind.ORGANISATION:
        errors["organisation"] = _("Contacts belong to organisations, not to people.")
    if errors:
        raise ValidationError(errors)
    contact.full_clean(exclude=["organisation"], validate_unique=False)


@transaction.atomic
def create_contact(*, actor: User, data: dict[str, Any]) -> Contact:
    organisation = data.get("organisation")
    if organisation is None:
        raise ValidationError({"organisation": _("This field is required.")})
    if not (has_perm(actor, "contacts", "create") and may(actor, "change", organisation)):
        raise PermissionDeniedError()
    contact = Contact()
    _prepare_contact(contact, data)
    contact.save()
    refresh_completeness(customer_id=organisation.pk)
    audit.record_create(
        actor=actor, instance=contact, fields=CONTACT_FIELDS, customer_id=organisation.pk
    )
    return contact


@transaction.atomic
def update_contact(
    *, actor: User, contact: Contact, data: dict[str, Any], version: int | None
) -> Contact:
    locked = Contact.objects.select_for_update().select_related("organisation").get(pk=contact.pk)
    check_version(locked, version)
    if not (has_perm(actor, "contacts", "change") and may(actor, "change", locked.organisation)):
        raise PermissionDeniedError()
    if not sees_contact_details(actor):
        for field in ("mobile", "email"):
            if field in data and data[field] != getattr(locked, field):
                raise ValidationError({field: _("Your role may not change contact details.")})
    moved = "organisation" in data and data["organisation"] != locked.organisation
    if moved and not may(actor, "change", data["organisation"]):
        raise PermissionDeniedError()
    old_organisation_id = locked.organisation_id
    before = audit.snapshot(locked, CONTACT_FIELDS)
    _prepare_contact(locked, data)
    changes = audit.diff(before, audit.snapshot(locked, CONTACT_FIELDS))
    if not changes:
        return locked
    locked.version = F("version") + 1
    locked.save()
    locked.refresh_from_db()
    if moved:
        refresh_completeness(customer_id=old_organisation_id)
        refresh_completeness(customer_id=locked.organisation_id)
    audit.record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=locked,
        changes=changes,
        customer_id=locked.organisation_id,
    )
    return locked


@transaction.atomic
def delete_contact(*, actor: User, contact: Contact) -> None:
    if not (has_perm(actor, "contacts", "delete") and may(actor, "change", contact.organisation)):
        raise PermissionDeniedError()
    audit.record(
        actor=actor,
        action=AuditAction.DELETE,
        instance=contact,
        changes={"name": [contact.name, None]},
        customer_id=contact.organisation_id,
    )
    contact.delete()
    refresh_completeness(customer_id=contact.organisation_id)


# --- tags and custom field definitions (administered settings) --------------------------------


@transaction.atomic
def save_tag(*, actor: User, tag: Tag | None, data: dict[str, Any], version=None) -> Tag:
    if tag is None:
        if not has_perm(actor, "customers", "change"):
            raise PermissionDeniedError()
        tag = Tag()
    else:
        require_admin(actor)
        tag = Tag.objects.select_for_update().get(pk=tag.pk)
        check_version(tag, version)
    before = audit.snapshot(tag, ("name", "color")) if tag.pk else {}
    tag.name = normalize.clean_text(data.get("name", tag.name) or "")
    tag.color = normalize.clean_text(data.get("color", tag.color) or "")
    tag.full_clean(exclude=["version"])
    creating = tag.pk is None
    if not creating:
        tag.version = F("version") + 1
    tag.save()
    tag.refresh_from_db()
    after = audit.snapshot(tag, ("name", "color"))
    audit.record(
        actor=actor,
        action=AuditAction.CREATE if creating else AuditAction.UPDATE,
        instance=tag,
        changes=audit.diff(before, after),
    )
    return tag


@transaction.atomic
def delete_tag(*, actor: User, tag: Tag) -> None:
    require_admin(actor)
    audit.record(
        actor=actor, action=AuditAction.DELETE, instance=tag, changes={"name": [tag.name, None]}
    )
    tag.delete()


CUSTOM_FIELD_FIELDS = (
    "key",
    "label",
    "field_type",
    "applies_to",
    "required",
    "choices",
    "max_length",
    "min_value",
    "max_value",
    "pattern",
    "help_text",
    "position",
    "active",
)


@transaction.atomic
def save_custom_field(
    *,
    actor: User,
    definition: CustomFieldDefinition | None,
    data: dict[str, Any],
    version=None,
) -> CustomFieldDefinition:
    require_admin(actor)
    creating = definition is None
    if creating:
        definition = CustomFieldDefinition()
        before: dict[str, Any] = {}
    else:
        definition = CustomFieldDefinition.objects.select_for_update().get(pk=definition.pk)
        check_version(definition, version)
        before = audit.snapshot(definition, CUSTOM_FIELD_FIELDS)
        if "key" in data and data["key"] != definition.key:
            raise ValidationError({"key": _("The key of a custom field cannot change.")})
    unknown = set(data) - set(CUSTOM_FIELD_FIELDS)
    if unknown:
        raise ValidationError({f: _("There is no such field.") for f in sorted(unknown)})
    for field, value in data.items():
        setattr(definition, field, value)
    definition.label = normalize.clean_text(definition.label or "")
    choices = _clean_str_list(definition.choices, "choices")
    definition.choices = choices
    if definition.field_type in ("choice", "multi_choice") and not choices:
        raise ValidationError({"choices": _("A choice field needs at least one choice.")})
    if definition.pattern:
        import re

        try:
            re.compile(definition.pattern)
        except re.error:
            raise ValidationError(
                {"pattern": _("This is not a valid regular expression.")}
            ) from None
    if (
        definition.min_value is not None
        and definition.max_value is not None
        and definition.min_value > definition.max_value
    ):
        raise ValidationError({"max_value": _("The maximum must not be below the minimum.")})
    definition.full_clean(exclude=["version"])
    if not creating:
        definition.version = F("version") + 1
    definition.save()
    definition.refresh_from_db()
    audit.record(
        actor=actor,
        action=AuditAction.CREATE if creating else AuditAction.UPDATE,
        instance=definition,
        changes=audit.diff(before, audit.snapshot(definition, CUSTOM_FIELD_FIELDS)),
    )
    return definition


@transaction.atomic
def delete_custom_field(*, actor: User, definition: CustomFieldDefinition) -> None:
    """Remove a definition. Values already stored stay in the customers' records (they are
    data) but are no longer shown or accepted."""
    require_admin(actor)
    audit.record(
        actor=actor,
        action=AuditAction.DELETE,
        instance=definition,
        changes={"key": [definition.key, None]},
    )
    definition.delete()


# --- notes on customers -----------------------------------------------------------------------

NOTE_FIELDS = ("body",)
MAX_NOTE_LENGTH = 10000


def _clean_note_body(body: Any) -> str:
    if not isinstance(body, str) or not body.strip():
        raise ValidationError({"body": _("Write the note.")})
    body = body.strip()
    if len(body) > MAX_NOTE_LENGTH:
        raise ValidationError(
            {"body": _("Enter at most %(n)d characters.") % {"n": MAX_NOTE_LENGTH}}
        )
    return body


@transaction.atomic
def create_note(*, actor: User, customer: Customer, body: Any) -> Note:
    """Add a note to a customer; whoever may change the customer may write notes on it."""
    if customer.deleted_at is not None:
        raise ValidationError({"customer": _("This customer is in the recycle bin.")})
    if not may(actor, "change", customer):
        raise PermissionDeniedError()
    note = Note.objects.create(customer=customer, author=actor, body=_clean_note_body(body))
    audit.record_create(actor=actor, instance=note, fields=NOTE_FIELDS, customer_id=customer.pk)
    return note


@transaction.atomic
def update_note(*, actor: User, note: Note, body: Any, version: int | None) -> Note:
    locked = Note.objects.select_for_update().select_related("customer").get(pk=note.pk)
    check_version(locked, version)
    if not may(actor, "change", locked.customer):
        raise PermissionDeniedError()
    before = audit.snapshot(locked, NOTE_FIELDS)
    locked.body = _clean_note_body(body)
    changes = audit.diff(before, audit.snapshot(locked, NOTE_FIELDS))
    if not changes:
        return locked
    locked.version = F("version") + 1
    locked.save(update_fields=["body", "version"])
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
def delete_note(*, actor: User, note: Note) -> None:
    if not may(actor, "change", note.customer):
        raise PermissionDeniedError()
    audit.record(
        actor=actor,
        action=AuditAction.DELETE,
        instance=note,
        changes={"body": [note.body, None]},
        customer_id=note.customer_id,
    )
    note.delete()


# --- bulk changes from the customer list --------------------------------------------------------

BULK_ACTIONS = ("assign_owner", "add_tag", "remove_tag", "share_user", "share_team", "delete")
BULK_LIMIT = 200


@dataclass
class BulkResult:
    """How many customers were changed, and which were refused and why: (id, name, reason);
    the name is empty for a customer the user may not see (it is reported as not found)."""

    done: int = 0
    refused: list[tuple[int, str, str]] = dc_field(default_factory=list)


def _bulk_one(actor: User, customer: Customer, action: str, params: dict[str, Any]) -> None:
    if action == "assign_owner":
        update_customer(
            actor=actor,
            customer=customer,
            data={"owner": params["owner"]},
            version=customer.version,
        )
    elif action in ("add_tag", "remove_tag"):
        names = [t.name for t in customer.tags.all()]
        tag = params["tag"]
        names = [*names, tag] if action == "add_tag" else [n for n in names if n != tag]
        update_customer(
            actor=actor, customer=customer, data={"tags": names}, version=customer.version
        )
    elif action == "share_user":
        share_customer(actor=actor, customer=customer, user=params["user"])
    elif action == "share_team":
        share_customer(actor=actor, customer=customer, team=params["team"])
    elif action == "delete":
        delete_customer(actor=actor, customer=customer, version=customer.version)


@transaction.atomic
def bulk_change_customers(
    *, actor: User, customer_ids: list[int], action: str, **params: Any
) -> BulkResult:
    """Apply one action to many customers, one service call per customer, in one transaction.

    Each customer is changed by the same service as a single change (so permissions, validation
    and audit are the same); a customer the service refuses is reported, the others go through.
    Params: owner (assign_owner), tag (a tag name: add_tag / remove_tag), user (share_user),
    team (share_team)."""
    from .selectors import customer_list  # the one gate decides which customers exist for actor

    if action not in BULK_ACTIONS:
        raise ValidationError({"action": _("Choose an action.")})
    needed = {
        "assign_owner": "owner",
        "add_tag": "tag",
        "remove_tag": "tag",
        "share_user": "user",
        "share_team": "team",
    }.get(action)
    if needed == "tag":  # as a tag entered on the form: cleaned, refused when too long
        params["tag"] = next(
            iter(_clean_str_list([str(params.get("tag") or "")], "tag", max_len=50)), ""
        )
    if needed and not params.get(needed):
        raise ValidationError({needed: _("This field is required.")})
    ids = list(dict.fromkeys(customer_ids))
    if not ids:
        raise ValidationError({"customers": _("Select at least one customer.")})
    if len(ids) > BULK_LIMIT:
        raise ValidationError(
            {"customers": _("Select at most %(limit)d customers at once.") % {"limit": BULK_LIMIT}}
        )
    found = {c.pk: c for c in customer_list(user=actor).filter(pk__in=ids)}
    result = BulkResult()
    for pk in ids:
        customer = found.get(pk)
        if customer is None:
            result.refused.append((pk, "", _("Not found.")))
            continue
        try:
            with transaction.atomic():
                _bulk_one(actor, customer, action, params)
        except ValidationError as error:
            result.refused.append((pk, customer.display_name, " ".join(error.messages)))
        except (PermissionDeniedError, ConflictError) as error:
            result.refused.append((pk, customer.display_name, error.message))
        else:
            result.done += 1
    return result


@transaction.atomic
def set_marketing_consent(*, actor: User | None, customer: Customer, consent: bool) -> Customer:
    """Record the customer's consent to marketing (given or withdrawn) and when. `actor` is None
    when the customer acts themselves (the portal); the audit context names the source."""
    locked = _locked(customer.pk)
    if actor is not None and not may(actor, "change", locked):
        raise PermissionDeniedError()
    consent = bool(consent)
    if locked.marketing_consent == consent and locked.marketing_consent_at is not None:
        return locked
    fields = ("marketing_consent", "marketing_consent_at")
    before = audit.snapshot(locked, fields)
    locked.marketing_consent = consent
    locked.marketing_consent_at = timezone.now()
    locked.version = F("version") + 1
    locked.save(update_fields=["marketing_consent", "marketing_consent_at", "version"])
    locked.refresh_from_db()
    audit.record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=locked,
        changes=audit.diff(before, audit.snapshot(locked, fields)),
        customer_id=locked.pk,
    )
    return locked


# --- ownership changes made by the public pool ------------------------------------------------


@transaction.atomic
def take_unowned_customer(*, actor: User, customer_id: int, owner: User) -> Customer | None:
    """Give a customer without an owner to `owner` (with the owner's team, or the customer's
    own when the owner has none), in one conditional UPDATE: of two claims at the same moment
    exactly one wins. Returns the customer, or None when it has an owner by now or is deleted.
    Who may claim is the caller's policy (guanxi.pool); the change is audited here."""
    unowned = Customer.objects.filter(pk=customer_id, owner__isnull=True, deleted_at__isnull=True)
    current = unowned.values("team_id").first()
    if current is None:
        return None
    team_id = owner.team_id or current["team_id"]
    taken = unowned.update(
        owner=owner, team_id=team_id, version=F("version") + 1, updated_at=timezone.now()
    )
    if not taken:
        return None
    customer = Customer.objects.get(pk=customer_id)
    changes = {"owner": [None, owner.pk]}
    if team_id != current["team_id"]:
        changes["team"] = [current["team_id"], team_id]
    audit.record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=customer,
        changes=changes,
        customer_id=customer.pk,
    )
    return customer


@transaction.atomic
def release_customer(*, actor: User | None, customer_id: int, owner_id: int) -> Customer | None:
    """Take a customer away from its owner `owner_id` (it keeps its team, so it lands in that
    team's pool). None when the customer has another owner by now or is deleted."""
    released = Customer.objects.filter(
        pk=customer_id, owner_id=owner_id, deleted_at__isnull=True
    ).update(owner=None, version=F("version") + 1, updated_at=timezone.now())
    if not released:
        return None
    customer = Customer.objects.get(pk=customer_id)
    audit.record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=customer,
        changes={"owner": [owner_id, None]},
        customer_id=customer.pk,
    )
    return customer


# --- for bulk writers (imports) ------------------------------------------------------------------


def validate_assignment(*, actor: User, owner: User | None) -> Team | None:
    """Check that `actor` may give customers to `owner`, as create_customer does; returns the
    team such a customer gets. For writers that check an owner once for many customers."""
    _validate_owner(actor, owner)
    team = Team.objects.filter(pk=owner.team_id).first() if owner else actor.team
    _validate_team(actor, team, owner)
    return team


@dataclass
class PreparedCustomer:
    """A new customer validated and normalised exactly as create_customer would store it, not
    yet saved: its contact points, addresses and tag names come beside it."""

    customer: Customer
    points: list[ContactPoint]
    addresses: list[Address]
    tag_names: list[str]


def prepare_new_customer(
    *,
    actor: User,
    data: dict[str, Any],
    owner: User | None,
    team: Team | None,
    definitions: list[CustomFieldDefinition] | None = None,
) -> PreparedCustomer:
    """Validate and normalise one new customer without writing it (the owner and team were
    checked with validate_assignment). Raises the same field-level ValidationErrors as
    create_customer; the caller checks the credit code's uniqueness for its whole batch.
    `definitions`: the active custom field definitions, read once for many customers."""
    data = {**data, "owner": owner, "team": team}
    customer = Customer(created_by=actor)
    errors = validation.Errors()
    points = errors.run(_clean_contact_points, data.get("contact_points"), default=[])
    addresses = errors.run(_clean_addresses, data.get("addresses"), default=[])
    tag_names = errors.run(_clean_str_list, data.get("tags"), "tags", max_len=50, default=[])
    errors.run(_prepare, actor, customer, data, definitions)
    errors.raise_any()
    _apply_keys(customer, points)
    _score(customer, points, addresses, tag_names, contacts=0)
    return PreparedCustomer(customer, points, addresses, tag_names)


def new_contact_key_clashes(
    *, actor: User, prepared: list[PreparedCustomer], labels: Sequence[str] | None = None
) -> dict[int, ValidationError]:
    """For new customers to be created together: those whose phone number or e-mail another
    customer has (where the administrator made them unique), or an earlier one of the list
    (named by its label, e.g. "row 17" of an import, where labels are given).
    {index in `prepared`: the field error create_customer would raise}."""
    wanted = [_wanted_keys(p.points) for p in prepared]
    values = {normalized for keys in wanted for _kind, normalized in keys}
    if not values:
        return {}
    taken = {
        (key.kind, key.normalized): key.contact_point.customer
        for key in UniqueContactKey.objects.filter(normalized__in=values).select_related(
            "contact_point__customer"
        )
    }
    errors: dict[int, ValidationError] = {}
    claimed: dict[tuple[str, str], int] = {}
    for index, keys in enumerate(wanted):
        problems: dict[str, str] = {}
        for key, point in keys.items():
            if key in taken:
                problems[_point_error_key(point, False)] = _clash_message(actor, taken[key], key[0])
            elif key in claimed and labels is not None:
                problems[_point_error_key(point, False)] = _(
                    "%(earlier)s has the same phone number or e-mail."
                ) % {"earlier": labels[claimed[key]]}
            elif key in claimed:
                problems[_point_error_key(point, False)] = _(
                    "Another of the new customers has this phone number or e-mail."
                )
        if problems:
            errors[index] = ValidationError(problems)
        else:
            for key in keys:
                claimed.setdefault(key, index)
    return errors


CUSTOMER_COLUMNS = bulk.concrete_field_names(Customer)
POINT_COLUMNS = bulk.concrete_field_names(ContactPoint)
ADDRESS_COLUMNS = tuple(f for f in bulk.concrete_field_names(Address) if f != "id")


def create_prepared_customers(
    *, actor: User, prepared: list[PreparedCustomer], tags: dict[str, Tag]
) -> None:
    """Store new customers that prepare_new_customer validated, with their contact points,
    addresses, tags, unique contact keys and one audit event each, as create_customer stores
    one, in a few bulk inserts (imports). The caller checked the credit codes
    (_check_unique_credit_code's rule) and the contact keys (new_contact_key_clashes) for the
    whole list, and got `tags` from tags_by_name. Sets each customer's pk."""
    if not prepared:
        return
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("create_prepared_customers must run inside a transaction")
    now = timezone.now()
    customers = [p.customer for p in prepared]
    ids = bulk.reserve_ids(Customer, len(customers))
    for customer, pk in zip(customers, ids, strict=True):
        customer.pk = pk
        customer.created_at = customer.updated_at = now
    with search_index.batch_insert(ids):
        bulk.insert_rows(
            *bulk.table_columns(Customer, CUSTOMER_COLUMNS),
            bulk.model_rows(Customer, CUSTOMER_COLUMNS, customers),
        )
    points = [point for p in prepared for point in p.points]
    for point_pk, point in zip(bulk.reserve_ids(ContactPoint, len(points)), points, strict=True):
        point.pk = point_pk
    for p in prepared:
        for point in p.points:
            point.customer_id = p.customer.pk
        for address in p.addresses:
            address.customer_id = p.customer.pk
    bulk.insert_rows(
        *bulk.table_columns(ContactPoint, POINT_COLUMNS),
        bulk.model_rows(ContactPoint, POINT_COLUMNS, points),
    )
    bulk.insert_rows(
        *bulk.table_columns(Address, ADDRESS_COLUMNS),
        bulk.model_rows(Address, ADDRESS_COLUMNS, [a for p in prepared for a in p.addresses]),
    )
    through = Customer.tags.through
    bulk.insert_rows(
        *bulk.table_columns(through, ("customer", "tag")),
        [(p.customer.pk, tags[name].pk) for p in prepared for name in p.tag_names],
    )
    keys = [
        (kind, normalized, point.pk)
        for p in prepared
        for (kind, normalized), point in _wanted_keys(p.points).items()
    ]
    key_table = bulk.table_columns(UniqueContactKey, ("kind", "normalized", "contact_point"))
    bulk.insert_rows(*key_table, keys)
    audit.record_bulk(
        actor=actor,
        action=AuditAction.CREATE,
        items=[(p.customer, created_changes(p), p.customer.pk) for p in prepared],
    )


def tags_by_name(*, actor: User, names: list[str]) -> dict[str, Tag]:
    """The tags of these (cleaned) names, creating and auditing the new ones."""
    return {t.name: t for t in _clean_tags(actor, names)}


def created_changes(prepared: PreparedCustomer) -> dict[str, list[Any]]:
    """The audit changes of a created customer, as create_customer records them."""
    after = audit.snapshot(prepared.customer, CUSTOMER_FIELDS)
    after.update(_related_snapshot(prepared.points, prepared.addresses, prepared.tag_names))
    return {k: [None, v] for k, v in after.items() if v not in (None, "", [], {})}
