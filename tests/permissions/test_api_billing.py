"""The matrix over the billing API: invoice runs, invoices and their documents, and every workflow transition.

The seller's staff move its invoices (each transition by its roles); the buyer's staff and national admins read
them (403 on a transition); anyone else gets 404, as for an invoice that does not exist. Four eyes are two people:
an approval is a signed-in manager's, never an API client's (``billing.permissions``), so the approval matrix runs
twice, over the actors' API keys (no one may) and over their signed-in sessions.
"""

import pytest

from billing.models import Invoice, InvoiceEvent, InvoiceRun
from contacts.audit.models import IdentityRead
from tests.permissions.conftest import OPEN_PERIOD, STORED_PDF, matrix, snapshot

# Invoices 04 → 25 in every status, and the third region's own draft 06 → 01.
INVOICES_SEEN = {
    "provider": [],
    "clerk-seller": ["approved", "draft", "paid", "sent", "submitted"],
    "manager-seller": ["approved", "draft", "paid", "sent", "submitted"],
    "clerk-buyer": ["approved", "draft", "paid", "sent", "submitted"],
    "manager-buyer": ["approved", "draft", "paid", "sent", "submitted"],
    "clerk-third": ["foreign"],
    "manager-third": ["foreign"],
    "admin": ["approved", "draft", "foreign", "paid", "sent", "submitted"],
}
RUNS_SEEN = {  # runs are the billing region's
    "provider": [],
    "clerk-seller": ["approved", "draft", "paid", "sent", "submitted"],
    "manager-seller": ["approved", "draft", "paid", "sent", "submitted"],
    "clerk-buyer": [],
    "manager-buyer": [],
    "clerk-third": ["foreign"],
    "manager-third": ["foreign"],
    "admin": ["approved", "draft", "foreign", "paid", "sent", "submitted"],
}
PARTIES_READ = matrix(
    anonymous=401,
    provider=404,
    clerk_seller=200,
    manager_seller=200,
    clerk_buyer=200,
    manager_buyer=200,
    clerk_third=404,
    manager_third=404,
    admin=200,
)


def _names(world, ids, objects) -> list[str]:
    by_id = {obj.pk: name for name, obj in objects.items()}
    return sorted(by_id[pk] for pk in ids)


# --- Runs ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actor", "expected"),
    matrix(
        anonymous=401,
        provider=403,
        clerk_seller=202,
        manager_seller=202,
        clerk_buyer=403,
        manager_buyer=403,
        clerk_third=403,
        manager_third=403,
        admin=202,
    ),
)
def test_invoice_run_create(world, actor, expected):
    before = snapshot()

    response = world.api(actor).post(
        "/api/v1/invoice-runs/", {"billing_region": "04", "period": OPEN_PERIOD}, format="json"
    )

    assert response.status_code == expected
    if expected == 202:
        run = InvoiceRun.objects.get(pk=response.json()["id"])
        assert (run.billing_region_id, run.period, run.started_by.username) == ("04", OPEN_PERIOD, f"api:api-{actor}")
    else:
        assert snapshot() == before


@pytest.mark.parametrize(
    ("actor", "expected"),
    matrix(
        anonymous=401,
        provider=200,
        clerk_seller=200,
        manager_seller=200,
        clerk_buyer=200,
        manager_buyer=200,
        clerk_third=200,
        manager_third=200,
        admin=200,
    ),
)
def test_invoice_runs_list_shows_only_the_billing_regions_runs(world, actor, expected):
    response = world.api(actor).get("/api/v1/invoice-runs/")

    assert response.status_code == expected
    if expected == 200:
        assert _names(world, [r["id"] for r in response.json()["results"]], world.runs) == RUNS_SEEN[actor]


@pytest.mark.parametrize(
    ("actor", "expected"),
    matrix(
        anonymous=401,
        provider=404,
        clerk_seller=200,
        manager_seller=200,
        clerk_buyer=404,
        manager_buyer=404,
        clerk_third=404,
        manager_third=404,
        admin=200,
    ),
)
def test_invoice_run_detail(world, actor, expected):
    run = world.runs["draft"]

    response = world.api(actor).get(f"/api/v1/invoice-runs/{run.pk}/")

    assert response.status_code == expected
    if expected == 200:
        body = response.json()
        assert (body["status"], body["invoices"]) == ("succeeded", [world.invoices["draft"].pk])


