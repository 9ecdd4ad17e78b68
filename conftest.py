"""Test settings shared by the whole suite: jobs run in-process, HTTP without TLS redirects."""

import os

os.environ.setdefault("HUEY_IMMEDIATE", "true")
os.environ.setdefault("HTTPS", "false")
os.environ.setdefault("DEBUG", "false")

import pytest


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
