"""Naming rules the administrator configures, enforced by the customers services for every entry
point; the settings page is the administrator's."""

from __future__ import annotations

import pytest
from django.urls import reverse

from guanxi.audit.models import AuditEvent
from guanxi.customers import services as customer_services
from guanxi.customers.models import Customer
from guanxi.quality import services
from guanxi.quality.models import QualitySettings

from .conftest import form_errors, post_form

pytestmark = pytest.mark.django_db

URL = "/api/v1/customers/"


def configure(admin, **data):
    row = services.get_settings()
    return services.save_settings(actor=admin, data=data, version=row.version)


def test_forbidden_word_in_any_name_is_a_field_error_naming_the_word(two_teams, api, web):
    configure(two_teams.admin, forbidden_words=["测试", "Test"])
    client = api(two_teams.rep_a)
    bad = client.post(URL, {"display_name": "测试客户"}, format="json")
    assert bad.status_code == 400
    assert "“测试”" in bad.json()["display_name"][0]
    alias = client.post(URL, {"display_name": "王芳", "aliases": ["ＴＥＳＴ 账号"]}, format="json")
    assert alias.status_code == 400 and "aliases" in alias.json()
    form = post_form(web(two_teams.rep_a), display_name="测试一下")
    assert form.status_code == 400 and "测试" in form_errors(form)["display_name"][0]
    assert not Customer.objects.exists()
    assert client.post(URL, {"display_name": "王芳"}, format="json").status_code == 201


def test_legal_name_must_end_in_a_configured_legal_form(two_teams, api, web):
    configure(two_teams.admin, require_legal_suffix=True, legal_suffixes=["有限公司", "Co., Ltd."])
    client = api(two_teams.rep_a)
    bad = client.post(URL, {"kind": "organisation", "legal_name": "远方贸易商行"}, format="json")
    assert bad.status_code == 400
    message = bad.json()["legal_name"][0]
    assert "有限公司" in message and "Co., Ltd." in message
    form = post_form(web(two_teams.rep_a), kind="organisation", legal_name="远方贸易商行")
    assert form.status_code == 400 and "legal_name" in form_errors(form)
    for good in ("远方贸易有限公司", "Far Trading Co., Ltd."):
        ok = client.post(URL, {"kind": "organisation", "legal_name": good}, format="json")
        assert ok.status_code == 201, ok.content
    # People are not held to it.
    assert client.post(URL, {"display_name": "王芳"}, format="json").status_code == 201


def test_legal_form_is_recognised_however_it_is_punctuated(two_teams, api):
    """ "Co.,Ltd", "Co., Ltd" and "Ltd" are the legal forms "Co., Ltd." and "Ltd." as people
    write them; 合伙企业(有限合伙) with either kind of bracket."""
    configure(two_teams.admin, require_legal_suffix=True)
    client = api(two_teams.rep_a)
    for good in (
        "Acme Trading Co.,Ltd",
        "Acme Trading Co., Ltd",
        "Acme Trading Ltd",
        "远方投资合伙企业(有限合伙)",
        "远方贸易有限公司。",
    ):
        ok = client.post(URL, {"kind": "organisation", "legal_name": good}, format="json")
        assert ok.status_code == 201, (good, ok.content)
    for bad in ("Acme Trading", "远方贸易商行", "Acme Ltd Trading"):
        refused = client.post(URL, {"kind": "organisation", "legal_name": bad}, format="json")
        assert refused.status_code == 400 and "legal_name" in refused.json(), bad


def test_name_length_limits_per_kind(two_teams, api):
    configure(two_teams.admin, person_name_min=2, person_name_max=4, organisation_name_min=4)
    client = api(two_teams.rep_a)
    assert client.post(URL, {"display_name": "王"}, format="json").status_code == 400
    long = client.post(URL, {"display_name": "欧阳娜娜娜娜"}, format="json")
    assert long.status_code == 400 and "4" in long.json()["display_name"][0]
    assert client.post(URL, {"display_name": "王芳"}, format="json").status_code == 201
    org = client.post(URL, {"kind": "organisation", "display_name": "远方"}, format="json")
    assert org.status_code == 400
    assert (
        client.post(URL, {"kind": "organisation", "display_name": "远方贸易"}, format="json")
    ).status_code == 201


def test_rules_apply_to_updates_too(two_teams, api, customer_of):
    customer = customer_of(two_teams.rep_a, display_name="王芳")
    configure(two_teams.admin, forbidden_words=["临时"])
    response = api(two_teams.rep_a).patch(
        f"{URL}{customer.pk}/",
        {"display_name": "临时客户", "version": customer.version},
        format="json",
    )
    assert response.status_code == 400 and "display_name" in response.json()
    customer.refresh_from_db()
    assert customer.display_name == "王芳"


