import pytest
from django.urls import reverse
from django.utils.html import escape

from contacts.models import Contact, ContactEvent
from disputes.models import Dispute, DisputeComment
from regions.models import Role
from tests.billing.conftest import staff  # noqa: F401 (shared fixtures)
from tests.factories import CONTACTS, SCRIPT, contact_item

pytestmark = pytest.mark.django_db

SQL = "'; DROP TABLE contacts_contact; --"


# --- SQL and HTML in text: data, shown escaped -------------------------------------------------------------


def test_sql_and_html_in_texts_are_stored_as_given_and_escaped_in_the_admin(client, api_as, staff, providers):  # noqa: F811
    system = api_as(Role.PROVIDER, provider=providers["04a"])
    clerk = api_as(Role.CLERK, "04")
    admin = api_as(Role.ADMIN)
    html_id = system.post(CONTACTS, contact_item(external_id=SCRIPT, mode="phone"), format="json").json()["id"]
    sql_id = system.post(CONTACTS, contact_item(external_id=SQL), format="json").json()["id"]
    clerk.post(f"{CONTACTS}{sql_id}/reject/", {"note": f"{SCRIPT} {SQL}"}, format="json")
    dispute = clerk.post("/api/v1/disputes/", {"contact": html_id, "reason": SCRIPT}, format="json").json()
    clerk.post(f"/api/v1/disputes/{dispute['id']}/comments/", {"text": f"<img src=x onerror=alert(1)> {SQL}"})
    provider = admin.post(
        "/api/v1/providers/",
        {"hsa_id": "SE5560000019-X1", "name": f"{SCRIPT} AB", "org_number": "5560000019", "region": "04"},
        format="json",
    )
    client.force_login(staff["clerk04"])

    pages = {
        "contacts": client.get(reverse("admin:contacts_contact_changelist")),
        "contact": client.get(reverse("admin:contacts_contact_change", args=[html_id])),
        "rejected contact": client.get(reverse("admin:contacts_contact_change", args=[sql_id])),
        "search": client.get(reverse("admin:contacts_contact_changelist"), {"q": SQL}),
        "dispute": client.get(reverse("admin:disputes_dispute_change", args=[dispute["id"]])),
        "providers": client.get(reverse("admin:regions_provider_changelist")),
    }

    assert provider.status_code == 201
    assert sorted(Contact.objects.values_list("external_id", flat=True)) == sorted([SCRIPT, SQL])
    assert ContactEvent.objects.get(contact_id=sql_id).note == f"{SCRIPT} {SQL}"
    assert Dispute.objects.get().reason == SCRIPT
    assert DisputeComment.objects.get().text == f"<img src=x onerror=alert(1)> {SQL}"
    assert system.get(f"{CONTACTS}{html_id}/").json()["external_id"] == SCRIPT
    for name, response in pages.items():
        html = response.content.decode()
        assert response.status_code == 200, name
        assert "<script>alert" not in html and "<img src=x" not in html, name
    assert escape(SCRIPT) in pages["contact"].content.decode()
    assert escape(f"{SCRIPT} {SQL}") in pages["rejected contact"].content.decode()
    assert [c.external_id for c in pages["search"].context["cl"].result_list] == [SQL]
    assert escape(SCRIPT) in pages["dispute"].content.decode()
    assert escape("<img src=x onerror=alert(1)>") in pages["dispute"].content.decode()
    assert escape(f"{SCRIPT} AB") in pages["providers"].content.decode()
