"""The administrators' audit log page: an adapter over the selector, with filters."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanxi.accounts import selectors as account_selectors
from guanxi.accounts.policies import is_admin
from guanxi.core import keyset
from guanxi.core.validation import FIRST_DATE, LAST_DATE, date_range_message
from guanxi.core.web import DateInput, StyledForm

from . import selectors
from .models import AuditAction
from .presentation import present_events

PAGE_SIZE = 50


class AuditFilterForm(StyledForm):
    actor = forms.ModelChoiceField(label=_("By"), required=False, queryset=None)
    action = forms.ChoiceField(label=_("Action"), required=False)
    record_type = forms.CharField(
        label=_("Record type"),
        required=False,
        max_length=64,
        help_text=_("As the API names it, e.g. customers.customer, transfer.export."),
    )
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["actor"].queryset = account_selectors.user_list(user=user).order_by("username")
        self.fields["actor"].empty_label = _("Anyone")
        self.fields["action"].choices = [("", _("Any")), *AuditAction.choices]

    def clean(self):
        data = super().clean()
        for name in ("date_from", "date_to"):
            day = data.get(name)
            if day is not None and not FIRST_DATE <= day <= LAST_DATE:
                self.add_error(name, date_range_message())
        return data


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    """Every recorded change, newest first: who, from where, which record, what changed."""
    if not is_admin(request.user):
        raise PermissionDenied
    form = AuditFilterForm(request.GET or None, user=request.user)
    qs = selectors.audit_log(user=request.user)
    status = 200
    if form.is_bound and not form.is_valid():
        status = 400
    elif form.is_bound:
        data = form.cleaned_data
        if data.get("actor"):
            qs = qs.filter(actor=data["actor"])
        if data.get("action"):
            qs = qs.filter(action=data["action"])
        if data.get("record_type"):
            qs = qs.filter(object_type=data["record_type"].strip().lower())
        if data.get("date_from"):
            qs = qs.filter(at__gte=_day_start(data["date_from"]))
        if data.get("date_to"):
            qs = qs.filter(at__lt=_day_start(data["date_to"] + dt.timedelta(days=1)))
    page = keyset.paginate_request(request, qs, sort="-id", per_page=PAGE_SIZE)
    return render(
        request,
        "audit/log.html",
        {
            "form": form,
            "rows": present_events(request.user, page.page.rows),
            "next_url": page.next_url,
            "previous_url": page.previous_url,
        },
        status=status,
    )
