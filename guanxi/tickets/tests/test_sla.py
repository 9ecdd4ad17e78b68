import datetime as dt
import logging
import zoneinfo

import pytest

from guanxi.tickets import sla

SH = zoneinfo.ZoneInfo("Asia/Shanghai")
HOURS = sla.BusinessHours()


def at(*args):
    return dt.datetime(*args, tzinfo=SH)


def due(start, hours):
    return sla.add_business_time(start, dt.timedelta(hours=hours), HOURS).astimezone(SH)


def test_before_national_day_holiday_runs_on_after_it():
    # 1 h on 30 Sep, 1-8 Oct are the holiday, 7 h on Thursday 9 Oct.
    assert due(at(2025, 9, 30, 17), 8) == at(2025, 10, 9, 16)


def test_make_up_saturday_after_the_holiday_counts():
    # 1 h (30 Sep) + 9 h (9 Oct) + 9 h (10 Oct) + 5 h on Saturday 11 Oct, a make-up workday.
    assert due(at(2025, 9, 30, 17), 24) == at(2025, 10, 11, 14)
    # and the Sunday after it is a day off again
    assert due(at(2025, 9, 30, 17), 29) == at(2025, 10, 13, 10)


def test_make_up_sunday_before_the_holiday_counts():
    # Friday 26 Sep 17:00: 1 h, Saturday off, Sunday 28 Sep is a make-up workday.
    assert due(at(2025, 9, 26, 17), 8) == at(2025, 9, 28, 16)


def test_weekend_is_skipped():
    assert due(at(2025, 11, 14, 17), 2) == at(2025, 11, 17, 10)


def test_outside_business_hours():
    assert due(at(2025, 11, 12, 20), 1) == at(2025, 11, 13, 10)
    assert due(at(2025, 11, 12, 7), 1) == at(2025, 11, 12, 10)
    assert due(at(2025, 11, 15, 12), 1) == at(2025, 11, 17, 10)  # a Saturday
    # ends exactly at closing time rather than the next morning
    assert due(at(2025, 11, 12, 9), 9) == at(2025, 11, 12, 18)


def test_result_is_utc():
    result = sla.add_business_time(at(2025, 11, 12, 9), dt.timedelta(hours=1), HOURS)
    assert result.utcoffset() == dt.timedelta(0)
    assert result == dt.datetime(2025, 11, 12, 2, tzinfo=dt.UTC)


def test_business_time_between_is_the_inverse():
    start = at(2025, 9, 30, 17)
    for hours in (1, 8, 24, 40):
        end = due(start, hours)
        assert sla.business_time_between(start, end, HOURS) == dt.timedelta(hours=hours)
    assert sla.business_time_between(at(2025, 10, 2), at(2025, 10, 5), HOURS) == dt.timedelta()


def test_other_business_hours_and_zone():
    hours = sla.BusinessHours(start=dt.time(8, 30), end=dt.time(12), time_zone="Europe/Paris")
    paris = zoneinfo.ZoneInfo("Europe/Paris")
    start = dt.datetime(2025, 11, 12, 11, tzinfo=paris)
    end = sla.add_business_time(start, dt.timedelta(hours=2), hours)
    assert end.astimezone(paris) == dt.datetime(2025, 11, 13, 9, 30, tzinfo=paris)


def test_year_the_package_does_not_cover_falls_back_to_weekends(caplog):
    sla.is_workday.cache_clear()
    sla._warned_years.discard(2031)
    with caplog.at_level(logging.WARNING, logger="guanxi.tickets.sla"):
        # Wednesday 1 Jan 2031 would be a holiday, but the package has no 2031 data.
        assert due(at(2031, 1, 1, 9), 2) == at(2031, 1, 1, 11)
        assert due(at(2031, 1, 3, 17), 2) == at(2031, 1, 6, 10)  # Friday to Monday
    assert "2031" in caplog.text
    assert caplog.text.count("no holidays for 2031") == 1


def test_naive_start_is_refused():
    with pytest.raises(ValueError):
        sla.add_business_time(dt.datetime(2025, 1, 2, 9), dt.timedelta(hours=1), HOURS)


def test_the_administrators_days_off_and_working_days_come_before_the_built_in_calendar():
    sla.is_workday.cache_clear()
    hours = sla.BusinessHours(
        days_off=frozenset(at(2031, 1, 1, 0).date() + dt.timedelta(days=k) for k in range(2)),
        workdays=frozenset({dt.date(2031, 1, 4)}),  # a make-up Saturday
    )

    def due_with(start, n):
        return sla.add_business_time(start, dt.timedelta(hours=n), hours).astimezone(SH)

    # Wednesday 1 and Thursday 2 Jan 2031 off: 2 h from Wednesday 9:00 end on Friday 11:00.
    assert due_with(at(2031, 1, 1, 9), 2) == at(2031, 1, 3, 11)
    # Friday 17:00 + 2 h: 1 h on Friday, 1 h on the make-up Saturday.
    assert due_with(at(2031, 1, 3, 17), 2) == at(2031, 1, 4, 10)
    between = sla.business_time_between(at(2031, 1, 1, 9), at(2031, 1, 4, 18), hours)
    assert between == dt.timedelta(hours=18)
    # A day the package calls a working day can be closed too (a company's own day off).
    assert sla.is_workday(dt.date(2025, 10, 9))
    assert not sla.BusinessHours(days_off=frozenset({dt.date(2025, 10, 9)})).is_workday(
        dt.date(2025, 10, 9)
    )
