"""The shared mechanism of form pages over services (guanxi.core.web): service errors beside
their fields, the 403 page, the conflict page and its re-apply, nothing typed lost."""

from __future__ import annotations

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django_htmx.middleware import HtmxDetails

from guanxi.core.errors import PermissionDeniedError
from guanxi.core.web import ServiceForm, ServiceFormView, StyledForm, apply_service_errors
from guanxi.customers import selectors, services
from guanxi.customers.models import Tag

pytestmark = pytest.mark.django_db


class TagForm(ServiceForm):
    name = forms.CharField(label="Name", max_length=50)
    color = forms.CharField(label="Colour", required=False)


class TagEdit(ServiceFormView):
    template_name = "core/forbidden.html"  # any page that renders; the tests read the form
    form_class = TagForm

    def get_object(self):
        return selectors.tag_list(user=self.request.user).get(pk=self.kwargs["pk"])

    def get_initial(self, obj):
        return {"name": obj.name, "color": obj.color, "version": obj.version}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = kwargs["form"]
        self.seen_form = form
        context["message"] = " | ".join(
            [f"{name}={form[name].value()}" for name in form.fields]
            + [f"error:{k}:{v}" for k, v in form.errors.items()]
        )
        return context

    def call_service(self, data, version):
        tag = selectors.tag_list(user=self.request.user).get(pk=self.kwargs["pk"])
        return services.save_tag(actor=self.request.user, tag=tag, data=data, version=version)

    def get_success_url(self, result):
        return f"/done/{result.pk}/v{result.version}/"


def post(user, pk, data, **headers):
    request = RequestFactory().post(f"/tags/{pk}/", data, **headers)
    request.user = user
    request.htmx = HtmxDetails(request)
    return TagEdit.as_view()(request, pk=pk)


@pytest.fixture
def tag(two_teams):
    return services.save_tag(actor=two_teams.admin, tag=None, data={"name": "老客户"})


def test_valid_post_calls_the_service_and_redirects(two_teams, tag):
    response = post(two_teams.admin, tag.pk, {"name": "重点", "color": "red", "version": 1})
    assert response.status_code == 302
    assert response["Location"] == f"/done/{tag.pk}/v2/"


def test_htmx_post_is_redirected_by_header(two_teams, tag):
    response = post(two_teams.admin, tag.pk, {"name": "重点", "version": 1}, HTTP_HX_REQUEST="true")
    assert response.status_code == 204 and response["HX-Redirect"] == f"/done/{tag.pk}/v2/"


def test_service_validation_error_lands_on_its_field_and_keeps_the_input(two_teams, tag):
    services.save_tag(actor=two_teams.admin, tag=None, data={"name": "重点"})
    response = post(two_teams.admin, tag.pk, {"name": "重点", "color": "蓝色", "version": 1})
    assert response.status_code == 400
    body = response.content.decode()
    assert "error:name:" in body
    assert "color=蓝色" in body and "name=重点" in body


def test_permission_denied_is_a_403_page_that_shows_what_was_typed(two_teams, tag):
    # Renaming a tag is for administrators; a sales rep may see tags but not rename them.
    response = post(two_teams.rep_a, tag.pk, {"name": "改名", "color": "绿", "version": 1})
    assert response.status_code == 403
    body = response.content.decode()
    assert "改名" in body and "绿" in body
    assert Tag.objects.get(pk=tag.pk).name == "老客户"


def test_stale_version_shows_both_values_and_reapplying_gives_the_next_version(two_teams, tag):
    assert post(two_teams.admin, tag.pk, {"name": "甲", "version": 1}).status_code == 302
    conflict = post(two_teams.admin, tag.pk, {"name": "乙", "color": "红", "version": 1})
    assert conflict.status_code == 409
    body = conflict.content.decode()
    # The user's value beside the one saved now, and the whole submission carried along.
    assert "乙" in body and "甲" in body
    assert 'name="name" value="乙"' in body and 'name="color" value="红"' in body
    assert 'name="version" value="2"' in body
    assert Tag.objects.get(pk=tag.pk).name == "甲"
    # Re-applying posts the carried values with the current version.
    again = post(two_teams.admin, tag.pk, {"name": "乙", "color": "红", "version": 2})
    assert again.status_code == 302 and again["Location"] == f"/done/{tag.pk}/v3/"
    assert Tag.objects.get(pk=tag.pk).name == "乙"


