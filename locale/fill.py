"""Fill locale/sv/LC_MESSAGES/django.po from sv_translations.SV and list what is still untranslated.

Used by `make messages` (which needs gettext's xgettext for extraction); compiling is done by Django's
compilemessages there and the .mo is committed.
"""

import importlib.util
import sys
from pathlib import Path

import polib

sys.path.insert(0, str(Path(__file__).parent))
from sv_translations import SV

# Further tables, one a topic (locale/parts/*.py, each with its own SV dict), so that work on separate topics adds
# its strings without touching one shared file.
for part in sorted((Path(__file__).parent / "parts").glob("*.py")):
    spec = importlib.util.spec_from_file_location(f"sv_part_{part.stem}", part)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    SV = {**SV, **module.SV}

po_path = Path(__file__).parent / "sv" / "LC_MESSAGES" / "django.po"
po = polib.pofile(str(po_path))
po.metadata.update(
    {"Language": "sv", "Content-Type": "text/plain; charset=UTF-8", "Plural-Forms": "nplurals=2; plural=(n != 1);"}
)
missing = []
for entry in po:
    # A message with a context (pgettext) may have its own entry, keyed "context\x04msgid" as in a compiled catalogue.
    key = (
        f"{entry.msgctxt}\x04{entry.msgid}"
        if entry.msgctxt and f"{entry.msgctxt}\x04{entry.msgid}" in SV
        else entry.msgid
    )
    if key in SV:
        if entry.msgid_plural:  # a (singular, plural) pair
            entry.msgstr_plural = dict(enumerate(SV[key]))
        else:
            entry.msgstr = SV[key]
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
    elif not (entry.msgstr or any(entry.msgstr_plural.values())) or "fuzzy" in entry.flags:
        missing.append(entry.msgid)
po.save(str(po_path))
if missing:
    print("Untranslated:", *missing, sep="\n  ")
    sys.exit(1)
print(f"{po_path}: {len(po)} messages, all translated")
