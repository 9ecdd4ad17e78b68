"""Password validators whose messages read in the user's language."""

from __future__ import annotations

from django.contrib.auth import password_validation
from django.utils.translation import ngettext


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's, with the message worded as its zh-hans catalogue has it: Django 5.2 changed
    the wording ("%d") and that catalogue kept the old one ("%(min_length)d"), so a Chinese
    page showed this one message in English."""

    def get_error_message(self) -> str:
        return ngettext(
            "This password is too short. It must contain at least %(min_length)d character.",
            "This password is too short. It must contain at least %(min_length)d characters.",
            self.min_length,
        ) % {"min_length": self.min_length}