def test_review_after_a_conflict_shows_the_users_values_with_the_current_version(two_teams, tag):
    post(two_teams.admin, tag.pk, {"name": "甲", "version": 1})
    response = post(two_teams.admin, tag.pk, {"name": "乙", "version": 2, "_review": "1"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "name=乙" in body and "version=2" in body and "error:" not in body
    assert Tag.objects.get(pk=tag.pk).name == "甲"


def test_record_outside_the_users_reach_is_a_404(two_teams):
    from django.http import Http404

    with pytest.raises(Http404):
        post(two_teams.admin, 999999, {"name": "x", "version": 1})


class PointForm(StyledForm):
    kind = forms.CharField(required=False)
    value = forms.CharField(required=False)


PointFormSet = forms.formset_factory(PointForm, extra=0, can_delete=True)


def _bound_points(rows):
    data = {"points-TOTAL_FORMS": str(len(rows)), "points-INITIAL_FORMS": "0"}
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"points-{i}-{key}"] = value
    formset = PointFormSet(data=data, prefix="points")
    assert formset.is_valid()
    return formset


def test_row_errors_reach_the_row_that_was_sent_even_past_blank_and_deleted_rows():
    from guanxi.core.web import formset_rows

    formset = _bound_points(
        [
            {"kind": "mobile", "value": "13812345678"},
            {},  # a blank row: not sent
            {"kind": "email", "value": "x@y.cn", "DELETE": "on"},  # removed: not sent
            {"kind": "mobile", "value": "12"},  # the second row sent
        ]
    )
    form = TagForm(data={"name": "x"})
    assert form.is_valid()
    rows = formset_rows(formset)
    assert [r.cleaned_data["value"] for r in rows] == ["13812345678", "12"]
    apply_service_errors(
        ValidationError(
            {
                "points.1.value": "这不是有效的手机号码。",
                "points.0": "整行有误。",
                "points": "最多 20 条。",
                "custom_fields.budget": "请输入数字。",
                "__all__": "整体有误。",
            }
        ),
        form,
        {"points": formset},
        {"points": rows},
    )
    assert formset.forms[3].errors["value"] == ["这不是有效的手机号码。"]
    assert formset.forms[0].non_field_errors() == ["整行有误。"]
    assert formset.non_form_errors() == ["最多 20 条。"]
    assert "整体有误。" in form.non_field_errors()
    assert any("budget" in e and "请输入数字。" in e for e in form.non_field_errors())
    assert 'class="form-control is-invalid"' in str(formset.forms[3]["value"])


def test_a_message_without_a_field_becomes_a_non_field_error():
    form = TagForm(data={"name": "x"})
    assert form.is_valid()
    apply_service_errors(ValidationError("Share with either a user or a team."), form)
    assert form.non_field_errors() == ["Share with either a user or a team."]


def test_permission_error_message_is_translatable():
    assert PermissionDeniedError().message


@pytest.mark.parametrize(
    "url",
    [
        "/sales/orders/?date_to=9999-12-31",
        "/sales/orders/?date_from=0001-01-01",
        "/sales/orders/?customer=1234567890123456789012345",
        "/customers/?owner=1234567890123456789012345",
        "/customers/1234567890123456789012345/",
    ],
)
def test_absurd_values_in_urls_are_bad_requests_not_server_errors(client, two_teams, url):
    client.force_login(two_teams.admin)
    response = client.get(url)
    assert response.status_code in (200, 400, 404), response.status_code


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/customers/?owner=1234567890123456789012345",
        "/api/v1/customers/?created_after=0001-01-01T00:00:00%2B08:00",
        "/api/v1/interactions/?occurred_before=9999-12-31T23:59:59-12:00",
        "/api/v1/orders/?customer=1234567890123456789012345",
    ],
)
def test_absurd_values_in_api_filters_are_4xx(api, two_teams, url):
    response = api(two_teams.admin).get(url)
    assert response.status_code < 500, response.status_code
