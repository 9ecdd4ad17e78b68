"""A body that is not JSON gets a message in the reader's language, with where it broke."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "The request body is not valid JSON (line 1, column 17)."),
        ("zh-hans", "请求内容不是有效的 JSON（第 1 行，第 17 列）。"),
    ],
)
def test_a_body_that_is_not_json_is_told_where_in_the_readers_language(
    two_teams, api, language, expected
):
    response = api(two_teams.rep_a).generic(
        "POST",
        "/api/v1/customers/",
        '{"display_name" "x"}',
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 400
    assert response.json() == {"detail": expected}
