"""The web pages: the queue (per user), a pair, merge with choices, undo, thresholds, and the
check on the customer form."""

import pytest
from django.urls import reverse

from guanxi.customers.models import Customer
from guanxi.dedup import services
from guanxi.dedup.models import DedupSettings, DuplicatePair, Merge, PairStatus

pytestmark = pytest.mark.django_db

MOBILE = {"kind": "mobile", "value": "13812345678"}


@pytest.fixture
def twins(two_teams, person):
    a = person("刘洋", contact_points=[MOBILE], birthday="1991-05-06", occupation="教师")
    b = person("刘洋", contact_points=[MOBILE], birthday="1991-05-06", industry="教育")
    services.scan()
    return Customer.objects.get(pk=a["id"]), Customer.objects.get(pk=b["id"])


def login(client, user):
    client.force_login(user)
    return client


def test_queue_shows_pairs_of_visible_customers_only(
    client, two_teams, twins, django_assert_max_num_queries
):
    login(client, two_teams.rep_a)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("dedup:queue"))
    assert page.status_code == 200
    assert "刘洋" in page.content.decode() and "same phone number" in page.content.decode()
    login(client, two_teams.rep_b)
    page = client.get(reverse("dedup:queue"))
    assert "刘洋" not in page.content.decode()
    pair = DuplicatePair.objects.get()
    assert client.get(reverse("dedup:pair", args=[pair.pk])).status_code == 404
    assert client.get(reverse("dedup:queue") + "?status=bogus&cursor=zzz").status_code == 200


def test_queue_filters(client, two_teams, twins):
    login(client, two_teams.rep_a)
    assert "刘洋" in client.get(reverse("dedup:queue") + "?likely=1").content.decode()
    assert "刘洋" not in client.get(reverse("dedup:queue") + "?status=dismissed").content.decode()


def test_pair_page_side_by_side_and_dismiss(client, two_teams, twins):
    pair = DuplicatePair.objects.get()
    login(client, two_teams.rep_a)
    page = client.get(reverse("dedup:pair", args=[pair.pk]))
    body = page.content.decode()
    assert page.status_code == 200 and "table-warning" in body and "138" in body
    response = client.post(reverse("dedup:dismiss", args=[pair.pk]), {"version": pair.version})
    assert response.status_code == 302
    pair.refresh_from_db()
    assert pair.status == PairStatus.DISMISSED
    again = client.post(reverse("dedup:dismiss", args=[pair.pk]), {"version": pair.version})
    assert again.status_code == 302  # a message, not an error page


def test_pair_page_masks_contact_details_for_the_analyst(client, two_teams, twins):
    pair = DuplicatePair.objects.get()
    login(client, two_teams.analyst)
    body = client.get(reverse("dedup:pair", args=[pair.pk])).content.decode()
    assert "13812345678" not in body and "138****5678" in body
    assert "Not a duplicate" not in body  # the analyst may not change customers


def test_merge_page_choices_then_undo(client, two_teams, twins):
    a, b = twins
    login(client, two_teams.rep_a)
    url = reverse("dedup:merge") + f"?survivor={a.pk}&loser={b.pk}"
    page = client.get(url)
    assert page.status_code == 200 and 'name="choice_industry"' in page.content.decode()
    response = client.post(
        reverse("dedup:merge"),
        {
            "survivor": a.pk,
            "loser": b.pk,
            "survivor_version": a.version,
            "loser_version": b.version,
            "choice_industry": "loser",
            "choice_occupation": "survivor",
        },
    )
    assert response.status_code == 302
    merge = Merge.objects.get()
    a.refresh_from_db()
    assert a.industry == "教育" and a.occupation == "教师"
    assert Customer.objects.get(pk=b.pk).deleted_at is not None
    done = client.get(response["Location"])
    assert done.status_code == 200 and "Undo" in done.content.decode()
    undo = client.post(reverse("dedup:undo", args=[merge.pk]))
    assert undo.status_code == 302
    assert Customer.objects.get(pk=b.pk).deleted_at is None
    assert Customer.objects.get(pk=a.pk).industry == ""


