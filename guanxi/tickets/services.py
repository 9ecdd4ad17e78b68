"""Writes to tickets: validated, permission-checked, audited, optimistically locked.

The SLA rule (documented for users in the settings page as well):

- Targets are business hours per priority (SlaTarget), counted on working days (Chinese
  public holidays off, make-up workdays on) within the configured business hours.
- The first-response target runs from the ticket's creation; the resolution target from the
  creation, or from the last reopening.
- While a ticket waits on the customer, its clock stops: when it leaves that status, the business
  time spent waiting is added to both targets (first response only if none was given yet).
- Changing the priority recomputes both targets from their start with the new priority.
- The first public reply by staff is the first response; resolving records whether each target
  was met (a ticket resolved with no reply met its first-response target if resolved before it).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from guanxi.accounts.models import Team, User
from guanxi.accounts.policies import has_perm, require_admin
from guanxi.audit import services as audit
from guanxi.audit.models import AuditAction
from guanxi.core import bulk
from guanxi.core.errors import PermissionDeniedError
from guanxi.core.validation import FIRST_DATE, LAST_DATE, date_range_message
from guanxi.core.versioning import check_version
from guanxi.customers import aggregates, normalize
from guanxi.customers.models import ContactPointKind, Customer
from guanxi.customers.policies import assignable_owner_q, can_see

from . import sla
from .models import (
    OPEN_STATUSES,
    AssignmentRule,
    Priority,
    ServiceSettings,
    SlaAlert,
    SlaTarget,
    Ticket,
    TicketCategory,
    TicketReply,
    TicketSource,
    TicketStatus,
)
from .policies import ticket_visible_q

log = logging.getLogger(__name__)

FIELDS = ("customer", "kind", "category", "priority", "subject", "description", "assignee")
EDITABLE = ("kind", "category", "priority", "subject", "description", "assignee")
AUDITED = (
    *FIELDS,
    "status",
    "team",
    "source",
    "first_response_due_at",
    "resolution_due_at",
    "first_responded_at",
    "resolved_at",
    "closed_at",
    "rating",
    "rating_comment",
)
MAX_BODY = 20000

# Defaults installed by the data migration; used as well if an admin deletes a row.
DEFAULT_TARGETS = {
    Priority.URGENT: (1, 8),
    Priority.HIGH: (4, 24),
    Priority.NORMAL: (8, 40),
    Priority.LOW: (16, 80),
}

RATING_SALT = "guanxi.tickets.rating"
RATING_MAX_AGE = dt.timedelta(days=30)


# --- settings ----------------------------------------------------------------------------------


def service_settings() -> ServiceSettings:
    obj, _created = ServiceSettings.objects.get_or_create(pk=1)
    return obj


def business_hours(conf: ServiceSettings | None = None) -> sla.BusinessHours:
    conf = conf or service_settings()
    return sla.BusinessHours(
        start=conf.work_start,
        end=conf.work_end,
        time_zone=conf.time_zone,
        days_off=frozenset(dt.date.fromisoformat(d) for d in conf.days_off or ()),
        workdays=frozenset(dt.date.fromisoformat(d) for d in conf.workdays or ()),
    )


MAX_CALENDAR_DAYS = 366  # days in one list of the administrator's calendar
MAX_RANGE_DAYS = 62  # days in one range "from..to" of it
_RANGE = re.compile(r"\s*(?:\.\.|~|～|至|到|—|–)\s*")
_SEPARATORS = re.compile(r"[\s,，、;；]+")


def calendar_text(days: list[str]) -> str:
    """The stored days as parse_days reads them: runs of consecutive days as ranges, one a line."""
    dates = sorted(dt.date.fromisoformat(d) for d in days or ())
    runs: list[list[dt.date]] = []
    for day in dates:
        if runs and day - runs[-1][1] == dt.timedelta(days=1):
            runs[-1][1] = day
        else:
            runs.append([day, day])
    return "\n".join(
        a.isoformat() if a == b else f"{a.isoformat()}..{b.isoformat()}" for a, b in runs
    )


def parse_days(value: Any, field: str) -> list[str]:
    """The administrator's list of days: ISO dates (YYYY-MM-DD) and ranges of them
    ("2027-02-06..2027-02-13", also written with ~ or 至), one per line or separated by
    commas; or a list of such strings. Returns sorted ISO dates without repeats."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        text = _RANGE.sub("..", normalize.clean_text(value))  # full-width digits too
        parts = [p for p in _SEPARATORS.split(text) if p]
    elif isinstance(value, list | tuple):
        parts = [_RANGE.sub("..", normalize.clean_text(str(p))) for p in value if str(p).strip()]
    else:
        raise ValidationError({field: _("Enter dates as text, one per line.")})
    days: set[dt.date] = set()
    for part in parts:
        bounds = part.split("..")
        try:
            if len(bounds) > 2:
                raise ValueError
            first, last = (dt.date.fromisoformat(b) for b in (bounds[0], bounds[-1]))
        except ValueError:
            raise ValidationError(
                {
                    field: _("“%(value)s” is not a date (YYYY-MM-DD) or a range of dates.")
                    % {"value": part[:40]}
                }
            ) from None
        if not (FIRST_DATE <= first <= LAST_DATE and FIRST_DATE <= last <= LAST_DATE):
            raise ValidationError({field: date_range_message()})
        if last < first:
            raise ValidationError(
                {field: _("In “%(value)s” the end comes before the start.") % {"value": part}}
            )
        if (last - first).days >= MAX_RANGE_DAYS:
            raise ValidationError(
                {field: _("A range may span at most %(n)d days.") % {"n": MAX_RANGE_DAYS}}
            )
        days.update(first + dt.timedelta(days=k) for k in range((last - first).days + 1))
    if len(days) > MAX_CALENDAR_DAYS:
        raise ValidationError(
            {field: _("At most %(n)d days can be listed.") % {"n": MAX_CALENDAR_DAYS}}
        )
    return [d.isoformat() for d in sorted(days)]


