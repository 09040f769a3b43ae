import datetime as dt
import re

import pytest
from django.urls import reverse

from contacts.intake import contacts_upsert
from contacts.models import Contact
from tests.conftest import NBSP, _page, _text, field
from tests.factories import contact_item

pytestmark = pytest.mark.django_db


def test_the_contact_page_says_yes_or_no_in_words_and_reasons_by_their_labels(client, named, invoices):
    phone = Contact.objects.get(external_id="phone")
    invoiced = Contact.objects.get(external_id="lk-29")  # on the approved invoice: locked

    rejected = _page(client, named["clerk04"], reverse("admin:contacts_contact_change", args=[phone.pk]))
    locked = _page(client, named["clerk04"], reverse("admin:contacts_contact_change", args=[invoiced.pk]))

    assert (field(rejected, "overridden_display"), field(rejected, "locked_display")) == ("Nej", "Nej")
    assert field(rejected, "strong_authentication_display") == "Ja"
    assert field(rejected, "reason_list_display") == "<ul><li>Inte en digital kontakt (telefon)</li></ul>"
    assert (
        '<div class="readonly">Ja<div class="help">Finns på en inskickad eller godkänd faktura: kan inte längre ändras.'
        "</div></div>"
    ) in locked
    for page in (rejected, locked):
        assert "icon-yes.svg" not in page and "icon-no.svg" not in page
        assert "not_digital" not in page and "<code>" not in page
        # the model's help texts only beside a "yes" they explain
        assert page.count("En godkänd tvist har gjort kontakten fakturerbar.") == 0
    assert "Finns på en inskickad eller godkänd faktura" not in rejected


def _history_rows(page: str) -> list[list[str]]:
    table = re.search(r'<table class="contact-history" id="history">.*?<tbody>(.*?)</tbody>', page, re.S).group(1)
    return [
        [_text(cell) for cell in re.findall(r"<td>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)
    ]


def test_a_csv_created_contacts_history_starts_with_its_creation_and_says_nothing_changed_since(
    client, named, providers
):
    result = contacts_upsert(
        items=[
            contact_item(provider=providers["04a"].hsa_id, external_id="csv-1", started_at="2026-01-10T09:00:00+01:00")
        ],
        user=named["clerk04"],
        channel="csv",
    )
    contact = Contact.objects.get(pk=result.ids[0])

    page = _page(client, named["clerk04"], reverse("admin:contacts_contact_change", args=[contact.pk]))

    created = contact.created_at.astimezone(dt.timezone(dt.timedelta(hours=1))).strftime("%Y-%m-%d %H:%M")
    assert _history_rows(page) == [
        [
            "Skapad",
            created,
            "CSV-uppladdning",
            "Karin Lindqvist",
            "–",
            "–",
            f"Ersättningsberättigad – 400,00{NBSP}kr",
            "–",
        ]
    ]
    assert '<p class="contact-no-changes">Inga ändringar registrerade.</p>' in page


def test_a_changed_contacts_history_names_fields_and_values_as_read(client, named, providers):
    item = contact_item(provider=providers["04a"].hsa_id, external_id="c-9", started_at="2026-01-10T09:00:00+01:00")
    contacts_upsert(items=[{**item, "mode": "phone"}], user=named["clerk04"], channel="api")
    contacts_upsert(items=[item], user=named["clerk04"], channel="csv")
    contact = Contact.objects.get(external_id="c-9")

    page = _page(client, named["clerk04"], reverse("admin:contacts_contact_change", args=[contact.pk]))

    rows = [row[:1] + row[2:] for row in _history_rows(page)]  # not the times
    assert rows == [
        [
            "Skapad",
            "API",
            "Karin Lindqvist",
            "–",
            "–",
            f"Avvisad – Inte en digital kontakt (telefon) – 0,00{NBSP}kr",
            "–",
        ],
        [
            "Ändrad",
            "CSV-uppladdning",
            "Karin Lindqvist",
            "kontaktform: Telefon → Video",
            f"Avvisad – Inte en digital kontakt (telefon) – 0,00{NBSP}kr",
            f"Ersättningsberättigad – 400,00{NBSP}kr",
            "–",
        ],
    ]
    assert "Inga ändringar registrerade." not in page
