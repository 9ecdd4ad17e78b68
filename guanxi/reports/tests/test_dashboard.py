"""Dashboard figures on hand-computed data, per user, live and from the summary table."""

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from guanxi.analytics.models import CustomerScore
from guanxi.customers.models import Customer
from guanxi.reports import services
from guanxi.reports.charts import Filters
from guanxi.reports.export import safe_cell, to_csv
from guanxi.reports.selectors import dashboard
from guanxi.sales.models import Order

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def at(year, month, day=15):
    return timezone.make_aware(dt.datetime(year, month, day, 12))


@pytest.fixture
def world(two_teams):
    w = two_teams
    rows = [
        # name, owner, team, status, stage, tier, region, created, first/last purchase, clv
        ("a1", w.rep_a, w.team_a, "active", "new", "high", "上海", at(2025, 1), at(2025, 1), 150),
        (
            "a2",
            w.rep_a,
            w.team_a,
            "churned",
            "churned",
            "low",
            "上海",
            at(2025, 1),
            at(2025, 2),
            50,
        ),
        ("a3", w.rep_a, w.team_a, "dormant", "repeat", "", "北京", at(2025, 2), None, None),
        ("b1", w.rep_b, w.team_b, "active", "loyal", "mid", "广州", at(2025, 2), at(2025, 2), 700),
    ]
    w.c = {}
    for name, owner, team, status, stage, tier, region, created, first, clv in rows:
        c = Customer.objects.create(
            display_name=name,
            owner=owner,
            team=team,
            status=status,
            lifecycle_stage=stage,
            value_tier=tier,
            region=region,
            first_purchase_at=first,
            last_purchase_at=first,
        )
        Customer.objects.filter(pk=c.pk).update(created_at=created)
        if clv is not None:
            CustomerScore.objects.create(customer=c, clv=Decimal(clv))
        w.c[name] = c
    n = 0

    def order(name, when, total, status="paid"):
        nonlocal n
        n += 1
        Order.objects.create(
            customer=w.c[name],
            number=f"O{n}",
            status=status,
            ordered_at=when,
            total=total,
            total_base=total,
        )

    order("a1", at(2025, 1), 100)
    order("a1", at(2025, 2), 40)
    order("a1", at(2025, 3), 10)
    order("a1", at(2025, 3, 20), 5, status="cancelled")
    order("a2", at(2025, 1, 20), 30)
    order("a2", at(2025, 2), 20)
    order("b1", at(2025, 2), 700)
    Customer.objects.filter(pk=w.c["a2"].pk).update(
        first_purchase_at=at(2025, 1, 20), last_purchase_at=at(2025, 2)
    )
    w.period = Filters(date_from=dt.date(2025, 1, 1), date_to=dt.date(2025, 3, 31))
    return w


def charts(user, filters):
    with translation.override("en"):
        return {c["key"]: c for c in dashboard(user=user, filters=filters)["charts"]}


def pairs(chart, series=0):
    return dict(zip(chart["categories"], chart["series"][series]["data"], strict=True))


def check_rep_a(data):
    assert pairs(data["by_status"]) == {"active": 1, "dormant": 1, "churned": 1}
    assert pairs(data["by_stage"]) == {"new": 1, "repeat": 1, "churned": 1}
    assert pairs(data["by_tier"]) == {"high": 1, "low": 1, "not set": 1}
    assert pairs(data["by_region"]) == {"上海": 2, "北京": 1}
    assert data["new_vs_churned"]["categories"] == ["2025-01", "2025-02", "2025-03"]
    assert pairs(data["new_vs_churned"]) == {"2025-01": 2, "2025-02": 1, "2025-03": 0}
    assert pairs(data["new_vs_churned"], 1) == {"2025-01": 0, "2025-02": 1, "2025-03": 0}
    assert pairs(data["revenue"]) == {"2025-01": 130, "2025-02": 60, "2025-03": 10}
    assert pairs(data["revenue"], 1) == {"2025-01": 2, "2025-02": 2, "2025-03": 1}
    clv = pairs(data["clv"])
    assert clv["100-500"] == 1 and clv["0-100"] == 1 and sum(clv.values()) == 2
    # Cohort 2025-01: a1 and a2 (2 customers); both bought again in February (+1: 100 %),
    # only a1 in March (+2: 50 %).
    cohorts = data["cohorts"]
    assert cohorts["y_categories"] == ["2025-01"]
    assert cohorts["table"]["rows"][0][:4] == ["2025-01", 2, 100.0, 50.0]
    assert cohorts["table"]["rows"][0][4] is None  # April is after the period


