"""The greeting template's page: the grades are a group of check boxes, each with its label."""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_each_grade_is_a_check_box_beside_its_own_label(world, client):
    client.force_login(world.admin)
    url = reverse("care:template_edit", args=["birthday"])
    html = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    group = re.search(r"<fieldset[^>]*>(.*?)</fieldset>", html, re.S)
    assert group, "the grades are one group of inputs"
    assert re.search(r"<legend[^>]*>\s*Grades\s*</legend>", group.group(1))
    options = re.findall(
        r'<label class="form-check[^"]*">\s*<input type="checkbox" name="grades"[^>]*>'
        r'\s*<span class="form-check-label">([^<]+)</span>',
        group.group(1),
    )
    assert options == ["VIP", "important", "normal"]


def test_the_chosen_grades_are_kept(world, client):
    client.force_login(world.admin)
    url = reverse("care:template_edit", args=["birthday"])
    html = client.get(url).content.decode()
    version = re.search(r'name="version" value="(\d+)"', html).group(1)
    data = {
        "enabled": "on",
        "grades": ["vip", "important"],
        "task_days_ahead": "3",
        "subject_zh": "生日快乐",
        "body_zh": "亲爱的{name}",
        "subject_en": "Happy birthday",
        "body_en": "Dear {name}",
        "version": version,
    }
    assert client.post(url, data).status_code == 302
    html = client.get(url).content.decode()
    assert len(re.findall(r'name="grades" value="\w+"[^>]*checked', html)) == 2
