"""Test settings shared by the whole suite: jobs run in-process, HTTP without TLS redirects."""

import pytest


@pytest.fixture(autouse=True)
def _test_settings(settings):
    from huey.contrib.djhuey import HUEY

    HUEY.immediate = True
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.SECURE_HSTS_SECONDS = 0
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def make_team(db):
    from guanxi.accounts.models import Team

    def make(name: str, parent=None):
        team = Team.objects.create(name=name, parent=parent)
        team.path = f"{parent.path if parent else '/'}{team.pk}/"
        team.save(update_fields=["path"])
        return team

    return make


@pytest.fixture
def make_user(db):
    from guanxi.accounts.models import Role, User

    def make(username: str, role: str = "sales", team=None, **extra):
        return User.objects.create_user(
            username=username,
            password="pw-" + username,
            role=Role.objects.get(code=role),
            team=team,
            **extra,
        )

    return make


@pytest.fixture
def api():
    """An API client signed in as the given user (or anonymous)."""
    from rest_framework.test import APIClient

    def client(user=None):
        c = APIClient()
        if user is not None:
            c.force_authenticate(user=user)
        return c

    return client


@pytest.fixture
def two_teams(make_team, make_user):
    """Sales rep A in team A, sales rep B in team B, their manager above both, an admin."""
    head = make_team("Sales")
    a = make_team("Team A", parent=head)
    b = make_team("Team B", parent=head)

    class World:
        pass

    w = World()
    w.head, w.team_a, w.team_b = head, a, b
    w.rep_a = make_user("rep_a", "sales", a)
    w.rep_b = make_user("rep_b", "sales", b)
    w.manager_a = make_user("manager_a", "manager", a)
    w.head_manager = make_user("head_manager", "manager", head)
    w.analyst = make_user("analyst", "analyst", head)
    w.admin = make_user("boss", "admin", head)
    return w


@pytest.fixture
def team_tree(two_teams, make_team, make_user):
    """two_teams one level deeper: team A1 below team A (Sales > Team A > Team A1), with its
    sales rep. A filter on a team means that team and every team below it."""
    w = two_teams
    w.team_a1 = make_team("Team A1", parent=w.team_a)
    w.rep_a1 = make_user("rep_a1", "sales", w.team_a1)
    return w


@pytest.fixture
def smtp_server():
    """A real SMTP server (aiosmtpd) on localhost on a free port, with Django's SMTP backend
    pointed at it; yields the list of received messages (email.message.Message objects)."""
    import email
    import email.policy
    import socket

    from aiosmtpd.controller import Controller
    from django.test import override_settings

    class Inbox:
        def __init__(self):
            self.messages = []

        async def handle_DATA(self, server, session, envelope):
            message = email.message_from_bytes(envelope.content, policy=email.policy.default)
            message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
            self.messages.append(message)
            return "250 Message accepted for delivery"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=port,
            EMAIL_HOST_USER="",
            EMAIL_HOST_PASSWORD="",
            EMAIL_USE_TLS=False,
            EMAIL_USE_SSL=False,
            EMAIL_TIMEOUT=10,
        ):
            yield inbox.messages
    finally:
        controller.stop()
