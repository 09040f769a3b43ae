"""Invoice documents: the invoice PDF (aggregates only, no patient data), the specification (fakturaunderlag)
as CSV (streamed) and as PDF (drawn page by page in ``billing.specification_pdf``, so memory stays flat).

``render_invoice_pdf`` and ``render_specification_pdf`` are pure renderings of an invoice: the task stores
their bytes; previews of drafts call them directly. Both are documents between Swedish regions, so they are
written in the product's language (``LANGUAGE_CODE``, Swedish) whoever renders them: every text is marked for
translation, amounts are ``1 234,50 kr`` (``format_sek``) and dates ISO. The CSV specification is a machine
format: plain numbers with a decimal point and ISO times, as before.
"""

import csv
from collections.abc import Iterator
from dataclasses import asdict

import weasyprint
from django.conf import settings
from django.db import connection
from django.template.loader import render_to_string
from django.utils import timezone, translation
from psycopg import sql as psycopg_sql

from billing.einvoice.ubl import render_ubl
from billing.models import Invoice
from billing.selectors import invoice_totals
from billing.specification_pdf import render_specification_pdf as render_specification_pdf  # where callers find it
from billing.specification_rows import SPECIFICATION_COLUMNS, specification_rows
from contacts.identifiers import FULLY_MASKED, PSEUDONYM_MASKED, PSEUDONYM_PREFIX
from kernel.metrics import DOCUMENTS_RENDERED
from kernel.text import POSTGRESQL_CLASS, REPLACEMENT, neutralise
from regions.identifiers import format_org_number
from regions.models import RateCategory


def _parties(invoice: Invoice) -> dict:
    return {
        "seller": invoice.seller,
        "buyer": invoice.buyer,
        "seller_org_number": format_org_number(invoice.seller.org_number),
        "buyer_org_number": format_org_number(invoice.buyer.org_number),
    }


def _pdf(html: str, **options) -> bytes:
    """A rendered document as PDF. Defence in depth for rows stored before intake refused them (kernel/text.py):
    every control or invisible formatting character (line and paragraph separators, direction overrides,
    zero-width characters) in the HTML is shown as U+FFFD, so a name or an address can neither start a line nor
    turn text around; the template's own line feeds and tabs are kept."""
    return weasyprint.HTML(string=neutralise(html, multiline=True)).write_pdf(**options)


def ubl_filename(invoice: Invoice) -> str:
    """The e-invoice's file name, as stored, served and embedded in the PDF."""
    return f"{'kreditfaktura' if invoice.kind == 'credit_note' else 'faktura'}-{invoice.number}.xml"


def specification_pdf_filename(invoice: Invoice) -> str:
    """The specification PDF's file name, as stored by the documents task and again after pseudonymisation."""
    return f"{invoice.number}-underlag.pdf"


def render_invoice_pdf(invoice: Invoice, *, ubl: bytes | None = None) -> bytes:
    """The invoice itself: parties, number, dates, totals per category and rate, total to pay. No patient data.

    An approved invoice's PDF is PDF/A-3b with its e-invoice (``billing.einvoice.ubl``; ``ubl`` when the caller
    already has it) embedded as an associated file ("Alternative": the same invoice for a machine), so a person and
    a machine read the same document. A draft's preview embeds nothing."""
    with translation.override(settings.LANGUAGE_CODE):
        html = render_to_string(
            "billing/invoice.html",
            {
                "invoice": invoice,
                **_parties(invoice),
                "rows": [
                    {**asdict(total), "category": RateCategory(total.category).label}
                    for total in invoice_totals(invoice)
                ],
                "preview": invoice.number is None,
                "rendered_at": timezone.localtime(),
                "objection_months": settings.OBJECTION_PERIOD_MONTHS,
                # Says what the e-invoice's VAT category says (billing.einvoice.ubl): outside the scope of VAT ("O",
                # the default) or exempt ("E"), so the PDF and the UBL embedded in it never disagree.
                "vat_exempt": settings.EINVOICE_VAT_CATEGORY == "E",
            },
        )
    if ubl is None and invoice.is_frozen:
        ubl = render_ubl(invoice)
    if ubl is None:
        content = _pdf(html)
    else:
        attachment = weasyprint.Attachment(
            string=ubl,
            name=ubl_filename(invoice),
            description="Peppol BIS Billing 3.0 (UBL 2.1)",
            relationship="Alternative",
        )
        content = _pdf(html, pdf_variant="pdf/a-3b", attachments=[attachment])
    DOCUMENTS_RENDERED.labels(document="invoice").inc()
    return content


class _Echo:
    def write(self, value: str) -> str:
        return value


# CSV injection (OWASP): a cell starting with one of these is read as a formula by spreadsheet programs. Such a
# cell is prefixed with an apostrophe, which they show as text. Both ways of writing the specification below
# apply it to the same columns: those whose text comes from outside (a provider's external id and care unit, the
# version code an admin chose); the others are numbers, dates and codes the system writes.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
GUARDED_COLUMNS = ("external_id", "recommendation", "care_unit")
_GUARDED_INDEXES = frozenset(SPECIFICATION_COLUMNS.index(column) for column in GUARDED_COLUMNS)
# Text columns whose control and invisible formatting characters are shown as U+FFFD, after the formula guard
# (kernel/text.py: defence in depth for rows stored before intake refused them). The other columns are numbers,
# times and values the system wrote from validated codes.
NEUTRALISED_COLUMNS = ("external_id", "profession", "category", "recommendation", "care_unit")
_NEUTRALISED_INDEXES = frozenset(SPECIFICATION_COLUMNS.index(column) for column in NEUTRALISED_COLUMNS)


