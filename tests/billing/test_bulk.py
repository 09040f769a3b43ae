"""Bulk submit and bulk approve (billing.bulk): every check of the single step per invoice, each invoice on its own
(one refusal undoes nothing else), the outcome of each reported with the single step's code and message; in the
service, through the API and in the admin's actions; and two managers approving overlapping lists at once."""

import datetime as dt
import re

import pytest
import time_machine
from celery import current_app
from django.contrib.messages import get_messages
from django.urls import reverse

from billing.bulk import MAX_BULK_INVOICES, invoices_approve_bulk, invoices_bulk_preview, invoices_submit_bulk
from billing.models import Invoice, InvoiceEvent, InvoiceKind, InvoiceStatus, NumberSequence, Transition
from billing.selectors import approval_queue_of
from contacts.models import Contact, Status
from kernel.business_time import STOCKHOLM
from regions.models import Region, Role
from tests.billing.conftest import run_now
from tests.billing.test_concurrency import _at_once, on_postgresql
from tests.conftest import NBSP
from tests.permissions.conftest import snapshot

APPROVE_URL = "/api/v1/invoices/approve/"
SUBMIT_URL = "/api/v1/invoices/submit/"
CHANGELIST = reverse("admin:billing_invoice_changelist")


def _invoice(buyer, period, *, seller="04", status=InvoiceStatus.SUBMITTED, by=None, total="100.00", **fields):
    return Invoice.objects.create(
        seller_id=seller, buyer_id=buyer, period=period, status=status, submitted_by=by, total=total, **fields
    )


def _outcomes(outcomes) -> list[tuple]:
    return [(o.id, "done" if o.done else o.refused.code, o.invoice.status if o.invoice else None) for o in outcomes]


@pytest.fixture
def approvals(billing_day, staff, make_user):
    """Invoices of Sörmland (04) for manager04 to approve, each another case of the rule, created in this order."""
    clerk06 = make_user(Role.CLERK, "06")
    Region.objects.filter(code="03").update(org_number="")  # the buyer Uppsala: no organisation number
    return {
        "approvable": _invoice("25", "2025-01", by=staff["clerk04"], total="1200.00"),
        "own": _invoice("01", "2025-02", by=staff["manager04"]),
        "draft": _invoice("06", "2025-03", status=InvoiceStatus.DRAFT),
        "other-region": _invoice("01", "2025-04", seller="06", by=clerk06),
        "bought": _invoice("04", "2025-05", seller="06", by=clerk06),  # 04 is its buyer: 04 reads, never approves
        "buyer-unpayable": _invoice("03", "2025-06", by=staff["clerk04"]),
        "approvable-2": _invoice("25", "2025-07", by=staff["clerk04"], total="440.50"),
    }


# --- The service --------------------------------------------------------------------------------------------


def test_a_mixed_list_approves_exactly_the_approvable_in_id_order(approvals, staff):
    a = approvals
    missing = max(invoice.pk for invoice in a.values()) + 100
    named = [a["approvable-2"].pk, missing, *(invoice.pk for invoice in reversed(a.values()))]  # any order, repeats

    outcomes = invoices_approve_bulk(ids=named, by=staff["manager04"])

    assert _outcomes(outcomes) == [
        (a["approvable"].pk, "done", "approved"),
        (a["own"].pk, "four_eyes", "submitted"),
        (a["draft"].pk, "wrong_status", "draft"),
        (a["other-region"].pk, "not_found", None),
        (a["bought"].pk, "forbidden", "submitted"),
        (a["buyer-unpayable"].pk, "payment_details_missing", "submitted"),
        (a["approvable-2"].pk, "done", "approved"),
        (missing, "not_found", None),
    ]
    assert [(o.refused.status, o.refused.detail) for o in outcomes if not o.done] == [
        (403, "Du skickade in Faktura till Region Stockholm, 2025-02; en annan chef måste godkänna den."),
        (409, "Godkännande är inte möjligt för Faktura till Region Jönköpings län, 2025-03 med status utkast."),
        (404, "Hittades inte."),
        (403, "Du får inte göra detta med Faktura till Region Sörmland, 2025-05."),
        (
            409,
            "Faktura till Region Uppsala, 2025-06 kan inte godkännas: Region Uppsala saknar organisationsnummer. "
            "Lägg först till uppgifterna under Regioner i administrationen.",
        ),
        (404, "Hittades inte."),
    ]
    # Numbers in ascending id, the seller's serial going on without a gap; everything refused unchanged.
    stored = {name: Invoice.objects.get(pk=invoice.pk) for name, invoice in a.items()}
    assert [(stored["approvable"].number, stored["approvable-2"].number)] == [("04-2026-000001", "04-2026-000002")]
    assert NumberSequence.objects.get(seller_id="04", year=2026).last_number == 2
    assert [name for name, invoice in stored.items() if invoice.approved_by_id] == ["approvable", "approvable-2"]
    assert list(InvoiceEvent.objects.filter(action="approve").order_by("id").values_list("invoice_id", "via")) == [
        (a["approvable"].pk, "bulk"),
        (a["approvable-2"].pk, "bulk"),
    ]


