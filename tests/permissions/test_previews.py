"""The matrix over the previews of drafts and submitted invoices (rendered once per version, in-process in tests):
who may read them is unchanged. The API keeps API.md's scope (the buyer's system reads a draft); the admin's screens
hide a draft from its buyer until it is submitted; anyone else gets 404, as for an invoice that does not exist."""

import pytest
from django.urls import reverse

from tests.permissions.conftest import LOGIN, admin_answer, matrix
from tests.permissions.test_api_billing import PARTIES_READ


@pytest.mark.parametrize(("actor", "expected"), PARTIES_READ)
@pytest.mark.parametrize("status", ["draft", "submitted"])
@pytest.mark.parametrize("document", ["pdf", "specification-pdf"])
def test_api_previews(world, actor, expected, status, document):
    response = world.api(actor).get(f"/api/v1/invoices/{world.invoices[status].pk}/{document}/")

    assert response.status_code == expected
    if expected == 200:
        assert response["Content-Type"] == "application/pdf"
        assert b"".join(response.streaming_content).startswith(b"%PDF-")


ADMIN_PREVIEW = {
    "draft": matrix(
        anonymous=LOGIN,
        provider=LOGIN,
        clerk_seller=200,
        manager_seller=200,
        clerk_buyer=404,
        manager_buyer=404,
        clerk_third=404,
        manager_third=404,
        admin=200,
    ),
    "submitted": matrix(
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
}


@pytest.mark.parametrize(("status", "actor", "expected"), [
    pytest.param(status, *param.values, id=f"{status}-{param.id}")
    for status, params in ADMIN_PREVIEW.items() for param in params
])  # fmt: skip
def test_admin_preview(world, status, actor, expected):
    response = world.web(actor).get(reverse("admin:billing_invoice_pdf", args=[world.invoices[status].pk]))

    assert admin_answer(response) == expected
    if expected == 200:
        assert response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF-")