def test_a_rule_made_later_does_not_block_other_changes_to_existing_names(
    two_teams, api, customer_of
):
    """Names saved before the administrator added a rule stay editable around: a grade, a tag
    or a new owner is saved; only a name that is typed (changed) is held to the rules."""
    company = customer_of(two_teams.rep_a, kind="organisation", legal_name="远方测试商行")
    configure(two_teams.admin, forbidden_words=["测试"], require_legal_suffix=True)
    client = api(two_teams.rep_a)
    url = f"{URL}{company.pk}/"
    grade = client.patch(url, {"grade": "vip", "version": company.version}, format="json")
    assert grade.status_code == 200, grade.json()
    tagged = customer_services.bulk_change_customers(
        actor=two_teams.rep_a, customer_ids=[company.pk], action="add_tag", tag="老客户"
    )
    assert tagged.done == 1 and not tagged.refused
    company.refresh_from_db()
    renamed = client.patch(
        url, {"legal_name": "远方测试贸易商行", "version": company.version}, format="json"
    )
    assert renamed.status_code == 400 and "legal_name" in renamed.json()
    # A person who becomes an organisation is held to the organisation's rules.
    person = customer_of(two_teams.rep_a, display_name="远方贸易")
    changed = client.patch(
        f"{URL}{person.pk}/",
        {"kind": "organisation", "legal_name": "远方贸易", "version": person.version},
        format="json",
    )
    assert changed.status_code == 400 and "legal_name" in changed.json()


def test_rules_are_read_once_per_request(two_teams, api, django_assert_max_num_queries):
    configure(two_teams.admin, forbidden_words=["测试"])
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api(two_teams.rep_a)
    with CaptureQueriesContext(connection) as queries:
        response = client.post(
            URL,
            {"display_name": "王芳", "aliases": ["芳芳", "小王"], "short_name": "芳"},
            format="json",
        )
    assert response.status_code == 201
    reads = [q for q in queries.captured_queries if "quality_qualitysettings" in q["sql"]]
    assert len(reads) == 1


# --- the settings page ------------------------------------------------------------------------


def test_settings_page_is_for_administrators_only(two_teams, web):
    for user in (two_teams.rep_a, two_teams.manager_a, two_teams.analyst):
        assert web(user).get(reverse("quality:settings")).status_code == 403
        assert web(user).post(reverse("quality:settings"), {}).status_code == 403
    assert web(two_teams.admin).get(reverse("quality:settings")).status_code == 200


def settings_form(**overrides):
    row = services.get_settings()
    data = {
        "version": str(row.version),
        "forbidden_words": "测试\n样例",
        "legal_suffixes": "有限公司\nCo., Ltd.",
        "require_legal_suffix": "on",
        "person_name_min": "1",
        "person_name_max": "50",
        "organisation_name_min": "2",
        "organisation_name_max": "200",
        "cycle_vip_days": "90",
        "cycle_important_days": "180",
        "cycle_normal_days": "365",
        "incomplete_below": "60",
        "link_days": "14",
    }
    data.update(overrides)
    return data


def test_admin_saves_settings_and_the_change_is_audited(two_teams, web):
    c = web(two_teams.admin)
    response = c.post(reverse("quality:settings"), settings_form())
    assert response.status_code == 302, form_errors(response)
    row = QualitySettings.objects.get()
    assert row.forbidden_words == ["测试", "样例"]
    assert row.legal_suffixes == ["有限公司", "Co., Ltd."] and row.require_legal_suffix
    assert AuditEvent.objects.filter(object_type="quality.qualitysettings").exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"person_name_min": "10", "person_name_max": "5"}, "person_name_max"),
        ({"organisation_name_max": "500"}, "organisation_name_max"),
        ({"cycle_vip_days": "0"}, "cycle_vip_days"),
        ({"cycle_normal_days": "abc"}, "cycle_normal_days"),
        ({"link_days": "365"}, "link_days"),
        ({"incomplete_below": "101"}, "incomplete_below"),
        ({"legal_suffixes": ""}, "legal_suffixes"),
        ({"forbidden_words": "x" * 60}, "forbidden_words"),
    ],
)
def test_bad_settings_are_field_errors(two_teams, web, overrides, field):
    response = web(two_teams.admin).post(reverse("quality:settings"), settings_form(**overrides))
    assert response.status_code == 400
    assert field in response.context["form"].errors


def test_stale_settings_form_is_a_conflict(two_teams, web):
    stale = settings_form()
    configure(two_teams.admin, forbidden_words=["别的"])
    response = web(two_teams.admin).post(reverse("quality:settings"), stale)
    assert response.status_code == 409
    assert QualitySettings.objects.get().forbidden_words == ["别的"]