def test_without_the_sellers_bankgiro_its_invoices_are_refused_and_its_credit_note_approved(approvals, staff):
    Region.objects.filter(code="04").update(bankgiro="")
    credited = _invoice("25", "2024-12", status=InvoiceStatus.APPROVED, number="04-2025-000009", total="300.00")
    credit_note = _invoice(
        "25",
        "2024-12",
        by=staff["clerk04"],
        kind=InvoiceKind.CREDIT_NOTE,
        credits=credited,
        credit_reason=1,
        total="-300.00",
    )
    invoice = approvals["approvable"]

    outcomes = invoices_approve_bulk(ids=[invoice.pk, credit_note.pk], by=staff["manager04"])

    assert _outcomes(outcomes) == [
        (invoice.pk, "payment_details_missing", "submitted"),
        (credit_note.pk, "done", "approved"),
    ]
    assert outcomes[0].refused.detail == (
        "Faktura till Region Norrbotten, 2025-01 kan inte godkännas: Region Sörmland saknar bankgironummer. "
        "Lägg först till uppgifterna under Regioner i administrationen."
    )
    assert Invoice.objects.get(pk=credit_note.pk).number == "04-2026-000001"


def test_the_preview_foresees_the_refusals_of_the_approval_and_changes_nothing(approvals, staff):
    ids = [invoice.pk for invoice in approvals.values()]
    before = snapshot()

    preview = invoices_bulk_preview(transition=Transition.APPROVE, ids=ids, by=staff["manager04"])

    assert snapshot() == before
    done = invoices_approve_bulk(ids=ids, by=staff["manager04"])
    assert [(o.id, o.refused) for o in preview] == [(o.id, o.refused) for o in done]
    assert [o.invoice.status for o in preview if o.done] == ["submitted", "submitted"]


def test_a_mixed_list_submits_exactly_the_submittable(january, staff, make_user):
    run_now()
    to_25, to_01 = Invoice.objects.get(buyer_id="25"), Invoice.objects.get(buyer_id="01")
    Contact.objects.filter(external_id="lk-01").update(amount="1.00")  # changed since the run priced it
    submitted = _invoice("06", "2025-01", by=staff["clerk04"])
    empty = _invoice("03", "2026-01", status=InvoiceStatus.DRAFT)
    bought = _invoice("04", "2026-01", seller="06", status=InvoiceStatus.DRAFT)  # the API shows the buyer drafts

    ids = [bought.pk, empty.pk, submitted.pk, to_01.pk, to_25.pk]
    preview = invoices_bulk_preview(transition=Transition.SUBMIT, ids=ids, by=staff["clerk04"])

    outcomes = invoices_submit_bulk(ids=ids, by=staff["clerk04"])

    assert _outcomes(outcomes) == sorted(
        [
            (to_25.pk, "done", "submitted"),
            (to_01.pk, "contacts_changed", "draft"),
            (submitted.pk, "wrong_status", "submitted"),
            (empty.pk, "no_lines", "draft"),
            (bought.pk, "forbidden", "draft"),
        ]
    )
    # The preview foresaw every refusal but the changed contact, which only submitting finds (under its locks).
    assert [(o.id, o.refused) for o in preview if o.id != to_01.pk] == [
        (o.id, o.refused) for o in outcomes if o.id != to_01.pk
    ]
    assert next(o for o in preview if o.id == to_01.pk).done
    details = {o.id: o.refused.detail for o in outcomes if not o.done}
    assert details[to_01.pk] == (
        "1 kontakt på Faktura till Region Stockholm, 2026-01 har ändrats sedan den byggdes; kör faktureringen igen."
    )
    assert details[empty.pk] == "Faktura till Region Uppsala, 2026-01 har inga rader att skicka in."
    # The refused draft's contacts stay free (its submission was rolled back alone); the other's are locked.
    statuses = dict(Contact.objects.values_list("external_id", "status"))
    assert (statuses["lk-01"], statuses["lk-29"], statuses["sj-31"]) == (Status.ELIGIBLE, Status.INVOICED, "invoiced")
    assert Invoice.objects.get(pk=to_25.pk).submitted_by == staff["clerk04"]