def targets_for(priority: str) -> tuple[dt.timedelta, dt.timedelta]:
    row = SlaTarget.objects.filter(priority=priority).first()
    if row is not None:
        return row.first_response, row.resolution
    first, resolution = DEFAULT_TARGETS.get(priority, DEFAULT_TARGETS[Priority.NORMAL])
    return dt.timedelta(hours=first), dt.timedelta(hours=resolution)


def warning_horizon(now: dt.datetime) -> dt.datetime:
    """Targets before this moment are "due soon": the configured business hours ahead."""
    conf = service_settings()
    warn = dt.timedelta(hours=float(conf.due_soon_hours))
    return sla.add_business_time(now, warn, business_hours(conf)) if warn else now


def recompute_due(
    ticket: Ticket,
    hours: sla.BusinessHours | None = None,
    targets: dict[str, tuple[dt.timedelta, dt.timedelta]] | None = None,
) -> None:
    """Set first_response_due_at and resolution_due_at from the clock's start, the targets of
    the ticket's priority (from `targets` by priority when given: many tickets at once) and
    the business time paused so far."""
    hours = hours or business_hours()
    first, resolution = (targets or {}).get(ticket.priority) or targets_for(ticket.priority)
    created = ticket.created_at or timezone.now()
    started = ticket.sla_started_at or created
    if ticket.first_responded_at is None:
        ticket.first_response_due_at = sla.add_business_time(
            created, first + ticket.sla_paused, hours
        )
    ticket.resolution_due_at = sla.add_business_time(started, resolution + ticket.sla_paused, hours)
    # Targets moved: a flag that no longer holds is cleared; the SLA watch sets it again if due.
    if ticket.sla_alert and _nearest_due(ticket) > timezone.now():
        ticket.sla_alert = SlaAlert.NONE


def _nearest_due(ticket: Ticket) -> dt.datetime:
    due = [ticket.resolution_due_at]
    if ticket.first_responded_at is None:
        due.append(ticket.first_response_due_at)
    return min(d for d in due if d is not None)


# --- assignment -----------------------------------------------------------------------------


def _team_members(team_id: int) -> list[User]:
    members = User.objects.filter(team_id=team_id, is_active=True).select_related("role")
    return [u for u in members.order_by("id") if has_perm(u, "tickets", "change")]


def next_assignee(category: TicketCategory | None) -> tuple[User | None, Team | None]:
    """Round-robin within the team of the category's rule, else of the default rule.

    The rule row is locked while its counter advances, so concurrent tickets never get the same
    turn. Returns (None, None) when no rule applies or its team has nobody who can work tickets.
    """
    rules = AssignmentRule.objects.select_for_update().filter(is_active=True)
    rule = None
    if category is not None:
        rule = rules.filter(category=category).first()
    if rule is None:
        rule = rules.filter(category__isnull=True).first()
    if rule is None:
        return None, None
    members = _team_members(rule.team_id)
    if not members:
        return None, rule.team
    chosen = members[rule.counter % len(members)]
    AssignmentRule.objects.filter(pk=rule.pk).update(counter=F("counter") + 1)
    return chosen, rule.team


