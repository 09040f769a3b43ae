"""The contact list as XLSX (issue 20): an action of the list, the selection or the filtered list in the list's
scope, real cells, identity numbers as on the list with each full one recorded as read."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from openpyxl import load_workbook

from contacts.audit.models import IdentityRead, ReadVia
from contacts.models import Contact
from regions.models import Role
from tests.contacts import test_admin
from tests.factories import contact_item, personnummer

pytestmark = pytest.mark.django_db

CHANGELIST = test_admin.CHANGELIST
staff, clerk04, store = test_admin.staff, test_admin.clerk04, test_admin.store


def export(client, query: str = "", ids=(), select_across: bool = False):
    data = {"action": "export_xlsx", "select_across": "1" if select_across else "0", "index": "0"}
    data[ACTION_CHECKBOX_NAME] = [str(pk) for pk in ids]
    return client.post(CHANGELIST + query, data)


def rows_of(response) -> list[list]:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def test_the_filtered_list_in_its_scope_with_real_cells_and_the_reads_recorded(client, staff, clerk04, providers):
    (mine,) = store(
        clerk04,
        contact_item(
            provider=providers["04a"].hsa_id,
            external_id="=1+2",
            started_at="2026-10-05T14:30:00+02:00",
            patient_fee="100.50",
            patient_id=personnummer("19850312", "238"),
        ),
    )
    store(staff(Role.CLERK, "06"), contact_item(provider=providers["06"].hsa_id, external_id="from-06"))
    client.force_login(clerk04)

    rows = rows_of(export(client, select_across=True, ids=[mine.pk]))

    assert rows[0][:5] == ["starttid", "externt id", "vårdgivare (HSA-id)", "vårdgivare", "personnummer"]
    assert len(rows) == 2  # 04's clerk sees its own contact only, whatever "select all" means
    row = rows[1]
    assert row[0] == dt.datetime(2026, 10, 5, 14, 30)  # Stockholm time, as Excel needs it (no zone)
    assert row[1] == "=1+2"  # text, never a formula
    assert row[2] == providers["04a"].hsa_id
    assert row[4] == mine.patient_id
    assert row[5:8] == ["04", "25", "LK"]
    contact = Contact.objects.get(pk=mine.pk)
    assert [Decimal(str(v)).quantize(Decimal("0.01")) for v in row[10:13]] == [
        contact.patient_fee,
        contact.rate,
        contact.amount,
    ]
    reads = list(IdentityRead.objects.values_list("via", "contact_id", "user_id"))
    assert reads == [(ReadVia.XLSX_CONTACT_LIST, mine.pk, clerk04.pk)]


def test_the_selection_only(client, clerk04, providers):
    first, second = store(
        clerk04,
        contact_item(provider=providers["04a"].hsa_id, external_id="a"),
        contact_item(provider=providers["04a"].hsa_id, external_id="b", patient_id=personnummer("19900501", "240")),
    )
    client.force_login(clerk04)

    rows = rows_of(export(client, ids=[second.pk]))

    assert [row[1] for row in rows[1:]] == ["b"]
    assert IdentityRead.objects.filter(contact_id=first.pk).count() == 0


def test_the_action_is_offered_on_the_list(client, clerk04):
    client.force_login(clerk04)

    html = client.get(CHANGELIST).content.decode()

    assert '<option value="export_xlsx">Ladda ner markerade kontakter som XLSX</option>' in html
