"""The duplicate API: the check before saving, the scan, the queue, merge and undo, with two
users for every permission rule and bad inputs answered with 4xx and messages."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from guanxi.audit.models import AuditEvent
from guanxi.customers.models import Address, ContactPoint, Customer, CustomerShare, Note
from guanxi.dedup import services
from guanxi.dedup.models import DuplicatePair, Merge, PairStatus
from guanxi.followups.models import Task
from guanxi.interactions.models import Interaction
from guanxi.jobs import services as jobs
from guanxi.jobs.models import Job, JobStatus
from guanxi.sales.models import Order

pytestmark = pytest.mark.django_db

CHECK = "/api/v1/customers/check-duplicates/"
MOBILE = {"kind": "mobile", "value": "138 1234 5678"}


# --- check before saving ------------------------------------------------------------------


def test_check_finds_a_visible_match_with_id_name_score_and_reasons(two_teams, api, person):
    made = person("张伟", contact_points=[MOBILE], birthday="1990-03-04")
    response = api(two_teams.rep_a).post(
        CHECK,
        {
            "display_name": "张伟",
            "contact_points": [{"kind": "mobile", "value": "+86 13812345678"}],
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["likely"] is True
    [match] = body["results"]
    assert match["id"] == made["id"] and match["display_name"] == "张伟"
    assert match["visible"] is True and match["score"] > 0.9
    assert "same_phone" in [r["code"] for r in match["reasons"]]


def test_check_reports_an_invisible_match_without_id_name_or_contacts(two_teams, api, person):
    person("李四", user=two_teams.rep_b, contact_points=[MOBILE], birthday="1985-01-02")
    response = api(two_teams.rep_a).post(
        CHECK, {"display_name": "李四", "contact_points": [MOBILE]}, format="json"
    )
    assert response.status_code == 200
    [match] = response.json()["results"]
    assert match["visible"] is False
    assert match["id"] is None and match["display_name"] is None
    assert "another team" in match["message"]
    text = repr(match)
    assert "李四" not in text and "1381234" not in text and "5678" not in text
    assert match["reasons"] and match["score"] > 0.5


def test_check_reports_what_a_unique_phone_or_email_would_refuse_whatever_the_score(
    two_teams, api, person
):
    """A shared phone under another name scores low (a family, a switchboard), so the check
    left it out; yet with phone numbers made unique the create is refused. The check says so
    beforehand, to each user as they may see the holder."""
    from guanxi.quality import services as quality

    held = person("王建国", contact_points=[MOBILE])
    person("赵敏", user=two_teams.rep_b, contact_points=[{"kind": "email", "value": "zm@x.cn"}])
    body = {
        "display_name": "刘芳",
        "contact_points": [
            {"kind": "mobile", "value": "+86-138-1234-5678"},
            {"kind": "email", "value": " ZM@X.cn "},
        ],
    }
    response = api(two_teams.rep_a).post(CHECK, body, format="json")
    assert response.status_code == 200 and response.json()["results"] == []
    row = quality.get_settings()
    quality.save_settings(
        actor=two_teams.admin,
        data={"unique_phone": True, "unique_email": True},
        version=row.version,
    )
    results = api(two_teams.rep_a).post(CHECK, body, format="json").json()["results"]
    assert [r["refused"] for r in results] == [True, True]
    seen = next(r for r in results if r["visible"])
    hidden = next(r for r in results if not r["visible"])
    assert seen["id"] == held["id"] and "same_phone" in [r["code"] for r in seen["reasons"]]
    assert hidden["id"] is None and hidden["display_name"] is None
    assert "赵敏" not in repr(hidden) and "zm@x.cn" not in repr(hidden).lower()
    created = api(two_teams.rep_a).post("/api/v1/customers/", body, format="json")
    assert created.status_code == 400  # what the check announced


def test_check_finds_an_organisation_written_with_region_and_legal_form_elsewhere(
    two_teams, api, person
):
    made = person("北京字节跳动科技有限公司", kind="organisation")
    client = api(two_teams.rep_a)
    for name in ("字节跳动科技（北京）有限公司", "字节跳动"):
        response = client.post(CHECK, {"kind": "organisation", "display_name": name}, format="json")
        assert response.status_code == 200, response.json()
        [match] = response.json()["results"]
        assert match["id"] == made["id"]
        assert "same_name_key" in [r["code"] for r in match["reasons"]]


def test_names_kept_in_full_width_are_compared_width_folded(
    two_teams, api, person, django_capture_on_commit_callbacks
):
    """Names are stored as written (full-width letters and brackets kept): the check and the
    scan still compare them width-folded, so the same name typed either way is a duplicate."""
    stored = person("ＪＯＨＮ ＳＭＩＴＨ", birthday="1991-05-06")
    other = person("John Smith", birthday="1991-05-06")
    client = api(two_teams.rep_a)
    for name in ("ＪＯＨＮ ＳＭＩＴＨ", "john smith"):
        body = {"display_name": name, "birthday": "1991-05-06"}
        results = client.post(CHECK, body, format="json").json()["results"]
        scores = {m["id"]: m["score"] for m in results}
        assert scores.get(stored["id"], 0) > 0.9 and scores.get(other["id"], 0) > 0.9
    with django_capture_on_commit_callbacks(execute=True):
        assert api(two_teams.admin).post("/api/v1/duplicates/scan/").status_code == 202
    pair = DuplicatePair.objects.get(customer_a_id=stored["id"], customer_b_id=other["id"])
    assert pair.score > 0.9


def test_check_excludes_the_customer_being_edited(two_teams, api, person):
    made = person("王芳", contact_points=[MOBILE])
    body = {"id": made["id"], "display_name": "王芳", "contact_points": [MOBILE]}
    response = api(two_teams.rep_a).post(CHECK, body, format="json")
    assert response.status_code == 200 and response.json()["results"] == []


def test_check_bad_inputs(two_teams, api, person):
    other = person("赵六", user=two_teams.rep_b)
    client = api(two_teams.rep_a)
    assert client.post(CHECK, [1, 2], format="json").status_code == 400
    bad_id = client.post(CHECK, {"id": other["id"], "display_name": "x"}, format="json")
    assert bad_id.status_code == 400 and "id" in bad_id.json()
    assert client.post(CHECK, {"id": "abc"}, format="json").status_code == 400
    unknown = client.post(CHECK, {"display_name": "x", "nonsense": 1}, format="json")
    assert unknown.status_code == 400 and "nonsense" in unknown.json()
    bad_type = client.post(CHECK, {"birthday": "not a date"}, format="json")
    assert bad_type.status_code == 400 and "birthday" in bad_type.json()
    # A half-typed phone is not an error in a check: it is simply not matched.
    typing = client.post(
        CHECK,
        {"display_name": "x", "contact_points": [{"kind": "mobile", "value": "138"}]},
        format="json",
    )
    assert typing.status_code == 200
    # As many contact points as a customer may have, not thousands (a 500 before).
    many = [{"kind": "mobile", "value": f"138{i:08d}"} for i in range(2000)]
    flood = client.post(CHECK, {"display_name": "x", "contact_points": many}, format="json")
    assert flood.status_code == 400 and "contact_points" in flood.json()
    addresses = [{"city": "北京"}] * 2000
    flood = client.post(CHECK, {"display_name": "x", "addresses": addresses}, format="json")
    assert flood.status_code == 400 and "addresses" in flood.json()
    assert api().post(CHECK, {"display_name": "x"}, format="json").status_code in (401, 403)


# --- scan and queue -------------------------------------------------------------------------


def _twins(person, user, name="刘洋", **extra):
    a = person(name, user=user, contact_points=[MOBILE], birthday="1991-05-06", **extra)
    b = person(name, user=user, contact_points=[MOBILE], birthday="1991-05-06", **extra)
    return a, b


def test_scan_job_stores_pairs_in_canonical_order_and_the_queue_is_per_user(
    two_teams, api, person, django_capture_on_commit_callbacks
):
    a1, a2 = _twins(person, two_teams.rep_a)
    b1, b2 = (
        person("陈静", user=two_teams.rep_b, birthday="1979-02-03", credit_code="")
        for _ in range(2)
    )
    # A match across the two reps: seen by neither rep, only by whoever sees both.
    person("刘洋", user=two_teams.rep_b, contact_points=[MOBILE], birthday="1991-05-06")
    with django_capture_on_commit_callbacks(execute=True):
        response = api(two_teams.admin).post("/api/v1/duplicates/scan/")
    assert response.status_code == 202
    job = Job.objects.get(pk=response.json()["id"])
    assert job.status == JobStatus.SUCCEEDED and job.result["pairs"] >= 2
    pair = DuplicatePair.objects.get(customer_a_id=a1["id"], customer_b_id=a2["id"])
    assert pair.customer_a_id < pair.customer_b_id and pair.status == PairStatus.OPEN

    def seen(user):
        listed = api(user).get("/api/v1/duplicates/").json()["results"]
        return {(p["customer_a"]["id"], p["customer_b"]["id"]) for p in listed}

    assert seen(two_teams.rep_a) == {(a1["id"], a2["id"])}
    assert seen(two_teams.rep_b) == {(b1["id"], b2["id"])}
    admin_pairs = seen(two_teams.admin)
    assert {(a1["id"], a2["id"]), (b1["id"], b2["id"])} <= admin_pairs and len(admin_pairs) > 2
    listed = api(two_teams.rep_a).get("/api/v1/duplicates/").json()["results"][0]
    assert listed["score"] > 0.9 and listed["reasons"][0]["text"]
    # rep_b cannot read rep_a's pair at all.
    assert api(two_teams.rep_b).get(f"/api/v1/duplicates/{pair.pk}/").status_code == 404


def test_who_may_start_the_scan(two_teams, api):
    assert api(two_teams.rep_a).post("/api/v1/duplicates/scan/").status_code == 403
    assert api(two_teams.analyst).post("/api/v1/duplicates/scan/").status_code == 403
    assert api(two_teams.manager_a).post("/api/v1/duplicates/scan/").status_code == 202
    Job.objects.filter(kind="dedup.scan").update(status=JobStatus.SUCCEEDED)
    assert api(two_teams.admin).post("/api/v1/duplicates/scan/").status_code == 202


def test_a_second_scan_is_refused_while_one_is_under_way(two_teams, api, client):
    """Whoever started it: the manager's queued scan makes the admin's click a message, on the
    page and in the API; a finished one, or one stuck for hours, does not."""
    url = "/api/v1/duplicates/scan/"
    assert api(two_teams.manager_a).post(url).status_code == 202
    refused = api(two_teams.admin).post(url, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 400
    assert "already under way" in refused.json()["non_field_errors"][0]
    client.force_login(two_teams.admin)
    page = client.post(reverse("dedup:scan"), follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "already under way" in page.content.decode()
    assert Job.objects.filter(kind="dedup.scan").count() == 1
    Job.objects.filter(kind="dedup.scan").update(status=JobStatus.RUNNING)
    assert api(two_teams.admin).post(url).status_code == 400
    stuck = timezone.now() - jobs.STALE_AFTER - dt.timedelta(minutes=1)
    Job.objects.filter(kind="dedup.scan").update(created_at=stuck)
    assert api(two_teams.admin).post(url).status_code == 202
    Job.objects.filter(kind="dedup.scan").update(status=JobStatus.FAILED)
    assert api(two_teams.manager_a).post(url).status_code == 202


def test_dismissed_pairs_stay_dismissed_and_a_rescan_updates_scores(two_teams, api, person):
    _twins(person, two_teams.rep_a)
    services.scan()
    pair = DuplicatePair.objects.get()
    DuplicatePair.objects.filter(pk=pair.pk).update(score=0.51)
    services.scan()
    pair.refresh_from_db()
    assert pair.score > 0.9  # the rescan updated it
    url = f"/api/v1/duplicates/{pair.pk}/dismiss/"
    assert (
        api(two_teams.rep_b).post(url, {"version": pair.version}, format="json").status_code == 404
    )
    assert api(two_teams.rep_a).post(url, {}, format="json").status_code == 400
    stale = api(two_teams.rep_a).post(url, {"version": pair.version + 5}, format="json")
    assert stale.status_code == 409
    done = api(two_teams.rep_a).post(url, {"version": pair.version}, format="json")
    assert done.status_code == 200 and done.json()["status"] == "dismissed"
    services.scan()
    pair.refresh_from_db()
    assert pair.status == PairStatus.DISMISSED
    assert api(two_teams.rep_a).get("/api/v1/duplicates/").json()["results"] == []
    dismissed = api(two_teams.rep_a).get("/api/v1/duplicates/?status=dismissed").json()
    assert [p["id"] for p in dismissed["results"]] == [pair.pk]
    again = api(two_teams.rep_a).post(url, {"version": pair.version}, format="json")
    assert again.status_code == 400


def test_open_pairs_that_no_longer_match_are_dropped_by_the_next_scan(two_teams, api, person):
    _a1, a2 = _twins(person, two_teams.rep_a)
    services.scan()
    assert DuplicatePair.objects.count() == 1
    c = Customer.objects.get(pk=a2["id"])
    api(two_teams.rep_a).patch(
        f"/api/v1/customers/{c.pk}/",
        {
            "display_name": "Someone Else",
            "contact_points": [],
            "birthday": None,
            "version": c.version,
        },
        format="json",
    )
    services.scan()
    assert DuplicatePair.objects.count() == 0


def test_queue_list_query_count(two_teams, api, person, django_assert_max_num_queries):
    names = [
        "Ada Lovelace",
        "Grace Hopper",
        "Alan Turing",
        "Edsger Dijkstra",
        "Barbara Liskov",
        "Donald Knuth",
    ]
    for i, name in enumerate(names):
        birthday = f"19{50 + i * 7}-0{i + 1}-1{i}"
        person(
            name,
            birthday=birthday,
            contact_points=[{"kind": "email", "value": f"t{i}@x.cn"}],
        )
        person(
            name,
            birthday=birthday,
            contact_points=[{"kind": "email", "value": f"t{i}@x.cn"}],
        )
    services.scan()
    client = api(two_teams.rep_a)
    with django_assert_max_num_queries(8):
        response = client.get("/api/v1/duplicates/")
    assert len(response.json()["results"]) == 6


# --- merge and undo -----------------------------------------------------------------------


@pytest.fixture
def merge_world(two_teams, api, person):
    w = two_teams
    client = api(w.rep_a)
    s = person(
        "王小明",
        contact_points=[{"kind": "mobile", "value": "13812345678"}],
        addresses=[{"city": "北京", "street": "中关村大街1号", "postcode": "100080"}],
        tags=["VIP客户"],
        grade="vip",
    )
    lo = person(
        "王晓明",
        legal_name="王晓明",
        aliases=["小王"],
        contact_points=[
            {"kind": "mobile", "value": "13812345678"},
            {"kind": "email", "value": "wxm@example.cn"},
        ],
        addresses=[{"city": "上海", "street": "南京路2号", "postcode": "200001"}],
        tags=["VIP客户", "茶叶"],
        occupation="工程师",
        birthday="1988-08-08",
    )
    w.survivor, w.loser = Customer.objects.get(pk=s["id"]), Customer.objects.get(pk=lo["id"])
    r = client.post(
        "/api/v1/interactions/",
        {"customer": lo["id"], "channel": "phone", "subject": "hi"},
        format="json",
    )
    assert r.status_code == 201, r.json()
    r = client.post("/api/v1/notes/", {"customer": lo["id"], "body": "喜欢喝茶"}, format="json")
    assert r.status_code == 201, r.json()
    w.task = Task.objects.create(
        customer=w.loser,
        title="Call",
        assignee=w.rep_a,
        created_by=w.rep_a,
        due_at=timezone.now() + dt.timedelta(days=1),
    )
    admin = api(w.admin)
    product = admin.post(
        "/api/v1/products/", {"sku": "TEA", "name": "茶", "unit_price": "10.00"}, format="json"
    ).json()
    r = client.post(
        "/api/v1/orders/",
        {
            "customer": lo["id"],
            "lines": [{"product": product["id"], "quantity": "3"}],
            "ordered_at": "2026-01-05T10:00:00+08:00",
        },
        format="json",
    )
    assert r.status_code == 201, r.json()
    # Shares: rep_b on both (clashes, stays with the loser), manager_a only on the loser (moves).
    CustomerShare.objects.create(customer=w.survivor, user=w.rep_b)
    CustomerShare.objects.create(customer=w.loser, user=w.rep_b)
    CustomerShare.objects.create(customer=w.loser, user=w.head_manager)
    services.scan()
    w.survivor.refresh_from_db()
    w.loser.refresh_from_db()
    return w


def _merge(client, w, **extra):
    body = {
        "survivor": w.survivor.pk,
        "loser": w.loser.pk,
        "survivor_version": w.survivor.version,
        "loser_version": w.loser.version,
        "choices": {"occupation": "loser", "birthday": "loser"},
    } | extra
    return client.post("/api/v1/customers/merge/", body, format="json")


def test_merge_and_undo_round_trip(merge_world, api):
    w = merge_world
    s, lo = w.survivor, w.loser
    survivor_version = s.version
    same_mobile = ContactPoint.objects.get(customer=lo, kind="mobile")
    before_rows = {
        "points": set(
            ContactPoint.objects.filter(customer=lo, kind="email").values_list("pk", flat=True)
        ),
        "addresses": set(Address.objects.filter(customer=lo).values_list("pk", flat=True)),
        "interactions": set(Interaction.objects.filter(customer=lo).values_list("pk", flat=True)),
        "orders": set(Order.objects.filter(customer=lo).values_list("pk", flat=True)),
        "notes": set(Note.objects.filter(customer=lo).values_list("pk", flat=True)),
    }
    survivor_points = set(ContactPoint.objects.filter(customer=s).values_list("pk", flat=True))
    assert all(before_rows.values())
    response = _merge(api(w.rep_a), w)
    assert response.status_code == 201, response.json()
    merge = Merge.objects.get(pk=response.json()["id"])
    s.refresh_from_db()
    lo.refresh_from_db()
    # Field choices, aliases, recycle bin.
    assert s.occupation == "工程师" and s.birthday == dt.date(1988, 8, 8) and s.grade == "vip"
    assert s.display_name == "王小明" and {"王晓明", "小王"} <= set(s.aliases)
    assert lo.deleted_at is not None
    assert s.version == survivor_version + 1
    # Every relation moved.
    for model, ids in (
        (ContactPoint, before_rows["points"]),
        (Address, before_rows["addresses"]),
        (Interaction, before_rows["interactions"]),
        (Order, before_rows["orders"]),
        (Note, before_rows["notes"]),
    ):
        assert set(model.objects.filter(pk__in=ids).values_list("customer_id", flat=True)) == {s.pk}
    assert Task.objects.get(pk=w.task.pk).customer_id == s.pk
    assert CustomerShare.objects.get(customer=s, user=w.head_manager)
    assert CustomerShare.objects.filter(customer=lo, user=w.rep_b).exists()  # clash stays
    # The same mobile number is not given to the survivor twice.
    assert ContactPoint.objects.get(pk=same_mobile.pk).customer_id == lo.pk
    assert ContactPoint.objects.filter(customer=s, kind="mobile").count() == 1
    assert set(s.tags.values_list("name", flat=True)) == {"VIP客户", "茶叶"}
    # The survivor's own mobile stays primary.
    assert ContactPoint.objects.get(pk=min(survivor_points)).is_primary
    # Aggregates recomputed.
    assert s.order_count == 1 and s.total_spent == 30 and s.interaction_count == 1
    # Search keys include the new aliases: the loser's name finds the survivor.
    assert "王晓明" in s.search_text
    # The pair is marked merged; the loser cannot be restored on its own.
    assert DuplicatePair.objects.get(customer_a=s, customer_b=lo).status == PairStatus.MERGED
    restore = api(w.rep_a).post(f"/api/v1/customers/{lo.pk}/restore/", {}, format="json")
    assert restore.status_code == 400 and "undo the merge" in str(restore.json())
    # Audit on both.
    survivor_event = AuditEvent.objects.filter(customer_id=s.pk).first()
    assert survivor_event.changes["merged_from"] == [None, lo.pk]
    assert survivor_event.changes["fields_from_merged"][1] == {
        "occupation": "loser",
        "birthday": "loser",
    }
    assert survivor_event.changes["moved"][1]["sales.order.customer"] == 1
    assert survivor_event.changes["left_with_merged"][1]["customers.contactpoint.customer"] == 1
    loser_event = AuditEvent.objects.filter(customer_id=lo.pk).first()
    assert loser_event.action == "delete" and loser_event.changes["merged_into"] == [None, s.pk]
    assert survivor_event.actor == w.rep_a and survivor_event.source

    detail = api(w.rep_a).get(f"/api/v1/customers/merge/{merge.pk}/")
    assert detail.status_code == 200 and detail.json()["moved"]["sales.order.customer"] == 1

    undo = api(w.rep_a).post(f"/api/v1/customers/merge/{merge.pk}/undo/")
    assert undo.status_code == 200, undo.json()
    s.refresh_from_db()
    lo.refresh_from_db()
    assert lo.deleted_at is None
    assert s.occupation == "" and s.birthday is None and s.aliases == []
    assert "王晓明" not in s.search_text
    for model, ids in (
        (ContactPoint, before_rows["points"]),
        (Address, before_rows["addresses"]),
        (Interaction, before_rows["interactions"]),
        (Order, before_rows["orders"]),
        (Note, before_rows["notes"]),
    ):
        assert set(model.objects.filter(pk__in=ids).values_list("customer_id", flat=True)) == {
            lo.pk
        }
    assert (
        set(ContactPoint.objects.filter(customer=s).values_list("pk", flat=True)) == survivor_points
    )
    assert Task.objects.get(pk=w.task.pk).customer_id == lo.pk
    assert CustomerShare.objects.filter(customer=lo, user=w.head_manager).exists()
    assert set(s.tags.values_list("name", flat=True)) == {"VIP客户"}
    assert s.order_count == 0 and lo.order_count == 1 and lo.interaction_count == 1
    assert DuplicatePair.objects.get(customer_a=s, customer_b=lo).status == PairStatus.OPEN
    assert AuditEvent.objects.filter(customer_id=lo.pk).first().action == "restore"
    assert "merge_undone" in AuditEvent.objects.filter(customer_id=s.pk).first().changes
    again = api(w.rep_a).post(f"/api/v1/customers/merge/{merge.pk}/undo/")
    assert again.status_code == 400


def test_undo_is_refused_when_the_survivor_changed_a_merged_field(merge_world, api):
    w = merge_world
    merge_id = _merge(api(w.rep_a), w).json()["id"]
    s = Customer.objects.get(pk=w.survivor.pk)
    changed = api(w.rep_a).patch(
        f"/api/v1/customers/{s.pk}/", {"occupation": "经理", "version": s.version}, format="json"
    )
    assert changed.status_code == 200
    refused = api(w.rep_a).post(f"/api/v1/customers/merge/{merge_id}/undo/")
    assert refused.status_code == 409 and "changed since the merge" in refused.json()["detail"]
    assert Customer.objects.get(pk=w.loser.pk).deleted_at is not None


def test_undo_keeps_unrelated_changes(merge_world, api):
    w = merge_world
    merge_id = _merge(api(w.rep_a), w).json()["id"]
    s = Customer.objects.get(pk=w.survivor.pk)
    api(w.rep_a).patch(
        f"/api/v1/customers/{s.pk}/", {"industry": "茶", "version": s.version}, format="json"
    )
    assert api(w.rep_a).post(f"/api/v1/customers/merge/{merge_id}/undo/").status_code == 200
    assert Customer.objects.get(pk=s.pk).industry == "茶"


def test_stale_versions_are_refused_with_409(merge_world, api):
    w = merge_world
    response = _merge(api(w.rep_a), w, loser_version=w.loser.version + 1)
    assert response.status_code == 409
    assert Customer.objects.get(pk=w.loser.pk).deleted_at is None
    assert _merge(api(w.rep_a), w, survivor_version=w.survivor.version - 1 or 99).status_code == 409


def test_merge_permissions_two_users(merge_world, api, person):
    w = merge_world
    # rep_b sees both through plain shares but may not change them.
    assert _merge(api(w.rep_b), w).status_code == 403
    # The analyst sees both but may not change customers.
    assert _merge(api(w.analyst), w).status_code == 403
    # rep_b may see both through shares but may not change them.
    CustomerShare.objects.create(
        customer=w.survivor, user=w.rep_b, can_edit=False
    ) if False else None
    shared = _merge(api(w.rep_b), w)
    assert shared.status_code in (400, 403)
    # A customer of another rep cannot be merged into one's own.
    other = person("王小明", user=w.rep_b, contact_points=[MOBILE])
    response = _merge(api(w.rep_a), w, loser=other["id"], loser_version=other["version"])
    assert response.status_code == 400 and "loser" in response.json()
    assert _merge(api(w.manager_a), w).status_code == 201


def test_merge_permission_share_without_edit_right(merge_world, api):
    w = merge_world
    # rep_b already has plain (view) shares on both customers.
    response = _merge(api(w.rep_b), w)
    assert response.status_code == 403
    CustomerShare.objects.filter(user=w.rep_b).update(can_edit=True)
    assert _merge(api(w.rep_b), w).status_code == 201


def test_merge_bad_inputs(merge_world, api):
    w = merge_world
    client = api(w.rep_a)
    itself = _merge(client, w, loser=w.survivor.pk, loser_version=w.survivor.version)
    assert itself.status_code == 400 and "loser" in itself.json()
    unknown = _merge(client, w, loser=999999, loser_version=1)
    assert unknown.status_code == 400 and "loser" in unknown.json()
    bad_choice = _merge(client, w, choices={"occupation": "both"})
    assert bad_choice.status_code == 400 and "choices" in bad_choice.json()
    bad_field = _merge(client, w, choices={"version": "loser"})
    assert bad_field.status_code == 400 and "choices.version" in bad_field.json()
    missing = client.post("/api/v1/customers/merge/", {"survivor": w.survivor.pk}, format="json")
    assert missing.status_code == 400 and {"loser", "survivor_version", "loser_version"} <= set(
        missing.json()
    )
    assert (
        client.post(
            "/api/v1/customers/merge/", {"survivor": "x", "loser": -1}, format="json"
        ).status_code
        == 400
    )
    assert client.post("/api/v1/customers/merge/999999/undo/").status_code == 404
    assert client.get("/api/v1/customers/merge/999999/").status_code == 404
    # A deleted customer cannot be merged.
    Customer.objects.filter(pk=w.loser.pk).update(deleted_at=timezone.now())
    deleted = _merge(client, w)
    assert deleted.status_code == 400 and "loser" in deleted.json()


def test_the_kept_records_own_names_stay_as_aliases_when_the_merged_ones_win(
    two_teams, api, person
):
    """Choosing the merged record's name keeps the kept record's former name (and short name)
    as aliases: no name is lost, and a search by it still finds the customer."""
    kept = person("张伟", short_name="伟哥")
    gone = person("张威", short_name="小张")
    client = api(two_teams.rep_a)
    body = {
        "survivor": kept["id"],
        "loser": gone["id"],
        "survivor_version": kept["version"],
        "loser_version": gone["version"],
        "choices": {"display_name": "loser", "short_name": "loser"},
    }
    done = client.post("/api/v1/customers/merge/", body, format="json")
    assert done.status_code == 201, done.json()
    merged = Customer.objects.get(pk=kept["id"])
    assert (merged.display_name, merged.short_name) == ("张威", "小张")
    assert {"张伟", "伟哥"} <= set(merged.aliases)
    assert "张威" not in merged.aliases and "小张" not in merged.aliases
    found = client.get("/api/v1/customers/", {"q": "张伟"}).json()["results"]
    assert kept["id"] in [c["id"] for c in found]
    # Undone, the aliases are what they were.
    assert client.post(f"/api/v1/customers/merge/{done.json()['id']}/undo/").status_code == 200
    assert Customer.objects.get(pk=kept["id"]).aliases == []


def test_a_merged_name_that_differs_only_in_width_is_not_an_alias(two_teams, api, person):
    """The aliases hold each name once whatever its width or case (as the customer services
    keep them): merging a name with half-width brackets into the same one with full-width
    brackets adds no alias."""
    kept = person("字节跳动科技（北京）有限公司", kind="organisation")
    gone = person("字节跳动科技(北京)有限公司", kind="organisation", short_name="字节")
    body = {
        "survivor": kept["id"],
        "loser": gone["id"],
        "survivor_version": kept["version"],
        "loser_version": gone["version"],
        "choices": {},
    }
    done = api(two_teams.rep_a).post("/api/v1/customers/merge/", body, format="json")
    assert done.status_code == 201, done.json()
    assert Customer.objects.get(pk=kept["id"]).aliases == ["字节"]


def test_merging_people_of_different_kinds_needs_a_choice(two_teams, api, person):
    a = person("字节跳动")
    b = person("字节跳动", kind="organisation", legal_name="北京字节跳动科技有限公司")
    body = {
        "survivor": a["id"],
        "loser": b["id"],
        "survivor_version": a["version"],
        "loser_version": b["version"],
    }
    client = api(two_teams.rep_a)
    refused = client.post("/api/v1/customers/merge/", body, format="json")
    assert refused.status_code == 400 and "choices.kind" in refused.json()
    done = client.post(
        "/api/v1/customers/merge/",
        body | {"choices": {"kind": "loser", "legal_name": "loser"}},
        format="json",
    )
    assert done.status_code == 201, done.json()
    assert Customer.objects.get(pk=a["id"]).kind == "organisation"


def test_merge_of_someone_elses_undo_is_404(merge_world, api):
    w = merge_world
    merge_id = _merge(api(w.rep_a), w).json()["id"]
    assert api(w.rep_b).post(f"/api/v1/customers/merge/{merge_id}/undo/").status_code in (403, 404)


def test_merges_move_rows_of_apps_added_later_generically():
    """Every reverse foreign key to Customer is found (tickets, opportunities… added by other
    apps move without code here); one-to-one rows and dedup's own tables do not."""
    labels = {f"{m._meta.label_lower}.{f.name}" for m, f in services._reverse_relations()}
    assert {
        "customers.contactpoint.customer",
        "customers.address.customer",
        "customers.contact.organisation",
        "customers.customershare.customer",
        "customers.note.customer",
        "customers.customer.referred_by",
        "interactions.interaction.customer",
        "sales.order.customer",
        "followups.task.customer",
    } <= labels
    assert not any(label.startswith("dedup.") for label in labels)
    assert "analytics.customerscore.customer" not in labels


