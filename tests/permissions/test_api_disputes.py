"""The matrix over the disputes API: opening a case of each kind, the queue, the case with its thread, comments,
assignment and the decision.

A rejection is contested by the contact's provider or the billing region; the buyer objects to an invoiced
contact; the billing region decides. The parties of a case's thread are the seller's staff and the provider
(rejection) or the buyer's staff (objection).
"""

import pytest

from billing.models import Invoice
from disputes.models import Dispute, DisputeComment
from disputes.services import dispute_comment, dispute_open
from tests.permissions.conftest import matrix, snapshot

UNKNOWN_CONTACT = {"contact": ["Okänd kontakt."]}


@pytest.mark.parametrize(
    ("actor", "expected"),
    matrix(
        anonymous=401,
        provider=201,
        clerk_seller=201,
        manager_seller=201,
        clerk_buyer=403,
        manager_buyer=403,
        clerk_third=400,
        manager_third=400,
        admin=403,
    ),
)
def test_open_a_rejection_dispute(world, actor, expected):
    contact = world.contacts["phone-2"]
    before = snapshot()

    response = world.api(actor).post("/api/v1/disputes/", {"contact": contact.pk, "reason": "Video"}, format="json")

    assert response.status_code == expected
    if expected == 201:
        dispute = Dispute.objects.get(pk=response.json()["id"])
        assert (dispute.contact_id, dispute.kind, dispute.status) == (contact.pk, "rejection", "open")
    else:
        assert snapshot() == before
    if expected == 400:  # out of scope: the same answer as for a contact that does not exist
        assert response.json() == UNKNOWN_CONTACT


@pytest.mark.parametrize(
    ("actor", "expected"),
    matrix(
        anonymous=401,
        provider=403,
        clerk_seller=403,
        manager_seller=403,
        clerk_buyer=201,
        manager_buyer=201,
        clerk_third=400,
        manager_third=400,
        admin=403,
    ),
)
def test_open_an_objection(world, actor, expected):
    contact = world.contacts["approved-2"]
    before = snapshot()

    response = world.api(actor).post("/api/v1/disputes/", {"contact": contact.pk, "reason": "Listad"}, format="json")

    assert response.status_code == expected
    if expected == 201:
        dispute = Dispute.objects.get(pk=response.json()["id"])
        assert (dispute.kind, dispute.invoice_line.invoice_id) == ("objection", world.invoices["approved"].pk)
    else:
        assert snapshot() == before
    if expected == 400:
        assert response.json() == UNKNOWN_CONTACT


def test_a_second_open_dispute_on_a_contact_is_409_and_changes_nothing(world):
    before = snapshot()

    response = world.api("clerk-buyer").post(
        "/api/v1/disputes/", {"contact": world.contacts["approved-1"].pk, "reason": "Igen"}, format="json"
    )

    assert response.status_code == 409
    assert snapshot() == before


def test_a_missing_contact_answers_as_one_out_of_scope(world):
    response = world.api("clerk-seller").post("/api/v1/disputes/", {"contact": 999999, "reason": "x"}, format="json")

    assert (response.status_code, response.json()) == (400, UNKNOWN_CONTACT)


# Only the parties read a case: the seller's and the buyer's staff both kinds, the provider only the rejection of
# its contact (an objection is between the two regions), a third region nothing (disputes.permissions).
DISPUTES_SEEN = {
    "provider": ["rejection"],
    "clerk-seller": ["objection", "rejection"],
    "manager-seller": ["objection", "rejection"],
    "clerk-buyer": ["objection", "rejection"],
    "manager-buyer": ["objection", "rejection"],
    "clerk-third": [],
    "manager-third": [],
    "admin": ["objection", "rejection"],
}


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
def test_disputes_list_and_region_filter(world, actor, expected):
    api = world.api(actor)

    everything = api.get("/api/v1/disputes/")
    seller = api.get("/api/v1/disputes/?region=04")
    buyer = api.get("/api/v1/disputes/?region=25")

    assert (everything.status_code, seller.status_code, buyer.status_code) == (expected, expected, expected)
    if expected == 200:
        for response in (everything, seller, buyer):
            assert sorted(row["kind"] for row in response.json()["results"]) == DISPUTES_SEEN[actor]


