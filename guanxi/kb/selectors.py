"""Reads of the knowledge base for a user: only the articles that user may see."""

from __future__ import annotations

from django.db.models import Case, QuerySet, Value, When
from django.db.models.functions import Lower

from guanxi.accounts.models import User

from . import text
from .models import Article, ArticleRevision, Category
from .policies import article_visible_q

SEARCH_LIMIT = 50


def article_list(*, user: User) -> QuerySet[Article]:
    return Article.objects.filter(article_visible_q(user))


def article_get(*, user: User, pk: int | str) -> Article:
    """One article the user may see; Article.DoesNotExist otherwise (a 404 to the user)."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Article.DoesNotExist from None
    return article_list(user=user).select_related("category", "owner").get(pk=pk)


def search(qs: QuerySet[Article], query: str) -> QuerySet[Article]:
    """Articles containing every word of the query (Chinese and English alike, full-width and
    case folded), best first: a word in the title counts most, then in the tags, then the text.

    The knowledge base holds thousands of articles, not millions: a scan of the normalised
    text is fast enough and finds Chinese words inside longer ones, which a word index would
    not without a segmenter. The result is capped at SEARCH_LIMIT rows."""
    words = text.terms(query)
    if not words:
        return qs.none()
    for word in words:
        qs = qs.filter(search_text__contains=word)
    title = Lower("title")
    score = sum(
        (Case(When(**{"title_l__contains": w}, then=Value(3)), default=Value(0)) for w in words),
        Value(0),
    )
    return (
        qs.annotate(title_l=title)
        .annotate(score=score)
        .order_by("-score", "-updated_at", "-id")[:SEARCH_LIMIT]
    )


def revisions(*, user: User, article: Article) -> QuerySet[ArticleRevision]:
    """The saved versions of an article the user may see (`article` came from article_get)."""
    return ArticleRevision.objects.filter(article=article).select_related("author")


def revision_get(*, user: User, article: Article, number: int | str) -> ArticleRevision:
    try:
        number = int(number)
    except (TypeError, ValueError):
        raise ArticleRevision.DoesNotExist from None
    return revisions(user=user, article=article).get(number=number)


def categories() -> QuerySet[Category]:
    return Category.objects.all()


def tag_cloud(*, user: User, limit: int = 30) -> list[str]:
    """The most used tags among the articles the user may see (for the filter)."""
    counts: dict[str, int] = {}
    for tags in article_list(user=user).values_list("tags", flat=True)[:2000]:
        for tag in tags or []:
            counts[tag] = counts.get(tag, 0) + 1
    return sorted(counts, key=lambda t: (-counts[t], t))[:limit]
