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

The same document as an XLSX workbook (``specification_xlsx``, issue 20): the same columns, lines and sum row from
the same query, as real cells (``kernel.xlsx``): amounts numeric with ``#,##0.00``, the date and the time date
cells in Stockholm time, text cells never formulas (so no apostrophe is added there).
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
from kernel import xlsx
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


def _words() -> tuple[list[str], dict, dict, str, str]:
    """The headings and words of the document, in Swedish whoever asks (translated before streaming starts)."""
    with translation.override(settings.LANGUAGE_CODE):
        headings = [str(column) for column in COLUMNS]
        categories = {category.value: str(category.label) for category in RateCategory}
        sexes = {"F": pgettext("sex, one letter", "F"), "M": pgettext("sex, one letter", "M")}
        yes = gettext("yes")
        total_label = pgettext("specification CSV, the sum row", "Total")
    return headings, categories, sexes, yes, total_label


def _lines(invoice: Invoice, *, full_identity: bool, categories: dict, sexes: dict, yes: str) -> Iterator[list]:
    """One list per line, in the columns' order, the values as they are (a local datetime in the date column and
    the time column, amounts as Decimals signed as the module says); the formats' writers make them cells."""
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
        local = started_at.astimezone(STOCKHOLM)
        yield [
            line_id,
            contact_id,
            external_id,
            local,
            local,
            profession,
            categories.get(category, category),
            recommendation,
            sign * rate + ZERO,
            sign * fee + ZERO,
            deducted + ZERO,
            amount + ZERO,
            care_unit,
            patient_id if full_identity else mask_personal_identity(patient_id),
            home_region,
            sexes.get(sex, sex),
            yes if overridden else "",
        ]


def _sum_row(label: str, sums: list[Decimal], blank="") -> list:
    row = [blank] * len(COLUMNS)
    row[0] = label
    row[_MONEY_FROM : _MONEY_FROM + 4] = sums
    return row


def specification_csv_sv(invoice: Invoice, *, full_identity: bool) -> Iterator[str]:
    """The header (with the byte-order mark), one chunk per line, and the sum row; in Swedish whoever asks."""
    headings, categories, sexes, yes, total_label = _words()
    writer = csv.writer(_Echo(), delimiter=";", lineterminator="\r\n")
    yield "\ufeff" + writer.writerow(headings)
    sums = [ZERO, ZERO, ZERO, ZERO]
    for line in _lines(invoice, full_identity=full_identity, categories=categories, sexes=sexes, yes=yes):
        money = line[_MONEY_FROM : _MONEY_FROM + 4]
        sums = [total + value for total, value in zip(sums, money, strict=True)]
        local = line[3]
        line[2] = neutralise(safe_cell(line[2]))
        line[3] = local.strftime("%Y-%m-%d")
        line[4] = local.strftime("%H:%M")
        line[5] = neutralise(line[5])
        line[7] = neutralise(safe_cell(line[7]))
        line[_MONEY_FROM : _MONEY_FROM + 4] = [swedish_amount(value) for value in money]
        line[12] = neutralise(safe_cell(line[12]))
        yield writer.writerow(line)
    yield writer.writerow(_sum_row(total_label, [swedish_amount(value) for value in sums]))


# The kinds of the columns in the XLSX specification (kernel.xlsx): ids, a date and a time, four amounts.
XLSX_KINDS = (
    xlsx.ID,
    xlsx.ID,
    xlsx.TEXT,
    xlsx.DATE,
    xlsx.TIME,
    xlsx.TEXT,
    xlsx.TEXT,
    xlsx.TEXT,
    xlsx.MONEY,
    xlsx.MONEY,
    xlsx.MONEY,
    xlsx.MONEY,
    xlsx.TEXT,
    xlsx.TEXT,
    xlsx.TEXT,
    xlsx.TEXT,
    xlsx.TEXT,
)


def specification_xlsx(file, invoice: Invoice, *, full_identity: bool) -> int:
    """The same document as an XLSX sheet (``kernel.xlsx``: amounts as numbers with ``#,##0.00``, the date and
    the time as date cells, text cells never formulas), the sum row in bold; written to ``file`` in constant
    memory. Returns the number of lines."""
    headings, categories, sexes, yes, total_label = _words()
    columns = [xlsx.XlsxColumn(heading, kind) for heading, kind in zip(headings, XLSX_KINDS, strict=True)]
    sums = [ZERO, ZERO, ZERO, ZERO]

    def rows() -> Iterator[list]:
        nonlocal sums
        for line in _lines(invoice, full_identity=full_identity, categories=categories, sexes=sexes, yes=yes):
            money = line[_MONEY_FROM : _MONEY_FROM + 4]
            sums = [total + value for total, value in zip(sums, money, strict=True)]
            line[3] = line[3].date()
            line[4] = line[4].time()
            yield line

    def total() -> Iterator[list]:
        yield _sum_row(total_label, sums, blank=None)  # read once the lines are written

    with translation.override(settings.LANGUAGE_CODE):
        title = pgettext("specification XLSX sheet", "Specification %(number)s") % {
            "number": invoice.number or invoice.pk
        }
    return xlsx.write_xlsx(file, title=title, columns=columns, rows=rows(), bold_rows=total())
