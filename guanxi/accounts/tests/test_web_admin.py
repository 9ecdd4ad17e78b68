"""Administration pages: administrators only (everyone else gets 403); users, teams and roles are
changed through the services, with field messages and nothing typed lost."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from guanxi.accounts import services
from guanxi.accounts.models import ACTIONS, MODULES, Role, Team, User

pytestmark = pytest.mark.django_db

ADMIN_PAGES = [
    ("accounts:user_list", False),
    ("accounts:user_create", False),
    ("accounts:user_edit", True),
    ("accounts:team_list", False),
    ("accounts:team_create", False),
    ("accounts:team_edit", True),
    ("accounts:role_list", False),
    ("accounts:role_edit", True),
]


def url_of(two_teams, name: str, needs_pk: bool) -> str:
    if not needs_pk:
        return reverse(name)
    target = {
        "accounts:user_edit": two_teams.rep_b.pk,
        "accounts:team_edit": two_teams.team_b.pk,
        "accounts:role_edit": Role.objects.get(code="sales").pk,
    }[name]
    return reverse(name, args=[target])


@pytest.mark.parametrize(("name", "needs_pk"), ADMIN_PAGES)
@pytest.mark.parametrize("who", ["rep_a", "head_manager", "analyst"])
def test_non_admins_get_403_on_every_admin_page(two_teams, client, name, needs_pk, who):
    client.force_login(getattr(two_teams, who))
    url = url_of(two_teams, name, needs_pk)
    assert client.get(url).status_code == 403
    assert client.post(url, {"name": "x", "username": "x"}).status_code == 403


@pytest.mark.parametrize(("name", "needs_pk"), ADMIN_PAGES)
def test_admin_opens_every_admin_page(two_teams, client, name, needs_pk):
    client.force_login(two_teams.admin)
    assert client.get(url_of(two_teams, name, needs_pk)).status_code == 200


def test_rep_cannot_deactivate_or_delete(two_teams, client, make_team):
    empty = make_team("空团队")
    client.force_login(two_teams.rep_a)
    response = client.post(reverse("accounts:user_deactivate", args=[two_teams.rep_b.pk]))
    assert response.status_code == 403
    assert client.post(reverse("accounts:team_delete", args=[empty.pk])).status_code == 403
    two_teams.rep_b.refresh_from_db()
    assert two_teams.rep_b.is_active and Team.objects.filter(pk=empty.pk).exists()


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("accounts:user_list"))
    assert response.status_code == 302 and "login" in response["Location"]


# --- users --------------------------------------------------------------------------------


def user_post(**data) -> dict:
    return {
        "username": "",
        "display_name": "",
        "email": "",
        "team": "",
        "role": str(Role.objects.get(code="sales").pk),
        "language": "",
        "time_zone": "Asia/Shanghai",
        "is_active": "on",
        "password": "",
        **data,
    }


def test_admin_creates_a_user_with_role_team_and_password(two_teams, client):
    client.force_login(two_teams.admin)
    response = client.post(
        reverse("accounts:user_create"),
        user_post(
            username="xiaoming",
            display_name="小明",
            team=str(two_teams.team_a.pk),
            password="Long-enough-pw-2024",
        ),
    )
    assert response.status_code == 302, response.context["form"].errors
    user = User.objects.get(username="xiaoming")
    assert user.team == two_teams.team_a and user.role.code == "sales"
    assert user.check_password("Long-enough-pw-2024")


def test_user_without_password_or_with_a_taken_name_keeps_what_was_typed(two_teams, client):
    client.force_login(two_teams.admin)
    response = client.post(
        reverse("accounts:user_create"), user_post(username="rep_a", display_name="重名的人")
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert "password" in form.errors
    assert "重名的人" in response.content.decode()
    response = client.post(
        reverse("accounts:user_create"),
        user_post(username="rep_a", display_name="重名的人", password="Long-enough-pw-2024"),
    )
    assert response.status_code == 400
    assert "username" in response.context["form"].errors
    assert User.objects.filter(username="rep_a").count() == 1


def test_a_username_that_differs_only_in_case_is_taken(two_teams, client):
    """ "REP_A" beside "rep_a": two accounts that people (and the audit log) cannot tell
    apart, and a log-in that depends on the case typed."""
    client.force_login(two_teams.admin)
    response = client.post(
        reverse("accounts:user_create"),
        user_post(username="REP_A", display_name="冒名", password="Long-enough-pw-2024"),
    )
    assert response.status_code == 400
    assert "username" in response.context["form"].errors
    assert not User.objects.filter(username="REP_A").exists()
    # Renaming another user to it is refused too; a user may change the case of their own.
    with pytest.raises(ValidationError) as info:
        services.save_user(
            actor=two_teams.admin,
            user=two_teams.rep_b,
            data={"username": "Rep_A"},
            version=two_teams.rep_b.version,
        )
    assert "username" in info.value.message_dict
    services.save_user(
        actor=two_teams.admin,
        user=two_teams.rep_a,
        data={"username": "Rep_A"},
        version=two_teams.rep_a.version,
    )
    assert User.objects.get(pk=two_teams.rep_a.pk).username == "Rep_A"


def test_a_too_short_password_is_refused_in_chinese_on_a_chinese_page(two_teams, client):
    """Django 5.2 changed the wording of this message and its zh-hans catalogue kept the old
    one: the page showed it in English."""
    client.force_login(two_teams.admin)
    response = client.post(
        reverse("accounts:user_create"),
        user_post(username="xiaohong", password="Ab1!x"),
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 400
    message = " ".join(response.context["form"].errors["password"])
    assert "This password is too short" not in message
    assert "8" in message and "密码" in message
    response = client.post(
        reverse("accounts:user_create"),
        user_post(username="xiaohong", password="Ab1!x"),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    message = " ".join(response.context["form"].errors["password"])
    assert "This password is too short. It must contain at least 8 characters." in message


def test_admin_edits_a_user_and_stale_version_shows_the_conflict_page(two_teams, client):
    rep = two_teams.rep_b
    client.force_login(two_teams.admin)
    data = user_post(
        username=rep.username,
        display_name="乙销售",
        team=str(rep.team_id),
        role=str(rep.role_id),
        version=str(rep.version),
    )
    response = client.post(reverse("accounts:user_edit", args=[rep.pk]), data)
    assert response.status_code == 302
    rep.refresh_from_db()
    assert rep.display_name == "乙销售" and rep.check_password("pw-rep_b")
    response = client.post(reverse("accounts:user_edit", args=[rep.pk]), data)  # old version
    assert response.status_code == 409


def test_admin_deactivates_a_user_but_not_themself(two_teams, client):
    client.force_login(two_teams.admin)
    rep = two_teams.rep_b
    response = client.post(
        reverse("accounts:user_deactivate", args=[rep.pk]), {"version": rep.version}
    )
    assert response.status_code == 302
    rep.refresh_from_db()
    assert not rep.is_active
    me = two_teams.admin
    response = client.post(
        reverse("accounts:user_deactivate", args=[me.pk]), {"version": me.version}, follow=True
    )
    me.refresh_from_db()
    assert me.is_active
    assert list(response.context["messages"])


def test_an_administrator_cannot_take_away_their_own_administrator_role(two_teams, client):
    """As deactivating oneself is refused: an administrator who gave themself another role lost
    the Administration menu at once, and with it the way back (the last one, everyone's)."""
    me = two_teams.admin
    assert not me.is_superuser and me.role.is_admin
    client.force_login(me)
    response = client.post(
        reverse("accounts:user_edit", args=[me.pk]),
        user_post(username=me.username, role=str(Role.objects.get(code="sales").pk),
                  version=me.version),
    )  # fmt: skip
    assert response.status_code == 400
    assert "role" in response.context["form"].errors
    me.refresh_from_db()
    assert me.role.is_admin
    # Another administrator's role may be changed, and one's own other fields.
    other = User.objects.create_user(
        username="admin2", password="x-Long-enough-1", role=Role.objects.get(code="admin")
    )
    services.save_user(
        actor=me,
        user=other,
        data={"role": Role.objects.get(code="sales")},
        version=other.version,
    )
    services.save_user(actor=me, user=me, data={"display_name": "管理员甲"}, version=me.version)


def test_user_list_queries_do_not_grow_with_its_length(two_teams, client, make_user):
    client.force_login(two_teams.admin)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("accounts:user_list"))
    for i in range(10):
        make_user(f"extra{i}", "sales", two_teams.team_a if i % 2 else two_teams.team_b)
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("accounts:user_list"))
    assert len(response.context["rows"]) == 16
    assert len(many.captured_queries) == len(few.captured_queries)