# --- Invoices: reading -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actor", "expected"),
    matrix(
        anonymous=401,
        provider=200,
        clerk_seller=200,
        manager_seller=200,
        clerk_buyer=200,
        manager_buyer=200,
        clerk_third=200,
        manager_third=200,
        admin=200,
    ),
)
def test_invoices_list_shows_only_the_parties_invoices(world, actor, expected):
    response = world.api(actor).get("/api/v1/invoices/")

    assert response.status_code == expected
    if expected == 200:
        assert _names(world, [i["id"] for i in response.json()["results"]], world.invoices) == INVOICES_SEEN[actor]


@pytest.mark.parametrize(
    ("actor", "query", "expected"),
    [
        pytest.param("clerk-third", "seller=04", [], id="clerk-third-seller=04"),
        pytest.param("manager-third", "buyer=25", [], id="manager-third-buyer=25"),
        pytest.param("clerk-third", "status=approved", [], id="clerk-third-status=approved"),
        pytest.param("clerk-buyer", "seller=06", [], id="clerk-buyer-seller=06"),
        pytest.param("clerk-seller", "buyer=01", [], id="clerk-seller-buyer=01"),
        pytest.param("provider", "seller=04", [], id="provider-seller=04"),
        pytest.param("clerk-buyer", "status=paid", ["paid"], id="clerk-buyer-status=paid"),
        pytest.param("clerk-third", "seller=06", ["foreign"], id="clerk-third-seller=06"),
    ],
)
def test_invoice_filters_never_reach_outside_the_scope(world, actor, query, expected):
    response = world.api(actor).get(f"/api/v1/invoices/?{query}")

    assert response.status_code == 200
    assert _names(world, [i["id"] for i in response.json()["results"]], world.invoices) == expected


@pytest.mark.parametrize(("actor", "expected"), PARTIES_READ)
def test_invoice_detail(world, actor, expected):
    invoice = world.invoices["approved"]

    response = world.api(actor).get(f"/api/v1/invoices/{invoice.pk}/")

    assert response.status_code == expected
    if expected == 200:
        body = response.json()
        assert (body["number"], body["seller"], body["buyer"], body["total"]) == (invoice.number, "04", "25", "670.00")


@pytest.mark.parametrize(
    ("actor", "expected"),
    matrix(
        anonymous=401,
        provider=404,
        clerk_seller=404,
        manager_seller=404,
        clerk_buyer=404,
        manager_buyer=404,
        clerk_third=200,
        manager_third=200,
        admin=200,
    ),
)
def test_a_guessed_id_of_another_regions_invoice_is_404(world, actor, expected):
    foreign = world.invoices["foreign"]
    api = world.api(actor)

    responses = [api.get(f"/api/v1/invoices/{foreign.pk}/{path}") for path in ("", "lines/", "pdf/")]
    csv = api.get(f"/api/v1/invoices/{foreign.pk}/specification.csv")
    csv_sv = api.get(f"/api/v1/invoices/{foreign.pk}/specification-sv.csv")

    assert [r.status_code for r in responses] == [expected, expected, expected]
    assert (csv.status_code, csv_sv.status_code) == (expected, expected)


@pytest.mark.parametrize(("actor", "expected"), PARTIES_READ)
def test_invoice_lines(world, actor, expected):
    invoice = world.invoices["approved"]

    response = world.api(actor).get(f"/api/v1/invoices/{invoice.pk}/lines/")

    assert response.status_code == expected
    if expected == 200:
        lines = response.json()["results"]
        patients = {c.external_id: c.patient_id for c in world.contacts.values()}
        # Every party's staff (and national admins) see the full numbers on the lines.
        assert [(line["external_id"], line["patient_id"]) for line in lines] == [
            ("approved-1", patients["approved-1"]),
            ("approved-2", patients["approved-2"]),
        ]


@pytest.mark.parametrize(
    ("actor", "expected"),
    matrix(
        anonymous=401,
        provider=404,
        clerk_seller=202,
        manager_seller=202,
        clerk_buyer=202,
        manager_buyer=202,
        clerk_third=404,
        manager_third=404,
        admin=202,
    ),
)
def test_invoice_pdf_while_it_is_rendered(world, actor, expected):
    response = world.api(actor).get(f"/api/v1/invoices/{world.invoices['approved'].pk}/pdf/")

    assert response.status_code == expected


