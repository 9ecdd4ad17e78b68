"""Logging in through the form, and switching the interface language."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from .conftest import PASSWORD, USERNAME, log_in

pytestmark = pytest.mark.browser

CJK = re.compile(r"[\u4e00-\u9fff]")


def test_wrong_password_says_nothing_about_whether_the_user_exists(
    new_page, ada, live_server
) -> None:
    wrong_password = new_page()
    log_in(wrong_password, "ada", "not her password")
    unknown_user = new_page()
    log_in(unknown_user, "nobody-here", "not her password")

    for page in (wrong_password, unknown_user):
        expect(page).to_have_url(re.compile(r"/login/"))
        expect(page.get_by_role("alert")).to_be_visible()
    message = wrong_password.get_by_role("alert").inner_text().strip()
    assert message
    assert message == unknown_user.get_by_role("alert").inner_text().strip()
    assert "ada" not in message and "nobody" not in message
    # The typed username stays; the password does not.
    expect(wrong_password.get_by_label(USERNAME)).to_have_value("ada")
    expect(wrong_password.get_by_label(PASSWORD)).to_have_value("")


def test_right_password_lands_on_home(page: Page, ada, live_server) -> None:
    log_in(page, "ada", "pw-ada")
    expect(page).to_have_url(live_server.url + "/")
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(page.locator("body")).to_contain_text("ada")


def test_anonymous_visitor_is_sent_to_login_and_back(page: Page, ada, live_server) -> None:
    page.goto("/?from=test")
    expect(page).to_have_url(re.compile(r"/login/\?next="))
    page.get_by_label(USERNAME).fill("ada")
    page.get_by_label(PASSWORD).fill("pw-ada")
    page.get_by_role("button", name=re.compile(r"^(Log in|登录)$")).click()
    expect(page).to_have_url(live_server.url + "/?from=test")


def _switch_language(page: Page, code: str) -> None:
    """Pick a language in the language switcher (a select labelled Language / 语言)."""
    switcher = page.get_by_label(re.compile(r"^(Language|语言)$"))
    switcher.select_option(code)
    form = page.locator("form", has=switcher)
    submit = form.get_by_role("button")
    if submit.count():  # a plain form; an htmx or scripted switcher submits on change
        submit.first.click()
    page.wait_for_load_state()


def _cjk(page: Page) -> int:
    return len(CJK.findall(page.locator("body").inner_text()))


def test_switch_language_changes_the_text_and_is_remembered(signed_in: Page) -> None:
    page = signed_in  # an en-US browser: the pages start in English
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_label("Language", exact=True)).to_be_visible()
    english, english_cjk = page.locator("body").inner_text(), _cjk(page)

    _switch_language(page, "zh-hans")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.get_by_label("语言", exact=True)).to_be_visible()
    chinese = page.locator("body").inner_text()
    assert chinese != english
    assert _cjk(page) > english_cjk + 10, chinese

    # Remembered: a new visit in the same browser, which still asks for English, is in Chinese.
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.get_by_label("语言", exact=True)).to_be_visible()
    assert page.locator("body").inner_text() == chinese

    _switch_language(page, "en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.reload()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert page.locator("body").inner_text() == english


def test_a_chinese_browser_gets_chinese_pages(new_page, ada) -> None:
    page = new_page(locale="zh-CN")
    page.goto("/login/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.get_by_label("用户名", exact=True)).to_be_visible()