def test_contacts_past_their_deadline_leave_the_approval_and_an_invoice_left_empty_is_refused(january, staff):
    """On 30 July the contacts started before 30 January have lapsed: Stockholm's invoice loses its only contact and
    is refused; Norrbotten's loses lk-29 and is approved with the other three. The preview foresaw both."""
    run_now()
    invoices_submit_bulk(ids=Invoice.objects.values_list("pk", flat=True), by=staff["clerk04"])
    to_25, to_01 = Invoice.objects.get(buyer_id="25"), Invoice.objects.get(buyer_id="01")

    with time_machine.travel(dt.datetime(2026, 7, 30, 10, 0, tzinfo=STOCKHOLM), tick=False):
        preview = invoices_bulk_preview(transition=Transition.APPROVE, ids=[to_25.pk, to_01.pk], by=staff["manager04"])
        outcomes = invoices_approve_bulk(ids=[to_25.pk, to_01.pk], by=staff["manager04"])

    assert [(o.id, o.refused) for o in preview] == [(o.id, o.refused) for o in outcomes]
    assert _outcomes(outcomes) == sorted([(to_25.pk, "done", "approved"), (to_01.pk, "nothing_left", "submitted")])
    refused = next(o for o in outcomes if not o.done)
    assert refused.refused.detail == (
        "Kontakten på Faktura till Region Stockholm, 2026-01 har passerat sin faktureringsfrist: inget finns kvar att "
        "godkänna. Skicka tillbaka den till utkast; nästa körning tar bort den."
    )
    approved = Invoice.objects.get(pk=to_25.pk)
    assert (approved.contact_count, str(approved.total)) == (3, "740.00")
    assert sorted(approved.lines.values_list("external_id", flat=True)) == ["lk-30", "ps-30", "sj-31"]


def test_the_approval_queue_is_the_count_and_total_of_what_awaits_the_manager(approvals, staff):
    queue = approval_queue_of(staff["manager04"])
    # Submitted invoices of 04 not submitted by manager04: approvable, buyer-unpayable, approvable-2.
    assert (queue.count, str(queue.total)) == (3, "1740.50")
    other = approval_queue_of(staff["manager04b"])  # the own one (100.00) too
    assert (other.count, str(other.total)) == (4, "1840.50")
    assert (approval_queue_of(staff["clerk04"]).count, str(approval_queue_of(staff["clerk04"]).total)) == (0, "0.00")


