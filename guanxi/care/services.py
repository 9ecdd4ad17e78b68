"""Writes of customer care: plans, greeting templates, customers' greeting preferences, and the
daily jobs that make care tasks and send greetings."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from guanxi.accounts.models import User
from guanxi.accounts.policies import require_admin
from guanxi.audit import services as audit
from guanxi.audit.models import AuditAction
from guanxi.core import bulk
from guanxi.core.errors import ConflictError, PermissionDeniedError
from guanxi.core.versioning import check_version
from guanxi.customers.models import ContactPoint, Customer, CustomerKind, Grade
from guanxi.customers.policies import may
from guanxi.followups import services as followups
from guanxi.followups.models import TaskKind, TaskStatus
from guanxi.interactions import services as interactions

from . import dates, messages
from .models import (
    OCCASION_NAMES,
    BirthdayCalendar,
    CarePlan,
    CareProfile,
    CareTask,
    Greeting,
    GreetingChannel,
    GreetingStatus,
    GreetingTemplate,
    Occasion,
)

log = logging.getLogger(__name__)

PLAN_FIELDS = ("name", "grade", "cadence_days", "task_kind", "active")
TEMPLATE_FIELDS = (
    "enabled",
    "grades",
    "task_days_ahead",
    "subject_zh",
    "body_zh",
    "subject_en",
    "body_en",
)
PROFILE_FIELDS = ("calendar", "language")
BATCH = 500


def _unknown(data: dict[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValidationError({f: _("There is no such field.") for f in sorted(unknown)})


# --- care plans -------------------------------------------------------------------------------


def _prepare_plan(plan: CarePlan, data: dict[str, Any]) -> None:
    _unknown(data, PLAN_FIELDS)
    for field, value in data.items():
        setattr(plan, field, value)
    plan.name = " ".join((plan.name or "").split())
    if not plan.name:
        raise ValidationError({"name": _("This field is required.")})
    plan.full_clean(validate_unique=False)
    clash = CarePlan.objects.filter(name=plan.name).exclude(pk=plan.pk)
    if clash.exists():
        raise ValidationError({"name": _("Another care plan has this name.")})


@transaction.atomic
def create_plan(*, actor: User, data: dict[str, Any]) -> CarePlan:
    require_admin(actor)
    plan = CarePlan()
    _prepare_plan(plan, dict(data))
    plan.save()
    audit.record_create(actor=actor, instance=plan, fields=PLAN_FIELDS)
    return plan


@transaction.atomic
def update_plan(
    *, actor: User, plan: CarePlan, data: dict[str, Any], version: int | None
) -> CarePlan:
    require_admin(actor)
    locked = CarePlan.objects.select_for_update().get(pk=plan.pk)
    check_version(locked, version)
    before = audit.snapshot(locked, PLAN_FIELDS)
    _prepare_plan(locked, dict(data))
    changes = audit.diff(before, audit.snapshot(locked, PLAN_FIELDS))
    if not changes:
        return locked
    locked.version = F("version") + 1
    locked.save()
    locked.refresh_from_db()
    audit.record(actor=actor, action=AuditAction.UPDATE, instance=locked, changes=changes)
    return locked


@transaction.atomic
def delete_plan(*, actor: User, plan: CarePlan) -> None:
    """Delete a plan; the tasks it made stay with their assignees."""
    require_admin(actor)
    before = audit.snapshot(plan, PLAN_FIELDS)
    audit.record(
        actor=actor,
        action=AuditAction.DELETE,
        instance=plan,
        changes=audit.diff(before, {k: None for k in PLAN_FIELDS}),
    )
    CareTask.objects.filter(plan=plan).delete()
    plan.delete()


def _user_language(user: User) -> str:
    return user.language or settings.LANGUAGE_CODE


def run_care_plans(*, now: dt.datetime | None = None) -> int:
    """For each active plan, a task for the owner of every customer of the plan's grade not
    contacted within its cadence (last contact, else creation), unless an open task of the same
    plan exists for the customer. Customers without an owner are in the public pool: skipped.
    Safe to run twice or concurrently. Returns how many tasks were made."""
    now = now or timezone.now()
    made = 0
    for plan in CarePlan.objects.filter(active=True).order_by("id"):
        cutoff = now - dt.timedelta(days=plan.cadence_days)
        open_task = CareTask.objects.filter(
            plan=plan, customer=OuterRef("pk"), task__status=TaskStatus.OPEN
        )
        due = (
            Customer.objects.filter(
                deleted_at__isnull=True,
                grade=plan.grade,
                owner__isnull=False,
                owner__is_active=True,
            )
            .filter(
                Q(last_interaction_at__lt=cutoff)
                | Q(last_interaction_at__isnull=True, created_at__lt=cutoff)
            )
            .filter(~Exists(open_task))
        )
        last_id = 0
        while True:
            batch = list(due.filter(pk__gt=last_id).order_by("pk").values_list("pk", flat=True))[
                :BATCH
            ]
            if not batch:
                break
            last_id = batch[-1]
            for customer_id in batch:
                made += _care_task(plan, customer_id, cutoff, now)
    return made


@transaction.atomic
def _care_task(plan: CarePlan, customer_id: int, cutoff: dt.datetime, now: dt.datetime) -> int:
    # Lock the customer, then check again: two runs at once make one task.
    customer = (
        Customer.objects.select_for_update(of=("self",))
        .select_related("owner")
        .filter(pk=customer_id, deleted_at__isnull=True, owner__isnull=False)
        .first()
    )
    if customer is None or (customer.last_interaction_at or customer.created_at) >= cutoff:
        return 0
    if CareTask.objects.filter(plan=plan, customer=customer, task__status=TaskStatus.OPEN).exists():
        return 0
    owner = customer.owner
    with translation.override(_user_language(owner)):
        title = _("Keep in touch with %(name)s") % {"name": customer.display_name}
        last = customer.last_interaction_at
        if last:
            notes = _(
                "Last contact %(days)s days ago; the care plan “%(plan)s” asks for one "
                "every %(every)s days."
            ) % {
                "days": (now - last).days,
                "plan": plan.name,
                "every": plan.cadence_days,
            }
        else:
            notes = _(
                "No contact yet; the care plan “%(plan)s” asks for one every %(every)s days."
            ) % {
                "plan": plan.name,
                "every": plan.cadence_days,
            }
    task = followups.create_system_task(
        assignee=owner,
        customer=customer,
        kind=plan.task_kind,
        title=title,
        notes=notes,
        due_at=now + dt.timedelta(days=1),
    )
    CareTask.objects.create(plan=plan, customer=customer, task=task)
    return 1


# --- greeting templates -----------------------------------------------------------------------


@transaction.atomic
def update_template(
    *, actor: User, template: GreetingTemplate, data: dict[str, Any], version: int | None
) -> GreetingTemplate:
    require_admin(actor)
    data = dict(data)
    _unknown(data, TEMPLATE_FIELDS)
    locked = GreetingTemplate.objects.select_for_update().get(pk=template.pk)
    check_version(locked, version)
    before = audit.snapshot(locked, TEMPLATE_FIELDS)
    for field, value in data.items():
        setattr(locked, field, value)
    grades = locked.grades or []
    if not isinstance(grades, list) or any(g not in Grade.values for g in grades):
        raise ValidationError({"grades": _("Choose grades from the list.")})
    locked.grades = sorted(set(grades))
    for field in ("subject_zh", "subject_en"):
        setattr(locked, field, " ".join((getattr(locked, field) or "").split()))
    for field in ("body_zh", "body_en"):
        setattr(locked, field, (getattr(locked, field) or "").strip())
    for field in ("subject_zh", "body_zh", "subject_en", "body_en"):
        if not getattr(locked, field):
            raise ValidationError({field: _("This field is required.")})
        messages.validate(field, getattr(locked, field))
    locked.full_clean(validate_unique=False)
    changes = audit.diff(before, audit.snapshot(locked, TEMPLATE_FIELDS))
    if not changes:
        return locked
    locked.version = F("version") + 1
    locked.save()
    locked.refresh_from_db()
    audit.record(actor=actor, action=AuditAction.UPDATE, instance=locked, changes=changes)
    return locked


# --- a customer's greeting preferences --------------------------------------------------------


@transaction.atomic
def save_profile(
    *, actor: User, customer: Customer, data: dict[str, Any], version: int | None
) -> CareProfile:
    """Set how a customer is greeted. The lunar month and day come from the birth date.

    `version` is that of the preferences edited; None only when the customer had none yet."""
    if not may(actor, "change", customer):
        raise PermissionDeniedError()
    data = dict(data)
    _unknown(data, PROFILE_FIELDS)
    customer = Customer.objects.select_for_update().get(pk=customer.pk)  # one writer at a time
    profile = CareProfile.objects.filter(customer=customer).first()
    created = profile is None
    if created:
        profile = CareProfile(customer=customer)
    elif version is None:
        # Written on a form opened before the profile existed: someone else created it
        # meanwhile, and saving over it would silently undo their choice.
        raise ConflictError(current_version=profile.version)
    else:
        check_version(profile, version)
    before = audit.snapshot(profile, (*PROFILE_FIELDS, "lunar_month", "lunar_day"))
    for field, value in data.items():
        setattr(profile, field, value)
    profile.full_clean(exclude=["customer"], validate_unique=False)
    derive_lunar(profile, customer)
    if profile.calendar == BirthdayCalendar.LUNAR and profile.lunar_month is None:
        raise ValidationError(
            {"calendar": _("Enter the customer's birthday first: the lunar date comes from it.")}
        )
    after = audit.snapshot(profile, (*PROFILE_FIELDS, "lunar_month", "lunar_day"))
    changes = audit.diff(before, after)
    if not created and not changes:
        return profile
    if not created:
        profile.version = F("version") + 1
    profile.save()
    profile.refresh_from_db()
    audit.record(
        actor=actor,
        action=AuditAction.CREATE if created else AuditAction.UPDATE,
        instance=profile,
        changes=changes,
        customer_id=customer.pk,
    )
    return profile


def derive_lunar(profile: CareProfile, customer: Customer) -> None:
    birthday = customer.birthday
    if (
        profile.calendar == BirthdayCalendar.LUNAR
        and birthday
        and dates.FIRST_YEAR <= birthday.year <= dates.LAST_YEAR
    ):
        lunar = dates.lunar_of(birthday)
        profile.lunar_month, profile.lunar_day, profile.lunar_leap = (
            lunar.month,
            lunar.day,
            lunar.leap,
        )
    else:
        profile.lunar_month = profile.lunar_day = None
        profile.lunar_leap = False


def refresh_lunar_birthdays(*, customer_ids: list[int] | None = None) -> int:
    """Derive the lunar dates again from the birth dates (a birthday changed on the customer):
    run daily before the greetings and cheap, as it only touches lunar profiles."""
    qs = CareProfile.objects.filter(calendar=BirthdayCalendar.LUNAR).select_related("customer")
    if customer_ids is not None:
        qs = qs.filter(customer_id__in=customer_ids)
    changed = 0
    for profile in qs.iterator(chunk_size=BATCH):
        before = (profile.lunar_month, profile.lunar_day, profile.lunar_leap)
        derive_lunar(profile, profile.customer)
        if before != (profile.lunar_month, profile.lunar_day, profile.lunar_leap):
            CareProfile.objects.filter(pk=profile.pk).update(
                lunar_month=profile.lunar_month,
                lunar_day=profile.lunar_day,
                lunar_leap=profile.lunar_leap,
            )
            changed += 1
    return changed


# --- greetings --------------------------------------------------------------------------------

GRACE_DAYS = 1  # a day the job did not run is caught up the next day


def _today() -> dt.date:
    return timezone.localdate()


def _email_q() -> Exists:
    return Exists(ContactPoint.objects.filter(customer=OuterRef("pk"), kind="email"))


def _audience(template: GreetingTemplate) -> QuerySet[Customer]:
    qs = Customer.objects.filter(deleted_at__isnull=True)
    if template.grades:
        qs = qs.filter(grade__in=template.grades)
    return qs


def _birthday_customers(day: dt.date) -> list[tuple[int, QuerySet[Customer]]]:
    """(year key, customers) whose birthday falls on `day`, Gregorian and lunar."""
    lunar_profile = CareProfile.objects.filter(
        customer=OuterRef("pk"), calendar=BirthdayCalendar.LUNAR
    )
    gregorian = Q(birthday__month=day.month, birthday__day=day.day)
    if (
        day.month == 2
        and day.day == 28
        and dates.gregorian_birthday(dt.date(2000, 2, 29), day.year) == day
    ):
        gregorian |= Q(birthday__month=2, birthday__day=29)
    out = [
        (
            day.year,
            Customer.objects.filter(gregorian, kind=CustomerKind.PERSON).filter(
                ~Exists(lunar_profile)
            ),
        )
    ]
    if dates.FIRST_YEAR <= day.year <= dates.LAST_YEAR:
        lunar = dates.lunar_birthdays_on(day)
        if lunar is not None:
            lunar_year, month, days = lunar
            ids = CareProfile.objects.filter(
                calendar=BirthdayCalendar.LUNAR, lunar_month=month, lunar_day__in=days
            ).values("customer_id")
            out.append((lunar_year, Customer.objects.filter(pk__in=ids)))
    return out


def due_occasions(today: dt.date, templates: dict[str, GreetingTemplate]):
    """(template, year key, date, customers) for every occasion whose greetings may be due."""
    for occasion, template in templates.items():
        start = today - dt.timedelta(days=GRACE_DAYS)
        end = today + dt.timedelta(days=template.task_days_ahead)
        if occasion == Occasion.BIRTHDAY:
            day = start
            while day <= end:
                for year, qs in _birthday_customers(day):
                    yield template, year, day, qs
                day += dt.timedelta(days=1)
        else:
            for festival, year, when in dates.festivals_between(start, end):
                if festival == occasion:
                    yield template, year, when, Customer.objects.all()


def send_greetings(*, today: dt.date | None = None) -> dict[str, int]:
    """The daily greeting job. A customer with an e-mail address and consent to marketing gets
    an e-mail on the day; for any other customer with an owner, the owner gets a task
    `task_days_ahead` days before (by WeChat when the customer has a WeChat id, else by phone).
    Each greeting is logged as an interaction, and a unique row per customer, occasion and year
    is written first, so that a second run, or a run after a crash, never greets twice."""
    today = today or _today()
    refresh_lunar_birthdays()
    templates = {t.occasion: t for t in GreetingTemplate.objects.filter(enabled=True)}
    counts = {"sent": 0, "tasks": 0, "failed": 0}
    for template, year, when, customers in due_occasions(today, templates):
        already = Greeting.objects.filter(
            customer=OuterRef("pk"), occasion=template.occasion, year=year
        ).exclude(status=GreetingStatus.FAILED)
        qs = (
            customers.filter(pk__in=_audience(template).values("pk"))
            .filter(~Exists(already))
            .annotate(has_email=_email_q())
        )
        if when > today:  # only tasks ahead of the day: not the customers who get an e-mail
            qs = qs.filter(owner__isnull=False).exclude(marketing_consent=True, has_email=True)
            if today < when - dt.timedelta(days=template.task_days_ahead):
                continue
        for batch in bulk.keyset_batches(qs.select_related("owner"), BATCH):
            for customer in batch:
                result = _greet(template, year, when, customer, today)
                if result:
                    counts[result] += 1
    return counts


def _profile_language(customer: Customer) -> str:
    profile = CareProfile.objects.filter(customer=customer).values_list("language", flat=True)
    return profile.first() or "zh-hans"


def compose(template: GreetingTemplate, customer: Customer, when: dt.date, language: str):
    """The subject and body of a greeting in `language` ("zh-hans" or "en")."""
    chinese = language.startswith("zh")
    with translation.override("zh-hans" if chinese else "en"):
        festival = str(OCCASION_NAMES[template.occasion])
        owner = customer.owner
        values = {
            "name": customer.short_name or customer.display_name,
            "display_name": customer.display_name,
            "owner_name": (owner.display_name or owner.get_full_name() or owner.username)
            if owner
            else "",
            "festival": festival,
            "date": f"{when.month}月{when.day}日" if chinese else when.strftime("%-d %B"),
        }
    subject = template.subject_zh if chinese else template.subject_en
    body = template.body_zh if chinese else template.body_en
    return messages.render(subject, values), messages.render(body, values)


def _email_of(customer: Customer) -> str:
    point = (
        ContactPoint.objects.filter(customer=customer, kind="email")
        .order_by("-is_primary", "id")
        .values_list("value", flat=True)
        .first()
    )
    return point or ""


def _greet(
    template: GreetingTemplate, year: int, when: dt.date, customer: Customer, today: dt.date
) -> str | None:
    address = _email_of(customer) if customer.marketing_consent else ""
    if address:
        if when > today:
            return None
        return _send_email(template, year, when, customer, address)
    if customer.owner_id is None or not customer.owner.is_active:
        return None  # in the public pool and not reachable by e-mail: nobody to ask
    if today < when - dt.timedelta(days=template.task_days_ahead):
        return None
    return _make_task(template, year, when, customer)


def _claim(customer: Customer, template: GreetingTemplate, year: int, when: dt.date, **fields):
    """Write the greeting's unique row (or take over a failed one); None if it exists."""
    try:
        with transaction.atomic():
            return Greeting.objects.create(
                customer=customer,
                occasion=template.occasion,
                year=year,
                occasion_date=when,
                **fields,
            )
    except IntegrityError:
        retry = Greeting.objects.filter(
            customer=customer, occasion=template.occasion, year=year, status=GreetingStatus.FAILED
        )
        if fields.get("channel") == GreetingChannel.EMAIL and retry.update(
            status=GreetingStatus.SENDING, error=""
        ):
            return retry.model.objects.get(customer=customer, occasion=template.occasion, year=year)
        return None


