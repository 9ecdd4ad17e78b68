"""Saved segments: a rule tree (see rules.py) with a name, an owner and who else may use it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SegmentKind(models.TextChoices):
    CUSTOM = "custom", _("custom")
    DEMOGRAPHIC = "demographic", _("demographic")
    BEHAVIOURAL = "behavioural", _("behavioural")
    PSYCHOGRAPHIC = "psychographic", _("psychographic")


class Visibility(models.TextChoices):
    PRIVATE = "private", _("only me")
    TEAM = "team", _("my team")
    EVERYONE = "everyone", _("everyone")


class Segment(models.Model):
    """A rule over customers. Sharing a segment shares the rule, never the customers: each user
    sees the members among the customers they may see (customers.policies.visible_q)."""

    name = models.CharField(_("name"), max_length=100)
    description = models.CharField(_("description"), max_length=300, blank=True)
    kind = models.CharField(
        _("kind"), max_length=20, choices=SegmentKind.choices, default=SegmentKind.CUSTOM
    )
    rules = models.JSONField(_("rules"), default=dict)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    visibility = models.CharField(
        _("shared with"), max_length=10, choices=Visibility.choices, default=Visibility.PRIVATE
    )
    # Ready-made segments come with the system: everyone sees them, admins edit them, others
    # make an editable copy.
    builtin = models.BooleanField(_("ready-made"), default=False)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        indexes = [
            models.Index(fields=["owner", "name"], name="segment_owner_name"),
            models.Index(fields=["visibility", "team"], name="segment_visibility_team"),
        ]

    def __str__(self) -> str:
        return self.name
