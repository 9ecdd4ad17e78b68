"""Create and edit pages: customers (with contact points, addresses, tags and custom fields),
contacts of organisations, interactions and notes; and moving a customer to the recycle bin.

Adapters over guanxi.core.web.ServiceFormView: records are read through selectors (a record
outside the user's scope is a 404) and written through services.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from guanxi.accounts.policies import sees_contact_details
from guanxi.core.errors import ConflictError, PermissionDeniedError
from guanxi.core.web import ServiceFormView, is_htmx_partial
from guanxi.customers.masking import present
from guanxi.dedup.views import before_save as dedup_before_save
from guanxi.interactions import selectors as interaction_selectors
from guanxi.interactions import services as interaction_services

from .. import selectors, services
from ..forms import (
    AddressFormSet,
    ContactForm,
    ContactPointFormSet,
    CustomerForm,
    InteractionForm,
    NoteForm,
    QuickInteractionForm,
)
from ..models import Customer
from ..policies import may


def _detail(pk: int) -> str:
    return reverse("customers:detail", args=[pk])


def _list_url() -> str:
    try:
        return reverse("customers:list")
    except NoReverseMatch:
        return reverse("home")


class _Guarded(ServiceFormView):
    """Refuses the page up front to a user who may see the record but not make this change,
    so that nobody fills in a form that cannot be saved."""

    def allowed(self) -> bool:
        return True

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        try:
            self.object = self.get_object()
        except ObjectDoesNotExist:
            raise Http404 from None
        if not self.allowed():
            return render(
                request,
                self.forbidden_template_name,
                {
                    "message": PermissionDeniedError().message,
                    "back_url": self.get_discard_url(),
                },
                status=403,
            )
        return super(ServiceFormView, self).dispatch(request, *args, **kwargs)


# --- customers --------------------------------------------------------------------------------


class CustomerFormView(_Guarded):
    template_name = "customers/form.html"
    form_class = CustomerForm
    formset_classes = {"contact_points": ContactPointFormSet, "addresses": AddressFormSet}

    def get_form_kwargs(self) -> dict[str, Any]:
        return {"user": self.request.user}

    def get_success_url(self, result: Customer) -> str:
        return _detail(result.pk)


class CustomerCreate(CustomerFormView):
    def allowed(self) -> bool:
        return may(self.request.user, "create")

    def get_initial(self, obj: Any) -> dict[str, Any]:
        kind = self.request.GET.get("kind")
        return {"kind": kind} if kind in ("person", "organisation") else {}

    def call_service(self, data: dict[str, Any], version: int | None) -> Customer:
        if data.get("owner") is None:
            data.pop("owner", None)
        dedup_before_save(self, data)  # likely duplicates: confirm first
        return services.create_customer(actor=self.request.user, data=data)

    def get_discard_url(self) -> str:
        return _list_url()


class CustomerEdit(CustomerFormView):
    @property
    def formset_classes(self) -> dict[str, Any]:  # type: ignore[override]
        # A role that sees contact details masked neither reads nor rewrites them here.
        if sees_contact_details(self.request.user):
            return CustomerFormView.formset_classes
        return {}

    def get_object(self) -> Customer:
        return selectors.customer_get(user=self.request.user, pk=self.kwargs["pk"])

    def allowed(self) -> bool:
        return may(self.request.user, "change", self.object)

    def get_initial(self, obj: Customer) -> dict[str, Any]:
        return CustomerForm.initial_from(obj)

    def get_formset_initial(self, name: str, obj: Customer) -> list[dict[str, Any]]:
        if name == "contact_points":
            return [
                {"kind": p.kind, "value": p.value, "label": p.label, "is_primary": p.is_primary}
                for p in obj.contact_points.all()
            ]
        return [
            {
                **{f: getattr(a, f) for f in services.ADDRESS_FIELDS},
                "is_primary": a.is_primary,
            }
            for a in obj.addresses.all()
        ]

    def call_service(self, data: dict[str, Any], version: int | None) -> Customer:
        dedup_before_save(self, data, exclude_id=self.object.pk)
        return services.update_customer(
            actor=self.request.user, customer=self.object, data=data, version=version
        )

    def get_discard_url(self) -> str:
        return _detail(self.object.pk)


@login_required
def customer_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm, then move the customer to the recycle bin (restorable there)."""
    try:
        customer = selectors.customer_get(user=request.user, pk=pk)
    except Customer.DoesNotExist:
        raise Http404 from None
    if not may(request.user, "delete", customer):
        context = {"message": PermissionDeniedError().message, "back_url": _detail(customer.pk)}
        return render(request, "core/forbidden.html", context, status=403)
    if request.method == "POST":
        try:
            services.delete_customer(
                actor=request.user, customer=customer, version=request.POST.get("version") or None
            )
        except ConflictError as exc:
            messages.warning(request, exc.message)
            customer.refresh_from_db()
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        except PermissionDeniedError as exc:
            context = {"message": exc.message, "back_url": _detail(customer.pk)}
            return render(request, "core/forbidden.html", context, status=403)
        else:
            messages.success(
                request,
                _("%(name)s was moved to the recycle bin; it can be restored from there.")
                % {"name": customer.display_name},
            )
            return HttpResponseRedirect(_list_url())
    return render(request, "customers/confirm_delete.html", {"customer": customer})