@pytest.mark.parametrize(
    ("actor", "expected"),
    matrix(
        anonymous=401,
        provider=404,
        clerk_seller=202,
        manager_seller=202,
        clerk_buyer=202,
        manager_buyer=202,
        clerk_third=404,
        manager_third=404,
        admin=202,
    ),
)
def test_claim_specification_while_it_is_rendered(world, actor, expected):
    """Inera's fakturaunderlag (XML) of an approved invoice whose documents the worker has not yet stored: the parties
    wait (202), everyone else finds nothing; nothing is recorded as read."""
    response = world.api(actor).get(f"/api/v1/invoices/{world.invoices['approved'].pk}/claim-specification/")

    assert response.status_code == expected
    assert IdentityRead.objects.filter(via="claim_spec").count() == 0


@pytest.mark.parametrize(("actor", "expected"), PARTIES_READ)
@pytest.mark.parametrize("document", ["pdf", "specification-pdf"])
def test_stored_invoice_documents(world, actor, expected, document):
    response = world.api(actor).get(f"/api/v1/invoices/{world.invoices['sent'].pk}/{document}/")

    assert response.status_code == expected
    if expected == 200:
        assert (response["Content-Type"], b"".join(response.streaming_content)) == ("application/pdf", STORED_PDF)


@pytest.mark.parametrize(("actor", "expected"), PARTIES_READ)
def test_specification_csv(world, actor, expected):
    invoice = world.invoices["approved"]

    response = world.api(actor).get(f"/api/v1/invoices/{invoice.pk}/specification.csv")

    assert response.status_code == expected
    if expected == 200:
        text = b"".join(response.streaming_content).decode("utf-8-sig")
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert len(text.strip().splitlines()) == 3  # the header and the two lines
        assert world.contacts["approved-2"].patient_id in text


@pytest.mark.parametrize(("actor", "expected"), PARTIES_READ)
def test_specification_csv_for_people(world, actor, expected):
    invoice = world.invoices["approved"]
    path = f"/api/v1/invoices/{invoice.pk}/specification-sv.csv"

    response = world.api(actor).get(path)

    assert response.status_code == expected
    if expected == 200:
        text = b"".join(response.streaming_content).decode("utf-8")
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert text.startswith("\ufeffRad;Kontakt;Externt id;Datum;Tid;")
        lines = text.splitlines()
        assert [line.split(";")[2] for line in lines[1:-1]] == ["approved-1", "approved-2"]
        assert lines[-1].startswith("Summa;")
        assert world.contacts["approved-2"].patient_id in text  # every reader here sees full numbers
        assert list(IdentityRead.objects.filter(path=path).values_list("contact_count", flat=True)) == [2]
    else:
        assert (
            response.json()
            == {
                401: {"detail": "Autentiseringsuppgifter ej tillhandahållna."},
                404: {"detail": "Hittades inte."},
            }[expected]
        )
        assert not IdentityRead.objects.filter(path=path).exists()


# --- Invoices: the workflow ------------------------------------------------------------------------------

NOT_SELLER = {
    "anonymous": 401,
    "provider": 404,
    "clerk_buyer": 403,
    "manager_buyer": 403,
    "clerk_third": 404,
    "manager_third": 404,
    "admin": 403,
}
# transition → (URL segment, invoice it applies to, body, status after, expected per actor)
TRANSITIONS = {
    "submit": ("submit", "draft", {}, "submitted", matrix(clerk_seller=200, manager_seller=200, **NOT_SELLER)),
    # With a key, no one: an API client is not a person (test_invoice_approval_by_a_signed_in_person for people).
    "approve": ("approve", "submitted", {}, "approved", matrix(clerk_seller=403, manager_seller=403, **NOT_SELLER)),
    "return": (
        "return",
        "submitted",
        {"note": "Fel period"},
        "draft",
        matrix(clerk_seller=403, manager_seller=200, **NOT_SELLER),
    ),
    "mark-sent": ("mark-sent", "approved", {}, "sent", matrix(clerk_seller=200, manager_seller=200, **NOT_SELLER)),
    "mark-paid": ("mark-paid", "sent", {}, "paid", matrix(clerk_seller=200, manager_seller=200, **NOT_SELLER)),
}