# --- teams --------------------------------------------------------------------------------


def test_team_tree_create_edit_and_delete_when_empty(two_teams, client):
    client.force_login(two_teams.admin)
    response = client.post(
        reverse("accounts:team_create"), {"name": "华东组", "parent": str(two_teams.team_a.pk)}
    )
    assert response.status_code == 302
    east = Team.objects.get(name="华东组")
    assert east.path == f"{two_teams.team_a.path}{east.pk}/"
    rows = client.get(reverse("accounts:team_list")).context["rows"]
    names = [r["team"].name for r in rows]
    assert names.index("华东组") == names.index("Team A") + 1  # below its parent
    assert {r["team"].name: r["depth"] for r in rows}["华东组"] == 2

    # a team cannot go below itself: not offered, and refused if forced
    page = client.get(reverse("accounts:team_edit", args=[two_teams.team_a.pk]))
    assert east not in page.context["form"].fields["parent"].queryset
    response = client.post(
        reverse("accounts:team_edit", args=[two_teams.team_a.pk]),
        {"name": "Team A", "parent": str(east.pk), "version": two_teams.team_a.version},
    )
    assert response.status_code == 400 and "parent" in response.context["form"].errors

    # a team with members or sub-teams is not deleted; an empty one is
    response = client.post(reverse("accounts:team_delete", args=[two_teams.team_a.pk]), follow=True)
    assert Team.objects.filter(pk=two_teams.team_a.pk).exists()
    assert list(response.context["messages"])
    assert client.post(reverse("accounts:team_delete", args=[east.pk])).status_code == 302
    assert not Team.objects.filter(pk=east.pk).exists()


