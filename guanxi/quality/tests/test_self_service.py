"""The self-service link: made by whoever may change the customer, opened without login, shows
that one customer's data, proposes changes that the owner accepts or rejects (audited)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.core import mail, signing
from django.urls import reverse
from django.utils import timezone

from guanxi.audit.models import AuditEvent
from guanxi.customers.models import Customer
from guanxi.quality import services
from guanxi.quality.models import ChangeRequest, RequestStatus, SelfServiceLink

pytestmark = pytest.mark.django_db


@pytest.fixture
def wang(two_teams, customer_of):
    return customer_of(
        two_teams.rep_a,
        display_name="王芳",
        birthday=dt.date(1990, 5, 1),
        contact_points=[
            {"kind": "mobile", "value": "13800138000"},
            {"kind": "email", "value": "wang@example.com"},
            {"kind": "wechat", "value": "wangfang88"},
        ],
        addresses=[
            {"province": "浙江", "city": "杭州", "street": "文三路 1 号", "postcode": "310000"}
        ],
    )


def new_link(user, customer, **kwargs):
    link = services.create_link(actor=user, customer=customer, **kwargs)
    return link, reverse("quality:self_service", args=[services.token_for(link)])


def public_form(**overrides):
    data = {
        "display_name": "王芳",
        "mobile": "13800138000",
        "phone": "",
        "email": "wang@example.com",
        "province": "浙江",
        "city": "杭州",
        "district": "",
        "street": "文三路 1 号",
        "postcode": "310000",
        "birthday": "1990-05-01",
    }
    data.update(overrides)
    return data


# --- making links -----------------------------------------------------------------------------


def test_owner_makes_a_link_from_the_360_page(two_teams, web, wang):
    c = web(two_teams.rep_a)
    page = c.get(reverse("customers:detail", args=[wang.pk]))
    assert reverse("quality:link_create", args=[wang.pk]) in page.content.decode()
    response = c.post(reverse("quality:link_create", args=[wang.pk]))
    assert response.status_code == 200
    link = SelfServiceLink.objects.get()
    assert response.context["url"].startswith(settings.PUBLIC_BASE_URL + "/self-service/")
    assert link.expires_at - timezone.now() > dt.timedelta(days=13)
    assert AuditEvent.objects.filter(object_type="quality.selfservicelink").exists()


def test_link_sent_by_email(two_teams, web, wang, django_capture_on_commit_callbacks, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    with django_capture_on_commit_callbacks(execute=True):
        response = web(two_teams.rep_a).post(
            reverse("quality:link_create", args=[wang.pk]), {"send": "1"}
        )
    assert response.status_code == 200
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["wang@example.com"]
    assert "/self-service/" in mail.outbox[0].body
    assert "请核对" in mail.outbox[0].subject  # the site's language, not the sender's


def test_sending_needs_an_email_address(two_teams, web, customer_of):
    customer = customer_of(two_teams.rep_a, display_name="李雷")
    response = web(two_teams.rep_a).post(
        reverse("quality:link_create", args=[customer.pk]), {"send": "1"}
    )
    assert response.status_code == 302 and not SelfServiceLink.objects.exists()


def test_rep_cannot_make_a_link_for_a_customer_outside_their_scope(two_teams, web, wang):
    assert (
        web(two_teams.rep_b).post(reverse("quality:link_create", args=[wang.pk])).status_code == 404
    )
    # The analyst sees the customer but may not change it.
    assert (
        web(two_teams.analyst).post(reverse("quality:link_create", args=[wang.pk])).status_code
        == 403
    )
    assert not SelfServiceLink.objects.exists()


# --- the public page --------------------------------------------------------------------------


def test_public_page_shows_the_customers_own_data_without_login(client, two_teams, wang):
    _link, url = new_link(two_teams.rep_a, wang)
    page = client.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert "13800138000" in body and "wang@example.com" in body and "文三路 1 号" in body
    assert page["Cache-Control"] == "no-store"
    english = client.get(url + "?lang=en")
    assert "Your details" in english.content.decode()


def test_public_page_offers_only_the_language_links_that_work(client, two_teams, wang):
    """The language is chosen with ?lang= on this page; the site's footer switch (a cookie the
    page does not read) would do nothing here, so it is not shown."""
    _link, url = new_link(two_teams.rep_a, wang)
    body = client.get(url + "?lang=en").content.decode()
    assert "/i18n/setlang/" not in body
    assert 'href="?lang=zh-hans"' in body and 'href="?lang=en"' in body


def test_a_link_never_shows_another_customer(client, two_teams, wang, customer_of):
    other = customer_of(
        two_teams.rep_a,
        display_name="李雷",
        contact_points=[{"kind": "mobile", "value": "13900139000"}],
    )
    link, _url = new_link(two_teams.rep_a, wang)
    forged = signing.dumps({"l": link.pk, "c": other.pk}, salt="wrong salt")
    assert client.get(reverse("quality:self_service", args=[forged])).status_code == 404
    swapped = signing.dumps({"l": link.pk, "c": other.pk}, salt=services.LINK_SALT, compress=True)
    response = client.get(reverse("quality:self_service", args=[swapped]))
    assert response.status_code == 404 and "13900139000" not in response.content.decode()


@pytest.mark.parametrize("token", ["garbage", "a" * 600, "eyJsIjoxfQ:abc:def"])
def test_tampered_tokens_get_a_clear_page(client, token):
    response = client.get(reverse("quality:self_service", args=[token]))
    assert response.status_code == 404
    assert "link" in response.content.decode().lower() or "链接" in response.content.decode()


def test_expired_revoked_and_used_links_say_so(client, two_teams, wang, web):
    expired, expired_url = new_link(two_teams.rep_a, wang)
    SelfServiceLink.objects.filter(pk=expired.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    assert client.get(expired_url).status_code == 410
    revoked, revoked_url = new_link(two_teams.rep_a, wang)
    assert (
        web(two_teams.rep_b)
        .post(reverse("quality:link_revoke", args=[wang.pk, revoked.pk]))
        .status_code
        == 404
    )
    assert (
        web(two_teams.rep_a)
        .post(reverse("quality:link_revoke", args=[wang.pk, revoked.pk]))
        .status_code
        == 302
    )
    assert client.get(revoked_url).status_code == 410
    _used, used_url = new_link(two_teams.rep_a, wang)
    client.logout()
    assert client.post(used_url, public_form(city="宁波")).status_code == 200
    again = client.get(used_url)
    assert again.status_code == 410
    assert client.post(used_url, public_form(city="温州")).status_code == 410
    assert ChangeRequest.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"mobile": "12345"}, "mobile"),
        ({"email": "not-an-email"}, "email"),
        ({"postcode": "31000"}, "postcode"),
        ({"birthday": "2999-01-01"}, "birthday"),
        ({"birthday": "1800-01-01"}, "birthday"),
        ({"display_name": ""}, "display_name"),
        ({"display_name": "x" * 300}, "display_name"),
    ],
)
def test_bad_input_on_the_public_page_is_a_field_error_in_the_customers_language(
    client, two_teams, wang, overrides, field
):
    _link, url = new_link(two_teams.rep_a, wang)
    response = client.post(url + "?lang=en", public_form(**overrides))
    assert response.status_code == 200
    assert field in response.context["form"].errors, response.context["form"].errors
    assert not ChangeRequest.objects.exists()
    assert client.get(url).status_code == 200  # the link is not used up by a failed try


def test_naming_rules_hold_on_the_public_page(client, two_teams, wang):
    row = services.get_settings()
    services.save_settings(
        actor=two_teams.admin, data={"forbidden_words": ["测试"]}, version=row.version
    )
    _link, url = new_link(two_teams.rep_a, wang)
    response = client.post(url, public_form(display_name="测试王芳"))
    assert "display_name" in response.context["form"].errors


def test_nothing_changed_is_said(client, two_teams, wang):
    _link, url = new_link(two_teams.rep_a, wang)
    response = client.post(url, public_form())
    assert response.status_code == 200 and response.context["form"].non_field_errors()


def test_oversized_post_is_refused(client, two_teams, wang):
    _link, url = new_link(two_teams.rep_a, wang)
    response = client.post(url, public_form(street="x" * 9000))
    assert response.status_code == 413


# --- deciding -----------------------------------------------------------------------------------


def submit(client, url, **overrides):
    response = client.post(url, public_form(**overrides))
    assert response.status_code == 200 and response.context.get("done"), (
        response.context.get("form") and response.context["form"].errors
    )
    return ChangeRequest.objects.latest("id")


def test_owner_accepts_and_the_change_goes_through_the_services(client, two_teams, wang, web):
    _link, url = new_link(two_teams.rep_a, wang)
    request = submit(
        client,
        url,
        mobile="+86 139 0013 9000",
        city="宁波",
        postcode="315000",
        marketing_consent="on",
    )
    assert request.status == RequestStatus.PENDING
    owner = web(two_teams.rep_a)
    page = owner.get(reverse("customers:detail", args=[wang.pk]))
    assert "change-requests" in page.content.decode()
    listing = owner.get(reverse("quality:requests"))
    assert [r["request"].pk for r in listing.context["rows"]] == [request.pk]
    response = owner.post(
        reverse("quality:request_accept", args=[request.pk]), {"version": request.version}
    )
    assert response.status_code == 302
    wang.refresh_from_db()
    mobiles = list(wang.contact_points.filter(kind="mobile").values_list("normalized", flat=True))
    assert mobiles == ["+8613900139000"]
    assert wang.contact_points.filter(kind="wechat").exists()  # untouched
    assert wang.contact_points.filter(kind="email").exists()
    address = wang.addresses.get()
    assert (address.city, address.postcode, address.street) == ("宁波", "315000", "文三路 1 号")
    assert wang.marketing_consent and wang.marketing_consent_at
    request.refresh_from_db()
    assert request.status == RequestStatus.ACCEPTED and request.decided_by == two_teams.rep_a
    events = AuditEvent.objects.filter(request_id=f"self-service-{request.pk}")
    assert events.filter(object_type="customers.customer").exists()
    assert events.filter(object_type="quality.changerequest").count() == 2  # received, accepted
    # Decided once only.
    again = owner.post(
        reverse("quality:request_accept", args=[request.pk]), {"version": request.version}
    )
    assert again.status_code == 302
    assert ChangeRequest.objects.get(pk=request.pk).status == RequestStatus.ACCEPTED


def test_accepting_after_the_customer_changed_on_screen_does_not_undo_that_change(
    client, two_teams, wang, web
):
    """Rep A opens the pending request (now: 138…, proposed: 139…). Meanwhile their manager
    takes a newer mobile on the phone and saves it. Rep A's accept was decided on the old
    "now": it is refused, the manager's number stays, the request stays pending to be looked
    at again; accepted from the page as it shows now, it goes through."""
    from guanxi.customers import services as customer_services

    _link, url = new_link(two_teams.rep_a, wang)
    request = submit(client, url, mobile="13900139000")
    owner = web(two_teams.rep_a)
    page = owner.get(reverse("quality:requests")).content.decode()
    seen = f'name="customer_version" value="{wang.version}"'
    assert seen in page
    fresh = Customer.objects.get(pk=wang.pk)
    customer_services.update_customer(
        actor=two_teams.manager_a,
        customer=fresh,
        data={"contact_points": [{"kind": "mobile", "value": "13700137000"}]},
        version=fresh.version,
    )
    accept = reverse("quality:request_accept", args=[request.pk])
    response = owner.post(
        accept, {"version": request.version, "customer_version": wang.version}, follow=True
    )
    assert response.status_code == 200
    mobiles = list(wang.contact_points.filter(kind="mobile").values_list("value", flat=True))
    assert mobiles == ["13700137000"]
    assert ChangeRequest.objects.get(pk=request.pk).status == RequestStatus.PENDING
    page = owner.get(reverse("quality:requests")).content.decode()
    assert "13700137000" in page  # the "now" column shows the manager's number
    wang.refresh_from_db()
    owner.post(accept, {"version": request.version, "customer_version": wang.version})
    assert ChangeRequest.objects.get(pk=request.pk).status == RequestStatus.ACCEPTED
    mobiles = list(wang.contact_points.filter(kind="mobile").values_list("value", flat=True))
    assert mobiles == ["13900139000"]


def test_the_api_refuses_an_accept_made_on_an_older_customer(client, two_teams, wang, api):
    from guanxi.customers import services as customer_services

    _link, url = new_link(two_teams.rep_a, wang)
    request = submit(client, url, mobile="13900139000")
    seen = wang.version
    customer_services.update_customer(
        actor=two_teams.manager_a, customer=wang, data={"notes": "called"}, version=seen
    )
    accept = f"/api/v1/change-requests/{request.pk}/accept/"
    body = {"version": request.version, "customer_version": seen}
    assert api(two_teams.rep_a).post(accept, body, format="json").status_code == 409
    assert ChangeRequest.objects.get(pk=request.pk).status == RequestStatus.PENDING
    body["customer_version"] = seen + 1
    assert api(two_teams.rep_a).post(accept, body, format="json").status_code == 200


def test_an_accepted_correction_is_the_data_check_done(client, two_teams, wang, web):
    """The customer went through all their data and the owner accepted it: the record is
    verified now, and its open data-check task is done; a rejected one verifies nothing."""
    from guanxi.followups.models import Task, TaskKind, TaskStatus

    old = timezone.now() - dt.timedelta(days=400)
    Customer.objects.filter(pk=wang.pk).update(grade="vip", created_at=old, verified_at=None)
    assert services.create_data_check_tasks() == 1
    owner = web(two_teams.rep_a)
    _link, url = new_link(two_teams.rep_a, wang)
    rejected = submit(client, url, city="宁波")
    owner.post(
        reverse("quality:request_reject", args=[rejected.pk]),
        {"version": rejected.version, "reason": "地址未变"},
    )
    assert Customer.objects.get(pk=wang.pk).verified_at is None
    _link, url = new_link(two_teams.rep_a, wang)
    accepted = submit(client, url, city="宁波")
    before = timezone.now()
    owner.post(reverse("quality:request_accept", args=[accepted.pk]), {"version": accepted.version})
    assert ChangeRequest.objects.get(pk=accepted.pk).status == RequestStatus.ACCEPTED
    assert Customer.objects.get(pk=wang.pk).verified_at >= before
    task = Task.objects.get(customer=wang, kind=TaskKind.DATA_CHECK)
    assert task.status == TaskStatus.DONE


def test_reject_needs_a_reason_and_is_audited(client, two_teams, wang, web):
    _link, url = new_link(two_teams.rep_a, wang)
    request = submit(client, url, city="宁波")
    owner = web(two_teams.rep_a)
    owner.post(
        reverse("quality:request_reject", args=[request.pk]),
        {"version": request.version, "reason": ""},
    )
    assert ChangeRequest.objects.get(pk=request.pk).status == RequestStatus.PENDING
    owner.post(
        reverse("quality:request_reject", args=[request.pk]),
        {"version": request.version, "reason": "地址未变"},
    )
    request.refresh_from_db()
    assert request.status == RequestStatus.REJECTED and request.reason == "地址未变"
    assert Customer.objects.get(pk=wang.pk).addresses.get().city == "杭州"
    assert (
        AuditEvent.objects.filter(
            object_type="quality.changerequest", object_id=str(request.pk)
        ).count()
        == 2
    )


def test_rep_cannot_see_or_decide_a_request_outside_their_scope(client, two_teams, wang, web):
    _link, url = new_link(two_teams.rep_a, wang)
    request = submit(client, url, city="宁波")
    other = web(two_teams.rep_b)
    assert other.get(reverse("quality:requests")).context["rows"] == []
    assert (
        other.post(reverse("quality:request_accept", args=[request.pk]), {"version": 1}).status_code
        == 404
    )
    assert (
        other.post(
            reverse("quality:request_reject", args=[request.pk]), {"version": 1, "reason": "x"}
        ).status_code
        == 404
    )
    analyst = web(two_teams.analyst)
    assert (
        analyst.post(
            reverse("quality:request_accept", args=[request.pk]), {"version": 1}
        ).status_code
        == 403
    )
    assert ChangeRequest.objects.get(pk=request.pk).status == RequestStatus.PENDING


def test_masked_roles_see_proposed_contact_details_masked(client, two_teams, wang, web):
    _link, url = new_link(two_teams.rep_a, wang)
    submit(client, url, mobile="13900139000")
    page = web(two_teams.analyst).get(reverse("quality:requests"))
    body = page.content.decode()
    assert "13900139000" not in body and "139****9000" in body
    assert "13900139000" in web(two_teams.rep_a).get(reverse("quality:requests")).content.decode()


def test_requests_list_query_count(
    client, two_teams, wang, web, customer_of, django_assert_max_num_queries
):
    for i in range(8):
        customer = customer_of(two_teams.rep_a, display_name=f"客户{i}")
        _link, url = new_link(two_teams.rep_a, customer)
        submit(client, url, display_name=f"新名字{i}")
    owner = web(two_teams.rep_a)
    with django_assert_max_num_queries(16):
        response = owner.get(reverse("quality:requests"))
    assert len(response.context["rows"]) == 8
    # A manager over the team decides too (two more queries for the teams below, once, and
    # one that reads which requests of the page the user may decide).
    with django_assert_max_num_queries(19):
        response = web(two_teams.head_manager).get(reverse("quality:requests"))
    assert len(response.context["rows"]) == 8
    assert all(row["may_decide"] for row in response.context["rows"])


def test_an_organisation_corrects_its_name_and_contacts_without_a_birthday(
    client, two_teams, customer_of, web
):
    org = customer_of(
        two_teams.rep_a,
        kind="organisation",
        display_name="远方贸易",
        contact_points=[{"kind": "phone", "value": "010-12345678"}],
    )
    _link, url = new_link(two_teams.rep_a, org)
    page = client.get(url)
    assert page.status_code == 200 and 'name="birthday"' not in page.content.decode()
    data = public_form(display_name="远方贸易", phone="010-12345678 转 8", mobile="", email="")
    data.pop("birthday")
    response = client.post(url, data)
    assert response.context.get("done"), response.context["form"].errors
    request = ChangeRequest.objects.get()
    assert "birthday" not in request.proposed
    web(two_teams.rep_a).post(
        reverse("quality:request_accept", args=[request.pk]), {"version": request.version}
    )
    org.refresh_from_db()
    assert list(org.contact_points.values_list("normalized", flat=True)) == ["+861012345678;ext=8"]
