"""The catalogues in locale/ are complete, compiled and current, and the API speaks both languages.

DESIGN.md: "Every string a user reads is translatable, with complete zh-hans and en catalogues."
When one of these tests fails, update the catalogues as README.md ("Translations") says.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from fnmatch import fnmatch
from pathlib import Path

import polib
import pytest
from django.conf import settings

LOCALE_DIR = Path(settings.BASE_DIR) / "locale"
LANGUAGES = ["zh_Hans", "en"]
# The project's catalogue and those of the apps that keep their own (guanxi/<app>/locale/).
LOCALE_DIRS = [LOCALE_DIR, *sorted((Path(settings.BASE_DIR) / "guanxi").glob("*/locale"))]
CATALOGUES = [
    pytest.param(d, language, id=f"{d.parent.name}-{language}")
    for d in LOCALE_DIRS
    for language in LANGUAGES
]
UPDATE_HINT = "update the catalogues as README.md, 'Translations', says (make messages)"

# What makemessages leaves out (its defaults and the project's --ignore list) and the files
# it reads; the same list is in the Makefile's `messages` target.
IGNORED = ("CVS", ".*", "*~", "*.pyc", "__pycache__", "var", "benchmarks", "node_modules", "locale")
SOURCE_SUFFIXES = (".py", ".html", ".txt")

# %(name)s, %s, %d, %.2f …; "%%" is a literal percent sign, not a placeholder.
PERCENT_PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(?:\d+|\*)?(?:\.\d+)?[diouxXeEfFgGcrsa%]")
BRACE_PLACEHOLDER = re.compile(r"\{[^{}]*\}")
HAN = re.compile(r"[\u4e00-\u9fff]")


def catalogue(language: str, locale_dir: Path = LOCALE_DIR) -> polib.POFile:
    path = locale_dir / language / "LC_MESSAGES" / "django.po"
    assert path.is_file(), f"{path} is missing: {UPDATE_HINT}"
    return polib.pofile(str(path))


def live_entries(po: polib.POFile) -> list[polib.POEntry]:
    return [e for e in po if not e.obsolete]


def label(entry: polib.POEntry) -> str:
    where = ", ".join(f"{f}:{n}" for f, n in entry.occurrences[:2])
    context = f"[{entry.msgctxt}] " if entry.msgctxt else ""
    return f"{context}{entry.msgid!r} ({where})"


def placeholders(entry: polib.POEntry, text: str) -> list[str]:
    found = []
    if "python-format" in entry.flags or "c-format" in entry.flags:
        found += [p for p in PERCENT_PLACEHOLDER.findall(text) if p != "%%"]
    if "python-brace-format" in entry.flags:
        found += BRACE_PLACEHOLDER.findall(text)
    return sorted(found)


def plural_count(po: polib.POFile) -> int:
    match = re.search(r"nplurals\s*=\s*(\d+)", po.metadata.get("Plural-Forms", ""))
    assert match, "the catalogue's header has no Plural-Forms"
    return int(match.group(1))


@pytest.mark.parametrize(("locale_dir", "language"), CATALOGUES)
def test_every_entry_is_translated_and_none_is_fuzzy(locale_dir, language):
    po = catalogue(language, locale_dir)
    assert po.metadata.get("Language") == language
    nplurals = plural_count(po)
    problems = []
    for entry in live_entries(po):
        if "fuzzy" in entry.flags:
            problems.append(f"fuzzy: {label(entry)}")
        if entry.msgid_plural:
            forms = [entry.msgstr_plural.get(i, "") for i in range(nplurals)]
            if not all(forms):
                problems.append(f"untranslated plural form: {label(entry)}")
        elif not entry.msgstr:
            problems.append(f"untranslated: {label(entry)}")
    assert live_entries(po), "the catalogue is empty"
    assert not problems, f"{len(problems)} entries in {language}:\n" + "\n".join(problems)


@pytest.mark.parametrize(("locale_dir", "language"), CATALOGUES)
def test_translations_keep_every_placeholder(locale_dir, language):
    po = catalogue(language, locale_dir)
    nplurals = plural_count(po)
    problems = []
    for entry in live_entries(po):
        if "fuzzy" in entry.flags:
            continue  # reported by the completeness test
        if entry.msgid_plural:
            # With one form (Chinese), it stands for the plural; with two, form 0 is singular.
            sources = [
                entry.msgid if (i == 0 and nplurals > 1) else entry.msgid_plural
                for i in range(nplurals)
            ]
            translations = [entry.msgstr_plural.get(i, "") for i in range(nplurals)]
        else:
            sources, translations = [entry.msgid], [entry.msgstr]
        allowed = set(placeholders(entry, entry.msgid) + placeholders(entry, entry.msgid_plural))
        for source, translation in zip(sources, translations, strict=True):
            if not translation:
                continue  # reported by the completeness test
            wanted, got = placeholders(entry, source), placeholders(entry, translation)
            missing = [p for p in wanted if p not in got]
            invented = [p for p in got if p not in allowed]
            # Named placeholders may move; unnamed ones (%s, %d) must keep their count too.
            if missing or invented or (len(got) != len(wanted) and "%(" not in source):
                problems.append(f"{label(entry)} -> {translation!r}: expected {wanted}, got {got}")
    assert not problems, f"placeholders in {language}:\n" + "\n".join(problems)


@pytest.mark.parametrize("locale_dir", LOCALE_DIRS, ids=lambda d: d.parent.name)
def test_chinese_catalogue_is_chinese(locale_dir):
    """A msgstr copied from the English (a slip of the tool) is not a translation. Abbreviations
    (API, SKU, VIP, QQ …) and the name of the language English are the exceptions."""

    def may_stay_english(msgid: str) -> bool:
        return msgid == "English" or re.fullmatch(r"[A-Z0-9]{2,}", msgid) is not None

    copied = [
        label(e)
        for e in live_entries(catalogue("zh_Hans", locale_dir))
        if not e.msgid_plural
        and e.msgstr
        and not HAN.search(e.msgstr)
        and not may_stay_english(e.msgid)
    ]
    assert not copied, "zh_Hans entries without a Chinese word:\n" + "\n".join(copied)


@pytest.mark.parametrize(("locale_dir", "language"), CATALOGUES)
def test_compiled_catalogue_matches_its_source(locale_dir, language):
    """The .mo files are committed (a clone works without gettext), so they must not lag."""
    po = catalogue(language, locale_dir)
    mo_path = locale_dir / language / "LC_MESSAGES" / "django.mo"
    assert mo_path.is_file(), f"{mo_path} is missing: {UPDATE_HINT}"

    def table(entries) -> dict:
        return {
            (e.msgctxt, e.msgid): (
                {int(k): v for k, v in e.msgstr_plural.items()} if e.msgid_plural else e.msgstr
            )
            for e in entries
            if e.msgid
            and not getattr(e, "obsolete", False)
            and "fuzzy" not in e.flags
            and (e.msgstr or any(e.msgstr_plural.values()))
        }

    compiled, source = table(polib.mofile(str(mo_path))), table(po)
    assert compiled == source, f"{mo_path.name} is older than django.po: {UPDATE_HINT}"


def _ignored(directory: str, names: list[str]) -> set[str]:
    """For shutil.copytree: what makemessages would not read."""

    def skip(name: str) -> bool:
        if any(fnmatch(name, pattern) for pattern in IGNORED):
            return True
        return os.path.isfile(os.path.join(directory, name)) and not name.endswith(SOURCE_SUFFIXES)

    return {name for name in names if skip(name)}


def test_catalogue_holds_exactly_the_strings_of_the_source(tmp_path):
    """makemessages run afresh over a copy of the source finds the same strings as the
    catalogues (the copy leaves out every locale/, so all of them land in one catalogue)."""
    missing_tools = [t for t in ("xgettext", "msguniq", "msgmerge") if not shutil.which(t)]
    if missing_tools:
        pytest.skip(
            f"gettext's tools are not installed ({', '.join(missing_tools)}): cannot extract "
            "the strings; CI installs them (apt-get install gettext)"
        )
    copy = tmp_path / "src"
    shutil.copytree(settings.BASE_DIR, copy, ignore=_ignored)
    assert (copy / "manage.py").is_file()
    result = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "--locale", "en"],
        cwd=copy,
        env={**os.environ, "GUANXI_VAR_DIR": str(tmp_path / "var")},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr

    def keys(po: polib.POFile) -> set[tuple[str | None, str, str]]:
        return {(e.msgctxt, e.msgid, e.msgid_plural) for e in live_entries(po)}

    fresh = polib.pofile(str(copy / "locale" / "en" / "LC_MESSAGES" / "django.po"))
    wanted = keys(fresh)
    assert wanted, "makemessages found no strings at all"
    for language in LANGUAGES:
        have = set().union(*(keys(catalogue(language, d)) for d in LOCALE_DIRS))
        missing = sorted(wanted - have, key=str)
        stale = sorted(have - wanted, key=str)
        assert not missing and not stale, (
            f"the {language} catalogues are not current ({UPDATE_HINT}).\n"
            f"Not in the catalogue ({len(missing)}): {[m[1] for m in missing]}\n"
            f"No longer in the source ({len(stale)}): {[s[1] for s in stale]}"
        )


# --- The API answers in the language that the client asks for --------------------------------


@pytest.mark.django_db
def test_api_validation_error_speaks_the_requested_language(two_teams, api):
    client = api(two_teams.rep_a)
    payload = {
        "display_name": "张三",
        "kind": "person",
        "contact_points": [{"kind": "mobile", "value": "12345"}],
    }

    def error(language: str) -> str:
        response = client.post(
            "/api/v1/customers/", payload, format="json", HTTP_ACCEPT_LANGUAGE=language
        )
        assert response.status_code == 400
        assert response["Content-Language"] == language
        messages = response.json()["contact_points.0.value"]
        return " ".join(messages) if isinstance(messages, list) else str(messages)

    english, chinese = error("en"), error("zh-hans")
    assert english != chinese
    assert "12345" in english and "12345" in chinese
    assert "phone number" in english
    assert HAN.search(chinese), chinese
    assert "电话号码" in chinese
