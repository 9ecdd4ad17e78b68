"""Keyset (cursor) pagination: a page costs the same at the start and a million rows deep, and
no list ever counts all its rows. Responses carry `results`, `next` and `previous`."""

from rest_framework.pagination import CursorPagination


class KeysetPagination(CursorPagination):
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "-id"