def test_merge_page_names_what_moves_in_the_users_language(client, two_teams, person):
    """The list of what moves to the survivor names tags as tags (the many-to-many table
    Django makes has an English-only name, "customer-tag relationships"), in Chinese too."""
    a = person("刘洋", contact_points=[MOBILE])
    b = person("刘洋", contact_points=[MOBILE], tags=["重点"])
    login(client, two_teams.rep_a)
    url = reverse("dedup:merge") + f"?survivor={a['id']}&loser={b['id']}"
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "relationship" not in page and "tags: 1" in page
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "relationship" not in page and "标签: 1" in page


def test_merge_page_stale_version_shows_the_conflict(client, two_teams, twins):
    a, b = twins
    login(client, two_teams.rep_a)
    response = client.post(
        reverse("dedup:merge"),
        {
            "survivor": a.pk,
            "loser": b.pk,
            "survivor_version": a.version + 3,
            "loser_version": b.version,
        },
    )
    assert response.status_code == 400 and "changed by someone else" in response.content.decode()
    assert Customer.objects.get(pk=b.pk).deleted_at is None


def test_merge_page_permissions_and_bad_input(client, two_teams, twins, person):
    a, b = twins
    login(client, two_teams.rep_b)
    assert client.get(reverse("dedup:merge") + f"?survivor={a.pk}&loser={b.pk}").status_code == 404
    login(client, two_teams.analyst)
    assert client.get(reverse("dedup:merge") + f"?survivor={a.pk}&loser={b.pk}").status_code == 403
    login(client, two_teams.rep_a)
    assert client.get(reverse("dedup:merge") + "?survivor=x&loser=1").status_code == 404
    assert client.get(reverse("dedup:merge") + f"?survivor={a.pk}&loser={a.pk}").status_code == 302
    response = client.post(
        reverse("dedup:merge"),
        {
            "survivor": a.pk,
            "loser": b.pk,
            "survivor_version": a.version,
            "loser_version": b.version,
            "choice_grade": "both",
        },
    )
    assert response.status_code == 400


def test_scan_button(client, two_teams, django_capture_on_commit_callbacks):
    login(client, two_teams.rep_a)
    assert client.post(reverse("dedup:scan")).status_code == 403
    login(client, two_teams.manager_a)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("dedup:scan")).status_code == 302


def test_settings_admin_only_and_validated(client, two_teams):
    login(client, two_teams.manager_a)
    assert client.get(reverse("dedup:settings")).status_code == 403
    login(client, two_teams.admin)
    assert client.get(reverse("dedup:settings")).status_code == 200
    settings = services.get_settings()
    bad = client.post(
        reverse("dedup:settings"),
        {"review_threshold": "0.9", "likely_threshold": "0.5", "version": settings.version},
    )
    assert bad.status_code == 400 and "cannot be below" in bad.content.decode()
    assert (
        client.post(
            reverse("dedup:settings"),
            {"review_threshold": "abc", "likely_threshold": "2", "version": settings.version},
        ).status_code
        == 400
    )
    ok = client.post(
        reverse("dedup:settings"),
        {"review_threshold": "0.6", "likely_threshold": "0.9", "version": settings.version},
    )
    assert ok.status_code == 302
    assert DedupSettings.objects.get().review_threshold == 0.6
    stale = client.post(
        reverse("dedup:settings"),
        {"review_threshold": "0.7", "likely_threshold": "0.9", "version": settings.version},
    )
    assert stale.status_code == 409


def _form(name, mobile="13812345678", **extra):
    return {
        "kind": "person",
        "display_name": name,
        "grade": "normal",
        "status": "active",
        "lifecycle_stage": "prospect",
        "contact_points-TOTAL_FORMS": "1",
        "contact_points-INITIAL_FORMS": "0",
        "contact_points-0-kind": "mobile",
        "contact_points-0-value": mobile,
        "addresses-TOTAL_FORMS": "0",
        "addresses-INITIAL_FORMS": "0",
    } | extra