def test_reasons_come_in_the_users_language(two_teams, api, person):
    person("张伟", contact_points=[MOBILE])
    response = api(two_teams.rep_a).post(
        CHECK,
        {"display_name": "张伟", "contact_points": [MOBILE]},
        format="json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    texts = [r["text"] for r in response.json()["results"][0]["reasons"]]
    assert "电话号码相同" in texts


def test_merge_rescores_the_survivor_with_the_orders_it_received(
    merge_world, api, django_capture_on_commit_callbacks
):
    """The loser's order moves to the survivor: its value scores follow, once committed."""
    from guanxi.analytics.models import CustomerScore

    w = merge_world
    with django_capture_on_commit_callbacks(execute=True):
        assert _merge(api(w.rep_a), w).status_code == 201
    score = CustomerScore.objects.get(customer=w.survivor)
    assert score.frequency == 1


def test_the_scan_reports_its_progress_to_the_end(two_teams, person):
    _twins(person, two_teams.rep_a)

    class Progress:
        total, seen = 0, []

        def set_total(self, total):
            self.total = total

        def advance_to(self, done, *, force=False):
            self.seen.append(done)

    progress = Progress()
    result = services.scan(progress=progress)
    assert result["pairs"] >= 1
    assert progress.seen == sorted(progress.seen) and progress.seen[-1] == progress.total > 0
