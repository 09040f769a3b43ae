"""The ledger over random sequences of steps and time (issue 14): a hypothesis state machine on PostgreSQL.

One seller (Sörmland, 04, two providers) bills two buyers (Norrbotten 25, Stockholm 01) on a simulated Stockholm
clock starting 15 January 2026. Each step is something a region does: providers send contacts (new ones, updates,
resends, corrections after a credit), invoicing runs (by hand or the schedule), submit, return, approve, the buyer's
objections accepted or dismissed, the seller's own credits (with or without invoicing again), mark sent, a
provider's contract ending, and the clock moving on (minutes, days, across months, deadlines, the objection window,
the new year). Every step calls the services as the screens and the API do; a refusal the product explains
(InvalidInput, StateConflict, NotAllowed) is a correct answer, anything else fails the test.

After every step the ledger must hold (``invariants``): per contact, billed minus credited is 0 or the amount of its
one live line, and credits never exceed what was billed; no contact on two live debits; no approved line whose
contact had lapsed on the approval date; invoice numbers gap-free per seller and year; specification ids unique;
every total equals its lines; an approved invoice never changes.

``make test`` runs a bounded number of sequences (``LEDGER_SEQUENCES``, default 25, of up to 40 steps); ``make soak``
runs far more and prints how many sequences and steps it tried.
"""

import datetime as dt
import os
import re
from collections import Counter, defaultdict
from decimal import Decimal

import pytest
import time_machine
from django.db import connection, transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from billing.deadline import deadline_cutoff
from billing.models import FROZEN_STATUSES, Invoice, InvoiceLine, InvoiceRun, RunStatus
from billing.runs import invoice_run_execute
from billing.services import (
    invoice_approve,
    invoice_credit,
    invoice_mark_sent,
    invoice_return,
    invoice_run_start,
    invoice_runs_start_scheduled,
    invoice_submit,
)
from contacts.intake import contacts_upsert
from contacts.models import Contact, Status
from contacts.services import contact_as_item
from disputes.services import dispute_open, dispute_resolve
from kernel.business_time import STOCKHOLM, add_months, stockholm_today
from kernel.errors import DomainError
from regions.models import Provider, Role
from regions.services import provider_update
from tests.factories import contact_item, personnummer

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the ledger's rules are proven on PostgreSQL"),
    pytest.mark.django_db,
]

START = dt.datetime(2026, 1, 15, 9, 0, tzinfo=STOCKHOLM)
SEQUENCES = int(os.environ.get("LEDGER_SEQUENCES", "25"))
STEPS = int(os.environ.get("LEDGER_STEPS", "40"))
PATIENTS = [personnummer("19850312", "238"), personnummer("19700101", "123"), personnummer("20010630", "482")]
BUYERS = ["25", "01"]
FEES = ["0.00", "100.00", "300.00"]
PROFESSIONS = ["LK", "PS", "SJ"]
NUMBER = re.compile(r"^(?P<seller>\d{2})-(?P<year>\d{4})-(?P<serial>\d{6})$")


class Tally:
    """What the machine tried, for ``make soak``'s report."""

    sequences = 0
    steps = 0
    refusals = 0
    done: Counter = Counter()  # steps the services carried out, by service
    refused: Counter = Counter()  # and those they refused, by service and refusal
    rebilled = 0  # sequences that billed a contact again after a credit (a line of billing round 1 or later)


def pick(items: list, index: int):
    return items[index % len(items)] if items else None


