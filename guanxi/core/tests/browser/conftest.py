"""Browser tests: Playwright (Python) driving the system's Chromium against a live server.

Each test gets a live server (pytest-django's `live_server`, a thread of this process) on a
transactional test database: every pytest-xdist worker has its own database file and its own
server on a free port, so the tests run in parallel with the rest of the suite (`make test`).
The database is flushed after each test, migration data included, so each test first puts back
the default roles that a data migration creates.

Chromium is the distribution's (`apt-get install chromium`), never a downloaded one; set
CHROMIUM_PATH to use another binary. Without it the tests are skipped, except under CI=true
where they fail: continuous integration must not pass by skipping them.

Every page also checks two things for free: it loads nothing from outside the server (the app
must work on an intranet), and it raises no JavaScript error.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Playwright

CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 800}
TIMEOUT_MS = 15_000

USERNAME = re.compile(r"^(Username|用户名)$")
PASSWORD = re.compile(r"^(Password|密码)$")
LOG_IN = re.compile(r"^(Log in|登录)$")


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def _unavailable(reason: str) -> None:
    if _in_ci():
        pytest.fail(
            f"{reason}. CI=true: the browser tests must run, not be skipped.", pytrace=False
        )
    pytest.skip(reason)


@pytest.fixture(scope="module")
def playwright_session() -> Iterator[Playwright]:
    """Playwright for one test module at a time: while it runs, an asyncio loop is running in
    this thread, which Django's ORM refuses unless DJANGO_ALLOW_ASYNC_UNSAFE is set; both end
    with the module, so no other test (nor a subprocess it starts) inherits either."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright is not installed (pip install -r requirements-dev.txt)")
    if not os.access(CHROMIUM_PATH, os.X_OK):
        _unavailable(
            f"no Chromium at {CHROMIUM_PATH} (apt-get install chromium, or set CHROMIUM_PATH)"
        )
    # Playwright's sync API keeps an asyncio loop in this thread; the test code's ORM calls are
    # still synchronous, so Django's guard against calling it from async code does not apply.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            yield playwright
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="module")
def browser(playwright_session: Playwright) -> Iterator[Browser]:
    browser = playwright_session.chromium.launch(
        executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS, headless=True
    )
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def live_server(request: pytest.FixtureRequest) -> Iterator[object]:
    """pytest-django's live server, serving plain HTTP.

    The server builds its middleware once, when it starts, before the suite's per-test settings
    (conftest.py) apply; without this the security middleware would redirect to https://.
    """
    from django.test import override_settings
    from pytest_django.live_server_helper import LiveServer

    plain_http = override_settings(
        SECURE_SSL_REDIRECT=False,
        SECURE_HSTS_SECONDS=0,
        SESSION_COOKIE_SECURE=False,
        CSRF_COOKIE_SECURE=False,
    )
    plain_http.enable()
    addr = (
        request.config.getvalue("liveserver")
        or os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS")
        or "localhost"
    )
    server = LiveServer(addr)
    try:
        yield server
    finally:
        server.stop()
        plain_http.disable()


def _restore_default_roles() -> None:
    """What migration accounts.0002 creates, lost when a transactional test flushes the tables.

    (pytest-django's serialized rollback would do it, but its snapshot is missing when another
    transactional test ran first in the same process.)"""
    from importlib import import_module

    from django.apps import apps

    import_module("guanxi.accounts.migrations.0002_default_roles").add_roles(apps, None)


@pytest.fixture
def new_page(browser: Browser, live_server, transactional_db) -> Iterator[Callable[..., Page]]:
    """Make a page in a fresh browser context (its own cookies): new_page(locale="en-US")."""
    _restore_default_roles()
    contexts = []
    problems: list[str] = []
    origin = live_server.url

    def guard(route) -> None:
        url = route.request.url
        if url.startswith(origin + "/") or url == origin:
            route.continue_()
        else:
            problems.append(f"request outside the server: {url}")
            route.abort()

    def make(locale: str = "en-US", viewport: dict | None = None, touch: bool = False) -> Page:
        """touch=True: a phone's browser (touch events, mobile viewport rules)."""
        context = browser.new_context(
            base_url=origin,
            locale=locale,
            timezone_id="Asia/Shanghai",
            viewport=viewport or DESKTOP,
            has_touch=touch,
            is_mobile=touch,
        )
        context.set_default_timeout(TIMEOUT_MS)
        context.route("**/*", guard)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: problems.append(f"JavaScript error: {error}"))
        return page

    yield make
    for context in contexts:
        context.close()
    assert not problems, "\n".join(problems)


@pytest.fixture
def page(new_page) -> Page:
    """A page in English, not logged in."""
    return new_page()


def log_in(page: Page, username: str, password: str) -> None:
    """Log in through the real login form."""
    page.goto("/login/")
    page.get_by_label(USERNAME).fill(username)
    page.get_by_label(PASSWORD).fill(password)
    page.get_by_role("button", name=LOG_IN).click()
    page.wait_for_load_state()


@pytest.fixture
def ada(make_user):
    """An administrator (sees every customer); her password is "pw-ada"."""
    return make_user("ada", "admin", is_staff=True)


@pytest.fixture
def signed_in(page: Page, ada, live_server) -> Page:
    """A page on which ada has logged in through the login form and landed on home."""
    from playwright.sync_api import expect

    log_in(page, "ada", "pw-ada")
    expect(page).to_have_url(live_server.url + "/")
    return page
