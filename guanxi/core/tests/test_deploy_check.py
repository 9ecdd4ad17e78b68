"""A production configuration passes Django's deployment checklist, and the plain-HTTP
configuration of `make run` (HTTPS=false) still serves and logs in."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from guanxi.accounts.models import User

MANAGE = Path(settings.BASE_DIR) / "manage.py"


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(MANAGE), *args],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        # DJANGO_ALLOW_ASYNC_UNSAFE is set by the browser tests' harness, never in deployment.
        if k not in {"HTTPS", "DEBUG", "SECRET_KEY", "HUEY_IMMEDIATE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
        and not k.startswith("PYTEST_")
    }
    env["GUANXI_VAR_DIR"] = str(tmp_path)  # keep any secret_key file out of the project
    env.update(overrides)
    return env


def test_deploy_check_passes_in_production(tmp_path: Path) -> None:
    env = _env(tmp_path, DEBUG="false", SECRET_KEY=secrets.token_urlsafe(64))
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr


def test_plain_http_settings_pass_the_ordinary_checks(tmp_path: Path) -> None:
    # What `make run` sets: no SECRET_KEY (a random one is kept under the var dir), HTTPS=false.
    env = _env(tmp_path, DEBUG="false", HTTPS="false")
    result = _manage("check", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0  # readable by the owner only


def test_https_false_turns_off_every_https_only_setting(tmp_path: Path) -> None:
    env = _env(tmp_path, DEBUG="false", HTTPS="false", DJANGO_SETTINGS_MODULE="config.settings")
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.SECURE_HSTS_SECONDS)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False", "False", "0"]


@pytest.mark.django_db
def test_plain_http_serves_and_logs_in(client: Client) -> None:
    # The suite's settings are those of HTTPS=false (see conftest.py): no redirect to https://.
    User.objects.create_user(username="carol", password="a long and private passphrase")
    assert client.get(reverse("login")).status_code == 200
    response = client.post(
        reverse("login"), {"username": "carol", "password": "a long and private passphrase"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert not response.cookies[settings.SESSION_COOKIE_NAME]["secure"]


def test_redis_url_moves_the_job_queue_to_redis():
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.HUEY['huey_class'])"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    default = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert default.stdout.strip() == "huey.SqliteHuey", default.stderr
    env["REDIS_URL"] = "redis://127.0.0.1:6379/0"
    redis = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert redis.stdout.strip() == "huey.RedisHuey", redis.stderr
