"""The customer 360° page, its timeline and the forms: the two-user gate on every page,
masking for the analyst, constant query counts, the conflict flow, inline messages that keep
what was typed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from guanxi.customers import selectors, services
from guanxi.customers.models import Customer, Note
from guanxi.interactions import services as interactions
from guanxi.interactions.models import Interaction

pytestmark = pytest.mark.django_db


def web(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def org_b(two_teams):
    """Rep B's organisation with a contact, an interaction and a note."""
    org = services.create_customer(
        actor=two_teams.rep_b,
        data={
            "kind": "organisation",
            "display_name": "远方贸易",
            "contact_points": [{"kind": "mobile", "value": "13812345678"}],
        },
    )
    contact = services.create_contact(
        actor=two_teams.rep_b, data={"organisation": org, "name": "赵经理", "mobile": "13900001111"}
    )
    interaction = interactions.create_interaction(
        actor=two_teams.rep_b, data={"customer": org, "channel": "phone", "subject": "报价"}
    )
    note = services.create_note(actor=two_teams.rep_b, customer=org, body="年底采购")
    org.refresh_from_db()
    org.contact, org.interaction, org.note = contact, interaction, note
    return org


def form_data(customer: Customer | None = None, **overrides) -> dict:
    data = {
        "kind": "person",
        "display_name": "王芳",
        "grade": "normal",
        "status": "active",
        "lifecycle_stage": "prospect",
        "region": "杭州",
        "contact_points-TOTAL_FORMS": "1",
        "contact_points-INITIAL_FORMS": "0",
        "contact_points-0-kind": "mobile",
        "contact_points-0-value": "13812345678",
        "addresses-TOTAL_FORMS": "0",
        "addresses-INITIAL_FORMS": "0",
    }
    if customer is not None:
        # As the browser sends it: the owner and team selects keep their current values.
        data["version"] = str(customer.version)
        data["owner"] = str(customer.owner_id or "")
        data["team"] = str(customer.team_id or "")
    data.update(overrides)
    return data


# --- the two-user gate ------------------------------------------------------------------------


def test_rep_a_gets_404_on_every_page_of_team_bs_customer(client, two_teams, org_b):
    c = web(client, two_teams.rep_a)
    gets = [
        reverse("customers:detail", args=[org_b.pk]),
        reverse("customers:timeline", args=[org_b.pk]),
        reverse("customers:edit", args=[org_b.pk]),
        reverse("customers:delete", args=[org_b.pk]),
        reverse("customers:note_create", args=[org_b.pk]),
        reverse("customers:interaction_create", args=[org_b.pk]),
        reverse("customers:contact_create", args=[org_b.pk]),
        reverse("customers:contact_edit", args=[org_b.contact.pk]),
        reverse("customers:interaction_edit", args=[org_b.interaction.pk]),
        reverse("customers:note_edit", args=[org_b.note.pk]),
    ]
    for url in gets:
        assert c.get(url).status_code == 404, url
    posts = {
        reverse("customers:edit", args=[org_b.pk]): form_data(org_b, display_name="抢走"),
        reverse("customers:delete", args=[org_b.pk]): {"version": org_b.version},
        reverse("customers:note_create", args=[org_b.pk]): {"body": "x"},
        reverse("customers:interaction_create", args=[org_b.pk]): {
            "channel": "phone",
            "subject": "x",
            "direction": "outbound",
            "purpose": "other",
        },
        reverse("customers:contact_create", args=[org_b.pk]): {"name": "x", "role": "other"},
        reverse("customers:note_delete", args=[org_b.note.pk]): {},
    }
    for url, data in posts.items():
        assert c.post(url, data).status_code == 404, url
    org_b.refresh_from_db()
    assert org_b.display_name == "远方贸易" and org_b.deleted_at is None
    assert Note.objects.filter(customer=org_b).count() == 1
    assert Interaction.objects.filter(customer=org_b).count() == 1
    # The owner sees all of it.
    owner = web(client, two_teams.rep_b)
    for url in gets:
        assert owner.get(url).status_code == 200, url


def test_a_role_that_may_only_look_gets_403_on_the_forms(client, two_teams, org_b):
    c = web(client, two_teams.analyst)
    assert c.get(reverse("customers:detail", args=[org_b.pk])).status_code == 200
    for url in (
        reverse("customers:edit", args=[org_b.pk]),
        reverse("customers:delete", args=[org_b.pk]),
        reverse("customers:note_create", args=[org_b.pk]),
        reverse("customers:interaction_create", args=[org_b.pk]),
        reverse("customers:contact_create", args=[org_b.pk]),
        reverse("customers:create"),
    ):
        assert c.get(url).status_code == 403, url


