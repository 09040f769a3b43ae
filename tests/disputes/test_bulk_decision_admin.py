"""The seller's side in the admin: incoming objections by invoice and proposed credit reason with counts and kronor,
the list's actions that accept or dismiss the selection (or a whole group) after a confirmation naming the count and
kronor, with the note and the credit reason; the case page shows the proposed reason."""

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from billing.models import Invoice
from disputes.models import Dispute
from disputes.services import dispute_resolve
from tests.disputes.test_bulk_decision import both_approved, clerk01, objections  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db

NBSP = "\u00a0"
CHANGELIST = "/admin/disputes/dispute/"


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_the_seller_sees_the_incoming_objections_by_invoice_and_reason(client, objections, both_approved, staff):  # noqa: F811
    client.force_login(staff["clerk04"])
    response = client.get(reverse("admin:disputes_dispute_objections"))

    assert response.status_code == 200
    groups = [(g["invoice"], g["reason"], g["count"], g["amount"]) for g in response.context["groups"]]
    to_25, to_01 = both_approved["25"].number, both_approved["01"].number
    assert sorted(groups) == sorted(
        [
            (to_25, "1 Fel hemregion", 2, Decimal("805.00")),
            (to_25, "7 Dubbelfakturering", 2, Decimal("335.00")),
            (to_01, "5 Ingen giltig remiss", 1, Decimal("500.00")),
        ]
    )
    page = response.content.decode()
    assert f"5 invändningar att besluta om (1{NBSP}640,00{NBSP}kr)" in page
    # Each group's link lists exactly its cases.
    first = next(g for g in response.context["groups"] if g["reason"].startswith("7 "))
    listed = client.get(first["url"])
    assert sorted(d.pk for d in listed.context["cl"].result_list) == sorted(
        [objections["lk-30"].pk, objections["sj-31"].pk]
    )


def test_the_buyer_and_others_see_no_groups(client, objections, staff):  # noqa: F811
    for user in (staff["clerk25"], staff["clerk06"]):
        client.force_login(user)
        response = client.get(reverse("admin:disputes_dispute_objections"))
        assert (response.status_code, response.context["groups"]) == (200, [])


def test_accepting_the_selection_asks_with_count_and_kronor_then_credits(client, objections, staff):  # noqa: F811
    client.force_login(staff["clerk04"])
    ids = [str(case.pk) for case in objections.values()]
    asked = client.post(CHANGELIST, {"action": "accept_objections", "index": "0", "_selected_action": ids})

    assert asked.status_code == 200
    page = asked.content.decode()
    assert f"Godta 5 invändningar (1{NBSP}640,00{NBSP}kr)?" in page
    assert "Den orsak varje invändning föreslår" in page
    assert set(Dispute.objects.values_list("status", flat=True)) == {"open"}

    # Between the question and the answer a colleague dismisses one: it is refused, the others are decided.
    dispute_resolve(dispute=objections["sj-31"], by=staff["manager04"], outcome="dismissed", note="Nej")
    done = client.post(
        CHANGELIST,
        {
            "action": "accept_objections",
            "index": "0",
            "select_across": "1",
            "_selected_action": str(asked.context["first_id"]),
            "confirm": "yes",
            "decided_ids": asked.context["decided_ids"],
            "note": "Godtas efter granskning",
            "credit_reason": "",
        },
    )

    assert done.status_code == 302
    assert _messages(done) == [
        f"4 invändningar godtagna (1{NBSP}640,00{NBSP}kr), krediterade på 3 utkast till kreditfakturor.",
        "1 ärende nekat:",
        f"{objections['sj-31'].pk}: Tvist {objections['sj-31'].pk} är redan beslutad.",
    ]
    assert sorted(Invoice.objects.filter(kind="credit_note").values_list("credit_reason", "total")) == [
        (1, Decimal("-805.00")),
        (5, Decimal("-500.00")),
        (7, Decimal("-335.00")),
    ]
    assert Dispute.objects.get(pk=objections["lk-30"].pk).decision_note == "Godtas efter granskning"


def test_a_chosen_reason_and_a_missing_note(client, objections, staff):  # noqa: F811
    client.force_login(staff["clerk04"])
    ids = [str(objections["lk-29"].pk), str(objections["lk-30"].pk)]
    confirm = {"action": "accept_objections", "index": "0", "select_across": "1", "confirm": "yes"}
    confirm["_selected_action"] = ids[0]
    confirm["decided_ids"] = ",".join(ids)

    no_note = client.post(CHANGELIST, {**confirm, "note": " ", "credit_reason": "9"})
    assert no_note.status_code == 200  # the question again, with the form's error
    assert "note" in no_note.context["form"].errors
    assert set(Dispute.objects.values_list("status", flat=True)) == {"open"}

    done = client.post(CHANGELIST, {**confirm, "note": "Ej fakturerbar", "credit_reason": "9"})
    assert done.status_code == 302
    (note,) = Invoice.objects.filter(kind="credit_note")
    assert (note.credit_reason, note.total, note.contact_count) == (9, Decimal("-735.00"), 2)
    # Only the cases the question named, though the whole list was "selected across".
    assert Dispute.objects.filter(status="open").count() == 3


def test_a_whole_group_from_the_grouped_screen(client, objections, staff):  # noqa: F811
    client.force_login(staff["clerk04"])
    groups = client.get(reverse("admin:disputes_dispute_objections")).context["groups"]
    group = next(g for g in groups if g["reason"].startswith("1 "))

    asked = client.post(
        group["url"],
        {"action": "dismiss_objections", "index": "0", "select_across": "1", "_selected_action": group["first_id"]},
    )
    assert asked.status_code == 200
    assert f"Avslå 2 invändningar (805,00{NBSP}kr)? Inget krediteras." in asked.content.decode()
    done = client.post(
        group["url"],
        {
            "action": "dismiss_objections",
            "index": "0",
            "select_across": "1",
            "_selected_action": str(asked.context["first_id"]),
            "confirm": "yes",
            "decided_ids": asked.context["decided_ids"],
            "note": "Korrekt fakturerat",
        },
    )

    assert _messages(done) == [f"2 invändningar avslagna (805,00{NBSP}kr)."]
    assert sorted(Dispute.objects.filter(status="dismissed").values_list("pk", flat=True)) == sorted(
        [objections["lk-29"].pk, objections["ps-30"].pk]
    )


def test_the_buyer_is_told_none_can_be_decided(client, objections, staff):  # noqa: F811
    client.force_login(staff["clerk25"])
    ids = [str(objections["lk-29"].pk)]
    asked = client.post(CHANGELIST, {"action": "accept_objections", "index": "0", "_selected_action": ids})

    assert asked.status_code == 200
    assert not asked.context["done"]
    assert asked.context["refused"] == [
        (objections["lk-29"].pk, "Bara den fakturerande regionens handläggare och chefer beslutar i tvister.")
    ]


def test_the_case_page_shows_the_proposed_reason_and_preselects_it(client, objections, staff):  # noqa: F811
    client.force_login(staff["clerk04"])
    response = client.get(reverse("admin:disputes_dispute_change", args=[objections["lk-30"].pk]))

    assert response.status_code == 200
    assert "7 Dubbelfakturering" in response.content.decode()
    assert response.context["decide_form"]["credit_reason"].value() == 7
