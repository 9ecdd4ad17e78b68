import pytest


@pytest.fixture
def person(two_teams, api):
    """Make a person through the API as `user` (default rep_a); returns the JSON."""

    def make(name, user=None, **extra):
        user = user or two_teams.rep_a
        response = api(user).post(
            "/api/v1/customers/", {"display_name": name, **extra}, format="json"
        )
        assert response.status_code == 201, response.json()
        return response.json()

    return make


@pytest.fixture(autouse=True)
def _english(settings):
    """Messages are asserted in English (the source language); one test checks Chinese."""
    settings.LANGUAGE_CODE = "en"
