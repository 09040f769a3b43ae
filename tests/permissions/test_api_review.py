"""The matrix over the buyer's review API (issue 18): only the buyer region's staff see a received invoice's review
(404 for everyone else, as anything out of scope); its clerks and managers object to flagged lines in bulk, and a
refused request changes nothing."""

import datetime as dt

import pytest

from disputes.models import Dispute
from review.models import PopulationEntry
from tests.permissions.conftest import BUYER, matrix, snapshot

NOT_FOUND = 404


@pytest.fixture
def flagged(world):
    """A population extract of the buyer that knows none of the approved invoice's patients: every line flagged
    "unknown". The lines of contacts approved-1 (already objected to) and approved-2."""
    PopulationEntry.objects.create(
        region_id=BUYER,
        personal_identity="194001019801",
        lan_code=BUYER,
        municipality_code=f"{BUYER}80",
        valid_from=dt.date(2000, 1, 1),
    )
    lines = world.invoices["approved"].lines.filter(credit=False)
    return {name: lines.get(contact=world.contacts[name]) for name in ("approved-1", "approved-2")}


@pytest.mark.parametrize(
    ("actor", "expected"),
    matrix(
        anonymous=401,
        provider=NOT_FOUND,
        clerk_seller=NOT_FOUND,
        manager_seller=NOT_FOUND,
        clerk_buyer=200,
        manager_buyer=200,
        clerk_third=NOT_FOUND,
        manager_third=NOT_FOUND,
        admin=NOT_FOUND,
    ),
)
def test_read_the_review(world, flagged, actor, expected):
    invoice = world.invoices["approved"]
    response = world.api(actor).get(f"/api/v1/invoices/{invoice.pk}/review/")
    assert response.status_code == expected
    if expected == 200:
        body = response.json()
        assert {line["id"] for line in body["results"]} >= {line.pk for line in flagged.values()}
        assert {t["flag"]: t["lines"] for t in body["totals"]}["unknown"] == invoice.lines.filter(credit=False).count()


@pytest.mark.parametrize(
    ("actor", "expected"),
    matrix(
        anonymous=401,
        provider=NOT_FOUND,
        clerk_seller=NOT_FOUND,
        manager_seller=NOT_FOUND,
        clerk_buyer=201,
        manager_buyer=201,
        clerk_third=NOT_FOUND,
        manager_third=NOT_FOUND,
        admin=NOT_FOUND,
    ),
)
def test_object_in_bulk(world, flagged, actor, expected):
    invoice = world.invoices["approved"]
    before = snapshot()
    response = world.api(actor).post(
        f"/api/v1/invoices/{invoice.pk}/objections/",
        {"line_ids": [flagged["approved-1"].pk, flagged["approved-2"].pk]},
        format="json",
    )
    assert response.status_code == expected
    if expected == 201:
        opened = Dispute.objects.get(invoice_line=flagged["approved-2"])
        assert response.json() == {
            "opened": [{"line_id": flagged["approved-2"].pk, "dispute_id": opened.pk}],
            "skipped": [{"line_id": flagged["approved-1"].pk, "reason": "redan invänd mot"}],
        }
    else:
        assert snapshot() == before


def test_a_draft_has_no_review(world):
    draft = world.invoices["draft"]
    assert world.api("clerk-buyer").get(f"/api/v1/invoices/{draft.pk}/review/").status_code == NOT_FOUND
    before = snapshot()
    response = world.api("clerk-buyer").post(
        f"/api/v1/invoices/{draft.pk}/objections/", {"line_ids": [1]}, format="json"
    )
    assert response.status_code == NOT_FOUND
    assert snapshot() == before
