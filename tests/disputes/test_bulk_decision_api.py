"""``POST /api/v1/disputes/decide/``: the seller's bulk decision through the API, a result per case, input errors a
400 in the project's format (never a 500), other regions' cases "not found"; and ``proposed_credit_reason`` on the
dispute's representation and when opening an objection."""

from decimal import Decimal

import pytest

from billing.models import Invoice
from contacts.models import Contact
from disputes.models import Dispute
from regions.models import Role
from tests.disputes.test_bulk_decision import both_approved, clerk01, objections  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db

URL = "/api/v1/disputes/decide/"


def test_the_seller_accepts_a_batch_and_gets_a_result_per_case(api_as, objections):  # noqa: F811
    seller = api_as(Role.CLERK, "04")
    decided_before = objections["sj-31"]
    seller.post(
        f"/api/v1/disputes/{decided_before.pk}/resolve/", {"outcome": "dismissed", "note": "Nej"}, format="json"
    )
    ids = sorted(case.pk for case in objections.values())

    response = seller.post(URL, {"ids": [*ids, 987_654], "outcome": "accepted", "note": "Godtas"}, format="json")

    assert response.status_code == 200
    body = response.json()
    notes = {(n.credits.buyer_id, n.credit_reason): n.pk for n in Invoice.objects.filter(kind="credit_note")}
    expected = {
        objections["lk-29"].pk: ("accepted", 1, notes[("25", 1)], "done", None),
        objections["ps-30"].pk: ("accepted", 1, notes[("25", 1)], "done", None),
        objections["lk-30"].pk: ("accepted", 7, notes[("25", 7)], "done", None),
        objections["sj-31"].pk: (
            "dismissed",
            None,
            None,
            "refused",
            {"status": 409, "code": "already_decided", "detail": f"Tvist {objections['sj-31'].pk} är redan beslutad."},
        ),
        objections["lk-01"].pk: ("accepted", 5, notes[("01", 5)], "done", None),
        987_654: (None, None, None, "refused", {"status": 404, "code": "not_found", "detail": "Hittades inte."}),
    }
    assert (body["done"], body["refused"]) == (4, 2)
    assert [r["id"] for r in body["results"]] == sorted(expected)
    assert {
        r["id"]: (r["status"], r["credit_reason"], r["credit_note"], r["result"], r["error"]) for r in body["results"]
    } == expected
    assert Invoice.objects.get(pk=notes[("25", 1)]).total == Decimal("-805.00")


def test_a_chosen_reason_applies_to_all_and_a_dismissal_credits_nothing(api_as, objections):  # noqa: F811
    seller = api_as(Role.MANAGER, "04")
    accepted = seller.post(
        URL,
        {
            "ids": [objections["lk-29"].pk, objections["lk-30"].pk],
            "outcome": "accepted",
            "note": "Ja",
            "credit_reason": 9,
        },
        format="json",
    )
    dismissed = seller.post(
        URL, {"ids": [objections["ps-30"].pk], "outcome": "dismissed", "note": "Nej"}, format="json"
    )

    assert [r["credit_reason"] for r in accepted.json()["results"]] == [9, 9]
    (note,) = Invoice.objects.filter(kind="credit_note")
    assert (note.credit_reason, note.total) == (9, Decimal("-735.00"))
    assert (
        dismissed.json()["results"][0]["status"] == "dismissed"
        and Dispute.objects.get(pk=objections["ps-30"].pk).credit_note is None
    )