PARTIES_READ = {
    "rejection": matrix(
        anonymous=401,
        provider=200,
        clerk_seller=200,
        manager_seller=200,
        clerk_buyer=200,
        manager_buyer=200,
        clerk_third=404,
        manager_third=404,
        admin=200,
    ),
    "objection": matrix(
        anonymous=401,
        provider=404,
        clerk_seller=200,
        manager_seller=200,
        clerk_buyer=200,
        manager_buyer=200,
        clerk_third=404,
        manager_third=404,
        admin=200,
    ),
}


def by_kind(table: dict[str, list]) -> list:
    """A matrix per kind of case as one parameter list ``(kind, actor, expected)``, named ``kind-actor``."""
    return [
        pytest.param(kind, *case.values, id=f"{kind}-{case.values[0]}")
        for kind, cases in table.items()
        for case in cases
    ]


@pytest.mark.parametrize(("kind", "actor", "expected"), by_kind(PARTIES_READ))
def test_dispute_detail(world, actor, expected, kind):
    dispute = world.disputes[kind]

    response = world.api(actor).get(f"/api/v1/disputes/{dispute.pk}/")

    assert response.status_code == expected
    if expected == 200:
        assert (response.json()["kind"], response.json()["status"], response.json()["comments"]) == (kind, "open", [])


# Issue 16.9: a provider's system read an objection between two regions, personal identity number and all.
OBJECTION_REQUESTS = [
    pytest.param("get", "/api/v1/disputes/{id}/", None, id="detail"),
    pytest.param("post", "/api/v1/disputes/{id}/comments/", {"text": "Vi har också journalen"}, id="comment"),
    pytest.param("post", "/api/v1/disputes/{id}/assign/", {"assignee": "web-clerk-seller"}, id="assign"),
    pytest.param("post", "/api/v1/disputes/{id}/resolve/", {"outcome": "dismissed", "note": "x"}, id="resolve"),
]


@pytest.mark.parametrize("provider", ["provider", "provider-other"])
@pytest.mark.parametrize(("method", "path", "body"), OBJECTION_REQUESTS)
def test_no_provider_reads_or_touches_an_objection_between_the_regions(world, provider, method, path, body):
    objection = world.disputes["objection"]
    dispute_comment(
        dispute=objection,
        by=world.users["clerk-buyer"],
        text=f"Patienten {world.contacts['approved-1'].patient_id} är listad hos oss sedan 2024.",
    )
    before = snapshot()

    response = getattr(world.api(provider), method)(path.format(id=objection.pk), body, format="json")

    assert (response.status_code, response.json()) == (404, {"detail": "Hittades inte."})
    assert snapshot() == before


@pytest.mark.parametrize("query", ["", "?kind=objection", "?region=25", "?region=04&status=open"])
def test_a_provider_lists_only_the_rejections_of_its_own_contacts(world, query):
    dispute_comment(
        dispute=world.disputes["objection"],
        by=world.users["clerk-buyer"],
        text=f"Patienten {world.contacts['approved-1'].patient_id} är listad hos oss.",
    )

    own = world.api("provider").get(f"/api/v1/disputes/{query}")
    other = world.api("provider-other").get(f"/api/v1/disputes/{query}")

    expected = [] if "objection" in query else [world.disputes["rejection"].pk]
    assert (own.status_code, [row["id"] for row in own.json()["results"]]) == (200, expected)
    assert (other.status_code, other.json()["results"]) == (200, [])
    assert world.contacts["approved-1"].patient_id not in own.content.decode()


