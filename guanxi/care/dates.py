"""Dates of care occasions: Gregorian and lunar (农历) birthdays, Chinese and other festivals.

Lunar dates are converted with `lunardate` (tables for 1900–2099). Rules:

- A lunar birthday is kept as the lunar month and day of the birth date. Someone born in a
  leap month (闰月) celebrates in the regular month of the same number, as is customary, and
  never twice in a year that has that leap month again.
- A birthday on the 30th of a lunar month falls on the 29th in a year when that month has 29
  days (小月).
- A Gregorian birthday on 29 February falls on 28 February in common years.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from lunardate import LunarDate

# Lunar festivals: (month, day) in the lunar calendar; Gregorian ones: (month, day).
LUNAR_FESTIVALS = {
    "spring_festival": (1, 1),  # 春节
    "lantern": (1, 15),  # 元宵
    "dragon_boat": (5, 5),  # 端午
    "qixi": (7, 7),  # 七夕
    "mid_autumn": (8, 15),  # 中秋
    "double_ninth": (9, 9),  # 重阳
}
GREGORIAN_FESTIVALS = {
    "new_year": (1, 1),
    "national_day": (10, 1),  # 国庆
    "christmas": (12, 25),
}
FIRST_YEAR, LAST_YEAR = 1900, 2099  # what the lunar tables cover


@dataclass(frozen=True)
class LunarBirthday:
    month: int
    day: int
    leap: bool  # born in a leap month (celebrated in the regular month)


def lunar_of(day: dt.date) -> LunarBirthday:
    """The lunar month and day of a Gregorian date."""
    lunar = LunarDate.from_solar_date(day.year, day.month, day.day)
    return LunarBirthday(month=lunar.month, day=lunar.day, leap=bool(lunar.is_leap_month))


def lunar_to_solar(year: int, month: int, day: int) -> dt.date:
    """The Gregorian date of a day in the regular (non-leap) lunar month of lunar `year`;
    the 30th of a 29-day month is its 29th."""
    try:
        return LunarDate(year, month, day).to_solar_date()
    except ValueError:
        if day == 30:
            return LunarDate(year, month, 29).to_solar_date()
        raise


def festival_date(occasion: str, year: int) -> dt.date:
    """The date of a festival in a given (Gregorian = lunar, for these festivals) year."""
    if occasion in LUNAR_FESTIVALS:
        return lunar_to_solar(year, *LUNAR_FESTIVALS[occasion])
    month, day = GREGORIAN_FESTIVALS[occasion]
    return dt.date(year, month, day)


def gregorian_birthday(birth: dt.date, year: int) -> dt.date:
    if birth.month == 2 and birth.day == 29:
        try:
            return dt.date(year, 2, 29)
        except ValueError:
            return dt.date(year, 2, 28)
    return dt.date(year, birth.month, birth.day)


def lunar_birthday(month: int, day: int, lunar_year: int) -> dt.date:
    """The Gregorian date of a lunar birthday in lunar year `lunar_year`."""
    return lunar_to_solar(lunar_year, month, day)


def lunar_birthdays_on(day: dt.date) -> tuple[int, int, list[int]] | None:
    """Which lunar birthdays fall on a Gregorian date: (lunar year, month, [days]); None on a
    day of a leap month (birthdays are celebrated in the regular month)."""
    lunar = LunarDate.from_solar_date(day.year, day.month, day.day)
    if lunar.is_leap_month:
        return None
    days = [lunar.day]
    if lunar.day == 29:
        try:
            LunarDate(lunar.year, lunar.month, 30).to_solar_date()
        except ValueError:
            days.append(30)  # a 29-day month: the 30th's birthdays are today
    return lunar.year, lunar.month, days


def festivals_between(start: dt.date, end: dt.date) -> Iterator[tuple[str, int, dt.date]]:
    """Every festival (occasion, year, date) from `start` to `end`, both included."""
    for year in range(start.year, end.year + 1):
        if not FIRST_YEAR <= year <= LAST_YEAR:
            continue
        for occasion in (*GREGORIAN_FESTIVALS, *LUNAR_FESTIVALS):
            when = festival_date(occasion, year)
            if start <= when <= end:
                yield occasion, year, when


def next_birthday(
    birth: dt.date, today: dt.date, *, lunar: LunarBirthday | None = None
) -> tuple[int, dt.date]:
    """The next birthday on or after `today`: (year key, date). The year key is the Gregorian
    year for a Gregorian birthday and the lunar year for a lunar one."""
    if lunar is None:
        when = gregorian_birthday(birth, today.year)
        if when < today:
            when = gregorian_birthday(birth, today.year + 1)
        return when.year, when
    lunar_today = LunarDate.from_solar_date(today.year, today.month, today.day)
    for year in (lunar_today.year - 1, lunar_today.year, lunar_today.year + 1):
        when = lunar_birthday(lunar.month, lunar.day, year)
        if when >= today:
            return year, when
    raise ValueError("no lunar birthday found")  # pragma: no cover - the tables are complete