def _transition_cases():
    for name, (_segment, _source, _body, _target, cases) in TRANSITIONS.items():
        for case in cases:
            actor, expected = case.values
            yield pytest.param(name, actor, expected, id=f"{name}-{actor}")


@pytest.mark.parametrize(("transition", "actor", "expected"), list(_transition_cases()))
def test_invoice_transition(world, transition, actor, expected):
    segment, source, body, target, _cases = TRANSITIONS[transition]
    invoice = world.invoices[source]
    before = snapshot()

    response = world.api(actor).post(f"/api/v1/invoices/{invoice.pk}/{segment}/", body, format="json")

    assert response.status_code == expected
    if expected == 200:
        invoice.refresh_from_db()
        assert (response.json()["status"], invoice.status) == (target, target)
        event = InvoiceEvent.objects.filter(invoice=invoice).latest("id")
        assert (event.from_status, event.to_status, event.actor.username) == (source, target, f"api:api-{actor}")
    else:
        assert snapshot() == before


# Each transition asked of an invoice in a status it does not start from, by an actor who may take it.
@pytest.mark.parametrize(
    ("segment", "source", "body"),
    [
        pytest.param("submit", "approved", {}, id="submit-approved"),
        pytest.param("approve", "draft", {}, id="approve-draft"),
        pytest.param("return", "draft", {"note": "x"}, id="return-draft"),
        pytest.param("mark-sent", "submitted", {}, id="mark-sent-submitted"),
        pytest.param("mark-paid", "approved", {}, id="mark-paid-approved"),
    ],
)
def test_a_transition_from_the_wrong_status_is_409_and_changes_nothing(world, segment, source, body):
    invoice = world.invoices[source]
    before = snapshot()

    url = f"/api/v1/invoices/{invoice.pk}/{segment}/"
    if segment == "approve":  # a person's step: the signed-in manager
        response = world.web("manager-seller").post(url, body, content_type="application/json")
    else:
        response = world.api("manager-seller").post(url, body, format="json")

    assert response.status_code == 409
    assert snapshot() == before


def test_the_manager_who_submitted_an_invoice_may_not_approve_it(world):
    person = world.web("manager-seller")
    invoice = world.invoices["draft"]
    assert person.post(f"/api/v1/invoices/{invoice.pk}/submit/").status_code == 200
    before = snapshot()

    response = person.post(f"/api/v1/invoices/{invoice.pk}/approve/")

    assert response.status_code == 403
    assert response.json() == {
        "detail": "Du skickade in Faktura till Region Norrbotten, 2026-10; en annan chef måste godkänna den."
    }
    assert snapshot() == before
    assert Invoice.objects.get(pk=invoice.pk).status == "submitted"


# --- Four eyes are two people ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actor", "expected"),
    matrix(
        anonymous=401,
        provider=404,
        clerk_seller=403,
        manager_seller=200,
        clerk_buyer=403,
        manager_buyer=403,
        clerk_third=404,
        manager_third=404,
        admin=403,
    ),
)
def test_invoice_approval_by_a_signed_in_person(world, actor, expected):
    invoice = world.invoices["submitted"]  # submitted by another clerk of the seller
    before = snapshot()

    response = world.web(actor).post(f"/api/v1/invoices/{invoice.pk}/approve/")

    assert response.status_code == expected
    if expected == 200:
        invoice.refresh_from_db()
        assert (response.json()["status"], invoice.status, invoice.approved_by.username) == (
            "approved",
            "approved",
            "web-manager-seller",
        )
        event = InvoiceEvent.objects.filter(invoice=invoice).latest("id")
        assert (event.action, event.actor.username, event.via) == ("approve", "web-manager-seller", "api")
    else:
        assert snapshot() == before


