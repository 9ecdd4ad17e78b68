"""Writes to the knowledge base: validated, permission-checked, audited, optimistically locked.
Every save that changes an article's content keeps a new revision."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from guanxi.accounts.models import User
from guanxi.accounts.policies import has_perm
from guanxi.audit import services as audit
from guanxi.audit.models import AuditAction
from guanxi.core.errors import PermissionDeniedError
from guanxi.core.versioning import check_version
from guanxi.followups import services as followups
from guanxi.followups.models import Priority, TaskKind

from . import text
from .models import (
    MAX_BODY,
    MAX_TAG_LENGTH,
    MAX_TAGS,
    Article,
    ArticleFeedback,
    ArticleRevision,
    ArticleStatus,
    Category,
)
from .policies import may_change, may_delete, may_manage_categories

log = logging.getLogger(__name__)

FIELDS = ("title", "body", "category", "tags", "status", "owner", "review_due_on")
CONTENT = ("title", "body", "category", "tags")
AUDITED = (*FIELDS, "revision")


def _clean_tags(value: Any) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = value.replace("，", ",").split(",")
    if not isinstance(value, (list, tuple)):
        raise ValidationError({"tags": _("Give the tags as a list of words.")})
    tags: list[str] = []
    for raw in value:
        if not isinstance(raw, str):
            raise ValidationError({"tags": _("Give the tags as a list of words.")})
        tag = " ".join(raw.split())
        if not tag or tag in tags:
            continue
        if len(tag) > MAX_TAG_LENGTH:
            raise ValidationError(
                {
                    "tags": _("The tag “%(tag)s” is longer than %(max)d characters.")
                    % {"tag": tag[:40], "max": MAX_TAG_LENGTH}
                }
            )
        tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise ValidationError({"tags": _("At most %(max)d tags.") % {"max": MAX_TAGS}})
    return tags


def _prepare(actor: User, article: Article, data: dict[str, Any]) -> None:
    unknown = set(data) - set(FIELDS)
    if unknown:
        raise ValidationError({f: _("There is no such field.") for f in sorted(unknown)})
    for field, value in data.items():
        setattr(article, field, value)
    article.title = " ".join((article.title or "").split())
    article.body = (article.body or "").replace("\r\n", "\n").strip("\n")
    article.tags = _clean_tags(article.tags)
    errors: dict[str, str] = {}
    if not article.title:
        errors["title"] = _("This field is required.")
    if len(article.body) > MAX_BODY:
        errors["body"] = _("The text is longer than %(max)d characters.") % {"max": MAX_BODY}
    if article.status not in ArticleStatus.values:
        errors["status"] = _("Choose draft, published or archived.")
    if article.status == ArticleStatus.PUBLISHED and not article.body.strip():
        errors["body"] = _("An article needs a text before it is published.")
    if (
        article.owner_id is not None
        and not User.objects.filter(pk=article.owner_id, is_active=True).exists()
    ):
        errors["owner"] = _("There is no such active user.")
    if errors:
        raise ValidationError(errors)
    article.full_clean(exclude=["owner", "category", "created_by"], validate_unique=False)
    article.body_html = text.render(article.body)
    article.search_text = text.search_text(article.title, article.tags, article.body_html)
    if article.status == ArticleStatus.PUBLISHED and article.published_at is None:
        article.published_at = timezone.now()


def _keep_revision(actor: User, article: Article, note: str) -> ArticleRevision:
    return ArticleRevision.objects.create(
        article=article,
        number=article.revision,
        title=article.title,
        body=article.body,
        category_name=article.category.name if article.category_id else "",
        tags=list(article.tags),
        author=actor if getattr(actor, "pk", None) else None,
        note=(note or "")[:200],
    )


@transaction.atomic
def create_article(*, actor: User, data: dict[str, Any], note: str = "") -> Article:
    if not has_perm(actor, "articles", "create"):
        raise PermissionDeniedError()
    data = dict(data)
    data.setdefault("owner", actor)
    if data.get("review_due_on") is None and data.get("status") == ArticleStatus.PUBLISHED:
        data["review_due_on"] = default_review_date()
    article = Article(created_by=actor if actor.pk else None)
    _prepare(actor, article, data)
    article.save()
    _keep_revision(actor, article, note)
    audit.record_create(actor=actor, instance=article, fields=AUDITED)
    return article


@transaction.atomic
def update_article(
    *, actor: User, article: Article, data: dict[str, Any], version: int | None, note: str = ""
) -> Article:
    locked = Article.objects.select_for_update(of=("self",)).get(pk=article.pk)
    check_version(locked, version)
    if not may_change(actor, locked):
        raise PermissionDeniedError()
    before = audit.snapshot(locked, AUDITED)
    was_published = locked.status == ArticleStatus.PUBLISHED
    _prepare(actor, locked, data)
    after = audit.snapshot(locked, AUDITED)
    changes = audit.diff(before, after)
    if not changes:
        return locked
    if not was_published and locked.status == ArticleStatus.PUBLISHED and not locked.review_due_on:
        locked.review_due_on = default_review_date()
    content_changed = any(f in changes for f in CONTENT)
    if content_changed:
        locked.revision += 1
        changes["revision"] = [locked.revision - 1, locked.revision]
    if "review_due_on" in changes:
        locked.reminded_for = None
    locked.version = F("version") + 1
    locked.save()
    locked.refresh_from_db()
    if content_changed:
        _keep_revision(actor, locked, note)
    audit.record(actor=actor, action=AuditAction.UPDATE, instance=locked, changes=changes)
    return locked


@transaction.atomic
def restore_revision(*, actor: User, article: Article, number: int, version: int | None) -> Article:
    """Make an earlier revision's content the current one (as a new revision: nothing lost)."""
    try:
        old = ArticleRevision.objects.get(article_id=article.pk, number=number)
    except ArticleRevision.DoesNotExist:
        raise ValidationError({"revision": _("There is no such revision.")}) from None
    category = (
        Category.objects.filter(name=old.category_name).first() if old.category_name else None
    )
    data = {"title": old.title, "body": old.body, "tags": list(old.tags), "category": category}
    note = _("Restored revision %(number)d") % {"number": old.number}
    return update_article(actor=actor, article=article, data=data, version=version, note=note)


