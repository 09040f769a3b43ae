"""The CSV upload's columns as a clerk reads them: what each column accepts (listed on the upload page) and the
template file the page offers (the header row and one example row).

The values listed are the ones the upload accepts (``contacts.csv_upload`` and ``contacts.validation`` with the CSV
channel's options): the modes and contents of the model's choices, the professions of the Profession table, the
regions of the Region table, the providers the user may report for (the scoping selector), the spellings of yes and
no, amounts with a decimal comma, and times without an offset read as Swedish time.
"""

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from contacts.csv_upload import OPTIONAL_FIELDS
from contacts.models import Content, Mode
from contacts.validation import ACCEPTED_FIELDS, INPUT_FIELDS
from kernel import xlsx
from regions.models import Profession, Provider, Region
from regions.selectors import visible_to

# Beyond this many providers the page names the count instead of each one (a national admin sees every provider).
MAX_PROVIDERS_LISTED = 30
BOOLEAN_COLUMNS = ("strong_authentication", "triage", "documented")
# The spellings of yes and no the upload reads, in any case (``contacts.validation._TRUE_TEXT``, ``_FALSE_TEXT``).
BOOLEAN_SPELLINGS = (("SANT", "FALSKT"), ("ja", "nej"), ("true", "false"), ("yes", "no"), ("1", "0"))
# The example row's values that do not depend on the user (time as Excel's "CSV UTF-8" writes it: Swedish time).
EXAMPLE = {
    "external_id": "exempel-1",
    "patient_id": "19121212-1212",  # Skatteverket's test personnummer
    "profession": "LK",
    "started_at": "2026-11-20 14:30",
    "mode": Mode.VIDEO.value,
    "strong_authentication": "SANT",
    "triage": "SANT",
    "documented": "SANT",
    "content": Content.ASSESSMENT.value,
    "patient_fee": "100,00",
    "listing_unit": "",
    "care_unit": "",
}


@dataclass
class Column:
    name: str  # as in the file's header row
    required: bool
    description: str
    # The values the column accepts, each with what it means, when they are a closed list.
    values: list[tuple[str, str]] = field(default_factory=list)
    # How many further values there are that the page does not list (providers beyond MAX_PROVIDERS_LISTED).
    not_listed: int = 0


def upload_columns(user) -> list[Column]:
    """Every column of the upload, in the header's order, with what it accepts for this user."""
    providers = list(visible_to(user, Provider.objects.order_by("name")).values_list("hsa_id", "name"))
    yes_no = ", ".join(f"{yes}/{no}" for yes, no in BOOLEAN_SPELLINGS)
    boolean = _("Yes or no: %(spellings)s (in any case).") % {"spellings": yes_no}
    descriptions = {
        "external_id": (_("Your system's id of the contact, at most 64 characters; unique per care provider."), []),
        "provider": (
            _(
                "The care provider's HSA-id. May be left empty by a care provider's own users; required for region "
                "staff."
            ),
            [(hsa_id, name) for hsa_id, name in providers[:MAX_PROVIDERS_LISTED]],
        ),
        "patient_id": (
            _("Personnummer or samordningsnummer, 10 or 12 digits, with or without - or +, e.g. 19121212-1212."),
            [],
        ),
        "home_region": (
            _("The län code of the patient's home region."),
            list(Region.objects.order_by("code").values_list("code", "name")),
        ),
        "profession": (
            _("The Kv yrkeskod of the profession that held the contact."),
            list(Profession.objects.order_by("code").values_list("code", "name")),
        ),
        "started_at": (
            _(
                "Date and time the contact started. Without an offset, as Excel writes it (2026-11-20 14:30, "
                "2026-11-20 14:30:00 or 2026-11-20T14:30), it is Swedish time (Europe/Stockholm): in the autumn hour "
                "that occurs twice the first (summer time) is meant, and a time in the spring hour that does not "
                "exist is refused. With an offset it is that moment, e.g. 2026-11-20T14:30:00+01:00."
            ),
            [],
        ),
        "mode": (_("How the contact was held."), [(mode.value, str(mode.label)) for mode in Mode]),
        "strong_authentication": (boolean, []),
        "triage": (boolean, []),
        "documented": (boolean, []),
        "content": (_("What the contact was."), [(content.value, str(content.label)) for content in Content]),
        "patient_fee": (
            _(
                "The patient fee in kronor, 0 to 99 999,99: a decimal comma or point, thousands with no separator "
                "or a space, e.g. 100,00, 1 234,50 or 100.00."
            ),
            [],
        ),
        "listing_unit": (_("The HSA-id of the unit the patient is listed at, or empty."), []),
        "care_unit": (_("The HSA-id of the unit that held the contact, or empty."), []),
        "home_municipality": (
            _(
                "The kommun code (4 digits) of the patient's home municipality, beginning with the home region's län "
                "code (e.g. 2580 in 25), or empty. An optional column: it may be left out of the header row."
            ),
            [],
        ),
    }
    columns = []
    for name in ACCEPTED_FIELDS:
        description, values = descriptions[name]
        not_listed = max(len(providers) - MAX_PROVIDERS_LISTED, 0) if name == "provider" else 0
        columns.append(Column(name, name not in OPTIONAL_FIELDS, description, values, not_listed))
    return columns


def _example(user) -> dict:
    provider = visible_to(user, Provider.objects.order_by("name")).values_list("hsa_id", "region_id").first()
    hsa_id, own_region = provider if provider else ("", "")
    home_region = Region.objects.exclude(code=own_region).order_by("code").values_list("code", flat=True).first()
    return {**EXAMPLE, "provider": hsa_id, "home_region": home_region or ""}


# The template workbook's cells that are not text: the start time as a date cell (Swedish time, as the upload reads
# one), the fee as a number, the three yes/no columns as true/false cells.
_XLSX_EXAMPLE = {
    "started_at": (xlsx.DATETIME, dt.datetime(2026, 11, 20, 14, 30)),
    "patient_fee": (xlsx.MONEY, Decimal("100.00")),
    "strong_authentication": (xlsx.TEXT, True),
    "triage": (xlsx.TEXT, True),
    "documented": (xlsx.TEXT, True),
}


def upload_template_xlsx(user) -> bytes:
    """The template as an XLSX workbook: the same header row and example row, the start time a date cell, the fee a
    number and the yes/no columns true/false cells, as a clerk's own workbook would hold them."""
    example = _example(user)
    columns, row = [], []
    for name in INPUT_FIELDS:
        kind, value = _XLSX_EXAMPLE.get(name, (xlsx.TEXT, example[name]))
        columns.append(xlsx.XlsxColumn(name, kind))
        row.append(value)
    out = io.BytesIO()
    xlsx.write_xlsx(out, title=_("Contacts"), columns=columns, rows=[row])
    return out.getvalue()


def upload_template_csv(user) -> bytes:
    """The template file: the header row and one example row, separated by semicolons, UTF-8 with a byte-order
    mark (what Swedish Excel opens with å, ä and ö intact), lines ending in CRLF. The example names a provider the
    user may report for and a home region other than its own, so that it reads as a billable contact."""
    example = _example(user)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    # API.md's input fields; the optional additions since (``ADDED_INPUT_FIELDS``) are listed on the page, and a
    # file may add their columns.
    writer.writerow(INPUT_FIELDS)
    writer.writerow([example[name] for name in INPUT_FIELDS])
    return out.getvalue().encode("utf-8-sig")
