"""The seller's bulk decision (disputes.bulk): many objections accepted or dismissed at once, every check of the
single decision applied to each case and each refusal reported, the accepted lines of one invoice and credit reason
on ONE draft credit note, which then goes through submit and approval like any invoice."""

import re
import threading
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from billing.models import Invoice, InvoiceEvent, InvoiceLine
from billing.services import invoice_approve, invoice_credit, invoice_submit
from contacts.models import Contact
from disputes.bulk import DECISION_CHUNK, objections_decide_bulk, objections_decide_preview
from disputes.models import Dispute, DisputeEvent
from disputes.services import dispute_open, dispute_resolve
from kernel.errors import InvalidInput
from regions.models import Role
from tests.billing.conftest import run_now

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk01(make_user):
    return make_user(Role.CLERK, "01", username="clerk01")


@pytest.fixture
def both_approved(january, staff):
    """January's run with both invoices approved: to Norrbotten (25) lk-29 400, lk-30 335, ps-30 405, sj-31 0 kr;
    to Stockholm (01) lk-01 500 kr."""
    run_now()
    approved = {}
    for buyer in ("25", "01"):
        invoice = invoice_submit(invoice=Invoice.objects.get(buyer_id=buyer), by=staff["clerk04"])
        approved[buyer] = invoice_approve(invoice=invoice, by=staff["manager04b"])
    return approved


def _object(external_id: str, by, proposed: int | None) -> Dispute:
    contact = Contact.objects.get(external_id=external_id)
    return dispute_open(contact=contact, by=by, reason=f"Invändning mot {external_id}", proposed_credit_reason=proposed)


@pytest.fixture
def objections(both_approved, staff, clerk01):
    """Norrbotten objects to its four lines, proposing reason 1 (lk-29, ps-30) and 7 (lk-30, sj-31); Stockholm to
    lk-01, proposing 5."""
    return {
        "lk-29": _object("lk-29", staff["clerk25"], 1),
        "ps-30": _object("ps-30", staff["clerk25"], 1),
        "lk-30": _object("lk-30", staff["clerk25"], 7),
        "sj-31": _object("sj-31", staff["clerk25"], 7),
        "lk-01": _object("lk-01", clerk01, 5),
    }


def _ids(cases) -> list[int]:
    return [case.pk for case in cases]


def _results(outcomes) -> list[tuple]:
    return [(o.id, o.refused.code if o.refused else "done") for o in outcomes]


def test_accepting_lands_the_lines_of_one_invoice_and_reason_on_one_credit_note(objections, both_approved, staff):
    outcomes = objections_decide_bulk(
        dispute_ids=_ids(objections.values()), by=staff["clerk04"], outcome="accepted", note="Godtas efter granskning"
    )

    assert [o.done for o in outcomes] == [True] * 5
    notes = Invoice.objects.filter(kind="credit_note").order_by("buyer_id", "credit_reason")
    assert [(note.credits_id, note.credit_reason, note.status, note.contact_count, note.total) for note in notes] == [
        (both_approved["01"].pk, 5, "draft", 1, Decimal("-500.00")),
        (both_approved["25"].pk, 1, "draft", 2, Decimal("-805.00")),
        (both_approved["25"].pk, 7, "draft", 2, Decimal("-335.00")),
    ]
    by_reason = {note.credit_reason: note for note in notes}
    assert sorted(by_reason[1].lines.values_list("external_id", "amount")) == [
        ("lk-29", Decimal("-400.00")),
        ("ps-30", Decimal("-405.00")),
    ]
    assert sorted(by_reason[7].lines.values_list("external_id", "amount")) == [
        ("lk-30", Decimal("-335.00")),
        ("sj-31", Decimal("0.00")),
    ]
    lk29 = Dispute.objects.get(pk=objections["lk-29"].pk)
    assert (lk29.status, lk29.decided_by, lk29.decision_note, lk29.credit_reason, lk29.credit_note) == (
        "accepted",
        staff["clerk04"],
        "Godtas efter granskning",
        1,
        by_reason[1],
    )
    event = DisputeEvent.objects.get(dispute=lk29, action="accepted")
    assert (event.actor, event.via, event.note, event.changes) == (
        staff["clerk04"],
        "bulk",
        "Godtas efter granskning",
        {"status": ["open", "accepted"], "credit_note": [None, by_reason[1].pk], "credit_reason": [None, 1]},
    )
    created = InvoiceEvent.objects.get(invoice=by_reason[1])
    assert (created.action, created.actor, created.via, created.changes["total"]) == (
        "created",
        staff["clerk04"],
        "bulk",
        [None, "-805.00"],
    )
    assert created.note == "Godtagna invändningar (2 kontakter, beslutade tillsammans): Godtas efter granskning"


