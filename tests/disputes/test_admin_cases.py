"""The dispute screen as a person reads it (issue 8): names instead of ids in the list and on the case page,
overdue cases marked, a question before deciding or opening a case, and a list whose number of queries does
not grow with its rows. The cases here are the staff's by their user names, the contest past its deadline."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from contacts.models import Contact
from disputes.models import Dispute
from disputes.services import dispute_assign, dispute_open
from regions.models import Role
from tests.admin_pages import NBSP, field, listed, queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def cases(invoices, staff, make_user, providers):
    system = make_user(Role.PROVIDER, provider=providers["04a"])
    rejection = dispute_open(contact=Contact.objects.get(external_id="phone"), by=system, reason="Video avsedd")
    Dispute.objects.filter(pk=rejection.pk).update(deadline=dt.date(2026, 1, 15))
    objection = dispute_open(contact=Contact.objects.get(external_id="lk-30"), by=staff["clerk25"], reason="Listad")
    dispute_assign(dispute=objection, assignee=staff["clerk04"], by=staff["manager04"])
    return {"rejection": rejection, "objection": objection, "provider": providers["04a"]}


def test_the_dispute_list_names_contact_provider_regions_and_assignee_and_marks_overdue(client, staff, cases):
    client.force_login(staff["clerk04"])

    response = client.get(reverse("admin:disputes_dispute_changelist"))

    provider = cases["provider"].name
    deadline = cases["objection"].deadline.isoformat()
    assert listed(response) == [
        [
            "lk-30",
            provider,
            "Invändning mot fakturerad kontakt",
            "Öppen",
            "Region Sörmland",
            "Region Norrbotten",
            deadline,
            "clerk04",
        ],
        [
            "phone",
            provider,
            "Bestriden avvisning",
            "Öppen",
            "Region Sörmland",
            "Region Norrbotten",
            "2026-01-15 – försenad",
            "–",
        ],
    ]
    assert '<span class="overdue">2026-01-15 – försenad</span>' in response.content.decode()


def test_the_dispute_filters_by_the_deciding_and_the_objecting_region(client, staff, cases):
    client.force_login(staff["clerk25"])
    url = reverse("admin:disputes_dispute_changelist")

    def kinds(query):
        return sorted(d.kind for d in client.get(f"{url}?{query}").context["cl"].result_list)

    assert kinds("billing_region=04") == ["objection", "rejection"]
    assert kinds("home_region=25&kind__exact=objection") == ["objection"]
    assert kinds("billing_region=25") == []


def test_the_dispute_list_costs_the_same_queries_for_many_cases(client, staff, cases, django_assert_max_num_queries):
    client.force_login(staff["clerk04"])
    url = reverse("admin:disputes_dispute_changelist")
    few = queries(client, url)
    for contact in Contact.objects.exclude(external_id__in=["phone", "lk-30"]):
        Dispute.objects.create(
            contact=contact,
            kind="rejection",
            reason="x",
            opened_by=staff["clerk04"],
            opened_at=timezone.now(),
            deadline=dt.date(2026, 3, 1),
            assignee=staff["manager04"],
        )

    with django_assert_max_num_queries(few):
        assert client.get(url).status_code == 200


def test_the_case_page_reads_names_not_ids(client, staff, cases):
    objection = cases["objection"]
    client.force_login(staff["clerk04"])

    page = client.get(reverse("admin:disputes_dispute_change", args=[objection.pk])).content.decode()

    approved = objection.invoice_line.invoice
    provider = cases["provider"].name
    assert "<h1>Visa tvist</h1>" in page
    assert f"<h2>Invändning mot fakturerad kontakt: lk-30 ({provider})</h2>" in page
    assert field(page, "contact_display") == f"lk-30 ({provider}, 2026-01-30 10:00)"
    assert field(page, "invoice_line_display") == f"{approved.number}: 335,00{NBSP}kr"
    assert (field(page, "opened_by_display"), field(page, "assigned_to")) == ("clerk25", "clerk04")
    assert "<td>Öppnad</td><td>clerk25</td><td>API</td><td><div>status: – → Öppen</div></td>" in page
    assert " disabled" not in page


def test_deciding_and_opening_a_case_ask_first(client, staff, cases):
    client.force_login(staff["clerk04"])

    case = client.get(reverse("admin:disputes_dispute_change", args=[cases["objection"].pk])).content.decode()
    client.force_login(staff["clerk25"])
    open_form = client.get(
        reverse("admin:disputes_dispute_open", args=[Contact.objects.get(external_id="ps-30").pk])
    ).content.decode()

    assert 'data-confirm="Ett beslut kan inte ångras. Fortsätta?"' in case
    assert (
        '<form method="post" data-confirm="Öppna tvisten? Motparten meddelas direkt, och ärendet finns sedan kvar.">'
    ) in open_form
    assert "utomlans/confirm.js" in case and "utomlans/confirm.js" in open_form
