"""Masking of contact details for roles that may not see them in full.

The same functions serve every channel (API, web pages, exports), so a masked value looks the
same wherever it appears: 138****1234, a***@qq.com.
"""

from __future__ import annotations

import phonenumbers
from django.core.exceptions import ValidationError

from guanxi.accounts.policies import sees_contact_details

from .normalize import normalize_phone

MASK = "****"


def _national_digits(value: str) -> list[str]:
    """The digits of the number without its country code, however it was typed ((+86) 138…,
    0086 138…, 86 138…): the mask must not start with the 86 of the country code."""
    try:
        e164 = normalize_phone(value).split(";")[0]
    except ValidationError:
        digits = [c for c in value if c.isdigit()]
        return digits[2:] if value.startswith("+86") else digits
    national = phonenumbers.format_number(
        phonenumbers.parse(e164), phonenumbers.PhoneNumberFormat.NATIONAL
    )  # with its trunk prefix: 010 6234 5678
    return [c for c in national if c.isdigit()]


def mask_phone(value: str) -> str:
    digits = _national_digits(value)
    if len(digits) >= 7:
        return "".join(digits[:3]) + MASK + "".join(digits[-4:])
    if len(digits) >= 3:
        return MASK + "".join(digits[-2:])
    return MASK


def mask_email(value: str) -> str:
    local, at, domain = value.rpartition("@")
    if not at:
        return mask_text(value)
    return f"{local[:1]}***@{domain}"


def mask_text(value: str) -> str:
    if not value:
        return value
    if len(value) <= 2:
        return value[:1] + "*"
    return f"{value[:1]}***{value[-1:]}"


def mask(kind: str, value: str) -> str:
    if not value:
        return value
    if kind in ("mobile", "phone"):
        return mask_phone(value)
    if kind == "email":
        return mask_email(value)
    if kind == "street":
        return MASK
    return mask_text(value)


def looks_masked(value: str) -> bool:
    """Whether a value is one of the masks above (138****1234, a***@qq.com, ****): what a
    file exported for a role that does not see contact details holds instead of the value."""
    return "***" in (value or "")


def present(user, kind: str, value: str) -> str:
    """The value of a contact detail as `user` may see it."""
    return value if sees_contact_details(user) else mask(kind, value)


# Fields of audited records that hold contact details, by record type.
_AUDIT_CONTACT_FIELDS = {
    "customers.contact": {"mobile": "mobile", "email": "email"},
    "customers.customer": {"identity_code": "identity"},
}


def _mask_point(entry: str) -> str:
    kind, _sep, value = entry.partition(":")
    return f"{kind}:{mask(kind, value)}"


def _mask_address(entry):
    if isinstance(entry, dict) and entry.get("street"):
        return {**entry, "street": MASK}
    return entry


def present_changes(user, object_type: str, changes: dict) -> dict:
    """Audit changes as `user` may see them: contact details inside are masked the same way
    as everywhere else."""
    if sees_contact_details(user):
        return changes
    out = dict(changes)
    for field, kind in _AUDIT_CONTACT_FIELDS.get(object_type, {}).items():
        if field in out:
            out[field] = [mask(kind, v) if isinstance(v, str) else v for v in out[field]]
    if object_type == "customers.customer":
        if "contact_points" in out:
            out["contact_points"] = [
                [_mask_point(e) for e in side] if isinstance(side, list) else side
                for side in out["contact_points"]
            ]
        if "addresses" in out:
            out["addresses"] = [
                [_mask_address(e) for e in side] if isinstance(side, list) else side
                for side in out["addresses"]
            ]
    return out