# --- contacts of an organisation ----------------------------------------------------------------


class ContactCreate(_Guarded):
    template_name = "customers/contact_form.html"
    form_class = ContactForm

    def get_object(self) -> Customer:
        organisation = selectors.customer_get(user=self.request.user, pk=self.kwargs["pk"])
        if organisation.kind != "organisation":
            raise Customer.DoesNotExist
        return organisation

    def allowed(self) -> bool:
        return may(self.request.user, "create", module="contacts") and may(
            self.request.user, "change", self.object
        )

    def get_initial(self, obj: Any) -> dict[str, Any]:
        return {}

    def call_service(self, data: dict[str, Any], version: int | None) -> Any:
        return services.create_contact(
            actor=self.request.user, data={**data, "organisation": self.object}
        )

    def get_success_url(self, result: Any) -> str:
        return _detail(self.object.pk)

    def get_discard_url(self) -> str:
        return _detail(self.object.pk)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(customer=self.object, **kwargs)


MASKED_CONTACT_FIELDS = ("mobile", "email")


class ContactEdit(ContactCreate):
    def get_object(self) -> Any:
        return (
            selectors.contact_list(user=self.request.user)
            .select_related("organisation")
            .get(pk=self.kwargs["pk"])
        )

    def allowed(self) -> bool:
        return may(self.request.user, "change", module="contacts") and may(
            self.request.user, "change", self.object.organisation
        )

    def get_initial(self, obj: Any) -> dict[str, Any]:
        initial = {f: getattr(obj, f) for f in ContactForm.base_fields if f != "version"}
        for field in MASKED_CONTACT_FIELDS:  # shown as the role may see them, never changed
            initial[field] = present(self.request.user, field, initial[field])
        return initial | {"version": obj.version}

    def call_service(self, data: dict[str, Any], version: int | None) -> Any:
        if not sees_contact_details(self.request.user):
            data = {k: v for k, v in data.items() if k not in MASKED_CONTACT_FIELDS}
        return services.update_contact(
            actor=self.request.user, contact=self.object, data=data, version=version
        )

    def get_success_url(self, result: Any) -> str:
        return _detail(self.object.organisation_id)

    def get_discard_url(self) -> str:
        return _detail(self.object.organisation_id)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return ServiceFormView.get_context_data(self, customer=self.object.organisation, **kwargs)


# --- interactions and notes: full pages, and the quick forms of the 360° page -------------------


class _QuickForm(_Guarded):
    """A form that is a page of its own, and on the 360° page a fragment posted with htmx: on
    success the fragment comes back empty and the timeline is told to reload."""

    quick_template_name = ""
    quick_form_class: Any = None

    def customer(self) -> Customer:
        return self.object

    def build(self, data: Any = None):
        if self.quick_form_class is not None and is_htmx_partial(self.request):
            self.form_class = self.quick_form_class
        return super().build(data)

    def render_form(self, form, formsets, status: int = 200) -> HttpResponse:
        if is_htmx_partial(self.request):
            context = self.get_context_data(form=form, formsets=formsets)
            return render(self.request, self.quick_template_name, context, status=status)
        return super().render_form(form, formsets, status)

    def form_valid_response(self, result: Any) -> HttpResponse:
        if is_htmx_partial(self.request):
            form, formsets = self.build()
            response = self.render_form(form, formsets)
            response["HX-Trigger"] = "timeline-changed"
            return response
        return HttpResponseRedirect(self.get_success_url(result))

    def get_success_url(self, result: Any) -> str:
        return _detail(self.customer().pk)

    def get_discard_url(self) -> str:
        return _detail(self.customer().pk)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(customer=self.customer(), **kwargs)


