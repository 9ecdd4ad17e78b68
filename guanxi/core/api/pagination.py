"""Keyset (cursor) pagination: a page costs the same at the start and a million rows deep, and
no list ever counts all its rows. Responses carry `results`, `next` and `previous`."""

from rest_framework.filters import OrderingFilter
from rest_framework.pagination import CursorPagination


class KeysetPagination(CursorPagination):
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "-id"

    def get_ordering(self, request, queryset, view):
        # Without an ordering filter, a view's own `ordering` decides (default: newest first).
        uses_filter = any(
            issubclass(b, OrderingFilter) for b in getattr(view, "filter_backends", [])
        )
        if not uses_filter and getattr(view, "ordering", None):
            ordering = view.ordering
            return (ordering,) if isinstance(ordering, str) else tuple(ordering)
        return super().get_ordering(request, queryset, view)