# --- Two managers at once ---------------------------------------------------------------------------------


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_managers_approving_overlapping_lists_at_once_approve_each_invoice_once(staff, monkeypatch):
    rendered = []
    monkeypatch.setattr(current_app.tasks["billing.render_documents"], "delay", rendered.append)
    buyers = ["01", "03", "05", "06", "07", "08", "09", "10"]
    ids = [_invoice(buyer, "2026-01", by=staff["clerk04"]).pk for buyer in buyers]

    first, second = _at_once(
        lambda: invoices_approve_bulk(ids=ids[:6], by=staff["manager04"]),
        lambda: invoices_approve_bulk(ids=list(reversed(ids[2:])), by=staff["manager04b"]),
    )

    done = [o.id for o in first if o.done] + [o.id for o in second if o.done]
    assert sorted(done) == ids  # every invoice approved, none twice
    refused = [o.refused.code for o in first + second if not o.done]
    assert refused == ["wrong_status"] * (len(first) + len(second) - len(ids))
    year = Invoice.objects.get(pk=ids[0]).issue_date.year  # today's: no clock is frozen across threads
    assert sorted(Invoice.objects.values_list("number", flat=True)) == [f"04-{year}-{n:06d}" for n in range(1, 9)]
    assert sorted(InvoiceEvent.objects.filter(action="approve").values_list("invoice_id", flat=True)) == ids
    assert sorted(rendered) == ids


# --- The API ----------------------------------------------------------------------------------------------


def test_the_api_approves_a_mixed_list_for_a_signed_in_manager(approvals, staff, signed_in):
    a = approvals

    response = signed_in(staff["manager04"]).post(
        APPROVE_URL, {"ids": [a["own"].pk, a["approvable"].pk, a["draft"].pk]}, format="json"
    )

    assert response.status_code == 200
    assert response.json() == {
        "done": 1,
        "refused": 2,
        "results": [
            {
                "id": a["approvable"].pk,
                "number": "04-2026-000001",
                "status": "approved",
                "result": "done",
                "error": None,
            },
            {
                "id": a["own"].pk,
                "number": None,
                "status": "submitted",
                "result": "refused",
                "error": {
                    "status": 403,
                    "code": "four_eyes",
                    "detail": "Du skickade in Faktura till Region Stockholm, 2025-02; en annan chef måste godkänna "
                    "den.",
                },
            },
            {
                "id": a["draft"].pk,
                "number": None,
                "status": "draft",
                "result": "refused",
                "error": {
                    "status": 409,
                    "code": "wrong_status",
                    "detail": "Godkännande är inte möjligt för Faktura till Region Jönköpings län, 2025-03 med "
                    "status utkast.",
                },
            },
        ],
    }


def test_an_api_key_may_not_approve_in_bulk(approvals, api_as):
    key = api_as(Role.MANAGER, "04")
    before = snapshot()

    response = key.post(APPROVE_URL, {"ids": [approvals["approvable"].pk]}, format="json")

    assert (response.status_code, response.json()) == (
        403,
        {
            "detail": "En API-klient får inte godkänna fakturor: fyra ögon är två personer. En chef hos säljaren som "
            "inte skickade in dem godkänner dem, inloggad (i administrationen, eller via API:t med den inloggningen)."
        },
    )
    assert snapshot() == before


def test_a_clerks_key_submits_in_bulk(january, api_as):
    run_now()
    drafts = sorted(Invoice.objects.values_list("pk", flat=True))

    response = api_as(Role.CLERK, "04").post(SUBMIT_URL, {"ids": drafts}, format="json")

    assert response.status_code == 200
    assert [(r["id"], r["status"], r["result"]) for r in response.json()["results"]] == [
        (pk, "submitted", "done") for pk in drafts
    ]


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        pytest.param({"ids": 5}, {"ids": ["Måste vara en JSON-lista med fakturornas id."]}, id="not-a-list"),
        pytest.param({"ids": "1,2"}, {"ids": ["Måste vara en JSON-lista med fakturornas id."]}, id="text"),
        pytest.param({"ids": []}, {"ids": ["Ange minst en faktura."]}, id="empty"),
        pytest.param({}, {"ids": ["Fältet är obligatoriskt."]}, id="missing"),
        pytest.param(
            [1, 2], {"non_field_errors": ["Ogiltig data. Förväntade en dictionary, men fick list."]}, id="list"
        ),
        pytest.param(
            {"ids": [1, "2", 2.5, True, None, 0, 2**63]},
            {
                "ids": {
                    "1": ["Måste vara ett faktura-id: ett heltal (inte text)."],
                    "2": ["Måste vara ett faktura-id: ett heltal (inte text)."],
                    "3": ["Måste vara ett faktura-id: ett heltal (inte text)."],
                    "4": ["Det här fältet får inte vara null."],
                    "5": ["Se till att detta värde är större än eller lika med 1."],
                    "6": [f"Se till att detta värde är mindre än eller lika med {2**63 - 1}."],
                }
            },
            id="not-integers",
        ),
        pytest.param(
            {"ids": [3, 1, 3, 2, 1]},
            {"ids": ["Ange varje faktura en gång; angivna mer än en gång: 3, 1."]},
            id="duplicates",
        ),
        pytest.param(
            {"ids": list(range(1, MAX_BULK_INVOICES + 2))},
            {"ids": ["Högst 500 fakturor per anrop."]},
            id="too-many",
        ),
    ],
)
def test_the_api_refuses_a_body_it_cannot_read_with_a_400_and_does_nothing(approvals, staff, signed_in, body, errors):
    before = snapshot()

    response = signed_in(staff["manager04"]).post(APPROVE_URL, body, format="json")

    assert (response.status_code, response.json()) == (400, errors)
    assert snapshot() == before


