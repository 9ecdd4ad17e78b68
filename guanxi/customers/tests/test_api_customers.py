"""The customer API: create, validation, the visibility gate, masking, versions, recycle bin."""

import pytest

from guanxi.audit.models import AuditEvent
from guanxi.customers import normalize
from guanxi.customers.models import Customer

pytestmark = pytest.mark.django_db

URL = "/api/v1/customers/"


def create(client, **data):
    payload = {"display_name": "张三", "kind": "person"} | data
    return client.post(URL, payload, format="json")


def test_create_customer_normalises_phone_and_email(two_teams, api):
    client = api(two_teams.rep_a)
    response = create(
        client,
        contact_points=[
            {"kind": "mobile", "value": "138 1234 5678"},
            {"kind": "email", "value": "ZhangSan@QQ.com"},
        ],
        aliases=["小张"],
        tags=["VIP客户"],
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    points = {p["kind"]: p for p in body["contact_points"]}
    assert points["mobile"]["value"] == "138 1234 5678"
    assert points["mobile"]["normalized"] == "+8613812345678"
    assert points["email"]["normalized"] == "zhangsan@qq.com"
    assert body["owner"] == two_teams.rep_a.pk
    assert body["team"] == two_teams.team_a.pk
    assert body["tags"] == ["VIP客户"]
    assert body["version"] == 1


def test_bad_phone_is_a_field_error_and_nothing_is_saved(two_teams, api):
    response = create(api(two_teams.rep_a), contact_points=[{"kind": "mobile", "value": "12345"}])
    assert response.status_code == 400
    assert "contact_points.0.value" in response.json()
    assert not Customer.objects.exists()


def test_create_requires_a_name(two_teams, api):
    response = api(two_teams.rep_a).post(URL, {"kind": "person"}, format="json")
    assert response.status_code == 400
    assert "display_name" in response.json()


def test_credit_code_check_digit_is_validated(two_teams, api):
    client = api(two_teams.rep_a)
    bad = create(
        client, kind="organisation", display_name="字节跳动", credit_code="91110000802100433A"
    )
    assert bad.status_code == 400 and "credit_code" in bad.json()
    good = create(
        client, kind="organisation", display_name="字节跳动", credit_code="91110000802100433B"
    )
    assert good.status_code == 201, good.json()


def test_codes_typed_with_spaces_and_lower_case_are_accepted_as_on_the_form(two_teams, api):
    """The API takes what the web form takes: a credit code in groups with spaces or hyphens, a
    lower-case check letter; both are stored in their compact form."""
    client = api(two_teams.rep_a)
    made = create(
        client,
        kind="organisation",
        display_name="字节跳动",
        credit_code=" 9111 0000 8021 0043 3b ",
    )
    assert made.status_code == 201, made.json()
    assert made.json()["credit_code"] == "91110000802100433B"
    hyphens = create(
        client, kind="organisation", display_name="字节", credit_code="91110108-MA01X6TK3-9"
    )
    assert hyphens.status_code == 201, hyphens.json()  # grouped with hyphens, as printed
    assert hyphens.json()["credit_code"] == "91110108MA01X6TK39"
    person = create(client, display_name="王芳", identity_code="1101 0519 4912 3100 2x")
    assert person.status_code == 201, person.json()
    assert person.json()["identity_code"] == "11010519491231002X"


def test_the_credit_code_filter_takes_the_code_as_the_create_takes_it(two_teams, api):
    """A code looked up as it is printed (hyphens, spaces, a lower-case letter) finds the
    customer saved with it, as the create accepted it."""
    client = api(two_teams.rep_a)
    made = create(
        client, kind="organisation", display_name="字节", credit_code="91110108-MA01X6TK3-9"
    )
    assert made.status_code == 201, made.json()
    for code in ("91110108-MA01X6TK3-9", "9111 0108 ma01 x6tk 39", "91110108MA01X6TK39"):
        response = client.get(URL, {"credit_code": code})
        assert response.status_code == 200, (code, response.json())
        assert [c["id"] for c in response.json()["results"]] == [made.json()["id"]], code


@pytest.mark.parametrize(
    "payload",
    [
        {"display_name": "x" * 5000},
        {"display_name": 12, "kind": ["person"]},
        {"display_name": "A", "unknown_field": 1},
        {"display_name": "A", "birthday": "not a date"},
        {"display_name": "A", "grade": "platinum"},
        {"display_name": "A", "contact_points": "13812345678"},
        {"display_name": "A", "contact_points": [{"kind": "fax", "value": "1"}]},
        {"display_name": "A", "aliases": "not a list"},
        {"display_name": "A", "custom_fields": {"nope": 1}},
        {"display_name": "A", "owner": 999999},
        {"display_name": "A", "birthday": "2999-01-01"},
        ["not", "an", "object"],
    ],
)
def test_bad_input_answers_400(two_teams, api, payload):
    response = api(two_teams.rep_a).post(URL, payload, format="json")
    assert response.status_code == 400, response.content


def test_malformed_json_answers_400(two_teams, api):
    response = api(two_teams.rep_a).post(URL, "{not json", content_type="application/json")
    assert response.status_code == 400


def test_huge_body_answers_413(two_teams, api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = '{"display_name": "' + "x" * 5000 + '"}'
    response = api(two_teams.rep_a).post(URL, body, content_type="application/json")
    assert response.status_code == 413


# --- the gate: two users ----------------------------------------------------------------------


@pytest.fixture
def b_customer(two_teams, api):
    response = create(
        api(two_teams.rep_b),
        display_name="王五",
        contact_points=[{"kind": "mobile", "value": "13900001111"}],
    )
    assert response.status_code == 201
    return response.json()


def test_rep_of_team_a_never_sees_team_b_customer(two_teams, api, b_customer):
    client = api(two_teams.rep_a)
    pk = b_customer["id"]
    assert client.get(URL).json()["results"] == []
    assert client.get(f"{URL}{pk}/").status_code == 404
    assert client.get(URL, {"search": "王五"}).json()["results"] == []
    assert client.get(URL, {"search": "wangwu"}).json()["results"] == []
    assert client.get(URL, {"search": "139 0000 1111"}).json()["results"] == []
    assert client.get(f"{URL}{pk}/history/").status_code == 404
    update = client.patch(f"{URL}{pk}/", {"display_name": "x", "version": 1}, format="json")
    assert update.status_code == 404
    assert client.delete(f"{URL}{pk}/").status_code == 404
    assert client.post(f"{URL}{pk}/restore/").status_code == 404
    assert Customer.objects.get(pk=pk).display_name == "王五"


def test_a_hidden_customer_reads_as_a_plain_translated_not_found(two_teams, api, b_customer):
    """A missing and a forbidden record look the same, and the message names no model."""
    client = api(two_teams.rep_a)
    for pk in (b_customer["id"], 987654321):
        for language, text in (("en", "Not found."), ("zh-hans", "未找到。")):
            response = client.get(f"{URL}{pk}/", HTTP_ACCEPT_LANGUAGE=language)
            assert response.status_code == 404
            assert response.json() == {"detail": text}


def test_owner_sees_own_customer_everywhere(two_teams, api, b_customer):
    client = api(two_teams.rep_b)
    pk = b_customer["id"]
    assert [c["id"] for c in client.get(URL).json()["results"]] == [pk]
    assert client.get(f"{URL}{pk}/").status_code == 200
    assert [c["id"] for c in client.get(URL, {"search": "wangwu"}).json()["results"]] == [pk]
    assert [c["id"] for c in client.get(URL, {"search": "ww"}).json()["results"]] == [pk]
    assert [c["id"] for c in client.get(URL, {"search": "+86 139-0000-1111"}).json()["results"]]


def test_manager_of_team_above_sees_customers_below(two_teams, api, b_customer):
    assert api(two_teams.head_manager).get(f"{URL}{b_customer['id']}/").status_code == 200
    # The manager of a sibling team does not.
    assert api(two_teams.manager_a).get(f"{URL}{b_customer['id']}/").status_code == 404


def test_sharing_with_a_user_and_with_a_team(two_teams, api, b_customer, make_user):
    pk = b_customer["id"]
    owner = api(two_teams.rep_b)
    response = owner.post(f"{URL}{pk}/share/", {"user": two_teams.rep_a.pk}, format="json")
    assert response.status_code == 200, response.json()
    rep_a = api(two_teams.rep_a)
    assert rep_a.get(f"{URL}{pk}/").status_code == 200
    # A share without edit rights lets the user read but not change.
    update = rep_a.patch(f"{URL}{pk}/", {"notes": "x", "version": 1}, format="json")
    assert update.status_code == 403
    owner.delete(f"{URL}{pk}/share/", {"user": two_teams.rep_a.pk}, format="json")
    assert rep_a.get(f"{URL}{pk}/").status_code == 404

    colleague = make_user("rep_a2", "sales", two_teams.team_a)
    assert api(colleague).get(f"{URL}{pk}/").status_code == 404
    owner.post(f"{URL}{pk}/share/", {"team": two_teams.team_a.pk}, format="json")
    assert api(colleague).get(f"{URL}{pk}/").status_code == 200


def test_sales_rep_cannot_assign_customer_to_another_rep(two_teams, api):
    response = create(api(two_teams.rep_a), owner=two_teams.rep_b.pk)
    assert response.status_code == 400
    assert "owner" in response.json()


def test_user_without_role_permission_cannot_create(two_teams, api):
    response = create(api(two_teams.analyst))
    assert response.status_code == 403


def test_anonymous_gets_401(api):
    assert api().get(URL).status_code in (401, 403)


# --- masking ----------------------------------------------------------------------------------


def test_contact_details_are_masked_for_roles_that_may_not_see_them(two_teams, api, b_customer):
    client = api(two_teams.analyst)
    pk = b_customer["id"]
    body = client.get(f"{URL}{pk}/").json()
    mobile = body["contact_points"][0]
    assert mobile["value"] == "139****1111"
    assert mobile["normalized"] == "139****1111"
    history = client.get(f"{URL}{pk}/history/").json()["results"]
    assert "13900001111" not in str(history)
    listed = client.get(URL).json()["results"][0]
    assert listed["contact_points"][0]["value"] == "139****1111"
    # The owner sees the number in full.
    full = api(two_teams.rep_b).get(f"{URL}{pk}/").json()
    assert full["contact_points"][0]["value"] == "13900001111"


# --- versions ---------------------------------------------------------------------------------


def test_stale_update_answers_409_and_changes_nothing(two_teams, api, b_customer):
    client = api(two_teams.rep_b)
    url = f"{URL}{b_customer['id']}/"
    first = client.patch(url, {"notes": "first", "version": 1}, format="json")
    assert first.status_code == 200 and first.json()["version"] == 2
    stale = client.patch(url, {"notes": "second", "version": 1}, format="json")
    assert stale.status_code == 409
    assert stale.json()["current_version"] == 2
    assert Customer.objects.get(pk=b_customer["id"]).notes == "first"


def test_update_without_version_is_refused(two_teams, api, b_customer):
    response = api(two_teams.rep_b).patch(
        f"{URL}{b_customer['id']}/", {"notes": "x"}, format="json"
    )
    assert response.status_code == 400 and "version" in response.json()


def test_update_replaces_contact_points_and_keeps_search_current(two_teams, api, b_customer):
    client = api(two_teams.rep_b)
    url = f"{URL}{b_customer['id']}/"
    response = client.patch(
        url,
        {"version": 1, "contact_points": [{"kind": "email", "value": "wang@example.com"}]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert [p["kind"] for p in response.json()["contact_points"]] == ["email"]
    assert client.get(URL, {"search": "13900001111"}).json()["results"] == []
    assert len(client.get(URL, {"search": "WANG@example.com"}).json()["results"]) == 1


# --- audit ------------------------------------------------------------------------------------


def test_every_write_is_audited_with_source_request_id_and_ip(two_teams, api, b_customer):
    client = api(two_teams.rep_b)
    pk = b_customer["id"]
    client.patch(
        f"{URL}{pk}/",
        {"grade": "vip", "version": 1},
        format="json",
        HTTP_X_REQUEST_ID="req-123",
        REMOTE_ADDR="10.1.2.3",
    )
    client.delete(f"{URL}{pk}/")
    events = list(AuditEvent.objects.filter(customer_id=pk).order_by("id"))
    assert [e.action for e in events] == ["create", "update", "delete"]
    update = events[1]
    assert update.source == "api"
    assert update.request_id == "req-123"
    assert update.ip == "10.1.2.3"
    assert update.actor == two_teams.rep_b
    assert update.changes == {"grade": ["normal", "vip"]}
    history = client.get(f"{URL}{pk}/history/").json()["results"]
    assert [h["action"] for h in history] == ["delete", "update", "create"]


def test_audit_events_are_append_only(two_teams, api, b_customer):
    event = AuditEvent.objects.first()
    event.changes = {}
    with pytest.raises(RuntimeError):
        event.save()
    with pytest.raises(RuntimeError):
        event.delete()


# --- recycle bin ------------------------------------------------------------------------------


def test_deleted_customer_is_hidden_everywhere_and_can_be_restored(two_teams, api, b_customer):
    client = api(two_teams.rep_b)
    pk = b_customer["id"]
    assert client.delete(f"{URL}{pk}/").status_code == 204
    assert client.get(URL).json()["results"] == []
    assert client.get(f"{URL}{pk}/").status_code == 404
    assert client.get(URL, {"search": "王五"}).json()["results"] == []
    assert api(two_teams.admin).get(f"{URL}{pk}/").status_code == 404
    binned = client.get(f"{URL}recycle-bin/").json()["results"]
    assert [c["id"] for c in binned] == [pk]
    # Someone outside the scope can neither see the bin entry nor restore it.
    assert api(two_teams.rep_a).get(f"{URL}recycle-bin/").json()["results"] == []
    assert api(two_teams.rep_a).post(f"{URL}{pk}/restore/").status_code == 404
    restored = client.post(f"{URL}{pk}/restore/")
    assert restored.status_code == 200, restored.json()
    assert client.get(f"{URL}{pk}/").status_code == 200


def test_purge_removes_customers_deleted_longer_ago_than_the_limit(two_teams, api, b_customer):
    import datetime as dt

    from django.utils import timezone

    from guanxi.customers import services

    client = api(two_teams.rep_b)
    pk = b_customer["id"]
    client.delete(f"{URL}{pk}/")
    assert services.purge_recycle_bin() == 0
    Customer.objects.filter(pk=pk).update(deleted_at=timezone.now() - dt.timedelta(days=31))
    assert services.purge_recycle_bin() == 1
    assert not Customer.objects.filter(pk=pk).exists()
    assert AuditEvent.objects.filter(customer_id=pk, action="purge").exists()


# --- lists ------------------------------------------------------------------------------------


def test_list_is_paginated_with_next_cursor(two_teams, api):
    client = api(two_teams.rep_a)
    for i in range(5):
        create(client, display_name=f"客户{i}")
    page = client.get(URL, {"page_size": 2}).json()
    assert len(page["results"]) == 2 and page["next"]
    second = client.get(page["next"]).json()
    assert len(second["results"]) == 2
    assert {c["id"] for c in page["results"]}.isdisjoint(c["id"] for c in second["results"])


def test_filters_and_ordering(two_teams, api):
    client = api(two_teams.rep_a)
    create(client, display_name="Alpha", grade="vip")
    create(client, display_name="Beta", grade="normal")
    vip = client.get(URL, {"grade": "vip"}).json()["results"]
    assert [c["display_name"] for c in vip] == ["Alpha"]
    ordered = client.get(URL, {"ordering": "display_name"}).json()["results"]
    assert [c["display_name"] for c in ordered] == ["Alpha", "Beta"]
    assert client.get(URL, {"grade": "nope"}).status_code == 400
    assert client.get(URL, {"cursor": "garbage"}).status_code == 404


def test_search_by_alias_pinyin_initials_and_substring(two_teams, api):
    client = api(two_teams.rep_a)
    pk = create(
        client,
        kind="organisation",
        display_name="北京字节跳动科技有限公司",
        short_name="字节跳动",
        aliases=["ByteDance"],
    ).json()["id"]
    for query in [
        "字节跳动",
        "bytedance",
        "ByteDance",
        "zjtd",
        "zijietiaodong",
        "字节",
        "跳动科技",
    ]:
        found = [c["id"] for c in client.get(URL, {"search": query}).json()["results"]]
        assert found == [pk], query


def test_every_mistake_in_a_request_is_reported_at_once(two_teams, api):
    """One answer names every field at fault, not the first one only."""
    response = create(
        api(two_teams.rep_a),
        display_name="王芳",
        identity_code="110105194912310021",
        birthday="2999-01-01",
        contact_points=[{"kind": "email", "value": "not-an-email"}],
        addresses=[{"postcode": "1000"}],
    )
    assert response.status_code == 400
    body = response.json()
    for field in ("identity_code", "birthday", "contact_points.0.value", "addresses.0.postcode"):
        assert field in body, (field, body)


def test_a_taken_credit_code_or_unique_phone_is_reported_with_the_other_mistakes(
    two_teams, api, settings
):
    """Another customer's credit code (or a phone made unique) is named in the same answer as
    every other mistake, not only once the others are corrected."""
    from guanxi.quality import services as quality_services

    quality_services.save_settings(
        actor=two_teams.admin,
        data={"unique_phone": True},
        version=quality_services.get_settings().version,
    )
    client = api(two_teams.rep_a)
    taken = create(
        client,
        kind="organisation",
        display_name="字节跳动",
        credit_code="91110000802100433B",
        contact_points=[{"kind": "phone", "value": "010-12345678"}],
    )
    assert taken.status_code == 201, taken.json()
    response = create(
        client,
        kind="organisation",
        display_name="字节",
        credit_code="91110000802100433B",
        contact_points=[{"kind": "phone", "value": "010 1234 5678"}],
        birthday="2000-01-01",  # an organisation has none
    )
    assert response.status_code == 400
    body = response.json()
    for field in ("credit_code", "contact_points.0.value", "kind"):
        assert field in body, (field, body)
    other = create(client, kind="organisation", display_name="别家")
    response = client.patch(
        f"{URL}{other.json()['id']}/",
        {
            "version": other.json()["version"],
            "credit_code": "91110000802100433B",
            "contact_points": [{"kind": "phone", "value": "01012345678"}],
            "birthday": "2000-01-01",
        },
        format="json",
    )
    assert response.status_code == 400
    assert {"credit_code", "contact_points.0.value", "kind"} <= set(response.json())


def test_names_are_kept_as_written_and_matched_by_their_normalised_keys(two_teams, api):
    """The registered name keeps its full-width brackets and the user's spelling; spaces at the
    ends and runs of spaces go. Width, case and traditional forms are normalised beside it, in
    the keys, so search and duplicate matching still treat the spellings alike."""
    client = api(two_teams.rep_a)
    made = create(
        client,
        kind="organisation",
        display_name="  字节跳动  ",
        legal_name="字节跳动科技（北京）有限公司",
        short_name="ＢｙｔｅＤａｎｃｅ",
        aliases=["ByteDance", "ｂｙｔｅｄａｎｃｅ", "位元組跳動", " 抖音　集团 "],
    )
    assert made.status_code == 201, made.json()
    body = made.json()
    assert body["display_name"] == "字节跳动"
    assert body["legal_name"] == "字节跳动科技（北京）有限公司"
    assert body["short_name"] == "ＢｙｔｅＤａｎｃｅ"
    # "ｂｙｔｅｄａｎｃｅ" is "ByteDance" in another width and case: one alias, the first spelling.
    assert body["aliases"] == ["ByteDance", "位元組跳動", "抖音 集团"]
    stored = Customer.objects.get(pk=body["id"])
    assert stored.name_key == normalize.org_name_key("字节跳动科技(北京)有限公司")
    for query in ["字节跳动科技(北京)", "bytedance", "字节跳动科技（北京）"]:
        found = [c["id"] for c in client.get(URL, {"search": query}).json()["results"]]
        assert found == [body["id"]], query
    check = client.post(
        "/api/v1/customers/check-duplicates/",
        {"kind": "organisation", "display_name": "字节跳动科技(北京)有限公司"},
        format="json",
    )
    assert body["id"] in [m["id"] for m in check.json()["results"]]


def test_search_cannot_reveal_masked_contact_details_piece_by_piece(two_teams, api):
    owner = api(two_teams.rep_b)
    pk = create(
        owner,
        display_name="赵六",
        contact_points=[
            {"kind": "mobile", "value": "13812345678"},
            {"kind": "email", "value": "secretperson@qq.com"},
        ],
    ).json()["id"]
    analyst = api(two_teams.analyst)  # sees all customers, contact details masked

    def found(client, query):
        return [c["id"] for c in client.get(URL, {"search": query}).json()["results"]]

    for fragment in ["1381234", "2345", "5678", "secretp", "personqq"]:
        assert found(analyst, fragment) == [], fragment
    for fragment in ["1381234", "2345", "5678", "secretp"]:
        assert found(owner, fragment) == [pk], fragment
    # Names and a whole number or address still find the customer for everyone.
    assert found(analyst, "赵六") == [pk]
    assert found(analyst, "138 1234 5678") == [pk]
    assert found(analyst, "secretperson@qq.com") == [pk]


def test_a_user_with_an_edit_share_cannot_clear_the_owner_or_the_team(two_teams, api, b_customer):
    pk = b_customer["id"]
    api(two_teams.rep_b).post(
        f"{URL}{pk}/share/", {"user": two_teams.rep_a.pk, "can_edit": True}, format="json"
    )
    rep_a = api(two_teams.rep_a)
    cleared = rep_a.patch(f"{URL}{pk}/", {"owner": None, "version": 1}, format="json")
    assert cleared.status_code == 400 and "owner" in cleared.json()
    no_team = rep_a.patch(f"{URL}{pk}/", {"team": None, "version": 1}, format="json")
    assert no_team.status_code == 400 and "team" in no_team.json()
    saved = Customer.objects.get(pk=pk)
    assert (saved.owner, saved.team) == (two_teams.rep_b, two_teams.team_b)


def test_delete_with_a_stale_version_is_refused(two_teams, api, b_customer):
    client = api(two_teams.rep_b)
    pk = b_customer["id"]
    client.patch(f"{URL}{pk}/", {"notes": "changed", "version": 1}, format="json")
    stale = client.delete(f"{URL}{pk}/?version=1")
    assert stale.status_code == 409 and stale.json()["current_version"] == 2
    assert client.get(f"{URL}{pk}/").status_code == 200
    assert client.delete(f"{URL}{pk}/?version=2").status_code == 204
    assert client.delete(f"{URL}{pk}/?version=x").status_code == 404  # already in the bin
