"""The review of a received invoice as the buyer's staff read it: the flagged lines with their reasons (identity
numbers masked on the screen), and the same lines exported as CSV (semicolons, UTF-8 with a byte-order mark,
guarded against formulas, as ``billing.specification_sv``) and XLSX (``kernel.xlsx``), full numbers in an export
only for those who see them on the invoice, each such export recorded in the identity-read log."""

import csv
from collections.abc import Iterator
from dataclasses import dataclass

from django.utils.translation import gettext, pgettext_lazy

from billing.documents import safe_cell
from billing.models import CreditReason, InvoiceLine
from billing.objection_window import objection_deadline
from billing.permissions import sees_full_identity_on_invoice
from billing.specification_sv import swedish_amount
from contacts.audit.models import ReadVia
from contacts.audit.services import identity_reads_record
from contacts.identifiers import mask_personal_identity
from disputes.permissions import can_object_for
from kernel import xlsx
from kernel.business_time import stockholm_date, stockholm_today
from kernel.text import neutralise
from review.flags import FLAGS
from review.selectors import InvoiceReview, LineFlag

LINES_PER_PAGE = 200

EXPORT_COLUMNS = (
    (pgettext_lazy("review export column", "Line"), xlsx.ID),
    (pgettext_lazy("review export column", "External id"), xlsx.TEXT),
    (pgettext_lazy("review export column", "Date"), xlsx.DATE),
    (pgettext_lazy("review export column", "Personal identity number"), xlsx.TEXT),
    (pgettext_lazy("review export column", "Rate (kr)"), xlsx.MONEY),
    (pgettext_lazy("review export column", "Recommended rate (kr)"), xlsx.MONEY),
    (pgettext_lazy("review export column", "Amount (kr)"), xlsx.MONEY),
    (pgettext_lazy("review export column", "Flags"), xlsx.TEXT),
    (pgettext_lazy("review export column", "Credit reasons"), xlsx.TEXT),
    (pgettext_lazy("review export column", "Explanations"), xlsx.TEXT),
)


def may_object(user, invoice) -> bool:
    """Whether the screen offers the bulk objection: the buyer's clerks and managers, on an approved invoice, within
    the objection period (the disputes' rules; ``dispute_open`` decides again for each line)."""
    if not invoice.is_frozen or not can_object_for(user, invoice.buyer_id):
        return False
    return stockholm_today() <= objection_deadline(invoice)


def selected_flag(value: str | None) -> str | None:
    """The flag asked for in the query string (``?flag=listed``); anything else means every flagged line."""
    return value if value in FLAGS else None


def flagged_lines(review: InvoiceReview, flag: str | None):
    return review.flagged_lines(flag).order_by("pk")


@dataclass(frozen=True)
class ReviewRow:
    line: InvoiceLine
    date: str
    patient: str
    flags: list[LineFlag]


def review_rows(review: InvoiceReview, lines) -> list[ReviewRow]:
    """The screen's rows of ``lines`` (annotated lines of ``review``): masked numbers, each flag's reasons."""
    return [
        ReviewRow(
            line=line,
            date=line.care_day.isoformat(),
            patient=mask_personal_identity(line.patient_id),
            flags=review.flags_of(line),
        )
        for line in lines
    ]


def credit_reason_label(code: int) -> str:
    return f"{code} {CreditReason(code).label}"


def _export_values(review: InvoiceReview, flag: str | None, *, full_identity: bool) -> Iterator[list]:
    for line in flagged_lines(review, flag).iterator(chunk_size=2_000):
        flags = review.flags_of(line)
        yield [
            line.pk,
            line.external_id,
            stockholm_date(line.started_at),
            line.patient_id if full_identity else mask_personal_identity(line.patient_id),
            line.rate,
            line.expected_rate,
            line.amount,
            ", ".join(str(item.flag.label) for item in flags),
            ", ".join(credit_reason_label(item.credit_reason) for item in flags),
            " ".join(item.explanation for item in flags),
        ]


def _log_export(request, review: InvoiceReview, flag: str | None, via: str) -> bool:
    """Whether the export holds full numbers; if so, the read is recorded (the invoice and its number of lines)."""
    if not sees_full_identity_on_invoice(request.user, review.invoice):
        return False
    count = flagged_lines(review, flag).count()
    identity_reads_record(user=request.user, path=request.path, documents=[(review.invoice.pk, count, via)])
    return True


class _Echo:
    def write(self, value: str) -> str:
        return value


def review_csv(request, review: InvoiceReview, flag: str | None) -> Iterator[str]:
    """The flagged lines as CSV for Swedish Excel; the read of full numbers recorded before the first row."""
    full_identity = _log_export(request, review, flag, ReadVia.CSV_SPECIFICATION)
    headings = [str(label) for label, _kind in EXPORT_COLUMNS]
    writer = csv.writer(_Echo(), delimiter=";", lineterminator="\r\n")

    def rows() -> Iterator[str]:
        yield "\ufeff" + writer.writerow(headings)
        for values in _export_values(review, flag, full_identity=full_identity):
            line_id, external_id, day, patient, rate, expected, amount, *texts = values
            yield writer.writerow(
                [
                    line_id,
                    neutralise(safe_cell(external_id)),
                    day.isoformat(),
                    patient,
                    swedish_amount(rate),
                    swedish_amount(expected) if expected is not None else "",
                    swedish_amount(amount),
                    *(neutralise(safe_cell(text)) for text in texts),
                ]
            )

    return rows()


def review_xlsx(request, review: InvoiceReview, flag: str | None):
    """The flagged lines as an XLSX sheet (amounts as numbers, the date a date cell, text never a formula)."""
    full_identity = _log_export(request, review, flag, ReadVia.XLSX_SPECIFICATION)
    columns = [xlsx.XlsxColumn(str(label), kind) for label, kind in EXPORT_COLUMNS]
    response, _count = xlsx.xlsx_response(
        filename=f"granskning-{review.invoice.number or review.invoice.pk}.xlsx",
        title=gettext("Review"),
        columns=columns,
        rows=_export_values(review, flag, full_identity=full_identity),
    )
    return response
