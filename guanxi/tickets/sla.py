"""Business time for service-level targets: working hours on working days.

A working day is a day the State Council's calendar says people work: weekdays that are not
public holidays, plus the make-up workdays (调休) that fall on a weekend. The calendar comes from
the `chinesecalendar` package; for a year it does not cover, only weekends are days off and a
warning is logged (once per year and process), so that an old package degrades instead of
failing. The administrator's own days off and working days (the service settings) come first:
the State Council announces each year's holidays late in the year before, and a company may
close on other days.

All arithmetic is done in the configured time zone, on whole working periods
[start of day, end of day); results are returned as aware datetimes in UTC.
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from dataclasses import dataclass
from functools import lru_cache

import chinese_calendar

log = logging.getLogger(__name__)

_warned_years: set[int] = set()

# An SLA of a few hundred business hours spans months at most; this bounds every loop.
MAX_DAYS = 3660


@dataclass(frozen=True)
class BusinessHours:
    start: dt.time = dt.time(9, 0)
    end: dt.time = dt.time(18, 0)
    time_zone: str = "Asia/Shanghai"
    days_off: frozenset[dt.date] = frozenset()
    workdays: frozenset[dt.date] = frozenset()

    def is_workday(self, day: dt.date) -> bool:
        if day in self.days_off:
            return False
        if day in self.workdays:
            return True
        return is_workday(day)

    @property
    def zone(self) -> dt.tzinfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def day_window(self, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
        zone = self.zone
        return (
            dt.datetime.combine(day, self.start, tzinfo=zone),
            dt.datetime.combine(day, self.end, tzinfo=zone),
        )


def last_calendar_year() -> int:
    """The last year whose holidays the `chinesecalendar` package knows."""
    return max(day.year for day in chinese_calendar.holidays)


@lru_cache(maxsize=4096)
def is_workday(day: dt.date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        if day.year not in _warned_years:
            _warned_years.add(day.year)
            log.warning(
                "chinesecalendar has no holidays for %s: counting only weekends as days off",
                day.year,
            )
        return day.weekday() < 5


def add_business_time(start: dt.datetime, delta: dt.timedelta, hours: BusinessHours) -> dt.datetime:
    """The moment `delta` of business time after `start`."""
    if start.tzinfo is None:
        raise ValueError("start must be aware")
    remaining = delta
    local = start.astimezone(hours.zone)
    day = local.date()
    for _ in range(MAX_DAYS):
        if hours.is_workday(day):
            open_at, close_at = hours.day_window(day)
            begin = max(open_at, local)
            if begin < close_at:
                available = close_at - begin
                if remaining <= available:
                    # Exactly at the end of the day counts as that day's end, not the next morning.
                    return (begin + remaining).astimezone(dt.UTC)
                remaining -= available
        day += dt.timedelta(days=1)
    raise ValueError("the business time does not fit in ten years")


def business_time_between(a: dt.datetime, b: dt.datetime, hours: BusinessHours) -> dt.timedelta:
    """Business time from `a` to `b` (negative when b is before a)."""
    if b < a:
        return -business_time_between(b, a, hours)
    total = dt.timedelta()
    la, lb = a.astimezone(hours.zone), b.astimezone(hours.zone)
    day = la.date()
    for _ in range(MAX_DAYS):
        if day > lb.date():
            break
        if hours.is_workday(day):
            open_at, close_at = hours.day_window(day)
            begin, finish = max(open_at, la), min(close_at, lb)
            if finish > begin:
                total += finish - begin
        day += dt.timedelta(days=1)
    return total
