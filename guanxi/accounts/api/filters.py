"""Filters of other apps' API lists that concern teams."""

from __future__ import annotations

import django_filters
from django_filters.constants import EMPTY_VALUES

from ..selectors import team_and_below_ids


class TeamFilter(django_filters.NumberFilter):
    """`?team=ID`: the records of that team and of every team below it (field_name names the
    record's team id, e.g. "team_id" or "owner__team_id"). It narrows the list it is given,
    which holds only what the user may see."""

    def filter(self, qs, value):
        if value in EMPTY_VALUES:
            return qs
        if value != int(value):
            return qs.none()
        return qs.filter(**{f"{self.field_name}__in": team_and_below_ids(int(value))})
