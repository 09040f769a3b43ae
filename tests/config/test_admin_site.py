import re

import pytest
from django.urls import reverse

from billing.models import Invoice, InvoiceKind
from contacts.models import Contact
from tests.conftest import _page, forms_of

pytestmark = pytest.mark.django_db


def test_no_admin_page_nests_a_form_in_another(client, named, cases):
    approved = Invoice.objects.get(buyer_id="25", kind=InvoiceKind.INVOICE)
    draft = Invoice.objects.get(buyer_id="01")
    contact = Contact.objects.get(external_id="phone")
    pages = {
        named["clerk04"]: [
            reverse("admin:disputes_dispute_change", args=[cases["objection"].pk]),
            reverse("admin:disputes_dispute_change", args=[cases["rejection"].pk]),
            reverse("admin:billing_invoice_change", args=[draft.pk]),
            reverse("admin:billing_invoice_change", args=[approved.pk]),
            reverse("admin:contacts_contact_change", args=[contact.pk]),
            reverse("admin:contacts_contact_changelist"),
            reverse("admin:contacts_contact_upload_csv"),
            reverse("admin:billing_invoicerun_add"),
            reverse("admin:index"),
        ],
        named["clerk25"]: [
            reverse("admin:billing_invoice_change", args=[approved.pk]),
            reverse("admin:disputes_dispute_open", args=[Contact.objects.get(external_id="ps-30").pk]),
            reverse("admin:disputes_dispute_change", args=[cases["objection"].pk]),
        ],
    }

    nested = {url: forms_of(_page(client, user, url)).nested for user, urls in pages.items() for url in urls}

    assert nested == {url: [] for url in nested}


def test_the_header_has_no_view_site_link(client, named):
    page = _page(client, named["clerk04"], reverse("admin:index"))

    user_tools = re.search(r'<div id="user-tools">(.*?)</div>', page, re.S).group(1)
    assert "Visa sida" not in page
    assert 'href="/"' not in user_tools