def test_naming_rules_api_is_admin_only(two_teams, api):
    url = "/api/v1/naming-rules/"
    assert api(two_teams.rep_a).get(url).status_code == 403
    response = api(two_teams.admin).get(url)
    assert response.status_code == 200
    data = response.json()
    changed = api(two_teams.admin).patch(
        url, {"forbidden_words": ["测试"], "version": data["version"]}, format="json"
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["forbidden_words"] == ["测试"]
    bad = api(two_teams.admin).patch(
        url,
        {"person_name_min": 9, "person_name_max": 3, "version": changed.json()["version"]},
        format="json",
    )
    assert bad.status_code == 400 and "person_name_max" in bad.json()
    stale = api(two_teams.admin).patch(
        url, {"forbidden_words": [], "version": data["version"]}, format="json"
    )
    assert stale.status_code == 409
    assert (
        api(two_teams.rep_a).patch(url, {"forbidden_words": []}, format="json").status_code == 403
    )


def test_naming_rules_api_answers_any_json_with_a_4xx_or_success(two_teams, api):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    client = api(two_teams.admin)
    values = st.none() | st.booleans() | st.integers(-5, 5000) | st.text(max_size=20)
    values = values | st.lists(values, max_size=3)
    keys = st.sampled_from((*services.SETTINGS_FIELDS, "version")) | st.text(max_size=8)

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(body=st.dictionaries(keys, values, max_size=6) | values)
    def check(body):
        response = client.patch("/api/v1/naming-rules/", body, format="json")
        assert response.status_code < 500, (body, response.content[:300])

    check()


def test_naming_rules_through_the_form_good_and_bad(two_teams, web):
    configure(
        two_teams.admin,
        require_legal_suffix=True,
        legal_suffixes=["有限公司"],
        person_name_min=2,
        person_name_max=4,
    )
    c = web(two_teams.rep_a)
    short = post_form(c, display_name="王")
    assert short.status_code == 400 and "2" in form_errors(short)["display_name"][0]
    long = post_form(c, display_name="欧阳娜娜娜娜")
    assert long.status_code == 400 and "display_name" in form_errors(long)
    assert post_form(c, display_name="王芳").status_code == 302
    good_org = post_form(
        c,
        kind="organisation",
        display_name="远方贸易",
        legal_name="杭州远方贸易有限公司",
        **{"contact_points-0-value": "13900139000"},
    )
    assert good_org.status_code == 302, form_errors(good_org)


def test_a_forbidden_latin_word_is_a_whole_word_and_a_chinese_one_is_found_anywhere(two_teams, api):
    """ "test" forbids "Test Co." and "测试test公司" but not "Contest" or "Testing Lab";
    Chinese has no spaces between words, so "测试" is refused wherever it stands."""
    configure(two_teams.admin, forbidden_words=["test", "Dummy Co", "测试"])
    client = api(two_teams.rep_a)
    for bad in (
        "Test Trading",
        "ＴＥＳＴ 公司",
        "测试test公司",
        "Big-Test",
        "dummy  co ltd",
        "我的测试号",
    ):
        response = client.post(URL, {"display_name": bad}, format="json")
        assert response.status_code == 400, bad
    for good in ("Contest Trading", "Testing Lab", "Protester", "Dummycount", "王芳"):
        response = client.post(URL, {"display_name": good}, format="json")
        assert response.status_code == 201, (good, response.content)


def test_accented_and_other_alphabets_count_as_letters_of_a_whole_word(two_teams, api):
    """A letter with an accent, or of Greek or Cyrillic, is part of the word: "test" is not in
    "Testé" or "Ωtest"; a forbidden word with such letters is itself a whole word."""
    configure(two_teams.admin, forbidden_words=["test", "café"])
    client = api(two_teams.rep_a)
    for bad in ("Café Lumière", "Test_Shop", "测试test公司"):
        assert client.post(URL, {"display_name": bad}, format="json").status_code == 400, bad
    for good in ("Testé Lab", "Ωtest Trading", "Тестtest", "Cafés du Monde", "Supercafé"):
        response = client.post(URL, {"display_name": good}, format="json")
        assert response.status_code == 201, (good, response.content)


def test_each_forbidden_word_is_prepared_once_not_once_per_customer(monkeypatch):
    """An import checks the names of every row: preparing each word's pattern again for each
    of a million rows cost ~20 times the check itself (0.4 ms a row with 200 words)."""
    import types
    import uuid

    from guanxi.quality import rules

    word = f"word{uuid.uuid4().hex[:8]}"
    keyed: list[str] = []
    real = rules._spaced_key

    def counting(value):
        keyed.append(value)
        return real(value)

    monkeypatch.setattr(rules, "_spaced_key", counting)
    settings_row = types.SimpleNamespace(
        forbidden_words=[word],
        person_name_min=1,
        person_name_max=100,
        organisation_name_min=1,
        organisation_name_max=100,
        require_legal_suffix=False,
        legal_suffixes=[],
    )
    for name in ("王芳", "李雷", "Han Meimei"):
        customer = types.SimpleNamespace(
            kind="person", display_name=name, legal_name="", short_name="", aliases=[]
        )
        rules.check_names(customer, settings_row)
    assert keyed.count(word) == 1