def test_two_api_keys_do_not_make_four_eyes_a_signed_in_manager_approves(world):
    invoice = world.invoices["draft"]
    assert world.api("clerk-seller").post(f"/api/v1/invoices/{invoice.pk}/submit/").status_code == 200
    before = snapshot()

    by_key = world.api("manager-seller").post(f"/api/v1/invoices/{invoice.pk}/approve/")

    assert by_key.status_code == 403
    assert by_key.json() == {
        "detail": "En API-klient får inte godkänna Faktura till Region Norrbotten, 2026-10: fyra ögon är två personer. "
        "En chef hos säljaren som inte skickade in den godkänner den, inloggad (i administrationen, eller via API:t "
        "med den inloggningen)."
    }
    assert snapshot() == before

    by_person = world.web("manager-seller").post(f"/api/v1/invoices/{invoice.pk}/approve/")

    assert by_person.status_code == 200
    history = [
        (event.action, event.actor.username, event.via)
        for event in InvoiceEvent.objects.filter(invoice=invoice).order_by("id")
        if event.action in ("submit", "approve")
    ]
    assert history == [("submit", "api:api-clerk-seller", "api"), ("approve", "web-manager-seller", "api")]


# --- Bulk submit and bulk approve -----------------------------------------------------------------------------

# The outcome of the one invoice named: done, or refused with the code of the single step's answer (403 for the
# buyer's staff, who read the invoice but do not move it; 404 for a third region, which does not see it). A role
# that never takes the step (the provider, a national admin; for an approval a clerk, and every API key) is a 403
# for the request, before its body is read.
BULK_SUBMIT = {
    "clerk-seller": "done",
    "manager-seller": "done",
    "clerk-buyer": "forbidden",
    "manager-buyer": "forbidden",
    "clerk-third": "not_found",
    "manager-third": "not_found",
}


@pytest.mark.parametrize(
    ("actor", "expected"),
    matrix(
        anonymous=401,
        provider=403,
        clerk_seller=200,
        manager_seller=200,
        clerk_buyer=200,
        manager_buyer=200,
        clerk_third=200,
        manager_third=200,
        admin=403,
    ),
)
def test_bulk_submit(world, actor, expected):
    invoice = world.invoices["draft"]
    before = snapshot()

    response = world.api(actor).post("/api/v1/invoices/submit/", {"ids": [invoice.pk]}, format="json")

    assert response.status_code == expected
    if expected == 200:
        (result,) = response.json()["results"]
        assert (result["id"], result["result"] if result["error"] is None else result["error"]["code"]) == (
            invoice.pk,
            BULK_SUBMIT[actor],
        )
    if expected == 200 and BULK_SUBMIT[actor] == "done":
        invoice.refresh_from_db()
        event = InvoiceEvent.objects.filter(invoice=invoice).latest("id")
        assert (invoice.status, event.actor.username, event.via) == ("submitted", f"api:api-{actor}", "bulk")
    else:
        assert snapshot() == before


@pytest.mark.parametrize(
    ("actor", "expected"),
    matrix(
        anonymous=401,
        provider=403,
        clerk_seller=403,
        manager_seller=403,
        clerk_buyer=403,
        manager_buyer=403,
        clerk_third=403,
        manager_third=403,
        admin=403,
    ),
)
def test_bulk_approval_with_an_api_key(world, actor, expected):
    before = snapshot()

    response = world.api(actor).post(
        "/api/v1/invoices/approve/", {"ids": [world.invoices["submitted"].pk]}, format="json"
    )

    assert response.status_code == expected
    assert snapshot() == before


BULK_APPROVE = {"manager-seller": "done", "manager-buyer": "forbidden", "manager-third": "not_found"}


@pytest.mark.parametrize(
    ("actor", "expected"),
    matrix(
        anonymous=401,
        provider=403,
        clerk_seller=403,
        manager_seller=200,
        clerk_buyer=403,
        manager_buyer=200,
        clerk_third=403,
        manager_third=200,
        admin=403,
    ),
)
def test_bulk_approval_by_a_signed_in_person(world, actor, expected):
    invoice = world.invoices["submitted"]
    before = snapshot()

    response = world.web(actor).post(
        "/api/v1/invoices/approve/", {"ids": [invoice.pk]}, content_type="application/json"
    )

    assert response.status_code == expected
    if expected == 200:
        (result,) = response.json()["results"]
        assert (result["id"], result["result"] if result["error"] is None else result["error"]["code"]) == (
            invoice.pk,
            BULK_APPROVE[actor],
        )
    if expected == 200 and BULK_APPROVE[actor] == "done":
        invoice.refresh_from_db()
        assert (invoice.status, invoice.approved_by.username) == ("approved", "web-manager-seller")
    else:
        assert snapshot() == before