COMMENT = {
    "rejection": matrix(
        anonymous=401,
        provider=201,
        clerk_seller=201,
        manager_seller=201,
        clerk_buyer=403,
        manager_buyer=403,
        clerk_third=404,
        manager_third=404,
        admin=403,
    ),
    "objection": matrix(
        anonymous=401,
        provider=404,  # no party: the case is not in its scope
        clerk_seller=201,
        manager_seller=201,
        clerk_buyer=201,
        manager_buyer=201,
        clerk_third=404,
        manager_third=404,
        admin=403,
    ),
}


@pytest.mark.parametrize(("kind", "actor", "expected"), by_kind(COMMENT))
def test_dispute_comment(world, kind, actor, expected):
    dispute = world.disputes[kind]
    before = snapshot()

    response = world.api(actor).post(
        f"/api/v1/disputes/{dispute.pk}/comments/", {"text": "Se journalen"}, format="json"
    )

    assert response.status_code == expected
    if expected == 201:
        assert DisputeComment.objects.get(dispute=dispute).author.username == f"api:api-{actor}"
    else:
        assert snapshot() == before


SELLER_DECIDES = matrix(
    anonymous=401,
    provider=403,
    clerk_seller=200,
    manager_seller=200,
    clerk_buyer=403,
    manager_buyer=403,
    clerk_third=404,
    manager_third=404,
    admin=403,
)


@pytest.mark.parametrize(("actor", "expected"), SELLER_DECIDES)
def test_dispute_assign(world, actor, expected):
    dispute = world.disputes["rejection"]
    before = snapshot()

    response = world.api(actor).post(
        f"/api/v1/disputes/{dispute.pk}/assign/", {"assignee": "web-clerk-seller"}, format="json"
    )

    assert response.status_code == expected
    if expected == 200:
        dispute.refresh_from_db()
        assert dispute.assignee == world.users["clerk-seller"]
    else:
        assert snapshot() == before


@pytest.mark.parametrize(("actor", "expected"), SELLER_DECIDES)
def test_dispute_resolve_a_rejection(world, actor, expected):
    dispute = world.disputes["rejection"]
    before = snapshot()

    response = world.api(actor).post(
        f"/api/v1/disputes/{dispute.pk}/resolve/", {"outcome": "accepted", "note": "Video avsedd"}, format="json"
    )

    assert response.status_code == expected
    if expected == 200:
        contact = world.contacts["phone"]
        contact.refresh_from_db()
        assert (response.json()["status"], contact.status, contact.overridden) == ("accepted", "eligible", True)
    else:
        assert snapshot() == before


SELLER_DECIDES_AN_OBJECTION = matrix(
    anonymous=401,
    provider=404,  # no party to an objection
    clerk_seller=200,
    manager_seller=200,
    clerk_buyer=403,
    manager_buyer=403,
    clerk_third=404,
    manager_third=404,
    admin=403,
)


@pytest.mark.parametrize(("actor", "expected"), SELLER_DECIDES_AN_OBJECTION)
def test_dispute_resolve_an_objection(world, actor, expected):
    dispute = world.disputes["objection"]
    before = snapshot()

    response = world.api(actor).post(
        f"/api/v1/disputes/{dispute.pk}/resolve/",
        {"outcome": "accepted", "note": "Korrekt", "credit_reason": 7},
        format="json",
    )

    assert response.status_code == expected
    if expected == 200:
        credit_note = Invoice.objects.get(pk=response.json()["credit_note"])
        assert (credit_note.kind, credit_note.credits_id, credit_note.status) == (
            "credit_note",
            world.invoices["approved"].pk,
            "draft",
        )
    else:
        assert snapshot() == before


def test_resolving_a_decided_dispute_is_409_and_changes_nothing(world):
    api = world.api("clerk-seller")
    dispute = world.disputes["rejection"]
    assert (
        api.post(
            f"/api/v1/disputes/{dispute.pk}/resolve/", {"outcome": "dismissed", "note": "Nej"}, format="json"
        ).status_code
        == 200
    )
    before = snapshot()

    response = api.post(f"/api/v1/disputes/{dispute.pk}/resolve/", {"outcome": "accepted", "note": "Ja"}, format="json")

    assert response.status_code == 409
    assert snapshot() == before