def safe_cell(value) -> str:
    """A text cell for a CSV export, guarded against formula injection (for text only: "-1" becomes "'-1")."""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def specification_csv(invoice: Invoice, *, full_identity: bool) -> Iterator[str]:
    """The specification as CSV rows, one per line, generated as the database yields them (constant memory).

    On PostgreSQL the database writes the CSV itself (COPY ... TO STDOUT) and the rows stream through in
    blocks; elsewhere Python writes them. Both guard text cells against formula injection and mask as asked.
    """
    postgresql = connection.vendor == "postgresql"
    # The header ends as the rows do: "\n" from COPY, "\r\n" from Python's csv module (which quotes a cell
    # holding a carriage return only when "\r" is part of its line ending).
    yield "\ufeff" + ";".join(SPECIFICATION_COLUMNS) + ("\n" if postgresql else "\r\n")
    rows = _specification_csv_copy if postgresql else _specification_csv_python
    yield from rows(invoice, full_identity=full_identity)


def _specification_csv_python(invoice: Invoice, *, full_identity: bool) -> Iterator[str]:
    writer = csv.writer(_Echo(), delimiter=";")
    for row in specification_rows(invoice, full_identity=full_identity):
        cells = list(row)
        for index in _GUARDED_INDEXES:
            cells[index] = safe_cell(cells[index])
        for index in _NEUTRALISED_INDEXES:
            cells[index] = neutralise(cells[index])
        yield writer.writerow(cells)


def _neutralised(sql: str) -> str:
    """SQL for a text value with its control and invisible formatting characters replaced by U+FFFD (as
    ``neutralise``); the character class is bound as the literal ``{forbidden}`` (``_specification_copy_statement``)."""
    return f"regexp_replace({sql}, {{forbidden}}, chr({ord(REPLACEMENT)}), 'g')"


def _guarded(column: str) -> str:
    """SQL for a text column with formula-looking values prefixed by an apostrophe (as ``safe_cell``), then
    neutralised."""
    triggers = ", ".join(f"chr({ord(char)})" for char in FORMULA_TRIGGERS)
    return _neutralised(f"CASE WHEN left({column}, 1) IN ({triggers}) THEN chr(39) || {column} ELSE {column} END")


# Built from constants only; the invoice, the masking choice and the fully masked text are bound as literals by psycopg
# (``_specification_copy_statement``): COPY takes no server-side parameters, and Django's debug cursor (DEBUG=1)
# passes ``copy()`` the statement alone.
SPECIFICATION_COPY = f"""
COPY (
    SELECT l.id, l.contact_id, {_guarded("l.external_id")},
           to_char(l.started_at AT TIME ZONE 'Europe/Stockholm', 'YYYY-MM-DD"T"HH24:MI') || '+'
               || to_char((l.started_at AT TIME ZONE 'Europe/Stockholm') - (l.started_at AT TIME ZONE 'UTC'),
                          'HH24:MI'),
           {_neutralised("l.profession")},
           {_neutralised("l.category")}, {_guarded("r.code")}, l.rate, l.patient_fee, l.amount,
           {_guarded("l.care_unit")},
           CASE WHEN {{full}} THEN l.patient_id
                WHEN length(l.patient_id) = 12 AND l.patient_id !~ '[^0-9]' THEN left(l.patient_id, 8) || '-****'
                WHEN starts_with(l.patient_id, {{pseudonym_prefix}}) THEN {{pseudonym_masked}}
                ELSE {{fully_masked}} END,
           i.buyer_id, l.patient_sex, CASE WHEN l.overridden THEN 'yes' ELSE '' END
    FROM billing_invoiceline l
    JOIN billing_invoice i ON i.id = l.invoice_id
    JOIN regions_raterecommendation r ON r.id = l.recommendation_id
    WHERE l.invoice_id = {{invoice}}
    ORDER BY l.id
) TO STDOUT WITH (FORMAT csv, DELIMITER ';')
"""  # noqa: S608


def _specification_copy_statement(cursor, *, invoice_id: int, full_identity: bool) -> str:
    statement = psycopg_sql.SQL(SPECIFICATION_COPY).format(
        full=psycopg_sql.Literal(bool(full_identity)),
        invoice=psycopg_sql.Literal(int(invoice_id)),
        forbidden=psycopg_sql.Literal(POSTGRESQL_CLASS),
        fully_masked=psycopg_sql.Literal(FULLY_MASKED),
        pseudonym_prefix=psycopg_sql.Literal(PSEUDONYM_PREFIX),
        pseudonym_masked=psycopg_sql.Literal(PSEUDONYM_MASKED),
    )
    return statement.as_string(cursor.connection)


def _specification_csv_copy(invoice: Invoice, *, full_identity: bool) -> Iterator[str]:
    """One chunk per line: PostgreSQL sends a COPY TO's rows one per CopyData message, and psycopg yields each."""
    with connection.cursor() as cursor:
        # The statement alone, as both of Django's cursors take it (CursorDebugWrapper.copy(statement) logs it).
        statement = _specification_copy_statement(cursor, invoice_id=invoice.pk, full_identity=full_identity)
        with cursor.copy(statement) as copy:
            blocks = iter(copy)
            try:
                for block in blocks:
                    yield bytes(block).decode("utf-8")
            except GeneratorExit:
                # Closed early (the client went away): read the rest rather than leave psycopg to cancel the COPY.
                # A cancel can arrive after the COPY has ended and cancel the next statement instead (the record of
                # what was read), and inside a transaction it would abort the transaction.
                for _block in blocks:
                    pass
                raise
