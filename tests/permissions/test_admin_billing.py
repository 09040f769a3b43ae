"""The matrix over the billing admin: invoice runs (list, page, start), invoices (list and filters, page,
history, documents) and the workflow buttons (each a POST to the invoice's transition view)."""

import pytest
from django.urls import reverse

from billing.models import InvoiceEvent, InvoiceRun
from tests.permissions.conftest import (
    GONE,
    LOGIN,
    OPEN_PERIOD,
    STORED_PDF,
    admin_action,
    admin_answer,
    matrix,
    messages_of,
    snapshot,
)
from tests.permissions.test_api_billing import INVOICES_SEEN, RUNS_SEEN

# The screens show the API's invoices (INVOICES_SEEN) less the drafts of which the region is only the buyer.
ADMIN_INVOICES_SEEN = {
    **INVOICES_SEEN,
    "clerk-buyer": ["approved", "paid", "sent", "submitted"],
    "manager-buyer": ["approved", "paid", "sent", "submitted"],
}
INVOICES = reverse("admin:billing_invoice_changelist")
RUNS = reverse("admin:billing_invoicerun_changelist")
START_RUN = reverse("admin:billing_invoicerun_add")
STAFF_PAGE = matrix(
    anonymous=LOGIN,
    provider=LOGIN,
    clerk_seller=200,
    manager_seller=200,
    clerk_buyer=200,
    manager_buyer=200,
    clerk_third=200,
    manager_third=200,
    admin=200,
)


def _names(objects, shown) -> list[str]:
    by_id = {obj.pk: name for name, obj in objects.items()}
    return sorted(by_id[obj.pk] for obj in shown)


# --- Invoices ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("actor", "expected"), STAFF_PAGE)
def test_invoice_changelist(world, actor, expected):
    response = world.web(actor).get(INVOICES)

    assert admin_answer(response) == expected
    if expected == 200:
        assert _names(world.invoices, response.context["cl"].result_list) == ADMIN_INVOICES_SEEN[actor]


@pytest.mark.parametrize(
    ("actor", "query", "expected"),
    [
        pytest.param("clerk-third", "seller__code__exact=04", [], id="clerk-third-seller=04"),
        pytest.param("manager-third", "buyer__code__exact=25", [], id="manager-third-buyer=25"),
        pytest.param("clerk-third", "q={number}", [], id="clerk-third-search-number"),
        pytest.param("clerk-third", "status__exact=approved", [], id="clerk-third-status=approved"),
        pytest.param("clerk-buyer", "seller__code__exact=06", [], id="clerk-buyer-seller=06"),
        pytest.param("clerk-buyer", "awaiting=my-approval", [], id="clerk-buyer-awaiting-my-approval"),
        pytest.param("manager-seller", "awaiting=my-approval", ["submitted"], id="manager-seller-awaiting"),
        pytest.param("clerk-buyer", "q={number}", ["approved"], id="clerk-buyer-search-number"),
    ],
)
def test_invoice_changelist_filters_never_reach_outside_the_scope(world, actor, query, expected):
    query = query.format(number=world.invoices["approved"].number)

    response = world.web(actor).get(f"{INVOICES}?{query}")

    assert response.status_code == 200
    assert _names(world.invoices, response.context["cl"].result_list) == expected


PARTIES_PAGE = matrix(
    anonymous=LOGIN,
    provider=LOGIN,
    clerk_seller=200,
    manager_seller=200,
    clerk_buyer=200,
    manager_buyer=200,
    clerk_third=GONE,
    manager_third=GONE,
    admin=200,
)


@pytest.mark.parametrize(("actor", "expected"), PARTIES_PAGE)
@pytest.mark.parametrize("page", ["change", "history"])
def test_invoice_page(world, actor, expected, page):
    invoice = world.invoices["approved"]

    response = world.web(actor).get(reverse(f"admin:billing_invoice_{page}", args=[invoice.pk]))

    if page == "history" and expected == 200:  # the "History" button leads to the page's own history
        change = reverse("admin:billing_invoice_change", args=[invoice.pk])
        assert (response.status_code, response["Location"]) == (302, f"{change}#history")
    else:
        assert admin_answer(response) == expected
    if expected == 200 and page == "change":
        assert response.context["original"] == invoice


