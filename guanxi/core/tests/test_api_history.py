"""Every resource's /history/ (the audit log of one record) answers, whatever order the
resource's own list is sorted in: the history is newest first."""

import pytest

from guanxi.care.models import CarePlan
from guanxi.kb.models import Category
from guanxi.pipeline import services as pipeline_services

pytestmark = pytest.mark.django_db


def test_history_of_records_whose_lists_sort_by_their_own_fields(two_teams, api):
    admin = two_teams.admin
    pipeline = pipeline_services.create_pipeline(
        actor=admin, data={"name": "Sales", "currency": "CNY"}
    )
    client = api(admin)
    for url in (
        f"/api/v1/pipelines/{pipeline.pk}/history/",
        f"/api/v1/care-plans/{CarePlan.objects.first().pk}/history/",
        f"/api/v1/article-categories/{Category.objects.create(name='FAQ').pk}/history/",
    ):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        assert "results" in response.json()
    events = client.get(f"/api/v1/pipelines/{pipeline.pk}/history/").json()["results"]
    assert events and events[0]["action"] == "create"