# --- create and edit ----------------------------------------------------------------------------


def _clean_text(ticket: Ticket) -> None:
    ticket.subject = " ".join((ticket.subject or "").split())
    ticket.description = (ticket.description or "").strip()
    if not ticket.subject:
        raise ValidationError({"subject": _("This field is required.")})
    if len(ticket.description) > MAX_BODY:
        raise ValidationError(
            {"description": _("Keep it under %(n)s characters.") % {"n": MAX_BODY}}
        )


def _check_assignee(actor: User | None, ticket: Ticket, previous: int | None) -> None:
    """Anyone active who may work tickets, among the users the actor may assign work to."""
    if ticket.assignee_id is None or ticket.assignee_id == previous:
        return
    users = User.objects.filter(pk=ticket.assignee_id, is_active=True)
    if actor is not None:
        users = users.filter(assignable_owner_q(actor))
    assignee = users.select_related("role").first()
    if assignee is None:
        raise ValidationError({"assignee": _("You cannot assign tickets to this user.")})
    if not has_perm(assignee, "tickets", "change"):
        raise ValidationError({"assignee": _("This user cannot work on tickets.")})


def _prepare(actor: User | None, ticket: Ticket, data: dict[str, Any], allowed, previous=None):
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValidationError({f: _("There is no such field.") for f in sorted(unknown)})
    old_category = ticket.category_id
    for field, value in data.items():
        setattr(ticket, field, value)
    _clean_text(ticket)
    if ticket.category_id is None:
        raise ValidationError({"category": _("This field is required.")})
    if not ticket.category.is_active and ticket.category_id != old_category:
        raise ValidationError({"category": _("This category is no longer in use.")})
    _check_assignee(actor, ticket, previous)
    ticket.full_clean(
        exclude=["customer", "category", "assignee", "created_by", "team"], validate_unique=False
    )


def _refresh_open_count(customer_id: int) -> None:
    aggregates.refresh_ticket_aggregates([customer_id])


def _create(actor: User | None, customer: Customer, data: dict[str, Any], source: str) -> Ticket:
    ticket = Ticket(customer=customer, source=source, created_by=actor if actor else None)
    _prepare(actor, ticket, data, [f for f in FIELDS if f != "customer"])
    if ticket.assignee_id is None:
        ticket.assignee, ticket.team = next_assignee(ticket.category)
    elif ticket.team_id is None:
        ticket.team_id = ticket.assignee.team_id
    now = timezone.now()
    ticket.created_at = now  # the SLA clock starts when the ticket is opened
    ticket.sla_started_at = now
    recompute_due(ticket)
    ticket.save()
    audit.record_create(actor=actor, instance=ticket, fields=AUDITED, customer_id=customer.pk)
    _refresh_open_count(customer.pk)
    return ticket


@transaction.atomic
def create_ticket(*, actor: User, data: dict[str, Any], source: str = TicketSource.WEB) -> Ticket:
    if not has_perm(actor, "tickets", "create"):
        raise PermissionDeniedError()
    data = dict(data)
    customer = data.pop("customer", None)
    if customer is None:
        raise ValidationError({"customer": _("This field is required.")})
    if customer.deleted_at is not None or not can_see(actor, customer):
        raise ValidationError({"customer": _("There is no such customer.")})
    return _create(actor, customer, data, source)


@transaction.atomic
def create_portal_ticket(*, customer: Customer, data: dict[str, Any]) -> Ticket:
    """Feedback a customer submits through their portal link (no staff user acts)."""
    allowed = {"kind", "category", "subject", "description"}
    unknown = set(data) - allowed
    if unknown:
        raise ValidationError({f: _("There is no such field.") for f in sorted(unknown)})
    if customer.deleted_at is not None:
        raise ValidationError({"customer": _("There is no such customer.")})
    return _create(None, customer, dict(data), TicketSource.PORTAL)


def _lock(ticket: Ticket) -> Ticket:
    return (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("customer", "category")
        .get(pk=ticket.pk)
    )


def _save(actor: User | None, locked: Ticket, before: dict[str, Any], **extra) -> Ticket:
    changes = audit.diff(before, audit.snapshot(locked, AUDITED))
    changes.update(extra)
    locked.version = F("version") + 1
    locked.save()
    locked.refresh_from_db()
    audit.record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=locked,
        changes=changes,
        customer_id=locked.customer_id,
    )
    return locked


