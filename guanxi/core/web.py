"""Web forms over services: one mechanism that every form page of the workspace uses.

A page binds a Django form (and optional inline formsets) to the request, calls a service with the
cleaned data, and turns what the service raises into something the user can act on:

- django ``ValidationError`` -> messages beside the fields they concern. Keys such as
  ``"contact_points.0.value"`` land on the value field of the first *submitted* row of the
  ``contact_points`` formset; ``"custom_fields.budget"`` lands on the form field the form names
  for it (``ServiceForm.service_error_fields``); a key the page cannot place becomes a non-field
  message that names the field.
- ``PermissionDeniedError`` -> a 403 page that still shows what the user typed.
- ``ConflictError`` -> the conflict page (``core/conflict.html``): the user's value of every
  field that differs beside the value saved now, a button that applies the user's values on top
  of the current version, one that opens them in the form for review, and a way to discard them.
- a database refusal (``IntegrityError``, ``DataError``) -> a message on the form, never a 500.

Nothing the user typed is lost: every error re-renders the bound form, and the conflict page
carries the whole submission in hidden fields.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages as flash
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import DataError, IntegrityError, models
from django.forms.formsets import BaseFormSet
from django.forms.utils import ErrorDict
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from .errors import ConflictError, PermissionDeniedError

log = logging.getLogger(__name__)

NON_FIELD = "__all__"


def is_htmx_partial(request: HttpRequest) -> bool:
    """Whether htmx asked for a fragment (a boosted request wants the whole page)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted


# --- forms ------------------------------------------------------------------------------------


def start_job_button(
    request: HttpRequest, start: Callable[[], Any], *, started: str, back: str
) -> HttpResponse:
    """The answer of a button that starts a background job through its service: back to the
    page with `started` as the message, or with the service's refusal (a job already under
    way...); a user who may not gets the 403 page."""
    try:
        start()
    except PermissionDeniedError:
        raise PermissionDenied from None
    except ValidationError as exc:
        flash.error(request, " ".join(exc.messages))
    else:
        flash.success(request, started)
    return HttpResponseRedirect(back)


class DateInput(forms.DateInput):
    """The browser's date picker. Its value is always ISO (2026-03-01), whatever the language:
    a date input cannot show the zh-hans format (2026/03/01), so in Chinese an edit form
    showed the date empty and saving it erased the date."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


def style_widgets(form: forms.Form) -> None:
    """Tabler (Bootstrap 5) classes on the widgets of a form."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.HiddenInput):
            continue
        if isinstance(widget, (forms.CheckboxInput, forms.CheckboxSelectMultiple)):
            css = "form-check-input"
        elif isinstance(widget, (forms.Select, forms.SelectMultiple)):
            css = "form-select"
        else:
            css = "form-control"
        existing = widget.attrs.get("class", "")
        if css not in existing.split():
            widget.attrs["class"] = f"{existing} {css}".strip()


class StyledForm(forms.Form):
    """A form (or formset row) with Tabler classes on its widgets."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style_widgets(self)

    def add_error(self, field: str | None, error: Any) -> None:
        super().add_error(field, error)
        names = [field] if field else []
        if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
            names = list(error.error_dict)
        for name in names:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                if "is-invalid" not in attrs.get("class", ""):
                    attrs["class"] = f"{attrs.get('class', '')} is-invalid".strip()


class ServiceForm(StyledForm):
    """A form whose data goes to a service. Carries the version of the record being edited."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    # Service error keys that belong to a field of another name, e.g.
    # {"custom_fields.budget": "cf_budget"}; a form may also override `field_for_error`.
    service_error_fields: dict[str, str] = {}

    def field_for_error(self, key: str) -> str | None:
        """The form field that shows the service's message for `key`, or None."""
        name = self.service_error_fields.get(key, key)
        return name if name in self.fields else None

    def service_data(self) -> dict[str, Any]:
        """What the service gets: the cleaned data without the version."""
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}


def formset_rows(formset: BaseFormSet) -> list[forms.Form]:
    """The rows of a valid formset that go to the service, in order: filled and not deleted.
    Index i of the service's list is row i here."""
    return [
        row
        for row in formset.forms
        if getattr(row, "cleaned_data", None) and not _deleted(formset, row)
    ]


def _deleted(formset: BaseFormSet, row: forms.Form) -> bool:
    return bool(formset.can_delete and formset._should_delete_form(row))


def row_data(row: forms.Form) -> dict[str, Any]:
    return {k: v for k, v in row.cleaned_data.items() if k not in ("DELETE", "ORDER", "id")}


