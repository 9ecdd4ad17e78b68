"""What an app's own catalogue says is what its users read.

Django looks a message up in the project's catalogue (LOCALE_PATHS) first and then in the apps'
catalogues in the order of INSTALLED_APPS, so an app's translation of a short, generic msgid
("title", "by", "from", "new") is silently replaced by another module's translation of the same
English word: a survey's title read 职务 (a contact's job title), a ticket's status "new" read
新客户. An app whose word means something else gives it a context (pgettext); an app whose
word means the same takes the translation already in use.
"""

from __future__ import annotations

from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext, pgettext

# Apps checked so far (add an app here once its catalogue agrees).
APPS = ["tickets", "surveys", "care", "portal", "pool"]


@pytest.mark.parametrize("app", APPS)
def test_every_translation_of_the_app_is_the_one_shown(app):
    path = Path(settings.BASE_DIR) / "guanxi" / app / "locale" / "zh_Hans" / "LC_MESSAGES"
    po = polib.pofile(str(path / "django.po"))
    wrong = []
    with translation.override("zh-hans"):
        for entry in po:
            if entry.obsolete or entry.msgid_plural or not entry.msgstr:
                continue
            context, msgid = entry.msgctxt, entry.msgid
            shown = pgettext(context, msgid) if context else gettext(msgid)
            if shown != entry.msgstr:
                where = ", ".join(f"{f}:{n}" for f, n in entry.occurrences[:2])
                wrong.append(f"{entry.msgid!r} ({where}): {entry.msgstr!r} but {shown!r} shown")
    assert not wrong, "\n".join(wrong)