def _require_change(actor: User, ticket: Ticket) -> None:
    if not has_perm(actor, "tickets", "change"):
        raise PermissionDeniedError()
    if not Ticket.objects.filter(ticket_visible_q(actor), pk=ticket.pk).exists():
        raise PermissionDeniedError()


@transaction.atomic
def link_article(*, actor: User, ticket: Ticket, article_id: Any, linked: bool = True) -> Ticket:
    """Link a knowledge-base article that answers the ticket (or unlink it). Only an article
    the actor may read can be linked; the change is in the ticket's history."""
    from guanxi.kb.selectors import article_list

    _require_change(actor, ticket)
    try:
        article_id = int(article_id)
    except (TypeError, ValueError):
        raise ValidationError({"article": _("There is no such article.")}) from None
    locked = _lock(ticket)
    before = sorted(locked.articles.values_list("pk", flat=True))
    if linked:
        if not article_list(user=actor).filter(pk=article_id).exists():
            raise ValidationError({"article": _("There is no such article.")})
        locked.articles.add(article_id)
    else:
        locked.articles.remove(article_id)
    after = sorted(locked.articles.values_list("pk", flat=True))
    if after != before:
        audit.record(
            actor=actor,
            action=AuditAction.UPDATE,
            instance=locked,
            changes={"articles": [before, after]},
            customer_id=locked.customer_id,
        )
    return locked


def suggested_articles(*, user: User, ticket: Ticket, limit: int = 5) -> list:
    """Published articles whose text holds the words of the ticket's subject, best first."""
    from guanxi.kb.models import ArticleStatus
    from guanxi.kb.selectors import article_list, search

    linked = set(ticket.articles.values_list("pk", flat=True))
    found = []
    published = article_list(user=user).filter(status=ArticleStatus.PUBLISHED)
    for word in (ticket.subject or "").split()[:4] or [""]:
        for article in search(published, word)[: limit * 2] if word else []:
            if article.pk not in linked and article not in found:
                found.append(article)
    return found[:limit]


@transaction.atomic
def update_ticket(
    *, actor: User, ticket: Ticket, data: dict[str, Any], version: int | None
) -> Ticket:
    locked = _lock(ticket)
    check_version(locked, version)
    _require_change(actor, locked)
    before = audit.snapshot(locked, AUDITED)
    old_priority = locked.priority
    _prepare(actor, locked, data, EDITABLE, previous=locked.assignee_id)
    if locked.assignee_id and "assignee" in data and locked.assignee_id != before["assignee"]:
        locked.team_id = locked.assignee.team_id
    if locked.priority != old_priority and locked.is_open:
        recompute_due(locked)
    if not audit.diff(before, audit.snapshot(locked, AUDITED)):
        return locked
    return _save(actor, locked, before)


# --- status flow ------------------------------------------------------------------------------

S = TicketStatus
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "start": ((S.NEW,), S.IN_PROGRESS),
    "wait": ((S.NEW, S.IN_PROGRESS), S.WAITING),
    "resume": ((S.WAITING,), S.IN_PROGRESS),
    "resolve": ((S.NEW, S.IN_PROGRESS, S.WAITING), S.RESOLVED),
    "close": ((S.RESOLVED,), S.CLOSED),
    "reopen": ((S.RESOLVED, S.CLOSED), S.IN_PROGRESS),
}


def allowed_actions(ticket: Ticket) -> list[str]:
    return [name for name, (sources, _target) in TRANSITIONS.items() if ticket.status in sources]


def action_label(name: str) -> str:
    return {
        "start": _("Start work"),
        "wait": _("Wait on customer"),
        "resume": _("Resume"),
        "resolve": _("Resolve"),
        "close": _("Close"),
        "reopen": _("Reopen"),
    }[name]


def _unpause(ticket: Ticket, now: dt.datetime, hours: sla.BusinessHours) -> None:
    if ticket.paused_at is not None:
        ticket.sla_paused += sla.business_time_between(ticket.paused_at, now, hours)
        ticket.paused_at = None
        recompute_due(ticket, hours)


