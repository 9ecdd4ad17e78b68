"""Every read of customers and their contacts for a user goes through here (DESIGN.md: one gate)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet, Value
from django.db.models.functions import StrIndex, Substr
from django.utils.translation import gettext as _

from guanxi.accounts.models import DataScope, User
from guanxi.accounts.policies import data_scope, has_perm, sees_contact_details

from . import normalize
from .keys import CONTACTS_MARK
from .models import Contact, ContactPoint, Customer, CustomFieldDefinition, Note, Tag
from .policies import visible_q
from .timeline import TimelinePage

MAX_SEARCH_LENGTH = 100


def _customer_pk(pk: int | str) -> int:
    """An id from a URL or a client; anything that cannot be one is a missing customer."""
    try:
        value = int(pk)
    except (TypeError, ValueError):
        raise Customer.DoesNotExist from None
    if not 0 < value < 2**63:
        raise Customer.DoesNotExist
    return value


def customer_list(*, user: User) -> QuerySet[Customer]:
    """The live (not deleted) customers the user may see, with their scores (analytics) joined:
    one row each, no extra query. A caller that locks rows must say of=("self",)."""
    return Customer.objects.filter(visible_q(user), deleted_at__isnull=True).select_related("score")


def referrer_visible(user: User) -> Exists:
    """An annotation: whether the user may see the customer's referrer (no referrer: false)."""
    return Exists(
        Customer.objects.filter(visible_q(user), pk=OuterRef("referred_by_id"), deleted_at=None)
    )


def in_segment(qs: QuerySet[Customer], segment: int | str, *, user: User) -> QuerySet[Customer]:
    """Narrow a customer queryset to the members of a segment the user may use (the rules are
    compiled by guanxi.segments). A segment the user cannot use raises ValidationError."""
    from guanxi.segments.models import Segment
    from guanxi.segments.selectors import segment_q

    try:
        return qs.filter(segment_q(user=user, pk=segment))
    except Segment.DoesNotExist:
        raise ValidationError(_("There is no such segment.")) from None


def customer_get(*, user: User, pk: int | str) -> Customer:
    """One live customer the user may see; Customer.DoesNotExist otherwise (a 404 to the user:
    a missing record and a forbidden one look the same)."""
    pk = _customer_pk(pk)
    return customer_list(user=user).get(pk=pk)


def recycle_bin(*, user: User) -> QuerySet[Customer]:
    """Deleted customers the user may see, newest deletion first."""
    return (
        Customer.objects.filter(visible_q(user), deleted_at__isnull=False)
        .select_related("score")
        .order_by("-deleted_at", "-id")
    )


def deleted_customer_get(*, user: User, pk: int | str) -> Customer:
    pk = _customer_pk(pk)
    return recycle_bin(user=user).get(pk=pk)


def customer_or_deleted_get(*, user: User, pk: int | str) -> Customer:
    """A customer the user may see, live or in the recycle bin (for its history)."""
    pk = _customer_pk(pk)
    return Customer.objects.filter(visible_q(user)).get(pk=pk)


def contact_list(*, user: User) -> QuerySet[Contact]:
    if not has_perm(user, "contacts", "view"):
        return Contact.objects.none()
    return Contact.objects.filter(
        visible_q(user, "organisation__"), organisation__deleted_at__isnull=True
    )


def tag_list(*, user: User) -> QuerySet[Tag]:
    return Tag.objects.all()


def custom_field_list(*, user: User) -> QuerySet[CustomFieldDefinition]:
    return CustomFieldDefinition.objects.all()


def _text_search_ids(text: str):
    """Ids of customers whose names, aliases or pinyin contain `text` (already a key)."""
    if connection.vendor == "sqlite":
        phrase = '"' + text.replace('"', '""') + '"'
        from django.db.models.expressions import RawSQL

        return RawSQL(
            "SELECT rowid FROM customers_customer_fts WHERE customers_customer_fts MATCH %s",
            (phrase,),
        )
    return Customer.objects.filter(search_text__contains=text).values("id")


