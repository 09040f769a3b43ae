"""The contact upload reads XLSX workbooks (issue 20) through the CSV's path: each row becomes the item the same CSV
line gives, errors name the sheet's rows, Excel's date cells are Swedish time, numbers are read exactly, an identity
number Excel took for a number is its digits again, and a file that is not a workbook is refused with why."""

import datetime as dt
import io
import zipfile
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from contacts.csv_upload import parse_contacts_csv
from contacts.models import Contact
from contacts.validation import INPUT_FIELDS
from kernel.business_time import STOCKHOLM
from regions.models import Role
from tests.factories import personnummer

pytestmark = pytest.mark.django_db

UPLOAD = reverse("admin:contacts_contact_upload_csv")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NOT_READABLE = (
    "Filen är ingen läsbar XLSX-arbetsbok (den kan vara skadad, lösenordsskyddad eller i ett annat format, till "
    "exempel det äldre .xls). Spara den i Excel som Excel-arbetsbok (.xlsx) eller som CSV UTF-8 och försök igen."
)
MAN = personnummer("19850312", "239")
WOMAN = personnummer("19900501", "240")


@pytest.fixture
def clerk04(make_user):
    user = make_user(Role.CLERK, "04")
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="contacts", codename__in=("view_contact", "change_contact", "add_contact")
        )
    )
    return user


def workbook(*rows, header=INPUT_FIELDS) -> bytes:
    """A workbook as Excel saves one: the header in row 1, the cells typed as given (numbers, date cells, booleans)."""
    book = Workbook()
    sheet = book.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def typed(hsa: str, external_id: str, **overrides) -> list:
    """A row as a clerk's workbook holds it: the identity number a number, the time a date cell, booleans, a fee."""
    values = {
        "external_id": external_id,
        "provider": hsa,
        "patient_id": int(MAN.replace("-", "")),
        "home_region": "25",
        "profession": "LK",
        "started_at": dt.datetime(2026, 10, 5, 14, 30),
        "mode": "video",
        "strong_authentication": True,
        "triage": True,
        "documented": True,
        "content": "assessment",
        "patient_fee": 100.5,
        "listing_unit": None,
        "care_unit": None,
        **overrides,
    }
    return [values[name] for name in INPUT_FIELDS]


def as_csv(*rows: list) -> bytes:
    """The same rows as the text a CSV file holds."""

    def text(value):
        if value is None:
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, dt.datetime):
            return value.strftime("%Y-%m-%d %H:%M")
        return str(value)

    lines = [";".join(INPUT_FIELDS), *(";".join(text(value) for value in row) for row in rows)]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8-sig")


def upload(client, content: bytes, name: str = "kontakter.xlsx"):
    return client.post(UPLOAD, {"file": SimpleUploadedFile(name, content, content_type=XLSX_TYPE)})


def stored() -> dict:
    return {
        c.external_id: (c.patient_id, c.started_at, c.patient_fee, c.strong_authentication, c.listing_unit)
        for c in Contact.objects.all()
    }