def test_a_chosen_credit_reason_overrides_the_proposed_one_and_a_later_decision_adds_to_the_same_draft(
    objections, both_approved, staff
):
    first = objections_decide_bulk(
        dispute_ids=[objections["lk-29"].pk], by=staff["clerk04"], outcome="accepted", note="Ja", credit_reason=9
    )
    second = objections_decide_bulk(
        dispute_ids=[objections["lk-30"].pk, objections["ps-30"].pk],
        by=staff["manager04"],
        outcome="accepted",
        note="Ja",
        credit_reason=9,
    )

    (note,) = Invoice.objects.filter(kind="credit_note")
    assert (note.credit_reason, note.contact_count, note.total) == (9, 3, Decimal("-1140.00"))
    assert [o.credit_reason for o in first + second] == [9, 9, 9]
    assert list(InvoiceEvent.objects.filter(invoice=note).order_by("id").values_list("action", flat=True)) == [
        "created",
        "refreshed",
    ]


def test_dismissing_credits_nothing(objections, staff):
    outcomes = objections_decide_bulk(
        dispute_ids=_ids(objections.values()), by=staff["clerk04"], outcome="dismissed", note="Korrekt fakturerat"
    )

    assert [o.done for o in outcomes] == [True] * 5
    assert not Invoice.objects.filter(kind="credit_note").exists()
    assert set(Dispute.objects.values_list("status", "credit_note", "credit_reason")) == {("dismissed", None, None)}


def test_refusals_are_reported_per_case_and_undo_nothing_else(objections, both_approved, staff, make_user, providers):
    # lk-29 already has an open objection: decide that one first, so it is "already decided".
    dispute_resolve(dispute=objections["lk-29"], by=staff["clerk04"], outcome="dismissed", note="Nej")
    no_reason = _object("lk-29", staff["clerk25"], None)
    # lk-30 credited meanwhile by the seller's own correction.
    invoice_credit(
        invoice=both_approved["25"],
        contact_ids=[Contact.objects.get(external_id="lk-30").pk],
        reason=2,
        note="Fel pris",
        by=staff["clerk04"],
        via="api",
    )
    rejection = dispute_open(
        contact=Contact.objects.get(external_id="phone"),
        by=make_user(Role.PROVIDER, provider=providers["04a"]),
        reason="Video",
    )
    ids = [objections["lk-29"].pk, no_reason.pk, objections["lk-30"].pk, rejection.pk, objections["ps-30"].pk, 999_999]

    outcomes = objections_decide_bulk(dispute_ids=ids, by=staff["clerk04"], outcome="accepted", note="Godtas")

    assert _results(outcomes) == sorted(
        [
            (objections["lk-29"].pk, "already_decided"),
            (no_reason.pk, "no_credit_reason"),
            (objections["lk-30"].pk, "not_creditable"),
            (rejection.pk, "not_objection"),
            (objections["ps-30"].pk, "done"),
            (999_999, "not_found"),
        ]
    )
    details = {o.id: (o.refused.status, o.refused.detail) for o in outcomes if o.refused}
    assert details[objections["lk-29"].pk] == (409, f"Tvist {objections['lk-29'].pk} är redan beslutad.")
    assert details[no_reason.pk][0] == 400
    assert details[objections["lk-30"].pk][0] == 409
    assert "lk-30" in details[objections["lk-30"].pk][1] and "redan krediterad" in details[objections["lk-30"].pk][1]
    assert details[999_999] == (404, "Hittades inte.")
    assert Dispute.objects.get(pk=objections["ps-30"].pk).status == "accepted"
    assert Dispute.objects.get(pk=objections["lk-30"].pk).status == "open"
    assert Dispute.objects.get(pk=no_reason.pk).status == "open"
    assert Dispute.objects.get(pk=rejection.pk).status == "open"


