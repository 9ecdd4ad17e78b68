"""The search and matching keys of a customer, computed in one place for every writer (the
services, imports and the demo seeder)."""

from __future__ import annotations

from collections.abc import Iterable

from . import normalize
from .models import PHONE_KINDS, ContactPointKind, CustomerKind

# Separates the names from the contact details in `search_text`.
CONTACTS_MARK = "§"


def search_keys(
    *,
    kind: str,
    display_name: str,
    legal_name: str = "",
    short_name: str = "",
    aliases: Iterable[str] = (),
    contact_points: Iterable[tuple[str, str]] = (),
) -> dict[str, str]:
    """`name_key`, `pinyin`, `pinyin_initials` and `search_text` of a customer.

    `contact_points` are (kind, normalised value) pairs. The search text joins, with "|",
    the name keys and the pinyin and initials of every name; then, after CONTACTS_MARK, the
    national digits of phone numbers and the e-mail addresses. A trigram index over it finds
    any substring; users whose role masks contact details only match the part before the mark
    (selectors.search), so that a search cannot reveal a masked number digit by digit.
    """
    names = [n for n in (display_name, legal_name, short_name, *aliases) if n]
    if kind == CustomerKind.ORGANISATION:
        name_key = normalize.org_name_key(legal_name or display_name)
    else:
        name_key = normalize.text_key(display_name)
    full, initials = normalize.pinyin(display_name)
    parts = [normalize.text_key(n) for n in names]
    if kind == CustomerKind.ORGANISATION:
        parts.append(name_key)
    for name in names[1:]:
        parts += normalize.pinyin(name)
    parts += [full, initials]
    contacts: list[str] = []
    for point_kind, normalized in contact_points:
        if point_kind in PHONE_KINDS:
            # National digits, so that part of a number finds it: "1381234" or "5678".
            contacts.append(normalized.split(";")[0].removeprefix("+86").lstrip("+"))
        elif point_kind == ContactPointKind.EMAIL:
            contacts.append(normalized)
    names_text = "|".join(dict.fromkeys(p for p in parts if p))[:3000]
    contacts_text = "|".join(dict.fromkeys(c for c in contacts if c))[:900]
    return {
        "name_key": name_key[:200],
        "pinyin": full[:400],
        "pinyin_initials": initials[:200],
        "search_text": f"{names_text}{CONTACTS_MARK}{contacts_text}",
    }