@transaction.atomic
def delete_article(*, actor: User, article: Article) -> None:
    if not may_delete(actor, article):
        raise PermissionDeniedError()
    audit.record(
        actor=actor,
        action=AuditAction.DELETE,
        instance=article,
        changes=audit.diff(audit.snapshot(article, AUDITED), {k: None for k in AUDITED}),
    )
    article.delete()


@transaction.atomic
def record_feedback(*, actor: User, article: Article, helpful: bool) -> Article:
    """A reader's "was this helpful?": one answer per reader, which they may change. The
    counts change without a new version (a reader's click never conflicts with an editor)."""
    if not has_perm(actor, "articles", "view"):
        raise PermissionDeniedError()
    if article.status != ArticleStatus.PUBLISHED:
        raise ValidationError({"helpful": _("Only published articles can be rated.")})
    previous = (
        ArticleFeedback.objects.select_for_update()
        .filter(article_id=article.pk, user_id=actor.pk)
        .first()
    )
    if previous is not None and previous.helpful == helpful:
        return Article.objects.get(pk=article.pk)
    counts: dict[str, Any] = {}
    if previous is None:
        try:
            with transaction.atomic():
                ArticleFeedback.objects.create(article=article, user=actor, helpful=helpful)
        except IntegrityError:  # the same reader's other request won: count it once
            return Article.objects.get(pk=article.pk)
    else:
        previous.helpful = helpful
        previous.save(update_fields=["helpful", "updated_at"])
        counts["helpful_no" if helpful else "helpful_yes"] = (
            F("helpful_no" if helpful else "helpful_yes") - 1
        )
    counts["helpful_yes" if helpful else "helpful_no"] = (
        F("helpful_yes" if helpful else "helpful_no") + 1
    )
    Article.objects.filter(pk=article.pk).update(**counts)
    return Article.objects.get(pk=article.pk)


