"""Web pages of duplicate detection: the review queue, a pair side by side, the merge page with
a choice per field, undo, the thresholds, and the check shown on the customer form.

Adapters: reads through selectors, writes through services."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from guanxi.accounts.policies import has_perm, is_admin, sees_contact_details
from guanxi.core import keyset
from guanxi.core.errors import ConflictError, PermissionDeniedError
from guanxi.core.web import ServiceForm, ServiceFormView, display_value
from guanxi.customers import selectors as customer_selectors
from guanxi.customers.masking import mask_text, present
from guanxi.customers.models import Customer

from . import policies, scoring, selectors, services
from .models import DuplicatePair, PairStatus

STATUS_TABS = {
    PairStatus.OPEN: gettext_lazy("To review"),
    PairStatus.DISMISSED: gettext_lazy("Not duplicates"),
    PairStatus.MERGED: gettext_lazy("Merged"),
}

# Which rows of the side-by-side view a reason concerns.
REASON_FIELDS = {
    "same_identity_code": "identity_code",
    "near_identity_code": "identity_code",
    "different_identity_code": "identity_code",
    "same_credit_code": "credit_code",
    "different_credit_code": "credit_code",
    "same_phone": "phones",
    "same_email": "emails",
    "names_alike": "names",
    "names_differ": "names",
    "pinyin_alike": "names",
    "same_birthday": "birthday",
    "birthday_swapped": "birthday",
    "birthday_typo": "birthday",
    "different_birthday": "birthday",
    "same_postcode": "address",
    "near_postcode": "address",
    "same_city": "address",
    "same_street": "address",
    "different_kind": "kind",
}


def _forbidden(request: HttpRequest, message: str | None = None, back: str = "") -> HttpResponse:
    context = {"message": message or PermissionDeniedError().message, "back_url": back}
    return render(request, "core/forbidden.html", context, status=403)


# --- the queue --------------------------------------------------------------------------------


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    if not has_perm(request.user, "customers", "view"):
        raise PermissionDenied
    status = request.GET.get("status", PairStatus.OPEN)
    if status not in STATUS_TABS:
        status = PairStatus.OPEN
    settings = services.get_settings()
    likely_only = request.GET.get("likely") == "1"
    qs = selectors.pair_list(
        user=request.user,
        status=status,
        min_score=settings.likely_threshold if likely_only else None,
    )
    web_page = keyset.paginate_request(request, qs, sort="-score")
    if web_page.reset:
        messages.warning(request, _("That page link is out of date; here is the first page."))
    rows = [
        {
            "pair": pair,
            "likely": pair.score >= settings.likely_threshold,
            "reasons": scoring.public_reasons(pair.reasons)[:4],
        }
        for pair in web_page.rows
    ]
    context = {
        "tabs": [(key, label) for key, label in STATUS_TABS.items()],
        "status": status,
        "likely_only": likely_only,
        "rows": rows,
        "next_url": web_page.next_url,
        "previous_url": web_page.previous_url,
        "settings": settings,
        "may_scan": policies.may_scan(request.user),
        "may_configure": is_admin(request.user),
    }
    return render(request, "dedup/queue.html", context)


@login_required
@require_POST
def start_scan(request: HttpRequest) -> HttpResponse:
    try:
        services.start_scan(actor=request.user)
    except PermissionDeniedError as exc:
        return _forbidden(request, exc.message, reverse("dedup:queue"))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return HttpResponseRedirect(reverse("dedup:queue"))
    messages.success(
        request,
        _("The scan has started; new pairs appear here when it is done (see Jobs for progress)."),
    )
    return HttpResponseRedirect(reverse("dedup:queue"))


# --- one pair ---------------------------------------------------------------------------------


@dataclass
class Row:
    key: str
    label: str
    a: str
    b: str
    highlight: bool = False


def _contact_text(user, customer: Customer, kinds: tuple[str, ...]) -> str:
    values = [
        present(user, p.kind, p.value) for p in customer.contact_points.all() if p.kind in kinds
    ]
    return "\n".join(values) or "—"


def _address_text(user, customer: Customer) -> str:
    lines = []
    for a in customer.addresses.all():
        street = present(user, "street", a.street)
        parts = [a.province, a.city, a.district, street, a.postcode]
        lines.append(" ".join(p for p in parts if p))
    return "\n".join(lines) or "—"


def _side_by_side(user, a: Customer, b: Customer, reasons: list[dict]) -> list[Row]:
    hot = {REASON_FIELDS.get(r["code"]) for r in reasons}
    identity = (lambda v: v) if sees_contact_details(user) else mask_text

    def names(c: Customer) -> str:
        return "\n".join(n for n in (c.display_name, c.legal_name, c.short_name, *c.aliases) if n)

    def field(name: str, c: Customer) -> str:
        f = Customer._meta.get_field(name)
        value = getattr(c, name)
        if f.choices:
            value = getattr(c, f"get_{name}_display")()
        return display_value(None, value)

    def label(name: str) -> str:
        return str(Customer._meta.get_field(name).verbose_name)

    def phones(c: Customer) -> str:
        return _contact_text(user, c, ("mobile", "phone"))

    def emails(c: Customer) -> str:
        return _contact_text(user, c, ("email",))

    spec = [
        ("names", _("Names"), names),
        ("kind", label("kind"), lambda c: field("kind", c)),
        ("phones", _("Phones"), phones),
        ("emails", _("E-mail"), emails),
        ("address", _("Addresses"), lambda c: _address_text(user, c)),
        ("birthday", label("birthday"), lambda c: field("birthday", c)),
        ("identity_code", label("identity_code"), lambda c: identity(c.identity_code) or "—"),
        ("credit_code", label("credit_code"), lambda c: field("credit_code", c)),
        ("owner", label("owner"), lambda c: display_value(None, c.owner)),
        ("team", label("team"), lambda c: display_value(None, c.team)),
        ("order_count", label("order_count"), lambda c: str(c.order_count)),
        ("created_at", label("created_at"), lambda c: display_value(None, c.created_at)),
    ]
    rows = [Row(key, text, get(a), get(b)) for key, text, get in spec]
    for row in rows:
        row.highlight = row.key in hot
    return rows


def _pair(request: HttpRequest, pk: int) -> DuplicatePair:
    try:
        return selectors.pair_get(user=request.user, pk=pk)
    except DuplicatePair.DoesNotExist:
        raise Http404 from None


@login_required
def pair_detail(request: HttpRequest, pk: int) -> HttpResponse:
    pair = _pair(request, pk)
    # Through the gate, although the pair's selector already checked both are visible.
    both = {
        c.pk: c
        for c in customer_selectors.customer_list(user=request.user)
        .filter(pk__in=[pair.customer_a_id, pair.customer_b_id])
        .select_related("owner", "team")
        .prefetch_related("contact_points", "addresses")
    }
    if len(both) != 2:
        raise Http404
    a, b = both[pair.customer_a_id], both[pair.customer_b_id]
    settings = services.get_settings()
    context = {
        "pair": pair,
        "a": a,
        "b": b,
        "likely": pair.score >= settings.likely_threshold,
        "reasons": scoring.public_reasons(pair.reasons),
        "rows": _side_by_side(request.user, a, b, pair.reasons),
        "may_decide": pair.status == PairStatus.OPEN and policies.may_decide(request.user, pair),
    }
    return render(request, "dedup/pair.html", context)


@login_required
@require_POST
def dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    pair = _pair(request, pk)
    try:
        services.dismiss_pair(actor=request.user, pair=pair, version=request.POST.get("version"))
    except PermissionDeniedError as exc:
        return _forbidden(request, exc.message, reverse("dedup:pair", args=[pk]))
    except ConflictError as exc:
        messages.warning(request, exc.message)
        return HttpResponseRedirect(reverse("dedup:pair", args=[pk]))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return HttpResponseRedirect(reverse("dedup:pair", args=[pk]))
    messages.success(request, _("Marked as not a duplicate; later scans will not raise it again."))
    return HttpResponseRedirect(reverse("dedup:queue"))


# --- merge ------------------------------------------------------------------------------------


def _customer_or_404(request: HttpRequest, pk: Any) -> Customer:
    try:
        return (
            customer_selectors.customer_list(user=request.user)
            .select_related("owner", "team", "referred_by")
            .get(pk=customer_selectors._customer_pk(pk))
        )
    except Customer.DoesNotExist:
        raise Http404 from None


def _value_text(customer: Customer, name: str, user) -> str:
    field = Customer._meta.get_field(name)
    value = getattr(customer, name)
    if field.choices:
        value = getattr(customer, f"get_{name}_display")()
    if name == "identity_code" and not sees_contact_details(user):
        value = mask_text(value)
    if name == "custom_fields":
        value = ", ".join(f"{k}: {v}" for k, v in (value or {}).items())
    return display_value(None, value)


def _relation_counts(customer: Customer) -> list[tuple[str, int]]:
    out = []
    for model, field in services._reverse_relations():
        count = model._base_manager.filter(**{field.attname: customer.pk}).count()
        if count:
            out.append((_relation_name(model), count))
    return out


def _relation_name(model) -> str:
    """What the rows of `model` are to a reader; a many-to-many table Django made (whose own
    name is English only, "customer-tag relationships") is named after its field: "tags"."""
    if model._meta.auto_created:
        for field in model._meta.auto_created._meta.many_to_many:
            if field.remote_field.through is model:
                return str(field.verbose_name)
    return str(model._meta.verbose_name_plural)


@login_required
def merge(request: HttpRequest) -> HttpResponse:
    """GET ?survivor=&loser=: both records, field by field, with a choice where they differ.
    POST: merge."""
    source = request.POST if request.method == "POST" else request.GET
    if not has_perm(request.user, "customers", "change"):
        return _forbidden(request)
    survivor = _customer_or_404(request, source.get("survivor"))
    loser = _customer_or_404(request, source.get("loser"))
    back = reverse("dedup:queue")
    if survivor.pk == loser.pk:
        messages.error(request, _("A customer cannot be merged with itself."))
        return HttpResponseRedirect(back)
    errors: list[str] = []
    if request.method == "POST":
        choices = {
            name: request.POST.get(f"choice_{name}")
            for name in services.MERGE_FIELDS
            if request.POST.get(f"choice_{name}")
        }
        try:
            done = services.merge_customers(
                actor=request.user,
                survivor=survivor,
                loser=loser,
                choices=choices,
                survivor_version=request.POST.get("survivor_version"),
                loser_version=request.POST.get("loser_version"),
            )
        except PermissionDeniedError as exc:
            return _forbidden(request, exc.message, back)
        except ConflictError as exc:
            errors.append(exc.message)
            survivor.refresh_from_db()
            loser.refresh_from_db()
        except ValidationError as exc:
            errors.extend(exc.messages)
        else:
            messages.success(
                request,
                _("%(loser)s was merged into %(survivor)s.")
                % {"loser": loser.display_name, "survivor": survivor.display_name},
            )
            request.session["dedup_last_merge"] = done.pk
            return HttpResponseRedirect(reverse("dedup:merge_done", args=[done.pk]))
    elif not (policies.may_merge(request.user, survivor, loser)):
        return _forbidden(request, back=back)
    fields = []
    for name in services.MERGE_FIELDS:
        a, b = _value_text(survivor, name, request.user), _value_text(loser, name, request.user)
        chosen = request.POST.get(f"choice_{name}") or (
            "loser" if a == "—" and b != "—" else "survivor"
        )
        fields.append(
            {
                "name": name,
                "label": Customer._meta.get_field(name).verbose_name,
                "survivor": a,
                "loser": b,
                "differs": a != b,
                "chosen": chosen,
            }
        )
    context = {
        "survivor": survivor,
        "loser": loser,
        "fields": fields,
        "errors": errors,
        "moves": _relation_counts(loser),
        "swap_url": f"{reverse('dedup:merge')}?survivor={loser.pk}&loser={survivor.pk}",
    }
    return render(request, "dedup/merge.html", context, status=400 if errors else 200)


@login_required
def merge_done(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        done = selectors.merge_get(user=request.user, pk=pk)
    except services.Merge.DoesNotExist:
        raise Http404 from None
    return render(request, "dedup/merge_done.html", {"merge": done})


@login_required
@require_POST
def undo(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        done = selectors.merge_get(user=request.user, pk=pk)
    except services.Merge.DoesNotExist:
        raise Http404 from None
    try:
        services.undo_merge(actor=request.user, merge=done)
    except PermissionDeniedError as exc:
        return _forbidden(request, exc.message, reverse("dedup:merge_done", args=[pk]))
    except (ConflictError, ValidationError) as exc:
        text = exc.message if isinstance(exc, ConflictError) else " ".join(exc.messages)
        messages.error(request, text)
        return HttpResponseRedirect(reverse("dedup:merge_done", args=[pk]))
    messages.success(request, _("The merge was undone; both customers are back as they were."))
    return HttpResponseRedirect(reverse("customers:detail", args=[done.loser_id]))


# --- the check on the customer form -------------------------------------------------------------


def _form_data(post) -> dict[str, Any]:
    """The customer form's fields as the data of a create (for the check only)."""
    data: dict[str, Any] = {
        k: post.get(k, "")
        for k in ("kind", "display_name", "legal_name", "short_name", "credit_code", "birthday")
    }
    data["aliases"] = [a.strip() for a in post.get("aliases", "").replace("，", ",").split(",")]
    points, addresses = [], []
    for i in range(min(int(post.get("contact_points-TOTAL_FORMS") or 0), 20)):
        points.append(
            {
                "kind": post.get(f"contact_points-{i}-kind", ""),
                "value": post.get(f"contact_points-{i}-value", ""),
            }
        )
    for i in range(min(int(post.get("addresses-TOTAL_FORMS") or 0), 20)):
        addresses.append(
            {
                k: post.get(f"addresses-{i}-{k}", "")
                for k in ("street", "district", "city", "postcode")
            }
        )
    data["contact_points"], data["addresses"] = points, addresses
    return data


