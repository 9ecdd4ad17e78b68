"""Every read of customers and their contacts for a user goes through here (DESIGN.md: one gate)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Q, QuerySet

from guanxi.accounts.models import User

from . import normalize
from .models import Contact, ContactPoint, Customer, CustomFieldDefinition, Tag
from .policies import visible_q

MAX_SEARCH_LENGTH = 100


def customer_list(*, user: User) -> QuerySet[Customer]:
    """The live (not deleted) customers the user may see."""
    return Customer.objects.filter(visible_q(user), deleted_at__isnull=True)


def customer_get(*, user: User, pk: int | str) -> Customer:
    """One live customer the user may see; Customer.DoesNotExist otherwise (a 404 to the user:
    a missing record and a forbidden one look the same)."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Customer.DoesNotExist from None
    return customer_list(user=user).get(pk=pk)


def recycle_bin(*, user: User) -> QuerySet[Customer]:
    """Deleted customers the user may see, newest deletion first."""
    return Customer.objects.filter(visible_q(user), deleted_at__isnull=False).order_by(
        "-deleted_at", "-id"
    )


def deleted_customer_get(*, user: User, pk: int | str) -> Customer:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Customer.DoesNotExist from None
    return recycle_bin(user=user).get(pk=pk)


def customer_or_deleted_get(*, user: User, pk: int | str) -> Customer:
    """A customer the user may see, live or in the recycle bin (for its history)."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Customer.DoesNotExist from None
    return Customer.objects.filter(visible_q(user)).get(pk=pk)


def contact_list(*, user: User) -> QuerySet[Contact]:
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


def search(qs: QuerySet[Customer], query: str) -> QuerySet[Customer]:
    """Narrow a customer queryset to those matching `query`.

    A phone number in any format matches the normalised number; an e-mail address matches
    exactly; anything else matches names, short names, aliases, pinyin and pinyin initials,
    by substring from three characters on (a trigram index) and by prefix below that.
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
        return qs.filter(id__in=_text_search_ids(key))
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
