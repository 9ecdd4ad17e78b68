import pytest

from guanxi.kb import services
from guanxi.kb.models import ArticleStatus


@pytest.fixture
def kb(two_teams, make_user):
    """The two-team world plus two service agents (who write articles) and a few articles."""
    w = two_teams
    w.agent = make_user("agent", "service", w.team_a)
    w.agent2 = make_user("agent2", "service", w.team_b)
    w.published = services.create_article(
        actor=w.agent,
        data={
            "title": "退货流程 Return policy",
            "body": "# 退货\n\n七天无理由退货。Customers may **return** goods within 7 days.",
            "tags": ["退货", "policy"],
            "status": ArticleStatus.PUBLISHED,
        },
    )
    w.draft = services.create_article(
        actor=w.agent,
        data={"title": "内部草稿 Draft pricing", "body": "价格调整方案", "status": "draft"},
    )
    return w
