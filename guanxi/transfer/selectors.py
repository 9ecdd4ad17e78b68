"""Reading imports and exports: a user sees only the ones they started (a file holds what
its author could see, masked as they see it)."""

from __future__ import annotations

from django.db.models import QuerySet

from guanxi.accounts.models import User

from .models import Export, Import, ImportRowError


def _pk(pk) -> int:
    try:
        value = int(pk)
    except (TypeError, ValueError):
        return 0
    return value if 0 < value < 2**63 else 0


def import_list(*, user: User) -> QuerySet[Import]:
    if not user.is_authenticated:
        return Import.objects.none()
    return Import.objects.filter(created_by_id=user.pk)


def import_get(*, user: User, pk) -> Import:
    return import_list(user=user).get(pk=_pk(pk))


def import_with_file(*, user: User, pk) -> Import:
    return Import.objects.filter(created_by_id=user.pk).get(pk=_pk(pk))


def import_errors(*, user: User, imp: Import) -> QuerySet[ImportRowError]:
    """The error rows of an import that came from import_get for `user`."""
    return ImportRowError.objects.filter(import_run_id=imp.pk)


def export_list(*, user: User) -> QuerySet[Export]:
    if not user.is_authenticated:
        return Export.objects.none()
    return Export.objects.filter(created_by_id=user.pk).defer("content")


def export_get(*, user: User, pk) -> Export:
    return export_list(user=user).get(pk=_pk(pk))


def export_with_file(*, user: User, pk) -> Export:
    return Export.objects.filter(created_by_id=user.pk).get(pk=_pk(pk))
