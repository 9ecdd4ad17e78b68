"""Web pages of the knowledge base. Adapters: reads through selectors, writes through services."""

from __future__ import annotations

import difflib
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.accounts.policies import has_perm
from guanxi.core import keyset
from guanxi.core.errors import ConflictError, PermissionDeniedError
from guanxi.core.web import ServiceFormView, is_htmx_partial

from . import selectors, services
from .forms import ArticleForm, CategoryForm, SearchForm
from .models import Article, ArticleRevision
from .policies import may_change, may_delete, may_manage_categories


def _require(request: HttpRequest, action: str) -> None:
    if not has_perm(request.user, "articles", action):
        raise PermissionDenied


def _article(request: HttpRequest, pk: int) -> Article:
    try:
        return selectors.article_get(user=request.user, pk=pk)
    except Article.DoesNotExist:
        raise Http404 from None


def _failure(request: HttpRequest, exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return getattr(exc, "message", str(exc))


@login_required
def article_list(request: HttpRequest) -> HttpResponse:
    _require(request, "view")
    search = SearchForm(request.GET or None)
    filters = search.cleaned_data if search.is_valid() else {}
    qs = selectors.article_list(user=request.user).select_related("category", "owner")
    if filters.get("category"):
        qs = qs.filter(category=filters["category"])
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    tag = filters.get("tag")
    query = (filters.get("q") or "").strip()
    context: dict[str, Any] = {
        "search": search,
        "query": query,
        "tag": tag,
        "categories": selectors.categories(),
        "tags": selectors.tag_cloud(user=request.user),
        "may_create": has_perm(request.user, "articles", "create"),
        "may_edit_any": has_perm(request.user, "articles", "change"),
        "may_manage_categories": may_manage_categories(request.user),
    }
    if query or tag:
        rows = list(selectors.search(qs, query)) if query else list(qs[:500])
        if tag:
            rows = [a for a in rows if tag in (a.tags or [])][: selectors.SEARCH_LIMIT]
        context.update(rows=rows, searching=True)
    else:
        web_page = keyset.paginate_request(request, qs, sort="-updated_at")
        if web_page.reset:
            messages.warning(request, _("That page link is out of date; here is the first page."))
        context.update(
            rows=web_page.page.rows,
            next_url=web_page.next_url,
            previous_url=web_page.previous_url,
            searching=False,
        )
    template = "kb/_results.html" if is_htmx_partial(request) else "kb/list.html"
    return render(request, template, context)


@login_required
def article_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, "view")
    article = _article(request, pk)
    mine = None
    if article.status == "published":
        mine = article.feedback.filter(user=request.user).values_list("helpful", flat=True).first()
    return render(
        request,
        "kb/detail.html",
        {
            "article": article,
            "my_feedback": mine,
            "may_change": may_change(request.user, article),
            "may_delete": may_delete(request.user, article),
        },
    )


class ArticleCreate(ServiceFormView):
    template_name = "kb/form.html"
    form_class = ArticleForm
    action = "create"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            _require(request, self.action)
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self) -> dict[str, Any]:
        return {"user": self.request.user}

    def call_service(self, data: dict[str, Any], version: int | None) -> Any:
        return services.create_article(
            actor=self.request.user, data=data, note=self.request.POST.get("note", "")
        )

    def get_success_url(self, result: Any) -> str:
        return reverse("kb:detail", args=[result.pk])

    def get_discard_url(self) -> str:
        return reverse("kb:list")


class ArticleEdit(ArticleCreate):
    action = "view"  # may_change decides, in the service: an owner with "create" may edit

    def get_object(self) -> Article:
        return selectors.article_get(user=self.request.user, pk=self.kwargs["pk"])

    def get_initial(self, obj: Any) -> dict[str, Any]:
        return {
            "title": obj.title,
            "status": obj.status,
            "category": obj.category_id,
            "tags": ", ".join(obj.tags or []),
            "body": obj.body,
            "owner": obj.owner_id,
            "review_due_on": obj.review_due_on,
            "version": obj.version,
        }

    def call_service(self, data: dict[str, Any], version: int | None) -> Any:
        return services.update_article(
            actor=self.request.user,
            article=self.object,
            data=data,
            version=version,
            note=self.request.POST.get("note", ""),
        )

    def get_discard_url(self) -> str:
        return reverse("kb:detail", args=[self.object.pk])


@login_required
def article_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, "delete")
    article = _article(request, pk)
    if request.method == "POST":
        try:
            services.delete_article(actor=request.user, article=article)
        except PermissionDeniedError as exc:
            return HttpResponse(exc.message, status=403)
        messages.success(request, _("Article deleted: %(title)s") % {"title": article.title})
        return redirect("kb:list")
    return render(request, "kb/delete.html", {"article": article})


