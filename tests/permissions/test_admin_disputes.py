"""The matrix over the dispute queue in the admin: the list and its filters, the case page, and its views
(open a case from a contact, comment, assign, decide)."""

import pytest
from django.urls import reverse

from disputes.models import Dispute, DisputeComment
from disputes.services import dispute_open
from tests.permissions.conftest import GONE, LOGIN, admin_answer, matrix, messages_of, snapshot
from tests.permissions.test_api_disputes import DISPUTES_SEEN

QUEUE = reverse("admin:disputes_dispute_changelist")


def _kinds(response) -> list[str]:
    return sorted(dispute.kind for dispute in response.context["cl"].result_list)


@pytest.mark.parametrize(
    ("actor", "expected"),
    matrix(
        anonymous=LOGIN,
        provider=LOGIN,
        clerk_seller=200,
        manager_seller=200,
        clerk_buyer=200,
        manager_buyer=200,
        clerk_third=200,
        manager_third=200,
        admin=200,
    ),
)
def test_dispute_queue(world, actor, expected):
    response = world.web(actor).get(QUEUE)

    assert admin_answer(response) == expected
    if expected == 200:
        assert _kinds(response) == DISPUTES_SEEN[actor]
        assert response.context["counts"] == {"open": len(DISPUTES_SEEN[actor]), "overdue": 0}


@pytest.mark.parametrize(
    ("actor", "query", "expected"),
    [
        pytest.param("clerk-third", "billing_region=04", [], id="clerk-third-billing_region=04"),
        pytest.param("manager-third", "home_region=25", [], id="manager-third-home_region=25"),
        pytest.param("clerk-third", "q=phone", [], id="clerk-third-search-external_id"),
        pytest.param("clerk-third", "kind__exact=rejection", [], id="clerk-third-kind"),
        pytest.param("clerk-buyer", "billing_region=06", [], id="clerk-buyer-billing_region=06"),
        pytest.param("clerk-buyer", "home_region=06", [], id="clerk-buyer-home_region=06"),
        pytest.param(
            "clerk-buyer", "billing_region=04", ["objection", "rejection"], id="clerk-buyer-billing_region=04"
        ),
        pytest.param("clerk-buyer", "q=phone", ["rejection"], id="clerk-buyer-search-external_id"),
    ],
)
def test_dispute_queue_filters_never_reach_outside_the_scope(world, actor, query, expected):
    response = world.web(actor).get(f"{QUEUE}?{query}")

    assert response.status_code == 200
    assert _kinds(response) == expected


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
def test_dispute_page(world, actor, expected, page):
    dispute = world.disputes["rejection"]

    response = world.web(actor).get(reverse(f"admin:disputes_dispute_{page}", args=[dispute.pk]))

    if page == "history" and expected == 200:  # the "History" button leads to the page's own history
        change = reverse("admin:disputes_dispute_change", args=[dispute.pk])
        assert (response.status_code, response["Location"]) == (302, f"{change}#history")
    else:
        assert admin_answer(response) == expected
    if expected == 200 and page == "change":
        assert response.context["original"] == dispute


# What the case page offers each actor on the open rejection case: the comment form to the parties, the
# decision to the billing region.
OFFERED = {
    "clerk-seller": (True, True),
    "manager-seller": (True, True),
    "clerk-buyer": (False, False),
    "manager-buyer": (False, False),
    "admin": (False, False),
}


@pytest.mark.parametrize("actor", list(OFFERED))
def test_dispute_page_offers_only_what_the_actor_may_do(world, actor):
    response = world.web(actor).get(reverse("admin:disputes_dispute_change", args=[world.disputes["rejection"].pk]))

    assert (response.context["comment_form"] is not None, response.context["can_decide"]) == OFFERED[actor]


@pytest.mark.parametrize(
    ("actor", "expected"),
    matrix(
        anonymous=LOGIN,
        provider=LOGIN,
        clerk_seller=200,
        manager_seller=200,
        clerk_buyer=200,
        manager_buyer=200,
        clerk_third=404,
        manager_third=404,
        admin=200,
    ),
)
def test_open_case_form(world, actor, expected):
    response = world.web(actor).get(reverse("admin:disputes_dispute_open", args=[world.contacts["phone-2"].pk]))

    assert admin_answer(response) == expected


# Opening a case on a rejected contact: its billing region may; the buyer and admins are told why not.
@pytest.mark.parametrize(
    ("actor", "expected"),
    matrix(
        anonymous=LOGIN,
        provider=LOGIN,
        clerk_seller=302,
        manager_seller=302,
        clerk_buyer=200,
        manager_buyer=200,
        clerk_third=404,
        manager_third=404,
        admin=200,
    ),
)
def test_open_case(world, actor, expected):
    contact = world.contacts["phone-2"]
    before = snapshot()

    response = world.web(actor).post(reverse("admin:disputes_dispute_open", args=[contact.pk]), {"reason": "Video"})

    assert admin_answer(response) == expected
    if expected == 302:
        dispute = Dispute.objects.get(contact=contact)
        assert response["Location"] == reverse("admin:disputes_dispute_change", args=[dispute.pk])
        assert (dispute.kind, dispute.opened_by) == ("rejection", world.users[actor])
    else:
        assert snapshot() == before
    if expected == 200:
        assert messages_of(response) == [
            "Bara kontaktens vårdgivare eller den fakturerande regionen får bestrida avvisningen."
        ]


