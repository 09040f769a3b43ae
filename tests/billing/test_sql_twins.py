"""Rules written twice, once in the ORM and once in raw SQL, select and produce the same rows (issue 21).

- Unbilled contacts: ``billing.runs.unbilled_contacts`` (the ORM: which buyers get a draft) and the run's INSERT …
  SELECT (``billing.runs.LINES_SELECT_SQL``: which contacts get a line), and the schedule's
  ``billing.services.unbilled_periods``; on SQLite and PostgreSQL.
- The load bench's check after its quiet run (``bench/load.py``): no twin, the run's own rule
  (``bench.load.unbilled_count`` reads ``unbilled_contacts``); its former SQL copy missed a credited contact
  released to be invoiced again (a line of an earlier billing round is no line of the current one).
- The specification CSV: Python's writer (``_specification_csv_python``: the formula guard, the neutralising of
  invisible characters, the masking of identity numbers) and PostgreSQL's COPY (``SPECIFICATION_COPY``).
"""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import connection, transaction

from bench import load
from billing import documents
from billing.models import Invoice, InvoiceKind, InvoiceLine, InvoiceStatus
from billing.runs import LINES_SELECT_SQL, unbilled_contacts
from billing.services import invoice_approve, invoice_credit, invoice_submit, unbilled_periods
from contacts.intake import contacts_upsert
from contacts.models import Contact
from contacts.services import contacts_mark_lapsed, contacts_reevaluate
from kernel.business_time import period_bounds
from kernel.history import Via
from regions.models import Region
from tests.billing.conftest import run_now
from tests.factories import contact_item

pytestmark = pytest.mark.django_db


def contact(external_id: str) -> Contact:
    return Contact.objects.get(external_id=external_id)


def approve(invoice: Invoice, staff) -> Invoice:
    invoice_submit(invoice=invoice, by=staff["clerk04"])
    return invoice_approve(invoice=invoice, by=staff["manager04"])


def sql_unbilled(seller: str, period: str) -> set[int]:
    """The contacts the run's INSERT … SELECT gives a line, with a draft for every buyer (as the run creates them
    before it), all rolled back."""
    start, end = (connection.ops.adapt_datetimefield_value(moment) for moment in period_bounds(period))
    with transaction.atomic():
        for buyer in Region.objects.exclude(code=seller).values_list("code", flat=True):
            Invoice.objects.get_or_create(
                seller_id=seller, buyer_id=buyer, period=period, kind=InvoiceKind.INVOICE, status=InvoiceStatus.DRAFT
            )
        with connection.cursor() as cursor:
            cursor.execute(
                LINES_SELECT_SQL, {"false": False, "period": period, "seller": seller, "start": start, "end": end}
            )
            selected = {row[1] for row in cursor.fetchall()}
        transaction.set_rollback(True)
    return selected


def orm_unbilled(seller: str, period: str) -> set[int]:
    return set(unbilled_contacts(seller, period).values_list("pk", flat=True))


@pytest.fixture
def billed_over_time(january, staff, providers):
    """January 2026 billed by Sörmland (04) through every state a contact can be in at a run:

    lk-29, sj-31 invoiced (approved, locked); lk-30 credited for a wrong price and released to be invoiced again (its
    second billing round, on no invoice of it yet); ps-30 credited for good; lk-01 on a draft (billed in its round);
    phone rejected (not digital) and overridden by an accepted dispute (eligible); late lapsed (the invoicing deadline)
    and overridden afterwards (it stays rejected); feb 1 February in Stockholm (31 January in UTC).
    """
    late = contact_item(
        provider=providers["04a"].hsa_id, external_id="late", started_at="2026-01-03T09:00:00+01:00", home_region="01"
    )
    assert contacts_upsert(items=[late], user=staff["clerk04"], channel="api").errors == []
    run_now()
    invoice = approve(Invoice.objects.get(buyer_id="25", kind=InvoiceKind.INVOICE), staff)
    for external_id, rebill in (("lk-30", True), ("ps-30", False)):
        credit_note = invoice_credit(
            invoice=invoice,
            contact_ids=[contact(external_id).pk],
            reason=2,
            note="Fel pris",
            by=staff["clerk04"],
            via=Via.API,
            rebill=rebill,
            correction={"patient_fee": "0.00"} if rebill else None,
        )
        approve(credit_note, staff)
    Contact.objects.filter(external_id="phone").update(overridden=True)
    contacts_reevaluate(contact_ids=[contact("phone").pk])
    lapsed = contact("late")
    InvoiceLine.objects.filter(contact=lapsed).delete()  # a draft's line: the next run leaves it off
    contacts_mark_lapsed(contact_ids=[lapsed.pk], on=dt.date(2026, 2, 10))
    Contact.objects.filter(pk=lapsed.pk).update(overridden=True)
    contacts_reevaluate(contact_ids=[lapsed.pk])


