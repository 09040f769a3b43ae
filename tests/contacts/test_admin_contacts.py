"""The contact screen as a person reads it (issue 8): the provider by name and amounts in kronor in the list
and on the contact's page, and rejection through a confirmation page (``contacts.admin``)."""

import pytest
from django.urls import reverse

from contacts.models import Contact
from tests.admin_pages import NBSP, field, listed

pytestmark = pytest.mark.django_db


def test_the_contact_list_names_the_provider_and_shows_amounts_in_kronor(client, staff, january, providers):
    client.force_login(staff["clerk04"])

    page = client.get(reverse("admin:contacts_contact_changelist") + "?q=lk-29")
    rows = listed(page)

    # (Issue 15: the billing and home regions in one column by their codes, the profession by its code; each names
    # itself on hover, so that the list fits a 1280 px screen.)
    assert [row[1:] for row in rows] == [
        [
            "lk-29",
            providers["04a"].name,
            "198503122387",
            f"04{NBSP}→ 25",
            "LK",
            "Ersättningsberättigad",
            "–",
            f"400,00{NBSP}kr",
        ]
    ]
    html = page.content.decode()
    assert (
        '<td class="field-regions_display"><abbr title="Region Sörmland">04</abbr>&nbsp;→ '
        '<abbr title="Region Norrbotten">25</abbr></td>'
    ) in html
    assert '<td class="field-profession_display"><abbr title="Läkare">LK</abbr></td>' in html


def test_the_contact_page_names_people_and_shows_kronor(client, staff, january, providers):
    contact = Contact.objects.get(external_id="lk-29")
    client.force_login(staff["clerk04"])

    page = client.get(reverse("admin:contacts_contact_change", args=[contact.pk])).content.decode()

    assert f"<h2>lk-29 ({providers['04a'].name})</h2>" in page
    assert (field(page, "rate_display"), field(page, "amount_display"), field(page, "patient_fee_display")) == (
        f"500,00{NBSP}kr",
        f"400,00{NBSP}kr",
        f"100,00{NBSP}kr",
    )
    assert field(page, "created_by_display") == "clerk04"


def test_rejecting_contacts_goes_through_a_confirmation_page(client, staff, january):
    contact = Contact.objects.get(external_id="lk-29")
    client.force_login(staff["clerk04"])
    url = reverse("admin:contacts_contact_changelist")

    page = client.get(url).content.decode()
    confirmation = client.post(url, {"action": "reject", "_selected_action": [contact.pk]})

    assert '<option value="reject">' in page  # the action's own page asks, with the note it needs
    assert confirmation.status_code == 200
    assert "Avvisa 1 kontakt med skälet" in confirmation.content.decode()
    contact.refresh_from_db()
    assert contact.status == "eligible"
