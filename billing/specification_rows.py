"""The specification's rows (fakturaunderlag), one per invoice line in line order, as every format of it shares them:
the machine CSV (``billing.documents``) and the PDF (``billing.specification_pdf``). Streamed from the database in
chunks, so memory stays flat however long the invoice."""

from collections.abc import Iterator

from django.utils import timezone

from billing.models import Invoice, InvoiceLine
from contacts.identifiers import mask_personal_identity

SPECIFICATION_COLUMNS = (
    "line_id",
    "contact_id",
    "external_id",
    "started_at",
    "profession",
    "category",
    "recommendation",
    "rate",
    "patient_fee",
    "amount",
    "care_unit",
    "patient_id",
    "home_region",
    "sex",
    "rejection_overridden",
)


def specification_rows(invoice: Invoice, *, full_identity: bool) -> Iterator[tuple]:
    """One tuple per line, in ``SPECIFICATION_COLUMNS`` order: amounts as ``435.00``, the time local and ISO to the
    minute, the personal identity number full or masked (``full_identity``)."""
    # The contact as billed, from the line itself (a credited contact may have been corrected since); its home
    # region is the invoice's buyer.
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
            "rate",
            "patient_fee",
            "amount",
            "care_unit",
            "patient_id",
            "invoice__buyer_id",
            "patient_sex",
            "overridden",
        )
    )
    for row in lines.iterator(chunk_size=2_000):
        (line_id, contact_id, external_id, started_at, profession, category, recommendation, rate, fee, amount,
         care_unit, patient_id, home_region, sex, overridden) = row  # fmt: skip
        yield (
            line_id,
            contact_id,
            external_id,
            timezone.localtime(started_at).isoformat(timespec="minutes"),
            profession,
            category,
            recommendation,
            f"{rate:.2f}",
            f"{fee:.2f}",
            f"{amount:.2f}",
            care_unit,
            patient_id if full_identity else mask_personal_identity(patient_id),
            home_region,
            sex,
            "yes" if overridden else "",
        )