class Ledger(RuleBasedStateMachine):
    people: dict
    providers: list

    def __init__(self):
        super().__init__()
        Tally.sequences += 1
        self._atomic = transaction.atomic()
        self._atomic.__enter__()  # a savepoint: every sequence starts from the same reference data
        self._clock = time_machine.travel(START, tick=False)
        self.clock = self._clock.start()
        self.frozen: dict[int, tuple] = {}  # approved invoices as first seen: they never change
        self.seen: Counter = Counter()  # what there is to act on, counted by the invariant after each step
        self.people = {user.username: user for user in self.users}
        self.providers = list(Provider.objects.filter(region_id="04").order_by("pk"))

    def teardown(self):
        Tally.rebilled += InvoiceLine.objects.filter(credit=False, billing_round__gt=0).exists()
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)
        self._clock.stop()

    # --- Helpers ---------------------------------------------------------------------------------------------

    def _step(self, action, *args, **kwargs):
        """One step: the clock moves on five minutes; a refusal the product explains is a correct answer."""
        Tally.steps += 1
        self.clock.shift(dt.timedelta(minutes=5))
        try:
            with transaction.atomic():
                result = action(*args, **kwargs)
        except DomainError as refusal:
            Tally.refusals += 1
            Tally.refused[f"{action.__name__}: {type(refusal).__name__}"] += 1
            return None
        Tally.done[action.__name__] += 1
        return result

    def _invoices(self, **filters) -> list[Invoice]:
        return list(Invoice.objects.filter(seller_id="04", **filters).order_by("pk"))

    def _live_lines(self) -> list[InvoiceLine]:
        """Debit lines of approved invoices not credited (not even on a draft credit note)."""
        return list(
            InvoiceLine.objects.filter(credit=False, invoice__status__in=FROZEN_STATUSES, credit_lines__isnull=True)
            .select_related("invoice")
            .order_by("pk")
        )

    # --- Steps -----------------------------------------------------------------------------------------------

    CONTACTS = st.lists(
        st.fixed_dictionaries(
            {
                "external": st.integers(0, 29),
                "provider": st.integers(0, 1),
                "days_back": st.integers(0, 200),
                "minute": st.sampled_from([0, 0, 30]),
                "patient": st.integers(0, len(PATIENTS) - 1),
                "buyer": st.sampled_from(BUYERS),
                "fee": st.sampled_from(FEES),
                "profession": st.sampled_from(PROFESSIONS),
                "mode": st.sampled_from(["video", "video", "video", "phone"]),
            }
        ),
        min_size=1,
        max_size=6,
    )

    @initialize(sent=CONTACTS)
    def first_contacts(self, sent):
        """Every sequence starts with contacts to bill."""
        self.contacts_sent(sent)

    @rule(sent=CONTACTS)
    def contacts_sent(self, sent):
        """A provider's system sends contacts: new ones, updates of ones sent before, or the same again."""
        today = stockholm_today()
        items = []
        for facts in sent:
            day = today - dt.timedelta(days=facts["days_back"])
            started = dt.datetime(day.year, day.month, day.day, 10, facts["minute"], tzinfo=STOCKHOLM)
            items.append(
                contact_item(
                    provider=self.providers[facts["provider"]].hsa_id,
                    external_id=f"k{facts['external']}",
                    started_at=started.isoformat(),
                    patient_id=PATIENTS[facts["patient"]],
                    home_region=facts["buyer"],
                    patient_fee=facts["fee"],
                    profession=facts["profession"],
                    mode=facts["mode"],
                )
            )
        self._step(contacts_upsert, items=items, user=self.people["clerk04"], channel="api")

    @rule(index=st.integers(0, 50), fee=st.sampled_from(FEES), buyer=st.sampled_from(BUYERS))
    @precondition(lambda self: self.seen["credited"])
    def credited_contact_corrected(self, index, fee, buyer):
        """The seller corrects a contact credited for a correctable reason, to have it invoiced again."""
        contact = pick(list(Contact.objects.filter(status=Status.CREDITED).order_by("pk")), index)
        if contact is not None:
            item = {**contact_as_item(contact), "patient_fee": fee, "home_region": buyer}
            self._step(contacts_upsert, items=[item], user=self.people["clerk04"], channel="csv")

    @rule(months_back=st.integers(1, 7))
    def run_by_hand(self, months_back):
        period = f"{add_months(stockholm_today(), -months_back):%Y-%m}"
        run = self._step(invoice_run_start, billing_region="04", period=period, by=self.people["clerk04"], via="admin")
        if run is not None:
            self._execute(run)

    @rule()
    def scheduled_runs(self):
        started = self._step(invoice_runs_start_scheduled, today=stockholm_today()) or []
        for run in InvoiceRun.objects.filter(pk__in=started).order_by("pk"):
            self._execute(run)

    def _execute(self, run: InvoiceRun) -> None:
        Tally.steps += 1
        run = invoice_run_execute(run=run)
        assert run.status == RunStatus.SUCCEEDED, (run.period, run.status, run.error)

    @rule(index=st.integers(0, 50))
    @precondition(lambda self: self.seen["draft"])
    def submit(self, index):
        invoice = pick(self._invoices(status="draft"), index)
        if invoice is not None:
            self._step(invoice_submit, invoice=invoice, by=self.people["clerk04"])

    @rule(index=st.integers(0, 50))
    @precondition(lambda self: self.seen["submitted"])
    def returned(self, index):
        invoice = pick(self._invoices(status="submitted"), index)
        if invoice is not None:
            self._step(invoice_return, invoice=invoice, by=self.people["manager04"], note="Kontrollera")

    @rule(index=st.integers(0, 50), approver=st.sampled_from(["manager04", "manager04b", "clerk04"]))
    @precondition(lambda self: self.seen["submitted"])
    def approve(self, index, approver):
        invoice = pick(self._invoices(status="submitted"), index)
        if invoice is not None:
            self._step(invoice_approve, invoice=invoice, by=self.people[approver])

    @precondition(lambda self: self.seen["draft"])
    @rule(index=st.integers(0, 50))
    def submitted_and_approved(self, index):
        """The usual path: the clerk submits a draft and a manager approves it."""
        invoice = pick(self._invoices(status="draft"), index)
        if self._step(invoice_submit, invoice=invoice, by=self.people["clerk04"]) is not None:
            self._step(invoice_approve, invoice=invoice, by=self.people["manager04"])

    @rule(index=st.integers(0, 50))
    @precondition(lambda self: self.seen["approved"])
    def sent(self, index):
        invoice = pick(self._invoices(status="approved"), index)
        if invoice is not None:
            self._step(invoice_mark_sent, invoice=invoice, by=self.people["manager04"])

    @rule(
        index=st.integers(0, 50),
        accept=st.booleans(),
        reason=st.integers(1, 9),
        credited_too=st.booleans(),
    )
    @precondition(lambda self: self.seen["live"] or self.seen["credited"])
    def objection(self, index, accept, reason, credited_too):
        """The buyer objects to a billed contact (or, now and then, to one already credited); the seller decides."""
        if credited_too:
            credited = Contact.objects.filter(invoice_lines__credit=True).order_by("pk")
            contact = pick(list(credited), index)
        else:
            line = pick(self._live_lines(), index)
            contact = line.contact if line else None
        if contact is None:
            return
        buyer = self.people[f"clerk{contact.home_region_id}"]
        dispute = self._step(dispute_open, contact=contact, by=buyer, reason="Vi bestrider kontakten")
        if dispute is not None:
            self._step(
                dispute_resolve,
                dispute=dispute,
                by=self.people["clerk04"],
                outcome="accepted" if accept else "dismissed",
                note="Beslut",
                credit_reason=reason if accept else None,
            )

    @rule(
        index=st.integers(0, 50),
        reason=st.integers(1, 9),
        rebill=st.booleans(),
        correction=st.sampled_from([{}, {"patient_fee": "0.00"}, {"home_region": "01"}, {"home_region": "25"}]),
    )
    @precondition(lambda self: self.seen["live"])
    def seller_credit(self, index, reason, rebill, correction):
        """The seller credits a contact of its approved invoice, and perhaps has it invoiced again corrected."""
        line = pick(self._live_lines(), index)
        if line is not None:
            self._step(
                invoice_credit,
                invoice=line.invoice,
                contact_ids=[line.contact_id],
                reason=reason,
                note="Egen rättelse",
                by=self.people["clerk04"],
                via="api",
                rebill=rebill,
                correction=correction if rebill else {},
            )

    @rule(
        index=st.integers(0, 50),
        reason=st.integers(1, 4),
        correction=st.sampled_from([{}, {"patient_fee": "0.00"}, {"home_region": "01"}, {"home_region": "25"}]),
    )
    @precondition(lambda self: self.seen["live"])
    def seller_credit_and_invoice_again(self, index, reason, correction):
        """The seller's "credit and invoice again" carried through: credit note made, submitted and approved by
        another, the correction applied; a later run bills the contact again."""
        line = pick(self._live_lines(), index)
        if line is None:
            return
        credit_note = self._step(
            invoice_credit,
            invoice=line.invoice,
            contact_ids=[line.contact_id],
            reason=reason,
            note="Kreditera och fakturera igen",
            by=self.people["clerk04"],
            via="admin",
            rebill=True,
            correction=correction,
        )
        if credit_note is not None and self._step(invoice_submit, invoice=credit_note, by=self.people["clerk04"]):
            self._step(invoice_approve, invoice=credit_note, by=self.people["manager04b"])

    @rule(provider=st.integers(0, 1), active=st.booleans(), now=st.integers(0, 3))
    def contract_changes(self, provider, active, now):
        """Now and then (one draw in four) a provider's contract ends today, or is taken up again."""
        if now:
            return
        stored = self.providers[provider]
        self._step(
            provider_update,
            provider=Provider.objects.get(pk=stored.pk),
            name=stored.name,
            org_number=stored.org_number,
            region_code="04",
            active=active,
            ended_on=None if active else stockholm_today(),
        )

    @rule(days=st.sampled_from([1, 3, 10, 17, 31, 1, 45, 95, 184]))
    def time_passes(self, days):
        """Across month ends, the tenth of a month, invoicing deadlines, objection windows and the new year."""
        self.clock.shift(dt.timedelta(days=days))

    # --- What must always hold -----------------------------------------------------------------------------

    @invariant()
    def the_ledger_holds(self):
        lines = list(
            InvoiceLine.objects.values(
                "id",
                "contact_id",
                "credit",
                "credited_line_id",
                "amount",
                "started_at",
                "invoice_id",
                "invoice__status",
                "invoice__kind",
                "invoice__issue_date",
            )
        )
        frozen_credit_of = {
            line["credited_line_id"]: line
            for line in lines
            if line["credit"] and line["invoice__status"] in FROZEN_STATUSES
        }
        credits_of = defaultdict(list)
        for line in lines:
            if line["credit"]:
                credits_of[line["credited_line_id"]].append(line)
        by_id = {line["id"]: line for line in lines}
        per_contact = defaultdict(list)
        for line in lines:
            per_contact[line["contact_id"]].append(line)

        for contact_id, contact_lines in per_contact.items():
            debits = [line for line in contact_lines if not line["credit"]]
            frozen_debits = [line for line in debits if line["invoice__status"] in FROZEN_STATUSES]
            billed = sum((line["amount"] for line in frozen_debits), Decimal(0))
            credited = -sum(
                (
                    line["amount"]
                    for line in contact_lines
                    if line["credit"] and line["invoice__status"] in FROZEN_STATUSES
                ),
                Decimal(0),
            )
            live = [line for line in frozen_debits if line["id"] not in frozen_credit_of]
            assert len(live) <= 1, (contact_id, live)
            assert billed - credited == (live[0]["amount"] if live else Decimal(0)), (contact_id, billed, credited)
            # Credits, approved or not, never exceed what was billed.
            all_credits = -sum((line["amount"] for line in contact_lines if line["credit"]), Decimal(0))
            assert all_credits <= billed, (contact_id, all_credits, billed)
            # No contact on two live debit lines, whatever their invoices' status.
            uncredited = [line for line in debits if line["id"] not in frozen_credit_of]
            assert len(uncredited) <= 1, (contact_id, uncredited)

        for debit_id, credits in credits_of.items():
            assert len(credits) == 1, (debit_id, credits)
            debit = by_id[debit_id]
            assert debit["invoice__status"] in FROZEN_STATUSES and not debit["credit"]
            assert credits[0]["amount"] == -debit["amount"] and credits[0]["contact_id"] == debit["contact_id"]

        for line in lines:
            if not line["credit"] and line["invoice__status"] in FROZEN_STATUSES:
                cutoff = deadline_cutoff(line["invoice__issue_date"])
                assert line["started_at"] >= cutoff, ("lapsed when approved", line)

        invoices = list(Invoice.objects.order_by("pk"))
        totals = defaultdict(lambda: [Decimal(0), 0])
        for line in lines:
            totals[line["invoice_id"]][0] += line["amount"]
            totals[line["invoice_id"]][1] += 1
        serials = defaultdict(list)
        specification_ids = []
        for invoice in invoices:
            total, count = totals[invoice.pk]
            assert (invoice.total, invoice.contact_count) == (total, count), invoice.pk
            if invoice.status in FROZEN_STATUSES:
                number = NUMBER.match(invoice.number)
                assert number and number["seller"] == invoice.seller_id, invoice.number
                assert int(number["year"]) == invoice.issue_date.year
                serials[(invoice.seller_id, number["year"])].append(int(number["serial"]))
                specification_ids.append(invoice.specification_id)
                state = (
                    invoice.number,
                    invoice.specification_id,
                    invoice.issue_date,
                    invoice.total,
                    invoice.contact_count,
                    tuple(sorted((line["id"], line["amount"]) for line in lines if line["invoice_id"] == invoice.pk)),
                )
                assert self.frozen.setdefault(invoice.pk, state) == state, ("an approved invoice changed", invoice.pk)
            else:
                assert not invoice.number and not invoice.specification_id, invoice.pk
        for key, numbers in serials.items():
            assert sorted(numbers) == list(range(1, len(numbers) + 1)), (key, sorted(numbers))
        assert len(specification_ids) == len(set(specification_ids))

        credited_lines = {line["credited_line_id"] for line in lines if line["credit"]}
        self.seen = Counter(invoice.status for invoice in invoices)
        self.seen["live"] = sum(
            1
            for line in lines
            if not line["credit"] and line["invoice__status"] in FROZEN_STATUSES and line["id"] not in credited_lines
        )
        self.seen["credited"] = Contact.objects.filter(status=Status.CREDITED).count()
        assert set(self.frozen) <= {invoice.pk for invoice in invoices if invoice.status in FROZEN_STATUSES}