@login_required
@require_POST
def check(request: HttpRequest) -> HttpResponse:
    """The htmx fragment under the customer form: possible duplicates as the user types."""
    exclude = request.POST.get("_dedup_customer") or None
    try:
        data = _form_data(request.POST)
    except ValueError:
        data = {}
    try:
        matches = services.check_duplicates(
            actor=request.user,
            data=data,
            exclude_id=int(exclude) if exclude and exclude.isdecimal() else None,
        )
    except (ValidationError, PermissionDeniedError, ValueError):
        matches = []
    return render(request, "dedup/_form_matches.html", {"matches": matches, "confirm": False})


def before_save(view, data: dict[str, Any], exclude_id: int | None = None) -> None:
    """The hook the customer form calls before saving: when likely duplicates exist and the
    user has not confirmed, the save stops with a message and the list of matches (shown by
    dedup/_form_check.html); "Save anyway" sends `_save_anyway`."""
    request = view.request
    if request.POST.get("_save_anyway"):
        return
    matches = services.check_duplicates(actor=request.user, data=data, exclude_id=exclude_id)
    view.dedup_matches = matches
    if any(m["refused"] for m in matches):
        # An exact duplicate (the same credit code, or a phone or e-mail made unique): the
        # customers service refuses it whatever the user confirms, with its own message;
        # asking "save anyway?" first would only hide that message.
        return
    view.dedup_confirm = any(m["likely"] for m in matches)
    if view.dedup_confirm:
        raise ValidationError(
            _(
                "This customer probably exists already (see the possible duplicates below). "
                "Open the existing record, or save anyway."
            )
        )