def test_four_eyes_and_scope(objections, both_approved, staff, clerk01, make_user):
    ids = _ids(objections.values())
    # The buyer's clerk who opened them, another of the buyer's region, a third region: none decides.
    for user in (staff["clerk25"], make_user(Role.CLERK, "25"), staff["clerk06"]):
        outcomes = objections_decide_bulk(dispute_ids=ids, by=user, outcome="dismissed", note="Nej")
        assert all(not o.done for o in outcomes)
    buyer = objections_decide_bulk(dispute_ids=ids, by=staff["clerk25"], outcome="dismissed", note="Nej")
    assert {o.refused.code for o in buyer} == {"forbidden", "not_found"}  # lk-01 is Stockholm's: not 25's to see
    assert [o.refused.code for o in buyer if o.id == objections["lk-01"].pk] == ["not_found"]
    elsewhere = objections_decide_bulk(dispute_ids=ids, by=staff["clerk06"], outcome="dismissed", note="Nej")
    assert {o.refused.code for o in elsewhere} == {"not_found"}
    assert set(Dispute.objects.values_list("status", flat=True)) == {"open"}


def test_a_seller_side_person_who_opened_a_case_does_not_decide_it(january, staff, make_user, providers):
    contested = dispute_open(contact=Contact.objects.get(external_id="phone"), by=staff["clerk04"], reason="Video")
    # A contested rejection is refused in bulk anyway; the four-eyes check comes first, as in the single decision.
    (outcome,) = objections_decide_bulk(dispute_ids=[contested.pk], by=staff["clerk04"], outcome="dismissed", note="x")
    assert (outcome.refused.code, outcome.refused.status, outcome.refused.detail) == (
        "four_eyes",
        403,
        "Du öppnade tvisten; en kollega i Region Sörmland måste besluta om den.",
    )


def test_the_seller_who_opened_an_objection_is_refused_by_four_eyes(objections, staff):
    # An objection opened (as data allows) by a clerk of the billing region: that clerk may not decide it.
    Dispute.objects.filter(pk=objections["lk-29"].pk).update(opened_by=staff["clerk04"])
    outcomes = objections_decide_bulk(
        dispute_ids=[objections["lk-29"].pk, objections["ps-30"].pk], by=staff["clerk04"], outcome="accepted", note="J"
    )
    assert _results(outcomes) == [(objections["lk-29"].pk, "four_eyes"), (objections["ps-30"].pk, "done")]


def test_a_bad_decision_decides_nothing(objections, staff):
    ids = _ids(objections.values())
    with pytest.raises(InvalidInput) as refused:
        objections_decide_bulk(dispute_ids=ids, by=staff["clerk04"], outcome="maybe", note=" ")
    assert refused.value.errors == {
        "outcome": ["Ska vara accepted eller dismissed."],
        "note": ["En anteckning om varför krävs."],
    }
    with pytest.raises(InvalidInput) as refused:
        objections_decide_bulk(dispute_ids=ids, by=staff["clerk04"], outcome="dismissed", note="x", credit_reason=1)
    assert list(refused.value.errors) == ["credit_reason"]
    with pytest.raises(InvalidInput):
        objections_decide_bulk(dispute_ids=ids, by=staff["clerk04"], outcome="accepted", note="x", credit_reason=10)
    assert set(Dispute.objects.values_list("status", flat=True)) == {"open"}


def test_the_preview_says_what_would_be_done_and_changes_nothing(objections, staff):
    dispute_resolve(dispute=objections["sj-31"], by=staff["clerk04"], outcome="dismissed", note="Nej")
    outcomes = objections_decide_preview(dispute_ids=_ids(objections.values()), by=staff["clerk04"], outcome="accepted")

    assert [(o.id, o.done, o.credit_reason) for o in outcomes] == sorted(
        [
            (objections["lk-29"].pk, True, 1),
            (objections["ps-30"].pk, True, 1),
            (objections["lk-30"].pk, True, 7),
            (objections["sj-31"].pk, False, None),
            (objections["lk-01"].pk, True, 5),
        ]
    )
    assert sum(o.amount for o in outcomes if o.done) == Decimal("1640.00")
    assert not Invoice.objects.filter(kind="credit_note").exists()


