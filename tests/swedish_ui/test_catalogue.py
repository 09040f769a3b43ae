"""The Swedish catalogue is complete and what runs is what was reviewed: every message of the code is in the .po
with a Swedish translation, and the committed .mo (what Django reads; committed so that no machine needs gettext)
is compiled from exactly that .po. A string added without `make messages`, or a .po edited without compiling it,
fails here."""

import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.utils import translation

LC_MESSAGES = Path(settings.BASE_DIR) / "locale" / "sv" / "LC_MESSAGES"
PO, MO = LC_MESSAGES / "django.po", LC_MESSAGES / "django.mo"


def _live(catalog) -> list:
    return [entry for entry in catalog if not entry.obsolete]


def _compiled(entries) -> dict:
    """What a compiled catalogue holds for each message: its translation, or its plural forms."""
    return {
        (entry.msgctxt, entry.msgid, entry.msgid_plural): (
            entry.msgstr,
            tuple(sorted((int(n), text) for n, text in entry.msgstr_plural.items())),
        )
        for entry in entries
        if entry.msgid  # the header
    }


def test_every_message_has_a_swedish_translation():
    untranslated = [
        entry.msgid for entry in _live(polib.pofile(str(PO))) if not entry.translated() or "fuzzy" in entry.flags
    ]

    assert untranslated == []


def test_the_committed_mo_is_compiled_from_the_po():
    po = polib.pofile(str(PO))
    compiled_now = polib.mofile(po.to_binary())  # msgfmt leaves out obsolete and fuzzy entries, so does polib

    assert _compiled(polib.mofile(str(MO))) == _compiled(compiled_now)
    assert len(_compiled(compiled_now)) == len([e for e in _live(po) if e.msgid and "fuzzy" not in e.flags])


def test_the_catalogue_is_read_for_swedish_and_english_is_the_source():
    with translation.override("sv"):
        swedish = (translation.gettext("Change language"), translation.pgettext("sex, one letter", "F"))
    with translation.override("en"):
        english = (translation.gettext("Change language"), translation.pgettext("sex, one letter", "F"))

    assert (swedish, english) == (("Byt språk", "K"), ("Change language", "F"))


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="needs gettext's xgettext (as `make messages` does)")
def test_the_po_holds_every_message_of_the_code(tmp_path):
    """`make messages`' extraction, run on a copy of the project: it finds no message the committed .po lacks
    and none it holds that the code no longer uses."""
    root = Path(settings.BASE_DIR)
    copy = tmp_path / "project"
    shutil.copytree(
        root,
        copy,
        ignore=shutil.ignore_patterns(
            ".venv", ".git", "tests", "media", ".test-media", "staticfiles", "node_modules", "*.sqlite3", "__pycache__"
        ),
    )
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "sv", "--no-location", "--ignore=.venv", "--ignore=tests"],
        cwd=copy,
        env={"PATH": "/usr/bin:/bin", "DEBUG": "1", "DJANGO_SETTINGS_MODULE": "config.settings"},
        check=True,
        capture_output=True,
    )

    extracted = {(e.msgctxt, e.msgid, e.msgid_plural) for e in _live(polib.pofile(str(copy / PO.relative_to(root))))}
    committed = {(e.msgctxt, e.msgid, e.msgid_plural) for e in _live(polib.pofile(str(PO)))}

    assert sorted(extracted - committed, key=str) == []  # in the code, not in the catalogue: run `make messages`
    assert sorted(committed - extracted, key=str) == []  # in the catalogue, no longer in the code