class InteractionCreate(_QuickForm):
    template_name = "customers/interaction_form.html"
    quick_template_name = "customers/_quick_interaction.html"
    form_class = InteractionForm
    quick_form_class = QuickInteractionForm

    def get_object(self) -> Customer:
        return selectors.customer_get(user=self.request.user, pk=self.kwargs["pk"])

    def allowed(self) -> bool:
        return may(self.request.user, "create", module="interactions")

    def get_form_kwargs(self) -> dict[str, Any]:
        return {"user": self.request.user, "customer": self.customer()}

    def get_initial(self, obj: Any) -> dict[str, Any]:
        return {}

    def call_service(self, data: dict[str, Any], version: int | None) -> Any:
        return interaction_services.create_interaction(
            actor=self.request.user, data={**data, "customer": self.customer()}
        )


class InteractionEdit(InteractionCreate):
    def get_object(self) -> Any:
        return (
            interaction_selectors.interaction_list(user=self.request.user)
            .select_related("customer")
            .get(pk=self.kwargs["pk"])
        )

    def customer(self) -> Customer:
        return self.object.customer

    def allowed(self) -> bool:
        return may(self.request.user, "change", module="interactions")

    def get_initial(self, obj: Any) -> dict[str, Any]:
        names = [f for f in InteractionForm.base_fields if f != "version"]
        return {f: getattr(obj, f) for f in names} | {"version": obj.version}

    def call_service(self, data: dict[str, Any], version: int | None) -> Any:
        return interaction_services.update_interaction(
            actor=self.request.user, interaction=self.object, data=data, version=version
        )


class NoteCreate(_QuickForm):
    template_name = "customers/note_form.html"
    quick_template_name = "customers/_quick_note.html"
    form_class = NoteForm

    def get_object(self) -> Customer:
        return selectors.customer_get(user=self.request.user, pk=self.kwargs["pk"])

    def allowed(self) -> bool:
        return may(self.request.user, "change", self.customer())

    def get_initial(self, obj: Any) -> dict[str, Any]:
        return {}

    def call_service(self, data: dict[str, Any], version: int | None) -> Any:
        return services.create_note(
            actor=self.request.user, customer=self.customer(), body=data["body"]
        )


class NoteEdit(NoteCreate):
    def get_object(self) -> Any:
        return (
            selectors.note_list(user=self.request.user)
            .select_related("customer")
            .get(pk=self.kwargs["pk"])
        )

    def customer(self) -> Customer:
        return self.object.customer

    def get_initial(self, obj: Any) -> dict[str, Any]:
        return {"body": obj.body, "version": obj.version}

    def call_service(self, data: dict[str, Any], version: int | None) -> Any:
        return services.update_note(
            actor=self.request.user, note=self.object, body=data["body"], version=version
        )


@login_required
def note_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete a note (POST); the audit log keeps its text."""
    try:
        note = selectors.note_list(user=request.user).select_related("customer").get(pk=pk)
    except ObjectDoesNotExist:
        raise Http404 from None
    if request.method != "POST":
        return HttpResponseRedirect(_detail(note.customer_id))
    try:
        services.delete_note(actor=request.user, note=note)
    except PermissionDeniedError as exc:
        context = {"message": exc.message, "back_url": _detail(note.customer_id)}
        return render(request, "core/forbidden.html", context, status=403)
    if is_htmx_partial(request):
        response = HttpResponse("")
        response["HX-Trigger"] = "timeline-changed"
        return response
    messages.success(request, _("The note was deleted."))
    return HttpResponseRedirect(_detail(note.customer_id))
