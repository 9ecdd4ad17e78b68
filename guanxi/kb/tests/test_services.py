"""Articles: validation, revisions and restore, feedback counts, review reminders."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from guanxi.audit.models import AuditEvent
from guanxi.core.errors import ConflictError, PermissionDeniedError
from guanxi.followups.models import Task
from guanxi.kb import selectors, services
from guanxi.kb.models import Article, ArticleRevision, ArticleStatus

pytestmark = pytest.mark.django_db


def test_creating_keeps_revision_one_and_an_audit_event(kb):
    article = kb.published
    assert article.revision == 1
    assert list(article.revisions.values_list("number", flat=True)) == [1]
    assert article.owner == kb.agent
    assert article.review_due_on is not None  # published: due for review later
    assert AuditEvent.objects.filter(object_id=str(article.pk), action="create").exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"title": "   "}, "title"),
        ({"title": "x", "status": "published", "body": ""}, "body"),
        ({"title": "x", "status": "nonsense"}, "status"),
        ({"title": "x", "tags": ["a" * 31]}, "tags"),
        ({"title": "x", "tags": [str(i) for i in range(21)]}, "tags"),
        ({"title": "x", "tags": 5}, "tags"),
        ({"title": "x", "body": "y" * 100_001}, "body"),
        ({"title": "x", "colour": "red"}, "colour"),
    ],
)
def test_bad_input_is_refused_on_its_field(kb, data, field):
    with pytest.raises(ValidationError) as caught:
        services.create_article(actor=kb.agent, data=data)
    assert field in caught.value.message_dict


def test_a_sales_rep_may_read_but_not_write(kb):
    with pytest.raises(PermissionDeniedError):
        services.create_article(actor=kb.rep_a, data={"title": "x"})
    with pytest.raises(PermissionDeniedError):
        services.update_article(
            actor=kb.rep_a, article=kb.published, data={"title": "y"}, version=1
        )
    with pytest.raises(PermissionDeniedError):
        services.delete_article(actor=kb.rep_a, article=kb.published)


def test_each_content_change_is_a_new_revision_and_restore_brings_back_the_old_text(kb):
    article = services.update_article(
        actor=kb.agent2,
        article=kb.published,
        data={"body": "十五天无理由退货。"},
        version=1,
        note="延长到十五天",
    )
    assert article.revision == 2 and article.version == 2
    assert "十五天" in article.body_html
    latest = ArticleRevision.objects.get(article=article, number=2)
    assert latest.author == kb.agent2 and latest.note == "延长到十五天"

    restored = services.restore_revision(actor=kb.agent, article=article, number=1, version=2)
    assert restored.revision == 3
    assert "七天无理由退货" in restored.body
    assert list(restored.revisions.values_list("number", flat=True)) == [3, 2, 1]


def test_a_status_change_alone_keeps_the_revision(kb):
    article = services.update_article(
        actor=kb.agent, article=kb.draft, data={"status": "published"}, version=1
    )
    assert article.revision == 1 and article.version == 2
    assert article.published_at is not None and article.review_due_on is not None


def test_a_stale_save_is_refused(kb):
    services.update_article(actor=kb.agent, article=kb.published, data={"title": "A"}, version=1)
    with pytest.raises(ConflictError):
        services.update_article(
            actor=kb.agent2, article=kb.published, data={"title": "B"}, version=1
        )
    assert Article.objects.get(pk=kb.published.pk).title == "A"


def test_restoring_an_unknown_revision_says_so(kb):
    with pytest.raises(ValidationError) as caught:
        services.restore_revision(actor=kb.agent, article=kb.published, number=9, version=1)
    assert "revision" in caught.value.message_dict


def test_feedback_counts_one_answer_per_reader_and_follows_a_change_of_mind(kb):
    article = services.record_feedback(actor=kb.rep_a, article=kb.published, helpful=True)
    article = services.record_feedback(actor=kb.rep_a, article=article, helpful=True)
    assert (article.helpful_yes, article.helpful_no) == (1, 0)
    article = services.record_feedback(actor=kb.rep_b, article=article, helpful=False)
    article = services.record_feedback(actor=kb.rep_a, article=article, helpful=False)
    assert (article.helpful_yes, article.helpful_no) == (0, 2)
    assert article.version == 1  # a reader's click never makes an editor's save stale


def test_drafts_cannot_be_rated(kb):
    with pytest.raises(ValidationError):
        services.record_feedback(actor=kb.agent, article=kb.draft, helpful=True)


def test_review_reminder_is_one_task_per_due_date_for_the_owner(kb):
    today = kb.published.review_due_on
    assert services.send_review_reminders(today=today - dt.timedelta(days=1)) == 0
    assert services.send_review_reminders(today=today) == 1
    assert services.send_review_reminders(today=today) == 0  # not twice
    task = Task.objects.get()
    assert task.assignee == kb.agent and "退货流程" in task.title

    reviewed = services.mark_reviewed(
        actor=kb.agent,
        article=kb.published,
        version=kb.published.version,
        next_review=today + dt.timedelta(days=30),
    )
    assert reviewed.review_due_on > today
    assert services.send_review_reminders(today=reviewed.review_due_on) == 1


def test_mark_reviewed_refuses_a_date_in_the_past(kb):
    with pytest.raises(ValidationError):
        services.mark_reviewed(
            actor=kb.agent,
            article=kb.published,
            version=1,
            next_review=dt.date(2000, 1, 1),
        )


def test_readers_see_published_articles_and_their_own_drafts_only(kb):
    assert set(selectors.article_list(user=kb.rep_a)) == {kb.published}
    assert set(selectors.article_list(user=kb.agent2)) == {kb.published, kb.draft}  # editor
    assert kb.draft in set(selectors.article_list(user=kb.agent))


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("退货", True),
        ("return", True),
        ("RETURN 退货", True),
        ("ｒｅｔｕｒｎ", True),  # full-width
        ("无理由", True),  # a Chinese word inside a longer run
        ("退货 exchange", False),  # every word must appear
        ("价格", False),  # only in the draft, which rep_a cannot see
    ],
)
def test_search_finds_chinese_and_english_words(kb, query, found):
    qs = selectors.search(selectors.article_list(user=kb.rep_a), query)
    assert (kb.published in list(qs)) is found


def test_search_ranks_title_matches_first(kb):
    other = services.create_article(
        actor=kb.agent,
        data={"title": "发票说明", "body": "开票前请先确认退货是否完成。", "status": "published"},
    )
    results = list(selectors.search(selectors.article_list(user=kb.rep_a), "退货"))
    assert results == [kb.published, other]


def test_deleting_a_category_keeps_its_articles(kb):
    category = services.save_category(actor=kb.agent, category=None, name="售后")
    services.update_article(
        actor=kb.agent, article=kb.published, data={"category": category}, version=1
    )
    services.delete_category(actor=kb.agent, category=category)
    assert Article.objects.get(pk=kb.published.pk).category is None


def test_category_names_are_unique_and_only_editors_manage_them(kb):
    services.save_category(actor=kb.agent, category=None, name="售后")
    with pytest.raises(ValidationError):
        services.save_category(actor=kb.agent2, category=None, name=" 售后 ")
    with pytest.raises(PermissionDeniedError):
        services.save_category(actor=kb.rep_a, category=None, name="销售")


def test_status_values_are_complete():
    assert set(ArticleStatus.values) == {"draft", "published", "archived"}