# --- the 360° page ----------------------------------------------------------------------------


def test_360_page_masks_contact_details_for_the_analyst(client, two_teams, org_b):
    body = (
        web(client, two_teams.analyst)
        .get(reverse("customers:detail", args=[org_b.pk]))
        .content.decode()
    )
    assert "138****5678" in body and "13812345678" not in body
    assert "139****1111" in body and "13900001111" not in body
    owner = web(client, two_teams.rep_b).get(reverse("customers:detail", args=[org_b.pk]))
    text = owner.content.decode()
    assert "13812345678" in text and "赵经理" in text and "年底采购" in text and "报价" in text


def test_360_page_and_timeline_cost_the_same_queries_with_more_items(client, two_teams):
    customer = services.create_customer(
        actor=two_teams.rep_a, data={"kind": "organisation", "display_name": "测试公司"}
    )

    def add(n):
        for i in range(n):
            services.create_contact(
                actor=two_teams.rep_a, data={"organisation": customer, "name": f"联系人{i}"}
            )
            contact = customer.contacts.last()
            interactions.create_interaction(
                actor=two_teams.rep_a,
                data={
                    "customer": customer,
                    "contact": contact,
                    "channel": "visit",
                    "subject": f"拜访{i}",
                },
            )
            services.create_note(actor=two_teams.rep_a, customer=customer, body=f"备注{i}")
            customer.refresh_from_db()
            services.update_customer(
                actor=two_teams.rep_a,
                customer=customer,
                data={
                    "region": f"区{i}",
                    "tags": [f"标签{i}"],
                    "contact_points": [{"kind": "mobile", "value": f"1380000{i:04d}"}],
                },
                version=customer.version,
            )

    c = web(client, two_teams.rep_a)

    def count(url):
        with CaptureQueriesContext(connection) as ctx:
            response = c.get(url)
        assert response.status_code == 200
        return len(ctx.captured_queries)

    detail = reverse("customers:detail", args=[customer.pk])
    timeline = reverse("customers:timeline", args=[customer.pk])
    add(1)
    few = count(detail), count(timeline)
    add(5)
    many = count(detail), count(timeline)
    # Names in the changes cost one query per kind of record named on the page (owner, team,
    # customer, contact), never one per item: more items never cost more queries.
    assert many[0] <= few[0] and many[1] <= few[1], (few, many)


def test_timeline_pages_link_to_the_next_without_gaps(client, two_teams, org_b):
    for i in range(25):
        services.create_note(actor=two_teams.rep_b, customer=org_b, body=f"第{i}条")
    c = web(client, two_teams.rep_b)
    first = c.get(reverse("customers:detail", args=[org_b.pk])).content.decode()
    assert 'hx-trigger="revealed"' in first
    page = selectors.timeline(user=two_teams.rep_b, customer=org_b)
    second = c.get(
        reverse("customers:timeline", args=[org_b.pk]), {"before": page.next_before}
    ).content.decode()
    bodies = [f"第{i}条" for i in range(25)]
    assert all(b in first + second for b in bodies)
    assert not any(b in first and b in second for b in bodies)
    bad = c.get(reverse("customers:timeline", args=[org_b.pk]), {"before": "nonsense"})
    assert bad.status_code == 400


