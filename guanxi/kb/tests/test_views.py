"""The knowledge-base pages: two users, forms, diff, restore, feedback, query counts."""

import pytest
from django.urls import reverse

from guanxi.kb import services
from guanxi.kb.models import Article

pytestmark = pytest.mark.django_db


def test_the_list_shows_what_the_user_may_read(kb, client):
    client.force_login(kb.rep_a)
    page = client.get(reverse("kb:list")).content.decode()
    assert "退货流程" in page and "内部草稿" not in page
    client.force_login(kb.agent2)
    assert "内部草稿" in client.get(reverse("kb:list")).content.decode()


def test_searching_the_list(kb, client):
    client.force_login(kb.rep_a)
    page = client.get(reverse("kb:list"), {"q": "无理由"}).content.decode()
    assert "退货流程" in page
    page = client.get(reverse("kb:list"), {"q": "发票"}).content.decode()
    assert "退货流程" not in page


def test_a_draft_page_is_a_404_for_a_reader(kb, client):
    client.force_login(kb.rep_a)
    assert client.get(reverse("kb:detail", args=[kb.draft.pk])).status_code == 404
    assert client.get(reverse("kb:edit", args=[kb.published.pk])).status_code in (403, 200)


def test_a_reader_cannot_save_an_edit(kb, client):
    client.force_login(kb.rep_a)
    response = client.post(
        reverse("kb:edit", args=[kb.published.pk]),
        {"title": "改", "status": "published", "body": "x", "version": 1},
    )
    assert response.status_code == 403
    assert Article.objects.get(pk=kb.published.pk).title.startswith("退货")


def test_an_editor_creates_an_article_and_sees_it_rendered(kb, client):
    client.force_login(kb.agent)
    response = client.post(
        reverse("kb:create"),
        {
            "title": "开发票",
            "status": "published",
            "body": "## 步骤\n\n1. 登录",
            "tags": "发票, invoice",
        },
    )
    article = Article.objects.get(title="开发票")
    assert response.status_code == 302
    page = client.get(reverse("kb:detail", args=[article.pk])).content.decode()
    assert "<h2>步骤</h2>" in page and "invoice" in page


def test_a_bad_form_keeps_what_was_typed(kb, client):
    client.force_login(kb.agent)
    response = client.post(
        reverse("kb:create"), {"title": "草稿", "status": "published", "body": ""}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "草稿" in page and "invalid-feedback" in page


def test_diff_and_restore_pages(kb, client):
    services.update_article(
        actor=kb.agent, article=kb.published, data={"body": "十五天退货"}, version=1
    )
    client.force_login(kb.agent2)
    diff = client.get(reverse("kb:diff", args=[kb.published.pk])).content.decode()
    assert "十五天退货" in diff and "bg-red-lt" in diff and "bg-green-lt" in diff
    response = client.post(reverse("kb:restore", args=[kb.published.pk, 1]), {"version": 2})
    assert response.status_code == 302
    assert Article.objects.get(pk=kb.published.pk).revision == 3
    client.force_login(kb.rep_a)
    assert (
        client.post(reverse("kb:restore", args=[kb.published.pk, 1]), {"version": 3}).status_code
        == 403
    )


def test_diff_of_unknown_revisions_is_a_404(kb, client):
    client.force_login(kb.agent)
    url = reverse("kb:diff", args=[kb.published.pk])
    assert client.get(url, {"a": "7", "b": "1"}).status_code == 404
    assert client.get(url, {"a": "x"}).status_code == 404


def test_feedback_by_htmx_answers_a_fragment(kb, client):
    client.force_login(kb.rep_a)
    response = client.post(
        reverse("kb:feedback", args=[kb.published.pk]), {"helpful": "yes"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and 'aria-pressed="true"' in response.content.decode()
    bad = client.post(reverse("kb:feedback", args=[kb.published.pk]), {"helpful": "?"})
    assert bad.status_code == 400


def test_categories_page_is_for_editors(kb, client):
    client.force_login(kb.rep_a)
    assert client.get(reverse("kb:categories")).status_code == 403
    client.force_login(kb.agent)
    assert client.post(reverse("kb:categories"), {"name": "售后", "position": 1}).status_code == 302
    again = client.post(reverse("kb:categories"), {"name": "售后", "position": 1})
    assert again.status_code == 200 and "invalid-feedback" in again.content.decode()


def test_list_query_count_does_not_grow_with_articles(kb, client, django_assert_max_num_queries):
    for i in range(15):
        services.create_article(
            actor=kb.agent, data={"title": f"文章 {i}", "body": "x", "status": "published"}
        )
    client.force_login(kb.rep_a)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("kb:list")).status_code == 200


def test_pages_answer_at_phone_width_markup(kb, client):
    client.force_login(kb.agent)
    for name, args in [
        ("kb:list", []),
        ("kb:detail", [kb.published.pk]),
        ("kb:revisions", [kb.published.pk]),
        ("kb:create", []),
        ("kb:categories", []),
    ]:
        assert client.get(reverse(name, args=args)).status_code == 200, name
