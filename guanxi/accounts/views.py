"""Administration pages: users, teams and roles. Administrators only (others get 403); reads go
through guanxi.accounts.selectors, writes through guanxi.accounts.services."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.core import keyset
from guanxi.core.errors import ConflictError, PermissionDeniedError
from guanxi.core.web import ServiceFormView

from . import selectors, services
from .forms import ACTION_LABELS, RoleForm, TeamForm, UserForm, role_initial
from .models import ACTIONS, Role, Team, User
from .policies import is_admin

PAGE_SIZE = 50


def admin_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed-in administrators only: others get 403."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_admin(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


class AdminFormView(ServiceFormView):
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated and not is_admin(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


def _error_messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [m for msgs in exc.message_dict.values() for m in msgs]
    return list(exc.messages)


# --- users ------------------------------------------------------------------------------------


@admin_required
def user_list(request: HttpRequest) -> HttpResponse:
    qs = selectors.user_list(user=request.user)
    show = request.GET.get("show", "")
    if show == "active":
        qs = qs.filter(is_active=True)
    elif show == "inactive":
        qs = qs.filter(is_active=False)
    page = keyset.paginate_request(request, qs, sort="username", per_page=PAGE_SIZE)
    locked = selectors.locked_out_usernames(
        user=request.user, usernames=[row.username for row in page.rows]
    )

    return render(
        request,
        "accounts/user_list.html",
        {
            "rows": page.rows,
            "locked": locked,
            "show": show,
            "next_url": page.next_url,
            "previous_url": page.previous_url,
        },
    )


class UserFormView(AdminFormView):
    template_name = "accounts/user_form.html"
    form_class = UserForm

    def get_form_kwargs(self) -> dict[str, Any]:
        return {
            "teams": selectors.team_list(user=self.request.user),
            "roles": selectors.role_list(user=self.request.user),
            "creating": self.object is None,
        }

    def get_initial(self, obj: User | None) -> dict[str, Any]:
        if obj is None:
            return {}
        return {
            "version": obj.version,
            **{f: getattr(obj, f) for f in services.USER_FIELDS if f not in ("team", "role")},
            "team": obj.team_id,
            "role": obj.role_id,
        }

    def call_service(self, data: dict[str, Any], version: int | None) -> User:
        password = data.pop("password", None) or None
        return services.save_user(
            actor=self.request.user,
            user=self.object,
            data=data,
            password=password,
            version=version,
        )

    def get_success_url(self, result: User) -> str:
        return reverse("accounts:user_list")

    def get_discard_url(self) -> str:
        return reverse("accounts:user_list")


class UserCreateView(UserFormView):
    pass


class UserEditView(UserFormView):
    def get_object(self) -> User:
        return selectors.user_list(user=self.request.user).get(pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["locked_out"] = bool(
            selectors.locked_out_usernames(user=self.request.user, usernames=[self.object.username])
        )
        return context


@admin_required
@require_POST
def user_unlock(request: HttpRequest, pk: int) -> HttpResponse:
    """Let a user who is locked out after too many wrong passwords log in again at once."""
    try:
        user = selectors.user_list(user=request.user).get(pk=pk)
    except User.DoesNotExist:
        raise Http404 from None
    services.unlock_user(actor=request.user, user=user)
    messages.success(request, _("%(name)s can log in again.") % {"name": user})
    return redirect("accounts:user_edit", pk=pk)


@admin_required
@require_POST
def user_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    """Deactivate a user (users are never deleted: their records and history stay theirs)."""
    try:
        user = selectors.user_list(user=request.user).get(pk=pk)
    except User.DoesNotExist:
        raise Http404 from None
    try:
        services.save_user(
            actor=request.user,
            user=user,
            data={"is_active": False},
            version=request.POST.get("version"),
        )
    except ValidationError as exc:
        for message in _error_messages(exc):
            messages.error(request, message)
        return redirect("accounts:user_edit", pk=pk)
    except (ConflictError, PermissionDeniedError) as exc:
        messages.error(request, exc.message)
        return redirect("accounts:user_edit", pk=pk)
    messages.success(request, _("%(name)s was deactivated.") % {"name": user})
    return redirect("accounts:user_list")


# --- teams ------------------------------------------------------------------------------------


@admin_required
def team_list(request: HttpRequest) -> HttpResponse:
    """Every team as a tree (ordered by path), with its members and sub-teams counted."""
    teams = selectors.team_list(user=request.user).annotate(
        member_count=Count("members", distinct=True),
        child_count=Count("children", distinct=True),
    )
    rows = [{"team": t, "depth": max(0, t.path.count("/") - 2)} for t in teams]
    return render(request, "accounts/team_list.html", {"rows": rows})


class TeamFormView(AdminFormView):
    template_name = "accounts/team_form.html"
    form_class = TeamForm

    def get_form_kwargs(self) -> dict[str, Any]:
        parents = selectors.team_list(user=self.request.user)
        if self.object is not None:  # not below itself
            parents = parents.exclude(path__startswith=self.object.path)
        return {"parents": parents}

    def get_initial(self, obj: Team | None) -> dict[str, Any]:
        if obj is None:
            return {}
        return {"version": obj.version, "name": obj.name, "parent": obj.parent_id}

    def call_service(self, data: dict[str, Any], version: int | None) -> Team:
        return services.save_team(
            actor=self.request.user, team=self.object, data=data, version=version
        )

    def get_success_url(self, result: Team) -> str:
        return reverse("accounts:team_list")

    def get_discard_url(self) -> str:
        return reverse("accounts:team_list")


class TeamCreateView(TeamFormView):
    pass


class TeamEditView(TeamFormView):
    def get_object(self) -> Team:
        return selectors.team_list(user=self.request.user).get(pk=self.kwargs["pk"])


@admin_required
@require_POST
def team_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete an empty team; one with members or teams below it is refused with the reason."""
    try:
        team = selectors.team_list(user=request.user).get(pk=pk)
    except Team.DoesNotExist:
        raise Http404 from None
    try:
        services.delete_team(actor=request.user, team=team)
    except ValidationError as exc:
        for message in _error_messages(exc):
            messages.error(request, message)
        return redirect("accounts:team_list")
    messages.success(request, _("The team %(name)s was deleted.") % {"name": team.name})
    return redirect("accounts:team_list")


# --- roles ------------------------------------------------------------------------------------


@admin_required
def role_list(request: HttpRequest) -> HttpResponse:
    roles = selectors.role_list(user=request.user).annotate(user_count=Count("users"))
    return render(
        request,
        "accounts/role_list.html",
        {"roles": roles, "action_count": len(ACTIONS)},
    )


class RoleEditView(AdminFormView):
    """A role's name, data scope, contact-details flag and its permission matrix."""

    template_name = "accounts/role_form.html"
    form_class = RoleForm

    def get_object(self) -> Role:
        return selectors.role_list(user=self.request.user).get(pk=self.kwargs["pk"])

    def get_initial(self, obj: Role | None) -> dict[str, Any]:
        return role_initial(obj) if obj is not None else {}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "action_labels": list(ACTION_LABELS.values())}

    def call_service(self, data: dict[str, Any], version: int | None) -> Role:
        return services.save_role(
            actor=self.request.user, role=self.object, data=data, version=version
        )

    def get_success_url(self, result: Role) -> str:
        return reverse("accounts:role_list")

    def get_discard_url(self) -> str:
        return reverse("accounts:role_list")