def test_rep_sees_only_their_customers(world):
    check_rep_a(charts(world.rep_a, world.period))
    b = charts(world.rep_b, world.period)
    assert pairs(b["by_status"]) == {"active": 1}
    assert pairs(b["revenue"]) == {"2025-01": 0, "2025-02": 700, "2025-03": 0}


def test_manager_sees_their_team_and_admin_everything(world):
    check_rep_a(charts(world.manager_a, world.period))
    admin = charts(world.admin, world.period)
    assert pairs(admin["by_status"]) == {"active": 2, "dormant": 1, "churned": 1}
    assert pairs(admin["revenue"])["2025-02"] == 760


def test_summary_table_gives_the_same_numbers(world):
    live = charts(world.admin, world.period)
    services.refresh_dashboard_summary()
    summary = charts(world.admin, world.period)
    for key in live:
        assert live[key]["series"] == summary[key]["series"], key
    # With the team filter the summary adds up only that team's cells.
    team_a = Filters(
        team=world.team_a, date_from=world.period.date_from, date_to=world.period.date_to
    )
    check_rep_a(charts(world.admin, team_a))
    # Scoped users never read the summary.
    check_rep_a(charts(world.rep_a, world.period))
    assert dashboard(user=world.admin, filters=world.period)["as_of"] is not None


def test_a_role_that_sees_all_customers_but_no_orders_gets_no_revenue(world):
    """The summary holds every order: read from it, an "all customers" role without the orders
    permission got the revenue and cohorts that its live figures (order_list) leave out."""
    role = world.analyst.role
    role.permissions = {k: v for k, v in role.permissions.items() if k != "orders"}
    role.save()
    services.refresh_dashboard_summary()
    data = charts(world.analyst, world.period)
    assert sum(data["revenue"]["series"][0]["data"]) == 0
    assert data["cohorts"]["table"]["rows"] == []
    assert pairs(data["by_status"]) == {"active": 2, "dormant": 1, "churned": 1}


def test_click_through_links(world):
    data = charts(world.rep_a, Filters(team=world.team_a))
    status = data["by_status"]
    link = status["links"][status["categories"].index("dormant")]
    assert link == f"/customers/?team={world.team_a.pk}&status=dormant"
    region = data["by_region"]
    assert region["links"][0].endswith("region=%E4%B8%8A%E6%B5%B7")
    churned = charts(world.rep_a, world.period)["new_vs_churned"]["point_links"][1]
    assert churned[1].endswith(
        "status=churned&last_purchase_from=2025-02-01&last_purchase_to=2025-02-28"
    )


def _names(client, link):
    return sorted(r["customer"].display_name for r in client.get(link).context["rows"])


