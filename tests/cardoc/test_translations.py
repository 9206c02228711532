"""The French catalogue is complete: every message marked in the code has a reviewed French text.

A string newly marked with ``gettext`` and not yet translated fails here, at integration, rather than reaching
a French-speaking driver in English. To fix a failure: ``manage.py makemessages -l fr --no-location
--no-obsolete --ignore=.venv --ignore=tests``, translate the new entries (and clear any ``fuzzy`` flag once the
guess is checked), then ``manage.py compilemessages -l fr --ignore=.venv``.
"""

from __future__ import annotations

import ast
import gettext
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "fr" / "LC_MESSAGES"
# The keywords makemessages gives xgettext for Python files (django.core.management.commands.makemessages).
XGETTEXT_KEYWORDS = (
    "gettext_noop",
    "gettext_lazy",
    "ngettext_lazy:1,2",
    "pgettext:1c,2",
    "npgettext:1c,2,3",
    "pgettext_lazy:1c,2",
    "npgettext_lazy:1c,2,3",
)


@dataclass
class Entry:
    """One message of a .po file: its context, source text, translations and flags."""

    msgid: str = ""
    msgctxt: str | None = None
    msgstr: list[str] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)


def read_po(path: Path) -> list[Entry]:
    """The entries of a .po file (header and obsolete ``#~`` entries left out)."""
    entries: list[Entry] = []
    current = Entry()
    target: str | None = None

    def finish() -> None:
        nonlocal current
        if current.msgid:
            entries.append(current)
        current = Entry()

    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#,"):
            if target is not None and target.startswith("msgstr"):
                finish()
                target = None
            current.flags |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith(("msgctxt ", "msgid ")):
            keyword, _, text = line.partition(" ")
            if target is not None and target.startswith("msgstr"):
                finish()
            target = keyword
            if keyword == "msgctxt":
                current.msgctxt = ast.literal_eval(text)
            else:
                current.msgid = ast.literal_eval(text)
        elif line.startswith("msgid_plural "):
            target = "msgid_plural"
        elif line.startswith("msgstr"):
            keyword, _, text = line.partition(" ")
            target = keyword
            current.msgstr.append(ast.literal_eval(text))
        elif line.startswith('"') and target is not None:
            text = ast.literal_eval(line)
            if target == "msgid":
                current.msgid += text
            elif target == "msgctxt":
                current.msgctxt = (current.msgctxt or "") + text
            elif target.startswith("msgstr"):
                current.msgstr[-1] += text
    finish()
    return entries


def test_every_french_message_is_translated_and_none_is_fuzzy() -> None:
    entries = read_po(CATALOGUE / "django.po")

    untranslated = [entry.msgid for entry in entries if not all(text.strip() for text in entry.msgstr)]
    fuzzy = [entry.msgid for entry in entries if "fuzzy" in entry.flags]

    assert len(entries) > 50  # the parser read the catalogue, not an empty file
    assert untranslated == []
    assert fuzzy == []


def test_the_reader_finds_untranslated_and_fuzzy_entries(tmp_path: Path) -> None:
    po = tmp_path / "django.po"
    po.write_text(
        'msgid ""\nmsgstr "Language: fr\\n"\n\n'
        'msgid "Done."\nmsgstr "Fait."\n\n'
        '#, fuzzy, python-format\nmsgid "Hello %(name)s"\nmsgstr "Salut %(name)s"\n\n'
        'msgid ""\n"Two "\n"lines"\nmsgstr ""\n',
        encoding="utf-8",
    )

    entries = {entry.msgid: entry for entry in read_po(po)}

    assert set(entries) == {"Done.", "Hello %(name)s", "Two lines"}
    assert entries["Hello %(name)s"].flags == {"fuzzy", "python-format"}
    assert entries["Two lines"].msgstr == [""]


def _project_python_files() -> list[Path]:
    root = Path(settings.BASE_DIR)
    packages = [path for path in root.iterdir() if (path / "__init__.py").is_file() and path.name != "tests"]
    return sorted(file for package in packages for file in package.rglob("*.py"))


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext (xgettext) is not installed")
def test_every_string_marked_in_the_code_is_in_the_french_catalogue(tmp_path: Path) -> None:
    files = _project_python_files()
    command = ["xgettext", "--language=Python", "--from-code=UTF-8", "--output=-", "--no-location"]
    command += [f"--keyword={keyword}" for keyword in XGETTEXT_KEYWORDS]
    pot = subprocess.run(
        [*command, *map(str, files)], capture_output=True, check=True, text=True, encoding="utf-8"
    ).stdout
    template = tmp_path / "django.pot"
    template.write_text(pot, encoding="utf-8")
    marked = {(entry.msgctxt, entry.msgid) for entry in read_po(template)}
    catalogued = {(entry.msgctxt, entry.msgid) for entry in read_po(CATALOGUE / "django.po")}

    assert len(marked) > 50
    assert sorted(marked - catalogued, key=str) == []


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext (msgfmt) is not installed")
def test_the_compiled_catalogue_is_the_po_compiled(tmp_path: Path) -> None:
    compiled = tmp_path / "django.mo"
    subprocess.run(
        ["msgfmt", "--check", "-o", str(compiled), str(CATALOGUE / "django.po")],
        capture_output=True,
        check=True,
    )

    with compiled.open("rb") as fresh, (CATALOGUE / "django.mo").open("rb") as committed:
        assert gettext.GNUTranslations(committed)._catalog == gettext.GNUTranslations(fresh)._catalog  # type: ignore[attr-defined]