@login_required
@require_POST
def feedback(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, "view")
    article = _article(request, pk)
    helpful = request.POST.get("helpful")
    if helpful not in ("yes", "no"):
        return HttpResponse(_("Answer yes or no."), status=400)
    try:
        article = services.record_feedback(
            actor=request.user, article=article, helpful=helpful == "yes"
        )
    except ValidationError as exc:
        if is_htmx_partial(request):
            return HttpResponse(_failure(request, exc), status=400)
        messages.error(request, _failure(request, exc))
        return redirect("kb:detail", pk=pk)
    if is_htmx_partial(request):
        context = {"article": article, "my_feedback": helpful == "yes", "thanked": True}
        return render(request, "kb/_feedback.html", context)
    messages.success(request, _("Thank you for your answer."))
    return redirect("kb:detail", pk=pk)


@login_required
@require_POST
def reviewed(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, "view")
    article = _article(request, pk)
    try:
        article = services.mark_reviewed(
            actor=request.user, article=article, version=request.POST.get("version")
        )
    except PermissionDeniedError as exc:
        return HttpResponse(exc.message, status=403)
    except (ValidationError, ConflictError) as exc:
        messages.error(request, _failure(request, exc))
    else:
        messages.success(
            request,
            _("Marked as reviewed; next review due on %(date)s.")
            % {"date": article.review_due_on.isoformat()},
        )
    return redirect("kb:detail", pk=pk)


@login_required
def revision_list(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, "view")
    article = _article(request, pk)
    rows = list(selectors.revisions(user=request.user, article=article)[:200])
    return render(
        request,
        "kb/revisions.html",
        {"article": article, "revisions": rows, "may_change": may_change(request.user, article)},
    )


def _diff_lines(old: str, new: str) -> list[tuple[str, str]]:
    """A unified diff as (kind, line) pairs: kind is "add", "del", "hunk" or "same"."""
    out: list[tuple[str, str]] = []
    lines = difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=3)
    for line in list(lines)[2:]:
        if line.startswith("@@"):
            out.append(("hunk", line))
        elif line.startswith("+"):
            out.append(("add", line[1:]))
        elif line.startswith("-"):
            out.append(("del", line[1:]))
        else:
            out.append(("same", line[1:]))
    return out


@login_required
def revision_diff(request: HttpRequest, pk: int) -> HttpResponse:
    """Compare two revisions (?a=older&b=newer; default: the latest with the one before)."""
    _require(request, "view")
    article = _article(request, pk)
    try:
        b_number = int(request.GET.get("b") or article.revision)
        a_number = int(request.GET.get("a") or b_number - 1)
        new = selectors.revision_get(user=request.user, article=article, number=b_number)
        old = selectors.revision_get(user=request.user, article=article, number=a_number)
    except (ValueError, ArticleRevision.DoesNotExist):
        raise Http404 from None
    context = {
        "article": article,
        "old": old,
        "new": new,
        "title_changed": old.title != new.title,
        "tags_changed": old.tags != new.tags,
        "category_changed": old.category_name != new.category_name,
        "lines": _diff_lines(old.body, new.body),
        "may_change": may_change(request.user, article),
    }
    return render(request, "kb/diff.html", context)


@login_required
@require_POST
def restore(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    _require(request, "view")
    article = _article(request, pk)
    try:
        services.restore_revision(
            actor=request.user, article=article, number=number, version=request.POST.get("version")
        )
    except PermissionDeniedError as exc:
        return HttpResponse(exc.message, status=403)
    except (ValidationError, ConflictError) as exc:
        messages.error(request, _failure(request, exc))
        return redirect("kb:revisions", pk=pk)
    messages.success(request, _("Revision %(number)d restored.") % {"number": number})
    return redirect("kb:detail", pk=pk)


@login_required
def category_list(request: HttpRequest) -> HttpResponse:
    _require(request, "view")
    if not may_manage_categories(request.user):
        raise PermissionDenied
    form = CategoryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_category(
                actor=request.user,
                category=None,
                name=form.cleaned_data["name"],
                position=form.cleaned_data["position"] or 0,
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            messages.success(request, _("Category added."))
            return redirect("kb:categories")
    rows = selectors.categories()
    return render(request, "kb/categories.html", {"form": form, "categories": rows})


@login_required
@require_POST
def category_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, "view")
    category = selectors.categories().filter(pk=pk).first()
    if category is None:
        raise Http404
    try:
        services.delete_category(actor=request.user, category=category)
    except PermissionDeniedError as exc:
        return HttpResponse(exc.message, status=403)
    messages.success(request, _("Category deleted: %(name)s") % {"name": category.name})
    return redirect("kb:categories")