def test_the_ledger_holds_over_any_sequence_of_steps_and_time(make_user, providers):
    users = [
        make_user(Role.CLERK, "04", username="clerk04"),
        make_user(Role.MANAGER, "04", username="manager04"),
        make_user(Role.MANAGER, "04", username="manager04b"),
        make_user(Role.CLERK, "25", username="clerk25"),
        make_user(Role.CLERK, "01", username="clerk01"),
    ]
    Ledger.users = users
    Tally.sequences = Tally.steps = Tally.refusals = Tally.rebilled = 0
    Tally.done, Tally.refused = Counter(), Counter()

    run_state_machine_as_test(
        Ledger,
        settings=settings(
            max_examples=SEQUENCES,
            stateful_step_count=STEPS,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            database=None,  # nothing written into the working tree; a failure prints its steps to reproduce
            # CI tries the same sequences each time (a submission is never held up by a new draw); elsewhere each
            # run draws new ones, and make soak many more.
            derandomize=os.environ.get("CI") == "true",
        ),
    )

    print(
        f"\nledger state machine: {Tally.sequences} sequences, {Tally.steps} steps "
        f"({Tally.refusals} refused with a reason; {Tally.rebilled} billed a contact again after a credit)"
        f"\n  done: {dict(sorted(Tally.done.items()))}"
        f"\n  refused: {dict(sorted(Tally.refused.items()))}"
    )
    assert Tally.steps > 0
