import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from contacts.disputes.models import Dispute
from contacts.disputes.services import dispute_open
from contacts.models import Contact
from regions.models import Role
from tests.disputes.test_disputes import approved  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


def _actions(page: str) -> list[str]:
    return re.findall(r'data-action="([a-z]+)"', page)


@pytest.fixture
def case(january, staff, make_user, providers):
    system = make_user(Role.PROVIDER, provider=providers["04a"])
    return dispute_open(contact=Contact.objects.get(external_id="phone"), by=system, reason="Video avsedd")


def test_the_queue_counts_open_and_overdue_cases_and_filters_them(client, staff, case):
    Dispute.objects.filter(pk=case.pk).update(deadline="2020-01-01")
    client.force_login(staff["clerk04"])

    page = client.get(reverse("admin:contacts_dispute_changelist")).content.decode()
    overdue = client.get(reverse("admin:contacts_dispute_changelist") + "?overdue=yes")
    mine = client.get(reverse("admin:contacts_dispute_changelist") + "?mine=yes")

    assert "Öppna ärenden: 1</strong> · <strong>Försenade: 1" in page
    assert [d.pk for d in overdue.context["cl"].result_list] == [case.pk]
    assert list(mine.context["cl"].result_list) == []


def test_the_case_page_shows_the_evaluation_and_the_sellers_actions(client, staff, case):
    client.force_login(staff["clerk04"])

    page = client.get(reverse("admin:contacts_dispute_change", args=[case.pk])).content.decode()

    assert "Kontakten är digital (chatt eller video), inte telefon" in page
    assert 'class="criterion-not-met"' in page
    assert _actions(page) == ["comment", "assign", "decide"]


def test_a_third_region_cannot_open_the_case(client, staff, case):
    client.force_login(staff["clerk06"])

    assert client.get(reverse("admin:contacts_dispute_change", args=[case.pk])).status_code == 302
    assert (
        client.post(
            reverse("admin:contacts_dispute_decide", args=[case.pk]), {"outcome": "accepted", "note": "x"}
        ).status_code
        == 404
    )
    case.refresh_from_db()
    assert case.status == "open"


def test_deciding_and_commenting_through_the_admin(client, staff, case):
    client.force_login(staff["clerk04"])

    client.post(reverse("admin:contacts_dispute_comment", args=[case.pk]), {"text": "Vi har kollat journalen"})
    client.post(reverse("admin:contacts_dispute_decide", args=[case.pk]), {"outcome": "accepted", "note": "Godtas"})

    case.refresh_from_db()
    assert (case.status, case.decision_note, case.comments.get().text) == (
        "accepted",
        "Godtas",
        "Vi har kollat journalen",
    )
    assert Contact.objects.get(external_id="phone").status == "eligible"


def test_the_buyer_opens_an_objection_from_the_invoice_page(client, staff, approved):  # noqa: F811
    client.force_login(staff["clerk25"])
    invoice_page = client.get(reverse("admin:billing_invoice_change", args=[approved.pk])).content.decode()
    contact = Contact.objects.get(external_id="lk-30")
    url = reverse("admin:contacts_dispute_open", args=[contact.pk])

    response = client.post(url, {"reason": "Listad hos oss sedan 2024"})

    assert invoice_page.count('data-action="object"') == 4
    assert url in invoice_page
    dispute = Dispute.objects.get()
    assert (dispute.kind, dispute.contact, dispute.invoice_line.invoice) == ("objection", contact, approved)
    assert response["Location"] == reverse("admin:contacts_dispute_change", args=[dispute.pk])


def test_the_seller_sees_no_objection_links(client, staff, approved):  # noqa: F811
    client.force_login(staff["clerk04"])

    page = client.get(reverse("admin:billing_invoice_change", args=[approved.pk])).content.decode()

    assert 'data-action="object"' not in page


def test_the_decision_has_no_default_and_none_given_decides_nothing(client, staff, case):
    client.force_login(staff["clerk04"])
    page = client.get(reverse("admin:contacts_dispute_change", args=[case.pk])).content.decode()
    select = page[page.index('name="outcome"') : page.index("</select>", page.index('name="outcome"'))]

    response = client.post(reverse("admin:contacts_dispute_decide", args=[case.pk]), {"note": "Godtas"})

    assert "selected" not in select.replace('<option value="" selected>', "")
    assert '<option value="" selected>---------</option>' in select
    assert response.status_code == 302
    assert [str(message) for message in get_messages(response.wsgi_request)] == ["Välj ett beslut: godta eller avslå."]
    case.refresh_from_db()
    assert (case.status, case.decided_by) == ("open", None)