def search(qs: QuerySet[Customer], query: str, *, user: User) -> QuerySet[Customer]:
    """Narrow a customer queryset to those matching `query`.

    A phone number in any format matches the normalised number; an e-mail address matches
    exactly; anything else matches names, short names, aliases, pinyin and pinyin initials,
    by substring from three characters on (a trigram index) and by prefix below that. For a
    `user` whose role masks contact details, substrings match names only.
    """
    query = normalize.clean_text(query)[:MAX_SEARCH_LENGTH]
    if not query:
        return qs
    if "@" in query:
        try:
            email = normalize.normalize_email(query)
        except ValidationError:
            email = query.casefold()
        return qs.filter(
            Q(id__in=ContactPoint.objects.filter(normalized=email).values("customer_id"))
            | Q(id__in=Contact.objects.filter(email_normalized=email).values("organisation_id"))
        )
    if normalize.looks_like_phone(query):
        try:
            phone = normalize.normalize_phone(query)
        except ValidationError:
            phone = None
        if phone:
            return qs.filter(
                Q(id__in=ContactPoint.objects.filter(normalized=phone).values("customer_id"))
                | Q(
                    id__in=Contact.objects.filter(mobile_normalized=phone).values("organisation_id")
                )
            )
    key = normalize.text_key(query)
    if len(key) >= 3:
        if data_scope(user) == DataScope.OWN:
            # An own-scope user sees a book of customers (their own and shared ones): reading
            # those few rows beats reading every match in the whole base from the index.
            qs = qs.filter(search_text__contains=key)
        else:
            qs = qs.filter(id__in=_text_search_ids(key))
        if not sees_contact_details(user):
            # Only the names: the contact details after the mark are masked for this user.
            names = Substr("search_text", 1, StrIndex("search_text", Value(CONTACTS_MARK)))
            qs = qs.annotate(_names=names).filter(_names__contains=key)
        return qs
    return qs.filter(
        Q(name_key__startswith=key)
        | Q(pinyin_initials__startswith=key)
        | Q(pinyin__startswith=key)
        | Q(display_name__startswith=query)
    )


def recent_customers(*, user: User, limit: int = 8) -> list[Customer]:
    """For the home page: the customers the user owns, most recently changed or contacted first;
    for a user who owns none (a manager, an analyst), the ones they see, most recently changed."""
    from django.db.models.functions import Coalesce, Greatest

    own = (
        customer_list(user=user)
        .filter(owner_id=user.pk)
        .annotate(active_at=Greatest("updated_at", Coalesce("last_interaction_at", "updated_at")))
        .order_by("-active_at", "-id")[:limit]
    )
    rows = list(own)
    if rows:
        return rows
    return list(customer_list(user=user).order_by("-updated_at", "-id")[:limit])


def note_list(*, user: User) -> QuerySet[Note]:
    """Notes on the live customers the user may see."""
    return Note.objects.filter(visible_q(user, "customer__"), customer__deleted_at__isnull=True)


def timeline(
    *, user: User, customer: Customer, before: str | None = None, limit: int = 20
) -> TimelinePage:
    """One customer's interactions, orders, changes and notes, newest first, `limit` at a time;
    `before` is the `next_before` of the previous page. Four queries whatever the page holds.

    `customer` must come from a customer selector for `user` (the gate has been passed); each
    source goes through its own selector as well, so a role that may not see orders sees none.
    """
    from guanxi.audit.selectors import customer_history
    from guanxi.interactions.selectors import interaction_list
    from guanxi.sales.selectors import order_list

    from . import timeline as tl
    from .masking import present_changes

    limit = max(1, min(int(limit), tl.MAX_LIMIT))
    cursor = tl.Cursor.decode(before) if before else None
    take = limit + 1
    interactions = tl.below(
        interaction_list(user=user).filter(customer_id=customer.pk),
        "occurred_at",
        tl.INTERACTION,
        cursor,
    ).select_related("user", "contact")
    orders = tl.below(
        order_list(user=user).filter(customer_id=customer.pk), "ordered_at", tl.ORDER, cursor
    )
    events = tl.below(
        customer_history(user=user, customer=customer).exclude(
            action="create", object_type__in=tl.SHOWN_AS_ITEMS
        ),
        "at",
        tl.CHANGE,
        cursor,
    )
    notes = tl.below(
        note_list(user=user).filter(customer_id=customer.pk), "created_at", tl.NOTE, cursor
    ).select_related("author")
    return tl.merge(
        [
            [
                tl.TimelineItem(tl.INTERACTION, i.occurred_at, i)
                for i in interactions.order_by("-occurred_at", "-id")[:take]
            ],
            [
                tl.TimelineItem(tl.ORDER, o.ordered_at, o)
                for o in orders.order_by("-ordered_at", "-id")[:take]
            ],
            [
                tl.TimelineItem(
                    tl.CHANGE, e.at, e, present_changes(user, e.object_type, e.changes or {})
                )
                for e in events.order_by("-at", "-id")[:take]
            ],
            [
                tl.TimelineItem(tl.NOTE, n.created_at, n)
                for n in notes.order_by("-created_at", "-id")[:take]
            ],
        ],
        limit,
    )