def _field_label(form: forms.Form, name: str) -> str:
    field = form.fields.get(name)
    if field is not None and field.label:
        return str(field.label)
    return name.replace("_", " ").replace(".", " › ")


def apply_service_errors(
    exc: ValidationError,
    form: forms.Form,
    formsets: dict[str, BaseFormSet] | None = None,
    rows: dict[str, list[forms.Form]] | None = None,
) -> None:
    """Put the messages of a service's ValidationError on the form and its formsets.

    `rows` maps a formset name to the rows that were sent to the service (see formset_rows),
    so that "contact_points.1.value" reaches the second row sent, whatever blank or deleted
    rows sat between.
    """
    formsets = formsets or {}
    rows = rows or {}
    if not hasattr(exc, "error_dict"):
        for message in exc.messages:
            form.add_error(None, message)
        return
    for key, messages in exc.message_dict.items():
        for message in messages:
            _place(key, message, form, formsets, rows)


def _place(
    key: str,
    message: str,
    form: forms.Form,
    formsets: dict[str, BaseFormSet],
    rows: dict[str, list[forms.Form]],
) -> None:
    if key == NON_FIELD:
        form.add_error(None, message)
        return
    finder = getattr(form, "field_for_error", None)
    name = finder(key) if finder else (key if key in form.fields else None)
    if name is not None:
        form.add_error(name, message)
        return
    head, _sep, rest = key.partition(".")
    if head in formsets:
        index, _sep, field = rest.partition(".")
        sent = rows.get(head, [])
        if index.isdecimal() and int(index) < len(sent):
            row = sent[int(index)]
            row.add_error(field if field in row.fields else None, message)
            return
        formsets[head].non_form_errors().append(message)
        return
    label = _field_label(form, head) if head in form.fields else key
    form.add_error(None, f"{label}: {message}")


def quiet(form: forms.Form | BaseFormSet) -> None:
    """Render a bound form or formset without validating it (to add a row, or to review a
    submission): the user sees their values, not errors they have not caused yet."""
    if isinstance(form, BaseFormSet):
        form._errors = []
        form._non_form_errors = form.error_class()
        for row in form.forms:
            quiet(row)
        return
    form._errors = ErrorDict()


# --- comparing the user's values with the saved ones (the conflict page) ----------------------


def display_value(field: forms.Field | None, value: Any) -> str:
    """A value as a person reads it: choice labels, names of records, lists joined."""
    if value in (None, "", [], (), {}):
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, models.QuerySet):
        return ", ".join(str(v) for v in value) or "—"
    choices = getattr(field, "choices", None) if field is not None else None
    if choices is not None and not isinstance(field, forms.ModelChoiceField):
        labels = {str(k): str(v) for k, v in _flat_choices(choices)}
        if isinstance(value, (list, tuple)):
            return ", ".join(labels.get(str(v), str(v)) for v in value)
        return labels.get(str(value), str(value))
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value) or "—"
    if hasattr(value, "isoformat") and hasattr(value, "hour"):
        return (
            timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
            if timezone.is_aware(value)
            else value.strftime("%Y-%m-%d %H:%M")
        )
    return str(value)


def _flat_choices(choices) -> Iterator[tuple[Any, Any]]:
    for key, label in choices:
        if isinstance(label, (list, tuple)):
            yield from label
        else:
            yield key, label


def _comparable(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, models.QuerySet):
        return sorted(v.pk for v in value)
    if isinstance(value, (list, tuple)):
        return [_comparable(v) for v in value]
    if value in (None, "", [], {}):
        return None
    return value


@dataclass
class ChangedField:
    label: str
    yours: str
    current: str


def changed_fields(
    form: forms.Form,
    current: dict[str, Any],
    formsets: dict[str, BaseFormSet] | None = None,
    current_rows: dict[str, list[dict[str, Any]]] | None = None,
) -> list[ChangedField]:
    """The fields where the user's cleaned value differs from the value saved now."""
    out: list[ChangedField] = []
    for name, field in form.fields.items():
        if name == "version" or name not in form.cleaned_data:
            continue
        yours = form.cleaned_data[name]
        now = current.get(name)
        if isinstance(now, models.Model) and not isinstance(yours, models.Model):
            now = now.pk
        if _comparable(yours) != _comparable(_coerce(field, now)):
            out.append(
                ChangedField(
                    str(field.label or name),
                    display_value(field, yours),
                    display_value(field, _coerce(field, now)),
                )
            )
    for name, formset in (formsets or {}).items():
        yours_rows = [row_data(r) for r in formset_rows(formset)]
        now_rows = (current_rows or {}).get(name, [])
        template = formset.empty_form
        keys = [k for k in template.fields if k not in ("DELETE", "ORDER", "id")]
        if [_row_key(r, keys) for r in yours_rows] != [_row_key(r, keys) for r in now_rows]:
            label = getattr(formset, "label", None) or name.replace("_", " ")
            out.append(
                ChangedField(
                    str(label),
                    _rows_text(template, yours_rows, keys),
                    _rows_text(template, now_rows, keys),
                )
            )
    return out


