import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from contacts.models import Contact
from disputes.models import Dispute
from disputes.services import dispute_open
from regions.models import Role
from tests.conftest import NBSP, _page, field, forms_of
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

    page = client.get(reverse("admin:disputes_dispute_changelist")).content.decode()
    overdue = client.get(reverse("admin:disputes_dispute_changelist") + "?overdue=yes")
    mine = client.get(reverse("admin:disputes_dispute_changelist") + "?mine=yes")

    assert "Öppna ärenden: 1</strong> · <strong>Försenade: 1" in page
    assert [d.pk for d in overdue.context["cl"].result_list] == [case.pk]
    assert list(mine.context["cl"].result_list) == []


def test_the_case_page_shows_the_evaluation_and_the_sellers_actions(client, staff, case):
    client.force_login(staff["clerk04"])

    page = client.get(reverse("admin:disputes_dispute_change", args=[case.pk])).content.decode()

    assert "Kontakten är digital (chatt eller video), inte telefon" in page
    assert 'class="criterion-not-met"' in page
    assert _actions(page) == ["comment", "assign", "decide"]


def test_a_third_region_cannot_open_the_case(client, staff, case):
    client.force_login(staff["clerk06"])

    assert client.get(reverse("admin:disputes_dispute_change", args=[case.pk])).status_code == 302
    assert (
        client.post(
            reverse("admin:disputes_dispute_decide", args=[case.pk]), {"outcome": "accepted", "note": "x"}
        ).status_code
        == 404
    )
    case.refresh_from_db()
    assert case.status == "open"


def test_deciding_and_commenting_through_the_admin(client, staff, case):
    client.force_login(staff["clerk04"])

    client.post(reverse("admin:disputes_dispute_comment", args=[case.pk]), {"text": "Vi har kollat journalen"})
    client.post(reverse("admin:disputes_dispute_decide", args=[case.pk]), {"outcome": "accepted", "note": "Godtas"})

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
    url = reverse("admin:disputes_dispute_open", args=[contact.pk])

    response = client.post(url, {"reason": "Listad hos oss sedan 2024"})

    assert invoice_page.count('data-action="object"') == 4
    assert url in invoice_page
    dispute = Dispute.objects.get()
    assert (dispute.kind, dispute.contact, dispute.invoice_line.invoice) == ("objection", contact, approved)
    assert response["Location"] == reverse("admin:disputes_dispute_change", args=[dispute.pk])


def test_the_seller_sees_no_objection_links(client, staff, approved):  # noqa: F811
    client.force_login(staff["clerk04"])

    page = client.get(reverse("admin:billing_invoice_change", args=[approved.pk])).content.decode()

    assert 'data-action="object"' not in page


def test_the_decision_has_no_default_and_none_given_decides_nothing(client, staff, case):
    client.force_login(staff["clerk04"])
    page = client.get(reverse("admin:disputes_dispute_change", args=[case.pk])).content.decode()
    select = page[page.index('name="outcome"') : page.index("</select>", page.index('name="outcome"'))]

    response = client.post(reverse("admin:disputes_dispute_decide", args=[case.pk]), {"note": "Godtas"})

    assert "selected" not in select.replace('<option value="" selected>', "")
    assert '<option value="" selected>---------</option>' in select
    assert response.status_code == 302
    assert [str(message) for message in get_messages(response.wsgi_request)] == ["Välj ett beslut: godta eller avslå."]
    case.refresh_from_db()
    assert (case.status, case.decided_by) == ("open", None)


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_the_case_pages_comment_assign_and_decide_forms_stand_after_the_change_form(client, named, cases):
    objection = cases["objection"]

    page = _page(client, named["clerk04"], reverse("admin:disputes_dispute_change", args=[objection.pk]))

    found = forms_of(page)
    assert found.nested == []
    actions = {form.get("action"): form for form in found.forms}
    comment = actions[reverse("admin:disputes_dispute_comment", args=[objection.pk])]
    assign = actions[reverse("admin:disputes_dispute_assign", args=[objection.pk])]
    decide = actions[reverse("admin:disputes_dispute_decide", args=[objection.pk])]
    assert (comment["csrf"], assign["csrf"], decide["csrf"]) == (True, True, True)
    assert comment["enctype"] == "multipart/form-data"
    assert decide["data-confirm"] == "Ett beslut kan inte ångras. Fortsätta?"
    assert "data-confirm" not in comment and "data-confirm" not in assign
    # After the change form's end, in the order a person works: the thread, the decision, the history.
    change_form_end = page.index("</form>", page.index('id="dispute_form"'))
    assert change_form_end < page.index('data-action="comment"') < page.index('data-action="decide"')
    assert page.index('data-action="decide"') < page.index('<table class="change-history" id="history">')