@pytest.mark.parametrize("who", ["rep_a", "admin"])
def test_each_point_of_a_monthly_or_lifetime_value_chart_opens_exactly_its_customers(
    world, client, who
):
    """Clicking February's churned customers opened every churned customer (the month was
    not in the link), and New and the lifetime value bars opened nothing: each point now opens
    the list of exactly the customers it counted."""
    user = getattr(world, who)
    data = charts(user, world.period)
    client.force_login(user)
    chart = data["new_vs_churned"]
    for series, expected in ((0, {"2025-01": ["a1", "a2"], "2025-02": ["a3"]}),):
        for month, link in zip(chart["categories"], chart["point_links"][series], strict=True):
            names = _names(client, link)
            if who == "rep_a":
                assert names == expected.get(month, []), (series, month)
            assert len(names) == pairs(chart, series)[month], (series, month)
    feb = chart["point_links"][1][chart["categories"].index("2025-02")]
    assert _names(client, feb) == ["a2"]
    assert _names(client, chart["point_links"][1][0]) == []  # January: nobody churned
    clv = data["clv"]
    for bucket, link in zip(clv["categories"], clv["links"], strict=True):
        assert len(_names(client, link)) == pairs(clv)[bucket], bucket
    assert _names(client, clv["links"][clv["categories"].index("100-500")]) == ["a1"]
    # The list gate holds: another rep following the same link sees none of rep A's customers.
    client.force_login(world.rep_b)
    assert _names(client, chart["point_links"][0][0]) == []
    assert _names(client, clv["links"][0]) == []


def test_the_lifetime_value_and_date_filters_of_the_customer_list(world, client):
    client.force_login(world.admin)
    url = reverse("customers:list")
    assert _names(client, f"{url}?clv_from=100&clv_below=1000") == ["a1", "b1"]
    assert _names(client, f"{url}?clv_below=100") == ["a2"]
    assert _names(client, f"{url}?created_from=2025-02-01") == ["a3", "b1"]
    assert _names(client, f"{url}?created_to=2025-01-31") == ["a1", "a2"]
    assert _names(client, f"{url}?last_purchase_from=2025-02-01&last_purchase_to=2025-02-28") == [
        "a2",
        "b1",
    ]
    # A bad value is reported and left out, never a 500.
    resp = client.get(url, {"created_from": "2025-13-01", "clv_from": "abc"})
    assert resp.status_code == 200
    assert len(resp.context["rows"]) == 4


def test_api_dashboard_and_bad_input(world, api):
    resp = api(world.rep_b).get(reverse("api-dashboard"), {"date_from": "2025-01-01"})
    assert resp.status_code == 200
    keys = [c["key"] for c in resp.json()["charts"]]
    assert keys[:4] == ["by_status", "by_stage", "by_tier", "by_region"]
    bad = api(world.rep_b).get(
        reverse("api-dashboard"), {"date_from": "2025-05-01", "date_to": "2025-01-01"}
    )
    assert bad.status_code == 400 and "date_to" in bad.json()
    assert api(world.rep_b).get(reverse("api-dashboard"), {"team": "x"}).status_code == 400


def test_web_dashboard(world, client, django_assert_max_num_queries):
    client.force_login(world.rep_a)
    with django_assert_max_num_queries(20):
        resp = client.get(reverse("reports:dashboard"), **EN)
    body = resp.content.decode()
    assert resp.status_code == 200
    assert "vendor/echarts/echarts.min.js" in body
    assert "Customers by status" in body and "dashboard-data" in body
    # (as a word: a random CSRF token may well contain the letters "b1")
    assert not re.search(r"(?<![A-Za-z0-9])b1(?![A-Za-z0-9])", body) and "广州" not in body
    assert client.get(reverse("reports:dashboard"), {"date_from": "bad"}).status_code == 400


def test_echarts_only_on_chart_pages(world, client):
    client.force_login(world.rep_a)
    assert "echarts" not in client.get(reverse("customers:list")).content.decode()