def test_a_good_workbook_is_stored_exactly_as_the_same_csv(client, clerk04, providers):
    hsa = providers["04a"].hsa_id
    rows = [
        typed(hsa, "x-1"),
        typed(hsa, "x-2", patient_id=int(WOMAN.replace("-", "")), patient_fee=1234, listing_unit="SE2321000032-VC1"),
        # The autumn hour that occurs twice: the first, summer time, as in a CSV file.
        typed(hsa, "x-3", started_at=dt.datetime(2026, 10, 25, 2, 30), patient_fee=0, triage=True),
        typed(hsa, "x-4", started_at=dt.datetime(2026, 11, 20, 14, 30), patient_fee=99.99),
    ]
    xlsx, csv = workbook(*rows), as_csv(*rows)

    from_xlsx, from_csv = parse_contacts_csv(xlsx, file_name="kontakter.xlsx"), parse_contacts_csv(csv)

    assert from_xlsx.errors == [] and from_xlsx.encoding == "xlsx"
    assert from_xlsx.items == from_csv.items
    assert from_xlsx.lines == [2, 3, 4, 5]
    assert from_xlsx.items[0]["patient_id"] == MAN.replace("-", "")
    assert from_xlsx.items[0]["started_at"] == "2026-10-05T14:30:00+02:00"
    assert from_xlsx.items[2]["started_at"] == "2026-10-25T02:30:00+02:00"
    assert [item["patient_fee"] for item in from_xlsx.items] == ["100.5", "1234", "0", "99.99"]

    client.force_login(clerk04)
    response = upload(client, xlsx)

    assert response.status_code == 200
    assert response.context["file_errors"] == []
    assert (response.context["report"]["created"], response.context["report"]["rejected"]) == (4, [])
    assert stored() == {
        "x-1": (MAN.replace("-", ""), dt.datetime(2026, 10, 5, 12, 30, tzinfo=dt.UTC), Decimal("100.50"), True, ""),
        "x-2": (WOMAN.replace("-", ""), dt.datetime(2026, 10, 5, 12, 30, tzinfo=dt.UTC), Decimal("1234.00"), True,
                "SE2321000032-VC1"),
        "x-3": (MAN.replace("-", ""), dt.datetime(2026, 10, 25, 0, 30, tzinfo=dt.UTC), Decimal("0.00"), True, ""),
        "x-4": (MAN.replace("-", ""), dt.datetime(2026, 11, 20, 13, 30, tzinfo=dt.UTC), Decimal("99.99"), True, ""),
    }  # fmt: skip
    # The same rows as a CSV file change nothing: they were stored exactly alike.
    again = client.post(UPLOAD, {"file": SimpleUploadedFile("kontakter.csv", csv, content_type="text/csv")})
    report = again.context["report"]
    assert (report["created"], report["updated"], report["unchanged"], report["rejected"]) == (0, 0, 4, [])


def test_errors_name_the_sheets_rows(client, clerk04, providers):
    hsa = providers["04a"].hsa_id
    book = Workbook()
    sheet = book.active
    sheet.append(list(INPUT_FIELDS))
    sheet.append(typed(hsa, "ok-1"))  # row 2
    # Row 3 left blank: skipped, and the rows after keep their numbers.
    sheet.cell(row=4, column=1, value="bad-fee")
    for column, value in enumerate(typed(hsa, "bad-fee", patient_fee="hundra"), start=1):
        sheet.cell(row=4, column=column, value=value)
    sheet.append(typed(hsa, "spring", started_at=dt.datetime(2026, 3, 29, 2, 30)))  # row 5: does not exist
    sheet.append(typed(hsa, "date-only", started_at=dt.date(2026, 10, 5)))  # row 6: no time
    sheet.append(typed(hsa, "zeros-lost", patient_id=101011234))  # row 7: 0101011234 as Excel kept it
    sheet.append(typed(hsa, "three-decimals", patient_fee=12.345))  # row 8
    sheet.append([*typed(hsa, "extra"), "surplus"])  # row 9: a cell beyond the header
    out = io.BytesIO()
    book.save(out)

    parsed = parse_contacts_csv(out.getvalue())
    assert parsed.lines == [2, 4, 5, 6, 7, 8, 9]
    assert parsed.items[3]["started_at"] == "2026-10-05"
    assert parsed.items[4]["patient_id"] == "101011234"

    client.force_login(clerk04)
    response = upload(client, out.getvalue())

    report = response.context["report"]
    assert report["created"] == 1
    rejected = {r["line"]: (r["external_id"], [name for name, _messages in r["errors"]]) for r in report["rejected"]}
    assert rejected == {
        4: ("bad-fee", ["patient_fee"]),
        5: ("spring", ["started_at"]),
        6: ("date-only", ["started_at"]),
        7: ("zeros-lost", ["patient_id"]),
        8: ("three-decimals", ["patient_fee"]),
        9: ("extra", ["cells_without_column"]),
    }
    assert set(Contact.objects.values_list("external_id", flat=True)) == {"ok-1"}


