"""Reading tickets: each read takes the acting user and returns only what they may see."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Avg, Count, Q, QuerySet
from django.utils import timezone

from guanxi.accounts.models import User
from guanxi.accounts.policies import has_perm
from guanxi.accounts.selectors import team_and_below_ids
from guanxi.customers.models import Customer

from .models import OPEN_STATUSES, Ticket, TicketReply, TicketStatus
from .periods import month_bucket, month_window
from .policies import ticket_visible_q

BREACH_FILTERS = ("breached", "due_soon", "at_risk")


def ticket_list(*, user: User) -> QuerySet[Ticket]:
    if not has_perm(user, "tickets", "view"):
        return Ticket.objects.none()
    return Ticket.objects.filter(ticket_visible_q(user))


def ticket_get(*, user: User, pk: Any) -> Ticket:
    """One ticket the user may see; Ticket.DoesNotExist otherwise (a 404 to every adapter)."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Ticket.DoesNotExist from None
    return (
        ticket_list(user=user)
        .select_related("customer", "assignee", "category", "team", "created_by")
        .get(pk=pk)
    )


def breach_q(kind: str, now: dt.datetime | None = None) -> Q:
    """Tickets whose clock runs (not waiting on the customer) and that are past a target
    ("breached"), within the warning window before one ("due_soon"), or either ("at_risk")."""
    from .services import warning_horizon

    now = now or timezone.now()
    running = Q(status__in=(TicketStatus.NEW, TicketStatus.IN_PROGRESS))

    def before(moment: dt.datetime) -> Q:
        return Q(first_responded_at__isnull=True, first_response_due_at__lt=moment) | Q(
            resolution_due_at__lt=moment
        )

    if kind == "breached":
        return running & before(now)
    soon = before(warning_horizon(now))
    if kind == "due_soon":
        return running & soon & ~before(now)
    return running & soon


def filtered(
    *, user: User, params: dict[str, Any], now: dt.datetime | None = None
) -> QuerySet[Ticket]:
    """The list with the filters of the list page and the API (unknown values are ignored by the
    form / filter set before they get here)."""
    qs = ticket_list(user=user)
    if params.get("status") == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif params.get("status"):
        qs = qs.filter(status=params["status"])
    if params.get("kind"):
        qs = qs.filter(kind=params["kind"])
    if params.get("priority"):
        qs = qs.filter(priority=params["priority"])
    if params.get("category"):
        qs = qs.filter(category_id=params["category"])
    if params.get("assignee"):
        qs = qs.filter(assignee_id=params["assignee"])
    if params.get("mine"):
        qs = qs.filter(assignee_id=user.pk)
    if params.get("customer"):
        qs = qs.filter(customer_id=params["customer"])
    if params.get("breach") in BREACH_FILTERS:
        qs = qs.filter(breach_q(params["breach"], now))
    return qs


def public_replies(ticket: Ticket) -> QuerySet[TicketReply]:
    return ticket.replies.filter(is_public=True).select_related("author")


def replies(*, user: User, ticket: Ticket) -> QuerySet[TicketReply]:
    """Every reply and note of a ticket the user may see (the caller got it from ticket_get)."""
    return ticket.replies.select_related("author")


def customer_tickets(*, user: User, customer: Customer, limit: int = 5) -> list[Ticket]:
    """The latest tickets of one customer for its 360° page (one query)."""
    return list(
        ticket_list(user=user)
        .filter(customer_id=customer.pk)
        .select_related("category", "assignee")
        .order_by("-created_at", "-id")[:limit]
    )


def dashboard_ticket_stats(
    user: User, *, date_from: dt.date, date_to: dt.date, team=None
) -> list[dict[str, Any]]:
    """Ticket volume and SLA attainment per month, over the tickets the user may see, opened
    from `date_from` to `date_to` (inclusive, in the server's time zone), optionally of one team
    (a Team or its id) and the teams below it. Months are those of the current time zone.

    One row per month that has tickets, oldest first::

        {"month": date(2025, 10, 1), "opened": 12, "resolved": 9,
         "first_response_met": 8, "first_response_measured": 10,
         "first_response_rate": 0.8, "resolution_met": 7, "resolution_rate": 0.78,
         "average_rating": 4.2}

    Rates are None when nothing was measured in the month. One grouped query.
    """
    if date_to < date_from:
        return []
    months, start, end = month_window(date_from, date_to)
    qs = ticket_list(user=user).filter(created_at__gte=start, created_at__lt=end)
    if team is not None:
        qs = qs.filter(team_id__in=team_and_below_ids(team))
    rows = (
        qs.annotate(bucket=month_bucket("created_at", months))
        .values("bucket")
        .annotate(
            opened=Count("id"),
            resolved=Count("id", filter=Q(resolved_at__isnull=False)),
            n_fr_met=Count("id", filter=Q(first_response_met=True)),
            n_fr=Count("id", filter=Q(first_response_met__isnull=False)),
            n_res_met=Count("id", filter=Q(resolution_met=True)),
            n_res=Count("id", filter=Q(resolution_met__isnull=False)),
            average_rating=Avg("rating"),
        )
        .order_by("bucket")
    )
    out = []
    for row in rows:
        if not row["opened"]:
            continue  # one month only: the constant bucket leaves no GROUP BY, so no rows → one
        month = months[row["bucket"]]
        fr_n, res_n = row["n_fr"], row["n_res"]
        out.append(
            {
                "month": month.replace(day=1),
                "opened": row["opened"],
                "resolved": row["resolved"],
                "first_response_met": row["n_fr_met"],
                "first_response_measured": fr_n,
                "first_response_rate": round(row["n_fr_met"] / fr_n, 4) if fr_n else None,
                "resolution_met": row["n_res_met"],
                "resolution_measured": res_n,
                "resolution_rate": round(row["n_res_met"] / res_n, 4) if res_n else None,
                "average_rating": (
                    round(float(row["average_rating"]), 2)
                    if row["average_rating"] is not None
                    else None
                ),
            }
        )
    return out


def linked_articles(*, user: User, ticket: Ticket):
    """The knowledge-base articles linked to a ticket that the user may read."""
    from guanxi.kb.selectors import article_list

    return article_list(user=user).filter(tickets=ticket).order_by("title")
