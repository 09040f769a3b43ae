"""The report tables as XLSX (issue 20): the CSV export's rows as real cells (counts as integers, amounts to the
öre with #,##0.00, percentages as numbers), the total in bold, text never a formula, the same scope."""

import io
from decimal import Decimal

from django.urls import reverse
from openpyxl import load_workbook

from tests.reports.conftest import VC01

DASHBOARD = "/admin/reports/"
FULL = "period_from=2025-01&period_to=2026-12"


def sheet(response):
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return load_workbook(io.BytesIO(b"".join(response.streaming_content))).active


def values(ws) -> list[list]:
    return [[cell.value for cell in row] for row in ws.iter_rows()]


def test_xlsx_export_is_the_csv_export_as_cells(client, known, people):
    client.force_login(people["clerk25"])

    response = client.get(f"{DASHBOARD}?{FULL}&export=age-groups&format=xlsx")

    assert response["Content-Disposition"] == (
        'attachment; filename="utomlans-age-groups-25-buyer-2025-01-2026-12.xlsx"'
    )
    ws = sheet(response)
    rows = values(ws)
    assert rows[0] == ["Ålder", "Kvinnor", "Män", "Kontakter", "Andel av kontakterna", "Kostnad", "Andel av kostnaden"]
    assert [[row[0], *row[1:4], Decimal(str(row[4])), Decimal(str(row[5])).quantize(Decimal("0.01")),
             Decimal(str(row[6]))] for row in rows[1:]] == [
        ["0–6", 1, 0, 1, Decimal("14.3"), Decimal("300.00"), Decimal("13.0")],
        ["7–18", 0, 1, 1, Decimal("14.3"), Decimal("425.00"), Decimal("18.4")],
        ["19–39", 1, 1, 2, Decimal("28.6"), Decimal("835.00"), Decimal("36.1")],
        ["40–64", 1, 0, 1, Decimal("14.3"), Decimal("185.00"), Decimal("8.0")],
        ["65–74", 0, 0, 0, Decimal("0.0"), Decimal("0.00"), Decimal("0.0")],
        ["75–84", 1, 0, 1, Decimal("14.3"), Decimal("235.00"), Decimal("10.2")],
        ["85+", 0, 1, 1, Decimal("14.3"), Decimal("335.00"), Decimal("14.5")],
        ["Totalt", 4, 3, 7, Decimal("100.0"), Decimal("2315.00"), Decimal("100.0")],
    ]  # fmt: skip
    row = next(iter(ws.iter_rows(min_row=2, max_row=2)))
    assert [(c.data_type, c.number_format) for c in row] == [
        ("s", "General"),
        ("n", "#,##0"),
        ("n", "#,##0"),
        ("n", "#,##0"),
        ("n", "0.0"),
        ("n", "#,##0.00"),
        ("n", "0.0"),
    ]
    assert isinstance(row[1].value, int)
    total = next(iter(ws.iter_rows(min_row=9, max_row=9)))
    assert total[0].font.b and total[5].font.b


def test_xlsx_export_keeps_formulas_as_text(client, known, people):
    from billing.reports.refresh import summaries_refresh
    from contacts.models import Contact

    Contact.objects.filter(listing_unit=VC01).update(listing_unit="=HYPERLINK(1)")
    summaries_refresh()
    client.force_login(people["clerk25"])

    ws = sheet(client.get(f"{DASHBOARD}?{FULL}&export=listing-units&format=xlsx"))

    cell = next(iter(ws.iter_rows(min_row=2, max_row=2)))[0]
    assert (cell.value, cell.data_type) == ("=HYPERLINK(1)", "s")


def test_what_if_xlsx_export(client, known, people):
    client.force_login(people["clerk25"])
    url = reverse("reports:what-if") + "?period_from=2026-01&period_to=2026-12&recommendation=SKL-2019"

    rows = values(sheet(client.get(url + "&export=what-if&format=xlsx")))

    assert [rows[-1][0], rows[-1][1], rows[-1][3]] == ["Totalt", 5, None]
    assert [Decimal(str(v)).quantize(Decimal("0.01")) for v in (rows[-1][2], rows[-1][4], rows[-1][5])] == [
        Decimal("1490.00"),
        Decimal("1700.00"),
        Decimal("210.00"),
    ]
    assert Decimal(str(rows[-1][6])) == Decimal("14.1")


def test_the_page_links_xlsx_beside_csv_and_the_scope_holds(client, known, people):
    client.force_login(people["clerk25"])
    html = client.get(f"{DASHBOARD}?{FULL}").content.decode()
    assert 'data-export-xlsx="age-groups"' in html
    assert "?period_from=2025-01&amp;period_to=2026-12&amp;export=age-groups&amp;format=xlsx" in html
    assert "Exportera XLSX" in html

    client.force_login(people["clerk06"])
    assert client.get(f"{DASHBOARD}?region=25&export=age-groups&format=xlsx").status_code == 400
    client.force_login(people["clerk25"])
    assert client.get(f"{reverse('reports:national')}?export=national-regions&format=xlsx").status_code == 403
