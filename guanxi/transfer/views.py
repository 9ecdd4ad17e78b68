"""Web pages of imports and exports: adapters over selectors and services."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.core import keyset
from guanxi.core.errors import PermissionDeniedError
from guanxi.core.web import is_htmx_partial

from . import mapping, selectors, services, writers
from .forms import ExportForm, MappingForm, UploadForm
from .models import Export, Import, TransferStatus


def _import(request: HttpRequest, pk: int) -> Import:
    try:
        return selectors.import_get(user=request.user, pk=pk)
    except Import.DoesNotExist:
        raise Http404 from None


def _download(content: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(bytes(content), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _content_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


# --- imports ------------------------------------------------------------------------------------


@login_required
def import_list(request: HttpRequest) -> HttpResponse:
    if not services.may_import(request.user):
        raise PermissionDenied
    web_page = keyset.paginate_request(
        request, selectors.import_list(user=request.user), sort="-id"
    )
    return render(
        request,
        "transfer/import_list.html",
        {
            "page": web_page.page,
            "next_url": web_page.next_url,
            "previous_url": web_page.previous_url,
        },
    )


@login_required
def import_new(request: HttpRequest) -> HttpResponse:
    if not services.may_import(request.user):
        raise PermissionDenied
    limit = settings.IMPORT_MAX_FILE_SIZE
    too_big = _("The file is too big: at most %(limit)s MB.") % {"limit": f"{limit / 2**20:g}"}
    if request.method == "POST" and _content_length(request) > limit + 64 * 1024:
        # Refused before the body is read (and spooled to disk).
        form = UploadForm(data={}, files={})
        form.is_valid()
        form.errors["file"] = form.error_class([too_big])
        return render(request, "transfer/import_new.html", {"form": form}, status=413)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > limit:
            form.add_error("file", too_big)
        else:
            try:
                imp = services.upload_import(
                    actor=request.user,
                    filename=upload.name,
                    content=upload.read(),
                    language=get_language() or "",
                )
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error("file", message)
            else:
                return redirect("transfer:import_mapping", pk=imp.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "transfer/import_new.html", {"form": form}, status=status)


def _mapping_form(request: HttpRequest, imp: Import, data=None) -> MappingForm:
    definitions = list(services.active_definitions().values())
    suggestions = imp.mapping or mapping.suggest(imp.headers, definitions)
    initial = {}
    if imp.mapping:
        initial = {"mode": imp.mode, "key": imp.key, "kind": imp.kind or "column"}
    return MappingForm(
        data,
        headers=imp.headers,
        sample=imp.sample,
        definitions=definitions,
        suggestions=suggestions,
        initial=initial,
    )


@login_required
def import_mapping(request: HttpRequest, pk: int) -> HttpResponse:
    imp = _import(request, pk)
    if request.method == "POST":
        form = _mapping_form(request, imp, request.POST)
        if form.is_valid():
            try:
                services.start_import(
                    actor=request.user,
                    imp=imp,
                    mapping=form.mapping(),
                    mode=form.cleaned_data["mode"],
                    key=form.cleaned_data["key"],
                    kind=form.cleaned_data["kind"],
                    dry_run=form.cleaned_data["dry_run"],
                )
            except ValidationError as exc:
                if hasattr(exc, "error_dict"):
                    for field, errors in exc.message_dict.items():
                        form.add_error(field if field in form.fields else None, errors)
                else:
                    form.add_error(None, exc.messages)
            except PermissionDeniedError as exc:
                form.add_error(None, exc.message)
            else:
                return redirect("transfer:import_detail", pk=imp.pk)
        status = 400
    else:
        form = _mapping_form(request, imp)
        status = 200
    return render(
        request, "transfer/import_mapping.html", {"imp": imp, "form": form}, status=status
    )


@login_required
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    imp = _import(request, pk)
    errors = keyset.paginate_request(
        request, selectors.import_errors(user=request.user, imp=imp), sort="row_number"
    )
    context = {
        "imp": imp,
        "errors": errors.page,
        "next_url": errors.next_url,
        "previous_url": errors.previous_url,
        "preview": imp.preview or {},
    }
    if is_htmx_partial(request):
        return render(request, "transfer/partials/import_status.html", context)
    return render(request, "transfer/import_detail.html", context)


@login_required
@require_POST
def import_run(request: HttpRequest, pk: int) -> HttpResponse:
    """Run for real an import whose dry run was looked at, with the same mapping."""
    imp = _import(request, pk)
    try:
        services.start_import(
            actor=request.user,
            imp=imp,
            mapping=imp.mapping,
            mode=imp.mode,
            key=imp.key,
            kind=imp.kind or services.KIND_FROM_COLUMN,
            dry_run=False,  # a failed run resumes as it was (see start_import)
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    except PermissionDeniedError as exc:
        messages.error(request, exc.message)
    return redirect("transfer:import_detail", pk=imp.pk)


@login_required
def import_error_file(request: HttpRequest, pk: int) -> HttpResponse:
    imp = _import(request, pk)
    content = writers.error_file(imp, selectors.import_errors(user=request.user, imp=imp))
    name = f"import-{imp.pk}-errors.csv"
    return _download(content, name, CONTENT_TYPES["csv"])


# --- exports ------------------------------------------------------------------------------------


@login_required
def export_list(request: HttpRequest) -> HttpResponse:
    if not services.may_export(request.user):
        raise PermissionDenied
    web_page = keyset.paginate_request(
        request, selectors.export_list(user=request.user), sort="-id"
    )
    context = {
        "page": web_page.page,
        "next_url": web_page.next_url,
        "previous_url": web_page.previous_url,
        "running": any(not e.finished for e in web_page.page.rows),
    }
    if is_htmx_partial(request):
        return render(request, "transfer/partials/export_rows.html", context)
    return render(request, "transfer/export_list.html", context)


@login_required
@require_POST
def export_create(request: HttpRequest) -> HttpResponse:
    """From the customer list: export what its filters select (`query`, the list's query
    string), or the ticked rows (`ids`)."""
    form = ExportForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose CSV or Excel."))
        return redirect("customers:list")
    ids = request.POST.getlist("ids")
    if request.GET.get("selected") and not ids:
        # "Export the selected" with nothing ticked is not "export everything".
        messages.error(request, _("Select at least one customer."))
        return redirect("customers:list")
    try:
        services.start_export(
            actor=request.user,
            file_format=form.cleaned_data["file_format"],
            filters=form.cleaned_data["query"],
            ids=ids,
            language=get_language() or "",
        )
    except PermissionDeniedError:
        raise PermissionDenied from None
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        # Back to the list as it was, with its filters, to fix the one that does not apply.
        query = form.cleaned_data["query"].lstrip("?")
        return redirect(reverse("customers:list") + (f"?{query}" if query else ""))
    messages.success(request, _("The export has started; its file will be listed here."))
    return redirect("transfer:export_list")


@login_required
def export_download(request: HttpRequest, pk: int) -> HttpResponse:
    if not services.may_export(request.user):
        raise PermissionDenied
    try:
        export = selectors.export_with_file(user=request.user, pk=pk)
    except Export.DoesNotExist:
        raise Http404 from None
    if export.status != TransferStatus.DONE or export.file_deleted:
        raise Http404
    return _download(export.content, export.filename, CONTENT_TYPES[export.file_format])