def test_the_states_are_what_the_twins_are_asked_about(billed_over_time):
    states = {c.external_id: (c.status, c.billing_round, c.locked, c.overridden) for c in Contact.objects.all()}

    assert states == {
        "lk-29": ("invoiced", 0, True, False),
        "lk-30": ("eligible", 1, False, False),
        "ps-30": ("credited", 1, False, False),
        "sj-31": ("invoiced", 0, True, False),
        "phone": ("eligible", 0, False, True),
        "lk-01": ("eligible", 0, False, False),
        "late": ("rejected", 0, False, True),
        "feb": ("eligible", 0, False, False),
    }
    assert InvoiceLine.objects.filter(contact=contact("lk-30")).count() == 2  # billed and credited in round 0


@pytest.mark.parametrize(
    ("seller", "period", "expected"),
    [
        ("04", "2026-01", ["lk-30", "phone"]),
        ("04", "2026-02", ["feb"]),
        ("04", "2025-12", []),
        ("25", "2026-01", []),
    ],
)
def test_the_orm_and_the_runs_sql_select_the_same_unbilled_contacts(billed_over_time, seller, period, expected):
    orm = orm_unbilled(seller, period)

    assert orm == sql_unbilled(seller, period)
    assert sorted(Contact.objects.filter(pk__in=orm).values_list("external_id", flat=True)) == expected


@pytest.mark.parametrize(
    ("seller", "period", "expected"),
    [
        ("04", "2026-01", 2),  # lk-30 (credited, its second billing round) and phone (overridden)
        ("04", "2026-02", 1),
        ("04", "2025-12", 0),
        ("25", "2026-01", 0),
    ],
)
def test_the_load_benchs_check_counts_the_contacts_the_run_calls_unbilled(
    billed_over_time, capsys, seller, period, expected
):
    # The script the bench runs in ``manage.py shell`` against its database, here in this one
    exec(load.UNBILLED_SCRIPT.format(seller=seller, period=period))

    counted = int(capsys.readouterr().out.strip().splitlines()[-1])
    assert counted == expected == len(orm_unbilled(seller, period))


def test_after_a_run_the_load_benchs_check_finds_nothing_unbilled(billed_over_time):
    before = load.unbilled_count("04", "2026-01")

    run_now()

    assert (before, load.unbilled_count("04", "2026-01")) == (2, 0)


def test_a_run_bills_exactly_the_contacts_the_orm_calls_unbilled(billed_over_time):
    unbilled = orm_unbilled("04", "2026-01")
    on_drafts = set(InvoiceLine.objects.filter(invoice__status="draft").values_list("contact_id", flat=True))

    run_now()

    lines = InvoiceLine.objects.filter(invoice__status="draft", invoice__period="2026-01", credit=False)
    assert set(lines.values_list("contact_id", flat=True)) == unbilled | on_drafts
    assert orm_unbilled("04", "2026-01") == sql_unbilled("04", "2026-01") == set()
    rebilled = lines.get(contact__external_id="lk-30")
    assert (rebilled.billing_round, rebilled.amount) == (1, Decimal("435.00"))


def test_the_schedule_finds_the_periods_with_unbilled_contacts_as_the_runs_select_them(billed_over_time):
    periods = {("04", "2025-12"), ("04", "2026-01"), ("04", "2026-02"), ("25", "2026-01"), ("25", "2026-02")}

    found = unbilled_periods(today=dt.date(2026, 3, 10))

    assert found == [("04", "2026-01"), ("04", "2026-02")]
    assert set(found) == {(seller, period) for seller, period in periods if orm_unbilled(seller, period)}


# --- The specification CSV: Python's writer and PostgreSQL's COPY ----------------------------------------------------

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's COPY writes the CSV there")

