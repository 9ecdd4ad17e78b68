"""Give new catalogues the project's header (makemessages writes a fuzzy template header, which
`msgattrib --clear-fuzzy --empty` would blank). Used by `make messages`; needs only polib."""

from __future__ import annotations

import sys
from pathlib import Path

import polib

PLURAL_FORMS = {"zh_Hans": "nplurals=1; plural=0;", "en": "nplurals=2; plural=(n != 1);"}
NAMES = {"zh_Hans": "Simplified Chinese", "en": "English"}


def fix(path: Path) -> None:
    po = polib.pofile(str(path))
    language = path.parent.parent.name
    if po.metadata.get("Language") == language and "fuzzy" not in po.metadata_is_fuzzy:
        return
    app = path.parents[3].name
    po.header = (
        f"{NAMES.get(language, language)} catalogue of Guanxi (关系), app {app}. See README.md,\n"
        '"Translations", for how to update it.\n'
        "This file is distributed under the same license as Guanxi (AGPL-3.0-or-later)."
    )
    po.metadata = {
        "Project-Id-Version": "guanxi",
        "Report-Msgid-Bugs-To": "",
        "POT-Creation-Date": po.metadata.get("POT-Creation-Date", ""),
        "Language": language,
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "8bit",
        "Plural-Forms": PLURAL_FORMS.get(language, "nplurals=2; plural=(n != 1);"),
    }
    po.metadata_is_fuzzy = []
    po.save()


if __name__ == "__main__":
    for name in sys.argv[1:]:
        fix(Path(name))