def _coerce(field: forms.Field, value: Any) -> Any:
    """A saved value in the shape the form's cleaned data has."""
    if isinstance(field, forms.ModelChoiceField) and not isinstance(
        field, forms.ModelMultipleChoiceField
    ):
        if value is None or isinstance(value, models.Model):
            return value
        return field.queryset.filter(pk=value).first()
    return value


def _row_key(row: dict[str, Any], keys: list[str]) -> tuple:
    return tuple(str(_comparable(row.get(k)) or "") for k in keys)


def _rows_text(template: forms.Form, rows: list[dict[str, Any]], keys: list[str]) -> str:
    if not rows:
        return "—"
    parts = []
    for row in rows:
        # A ticked box reads as its label ("primary"), not as a bare "yes" after the value.
        values = [
            str(template.fields[k].label or k)
            if row.get(k) is True
            else display_value(template.fields[k], row.get(k))
            for k in keys
            if row.get(k) not in (None, "", False)
        ]
        parts.append(" · ".join(values))
    return "\n".join(parts)


def submitted_values(
    form: forms.Form, formsets: dict[str, BaseFormSet] | None = None
) -> list[ChangedField]:
    """What the user typed, field by field (for the 403 page: shown, not lost)."""
    out = []
    data = form.cleaned_data if hasattr(form, "cleaned_data") else {}
    for name, field in form.fields.items():
        if name == "version" or isinstance(field.widget, forms.HiddenInput):
            continue
        value = data.get(name, form[name].value())
        if value in (None, "", [], False):
            continue
        out.append(ChangedField(str(field.label or name), display_value(field, value), ""))
    for name, formset in (formsets or {}).items():
        keys = [k for k in formset.empty_form.fields if k not in ("DELETE", "ORDER", "id")]
        rows = [row_data(r) for r in formset_rows(formset)] if formset.is_bound else []
        if rows:
            label = getattr(formset, "label", None) or name
            out.append(ChangedField(str(label), _rows_text(formset.empty_form, rows, keys), ""))
    return out


# --- the view ---------------------------------------------------------------------------------


