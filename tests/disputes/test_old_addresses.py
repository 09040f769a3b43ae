"""The dispute screens were under /admin/contacts/dispute/ while the disputes were a package of contacts: links in
e-mails already sent and bookmarks keep working, moved for good to /admin/disputes/dispute/."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("/admin/contacts/dispute/", "/admin/disputes/dispute/"),
        ("/admin/contacts/dispute/?overdue=yes&mine=yes", "/admin/disputes/dispute/?overdue=yes&mine=yes"),
        ("/admin/contacts/dispute/12/change/", "/admin/disputes/dispute/12/change/"),
        ("/admin/contacts/dispute/open/7/", "/admin/disputes/dispute/open/7/"),
        ("/admin/contacts/dispute/12/attachments/3/", "/admin/disputes/dispute/12/attachments/3/"),
    ],
)
def test_an_old_address_moves_for_good_to_the_disputes_app(client, old, new):
    response = client.get(old)

    assert response.status_code == 301
    assert response["Location"] == new


def test_an_old_link_to_a_case_opens_the_case(client, named, cases):
    objection = cases["objection"]
    client.force_login(named["clerk04"])

    response = client.get(f"/admin/contacts/dispute/{objection.pk}/change/", follow=True)

    assert response.redirect_chain == [(reverse("admin:disputes_dispute_change", args=[objection.pk]), 301)]
    assert response.status_code == 200
    assert response.context["dispute"] == objection


def test_the_contacts_screens_stay_where_they_are(client, named):
    client.force_login(named["clerk04"])

    assert client.get("/admin/contacts/contact/").status_code == 200