def test_export_csv_and_xlsx(world, client):
    from openpyxl import load_workbook

    Customer.objects.filter(pk=world.c["a1"].pk).update(region="=HYPERLINK(1)")
    client.force_login(world.manager_a)
    csv = client.get(reverse("reports:export"), {"format": "csv"}).content.decode("utf-8-sig")
    assert "'=HYPERLINK(1)" in csv and ",=HYPERLINK" not in csv
    assert "广州" not in csv  # team B's region
    xlsx = client.get(reverse("reports:export"), {"format": "xlsx"})
    book = load_workbook(io.BytesIO(xlsx.content))
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row]
    region = next(c for c in cells if c.value == "=HYPERLINK(1)")
    assert region.data_type == "s" and region.quotePrefix  # text, never run
    assert all(c.data_type != "f" for c in cells)
    assert client.get(reverse("reports:export"), {"format": "pdf"}).status_code == 400
    client.force_login(world.rep_b)  # sales may view analytics but not export
    assert client.get(reverse("reports:export")).status_code == 403


@pytest.mark.parametrize(
    "value,expected",
    [
        ("=1+1", "'=1+1"),
        ("+86 138", "'+86 138"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("plain", "plain"),
        (-5, -5),
        (3.5, 3.5),
        (None, ""),
    ],
)
def test_safe_cell(value, expected):
    assert safe_cell(value) == expected


def test_csv_has_every_table():
    out = to_csv([{"title": "T", "table": {"columns": ["a"], "rows": [["=x"]]}}]).decode()
    assert out.splitlines()[1:] == ["a", "'=x"]


def test_without_the_analytics_permission_there_is_no_dashboard(world, client, api):
    role = world.rep_a.role
    role.permissions = {k: v for k, v in role.permissions.items() if k != "analytics"}
    role.save()
    client.force_login(world.rep_a)
    assert client.get(reverse("reports:dashboard")).status_code == 403
    assert api(world.rep_a).get(reverse("api-dashboard")).status_code == 403
    assert api(None).get(reverse("api-dashboard")).status_code in (401, 403)


@pytest.mark.parametrize(
    "params,field",
    [
        ({"date_from": "9999-12-01"}, "date_from"),  # starts after today: no month at all
        ({"date_to": "0001-01-01"}, "date_to"),  # the default start falls before year 1
        ({"date_from": "0001-01-01", "date_to": "0001-12-31"}, "date_from"),
        ({"date_from": "1990-01-01"}, "date_from"),  # up to today: more than ten years
    ],
)
def test_a_period_that_cannot_be_drawn_is_refused(world, api, client, params, field):
    """Only one end given, the period still runs to today or from a year before the end: it is
    checked as a whole (before, every chart failed and the page showed "No charts", a bad
    request page, or twenty years from 1990 instead of the years up to today)."""
    resp = api(world.rep_a).get(reverse("api-dashboard"), params, **EN)
    assert resp.status_code == 400 and field in resp.json(), resp.content
    client.force_login(world.rep_a)
    page = client.get(reverse("reports:dashboard"), params, **EN)
    assert page.status_code == 400 and "Customers by status" in page.content.decode()
    export = client.get(reverse("reports:export"), {**params, "format": "csv"}, **EN)
    assert export.status_code in (400, 403)


def test_an_open_ended_period_of_the_last_years_is_drawn(world, api):
    start = timezone.localdate().replace(day=1) - dt.timedelta(days=365 * 3)
    resp = api(world.rep_a).get(reverse("api-dashboard"), {"date_from": start.isoformat()})
    assert resp.status_code == 200
    months = resp.json()["months"]
    assert months[0] == start.strftime("%Y-%m")
    assert months[-1] == timezone.localdate().strftime("%Y-%m")


def test_an_exported_report_says_which_team_and_period_it_covers(world, client):
    """The file held the figures only: a manager's export for one team and one quarter could
    not be told from another's once downloaded and passed on."""
    from openpyxl import load_workbook

    client.force_login(world.manager_a)
    params = {"team": world.team_a.pk, "date_from": "2025-01-01", "date_to": "2025-03-31"}
    csv = client.get(reverse("reports:export"), {**params, "format": "csv"}, **EN)
    head = csv.content.decode("utf-8-sig").splitlines()[:4]
    assert head[0] == f"Team,{world.team_a.name}"
    assert head[1] == "Period,2025-01-01 – 2025-03-31"
    xlsx = client.get(reverse("reports:export"), {**params, "format": "xlsx"}, **EN)
    book = load_workbook(io.BytesIO(xlsx.content))
    about = [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]
    assert about[:2] == [["Team", world.team_a.name], ["Period", "2025-01-01 – 2025-03-31"]]
    # No filter: every team the user sees, and the twelve months the charts draw.
    csv = client.get(reverse("reports:export"), {"format": "csv"}, **EN).content
    first = csv.decode("utf-8-sig").splitlines()[0]
    assert first == "Team,All teams I can see"


def test_a_refused_export_says_why_in_readable_text(world, client):
    client.force_login(world.manager_a)
    with translation.override("zh-hans"):
        resp = client.get(
            reverse("reports:export"), {"format": "pdf"}, HTTP_ACCEPT_LANGUAGE="zh-hans"
        )
    assert resp.status_code == 400
    assert resp["Content-Type"] == "text/plain; charset=utf-8"
    assert "CSV" in resp.content.decode("utf-8")
    bad = client.get(reverse("reports:export"), {"format": "csv", "date_from": "x"}, **EN)
    assert bad.status_code == 400 and bad["Content-Type"] == "text/plain; charset=utf-8"
    assert bad.content.decode().startswith("From: ")  # the field's label, not its name


# --- a team filter means the team and every team below it -----------------------------------


@pytest.fixture
def tree(team_tree, world):
    """The world with team A1 below team A and one active customer there (Sales > A > A1)."""
    w = world
    assert w is team_tree
    w.c["a4"] = Customer.objects.create(
        display_name="a4", owner=w.rep_a1, team=w.team_a1, status="active", region="杭州"
    )
    Customer.objects.filter(pk=w.c["a4"].pk).update(created_at=at(2025, 3))
    return w


def in_period(world, team):
    return Filters(team=team, date_from=world.period.date_from, date_to=world.period.date_to)


ALL_STATUS = {"active": 3, "dormant": 1, "churned": 1}  # a1, b1, a4; a3; a2
A_STATUS = {"active": 2, "dormant": 1, "churned": 1}  # a1, a4; a3; a2


def test_a_parent_team_filter_counts_the_teams_below_it_live(tree):
    head = charts(tree.head_manager, in_period(tree, tree.head))
    assert pairs(head["by_status"]) == ALL_STATUS
    assert pairs(head["revenue"])["2025-02"] == 760  # team A's 60 and team B's 700
    assert pairs(head["new_vs_churned"])["2025-03"] == 1  # a4, in team A1
    team_a = charts(tree.head_manager, in_period(tree, tree.team_a))
    assert pairs(team_a["by_status"]) == A_STATUS
    leaf = charts(tree.head_manager, in_period(tree, tree.team_b))
    assert pairs(leaf["by_status"]) == {"active": 1}


def test_a_parent_team_filter_adds_up_the_summary_cells_below_it(tree):
    services.refresh_dashboard_summary()
    assert dashboard(user=tree.admin, filters=tree.period)["as_of"] is not None
    live = charts(tree.head_manager, in_period(tree, tree.head))
    summary = charts(tree.admin, in_period(tree, tree.head))
    for key in live:
        assert live[key]["series"] == summary[key]["series"], key
    assert pairs(summary["by_status"]) == ALL_STATUS
    team_a = charts(tree.admin, in_period(tree, tree.team_a))
    assert pairs(team_a["by_status"]) == A_STATUS
    assert pairs(team_a["revenue"]) == {"2025-01": 130, "2025-02": 60, "2025-03": 10}
    leaf = charts(tree.admin, in_period(tree, tree.team_a1))
    assert pairs(leaf["by_status"]) == {"active": 1}


@pytest.mark.parametrize("summary", [False, True])
def test_a_chart_opens_the_customers_it_counted(tree, client, summary):
    if summary:
        services.refresh_dashboard_summary()
    data = charts(tree.admin, in_period(tree, tree.team_a))
    status = data["by_status"]
    index = status["categories"].index("active")
    link = status["links"][index]
    assert link == f"/customers/?team={tree.team_a.pk}&status=active"
    client.force_login(tree.admin)
    rows = client.get(link).context["rows"]
    assert sorted(r["customer"].display_name for r in rows) == ["a1", "a4"]
    assert len(rows) == status["series"][0]["data"][index]


def test_a_parent_team_filter_never_shows_a_sibling_teams_customers(tree, client):
    """Manager A may see teams A and A1, not team B: filtering on their parent team (Sales)
    narrows what they see to Sales' teams they may see, and team B's customers stay hidden."""
    data = charts(tree.manager_a, in_period(tree, tree.head))
    assert pairs(data["by_status"]) == A_STATUS
    assert "广州" not in pairs(data["by_region"])  # b1's region
    assert pairs(data["revenue"])["2025-02"] == 60
    client.force_login(tree.manager_a)
    rows = client.get(reverse("customers:list"), {"team": tree.head.pk}).context["rows"]
    assert sorted(r["customer"].display_name for r in rows) == ["a1", "a2", "a3", "a4"]
    # The head manager, who may see team B, does get b1 with the same filter.
    client.force_login(tree.head_manager)
    rows = client.get(reverse("customers:list"), {"team": tree.head.pk}).context["rows"]
    assert "b1" in {r["customer"].display_name for r in rows}


def test_a_chart_with_nothing_to_draw_says_so_instead_of_blank_axes(two_teams, client):
    """A fresh base (no customers, no orders): every chart drew empty axes or a grey ring."""
    client.force_login(two_teams.admin)
    resp = client.get(reverse("reports:dashboard"), **EN)
    body = resp.content.decode()
    assert resp.status_code == 200
    charts_drawn = body.count('class="gx-chart"')
    empty = body.count("No data to show yet.")
    assert charts_drawn == 0 and empty == len(resp.context["charts"]) > 0


def test_money_in_the_dashboard_tables_is_shown_as_money_with_its_currency(world, client):
    client.force_login(world.rep_b)
    body = client.get(reverse("reports:dashboard"), {"date_from": "2025-01-01"}, **EN)
    revenue = next(c for c in body.context["charts"] if c["key"] == "revenue")
    assert revenue["table"]["columns"] == ["Month", "Revenue (CNY)", "Orders"]
    assert "<td>700.00</td>" in body.content.decode()
    clv = next(c for c in body.context["charts"] if c["key"] == "clv")
    assert clv["table"]["columns"][0] == "Lifetime value (CNY)"
    assert body.content.decode().count('class="gx-chart"') > 0  # b1's charts are drawn


def test_a_month_without_a_figure_is_a_dash_in_the_data_table_not_none(world, client):
    client.force_login(world.rep_a)
    period = {"date_from": "2025-01-01", "date_to": "2025-03-31"}
    resp = client.get(reverse("reports:dashboard"), period, **EN)
    cohorts = next(c for c in resp.context["charts"] if c["key"] == "cohorts")
    assert None in cohorts["table"]["rows"][0]  # months that have not come yet
    assert "<td>None</td>" not in resp.content.decode()


def test_the_dashboard_api_gives_its_as_of_in_the_local_time_zone_like_every_other_date(world, api):
    """`as_of` came out in UTC ("…Z") while every other date of the API is local (+08:00)."""
    services.refresh_dashboard_summary()
    data = api(world.admin).get(reverse("api-dashboard")).json()
    as_of = dt.datetime.fromisoformat(data["as_of"])
    assert as_of.utcoffset() == dt.timedelta(hours=8)
    assert not data["as_of"].endswith("Z")