def _apply(ticket: Ticket, action: str, now: dt.datetime, hours: sla.BusinessHours) -> None:
    sources, target = TRANSITIONS[action]
    if ticket.status not in sources:
        raise ValidationError(
            {
                "status": _("A ticket that is “%(status)s” cannot be changed this way: %(action)s.")
                % {"status": ticket.get_status_display(), "action": action_label(action)}
            }
        )
    if action == "wait":
        ticket.paused_at = now
    else:
        _unpause(ticket, now, hours)
    if action == "resolve":
        ticket.resolved_at = now
        ticket.resolution_met = bool(ticket.resolution_due_at and now <= ticket.resolution_due_at)
        if ticket.first_responded_at is None:
            # Settled without a reply: late only if the first-response target had passed.
            ticket.first_response_met = bool(
                ticket.first_response_due_at and now <= ticket.first_response_due_at
            )
    elif action == "close":
        ticket.closed_at = now
    elif action == "reopen":
        ticket.resolved_at = None
        ticket.closed_at = None
        ticket.resolution_met = None
        ticket.sla_started_at = now
        ticket.sla_paused = dt.timedelta()
        ticket.sla_alert = SlaAlert.NONE
        recompute_due(ticket, hours)
    ticket.status = target
    if ticket.status not in OPEN_STATUSES:
        ticket.sla_alert = SlaAlert.NONE


def _after_status(actor: User | None, ticket: Ticket, action: str) -> None:
    from guanxi.followups import services as followups

    _refresh_open_count(ticket.customer_id)
    if action in ("resolve", "close"):
        followups.settle_ticket_tasks(ticket_id=ticket.pk)
    if action == "resolve":
        request_rating(ticket=ticket)
    elif action == "close":
        _schedule_followup(actor, ticket)


@transaction.atomic
def change_status(
    *, actor: User, ticket: Ticket, action: str, version: int | None = None
) -> Ticket:
    if action not in TRANSITIONS:
        raise ValidationError({"action": _("There is no such action.")})
    locked = _lock(ticket)
    if version is not None:
        check_version(locked, version)
    _require_change(actor, locked)
    before = audit.snapshot(locked, AUDITED)
    _apply(locked, action, timezone.now(), business_hours())
    saved = _save(actor, locked, before)
    _after_status(actor, saved, action)
    return saved


# --- replies -----------------------------------------------------------------------------------


def _excerpt(body: str, size: int = 200) -> str:
    return body if len(body) <= size else body[: size - 1] + "…"


def _clean_body(body: Any) -> str:
    body = (str(body) if body is not None else "").strip()
    if not body:
        raise ValidationError({"body": _("This field is required.")})
    if len(body) > MAX_BODY:
        raise ValidationError({"body": _("Keep it under %(n)s characters.") % {"n": MAX_BODY}})
    return body


@transaction.atomic
def add_reply(*, actor: User, ticket: Ticket, body: Any, public: bool = True) -> TicketReply:
    """A staff reply (public: the customer sees it) or an internal note. The first public reply
    is the first response; on a new ticket it also starts the work."""
    body = _clean_body(body)
    locked = _lock(ticket)
    _require_change(actor, locked)
    if locked.status == TicketStatus.CLOSED:
        raise ValidationError({"body": _("This ticket is closed; reopen it to reply.")})
    reply = TicketReply.objects.create(
        ticket=locked, author=actor, body=body, is_public=bool(public), from_customer=False
    )
    before = audit.snapshot(locked, AUDITED)
    now = timezone.now()
    if public and locked.first_responded_at is None:
        locked.first_responded_at = now
        locked.first_response_met = bool(
            locked.first_response_due_at and now <= locked.first_response_due_at
        )
        if locked.status == TicketStatus.NEW:
            locked.status = TicketStatus.IN_PROGRESS
    # "replies" is the ticket's reverse relation: the history labels it in the reader's language.
    text = _excerpt(body) if public else f"({_('internal note')}) {_excerpt(body)}"
    _save(actor, locked, before, replies=[None, text])
    return reply


@transaction.atomic
def add_customer_reply(*, ticket: Ticket, body: Any) -> TicketReply:
    """A message from the customer through the portal; a ticket waiting on them resumes."""
    body = _clean_body(body)
    locked = _lock(ticket)
    if locked.status == TicketStatus.CLOSED:
        raise ValidationError({"body": _("This ticket is closed.")})
    reply = TicketReply.objects.create(
        ticket=locked, author=None, body=body, is_public=True, from_customer=True
    )
    before = audit.snapshot(locked, AUDITED)
    action = None
    if locked.status == TicketStatus.WAITING:
        action = "resume"
    elif locked.status == TicketStatus.RESOLVED:
        action = "reopen"
    if action:
        _apply(locked, action, timezone.now(), business_hours())
    _save(None, locked, before, replies=[None, _excerpt(body)])
    if action:
        _after_status(None, locked, action)
    return reply


# --- satisfaction -------------------------------------------------------------------------------