@pytest.mark.parametrize(
    ("role", "url", "detail"),
    [
        (Role.CLERK, APPROVE_URL, "Bara säljarens chefer godkänner dess fakturor."),
        (Role.ADMIN, APPROVE_URL, "Bara säljarens chefer godkänner dess fakturor."),
        (Role.ADMIN, SUBMIT_URL, "Bara säljarens handläggare och chefer skickar in dess fakturor."),
    ],
)
def test_a_role_that_never_takes_the_step_is_refused_before_the_body_is_read(
    approvals, make_user, signed_in, role, url, detail
):
    user = make_user(role, "04" if role != Role.ADMIN else None)

    response = signed_in(user).post(url, {"ids": "not read"}, format="json")

    assert (response.status_code, response.json()) == (403, {"detail": detail})


# --- The admin's actions -----------------------------------------------------------------------------------


def _action(action, *invoices, **fields) -> dict:
    return {"action": action, "_selected_action": [invoice.pk for invoice in invoices], **fields}


def test_the_approve_action_confirms_the_count_and_total_and_names_what_would_be_refused(client, approvals, staff):
    a = approvals
    client.force_login(staff["manager04"])
    selected = [a["approvable"], a["own"], a["approvable-2"], a["buyer-unpayable"]]
    before = snapshot()

    page = client.post(CHANGELIST, _action("approve_selected", *selected))

    assert page.status_code == 200
    assert snapshot() == before
    assert page.context["question"] == (
        f"Godkänn 2 fakturor (1{NBSP}640,50{NBSP}kr)? De får sina nummer och kan aldrig ändras igen: rättelser görs "
        "med kreditfakturor."
    )
    assert page.context["done"] == [
        ("Faktura till Region Norrbotten, 2025-01", f"1{NBSP}200,00{NBSP}kr"),
        ("Faktura till Region Norrbotten, 2025-07", f"440,50{NBSP}kr"),
    ]
    assert page.context["refused_heading"] == "2 av de markerade fakturorna skulle nekas:"
    assert [label for label, _reason in page.context["refused"]] == [
        "Faktura till Region Stockholm, 2025-02",
        "Faktura till Region Uppsala, 2025-06",
    ]
    html = page.content.decode()
    assert f"Godkänn 2 fakturor (1{NBSP}640,50{NBSP}kr)?" in html
    assert "en annan chef måste godkänna den" in html

    confirmed = client.post(CHANGELIST, _action("approve_selected", *selected, confirm="yes"))

    assert confirmed.status_code == 302
    assert [str(m) for m in get_messages(confirmed.wsgi_request)] == [
        f"2 fakturor godkända (1{NBSP}640,50{NBSP}kr).",
        "2 fakturor nekade:",
        "Du skickade in Faktura till Region Stockholm, 2025-02; en annan chef måste godkänna den.",
        "Faktura till Region Uppsala, 2025-06 kan inte godkännas: Region Uppsala saknar organisationsnummer. "
        "Lägg först till uppgifterna under Regioner i administrationen.",
    ]
    numbers = [Invoice.objects.get(pk=invoice.pk).number for invoice in selected]
    assert numbers == ["04-2026-000001", None, "04-2026-000002", None]


