"""How invoices and runs read to a person: names instead of ids (the admin and the start page share these)."""

from django.utils.html import format_html
from django.utils.translation import gettext

from billing.models import Invoice, InvoiceKind, InvoiceRun


def invoice_label(invoice: Invoice) -> str:
    """An approved invoice is its number; before that it has none, so it is named by its buyer and period:
    ``04-2026-000001``, ``Utkast till Region Norrbotten, 2026-11``, ``Kreditfaktura till Region Norrbotten, 2026-11``.

    Reads ``invoice.buyer`` (select it with the invoice)."""
    if invoice.number:
        return invoice.number
    if invoice.kind == InvoiceKind.CREDIT_NOTE:
        text = gettext("Credit note to %(buyer)s, %(period)s")
    else:
        text = gettext("Invoice to %(buyer)s, %(period)s")
    return text % {"buyer": invoice.buyer.name, "period": invoice.period}


def progress_bar(run: InvoiceRun) -> str:
    """The run's progress as a ``<progress>`` bar with its percentage (no style attribute: the CSP allows none)."""
    return format_html('<progress max="100" value="{}">{} %</progress> {} %', run.progress, run.progress, run.progress)