def rating_token(ticket: Ticket) -> str:
    return signing.dumps({"t": ticket.pk}, salt=RATING_SALT, compress=True)


def ticket_for_rating(token: str) -> Ticket:
    """The ticket a rating link is for; Ticket.DoesNotExist for a bad, old or foreign link."""
    try:
        data = signing.loads(token, salt=RATING_SALT, max_age=RATING_MAX_AGE.total_seconds())
        pk = int(data["t"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise Ticket.DoesNotExist from None
    return Ticket.objects.select_related("customer").get(pk=pk, customer__deleted_at__isnull=True)


def rating_url(ticket: Ticket) -> str:
    return settings.PUBLIC_BASE_URL.rstrip("/") + reverse(
        "portal:rate", args=[rating_token(ticket)]
    )


def customer_email(customer: Customer) -> str:
    point = (
        customer.contact_points.filter(kind=ContactPointKind.EMAIL)
        .order_by("-is_primary", "id")
        .values_list("value", flat=True)
        .first()
    )
    return point or ""


def request_rating(*, ticket: Ticket) -> bool:
    """Ask the customer to rate a resolved ticket: by e-mail when they have an address (after
    the transaction commits); otherwise the link waits on the ticket page for the assignee.
    Returns whether an e-mail will be sent."""
    Ticket.objects.filter(pk=ticket.pk).update(rating_requested_at=timezone.now())
    email = customer_email(ticket.customer)
    if not email:
        return False
    url, subject_line, pk = rating_url(ticket), ticket.subject, ticket.pk

    def send() -> None:
        # In Chinese, with the English text below (as the survey e-mails): the English link
        # opens the rating page in English.
        with translation.override(settings.LANGUAGE_CODE):
            subject = _("How did we do? Ticket #%(id)s") % {"id": pk}
        parts = []
        for language, link in (("zh-hans", url), ("en", url + "?lang=en")):
            with translation.override(language):
                parts.append(
                    "\n".join(
                        [
                            _("Your request “%(subject)s” has been resolved.")
                            % {"subject": subject_line},
                            _("Please tell us how satisfied you are (1 to 5):"),
                            link,
                        ]
                    )
                )
        text = "\n\n".join(parts)
        try:
            send_mail(subject, text, None, [email])
        except Exception:  # a broken mailer must not undo the resolution
            log.exception("could not send the rating request for ticket %s", pk)

    transaction.on_commit(send)
    return True


@transaction.atomic
def rate_ticket(*, ticket: Ticket, rating: Any, comment: Any = "") -> Ticket:
    """The customer's satisfaction with a resolved or closed ticket; given once."""
    locked = _lock(ticket)
    if locked.status not in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
        raise ValidationError({"rating": _("This ticket is not resolved yet.")})
    if locked.rated_at is not None:
        raise ValidationError({"rating": _("You have already rated this ticket. Thank you!")})
    try:
        value = int(rating)
    except (TypeError, ValueError):
        raise ValidationError({"rating": _("Choose a rating from 1 to 5.")}) from None
    if isinstance(rating, bool) or not 1 <= value <= 5:
        raise ValidationError({"rating": _("Choose a rating from 1 to 5.")})
    comment = (str(comment) if comment is not None else "").strip()
    if len(comment) > 2000:
        raise ValidationError({"comment": _("Keep it under %(n)s characters.") % {"n": 2000}})
    before = audit.snapshot(locked, AUDITED)
    locked.rating, locked.rating_comment, locked.rated_at = value, comment, timezone.now()
    return _save(None, locked, before)


# --- follow-up after closing -------------------------------------------------------------------


def _task_customer(assignee: User, ticket: Ticket) -> Customer | None:
    """The customer a task about the ticket names: none when the assignee works the ticket
    without seeing its customer (a team lead, say); the title names the ticket."""
    return ticket.customer if can_see(assignee, ticket.customer) else None


def _schedule_followup(actor: User | None, ticket: Ticket) -> None:
    """A follow-up task for the assignee N days after closing (settings.followup_days)."""
    from guanxi.followups import services as followups

    assignee = ticket.assignee or actor
    if assignee is None:
        return
    days = service_settings().followup_days
    data = {
        "customer": _task_customer(assignee, ticket),
        "kind": "follow_up",
        "title": (_("Follow-up check: ticket #%(id)s") % {"id": ticket.pk} + " " + ticket.subject)[
            :200
        ],
        "notes": _("Ask the customer whether the solution still works."),
        "assignee": assignee,
        "due_at": (ticket.closed_at or timezone.now()) + dt.timedelta(days=days),
    }
    # The assignee creates their own reminder; whoever closed it does if the assignee may not.
    for creator in (assignee, actor):
        if creator is None:
            continue
        try:
            with transaction.atomic():
                followups.create_task(actor=creator, data=data)
            return
        except (PermissionDeniedError, ValidationError):
            continue
    log.warning("no follow-up task could be created for ticket %s", ticket.pk)


# --- SLA watch ------------------------------------------------------------------------------------

WATCH_BATCH = 500


def check_sla(*, now: dt.datetime | None = None) -> int:
    """Mark open tickets (not waiting on the customer) whose next target is within the warning
    window as due soon, and those past it as breached; tell the assignee once per level with a
    task. Returns how many tickets changed level."""
    from django.db.models import Q

    now = now or timezone.now()
    running = (TicketStatus.NEW, TicketStatus.IN_PROGRESS)
    horizon = warning_horizon(now)
    candidates = (
        Ticket.objects.filter(status__in=running)
        .exclude(sla_alert=SlaAlert.BREACHED)
        .filter(
            Q(first_responded_at__isnull=True, first_response_due_at__lte=horizon)
            | Q(resolution_due_at__lte=horizon)
        )
        .select_related("customer", "assignee")
        .order_by("id")[:WATCH_BATCH]
    )
    changed = 0
    for ticket in candidates:
        nearest = _nearest_due(ticket)
        level = SlaAlert.BREACHED if nearest <= now else SlaAlert.DUE_SOON
        if level == ticket.sla_alert:
            continue
        with transaction.atomic():
            updated = Ticket.objects.filter(pk=ticket.pk, sla_alert=ticket.sla_alert).update(
                sla_alert=level
            )
            if not updated:
                continue  # another worker got there first
            audit.record(
                actor=None,
                action=AuditAction.UPDATE,
                instance=ticket,
                changes={"sla_alert": [ticket.sla_alert, level]},
                customer_id=ticket.customer_id,
            )
            _notify_sla(ticket, level, nearest)
        changed += 1
    return changed


def _notify_sla(ticket: Ticket, level: str, due: dt.datetime) -> None:
    from guanxi.followups import services as followups

    assignee = ticket.assignee
    if assignee is None or not assignee.is_active:
        return
    language = assignee.language or settings.LANGUAGE_CODE
    with translation.override(language):
        if level == SlaAlert.BREACHED:
            title = _("SLA breached: ticket #%(id)s") % {"id": ticket.pk}
        else:
            title = _("SLA due soon: ticket #%(id)s") % {"id": ticket.pk}
        title = f"{title} {ticket.subject}"[:200]
    try:
        with transaction.atomic():
            task = followups.create_task(
                actor=assignee,
                data={
                    "customer": _task_customer(assignee, ticket),
                    "kind": "other",
                    "title": title,
                    "assignee": assignee,
                    "due_at": max(due, timezone.now()),
                    "priority": "urgent" if level == SlaAlert.BREACHED else "high",
                },
            )
            followups.link_to_ticket(task, ticket.pk)
    except (PermissionDeniedError, ValidationError):
        # The in-app flag on the ticket (sla_alert) still shows it in the list.
        log.info("no SLA task for ticket %s: the assignee may not create tasks", ticket.pk)


# --- administration ---------------------------------------------------------------------------


def _admin_save(actor: User, obj, data: dict[str, Any], allowed, version):
    require_admin(actor)
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValidationError({f: _("There is no such field.") for f in sorted(unknown)})
    model = type(obj)
    if obj.pk:
        obj = model.objects.select_for_update().get(pk=obj.pk)
        check_version(obj, version)
    before = audit.snapshot(obj, allowed) if obj.pk else None
    for field, value in data.items():
        setattr(obj, field, value)
    obj.full_clean(validate_unique=True)
    if before is None:
        obj.save()
        audit.record_create(actor=actor, instance=obj, fields=allowed)
        return obj
    changes = audit.diff(before, audit.snapshot(obj, allowed))
    if not changes:
        return obj
    obj.version = F("version") + 1
    obj.save()
    obj.refresh_from_db()
    audit.record(actor=actor, action=AuditAction.UPDATE, instance=obj, changes=changes)
    return obj


@transaction.atomic
def save_category(
    *, actor: User, category: TicketCategory | None, data: dict[str, Any], version=None
) -> TicketCategory:
    data = dict(data)
    for key in ("name", "name_zh", "code"):
        if key in data:
            data[key] = " ".join(str(data[key] or "").split())
    return _admin_save(
        actor,
        category or TicketCategory(),
        data,
        ("code", "name", "name_zh", "is_active", "position"),
        version,
    )


@transaction.atomic
def save_sla_target(*, actor: User, priority: str, data: dict[str, Any], version=None) -> SlaTarget:
    if priority not in Priority.values:
        raise ValidationError({"priority": _("There is no such priority.")})
    target = SlaTarget.objects.filter(priority=priority).first() or SlaTarget(priority=priority)
    data = dict(data)
    first = data.get("first_response_hours", target.first_response_hours)
    resolution = data.get("resolution_hours", target.resolution_hours)
    if first is not None and resolution is not None and first > resolution:
        raise ValidationError(
            {"resolution_hours": _("The resolution target cannot come before the first response.")}
        )
    return _admin_save(actor, target, data, ("first_response_hours", "resolution_hours"), version)


@transaction.atomic
def save_settings(*, actor: User, data: dict[str, Any], version=None) -> ServiceSettings:
    import zoneinfo

    conf = service_settings()
    zone = data.get("time_zone", conf.time_zone)
    try:
        zoneinfo.ZoneInfo(str(zone))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError({"time_zone": _("This is not a known time zone.")}) from None
    start, end = data.get("work_start", conf.work_start), data.get("work_end", conf.work_end)
    if start and end and start >= end:
        raise ValidationError({"work_end": _("The end must come after the start.")})
    data = dict(data)
    for name in ("days_off", "workdays"):
        if name in data:
            data[name] = parse_days(data[name], name)
    both = set(data.get("days_off", conf.days_off)) & set(data.get("workdays", conf.workdays))
    if both:
        raise ValidationError(
            {"workdays": _("%(day)s is also listed as a day off.") % {"day": min(both)}}
        )
    clock = {name: getattr(conf, name) for name in BUSINESS_TIME_FIELDS}
    saved = _admin_save(
        actor,
        conf,
        data,
        (
            "work_start",
            "work_end",
            "time_zone",
            "due_soon_hours",
            "followup_days",
            "days_off",
            "workdays",
        ),
        version,
    )
    if any(getattr(saved, name) != before for name, before in clock.items()):
        recompute_open_tickets(business_hours(saved))
    return saved


# What business time is counted by: a change moves the targets of the tickets still open.
BUSINESS_TIME_FIELDS = ("work_start", "work_end", "time_zone", "days_off", "workdays")


def recompute_open_tickets(hours: sla.BusinessHours, *, batch: int = 1000) -> int:
    """The due moments of every open ticket again, from its own start and paused time, by the
    given business hours and calendar (e.g. a holiday entered after the ticket was opened).
    Returns how many tickets' targets moved."""
    fields = ["first_response_due_at", "resolution_due_at", "sla_alert"]
    targets = {priority: targets_for(priority) for priority in Priority.values}
    moved = 0
    open_tickets = Ticket.objects.filter(status__in=OPEN_STATUSES).only(
        "pk", "priority", "created_at", "sla_started_at", "sla_paused", "first_responded_at",
        *fields,
    )  # fmt: skip
    for chunk in bulk.keyset_batches(open_tickets, batch):
        changed = []
        for ticket in chunk:
            before = tuple(getattr(ticket, f) for f in fields)
            recompute_due(ticket, hours, targets)
            if tuple(getattr(ticket, f) for f in fields) != before:
                changed.append(ticket)
        Ticket.objects.bulk_update(changed, fields)
        moved += len(changed)
    return moved


@transaction.atomic
def save_rule(
    *, actor: User, rule: AssignmentRule | None, data: dict[str, Any], version=None
) -> AssignmentRule:
    rule = rule or AssignmentRule()
    category = data.get("category", rule.category if rule.pk else None)
    clash = AssignmentRule.objects.exclude(pk=rule.pk)
    clash = clash.filter(category=category) if category else clash.filter(category__isnull=True)
    if clash.exists():
        raise ValidationError(
            {"category": _("There is already a rule for this category.")}
            if category
            else {"category": _("There is already a default rule.")}
        )
    return _admin_save(actor, rule, data, ("category", "team", "is_active"), version)


@transaction.atomic
def delete_rule(*, actor: User, rule: AssignmentRule) -> None:
    require_admin(actor)
    audit.record(
        actor=actor,
        action=AuditAction.DELETE,
        instance=rule,
        changes={"team": [rule.team_id, None], "category": [rule.category_id, None]},
    )
    rule.delete()
