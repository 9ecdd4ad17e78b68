"""A team and every team below it: the one answer that every filter "by team" and the team
scope of visibility use."""

from __future__ import annotations

import pytest

from guanxi.accounts.models import Team
from guanxi.accounts.policies import managed_team_ids
from guanxi.accounts.selectors import team_and_below_ids

pytestmark = pytest.mark.django_db


def test_a_team_and_every_team_below_it(team_tree):
    w = team_tree
    assert sorted(team_and_below_ids(w.head)) == sorted(
        [w.head.pk, w.team_a.pk, w.team_b.pk, w.team_a1.pk]
    )
    assert sorted(team_and_below_ids(w.team_a)) == sorted([w.team_a.pk, w.team_a1.pk])
    assert team_and_below_ids(w.team_b) == [w.team_b.pk]  # a leaf is itself
    assert team_and_below_ids(w.team_a1.pk) == [w.team_a1.pk]  # an id works too
    assert sorted(team_and_below_ids(str(w.team_a.pk))) == sorted([w.team_a.pk, w.team_a1.pk])


@pytest.mark.parametrize("team", [None, "", "x", 0, 10**9, [1]])
def test_no_team_or_an_unknown_one_is_no_team(team_tree, team):
    assert team_and_below_ids(team) == []


def test_one_query_and_remembered_on_the_team(team_tree, django_assert_num_queries):
    head = Team.objects.get(pk=team_tree.head.pk)
    with django_assert_num_queries(1):
        first = team_and_below_ids(head)
    with django_assert_num_queries(0):
        assert team_and_below_ids(head) == first


def test_a_loop_in_the_parent_links_does_not_hang(team_tree):
    """save_team refuses a loop; one written behind its back still ends the walk."""
    w = team_tree
    Team.objects.filter(pk=w.head.pk).update(parent=w.team_a1)
    assert sorted(team_and_below_ids(w.team_a)) == sorted(
        [w.head.pk, w.team_a.pk, w.team_b.pk, w.team_a1.pk]
    )
    Team.objects.filter(pk=w.team_b.pk).update(parent=w.team_b)  # its own parent
    assert team_and_below_ids(w.team_b.pk) == [w.team_b.pk]


def test_a_deep_tree_in_one_query(make_team, django_assert_num_queries):
    root = parent = make_team("Level 0")
    for level in range(1, 40):  # as deep as the stored path allows with long ids
        parent = make_team(f"Level {level}", parent=parent)
    with django_assert_num_queries(1):
        ids = team_and_below_ids(root.pk)
    assert len(ids) == 40 and ids[0] == root.pk and ids[-1] == parent.pk


def test_the_team_scope_is_the_same_team_and_below(team_tree):
    w = team_tree
    assert sorted(managed_team_ids(w.head_manager)) == sorted(team_and_below_ids(w.head))
    assert sorted(managed_team_ids(w.manager_a)) == sorted([w.team_a.pk, w.team_a1.pk])


def test_a_tree_deeper_than_the_stored_path_is_a_message_not_a_database_error(team_tree):
    """The path of ids (/1/4/9/) is at most 255 characters: PostgreSQL refused a longer one
    with an error page, SQLite stored it. Creating or moving a team that deep is refused,
    and nothing of the move is kept."""
    from django.core.exceptions import ValidationError

    from guanxi.accounts.services import TEAM_PATH_MAX, save_team

    admin = team_tree.admin
    parent, made = team_tree.team_a1, []
    with pytest.raises(ValidationError) as refused:
        for level in range(TEAM_PATH_MAX):
            parent = save_team(actor=admin, team=None, data={"name": f"L{level}", "parent": parent})
            made.append(parent)
    assert "parent" in refused.value.message_dict
    assert all(len(t.path) <= TEAM_PATH_MAX for t in Team.objects.all())
    # Moving team B under the deepest team would make its path too long as well.
    team_b = Team.objects.get(pk=team_tree.team_b.pk)
    with pytest.raises(ValidationError):
        save_team(actor=admin, team=team_b, data={"parent": made[-1]}, version=team_b.version)
    team_b.refresh_from_db()
    assert team_b.parent_id == team_tree.head.pk and len(team_b.path) < 20
