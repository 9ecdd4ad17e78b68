"""Saved views of a list belong to their user: nobody else lists, opens or deletes them."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from guanxi.accounts import selectors, services
from guanxi.accounts.models import SavedView
from guanxi.core.errors import PermissionDeniedError

pytestmark = pytest.mark.django_db


def test_saved_view_is_listed_for_its_user_only(two_teams):
    view = services.save_view(
        actor=two_teams.rep_a, list_name="customers", name="VIP", query="grade=vip"
    )
    assert list(selectors.saved_view_list(user=two_teams.rep_a, list_name="customers")) == [view]
    assert not selectors.saved_view_list(user=two_teams.rep_b, list_name="customers").exists()
    with pytest.raises(SavedView.DoesNotExist):
        selectors.saved_view_get(user=two_teams.rep_b, pk=view.pk)


def test_another_user_cannot_delete_my_view(two_teams):
    view = services.save_view(actor=two_teams.rep_a, list_name="customers", name="VIP")
    with pytest.raises(PermissionDeniedError):
        services.delete_view(actor=two_teams.admin, view=view)
    assert SavedView.objects.filter(pk=view.pk).exists()


def test_saving_under_the_same_name_overwrites(two_teams):
    services.save_view(actor=two_teams.rep_a, list_name="customers", name="VIP", query="a=1")
    services.save_view(
        actor=two_teams.rep_a, list_name="customers", name="VIP", query="a=2", columns=["id"]
    )
    (view,) = selectors.saved_view_list(user=two_teams.rep_a, list_name="customers")
    assert (view.query, view.columns) == ("a=2", ["id"])


def test_two_users_may_use_the_same_name(two_teams):
    services.save_view(actor=two_teams.rep_a, list_name="customers", name="VIP")
    services.save_view(actor=two_teams.rep_b, list_name="customers", name="VIP")
    assert SavedView.objects.count() == 2


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": " "}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "ok", "query": "a" * 2001}, "query"),
        ({"name": "ok", "columns": [1, 2]}, "columns"),
    ],
)
def test_bad_saved_view_is_refused_by_field(two_teams, kwargs, field):
    with pytest.raises(ValidationError) as caught:
        services.save_view(actor=two_teams.rep_a, list_name="customers", **kwargs)
    assert field in caught.value.message_dict