def test_other_regions_cases_are_not_found_and_the_buyer_may_not_decide(api_as, objections):  # noqa: F811
    ids = sorted(case.pk for case in objections.values())
    elsewhere = api_as(Role.CLERK, "06").post(URL, {"ids": ids, "outcome": "dismissed", "note": "x"}, format="json")
    buyer = api_as(Role.CLERK, "25").post(URL, {"ids": ids, "outcome": "dismissed", "note": "x"}, format="json")
    provider = api_as(Role.ADMIN).post(URL, {"ids": ids, "outcome": "dismissed", "note": "x"}, format="json")

    assert {r["error"]["code"] for r in elsewhere.json()["results"]} == {"not_found"}
    codes = {r["id"]: r["error"]["code"] for r in buyer.json()["results"]}
    assert codes == {pk: ("not_found" if pk == objections["lk-01"].pk else "forbidden") for pk in ids}
    assert provider.status_code == 403
    assert provider.json() == {"detail": "Bara den fakturerande regionens handläggare och chefer beslutar i tvister."}
    assert set(Dispute.objects.values_list("status", flat=True)) == {"open"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"outcome": "accepted", "note": "x"}, "ids"),
        ({"ids": [], "outcome": "accepted", "note": "x"}, "ids"),
        ({"ids": "1,2", "outcome": "accepted", "note": "x"}, "ids"),
        ({"ids": ["12"], "outcome": "accepted", "note": "x"}, "ids"),
        ({"ids": [1.5], "outcome": "accepted", "note": "x"}, "ids"),
        ({"ids": [True], "outcome": "accepted", "note": "x"}, "ids"),
        ({"ids": [0], "outcome": "accepted", "note": "x"}, "ids"),
        ({"ids": [2**70], "outcome": "accepted", "note": "x"}, "ids"),
        ({"ids": [1, 1], "outcome": "accepted", "note": "x"}, "ids"),
        ({"ids": list(range(1, 10_002)), "outcome": "accepted", "note": "x"}, "ids"),
        ({"ids": [1], "outcome": "maybe", "note": "x"}, "outcome"),
        ({"ids": [1], "outcome": "accepted"}, "note"),
        ({"ids": [1], "outcome": "accepted", "note": "  "}, "note"),
        ({"ids": [1], "outcome": "accepted", "note": "x", "credit_reason": 10}, "credit_reason"),
        ({"ids": [1], "outcome": "accepted", "note": "x", "credit_reason": "sju"}, "credit_reason"),
        ({"ids": [1], "outcome": "dismissed", "note": "x", "credit_reason": 7}, "credit_reason"),
    ],
)
def test_input_errors_are_400_on_the_field_and_decide_nothing(api_as, objections, body, field):  # noqa: F811
    response = api_as(Role.CLERK, "04").post(URL, body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert set(Dispute.objects.values_list("status", flat=True)) == {"open"}


def test_a_body_that_is_not_an_object_is_a_400(api_as, objections):  # noqa: F811
    client = api_as(Role.CLERK, "04")
    for raw in (b"[1, 2]", b"not json", b'"x"'):
        response = client.generic("POST", URL, raw, content_type="application/json")
        assert response.status_code == 400, raw


def test_the_objection_proposes_a_credit_reason_and_the_dispute_shows_it(api_as, both_approved, january):  # noqa: F811
    buyer = api_as(Role.CLERK, "25")
    lk30 = Contact.objects.get(external_id="lk-30")

    out_of_range = buyer.post(
        "/api/v1/disputes/", {"contact": lk30.pk, "reason": "x", "proposed_credit_reason": 0}, format="json"
    )
    opened = buyer.post(
        "/api/v1/disputes/",
        {"contact": lk30.pk, "reason": "Listad hos oss", "proposed_credit_reason": 7},
        format="json",
    )
    plain = buyer.post(
        "/api/v1/disputes/", {"contact": Contact.objects.get(external_id="lk-29").pk, "reason": "x"}, format="json"
    )

    assert (out_of_range.status_code, list(out_of_range.json())) == (400, ["proposed_credit_reason"])
    assert (opened.status_code, opened.json()["proposed_credit_reason"]) == (201, 7)
    assert plain.json()["proposed_credit_reason"] is None
    listed = {
        d["id"]: d["proposed_credit_reason"]
        for d in api_as(Role.CLERK, "04").get("/api/v1/disputes/").json()["results"]
    }
    assert listed[opened.json()["id"]] == 7


def test_a_rejection_cannot_propose_a_credit_reason(api_as, january, providers):
    provider = api_as(Role.PROVIDER, provider=providers["04a"])
    phone = Contact.objects.get(external_id="phone")

    response = provider.post(
        "/api/v1/disputes/", {"contact": phone.pk, "reason": "Video", "proposed_credit_reason": 1}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "proposed_credit_reason": ["Bara en invändning mot en fakturerad kontakt föreslår en krediteringsorsak."]
    }
    assert not Dispute.objects.exists()
