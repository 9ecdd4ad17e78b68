"""Greeting templates in the API: administrators only (as the care settings page), changed through
care.services.update_template with its version and placeholder checks."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guanxi.care.models import GreetingTemplate

pytestmark = pytest.mark.django_db
URL = "/api/v1/greeting-templates/"


def test_only_administrators_read_and_change_templates(world, api):
    url = f"{URL}mid_autumn/"
    for user in (world.rep_a, world.manager_a, world.analyst, world.head_manager):
        client = api(user)
        assert client.get(URL).status_code == 403, user
        assert client.get(url).status_code == 403, user
        response = client.patch(url, {"enabled": False, "version": 1}, format="json")
        assert response.status_code == 403, user
    assert api().get(URL).status_code in (401, 403)
    assert GreetingTemplate.objects.get(occasion="mid_autumn").enabled is True


def test_list_and_read_templates(world, api):
    client = api(world.admin)
    rows = client.get(URL, HTTP_ACCEPT_LANGUAGE="en").json()["results"]
    occasions = [r["occasion"] for r in rows]
    assert occasions[0] == "birthday" and "mid_autumn" in occasions
    assert len(occasions) == GreetingTemplate.objects.count()
    one = client.get(f"{URL}mid_autumn/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert one["label"] == "Mid-Autumn Festival (中秋)" and one["version"] == 1
    assert "{name}" in one["body_zh"] + one["body_en"] + one["subject_zh"] + one["subject_en"]
    zh = client.get(f"{URL}mid_autumn/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert zh["label"] != one["label"]
    for occasion in ("nope", "MID_AUTUMN", "1", "x" * 40):
        assert client.get(f"{URL}{occasion}/").status_code == 404, occasion


def test_edit_a_template_with_its_version(world, api):
    client = api(world.admin)
    url = f"{URL}mid_autumn/"
    body = {
        "enabled": False,
        "grades": ["vip", "important", "vip"],
        "task_days_ahead": 5,
        "subject_en": "  Happy   Mid-Autumn, {name}  ",
        "body_en": "Dear {name},\n\n{{moon}} {festival}\n",
        "version": 1,
    }
    response = client.patch(url, body, format="json")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["version"] == 2 and data["enabled"] is False
    assert data["grades"] == ["important", "vip"]
    assert data["subject_en"] == "Happy Mid-Autumn, {name}"
    assert data["body_en"] == "Dear {name},\n\n{{moon}} {festival}"
    stale = client.patch(url, {"task_days_ahead": 1, "version": 1}, format="json")
    assert stale.status_code == 409 and stale.json()["current_version"] == 2
    missing = client.patch(url, {"task_days_ahead": 1}, format="json")
    assert missing.status_code == 400 and "version" in missing.json()
    template = GreetingTemplate.objects.get(occasion="mid_autumn")
    assert (template.task_days_ahead, template.version) == (5, 2)
    history = client.get(f"{url}history/").json()["results"]
    assert history and history[0]["action"] == "update"


def test_unknown_placeholders_are_field_errors_in_the_users_language(world, api):
    client = api(world.admin)
    url = f"{URL}birthday/"
    en = client.patch(
        url,
        {"body_en": "Dear {customer.owner.password}", "version": 1},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert en.status_code == 400
    assert list(en.json()) == ["body_en"]
    assert en.json()["body_en"][0].startswith("Unknown placeholder: {customer.owner.password}.")
    zh = client.patch(
        url,
        {"subject_zh": "{姓名}生日快乐", "version": 1},
        format="json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert zh.status_code == 400 and zh.json()["subject_zh"][0].startswith("未知占位符")
    brace = client.patch(
        url, {"body_zh": "祝{name 生日快乐", "version": 1}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert brace.status_code == 400
    assert brace.json() == {
        "body_zh": ["A brace is not closed. Write {{ and }} for literal braces."]
    }
    assert GreetingTemplate.objects.get(occasion="birthday").version == 1


def test_bad_input_is_a_400_never_a_500(world, api):
    client = api(world.admin)
    url = f"{URL}birthday/"
    bodies = [
        [],
        "x",
        {"version": "one"},
        {"version": 1, "occasion": "christmas", "label": "x", "nope": 1},
        {"version": 1, "grades": "vip"},
        {"version": 1, "grades": ["gold"]},
        {"version": 1, "grades": [["vip"]]},
        {"version": 1, "grades": ["vip"] * 50},
        {"version": 1, "task_days_ahead": 61},
        {"version": 1, "task_days_ahead": -1},
        {"version": 1, "task_days_ahead": 2**70},
        {"version": 1, "task_days_ahead": "soon"},
        {"version": 1, "enabled": "perhaps"},
        {"version": 1, "subject_zh": ""},
        {"version": 1, "subject_zh": "   "},
        {"version": 1, "body_en": None},
        {"version": 1, "subject_en": "x" * 201},
        {"version": 1, "body_zh": "x" * 5001},
        {"version": 1, "body_zh": {"a": 1}},
        {"version": 2**70},
    ]
    for body in bodies:
        response = client.patch(url, body, format="json")
        assert response.status_code == 400, (body, response.content)
    # read-only fields sent back are ignored, not an error
    ok = client.patch(url, {"version": 1, "occasion": "christmas", "label": "x"}, format="json")
    assert ok.status_code == 200 and ok.json()["occasion"] == "birthday"
    assert client.post(URL, {"occasion": "birthday"}, format="json").status_code == 405
    assert client.put(url, {"version": 1}, format="json").status_code == 405
    assert client.delete(url).status_code == 405
    assert GreetingTemplate.objects.filter(occasion="birthday").exists()


def test_any_json_body_gets_a_4xx_or_success_never_a_500(world, api):
    client = api(world.admin)
    scalars = (
        st.none()
        | st.booleans()
        | st.integers(min_value=-(2**70), max_value=2**70)
        | st.text(max_size=20)
        | st.sampled_from(["", "{name}", "{", "}}", "{x.y}", "vip", "x" * 6000])
    )
    values = scalars | st.lists(scalars, max_size=4) | st.dictionaries(st.text(max_size=5), scalars)
    keys = st.sampled_from(
        ["enabled", "grades", "task_days_ahead", "subject_zh", "body_zh", "subject_en", "body_en"]
    )

    @settings(
        max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True
    )
    @given(body=st.dictionaries(keys, values, max_size=4), version=st.sampled_from([None, 1]))
    def check(body, version):
        current = GreetingTemplate.objects.get(occasion="qixi").version
        if version is not None:
            body = {**body, "version": current}
        response = client.patch(f"{URL}qixi/", body, format="json")
        assert response.status_code < 500, (body, response.content[:300])

    check()


def test_the_schema_describes_greeting_templates(world, api):
    schema = api(world.admin).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    paths = schema.json()["paths"]
    assert set(paths["/api/v1/greeting-templates/{occasion}/"]) == {"get", "patch"}
    assert set(paths["/api/v1/greeting-templates/"]) == {"get"}