class ServiceFormView(LoginRequiredMixin, View):
    """GET shows the form; POST validates it, calls the service and redirects, or shows the
    form again with the service's messages, the 403 page or the conflict page.

    A subclass sets `template_name` and `form_class`, optionally `formset_classes`
    ({name: formset class}, the name being the service's key, e.g. "contact_points"), and
    implements `call_service`. For an edit page it implements `get_object` (through a selector:
    DoesNotExist becomes 404) and `get_initial`/`get_formset_initial` from the record.
    """

    template_name: str = ""
    partial_template_name: str | None = None  # served to htmx requests
    form_class: type[forms.Form] = ServiceForm
    formset_classes: dict[str, type[BaseFormSet]] = {}
    conflict_template_name = "core/conflict.html"
    forbidden_template_name = "core/forbidden.html"
    add_row_param = "_add_row"
    review_param = "_review"

    object: Any = None

    # -- hooks ---------------------------------------------------------------------------

    def get_object(self) -> Any:
        """The record being edited, read through a selector for request.user; None to create."""
        return None

    def get_initial(self, obj: Any) -> dict[str, Any]:
        return {"version": obj.version} if obj is not None and hasattr(obj, "version") else {}

    def get_formset_initial(self, name: str, obj: Any) -> list[dict[str, Any]]:
        return []

    def get_form_kwargs(self) -> dict[str, Any]:
        return {}

    def get_formset_kwargs(self, name: str) -> dict[str, Any]:
        return {}

    def call_service(self, data: dict[str, Any], version: int | None) -> Any:
        raise NotImplementedError

    def get_success_url(self, result: Any) -> str:
        raise NotImplementedError

    def get_discard_url(self) -> str:
        """Where "discard my changes" on the conflict page leads."""
        return self.request.path

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {"object": self.object, "view": self, **kwargs}

    def form_valid_response(self, result: Any) -> HttpResponse:
        url = self.get_success_url(result)
        if is_htmx_partial(self.request):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = url
            return response
        return HttpResponseRedirect(url)

    # -- machinery -----------------------------------------------------------------------

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        try:
            self.object = self.get_object()
        except ObjectDoesNotExist:
            raise Http404 from None
        return super().dispatch(request, *args, **kwargs)

    def build(self, data: Any = None) -> tuple[forms.Form, dict[str, BaseFormSet]]:
        initial = self.get_initial(self.object)
        form = self.form_class(data=data, initial=initial, **self.get_form_kwargs())
        formsets = {
            name: cls(
                data=data,
                prefix=name,
                initial=self.get_formset_initial(name, self.object),
                **self.get_formset_kwargs(name),
            )
            for name, cls in self.formset_classes.items()
        }
        return form, formsets

    def render_form(
        self, form: forms.Form, formsets: dict[str, BaseFormSet], status: int = 200
    ) -> HttpResponse:
        template = self.template_name
        if self.partial_template_name and is_htmx_partial(self.request):
            template = self.partial_template_name
        context = self.get_context_data(form=form, formsets=formsets)
        # core/_form_errors.html says "nothing was saved" at the top also when only a row of a
        # formset is wrong (its message sits further down the page).
        context.setdefault(
            "formset_errors",
            any(fs.is_bound and fs.total_error_count() for fs in formsets.values()),
        )
        return render(self.request, template, context, status=status)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form, formsets = self.build()
        return self.render_form(form, formsets)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        data = request.POST.copy()
        add_row = data.get(self.add_row_param)
        if add_row in self.formset_classes:
            key = f"{add_row}-TOTAL_FORMS"
            try:
                data[key] = str(int(data.get(key, "0")) + 1)
            except ValueError:
                data[key] = "1"
            form, formsets = self.build(data)
            quiet(form)
            for formset in formsets.values():
                quiet(formset)
            return self.render_form(form, formsets)
        form, formsets = self.build(data)
        if data.get(self.review_param):
            quiet(form)
            for formset in formsets.values():
                quiet(formset)
            return self.render_form(form, formsets)
        valid = form.is_valid()
        valid = all([fs.is_valid() for fs in formsets.values()]) and valid
        if not valid:
            return self.render_form(form, formsets, status=400)
        rows = {name: formset_rows(fs) for name, fs in formsets.items()}
        payload = form.service_data() if isinstance(form, ServiceForm) else dict(form.cleaned_data)
        for name, sent in rows.items():
            payload[name] = [row_data(r) for r in sent]
        version = form.cleaned_data.get("version")
        try:
            result = self.call_service(payload, version)
        except ValidationError as exc:
            apply_service_errors(exc, form, formsets, rows)
            return self.render_form(form, formsets, status=400)
        except PermissionDeniedError as exc:
            return self.forbidden(exc, form, formsets)
        except ConflictError as exc:
            return self.conflict(exc, form, formsets)
        except (IntegrityError, DataError) as exc:
            log.warning("database refused a web form write: %s", exc)
            form.add_error(None, _("The data could not be saved; check the values and try again."))
            return self.render_form(form, formsets, status=400)
        return self.form_valid_response(result)

    def forbidden(
        self, exc: PermissionDeniedError, form: forms.Form, formsets: dict[str, BaseFormSet]
    ) -> HttpResponse:
        context = {
            "message": exc.message,
            "submitted": submitted_values(form, formsets),
            "back_url": self.get_discard_url(),
        }
        return render(self.request, self.forbidden_template_name, context, status=403)

    def conflict(
        self, exc: ConflictError, form: forms.Form, formsets: dict[str, BaseFormSet]
    ) -> HttpResponse:
        try:
            current = self.get_object()
        except ObjectDoesNotExist:
            raise Http404 from None
        current_values = self.get_initial(current)
        current_rows = {
            name: self.get_formset_initial(name, current) for name in self.formset_classes
        }
        version_name = form.add_prefix("version")
        hidden = [
            (name, value)
            for name, values in self.request.POST.lists()
            if name not in ("csrfmiddlewaretoken", version_name, self.review_param)
            for value in values
        ]
        context = {
            "message": exc.message,
            "changes": changed_fields(form, current_values, formsets, current_rows),
            "hidden": hidden,
            "version_name": version_name,
            "current_version": exc.current_version,
            "action": self.request.get_full_path(),
            "review_param": self.review_param,
            "discard_url": self.get_discard_url(),
            "object": current,
        }
        template = self.conflict_template_name
        if is_htmx_partial(self.request):
            template = "core/_conflict_panel.html"
        return render(self.request, template, context, status=409)
