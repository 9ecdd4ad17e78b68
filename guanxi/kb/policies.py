"""Who reads and who edits the knowledge base, written once.

Published articles are read by everyone whose role may view articles. Drafts and archived
articles are seen by their owner and by those who may change articles. Editing needs the
role's "change" right, or "create" for one's own articles; deleting needs "delete".
"""

from __future__ import annotations

from django.db.models import Q

from guanxi.accounts.models import User
from guanxi.accounts.policies import has_perm, is_admin

from .models import Article, ArticleStatus


def article_visible_q(user: User) -> Q:
    if not has_perm(user, "articles", "view"):
        return Q(pk__in=[])
    if is_admin(user) or has_perm(user, "articles", "change"):
        return Q()
    return Q(status=ArticleStatus.PUBLISHED) | Q(owner_id=user.pk)


def may_change(user: User, article: Article) -> bool:
    if has_perm(user, "articles", "change"):
        return True
    return has_perm(user, "articles", "create") and article.owner_id == user.pk


def may_delete(user: User, article: Article) -> bool:
    return has_perm(user, "articles", "delete")


def may_manage_categories(user: User) -> bool:
    return has_perm(user, "articles", "change")