def test_customer_form_asks_to_confirm_a_likely_duplicate(client, two_teams, person):
    existing = person("刘洋", contact_points=[MOBILE])
    login(client, two_teams.rep_a)
    check = client.post(reverse("dedup:check"), _form("刘洋"))
    assert check.status_code == 200 and "刘洋" in check.content.decode()
    before = Customer.objects.count()
    refused = client.post(reverse("customers:create"), _form("刘洋"))
    assert refused.status_code == 400, refused.content.decode()[:500]
    body = refused.content.decode()
    assert "save anyway" in body.lower() and f"/customers/{existing['id']}/" in body
    assert Customer.objects.count() == before
    saved = client.post(reverse("customers:create"), _form("刘洋") | {"_save_anyway": "1"})
    assert saved.status_code == 302
    assert Customer.objects.count() == before + 1
    # A different person saves at once.
    assert (
        client.post(reverse("customers:create"), _form("张三", mobile="13900001111")).status_code
        == 302
    )


def test_customer_form_check_hides_another_teams_customer(client, two_teams, person):
    person("刘洋", user=two_teams.rep_b, contact_points=[MOBILE])
    login(client, two_teams.rep_a)
    body = client.post(reverse("dedup:check"), _form("刘洋")).content.decode()
    assert "another team" in body and "/customers/" not in body
    assert (
        client.post(reverse("dedup:check"), {"contact_points-TOTAL_FORMS": "x"}).status_code == 200
    )


def test_customer_form_announces_a_phone_made_unique_and_lets_the_service_refuse_it(
    client, two_teams, person
):
    """With phone numbers unique, the live check under the form names the holder as a refused
    save (though the names differ and the score is low), and saving shows the service's
    message, not "Save anyway"."""
    from guanxi.quality import services as quality

    person("王建国", contact_points=[MOBILE])
    row = quality.get_settings()
    quality.save_settings(actor=two_teams.admin, data={"unique_phone": True}, version=row.version)
    login(client, two_teams.rep_a)
    check = client.post(reverse("dedup:check"), _form("刘芳", mobile="138 1234 5678"))
    assert "王建国" in check.content.decode()
    assert "cannot be saved twice" in check.content.decode()
    saved = client.post(reverse("customers:create"), _form("刘芳", mobile="138 1234 5678"))
    assert saved.status_code == 400
    body = saved.content.decode()
    assert "already has this phone number" in body and "_save_anyway" not in body
    assert not Customer.objects.filter(display_name="刘芳").exists()


def test_editing_a_customer_does_not_ask_again_about_a_pair_dismissed_as_not_a_duplicate(
    client, two_teams, twins
):
    """Once someone decided two customers are different people, editing either one must not
    stop on "this customer probably exists already" for the other."""
    a, b = twins
    pair = DuplicatePair.objects.get()
    services.dismiss_pair(actor=two_teams.rep_a, pair=pair, version=pair.version)
    data = {"display_name": a.display_name, "contact_points": [MOBILE], "occupation": "医生"}
    matches = services.check_duplicates(actor=two_teams.rep_a, data=data, exclude_id=a.pk)
    assert not [m for m in matches if m["id"] == b.pk and m["likely"]]
    # A third customer with the same details is still a likely duplicate of both.
    fresh = services.check_duplicates(actor=two_teams.rep_a, data=data)
    assert {m["id"] for m in fresh if m["likely"]} == {a.pk, b.pk}


def test_customer_form_points_to_a_match_in_the_users_pool_and_hides_another_teams_pool(
    client, two_teams, person
):
    """A customer in the rep's own pool has no owner: the form says it is in the pool and
    links to it (claim it rather than add it twice); one in another team's pool stays hidden."""
    from guanxi.customers import services as customers

    pooled = customers.create_customer(
        actor=two_teams.admin,
        data={"display_name": "刘洋", "owner": None, "team": two_teams.team_a,
              "contact_points": [MOBILE]},
    )  # fmt: skip
    customers.create_customer(
        actor=two_teams.admin,
        data={"display_name": "王芳", "owner": None, "team": two_teams.team_b,
              "contact_points": [{"kind": "mobile", "value": "13900001111"}]},
    )  # fmt: skip
    login(client, two_teams.rep_a)
    body = client.post(reverse("dedup:check"), _form("刘洋")).content.decode()
    assert "public pool" in body and "another team" not in body
    assert reverse("pool:history", args=[pooled.pk]) in body
    hidden = client.post(reverse("dedup:check"), _form("王芳", mobile="13900001111"))
    body = hidden.content.decode()
    assert "another team" in body and "王芳" not in body.split("<ul")[1]
    assert "/pool/" not in body
