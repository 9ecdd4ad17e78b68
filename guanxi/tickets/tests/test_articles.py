"""Knowledge-base articles linked from tickets: only readable ones, audited, per user."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from guanxi.audit.models import AuditEvent
from guanxi.kb import services as kb
from guanxi.tickets import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def articles(world, make_user):
    agent = make_user("kb_agent", "service", world.team_a)
    published = kb.create_article(
        actor=agent,
        data={"title": "盖子破损怎么办 Broken lid", "body": "换新盖子。", "status": "published"},
    )
    draft = kb.create_article(actor=agent, data={"title": "草稿", "body": "x"})
    return published, draft


def test_linking_an_article_is_in_the_tickets_history(world, articles):
    published, _draft = articles
    services.link_article(actor=world.rep_a, ticket=world.ticket_a, article_id=published.pk)
    assert list(world.ticket_a.articles.all()) == [published]
    event = AuditEvent.objects.filter(object_id=str(world.ticket_a.pk)).latest("id")
    assert event.changes["articles"] == [[], [published.pk]]
    services.link_article(
        actor=world.rep_a, ticket=world.ticket_a, article_id=published.pk, linked=False
    )
    assert not world.ticket_a.articles.exists()


def test_an_article_the_user_cannot_read_cannot_be_linked(world, articles):
    _published, draft = articles  # a draft: only its owner and editors read it
    with pytest.raises(ValidationError):
        services.link_article(actor=world.rep_a, ticket=world.ticket_a, article_id=draft.pk)
    with pytest.raises(ValidationError):
        services.link_article(actor=world.rep_a, ticket=world.ticket_a, article_id="x")


def test_another_reps_ticket_is_out_of_reach(world, articles, api):
    published, _draft = articles
    response = api(world.rep_b).post(
        f"/api/v1/tickets/{world.ticket_a.pk}/articles/", {"article": published.pk}, format="json"
    )
    assert response.status_code == 404
    mine = api(world.rep_a).post(
        f"/api/v1/tickets/{world.ticket_a.pk}/articles/", {"article": published.pk}, format="json"
    )
    assert mine.status_code == 200 and mine.json() == [
        {"id": published.pk, "title": published.title}
    ]


def test_the_ticket_page_suggests_and_links_articles(world, articles, client):
    published, _draft = articles
    world.ticket_a.subject = "Broken lid"
    world.ticket_a.save(update_fields=["subject"])
    client.force_login(world.rep_a)
    page = client.get(reverse("tickets:detail", args=[world.ticket_a.pk])).content.decode()
    assert "盖子破损怎么办" in page  # suggested from the subject
    response = client.post(
        reverse("tickets:article_link", args=[world.ticket_a.pk]), {"article": published.pk}
    )
    assert response.status_code == 302
    assert world.ticket_a.articles.filter(pk=published.pk).exists()
