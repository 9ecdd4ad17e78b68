"""Users, teams and roles: who may see and do what."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

# Modules and actions a role grants, per module. Checked by `policies.has_perm`.
MODULES = (
    "customers",
    "contacts",
    "interactions",
    "products",
    "orders",
    "users",
    "teams",
    "tasks",
    "opportunities",
    "tickets",
    "needs",
    "surveys",
    "articles",
    "analytics",
    "segments",
)
ACTIONS = ("view", "create", "change", "delete", "export")


class DataScope(models.TextChoices):
    OWN = "own", _("Own and shared records")
    TEAM = "team", _("Records of the user's team and the teams below it")
    ALL = "all", _("All records")


class Team(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent team"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # Materialised path of ids, e.g. "/1/4/9/": the teams below a team are those whose path
    # starts with its own. Kept by accounts.services.
    path = models.CharField(max_length=255, db_index=True, editable=False, default="/")
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name


# The built-in roles' names (installed by a migration) are shown translated; names an
# administrator gives are shown as typed.
BUILTIN_ROLE_NAMES = {
    "Administrator": _("Administrator"),
    "Manager": _("Manager"),
    "Sales": _("Sales"),
    "Service": _("Service"),
    "Analyst": _("Analyst"),
    "Read-only": _("Read-only"),
}


class Role(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    is_admin = models.BooleanField(_("administrator"), default=False)
    data_scope = models.CharField(
        _("data scope"), max_length=10, choices=DataScope.choices, default=DataScope.OWN
    )
    can_view_contact_details = models.BooleanField(
        _("sees contact details in full"),
        default=False,
        help_text=_("Otherwise phone numbers and e-mail addresses are masked."),
    )
    # {"customers": ["view", "create", ...], ...}
    permissions = models.JSONField(_("permissions"), default=dict, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["id"]
        verbose_name = _("role")
        verbose_name_plural = _("roles")

    def __str__(self) -> str:
        return str(BUILTIN_ROLE_NAMES.get(self.name, self.name))


class User(AbstractUser):
    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    role = models.ForeignKey(
        Role,
        verbose_name=_("role"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    language = models.CharField(_("language"), max_length=10, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.username


class SavedView(models.Model):
    """A user's named filter of a list (its query string) and the columns they chose. Private to
    the user."""

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="saved_views"
    )
    list_name = models.CharField(_("list"), max_length=40)
    name = models.CharField(_("name"), max_length=100)
    query = models.CharField(_("filters"), max_length=2000, blank=True)
    columns = models.JSONField(_("columns"), default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "list_name", "name"], name="saved_view_unique_name"
            )
        ]

    def __str__(self) -> str:
        return self.name
