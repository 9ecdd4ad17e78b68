"""The articles API: two users, bad input, revisions, restore, feedback, search."""

import pytest

from guanxi.kb.models import Article

pytestmark = pytest.mark.django_db

URL = "/api/v1/articles/"


def test_a_rep_lists_published_articles_only(kb, api):
    body = api(kb.rep_a).get(URL).json()
    assert [a["id"] for a in body["results"]] == [kb.published.pk]
    assert "<h1>退货</h1>" in body["results"][0]["body_html"]


def test_a_draft_of_someone_else_is_a_404_for_a_reader(kb, api):
    assert api(kb.rep_a).get(f"{URL}{kb.draft.pk}/").status_code == 404
    assert api(kb.agent2).get(f"{URL}{kb.draft.pk}/").status_code == 200


def test_a_reader_cannot_create_change_or_delete(kb, api):
    client = api(kb.rep_a)
    assert client.post(URL, {"title": "x"}, format="json").status_code == 403
    response = client.patch(f"{URL}{kb.published.pk}/", {"title": "y", "version": 1}, format="json")
    assert response.status_code == 403
    assert client.delete(f"{URL}{kb.published.pk}/").status_code == 403
    assert Article.objects.filter(pk=kb.published.pk, title__startswith="退货").exists()


def test_create_edit_and_restore_through_the_api(kb, api):
    client = api(kb.agent)
    created = client.post(
        URL,
        {"title": "换货 Exchange", "body": "先退后换", "tags": ["换货"], "status": "published"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    edited = client.patch(
        f"{URL}{pk}/", {"body": "直接换货", "version": 1, "note": "简化"}, format="json"
    )
    assert edited.status_code == 200 and edited.json()["revision"] == 2
    revisions = client.get(f"{URL}{pk}/revisions/").json()["results"]
    assert [r["number"] for r in revisions] == [2, 1] and revisions[0]["note"] == "简化"
    restored = client.post(f"{URL}{pk}/restore/", {"revision": 1, "version": 2}, format="json")
    assert restored.status_code == 200 and restored.json()["body"] == "先退后换"


def test_a_stale_patch_is_a_409(kb, api):
    client = api(kb.agent)
    assert (
        client.patch(
            f"{URL}{kb.published.pk}/", {"title": "A", "version": 1}, format="json"
        ).status_code
        == 200
    )
    stale = client.patch(f"{URL}{kb.published.pk}/", {"title": "B", "version": 1}, format="json")
    assert stale.status_code == 409


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"title": ""},
        {"title": "x", "status": "live"},
        {"title": "x", "tags": "not a list"},
        {"title": "x", "tags": ["a" * 31]},
        {"title": "x", "category": 999999},
        {"title": "x", "owner": 999999},
        {"title": "x", "unknown": 1},
    ],
)
def test_bad_input_is_a_400_with_field_messages(kb, api, payload):
    response = api(kb.agent).post(URL, payload, format="json")
    assert response.status_code == 400
    assert response.json()


def test_feedback_counts_and_refuses_bad_values(kb, api):
    client = api(kb.rep_a)
    ok = client.post(f"{URL}{kb.published.pk}/feedback/", {"helpful": True}, format="json")
    assert ok.status_code == 200 and ok.json()["helpful_yes"] == 1
    assert (
        client.post(
            f"{URL}{kb.published.pk}/feedback/", {"helpful": "maybe"}, format="json"
        ).status_code
        == 400
    )
    assert (
        client.post(f"{URL}{kb.draft.pk}/feedback/", {"helpful": True}, format="json").status_code
        == 404
    )


def test_search_parameter_finds_by_chinese_and_english_words(kb, api):
    client = api(kb.rep_a)
    assert [a["id"] for a in client.get(URL, {"search": "无理由"}).json()] == [kb.published.pk]
    assert [a["id"] for a in client.get(URL, {"search": "RETURN"}).json()] == [kb.published.pk]
    assert client.get(URL, {"search": "价格"}).json() == []  # only in a draft rep_a cannot see


def test_history_of_an_article(kb, api):
    events = api(kb.agent).get(f"{URL}{kb.published.pk}/history/").json()["results"]
    assert events and events[0]["action"] == "create"


def test_categories_are_managed_by_editors_only(kb, api):
    assert (
        api(kb.rep_a)
        .post("/api/v1/article-categories/", {"name": "售后"}, format="json")
        .status_code
        == 403
    )
    created = api(kb.agent).post("/api/v1/article-categories/", {"name": "售后"}, format="json")
    assert created.status_code == 201
    dup = api(kb.agent2).post("/api/v1/article-categories/", {"name": "售后"}, format="json")
    assert dup.status_code == 400 and "name" in dup.json()
    assert api(kb.rep_a).get("/api/v1/article-categories/").status_code == 200