def test_quick_forms_log_an_interaction_and_a_note_without_leaving_the_page(
    client, two_teams, org_b
):
    c = web(client, two_teams.rep_b)
    response = c.post(
        reverse("customers:interaction_create", args=[org_b.pk]),
        {"channel": "wechat", "direction": "inbound", "purpose": "inquiry", "subject": "问价"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200 and response["HX-Trigger"] == "timeline-changed"
    assert 'id="quick-interaction"' in response.content.decode()
    assert Interaction.objects.filter(customer=org_b, subject="问价").exists()
    bad = c.post(
        reverse("customers:note_create", args=[org_b.pk]), {"body": ""}, HTTP_HX_REQUEST="true"
    )
    assert bad.status_code == 400 and 'id="quick-note"' in bad.content.decode()
    ok = c.post(
        reverse("customers:note_create", args=[org_b.pk]),
        {"body": "下周回访"},
        HTTP_HX_REQUEST="true",
    )
    assert ok.status_code == 200 and ok["HX-Trigger"] == "timeline-changed"
    timeline = c.get(reverse("customers:timeline", args=[org_b.pk])).content.decode()
    assert timeline.index("下周回访") < timeline.index("问价") < timeline.index("年底采购")


def test_interaction_time_is_read_in_the_users_time_zone(client, two_teams, org_b):
    two_teams.rep_b.time_zone = "Asia/Tokyo"
    two_teams.rep_b.save()
    c = web(client, two_teams.rep_b)
    response = c.post(
        reverse("customers:interaction_create", args=[org_b.pk]),
        {
            "channel": "visit",
            "direction": "outbound",
            "purpose": "care",
            "subject": "拜访",
            "occurred_at": "2026-01-05T10:30",
            "duration_minutes": "45",
            "contact": org_b.contact.pk,
            "quality_rating": "4",
        },
    )
    assert response.status_code == 302, response.content.decode()
    made = Interaction.objects.get(subject="拜访")
    assert made.occurred_at == dt.datetime(2026, 1, 5, 1, 30, tzinfo=dt.UTC)
    assert made.contact == org_b.contact and made.quality_rating == 4
    edit = c.get(reverse("customers:interaction_edit", args=[made.pk])).content.decode()
    assert "2026-01-05T10:30" in edit


# --- the customer form ------------------------------------------------------------------------


def test_create_a_customer_with_tags_custom_fields_and_rows(client, two_teams):
    services.save_custom_field(
        actor=two_teams.admin,
        definition=None,
        data={"key": "budget", "label": "预算", "field_type": "number", "min_value": 0},
    )
    c = web(client, two_teams.rep_a)
    page = c.get(reverse("customers:create")).content.decode()
    assert 'name="cf_budget"' in page and 'name="contact_points-0-value"' in page
    response = c.post(
        reverse("customers:create"),
        form_data(
            tags="老客户，茶叶",
            cf_budget="5000",
            **{
                "addresses-TOTAL_FORMS": "1",
                "addresses-0-country": "CN",
                "addresses-0-city": "杭州",
                "addresses-0-postcode": "310000",
            },
        ),
    )
    assert response.status_code == 302, response.content.decode()
    customer = Customer.objects.get(display_name="王芳")
    assert response["Location"] == reverse("customers:detail", args=[customer.pk])
    assert customer.owner == two_teams.rep_a and customer.custom_fields == {"budget": 5000}
    assert sorted(t.name for t in customer.tags.all()) == ["老客户", "茶叶"]
    assert customer.contact_points.get().normalized == "+8613812345678"
    assert customer.addresses.get().city == "杭州"
    bad = c.post(reverse("customers:create"), form_data(display_name="赵六", cf_budget="-1"))
    assert bad.status_code == 400 and 'id="id_cf_budget_error"' in bad.content.decode()


def test_bad_phone_shows_beside_its_row_and_keeps_everything_typed(client, two_teams):
    c = web(client, two_teams.rep_a)
    response = c.post(
        reverse("customers:create"),
        form_data(
            occupation="教师",
            **{
                "contact_points-TOTAL_FORMS": "3",
                "contact_points-1-kind": "",  # a blank row between: not sent
                "contact_points-2-kind": "mobile",
                "contact_points-2-value": "12345",
                "contact_points-2-label": "家里",
            },
        ),
    )
    assert response.status_code == 400
    form = response.context["form"]
    rows = response.context["formsets"]["contact_points"].forms
    assert rows[2].errors.get("value") and not rows[0].errors
    body = response.content.decode()
    for typed in ('value="王芳"', 'value="杭州"', 'value="教师"', 'value="13812345678"'):
        assert typed in body
    assert 'value="12345"' in body and 'value="家里"' in body
    assert form["display_name"].value() == "王芳"
    assert not Customer.objects.exists()


def test_an_error_in_a_row_alone_is_announced_at_the_top_of_the_form(client, two_teams):
    """A long form saved from its bottom comes back at its top: when only a contact point or
    an address is wrong, the top says that nothing was saved, as it does for a field."""
    c = web(client, two_teams.rep_a)
    for rows in (
        {"contact_points-0-value": "12345"},
        {
            "addresses-TOTAL_FORMS": "1",
            "addresses-0-country": "CN",
            "addresses-0-city": "北京",
            "addresses-0-postcode": "12345",
        },
    ):
        response = c.post(reverse("customers:create"), form_data(**rows))
        assert response.status_code == 400
        assert "尚未保存：请修改下方标出的字段" in response.content.decode()
    assert not Customer.objects.exists()


def test_add_a_row_keeps_what_was_typed_and_shows_no_errors(client, two_teams):
    c = web(client, two_teams.rep_a)
    response = c.post(
        reverse("customers:create"), form_data(display_name="", _add_row="contact_points")
    )
    assert response.status_code == 200
    formset = response.context["formsets"]["contact_points"]
    assert len(formset.forms) == 2 and 'value="13812345678"' in response.content.decode()
    assert "invalid-feedback" not in response.content.decode()


def test_owner_choices_are_limited_to_assignable_users(client, two_teams):
    c = web(client, two_teams.rep_a)
    form = c.get(reverse("customers:create")).context["form"]
    assert list(form.fields["owner"].queryset) == [two_teams.rep_a]
    manager = web(client, two_teams.manager_a).get(reverse("customers:create")).context["form"]
    assert two_teams.rep_b not in manager.fields["owner"].queryset
    assert two_teams.rep_a in manager.fields["owner"].queryset


def test_two_edits_from_version_1_conflict_and_reapplying_gives_version_3(client, two_teams):
    customer = services.create_customer(
        actor=two_teams.rep_a,
        data={
            "display_name": "王芳",
            "contact_points": [{"kind": "mobile", "value": "13812345678"}],
        },
    )
    url = reverse("customers:edit", args=[customer.pk])
    c = web(client, two_teams.rep_a)
    edit_page = c.get(url)
    assert 'name="version" value="1"' in edit_page.content.decode()
    # A colleague saves first (through the API, from version 1) ...
    services.update_customer(
        actor=two_teams.admin, customer=customer, data={"region": "上海"}, version=1
    )
    # ... then this user saves their form, also made from version 1.
    mine = form_data(customer, region="北京", occupation="医生")
    mine["version"] = "1"
    conflict = c.post(url, mine)
    assert conflict.status_code == 409
    body = conflict.content.decode()
    assert "北京" in body and "上海" in body
    assert 'name="version" value="2"' in body
    customer.refresh_from_db()
    assert customer.region == "上海" and customer.version == 2
    # Re-apply: the page's form carries everything typed, with the current version.
    carried = dict(conflict.context["hidden"])
    carried["version"] = str(conflict.context["current_version"])
    applied = c.post(url, carried)
    assert applied.status_code == 302
    customer.refresh_from_db()
    assert (customer.region, customer.occupation, customer.version) == ("北京", "医生", 3)
    assert customer.contact_points.get().value == "13812345678"


def test_conflict_page_names_a_primary_contact_point_primary_not_yes(client, two_teams):
    """A row's tick box reads as its label ("首选"), not as a bare "是" after the value."""
    customer = services.create_customer(
        actor=two_teams.rep_a,
        data={
            "display_name": "王芳",
            "contact_points": [{"kind": "mobile", "value": "13812345678", "is_primary": True}],
        },
    )
    services.update_customer(
        actor=two_teams.admin,
        customer=customer,
        data={"contact_points": [{"kind": "mobile", "value": "13900001111", "is_primary": True}]},
        version=1,
    )
    c = web(client, two_teams.rep_a)
    mine = form_data(customer, region="", **{"contact_points-0-is_primary": "on"})
    mine["version"] = "1"
    conflict = c.post(reverse("customers:edit", args=[customer.pk]), mine)
    assert conflict.status_code == 409
    rows = [(f.yours, f.current) for f in conflict.context["changes"]]
    assert rows == [("手机 · 13812345678 · 首选", "手机 · 13900001111 · 首选")], rows


def test_edit_page_shows_saved_rows_and_saves_a_removal(client, two_teams):
    customer = services.create_customer(
        actor=two_teams.rep_a,
        data={
            "display_name": "王芳",
            "contact_points": [
                {"kind": "mobile", "value": "13812345678"},
                {"kind": "email", "value": "wf@example.com"},
            ],
        },
    )
    c = web(client, two_teams.rep_a)
    page = c.get(reverse("customers:edit", args=[customer.pk]))
    assert 'value="wf@example.com"' in page.content.decode()
    data = form_data(customer)
    data.update(
        {
            "contact_points-TOTAL_FORMS": "2",
            "contact_points-INITIAL_FORMS": "2",
            "contact_points-1-kind": "email",
            "contact_points-1-value": "wf@example.com",
            "contact_points-1-DELETE": "on",
        }
    )
    assert c.post(reverse("customers:edit", args=[customer.pk]), data).status_code == 302
    assert [p.kind for p in customer.contact_points.all()] == ["mobile"]


def test_delete_moves_to_the_recycle_bin_after_confirmation(client, two_teams):
    customer = services.create_customer(actor=two_teams.rep_a, data={"display_name": "王芳"})
    c = web(client, two_teams.rep_a)
    url = reverse("customers:delete", args=[customer.pk])
    assert "version" in c.get(url).content.decode()
    customer.refresh_from_db()
    assert customer.deleted_at is None
    assert c.post(url, {"version": customer.version}).status_code == 302
    assert selectors.recycle_bin(user=two_teams.rep_a).filter(pk=customer.pk).exists()


def test_contact_forms_create_and_edit_with_inline_messages(client, two_teams, org_b):
    c = web(client, two_teams.rep_b)
    bad = c.post(
        reverse("customers:contact_create", args=[org_b.pk]),
        {"name": "钱主任", "role": "finance", "mobile": "abc", "title": "主任"},
    )
    assert bad.status_code == 400 and bad.context["form"].errors.get("mobile")
    assert 'value="钱主任"' in bad.content.decode()
    ok = c.post(
        reverse("customers:contact_create", args=[org_b.pk]),
        {"name": "钱主任", "role": "finance", "mobile": "13700001111"},
    )
    assert ok.status_code == 302
    contact = org_b.contacts.get(name="钱主任")
    edit = c.post(
        reverse("customers:contact_edit", args=[contact.pk]),
        {"name": "钱总", "role": "decision_maker", "version": contact.version},
    )
    assert edit.status_code == 302
    contact.refresh_from_db()
    assert contact.name == "钱总" and contact.version == 2
    person = services.create_customer(actor=two_teams.rep_b, data={"display_name": "个人"})
    assert c.get(reverse("customers:contact_create", args=[person.pk])).status_code == 404


def test_saving_the_form_with_an_edit_share_keeps_the_owner_and_team(client, two_teams):
    from guanxi.customers.forms import CustomerForm
    from guanxi.customers.models import Customer as C

    customer = services.create_customer(actor=two_teams.rep_b, data={"display_name": "共享客户"})
    services.share_customer(
        actor=two_teams.rep_b, customer=customer, user=two_teams.rep_a, can_edit=True
    )
    form = CustomerForm(initial=CustomerForm.initial_from(customer), user=two_teams.rep_a)
    assert two_teams.rep_b in form.fields["owner"].queryset
    assert two_teams.team_b in form.fields["team"].queryset
    c = web(client, two_teams.rep_a)
    response = c.post(
        reverse("customers:edit", args=[customer.pk]),
        form_data(C.objects.get(pk=customer.pk), display_name="共享客户", grade="vip"),
    )
    assert response.status_code == 302
    saved = C.objects.get(pk=customer.pk)
    assert (saved.owner, saved.team, saved.grade) == (two_teams.rep_b, two_teams.team_b, "vip")


def test_a_role_with_masked_details_neither_reads_nor_overwrites_them_when_editing(
    client, two_teams, api
):
    from guanxi.accounts.models import Role

    role = Role.objects.create(
        code="masked-editor",
        name="Masked editor",
        data_scope="all",
        can_view_contact_details=False,
        permissions={"customers": ["view", "change"], "contacts": ["view", "change"]},
    )
    editor = two_teams.analyst
    editor.role = role
    editor.save()
    customer = services.create_customer(
        actor=two_teams.rep_b,
        data={
            "display_name": "掩码客户",
            "kind": "organisation",
            "contact_points": [{"kind": "mobile", "value": "13912345678"}],
        },
    )
    contact = services.create_contact(
        actor=two_teams.rep_b,
        data={"organisation": customer, "name": "李", "mobile": "13700001111"},
    )
    c = web(client, editor)
    page = c.get(reverse("customers:edit", args=[customer.pk])).content.decode()
    assert "13912345678" not in page
    contact_page = c.get(reverse("customers:contact_edit", args=[contact.pk])).content.decode()
    assert "13700001111" not in contact_page and "137****1111" in contact_page
    refused = api(editor).patch(
        f"/api/v1/customers/{customer.pk}/",
        {"contact_points": [{"kind": "mobile", "value": "139****5678"}], "version": 1},
        format="json",
    )
    assert refused.status_code == 400 and "contact_points" in refused.json()
    assert customer.contact_points.get().normalized == "+8613912345678"


def test_the_edit_page_in_chinese_shows_the_saved_birthday_in_its_date_picker(client, two_teams):
    """A date input only takes 2026-03-01; the zh-hans format 1990/05/04 showed as empty,
    and saving the form erased the birthday."""
    customer = services.create_customer(
        actor=two_teams.rep_a, data={"display_name": "王芳", "birthday": dt.date(1990, 5, 4)}
    )
    c = web(client, two_teams.rep_a)
    page = c.get(
        reverse("customers:edit", args=[customer.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert 'name="birthday" value="1990-05-04"' in page