# The buttons each actor is offered on the submitted invoice (the four-eyes rule hides nothing here: the
# invoice was submitted by another clerk).
BUTTONS = {
    "clerk-seller": [],
    "manager-seller": ["approve", "return"],
    "clerk-buyer": [],
    "manager-buyer": [],
    "admin": [],
}


@pytest.mark.parametrize("actor", list(BUTTONS))
def test_invoice_page_offers_only_the_transitions_the_actor_may_take(world, actor):
    response = world.web(actor).get(reverse("admin:billing_invoice_change", args=[world.invoices["submitted"].pk]))

    assert [button["transition"] for button in response.context["transitions"]] == BUTTONS[actor]


DOCUMENT = matrix(
    anonymous=LOGIN,
    provider=LOGIN,
    clerk_seller=200,
    manager_seller=200,
    clerk_buyer=200,
    manager_buyer=200,
    clerk_third=404,
    manager_third=404,
    admin=200,
)


@pytest.mark.parametrize(("actor", "expected"), DOCUMENT)
@pytest.mark.parametrize("view", ["pdf", "specification"])
def test_invoice_documents(world, actor, expected, view):
    response = world.web(actor).get(reverse(f"admin:billing_invoice_{view}", args=[world.invoices["sent"].pk]))

    assert admin_answer(response) == expected
    if expected == 200:
        assert (response["Content-Type"], response.content) == ("application/pdf", STORED_PDF)


NOT_SELLER = {
    "anonymous": LOGIN,
    "provider": LOGIN,
    "clerk_buyer": 403,
    "manager_buyer": 403,
    "clerk_third": 404,
    "manager_third": 404,
    "admin": 403,
}
# transition → (invoice it applies to, form fields, status after, expected per actor)
TRANSITIONS = {
    # The buyer does not see the seller's draft: 404, as for a third region.
    "submit": (
        "draft",
        {},
        "submitted",
        matrix(clerk_seller=302, manager_seller=302, **{**NOT_SELLER, "clerk_buyer": 404, "manager_buyer": 404}),
    ),
    "approve": ("submitted", {}, "approved", matrix(clerk_seller=403, manager_seller=302, **NOT_SELLER)),
    "return": (
        "submitted",
        {"note": "Fel period"},
        "draft",
        matrix(clerk_seller=403, manager_seller=302, **NOT_SELLER),
    ),
    "mark_sent": ("approved", {}, "sent", matrix(clerk_seller=302, manager_seller=302, **NOT_SELLER)),
    "mark_paid": ("sent", {}, "paid", matrix(clerk_seller=302, manager_seller=302, **NOT_SELLER)),
}


@pytest.mark.parametrize(
    ("transition", "actor", "expected"),
    [
        pytest.param(name, *case.values, id=f"{name}-{case.values[0]}")
        for name, (_source, _fields, _target, cases) in TRANSITIONS.items()
        for case in cases
    ],
)
def test_invoice_workflow_button(world, transition, actor, expected):
    source, fields, target, _cases = TRANSITIONS[transition]
    invoice = world.invoices[source]
    before = snapshot()

    response = world.web(actor).post(reverse("admin:billing_invoice_transition", args=[invoice.pk, transition]), fields)

    assert admin_answer(response) == expected
    if expected == 302:
        assert response["Location"] == reverse("admin:billing_invoice_change", args=[invoice.pk])
        invoice.refresh_from_db()
        event = InvoiceEvent.objects.filter(invoice=invoice).latest("id")
        assert (invoice.status, event.actor, event.via) == (target, world.users[actor], "admin")
    else:
        assert snapshot() == before


@pytest.mark.parametrize("actor", ["clerk-seller", "clerk-buyer", "clerk-third", "admin"])
def test_a_workflow_button_fetched_with_get_changes_nothing(world, actor):
    invoice = world.invoices["draft"]
    before = snapshot()

    response = world.web(actor).get(reverse("admin:billing_invoice_transition", args=[invoice.pk, "submit"]))

    assert response.status_code == 403
    assert snapshot() == before