def test_the_credit_note_goes_through_submit_and_approval_like_any_invoice(objections, both_approved, staff):
    objections_decide_bulk(
        dispute_ids=[objections["lk-29"].pk, objections["ps-30"].pk], by=staff["clerk04"], outcome="accepted", note="J"
    )
    note = Invoice.objects.get(kind="credit_note")
    invoice_submit(invoice=note, by=staff["clerk04"])
    note = invoice_approve(invoice=note, by=staff["manager04b"])

    assert (note.status, note.total, note.number) == (
        "approved",
        Decimal("-805.00"),
        both_approved["01"].number[:-6] + "000003",
    )
    assert set(Contact.objects.filter(external_id__in=["lk-29", "ps-30"]).values_list("status", flat=True)) == {
        "credited"
    }


def test_the_other_region_gets_one_mail_per_decision_listing_its_cases(objections, staff, clerk01, mailoutbox):
    from django.contrib.auth import get_user_model

    get_user_model().objects.filter(pk=staff["clerk25"].pk).update(email="lena@norrbotten.example")
    get_user_model().objects.filter(pk=clerk01.pk).update(email="sara@sll.example")
    mailoutbox.clear()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("django.db.transaction.on_commit", lambda func, *args, **kwargs: func())
        objections_decide_bulk(
            dispute_ids=_ids(objections.values()), by=staff["clerk04"], outcome="accepted", note="Godtas"
        )
    assert sorted((mail.to, mail.subject) for mail in mailoutbox) == [
        (["lena@norrbotten.example"], "4 invändningar godtagna"),
        (["sara@sll.example"], "1 invändning godtagen"),
    ]
    body = next(mail.body for mail in mailoutbox if mail.to == ["lena@norrbotten.example"])
    assert f"{objections['lk-29'].pk}: kontakt lk-29" in body
    assert len(body.splitlines()) == 4


def test_the_work_is_set_wise_not_a_query_per_case(objections, both_approved, staff, january, clerk01):
    with CaptureQueriesContext(connection) as few:
        objections_decide_bulk(
            dispute_ids=[objections["lk-29"].pk, objections["lk-30"].pk],
            by=staff["clerk04"],
            outcome="accepted",
            note="J",
        )
    with CaptureQueriesContext(connection) as more:
        objections_decide_bulk(
            dispute_ids=[objections["ps-30"].pk, objections["sj-31"].pk, objections["lk-01"].pk],
            by=staff["clerk04"],
            outcome="accepted",
            note="J",
        )
    # Queries grow with the credit notes touched (one per invoice and reason), never with the cases.
    assert len(more) - len(few) <= 14
    assert DECISION_CHUNK == 1000


@pytest.mark.django_db(transaction=True)
def test_two_deciders_at_once_decide_a_case_once(objections, staff):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    ids = _ids(objections.values())
    barrier = threading.Barrier(2)
    results = {}

    def decide(name, user):
        try:
            barrier.wait()
            results[name] = objections_decide_bulk(dispute_ids=ids, by=user, outcome="accepted", note=name)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=decide, args=("a", staff["clerk04"])),
        threading.Thread(target=decide, args=("b", staff["manager04"])),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    done = {name: [o.id for o in outcomes if o.done] for name, outcomes in results.items()}
    refused = {name: {o.refused.code for o in outcomes if not o.done} for name, outcomes in results.items()}
    assert sorted(done["a"] + done["b"]) == sorted(ids)  # each case decided once, by one of them
    assert set().union(*refused.values()) <= {"already_decided"}
    assert InvoiceLine.objects.filter(credit=True).count() == 5
    assert DisputeEvent.objects.filter(action="accepted").count() == 5