def test_a_comment_sent_from_the_case_page_is_added_to_the_thread(client, named, cases):
    objection = cases["objection"]
    client.force_login(named["clerk25"])

    response = client.post(
        reverse("admin:disputes_dispute_comment", args=[objection.pk]), {"text": "Intyg finns hos oss."}, follow=True
    )

    page = response.content.decode()
    assert _messages(response) == ["Kommentaren är tillagd."]
    assert "<p>Intyg finns hos oss.</p>" in page
    assert "Inga kommentarer ännu." not in page


def test_the_case_page_has_capitalised_labels_and_names_people(client, named, cases):
    objection = cases["objection"]

    page = _page(client, named["clerk04"], reverse("admin:disputes_dispute_change", args=[objection.pk]))

    assert "<h2>Kommentarer</h2>" in page and "<h2>Beslut</h2>" in page
    assert '<label for="dispute-assignee">Handläggs av:</label>' in page
    assert '<label for="id_outcome">Beslut:</label>' in page
    assert '<label for="id_credit_reason">Krediteringsorsak:</label>' in page
    assert '<label for="id_note">Anteckning:</label>' in page
    assert f"<p>Fakturarad: {objection.invoice_line.invoice.number}: 335,00{NBSP}kr</p>" in _text_keep_p(page)
    assert '<p class="dispute-no-comments">Inga kommentarer ännu.</p>' in page
    assert field(page, "assigned_to") == "Karin Lindqvist"
    assert field(page, "opened_by_display") == "Lena Nilsson"
    history = page[page.index('<table class="change-history" id="history">') :]
    assert (
        "<td>Tilldelad</td><td>Anders Berg</td><td>API</td><td><div>handläggs av: – → Karin Lindqvist</div></td>"
        "<td>Karin Lindqvist</td>"
    ) in history
    assert "clerk04" not in history and "manager04" not in history


def _text_keep_p(page: str) -> str:
    """The page with the links inside paragraphs reduced to their text."""
    return re.sub(r"<a [^>]*>(.*?)</a>", r"\1", page)


def test_the_admin_offers_the_opener_no_decision_and_refuses_one(client, contested, named):
    url = reverse("admin:disputes_dispute_change", args=[contested.pk])
    decide = reverse("admin:disputes_dispute_decide", args=[contested.pk])

    as_opener = _page(client, named["clerk04"], url)
    response = client.post(decide, {"outcome": "accepted", "note": "Godtas"}, follow=True)
    as_colleague = _page(client, named["manager04"], url)

    assert f'action="{decide}"' not in as_opener
    assert (
        '<p class="dispute-decider-note">Du öppnade tvisten, så en kollega beslutar om den: tilldela den en kollega '
        "ovan.</p>"
    ) in as_opener
    assignable = re.search(r'<select name="assignee" id="dispute-assignee">(.*?)</select>', as_opener, re.S).group(1)
    assert "Karin Lindqvist" not in assignable and "Anders Berg" in assignable
    assert _messages(response) == ["Du öppnade tvisten; en kollega i Region Sörmland måste besluta om den."]
    contested.refresh_from_db()
    assert (contested.status, contested.decided_by_id) == ("open", None)
    assert f'action="{decide}"' in as_colleague and "dispute-decider-note" not in as_colleague
