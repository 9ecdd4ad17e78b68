"""The customer workspace in a real browser: the flows of issue #3, end to end.

Selectors are by role and label (what a screen reader announces), not by CSS class, so a
test also fails when a field loses its label.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from .conftest import log_in

pytestmark = pytest.mark.browser


def labelled(page: Page | Locator, role: str, label: str) -> Locator:
    """The control whose label is `label` (any case; a required field's label may end in *)."""
    return page.get_by_role(role, name=re.compile(rf"^\s*{re.escape(label)}\s*\*?\s*$", re.I))


def contact_points(page: Page) -> Locator:
    """The contact-point rows of the customer form: the group offering the kind "mobile"."""
    return page.get_by_role("group").filter(
        has=page.get_by_role("option", name="mobile", exact=True)
    )


def customer(actor, name: str, mobile: str | None = None, **data):
    from guanxi.customers import services

    points = [{"kind": "mobile", "value": mobile}] if mobile else []
    return services.create_customer(
        actor=actor,
        data={"kind": "person", "display_name": name, "contact_points": points, **data},
    )


def rows(page: Page) -> Locator:
    """The customer rows of the list (each has its selection box; an empty-state row has not)."""
    table = page.get_by_role("table", name=re.compile(r"^(Customers|客户)$"))
    return table.get_by_role("row").filter(has=page.get_by_role("cell").get_by_role("checkbox"))


def search(page: Page, text: str) -> None:
    box = page.get_by_role("searchbox", name=re.compile(r"^(Search|搜索)$"))
    box.fill(text)
    box.press("Enter")
    page.wait_for_load_state()
    # Typing also schedules a search after a 400 ms pause; wait for it and for htmx to settle,
    # or a click could land on a row that is being replaced.
    page.wait_for_timeout(500)
    page.wait_for_function("() => !document.querySelector('.htmx-request')")


def below_and_close(error: Locator, field: Locator) -> None:
    """`error` is shown right by `field`: in the same column, just under or beside it."""
    e, f = error.bounding_box(), field.bounding_box()
    assert e and f, "both must be visible"
    overlap = min(e["x"] + e["width"], f["x"] + f["width"]) - max(e["x"], f["x"])
    beside = abs(e["y"] - f["y"]) < f["height"] and 0 <= e["x"] - (f["x"] + f["width"]) < 40
    under = overlap > 0 and 0 <= e["y"] - (f["y"] + f["height"]) < 40
    assert beside or under, f"error at {e}, field at {f}"


def test_bad_phone_shows_its_error_beside_it_and_keeps_what_was_typed(signed_in: Page, ada) -> None:
    page = signed_in
    page.goto("/customers/")
    page.get_by_role("link", name="New customer").first.click()
    expect(page).to_have_url(re.compile(r"/customers/new/"))

    labelled(page, "textbox", "name").fill("王小红")
    labelled(page, "textbox", "occupation").fill("教师")
    labelled(page, "textbox", "industry").fill("教育")
    labelled(page, "textbox", "region").fill("上海")
    labelled(page, "combobox", "grade").select_option(label="VIP")
    labelled(page, "textbox", "notes").fill("周末联系")
    points = contact_points(page)
    points.get_by_role("combobox").first.select_option("mobile")
    phone = labelled(points, "textbox", "value").first
    phone.fill("12345")
    page.get_by_role("button", name="Save").click()

    # Refused: still the form, the phone marked invalid with its message right by it.
    expect(page).to_have_url(re.compile(r"/customers/new/"))
    phone = labelled(contact_points(page), "textbox", "value").first
    expect(phone).to_have_attribute("aria-invalid", "true")
    error = page.get_by_text(re.compile(r"12345.*not a valid phone number"))
    expect(error).to_be_visible()
    below_and_close(error, phone)
    # Only the phone is in error.
    expect(page.locator("[aria-invalid=true]")).to_have_count(1)
    # Everything else typed is still there.
    expect(phone).to_have_value("12345")
    expect(labelled(page, "textbox", "name")).to_have_value("王小红")
    expect(labelled(page, "textbox", "occupation")).to_have_value("教师")
    expect(labelled(page, "textbox", "industry")).to_have_value("教育")
    expect(labelled(page, "textbox", "region")).to_have_value("上海")
    expect(labelled(page, "textbox", "notes")).to_have_value("周末联系")
    expect(labelled(page, "combobox", "grade")).to_have_value("vip")
    expect(contact_points(page).get_by_role("combobox").first).to_have_value("mobile")

    phone.fill("138 1234 5678")
    page.get_by_role("button", name="Save").click()

    expect(page).to_have_url(re.compile(r"/customers/\d+/$"))
    expect(page.get_by_role("heading", level=2)).to_contain_text("王小红")
    main = page.get_by_role("main")
    expect(main).to_contain_text("138 1234 5678")
    expect(main).to_contain_text("教师")
    from guanxi.customers.models import Customer

    saved = Customer.objects.get(display_name="王小红")
    assert (saved.industry, saved.region, saved.grade) == ("教育", "上海", "vip")
    assert list(saved.contact_points.values_list("normalized", flat=True)) == ["+8613812345678"]


def test_form_warns_of_a_duplicate_as_the_name_and_phone_are_typed(signed_in: Page, ada) -> None:
    """The check runs when a name or a contact value changes (new rows too), not on every
    field, and its trigger is one htmx understands (no htmx:syntax:error on the console)."""
    customer(ada, "王小明", "13800138000")
    page = signed_in
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    checks: list[str] = []
    page.on("request", lambda r: checks.append(r.url) if "/duplicates/check/" in r.url else None)
    page.goto("/customers/new/")
    labelled(page, "textbox", "notes").fill("周末联系")
    labelled(page, "textbox", "occupation").fill("教师")
    page.keyboard.press("Tab")
    page.wait_for_timeout(300)
    assert checks == []
    labelled(page, "textbox", "name").fill("王小明")
    page.get_by_role("button", name="Add a row").first.click()
    points = contact_points(page)
    points.get_by_role("combobox").last.select_option("mobile")
    labelled(points, "textbox", "value").last.fill("138 0013 8000")
    page.keyboard.press("Tab")
    warning = page.locator("#dedup-check")
    expect(warning).to_contain_text("王小明")
    expect(warning).to_contain_text("same phone number")
    assert console == []


def test_bad_phone_error_is_the_fields_accessible_description(signed_in: Page) -> None:
    page = signed_in
    page.goto("/customers/new/")
    labelled(page, "textbox", "name").fill("王小红")
    points = contact_points(page)
    points.get_by_role("combobox").first.select_option("mobile")
    labelled(points, "textbox", "value").first.fill("12345")
    page.get_by_role("button", name="Save").click()
    phone = labelled(contact_points(page), "textbox", "value").first
    expect(phone).to_have_accessible_description(re.compile(r"not a valid phone number"))


def test_interaction_logged_on_the_360_page_appears_in_its_timeline(signed_in: Page, ada) -> None:
    page = signed_in
    zhang = customer(ada, "张晓明", "13812345678")
    page.goto(f"/customers/{zhang.pk}/")
    page.get_by_role("tab", name="Log an interaction").click()
    panel = page.get_by_role("tabpanel")
    labelled(panel, "combobox", "channel").select_option(label="WeChat")
    labelled(panel, "combobox", "direction").select_option(label="inbound")
    labelled(panel, "textbox", "subject").fill("询问春节礼盒价格")
    labelled(panel, "textbox", "content").fill("客户想要十盒，下周回电")
    panel.get_by_role("button", name="Log the interaction").click()

    timeline = page.get_by_role("list").filter(has_text="Customer created")
    entry = timeline.get_by_role("listitem").filter(has_text="询问春节礼盒价格")
    expect(entry.first).to_be_visible()
    expect(entry.first).to_contain_text("WeChat")
    # The newest entry comes first, and it survives a reload (it was saved, not only drawn).
    page.reload()
    first = page.get_by_role("list").filter(has_text="Customer created").get_by_role("listitem")
    expect(first.first).to_contain_text("询问春节礼盒价格")
    from guanxi.interactions.models import Interaction

    logged = Interaction.objects.get(customer=zhang)
    assert (logged.channel, logged.direction, logged.subject) == (
        "wechat",
        "inbound",
        "询问春节礼盒价格",
    )


def test_interaction_without_subject_on_the_360_page_says_why_and_keeps_the_text(
    signed_in: Page, ada
) -> None:
    """The quick form answers a mistake with 400 and the form with its errors: the page must
    show them (htmx does not swap an error response unless told to), not seem to do nothing."""
    page = signed_in
    zhang = customer(ada, "张晓明", "13812345678")
    page.goto(f"/customers/{zhang.pk}/")
    panel = page.get_by_role("tabpanel")
    labelled(panel, "textbox", "content").fill("客户想要十盒，下周回电")
    panel.get_by_role("button", name="Log the interaction").click()

    subject = labelled(page.get_by_role("tabpanel"), "textbox", "subject")
    expect(subject).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("tabpanel")).to_contain_text("This field is required.")
    expect(labelled(page.get_by_role("tabpanel"), "textbox", "content")).to_have_value(
        "客户想要十盒，下周回电"
    )
    from guanxi.interactions.models import Interaction

    assert not Interaction.objects.filter(customer=zhang).exists()