# Rendering an approved invoice's PDFs again is the seller's (its clerks and managers issue them). The buyer's staff
# are told no per invoice; national admins are offered no action, so their POST is a plain view of the list.
@pytest.mark.parametrize(
    ("actor", "expected"),
    matrix(
        anonymous=LOGIN,
        provider=LOGIN,
        clerk_seller=302,
        manager_seller=302,
        clerk_buyer=302,
        manager_buyer=302,
        clerk_third=302,
        manager_third=302,
        admin=200,
    ),
)
def test_render_documents_again_action(world, actor, expected):
    invoice = world.invoices["approved"]
    before = snapshot()

    response = world.web(actor).post(INVOICES, admin_action("render_documents_again", invoice))

    assert admin_answer(response) == expected
    if actor in ("clerk-seller", "manager-seller"):
        event = InvoiceEvent.objects.filter(invoice=invoice).latest("id")
        assert (event.action, event.actor) == ("render_documents", world.users[actor])
    else:
        assert snapshot() == before
    if actor in ("clerk-buyer", "manager-buyer"):
        assert messages_of(response) == [f"{invoice}: bara säljarens handläggare och chefer får rendera dess PDF igen."]
    if expected == 200:
        assert response.context["action_form"] is None


# --- Runs -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("actor", "expected"), STAFF_PAGE)
def test_invoice_run_changelist(world, actor, expected):
    response = world.web(actor).get(RUNS)

    assert admin_answer(response) == expected
    if expected == 200:
        assert _names(world.runs, response.context["cl"].result_list) == RUNS_SEEN[actor]


@pytest.mark.parametrize(
    ("actor", "expected"),
    matrix(
        anonymous=LOGIN,
        provider=LOGIN,
        clerk_seller=200,
        manager_seller=200,
        clerk_buyer=GONE,
        manager_buyer=GONE,
        clerk_third=GONE,
        manager_third=GONE,
        admin=200,
    ),
)
def test_invoice_run_page(world, actor, expected):
    run = world.runs["draft"]

    response = world.web(actor).get(reverse("admin:billing_invoicerun_change", args=[run.pk]))

    assert admin_answer(response) == expected
    if expected == 200:
        assert response.context["original"] == run


@pytest.mark.parametrize(("actor", "expected"), STAFF_PAGE)
def test_start_run_form(world, actor, expected):
    response = world.web(actor).get(START_RUN)

    assert admin_answer(response) == expected


@pytest.mark.parametrize(
    ("actor", "expected"),
    matrix(
        anonymous=LOGIN,
        provider=LOGIN,
        clerk_seller=302,
        manager_seller=302,
        clerk_buyer=200,
        manager_buyer=200,
        clerk_third=200,
        manager_third=200,
        admin=302,
    ),
)
def test_start_run_for_the_seller(world, actor, expected):
    before = snapshot()

    response = world.web(actor).post(START_RUN, {"billing_region": "04", "period": OPEN_PERIOD})

    assert admin_answer(response) == expected
    if expected == 302:
        run = InvoiceRun.objects.latest("id")
        assert response["Location"] == reverse("admin:billing_invoicerun_change", args=[run.pk])  # its progress
        assert (run.billing_region_id, run.period, run.started_by) == ("04", OPEN_PERIOD, world.users[actor])
    else:
        assert snapshot() == before
    if expected == 200:  # the form offers only the user's own region
        assert list(response.context["form"].errors) == ["billing_region"]


@pytest.mark.parametrize(("actor", "expected"), PARTIES_PAGE)
def test_the_specification_for_people_from_the_invoice_page(world, actor, expected):
    """The invoice page links the Swedish CSV beside the PDFs; the link answers the signed-in user as the API does."""
    invoice = world.invoices["sent"]
    browser = world.web(actor)
    link = f"/api/v1/invoices/{invoice.pk}/specification-sv.csv"

    page = browser.get(reverse("admin:billing_invoice_change", args=[invoice.pk]))
    download = browser.get(link)

    assert admin_answer(page) == expected
    if expected == 200:
        assert f'<a href="{link}">Fakturaunderlag för Excel (CSV)</a>' in page.content.decode()
        body = b"".join(download.streaming_content).decode("utf-8")
        assert (download.status_code, body.startswith("\ufeffRad;Kontakt;")) == (200, True)
    else:  # the API's answers: not signed in (401), a provider's user or another region (outside the scope, 404)
        assert download.status_code == (401 if actor == "anonymous" else 404)