@pytest.mark.django_db(transaction=True)
def test_a_bulk_acceptance_and_the_sellers_correction_of_the_same_lines_at_once_credit_each_line_once(
    objections, both_approved, staff
):
    """Both lock the lines in ascending id before the credit note, so they wait for each other (never a deadlock,
    which PostgreSQL would end by failing one of them): one credits all four lines, the other is refused."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    norrbotten = [objections[name] for name in ("lk-29", "ps-30", "lk-30", "sj-31")]
    contact_ids = [case.contact_id for case in norrbotten]
    barrier = threading.Barrier(2)
    results = {}

    def accept():
        try:
            barrier.wait()
            results["bulk"] = objections_decide_bulk(
                dispute_ids=_ids(norrbotten), by=staff["clerk04"], outcome="accepted", note="Godtas"
            )
        except Exception as error:
            results["bulk"] = error
        finally:
            connection.close()

    def correct():
        try:
            barrier.wait()
            results["correction"] = invoice_credit(
                invoice=both_approved["25"],
                contact_ids=contact_ids,
                reason=2,
                note="Fel pris",
                by=staff["manager04"],
                via="api",
            )
        except Exception as error:
            results["correction"] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=accept), threading.Thread(target=correct)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not isinstance(results["bulk"], Exception), results["bulk"]
    bulk_done = [outcome.done for outcome in results["bulk"]]
    if isinstance(results["correction"], Exception):  # the bulk acceptance came first
        assert type(results["correction"]).__name__ == "StateConflict", results["correction"]
        assert bulk_done == [True, True, True, True]
    else:  # the correction came first: every acceptance finds its line credited
        assert bulk_done == [False, False, False, False]
        assert {outcome.refused.code for outcome in results["bulk"]} == {"not_creditable"}
    assert InvoiceLine.objects.filter(credit=True, credited_line__invoice=both_approved["25"]).count() == 4


ASCENDING_LOCK = re.compile(r'ORDER BY (1|"billing_invoiceline"\."id") ASC FOR UPDATE OF "billing_invoiceline"')


def _line_locks_and_credit_note_lock(queries) -> tuple[list[str], int]:
    """The locking reads of invoice lines before the first lock of an invoice row, and that lock's position."""
    sql = [query["sql"] for query in queries]
    invoice_lock = next(i for i, text in enumerate(sql) if 'FOR UPDATE OF "billing_invoice"' in text)
    line_locks = [text for text in sql[:invoice_lock] if 'FOR UPDATE OF "billing_invoiceline"' in text]
    return line_locks, invoice_lock


def test_both_credits_lock_every_line_in_ascending_id_before_the_credit_note(objections, both_approved, staff):
    """Why the two cannot deadlock: the seller's correction (invoice_credit) and the bulk acceptance
    (credit_lines_add) both lock all their lines in one read ordered by id before they lock the credit note."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    contact_ids = [objections[name].contact_id for name in ("lk-29", "ps-30")]
    with CaptureQueriesContext(connection) as correction:
        invoice_credit(
            invoice=both_approved["25"],
            contact_ids=contact_ids,
            reason=2,
            note="Fel pris",
            by=staff["manager04"],
            via="api",
        )
    line_locks, _ = _line_locks_and_credit_note_lock(correction.captured_queries)
    lines = sorted(objections[name].invoice_line_id for name in ("lk-29", "ps-30"))
    assert ASCENDING_LOCK.search(line_locks[0])
    assert f"IN ({lines[0]}, {lines[1]})" in line_locks[0]  # both lines in the one read, the first of them

    with CaptureQueriesContext(connection) as bulk:
        objections_decide_bulk(
            dispute_ids=_ids([objections["lk-30"], objections["sj-31"]]),
            by=staff["clerk04"],
            outcome="accepted",
            note="Godtas",
        )
    line_locks, _ = _line_locks_and_credit_note_lock(bulk.captured_queries)
    lines = sorted(objections[name].invoice_line_id for name in ("lk-30", "sj-31"))
    assert [text for text in line_locks if ASCENDING_LOCK.search(text) and f"IN ({lines[0]}, {lines[1]})" in text]


def test_the_proposed_reason_is_1_to_9_and_only_an_objections(both_approved, staff, january):
    lk30 = Contact.objects.get(external_id="lk-30")
    with pytest.raises(InvalidInput) as refused:
        dispute_open(contact=lk30, by=staff["clerk25"], reason="x", proposed_credit_reason=10)
    assert refused.value.errors == {
        "proposed_credit_reason": ["En föreslagen krediteringsorsak är ett tal från 1 till 9."]
    }
    case = dispute_open(contact=lk30, by=staff["clerk25"], reason="x", proposed_credit_reason=2)
    assert Dispute.objects.get(pk=case.pk).proposed_credit_reason == 2
    # The database holds the rule whoever writes: 1-9, and only on an objection.
    for values in (
        {"proposed_credit_reason": 0},
        {"proposed_credit_reason": 10},
        {"kind": "rejection", "invoice_line": None},
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            Dispute.objects.filter(pk=case.pk).update(**values)
