"""The specification (fakturaunderlag) as a CSV for people: what Swedish Excel opens as a table, in Swedish.

The machine CSV (``billing.documents.specification_csv``) stays the integration format: English column names,
codes, ``435.00`` and ISO times with offsets. This one is for a clerk who double-clicks it:

- Swedish headings and values, whoever downloads it (a document between Swedish regions, as the PDFs): the rate
  category as the invoice PDF names it, the sex as the specification PDF writes it (``K``/``M``), "ja" where a
  dispute overrode the contact's rejection.
- The date (``YYYY-MM-DD``) and the time (``HH:MM``) of the contact in Stockholm time, in two columns.
- Amounts with a decimal comma and no thousands separator (``1234,50``), so that Excel reads them as numbers. On a
  credit note every amount of a line is negative, the rate and the fee paid included, so that each row keeps
  rate − fee deducted = net and the columns sum to the credit note's totals.
- Beside the fee the patient paid, the fee deducted (a fee above the rate deducts the rate): the columns then sum to
  the invoice PDF's gross, patient fees and net, to the öre; the last row ("Summa") gives those sums.
- Semicolons between cells and UTF-8 with a byte-order mark: what Excel with Swedish settings expects, å, ä and ö
  intact. Rows end with CRLF.

Identity numbers full or masked by the same rule as the machine CSV, and the same cells (a provider's external id
and care unit, the version code) guarded against formula injection. Streamed: one chunk per line, constant memory.
"""

import csv
from collections.abc import Iterator
from decimal import Decimal

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext, pgettext, pgettext_lazy

from billing.documents import safe_cell
from billing.models import Invoice, InvoiceLine
from contacts.identifiers import mask_personal_identity
from kernel.business_time import STOCKHOLM
from kernel.text import neutralise
from regions.models import RateCategory

ZERO = Decimal("0.00")

COLUMNS = (
    pgettext_lazy("specification CSV column", "Line"),
    pgettext_lazy("specification CSV column", "Contact"),
    pgettext_lazy("specification CSV column", "External id"),
    pgettext_lazy("specification CSV column", "Date"),
    pgettext_lazy("specification CSV column", "Time"),
    pgettext_lazy("specification CSV column", "Profession"),
    pgettext_lazy("specification CSV column", "Rate category"),
    pgettext_lazy("specification CSV column", "Rate version"),
    pgettext_lazy("specification CSV column", "Rate (kr)"),
    pgettext_lazy("specification CSV column", "Patient fee paid (kr)"),
    pgettext_lazy("specification CSV column", "Patient fee deducted (kr)"),
    pgettext_lazy("specification CSV column", "Net (kr)"),
    pgettext_lazy("specification CSV column", "Care unit (HSA-id)"),
    pgettext_lazy("specification CSV column", "Personal identity number"),
    pgettext_lazy("specification CSV column", "Home region (län)"),
    pgettext_lazy("specification CSV column", "Sex"),
    pgettext_lazy("specification CSV column", "Rejection overridden"),
)
_MONEY_FROM = 8  # rate, fee paid, fee deducted, net: columns 8-11


def swedish_amount(value: Decimal) -> str:
    """``-1234.5`` → ``-1234,50``: two decimals, a decimal comma, no thousands separator (Excel reads a number)."""
    return f"{value + ZERO:.2f}".replace(".", ",")  # + 0: a credited 0 is "0,00", never "-0,00"


class _Echo:
    def write(self, value: str) -> str:
        return value


def specification_csv_sv(invoice: Invoice, *, full_identity: bool) -> Iterator[str]:
    """The header (with the byte-order mark), one chunk per line, and the sum row; in Swedish whoever asks."""
    with translation.override(settings.LANGUAGE_CODE):  # the words, translated before streaming starts
        headings = [str(column) for column in COLUMNS]
        categories = {category.value: str(category.label) for category in RateCategory}
        sexes = {"F": pgettext("sex, one letter", "F"), "M": pgettext("sex, one letter", "M")}
        yes = gettext("yes")
        total_label = pgettext("specification CSV, the sum row", "Total")
    writer = csv.writer(_Echo(), delimiter=";", lineterminator="\r\n")
    yield "\ufeff" + writer.writerow(headings)
    sums = [ZERO, ZERO, ZERO, ZERO]
    lines = (
        InvoiceLine.objects.filter(invoice=invoice)
        .order_by("id")
        .values_list(
            "id",
            "contact_id",
            "external_id",
            "started_at",
            "profession",
            "category",
            "recommendation__code",
            "credit",
            "rate",
            "patient_fee",
            "fee_deducted",
            "amount",
            "care_unit",
            "patient_id",
            "invoice__buyer_id",
            "patient_sex",
            "overridden",
        )
    )
    for row in lines.iterator(chunk_size=2_000):
        (line_id, contact_id, external_id, started_at, profession, category, recommendation, credit, rate, fee,
         deducted, amount, care_unit, patient_id, home_region, sex, overridden) = row  # fmt: skip
        # A credit line stores its fee deducted and amount negative; its rate and fee paid are the credited
        # line's. Shown all negative, the credit note's columns sum to its (negative) totals.
        sign = -1 if credit else 1
        money = [sign * rate, sign * fee, deducted, amount]
        sums = [total + value for total, value in zip(sums, money, strict=True)]
        local = started_at.astimezone(STOCKHOLM)
        yield writer.writerow(
            [
                line_id,
                contact_id,
                neutralise(safe_cell(external_id)),
                local.strftime("%Y-%m-%d"),
                local.strftime("%H:%M"),
                neutralise(profession),
                categories.get(category, category),
                neutralise(safe_cell(recommendation)),
                *(swedish_amount(value) for value in money),
                neutralise(safe_cell(care_unit)),
                patient_id if full_identity else mask_personal_identity(patient_id),
                home_region,
                sexes.get(sex, sex),
                yes if overridden else "",
            ]
        )
    total_row = [""] * len(COLUMNS)
    total_row[0] = total_label
    total_row[_MONEY_FROM : _MONEY_FROM + 4] = [swedish_amount(value) for value in sums]
    yield writer.writerow(total_row)