# Issue 16.10: the assignee's name must not tell who exists. Those who may assign (the billing region's clerks and
# managers) get one answer for every name the case cannot go to; everyone else is refused before the name is read.
NOT_ASSIGNABLE = {
    "assignee": [
        "Region Sörmland har ingen handläggare eller chef med det användarnamnet som får besluta i ärendet (den som "
        "öppnade det får inte)."
    ]
}
ASSIGN_REFUSED = {"detail": "Ärenden tilldelas inom den fakturerande regionens personal."}


@pytest.fixture
def opened_by_a_seller_clerk(world):
    """A rejection the seller's own clerk contests: that clerk may not decide it, so it cannot be assigned to them."""
    return dispute_open(contact=world.contacts["phone-2"], by=world.users["submitter"], reason="Video avsedd")


@pytest.mark.parametrize("actor", ["clerk-seller", "manager-seller"])
@pytest.mark.parametrize(
    "name",
    [
        pytest.param("nobody-of-that-name", id="missing"),
        pytest.param("web-clerk-buyer", id="the-buyers-clerk"),
        pytest.param("web-clerk-third", id="a-third-regions-clerk"),
        pytest.param("web-provider", id="a-providers-user"),
        pytest.param("web-admin", id="a-national-admin"),
        pytest.param("web-approver", id="inactive"),
        pytest.param("web-submitter", id="the-opener"),
        pytest.param("WEB-CLERK-SELLER", id="a-colleague-in-other-letters"),
    ],
)
def test_every_name_the_case_cannot_go_to_gets_the_same_answer(world, opened_by_a_seller_clerk, actor, name):
    world.users["clerk-buyer"].__class__.objects.filter(username="web-clerk-buyer").update(
        first_name="Karin", last_name="Lindqvist"
    )
    world.users["approver"].__class__.objects.filter(username="web-approver").update(is_active=False)
    before = snapshot()

    response = world.api(actor).post(
        f"/api/v1/disputes/{opened_by_a_seller_clerk.pk}/assign/", {"assignee": name}, format="json"
    )

    assert (response.status_code, response.json()) == (400, NOT_ASSIGNABLE)
    assert snapshot() == before


@pytest.mark.parametrize("actor", ["provider", "clerk-buyer", "manager-buyer", "admin"])
@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"assignee": "web-clerk-seller"}, id="a-colleague-who-may-decide"),
        pytest.param({"assignee": "web-clerk-buyer"}, id="an-existing-name"),
        pytest.param({"assignee": "nobody-of-that-name"}, id="a-missing-name"),
        pytest.param({}, id="no-name"),
    ],
)
def test_who_may_not_assign_is_refused_before_any_name_is_looked_at(world, actor, body):
    dispute = world.disputes["rejection"]
    before = snapshot()

    response = world.api(actor).post(f"/api/v1/disputes/{dispute.pk}/assign/", body, format="json")

    assert (response.status_code, response.json()) == (403, ASSIGN_REFUSED)
    assert snapshot() == before


def test_the_seller_assigns_to_a_colleague_who_may_decide(world, opened_by_a_seller_clerk):
    response = world.api("manager-seller").post(
        f"/api/v1/disputes/{opened_by_a_seller_clerk.pk}/assign/", {"assignee": "web-clerk-seller"}, format="json"
    )

    opened_by_a_seller_clerk.refresh_from_db()
    assert (response.status_code, response.json()["assignee"]) == (200, "web-clerk-seller")
    assert opened_by_a_seller_clerk.assignee == world.users["clerk-seller"]
    assert list(opened_by_a_seller_clerk.events.values_list("action", "changes")) == [
        ("opened", {"status": [None, "open"]}),
        ("assigned", {"assignee": [None, "web-clerk-seller"]}),
    ]