def test_list_search_finds_by_pinyin_initials_and_by_phone_in_another_format(
    signed_in: Page, ada
) -> None:
    page = signed_in
    customer(ada, "张晓明", "13812345678")
    customer(ada, "李华", "13987654321")
    customer(ada, "王小红", "13700001111")
    page.goto("/customers/")
    expect(rows(page)).to_have_count(3)

    for query in ("zxm", "ZXM", "138 1234 5678", "+86 138-1234-5678", "zhangxiaoming"):
        search(page, query)
        expect(rows(page), f"search {query!r}").to_have_count(1)
        expect(rows(page).first.get_by_role("link", name="张晓明")).to_be_visible()
        # The query stays in the box, and in the address (a search can be bookmarked).
        expect(page.get_by_role("searchbox", name="Search")).to_have_value(query)

    search(page, "lh")
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first).to_contain_text("李华")

    search(page, "13900000000")
    expect(rows(page)).to_have_count(0)


def _edit_region(page: Page, region: str) -> None:
    labelled(page, "textbox", "region").fill(region)
    page.get_by_role("button", name="Save").click()


def test_edit_conflict_between_two_pages_and_reapply(new_page, ada, live_server) -> None:
    zhang = customer(ada, "张晓明", "13812345678", region="广州")
    first, second = new_page(), new_page()
    for page in (first, second):
        log_in(page, "ada", "pw-ada")
        page.goto(f"/customers/{zhang.pk}/edit/")
        expect(labelled(page, "textbox", "region")).to_have_value("广州")

    # Both opened the same version; the first save wins.
    _edit_region(first, "北京")
    expect(first).to_have_url(re.compile(rf"/customers/{zhang.pk}/$"))
    expect(first.get_by_role("main")).to_contain_text("北京")

    # The second is refused with the conflict page: both values side by side, nothing saved.
    _edit_region(second, "上海")
    expect(second.get_by_role("heading", name="Changed by someone else")).to_be_visible()
    expect(second.get_by_role("alert")).to_be_visible()
    region_row = second.get_by_role("row").filter(
        has=second.get_by_role("rowheader", name=re.compile("region", re.I))
    )
    expect(region_row).to_contain_text("上海")
    expect(region_row).to_contain_text("北京")
    zhang.refresh_from_db()
    assert zhang.region == "北京"

    # Re-apply: the second user's value goes on top of the current version.
    second.get_by_role("button", name="Apply my values to the current version").click()
    expect(second).to_have_url(re.compile(rf"/customers/{zhang.pk}/$"))
    expect(second.get_by_role("main")).to_contain_text("上海")
    zhang.refresh_from_db()
    assert zhang.region == "上海"

    # A fresh edit page starts from the re-applied value.
    first.goto(f"/customers/{zhang.pk}/edit/")
    expect(labelled(first, "textbox", "region")).to_have_value("上海")