def test_numbers_and_times_are_read_as_excel_shows_them():
    from openpyxl.cell.cell import Cell

    sheet = Workbook().active

    def text(value, number_format="General"):
        from contacts.xlsx_upload import _text

        cell = Cell(sheet, value=value)
        cell.number_format = number_format
        return _text(cell)

    assert text(199001011234.0) == "199001011234"  # 1.99001011234E+11 in the file
    assert text(0.1 + 0.2) == "0.3"  # a sum Excel shows as 0,3
    assert text(1234.56) == "1234.56"
    assert text(1e-7) == "0.0000001"
    assert text(dt.datetime(2026, 11, 20, 14, 29, 59, 999_000), "yyyy-mm-dd hh:mm") == "2026-11-20 14:30:00"
    assert text(dt.datetime(2026, 11, 20), "yyyy-mm-dd") == "2026-11-20"
    assert text(dt.time(14, 30)) == "14:30:00"
    assert text(False) == "false"


@pytest.mark.parametrize(
    "content",
    [
        b"external_id;provider\r\nnot;a workbook\r\n",  # a CSV named .xlsx
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500,  # an old .xls (or a password-protected workbook)
        b"PK\x03\x04 cut short",
        "a zip without a workbook",
    ],
)
def test_a_file_that_is_not_a_workbook_is_refused_with_why(client, clerk04, content):
    if content == "a zip without a workbook":
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as archive:
            archive.writestr("hello.txt", "hej")
        content = out.getvalue()
    client.force_login(clerk04)

    response = upload(client, content)

    assert response.status_code == 200
    assert response.context["file_errors"] == [NOT_READABLE]
    assert NOT_READABLE in response.content.decode()
    assert Contact.objects.count() == 0


def test_a_damaged_workbook_is_refused(client, clerk04, providers):
    content = workbook(typed(providers["04a"].hsa_id, "x-1"))
    client.force_login(clerk04)

    response = upload(client, content[: len(content) // 2])

    assert response.context["file_errors"] == [NOT_READABLE]


def test_a_header_problem_is_reported_as_for_csv():
    parsed = parse_contacts_csv(workbook(["x"], header=["external_id", "colour"]))

    assert parsed.items == []
    assert parsed.errors[0].startswith("Okända kolumner i rubrikraden: colour.")
    assert parse_contacts_csv(workbook(header=[])).errors == ["Filen är tom: den behöver en rubrikrad med fältnamnen."]


def test_a_stored_workbook_is_parsed_again_without_its_name(providers):
    """A large upload is parsed again by its task from the stored bytes alone."""
    content = workbook(typed(providers["04a"].hsa_id, "x-1"))

    parsed = parse_contacts_csv(content)

    assert parsed.encoding == "xlsx" and parsed.items[0]["external_id"] == "x-1"


def test_the_upload_page_accepts_xlsx_and_offers_the_template_as_xlsx(client, clerk04, providers):
    client.force_login(clerk04)

    page = client.get(UPLOAD).content.decode()

    assert "CSV- eller XLSX-fil" in page
    assert "Eller en Excel-arbetsbok (.xlsx): dess första blad" in page
    assert 'accept=".csv,.txt,.tsv,.xlsx,' in page
    template_url = reverse("admin:contacts_contact_upload_xlsx_template")
    assert f'href="{template_url}"' in page
    response = client.get(template_url)
    assert response["Content-Type"] == XLSX_TYPE
    assert response["Content-Disposition"] == 'attachment; filename="kontakter-mall.xlsx"'
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == list(INPUT_FIELDS)
    example = dict(zip(rows[0], rows[1], strict=True))
    assert (example["started_at"], example["patient_fee"], example["triage"]) == (
        dt.datetime(2026, 11, 20, 14, 30),
        100,
        True,
    )
    # The template reads back through the upload's parser as a contact at 14:30 Swedish time.
    item = parse_contacts_csv(response.content).items[0]
    assert item["started_at"] == dt.datetime(2026, 11, 20, 14, 30, tzinfo=STOCKHOLM).isoformat()
    assert item["patient_fee"] == "100"