# --- The month close: submit and approve the selected invoices ------------------------------------------------

# Offered to the roles that take the step (submit: clerks and managers; approve: managers), each invoice then
# judged on its own. The buyer's staff and a third region do not have the seller's draft on their list (nothing
# selected); the buyer's manager has the submitted invoice and is refused it; a clerk asking for an approval is told
# no action was chosen; a national admin is offered no action, so the POST is a plain view of the list.
BULK_ACTIONS = {
    # action → (invoice, status after, expected per actor, the messages of the refused)
    "submit_selected": (
        "draft",
        "submitted",
        matrix(
            anonymous=LOGIN,
            provider=LOGIN,
            clerk_seller=302,
            manager_seller=302,
            clerk_buyer=302,
            manager_buyer=302,
            clerk_third=302,
            manager_third=302,
            admin=200,
        ),
        {
            "clerk-buyer": ["Ingen av de markerade fakturorna kan skickas in för godkännande."],
            "manager-buyer": ["Ingen av de markerade fakturorna kan skickas in för godkännande."],
            "clerk-third": ["Ingen av de markerade fakturorna kan skickas in för godkännande."],
            "manager-third": ["Ingen av de markerade fakturorna kan skickas in för godkännande."],
        },
    ),
    "approve_selected": (
        "submitted",
        "approved",
        matrix(
            anonymous=LOGIN,
            provider=LOGIN,
            clerk_seller=302,
            manager_seller=302,
            clerk_buyer=302,
            manager_buyer=302,
            clerk_third=302,
            manager_third=302,
            admin=200,
        ),
        {
            "clerk-seller": ["Inga åtgärder valda."],
            "clerk-buyer": ["Inga åtgärder valda."],
            "manager-buyer": [
                "1 faktura nekad:",
                "Du får inte göra detta med Faktura till Region Norrbotten, 2026-09.",
            ],
            "clerk-third": ["Inga åtgärder valda."],
            "manager-third": ["Ingen av de markerade fakturorna kan godkännas av dig."],
        },
    ),
}


@pytest.mark.parametrize(
    ("action", "actor", "expected"),
    [
        pytest.param(name, *case.values, id=f"{name}-{case.values[0]}")
        for name, (_source, _target, cases, _messages) in BULK_ACTIONS.items()
        for case in cases
    ],
)
def test_bulk_action_confirmed(world, action, actor, expected):
    source, target, _cases, refusals = BULK_ACTIONS[action]
    invoice = world.invoices[source]
    before = snapshot()

    response = world.web(actor).post(INVOICES, admin_action(action, invoice, confirm="yes"))

    assert admin_answer(response) == expected
    if actor in ("clerk-seller", "manager-seller") and actor not in refusals:
        invoice.refresh_from_db()
        event = InvoiceEvent.objects.filter(invoice=invoice).latest("id")
        assert (invoice.status, event.actor, event.via) == (target, world.users[actor], "admin")
    else:
        assert snapshot() == before
    if actor in refusals:
        assert messages_of(response) == refusals[actor]
    if expected == 200:
        assert response.context["action_form"] is None


@pytest.mark.parametrize("actor", ["clerk-seller", "manager-seller"])
def test_bulk_action_asks_before_it_changes_anything(world, actor):
    invoice = world.invoices["draft"]
    before = snapshot()

    response = world.web(actor).post(INVOICES, admin_action("submit_selected", invoice))

    assert response.status_code == 200
    assert response.context["question"] == (
        "Skicka in 1 faktura (335,00\u00a0kr) för godkännande? Dess kontakter låses tills en chef godkänner eller "
        "returnerar den."
    )
    assert snapshot() == before