def default_review_date(today: dt.date | None = None) -> dt.date:
    today = today or timezone.localdate()
    return today + dt.timedelta(days=settings.KB_REVIEW_DAYS)


@transaction.atomic
def mark_reviewed(
    *, actor: User, article: Article, version: int | None, next_review: dt.date | None = None
) -> Article:
    """The owner checked the article: it is due again after KB_REVIEW_DAYS (or `next_review`)."""
    next_review = next_review or default_review_date()
    if next_review <= timezone.localdate():
        raise ValidationError({"review_due_on": _("The next review must be in the future.")})
    return update_article(
        actor=actor,
        article=article,
        data={"review_due_on": next_review},
        version=version,
    )


def send_review_reminders(*, today: dt.date | None = None) -> int:
    """A task for the owner of each article whose review is due, once per due date."""
    today = today or timezone.localdate()
    due = (
        Article.objects.filter(review_due_on__lte=today, owner__is_active=True)
        .exclude(status=ArticleStatus.ARCHIVED)
        .exclude(reminded_for=F("review_due_on"))
        .select_related("owner")
    )
    made = 0
    for article in due.iterator(chunk_size=200):
        language = getattr(article.owner, "language", "") or settings.LANGUAGE_CODE
        with transaction.atomic(), translation.override(language):
            claimed = (
                Article.objects.filter(pk=article.pk, review_due_on=article.review_due_on)
                .exclude(reminded_for=F("review_due_on"))
                .update(reminded_for=F("review_due_on"))
            )
            if not claimed:
                continue  # another run reminded it meanwhile
            followups.create_system_task(
                kind=TaskKind.OTHER,
                title=_("Review the article “%(title)s”") % {"title": article.title[:150]},
                notes=_("Check that the article is still right, then mark it reviewed."),
                assignee=article.owner,
                due_at=timezone.now(),
                priority=Priority.NORMAL,
            )
            made += 1
    return made


# --- categories -------------------------------------------------------------------------------


@transaction.atomic
def save_category(
    *, actor: User, category: Category | None, name: str, position: int = 0,
    version: int | None = None,
) -> Category:  # fmt: skip
    if not may_manage_categories(actor):
        raise PermissionDeniedError()
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": _("This field is required.")})
    if len(name) > 100:
        raise ValidationError({"name": _("At most 100 characters.")})
    taken = Category.objects.filter(name=name)
    if category is not None:
        taken = taken.exclude(pk=category.pk)
    if taken.exists():
        raise ValidationError({"name": _("A category with this name exists already.")})
    if category is None:
        category = Category.objects.create(name=name, position=position)
        audit.record_create(actor=actor, instance=category, fields=("name", "position"))
        return category
    locked = Category.objects.select_for_update().get(pk=category.pk)
    check_version(locked, version)
    before = audit.snapshot(locked, ("name", "position"))
    locked.name, locked.position = name, position
    changes = audit.diff(before, audit.snapshot(locked, ("name", "position")))
    if changes:
        locked.version = F("version") + 1
        locked.save()
        locked.refresh_from_db()
        audit.record(actor=actor, action=AuditAction.UPDATE, instance=locked, changes=changes)
    return locked


@transaction.atomic
def delete_category(*, actor: User, category: Category) -> None:
    """Articles of a deleted category stay, without a category."""
    if not may_manage_categories(actor):
        raise PermissionDeniedError()
    audit.record(
        actor=actor,
        action=AuditAction.DELETE,
        instance=category,
        changes={"name": [category.name, None]},
    )
    category.delete()