def _buttons(html: str) -> list[tuple[str, str, str]]:
    """The month close's buttons on the list: (the action of the hidden field, the button's index, its text)."""
    return re.findall(
        r'<input type="hidden" name="action" value="([a-z_]+)">\s*'
        r'<button type="submit" class="button bulk-step" name="index" value="(\d+)"[^>]*>([^<]+)</button>',
        html,
    )


def test_the_clerk_submits_the_months_drafts_in_three_clicks(client, january, staff):
    """Select all, "Skicka markerade för godkännande", confirm: the button posts the action list (left empty) and its
    own hidden action, naming the position of its own."""
    run_now()
    client.force_login(staff["clerk04"])
    drafts = list(Invoice.objects.order_by("pk"))
    listing = client.get(CHANGELIST).content.decode()
    assert _buttons(listing) == [("submit_selected", "1", "Skicka markerade för godkännande")]
    selected = [invoice.pk for invoice in drafts]

    page = client.post(CHANGELIST, {"action": ["", "submit_selected"], "index": "1", "_selected_action": selected})
    confirmation = page.content.decode()
    assert re.findall(r'<input type="hidden" name="(action|confirm)" value="([a-z_]+)">', confirmation) == [
        ("action", "submit_selected"),
        ("confirm", "yes"),
    ]
    confirmed = client.post(CHANGELIST, _action("submit_selected", *drafts, confirm="yes"))

    assert page.context["question"] == (
        f"Skicka in 2 fakturor (1{NBSP}640,00{NBSP}kr) för godkännande? Deras kontakter låses tills en chef "
        "godkänner eller returnerar dem."
    )
    assert page.context["refused"] == []
    assert [str(m) for m in get_messages(confirmed.wsgi_request)] == [
        f"2 fakturor skickade för godkännande (1{NBSP}640,00{NBSP}kr)."
    ]
    assert list(Invoice.objects.order_by().values_list("status", flat=True).distinct()) == ["submitted"]


def test_the_action_chosen_in_the_list_is_the_one_confirmed_whatever_the_buttons_post(client, approvals, staff):
    """The list's form posts the buttons' hidden actions too; "Run" (index 0) takes the list's choice, and the
    confirmation page asks for that one."""
    client.force_login(staff["manager04"])
    chosen = ["submit_selected", "submit_selected", "approve_selected"]  # the list's choice, then the buttons' fields

    page = client.post(CHANGELIST, {"action": chosen, "index": "0", "_selected_action": [approvals["draft"].pk]})

    assert re.findall(r'<input type="hidden" name="action" value="([a-z_]+)">', page.content.decode()) == [
        "submit_selected"
    ]
    assert page.context["refused"] == [  # submitting, not approving, this (empty) draft
        (
            "Faktura till Region Jönköpings län, 2025-03",
            "Faktura till Region Jönköpings län, 2025-03 har inga rader att skicka in.",
        )
    ]


@pytest.mark.parametrize(
    ("user", "offered"),
    [
        ("clerk04", ["submit_selected", "render_documents_again"]),
        ("manager04", ["submit_selected", "approve_selected", "render_documents_again"]),
        ("clerk25", ["submit_selected", "render_documents_again"]),
    ],
)
def test_the_actions_are_offered_only_to_those_who_take_the_step(client, approvals, staff, user, offered):
    client.force_login(staff[user])

    page = client.get(CHANGELIST)

    choices = [name for name, _label in page.context["action_form"].fields["action"].choices if name]
    assert choices == offered
    assert [name for name, _index, _text in _buttons(page.content.decode())] == [
        name for name in offered if name != "render_documents_again"
    ]


def test_an_action_not_offered_changes_nothing(client, approvals, staff):
    client.force_login(staff["clerk04"])
    before = snapshot()

    response = client.post(CHANGELIST, _action("approve_selected", approvals["approvable"], confirm="yes"))

    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Inga åtgärder valda."]
    assert snapshot() == before