def test_delete_then_restore_from_the_recycle_bin(signed_in: Page, ada) -> None:
    page = signed_in
    zhang = customer(ada, "张晓明", "13812345678")
    customer(ada, "李华", "13987654321")
    page.goto(f"/customers/{zhang.pk}/")
    page.get_by_role("link", name="Move to the recycle bin").click()
    page.get_by_role("button", name="Move to the recycle bin").click()
    page.wait_for_load_state()

    # Gone from the list and from search.
    page.goto("/customers/")
    expect(rows(page)).to_have_count(1)
    expect(page.get_by_role("link", name="张晓明")).to_have_count(0)
    search(page, "zxm")
    expect(rows(page)).to_have_count(0)
    # Its page answers 404 like any missing record.
    response = page.goto(f"/customers/{zhang.pk}/")
    assert response is not None and response.status == 404

    # In the recycle bin, restorable.
    page.goto("/customers/bin/")
    binned = page.get_by_role("row").filter(has_text="张晓明")
    expect(binned).to_have_count(1)
    binned.get_by_role("button", name="Restore").click()
    page.wait_for_load_state()
    expect(page.get_by_role("row").filter(has_text="张晓明")).to_have_count(0)

    # Back in the list and in search, and its page works again.
    page.goto("/customers/")
    expect(rows(page)).to_have_count(2)
    expect(page.get_by_role("link", name="张晓明")).to_be_visible()
    search(page, "zxm")
    expect(rows(page)).to_have_count(1)
    page.get_by_role("link", name="张晓明").click()
    expect(page).to_have_url(re.compile(rf"/customers/{zhang.pk}/$"))


def test_a_long_tag_does_not_make_the_360_page_wider_than_a_phone(new_page, ada) -> None:
    """A tag may have 50 characters without a space (a product code, an English compound);
    its badge wraps instead of pushing the whole page sideways."""
    page = new_page(locale="zh-CN", viewport={"width": 390, "height": 844})
    log_in(page, "ada", "pw-ada")
    zhang = customer(ada, "张晓明", "13812345678", tags=["Q" * 50, "重点"])
    page.goto(f"/customers/{zhang.pk}/")
    expect(page.get_by_text("Q" * 50, exact=True)).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width