# --- thresholds -------------------------------------------------------------------------------


class ThresholdsForm(ServiceForm):
    review_threshold = forms.FloatField(
        label=gettext_lazy("Review threshold"),
        min_value=0.01,
        max_value=0.99,
        help_text=gettext_lazy("Pairs scoring at least this go to the review queue (0–1)."),
    )
    likely_threshold = forms.FloatField(
        label=gettext_lazy("Likely-duplicate threshold"),
        min_value=0.01,
        max_value=0.99,
        help_text=gettext_lazy(
            "From this score a pair is shown as a likely duplicate, and saving a customer that "
            "matches one asks for confirmation (0–1)."
        ),
    )


class SettingsView(ServiceFormView):
    template_name = "dedup/settings.html"
    form_class = ThresholdsForm

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated and not is_admin(request.user):
            return _forbidden(request)
        return super().dispatch(request, *args, **kwargs)

    def get_object(self):
        return services.get_settings()

    def get_initial(self, obj) -> dict[str, Any]:
        return {
            "review_threshold": obj.review_threshold,
            "likely_threshold": obj.likely_threshold,
            "version": obj.version,
        }

    def call_service(self, data: dict[str, Any], version: int | None):
        return services.update_settings(actor=self.request.user, data=data, version=version)

    def get_success_url(self, result) -> str:
        messages.success(self.request, _("The thresholds were saved."))
        return reverse("dedup:settings")
