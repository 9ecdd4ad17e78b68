"""Reading care settings and a customer's upcoming occasions for a user."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from guanxi.accounts.models import User
from guanxi.customers.models import Customer, CustomerKind
from guanxi.customers.selectors import customer_get

from . import dates
from .models import BirthdayCalendar, CarePlan, CareProfile, Greeting, GreetingTemplate, Occasion
from .policies import may_manage


def plan_list(*, user: User) -> QuerySet[CarePlan]:
    if not user.is_authenticated or not user.is_active:
        return CarePlan.objects.none()
    return CarePlan.objects.all()


def plan_get(*, user: User, pk: int) -> CarePlan:
    return plan_list(user=user).get(pk=pk)


def template_list(*, user: User) -> QuerySet[GreetingTemplate]:
    if not may_manage(user):
        return GreetingTemplate.objects.none()
    return GreetingTemplate.objects.all()


def template_get(*, user: User, occasion: str) -> GreetingTemplate:
    return template_list(user=user).get(occasion=occasion)


def recent_greetings(*, user: User, limit: int = 20) -> list[Greeting]:
    """The latest greetings, for the administrator's overview."""
    if not may_manage(user):
        return []
    return list(Greeting.objects.select_related("customer").order_by("-id")[:limit])


def profile_for(*, user: User, customer_id: int) -> tuple[Customer, CareProfile]:
    """A customer the user may see and its greeting preferences (unsaved defaults if none)."""
    customer = customer_get(user=user, pk=customer_id)
    profile = CareProfile.objects.filter(customer=customer).first()
    return customer, profile or CareProfile(customer=customer)


@dataclass
class Upcoming:
    occasion: str
    label: str
    date: dt.date
    days: int
    greeted: bool


def upcoming_occasions(
    *, customer: Customer, profile: CareProfile | None, today: dt.date | None = None, within=366
) -> list[Upcoming]:
    """The customer's next birthday and the festivals of the coming weeks, soonest first, with
    whether each greeting was already made. The customer has been read through a selector."""
    today = today or timezone.localdate()
    enabled = dict(GreetingTemplate.objects.filter(enabled=True).values_list("occasion", "id"))
    found: list[tuple[str, int, dt.date]] = []
    if customer.birthday and customer.kind == CustomerKind.PERSON and "birthday" in enabled:
        lunar = None
        if profile and profile.calendar == BirthdayCalendar.LUNAR and profile.lunar_month:
            lunar = dates.LunarBirthday(profile.lunar_month, profile.lunar_day, profile.lunar_leap)
        try:
            year, when = dates.next_birthday(customer.birthday, today, lunar=lunar)
            found.append(("birthday", year, when))
        except (ValueError, IndexError):
            pass
    horizon = today + dt.timedelta(days=60)
    for occasion, year, when in dates.festivals_between(today, horizon):
        if occasion in enabled:
            found.append((occasion, year, when))
    greeted = set(
        Greeting.objects.filter(customer=customer, occasion__in=[f[0] for f in found]).values_list(
            "occasion", "year"
        )
    )
    found.sort(key=lambda f: f[2])
    return [
        Upcoming(
            occasion=o,
            label=str(Occasion(o).label),
            date=w,
            days=(w - today).days,
            greeted=(o, y) in greeted,
        )
        for o, y, w in found
        if (w - today).days <= within
    ]


def profile_of(customer: Customer) -> CareProfile:
    """The greeting preferences of a customer already read through a selector."""
    return CareProfile.objects.filter(customer=customer).first() or CareProfile(customer=customer)