# The case's views answer 404 outside the scope; inside it, the service refuses what the actor may not do and
# the page says so (a redirect back to the case with the message).
CASE_VIEW = matrix(
    anonymous=LOGIN,
    provider=LOGIN,
    clerk_seller=302,
    manager_seller=302,
    clerk_buyer=302,
    manager_buyer=302,
    clerk_third=404,
    manager_third=404,
    admin=302,
)
SELLER_STAFF = ("clerk-seller", "manager-seller")


@pytest.mark.parametrize(("actor", "expected"), CASE_VIEW)
@pytest.mark.parametrize("kind", ["rejection", "objection"])
def test_case_comment(world, actor, expected, kind):
    dispute = world.disputes[kind]
    parties = (*SELLER_STAFF, "clerk-buyer", "manager-buyer") if kind == "objection" else SELLER_STAFF
    before = snapshot()

    response = world.web(actor).post(reverse("admin:disputes_dispute_comment", args=[dispute.pk]), {"text": "Se"})

    assert admin_answer(response) == expected
    if actor in parties:
        assert DisputeComment.objects.get(dispute=dispute).author == world.users[actor]
    else:
        assert snapshot() == before
    if expected == 302 and actor not in parties:
        assert messages_of(response) == ["Bara ärendets parter får kommentera det."]


@pytest.mark.parametrize(("actor", "expected"), CASE_VIEW)
def test_case_assign(world, actor, expected):
    dispute = world.disputes["rejection"]
    before = snapshot()

    response = world.web(actor).post(
        reverse("admin:disputes_dispute_assign", args=[dispute.pk]), {"assignee": world.users["clerk-seller"].pk}
    )

    assert admin_answer(response) == expected
    if actor in SELLER_STAFF:
        dispute.refresh_from_db()
        assert dispute.assignee == world.users["clerk-seller"]
    else:
        assert snapshot() == before
    if expected == 302 and actor not in SELLER_STAFF:
        assert messages_of(response) == ["Ärenden tilldelas inom den fakturerande regionens personal."]


@pytest.mark.parametrize(("actor", "expected"), CASE_VIEW)
def test_case_decide(world, actor, expected):
    dispute = world.disputes["rejection"]
    before = snapshot()

    response = world.web(actor).post(
        reverse("admin:disputes_dispute_decide", args=[dispute.pk]), {"outcome": "dismissed", "note": "Telefon"}
    )

    assert admin_answer(response) == expected
    if actor in SELLER_STAFF:
        dispute.refresh_from_db()
        assert (dispute.status, dispute.decided_by) == ("dismissed", world.users[actor])
    else:
        assert snapshot() == before
    if expected == 302 and actor not in SELLER_STAFF:
        assert messages_of(response) == ["Bara den fakturerande regionens handläggare och chefer beslutar i tvister."]


ADMIN_NOT_ASSIGNABLE = (
    "Region Sörmland har ingen handläggare eller chef med det användarnamnet som får besluta i ärendet (den som "
    "öppnade det får inte)."
)


@pytest.mark.parametrize(
    "chosen",
    [
        pytest.param("buyer", id="the-buyers-clerk"),
        pytest.param("opener", id="the-opener"),
        pytest.param("999999", id="missing"),
        pytest.param("99999999999999999999", id="out-of-range"),
        pytest.param("abc", id="not-a-number"),
        pytest.param("", id="empty"),
    ],
)
def test_assigning_in_the_admin_gives_one_answer_for_every_person_the_case_cannot_go_to(world, chosen):
    dispute = dispute_open(contact=world.contacts["phone-2"], by=world.users["submitter"], reason="Video")
    value = {"buyer": world.users["clerk-buyer"].pk, "opener": world.users["submitter"].pk}.get(chosen, chosen)
    before = snapshot()

    response = world.web("clerk-seller").post(
        reverse("admin:disputes_dispute_assign", args=[dispute.pk]), {"assignee": value}
    )

    assert (response.status_code, messages_of(response)) == (302, [ADMIN_NOT_ASSIGNABLE])
    assert snapshot() == before


@pytest.mark.parametrize("actor", ["clerk-buyer", "admin"])
@pytest.mark.parametrize("chosen", ["seller", "abc", "999999"])
def test_who_may_not_assign_in_the_admin_is_refused_whatever_is_chosen(world, actor, chosen):
    dispute = world.disputes["rejection"]
    value = world.users["clerk-seller"].pk if chosen == "seller" else chosen
    before = snapshot()

    response = world.web(actor).post(reverse("admin:disputes_dispute_assign", args=[dispute.pk]), {"assignee": value})

    assert (response.status_code, messages_of(response)) == (
        302,
        ["Ärenden tilldelas inom den fakturerande regionens personal."],
    )
    assert snapshot() == before