# Values planted underneath intake (as rows stored before intake refused them would be), four lines at a time.
EXTERNAL_IDS = [
    "=1+1",
    "+46701234567",
    "-5",
    "@SUM(A1)",
    "\tTAB",
    "\rCR",
    "\n=x",
    "\u200b=x",
    "'=quoted",
    "a;b",
    'say "hi"',
    "",
    "\u2028",
    "\u202e=1",
    "==",
    "é=",
    "\U000e0041x",
    "\x7f",
    "\u00ad-",
    "\ufeff=1",
]
CARE_UNITS = [
    "=cmd|' /C calc'!A0",
    "-",
    "",
    "+\u2066x",
    "@",
    ";",
    '"',
    "\t",
    "SE2321000032-E1",
    "\u061c=",
    "x\r\ny",
    "ok",
]
PROFESSIONS = ["=1", "+", "-", "@", "\t1", "\u200b", ";", '"', "LK", "", "\r", "ps"]
CATEGORIES = ["=HYPERLINK()", "-", "\u202e", "physician", "", "@x", "a;b", '"q"']
PATIENT_IDS = [
    "198503122387",
    "19850312238",
    "19850312-238",
    "\u0661\u0669\u0668\u0665\u0660\u0663\u0661\u0662\u0662\u0663\u0668\u0667",  # Arabic-Indic digits
    "=98503122387",
    "\u200b19850312238",
    "",
    "abcdefghijkl",
    "１９８５０３１２２３８７",  # full-width digits
    "200001019876",
    "1985031223 7",
    "19850312238\u202e",
]


def _csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""), delimiter=";"))


def _both(invoice: Invoice, *, full_identity: bool) -> tuple[list[list[str]], list[list[str]]]:
    copy = "".join(documents._specification_csv_copy(invoice, full_identity=full_identity))
    python = "".join(documents._specification_csv_python(invoice, full_identity=full_identity))
    return _csv_rows(copy), _csv_rows(python)


def _cycle(values: list[str], count: int, offset: int) -> list[str]:
    return [values[(offset + index) % len(values)] for index in range(count)]


@on_postgresql
def test_postgresql_and_python_write_the_same_specification_rows_for_hostile_values(january):
    run_now()
    invoice = Invoice.objects.get(buyer_id="25")
    line_ids = list(invoice.lines.order_by("pk").values_list("pk", flat=True))
    compared = 0
    for offset in range(0, len(EXTERNAL_IDS), len(line_ids)):
        for line_id, external_id, care_unit, profession, category, patient_id in zip(
            line_ids,
            _cycle(EXTERNAL_IDS, len(line_ids), offset),
            _cycle(CARE_UNITS, len(line_ids), offset),
            _cycle(PROFESSIONS, len(line_ids), offset),
            _cycle(CATEGORIES, len(line_ids), offset),
            _cycle(PATIENT_IDS, len(line_ids), offset),
            strict=True,
        ):
            InvoiceLine.objects.filter(pk=line_id).update(
                external_id=external_id,
                care_unit=care_unit,
                profession=profession,
                category=category,
                patient_id=patient_id,
                overridden=offset % 8 == 0,
            )
        for full_identity in (False, True):
            copy_rows, python_rows = _both(invoice, full_identity=full_identity)
            assert copy_rows == python_rows, (offset, full_identity)
            assert len(copy_rows) == len(line_ids)
            compared += len(copy_rows)
    assert compared == 2 * len(EXTERNAL_IDS)


@on_postgresql
def test_both_guard_formulas_and_mask_alike_cell_by_cell(january):
    run_now()
    invoice = Invoice.objects.get(buyer_id="25")
    first, second, *_rest = invoice.lines.order_by("pk")
    InvoiceLine.objects.filter(pk=first.pk).update(external_id="=1+1", care_unit="\u200b-1", patient_id="19850312-238")
    InvoiceLine.objects.filter(pk=second.pk).update(external_id="\tx", care_unit="@A1", patient_id="198503122387")

    masked, python_masked = _both(invoice, full_identity=False)
    full, python_full = _both(invoice, full_identity=True)

    assert masked == python_masked
    assert full == python_full
    # external id, care unit, personal identity: guarded, neutralised after the guard, masked (completely when the
    # stored value is not 12 digits)
    assert [(row[2], row[10], row[11]) for row in masked[:2]] == [
        ("'=1+1", "\ufffd-1", "********-****"),
        ("'\ufffdx", "'@A1", "19850312-****"),
    ]
    assert [row[11] for row in full[:2]] == ["19850312-238", "198503122387"]
