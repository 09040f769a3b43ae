import pytest

from billing.models import Invoice
from billing.services import invoice_approve, invoice_submit
from tests.billing.conftest import january, run_now, staff  # noqa: F401 (shared fixtures)


@pytest.fixture
def approved(january, staff):  # noqa: F811 (the shared fixtures above)
    """January's invoice from Sörmland (04) to Norrbotten (25), approved: 04-2026-000001, 1 140,00 kr."""
    run_now()
    invoice = Invoice.objects.get(buyer_id="25")
    invoice_submit(invoice=invoice, by=staff["clerk04"])
    return invoice_approve(invoice=invoice, by=staff["manager04"])
