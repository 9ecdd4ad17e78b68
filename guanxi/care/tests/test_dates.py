import datetime as dt

import pytest

from guanxi.care import dates

D = dt.date


@pytest.mark.parametrize(
    ("occasion", "year", "expected"),
    [
        ("spring_festival", 2024, D(2024, 2, 10)),
        ("spring_festival", 2025, D(2025, 1, 29)),
        ("spring_festival", 2026, D(2026, 2, 17)),
        ("spring_festival", 2027, D(2027, 2, 6)),
        ("lantern", 2025, D(2025, 2, 12)),
        ("lantern", 2026, D(2026, 3, 3)),
        ("dragon_boat", 2024, D(2024, 6, 10)),
        ("dragon_boat", 2025, D(2025, 5, 31)),
        ("dragon_boat", 2026, D(2026, 6, 19)),
        ("qixi", 2025, D(2025, 8, 29)),
        ("mid_autumn", 2024, D(2024, 9, 17)),
        ("mid_autumn", 2025, D(2025, 10, 6)),
        ("mid_autumn", 2026, D(2026, 9, 25)),
        ("double_ninth", 2025, D(2025, 10, 29)),
        ("national_day", 2026, D(2026, 10, 1)),
        ("new_year", 2027, D(2027, 1, 1)),
        ("christmas", 2025, D(2025, 12, 25)),
    ],
)
def test_festivals_across_years(occasion, year, expected):
    assert dates.festival_date(occasion, year) == expected


def test_festivals_between_spans_a_year_end():
    found = list(dates.festivals_between(D(2025, 12, 20), D(2026, 2, 20)))
    assert found == [
        ("christmas", 2025, D(2025, 12, 25)),
        ("new_year", 2026, D(2026, 1, 1)),
        ("spring_festival", 2026, D(2026, 2, 17)),
    ]


def test_lunar_birthday_of_a_birth_date():
    # 2023-04-20 is the first day of the regular third month (三月初一) of 2023
    assert dates.lunar_of(D(2023, 4, 20)) == dates.LunarBirthday(3, 1, False)
    # 2023-03-22 is the first day of the leap second month (闰二月初一) of 2023
    assert dates.lunar_of(D(2023, 3, 22)) == dates.LunarBirthday(2, 1, True)


def test_a_30th_falls_on_the_29th_in_a_29_day_month():
    # The second lunar month of 2025 has 29 days; the first has 30.
    assert dates.lunar_to_solar(2025, 2, 30) == dates.lunar_to_solar(2025, 2, 29) == D(2025, 3, 28)
    assert dates.lunar_to_solar(2025, 1, 30) == D(2025, 2, 27)
    assert dates.lunar_birthdays_on(D(2025, 3, 28)) == (2025, 2, [29, 30])
    assert dates.lunar_birthdays_on(D(2025, 2, 27)) == (2025, 1, [30])
    assert dates.lunar_birthdays_on(D(2025, 2, 26)) == (2025, 1, [29])  # a 30-day month


def test_no_birthdays_on_a_leap_month_day():
    # 2025 has a leap sixth month (闰六月); its days greet nobody: leap-month births are
    # celebrated in the regular sixth month.
    leap_day = D(2025, 8, 10)
    assert dates.lunar_of(leap_day).leap
    assert dates.lunar_birthdays_on(leap_day) is None
    born_in_leap_month = dates.lunar_of(D(2023, 3, 22))  # 闰二月初一
    assert dates.lunar_birthday(born_in_leap_month.month, born_in_leap_month.day, 2024) == D(
        2024, 3, 10
    )  # 二月初一 of 2024


def test_next_birthday_gregorian_and_lunar():
    assert dates.next_birthday(D(1990, 2, 29 - 1), D(2025, 3, 1)) == (2026, D(2026, 2, 28))
    assert dates.next_birthday(D(1992, 2, 29), D(2025, 1, 10)) == (2025, D(2025, 2, 28))
    assert dates.next_birthday(D(1992, 2, 29), D(2028, 1, 10)) == (2028, D(2028, 2, 29))
    # born on 1990-01-01 = 腊月初五 of lunar 1989: next one after June 2025 is in January 2026
    lunar = dates.lunar_of(D(1990, 1, 1))
    assert (lunar.month, lunar.day) == (12, 5)
    assert dates.next_birthday(D(1990, 1, 1), D(2025, 6, 1), lunar=lunar) == (2025, D(2026, 1, 23))