def _send_email(template, year, when, customer, address) -> str | None:
    # 1. the unique row, committed before anything leaves: a crash after this never resends
    greeting = _claim(
        customer,
        template,
        year,
        when,
        channel=GreetingChannel.EMAIL,
        status=GreetingStatus.SENDING,
    )
    if greeting is None:
        return None
    subject, body = compose(template, customer, when, _profile_language(customer))
    # 2. the e-mail; a refusal by the mail server is recorded and retried on the next run
    try:
        EmailMessage(subject, body, None, [address]).send()
    except Exception as exc:  # any mailer failure: record it, go on
        log.warning("greeting %s could not be sent: %s", greeting.pk, exc)
        Greeting.objects.filter(pk=greeting.pk).update(
            status=GreetingStatus.FAILED, error=str(exc)[:500]
        )
        return "failed"
    # 3. logged as an interaction
    with transaction.atomic():
        interaction = interactions.log_system_interaction(
            customer=customer, channel="email", subject=subject, content=body, outcome="successful"
        )
        Greeting.objects.filter(pk=greeting.pk).update(
            status=GreetingStatus.SENT, sent_at=timezone.now(), interaction=interaction
        )
    return "sent"


@transaction.atomic
def _make_task(template, year, when, customer) -> str | None:
    wechat = ContactPoint.objects.filter(customer=customer, kind="wechat").exists()
    channel = GreetingChannel.WECHAT if wechat else GreetingChannel.PHONE
    greeting = _claim(customer, template, year, when, channel=channel, status=GreetingStatus.TASK)
    if greeting is None:
        return None
    owner = customer.owner
    subject, body = compose(template, customer, when, _profile_language(customer))
    with translation.override(_user_language(owner)):
        occasion = str(OCCASION_NAMES[template.occasion])
        how = _("by WeChat") if wechat else _("by phone")
        title = _("Send %(occasion)s greetings to %(name)s %(how)s") % {
            "occasion": occasion,
            "name": customer.display_name,
            "how": how,
        }
        notes = _("Suggested message:") + "\n\n" + body
    due = timezone.make_aware(dt.datetime.combine(when, dt.time(10, 0)))
    task = followups.create_system_task(
        assignee=owner,
        customer=customer,
        kind=TaskKind.CALL if not wechat else TaskKind.FOLLOW_UP,
        title=title,
        notes=notes,
        due_at=due,
    )
    interaction = interactions.log_system_interaction(
        customer=customer, channel=channel, subject=subject, content=body, outcome="follow_up"
    )
    Greeting.objects.filter(pk=greeting.pk).update(task=task, interaction=interaction)
    return "tasks"