def test_a_team_that_still_has_customers_is_not_deleted(two_teams, client, make_team):
    """With its members moved away, a team's customers still name it: deleting it left them
    with no team, out of sight of the managers who see that team's customers."""
    from guanxi.customers.models import Customer

    old = make_team("旧团队")
    customer = Customer.objects.create(display_name="老客户", owner=two_teams.rep_a, team=old)
    client.force_login(two_teams.admin)
    response = client.post(
        reverse("accounts:team_delete", args=[old.pk]), follow=True, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert Team.objects.filter(pk=old.pk).exists()
    customer.refresh_from_db()
    assert customer.team == old
    assert any("customers" in str(m) for m in response.context["messages"]), "the reason"
    Customer.objects.filter(pk=customer.pk).update(team=two_teams.team_a)
    assert client.post(reverse("accounts:team_delete", args=[old.pk])).status_code == 302
    assert not Team.objects.filter(pk=old.pk).exists()


def test_team_list_queries_do_not_grow(two_teams, client, make_team, make_user):
    client.force_login(two_teams.admin)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("accounts:team_list"))
    for i in range(8):
        team = make_team(f"组{i}", parent=two_teams.team_b)
        make_user(f"member{i}", "sales", team)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("accounts:team_list"))
    assert len(many.captured_queries) == len(few.captured_queries)


# --- roles --------------------------------------------------------------------------------


def role_post(role: Role, **overrides) -> dict:
    data = {
        "name": role.name,
        "data_scope": role.data_scope,
        "version": str(role.version),
    }
    if role.can_view_contact_details:
        data["can_view_contact_details"] = "on"
    for module in MODULES:
        for action in ACTIONS:
            if action in role.permissions.get(module, []):
                data[f"perm_{module}_{action}"] = "on"
    data.update(overrides)
    return data


def test_role_edit_changes_what_a_user_may_do(two_teams, client):
    role = Role.objects.get(code="sales")
    client.force_login(two_teams.rep_a)
    assert client.get(reverse("sales:product_create")).status_code == 403

    client.force_login(two_teams.admin)
    page = client.get(reverse("accounts:role_edit", args=[role.pk]))
    assert page.context["form"]["perm_customers_view"].value() is True
    assert page.context["form"]["perm_products_create"].value() is False
    response = client.post(
        reverse("accounts:role_edit", args=[role.pk]),
        role_post(role, perm_products_create="on", data_scope="team"),
    )
    assert response.status_code == 302
    role.refresh_from_db()
    assert "create" in role.permissions["products"] and role.data_scope == "team"

    client.force_login(two_teams.rep_a)
    assert client.get(reverse("sales:product_create")).status_code == 200


def test_role_edit_unchecking_takes_a_right_away(two_teams, client):
    role = Role.objects.get(code="sales")
    client.force_login(two_teams.admin)
    data = role_post(role)
    del data["perm_orders_view"]
    assert client.post(reverse("accounts:role_edit", args=[role.pk]), data).status_code == 302
    client.force_login(two_teams.rep_a)
    assert client.get(reverse("sales:order_list")).status_code == 403


def test_a_built_in_role_is_named_in_the_users_language_on_its_page(two_teams, client):
    """The list said 经理 and the role's own page "编辑角色 Manager"."""
    role = Role.objects.get(code="manager")
    client.force_login(two_teams.admin)
    url = reverse("accounts:role_edit", args=[role.pk])
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "编辑角色 经理" in page and "编辑角色 Manager" not in page
    assert "Edit role Manager" in client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_role_edit_bad_input_and_stale_version(two_teams, client):
    role = Role.objects.get(code="sales")
    client.force_login(two_teams.admin)
    response = client.post(
        reverse("accounts:role_edit", args=[role.pk]), role_post(role, data_scope="galaxy")
    )
    assert response.status_code == 400 and "data_scope" in response.context["form"].errors
    stale = role_post(role, name="销售代表")
    services.save_role(actor=two_teams.admin, role=role, data={"name": "销售"}, version=1)
    response = client.post(reverse("accounts:role_edit", args=[role.pk]), stale)
    assert response.status_code == 409
    assert Role.objects.get(pk=role.pk).name == "销售"


def test_role_list_shows_user_counts_in_constant_queries(two_teams, client, make_user):
    client.force_login(two_teams.admin)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("accounts:role_list"))
    for i in range(5):
        make_user(f"more{i}", "service")
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("accounts:role_list"))
    counts = {r.code: r.user_count for r in response.context["roles"]}
    assert counts["service"] == 5 and counts["sales"] == 2
    assert len(many.captured_queries) == len(few.captured_queries)
