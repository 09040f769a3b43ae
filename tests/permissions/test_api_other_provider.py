"""A provider system sees and writes only its own provider's contacts and disputes, even beside another
provider of the same region: every request of another provider system contracted by the seller about P's
contacts answers as if they did not exist."""

import pytest

from tests.factories import contact_item
from tests.permissions.conftest import OPEN_PERIOD, snapshot, started


def _cases():
    yield "contacts-list", "get", "/api/v1/contacts/", None, 200
    yield "contact-detail", "get", "/api/v1/contacts/{free}/", None, 404
    yield "contact-reject", "post", "/api/v1/contacts/{free}/reject/", {"note": "x"}, 404
    yield "disputes-list", "get", "/api/v1/disputes/", None, 200
    yield "dispute-detail", "get", "/api/v1/disputes/{rejection}/", None, 404
    yield "dispute-comment", "post", "/api/v1/disputes/{rejection}/comments/", {"text": "x"}, 404
    yield "dispute-resolve", "post", "/api/v1/disputes/{rejection}/resolve/", {"outcome": "accepted", "note": "x"}, 404
    yield "dispute-open", "post", "/api/v1/disputes/", {"contact": "{phone-2}", "reason": "x"}, 400
    yield "provider-detail", "get", "/api/v1/providers/{P}/", None, 404
    yield "invoices-list", "get", "/api/v1/invoices/", None, 200
    yield "invoice-detail", "get", "/api/v1/invoices/{approved}/", None, 404


@pytest.mark.parametrize(("method", "path", "body", "expected"), [pytest.param(*c[1:], id=c[0]) for c in _cases()])
def test_another_provider_of_the_region_gets_nothing_of_p(world, method, path, body, expected):
    ids = {
        "free": world.contacts["free"].pk,
        "phone-2": world.contacts["phone-2"].pk,
        "rejection": world.disputes["rejection"].pk,
        "approved": world.invoices["approved"].pk,
        "P": world.provider.hsa_id,
    }
    path = path.format(**ids)
    if body and body.get("contact"):
        body = {**body, "contact": ids["phone-2"]}
    before = snapshot()

    response = getattr(world.api("provider-other"), method)(path, body, format="json")

    assert response.status_code == expected
    assert snapshot() == before
    if expected == 200:
        assert response.json()["results"] == []
    elif expected == 400:
        assert response.json() == {"contact": ["Okänd kontakt."]}


def test_another_provider_cannot_report_or_change_ps_contacts(world):
    free = world.contacts["free"]
    items = [
        contact_item(provider=world.provider.hsa_id, external_id="new-1", started_at=started(OPEN_PERIOD, 12)),
        contact_item(
            provider=world.provider.hsa_id,
            external_id="free",
            patient_id=free.patient_id,
            started_at=free.started_at.isoformat(),
            patient_fee="0.00",
        ),
    ]
    before = snapshot()

    response = world.api("provider-other").post("/api/v1/contacts/bulk/", items, format="json")

    own_only = {"provider": ["Ett vårdgivarsystem får bara rapportera sina egna kontakter."]}
    assert response.status_code == 200
    assert response.json() == {
        "created": 0,
        "updated": 0,
        "unchanged": 0,
        "errors": [
            {"index": 0, "external_id": "new-1", "errors": own_only},
            {"index": 1, "external_id": "free", "errors": own_only},
        ],
    }
    assert snapshot() == before
