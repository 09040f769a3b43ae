"""The buyer's registers as XLSX workbooks: the same columns, row errors (with the sheet's row numbers), upsert and
replace-a-period as a CSV file, through the loader, the admin's upload page and the API."""

import datetime as dt
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook

from regions.models import Role
from review.loading import register_load
from review.models import ListingEntry, LoadMode, LoadVia, PopulationEntry, RegisterKind, RegisterLoad
from review.register_files import register_file_parse
from tests.factories import personnummer

P1 = personnummer("19850312", "238")
P2 = personnummer("19900101", "123")
P3 = personnummer("20010515", "456")
POPULATION = ["personal_identity", "lan_code", "municipality_code", "valid_from", "valid_to"]
LISTING = ["personal_identity", "unit_hsa_id", "unit_org_number", "valid_from", "valid_to"]
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NOT_READABLE = (
    "Filen är ingen läsbar XLSX-arbetsbok (den kan vara skadad, lösenordsskyddad eller i ett annat format, till "
    "exempel det äldre .xls). Spara den i Excel som Excel-arbetsbok (.xlsx) eller som CSV UTF-8 och försök igen."
)


def workbook(*rows, header=POPULATION, date_format: str = "yyyy-mm-dd") -> bytes:
    """A workbook as Excel saves one: the header in row 1, the cells typed as given (date cells formatted as dates,
    numbers, text)."""
    book = Workbook()
    sheet = book.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, dt.date):
                cell.number_format = date_format
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def digits(number: str) -> str:
    return number.replace("-", "")


@pytest.fixture
def clerk01(make_user):
    return make_user(Role.CLERK, "01")


def _load(user, data: bytes, *, kind=RegisterKind.POPULATION, file_name="folk.xlsx", **options):
    return register_load(
        region_code="01", kind=kind, data=data, user=user, via=LoadVia.ADMIN, file_name=file_name, **options
    )


def test_a_good_workbook_with_date_cells_and_dates_as_text_is_loaded(clerk01):
    data = workbook(
        [P1, "01", "0180", dt.datetime(2020, 1, 1), None],  # date cells (openpyxl writes datetimes)
        [int(digits(P2)), "01", "0114", "2021-02-03", "2022-12-31"],  # the number a number, dates as text
        [None, None, None, None, None],  # a blank row is skipped
        [P3, "01", "0180", dt.date(2023, 5, 6), dt.datetime(2024, 5, 6)],
    )

    load = _load(clerk01, data)

    assert (load.rows, load.inserted, load.updated, load.deleted, load.refused, load.errors) == (3, 3, 0, 0, 0, [])
    assert load.file_name == "folk.xlsx"
    assert list(
        PopulationEntry.objects.order_by("personal_identity").values_list(
            "personal_identity", "lan_code", "municipality_code", "valid_from", "valid_to"
        )
    ) == [
        (digits(P1), "01", "0180", dt.date(2020, 1, 1), None),
        (digits(P2), "01", "0114", dt.date(2021, 2, 3), dt.date(2022, 12, 31)),
        (digits(P3), "01", "0180", dt.date(2023, 5, 6), dt.date(2024, 5, 6)),
    ]


def test_a_workbook_is_read_by_its_first_bytes_without_its_name(clerk01):
    load = _load(clerk01, workbook([P1, "01", "0180", dt.date(2020, 1, 1), None]), file_name="")
    assert (load.inserted, load.errors) == (1, [])


def test_bad_rows_are_refused_with_their_sheet_row_numbers(clerk01):
    data = workbook(
        [P1, "01", "0180", dt.date(2020, 1, 1), None],  # row 2: good
        [P2, 1, 180, dt.date(2020, 1, 1), None],  # row 3: codes Excel took for numbers lost their zeros
        [None, None, None, None, None],  # row 4: blank
        [P3, "01", "0180", dt.datetime(2020, 1, 1, 14, 30), None],  # row 5: a date with a time of day
        [P3, "01", "0180", "1/2/2020", dt.date(2019, 1, 1)],  # row 6: a date as other text
        [P1, "01", "0114", dt.date(2020, 1, 1), None],  # row 7: row 2's key again
        [P2, "01", "0180", dt.date(2020, 1, 1), None, "extra"],  # row 8: a cell past the header
    )

    load = _load(clerk01, data)

    assert (load.rows, load.inserted, load.refused) == (6, 1, 5)
    assert [(error["line"], sorted(error["errors"])) for error in load.errors] == [
        (3, ["lan_code", "municipality_code"]),
        (5, ["valid_from"]),
        (6, ["valid_from"]),
        (7, ["valid_from"]),
        (8, ["row"]),
    ]
    assert load.errors[3]["errors"]["valid_from"] == ["Samma person och giltig-från-datum finns redan på rad 2."]
    assert PopulationEntry.objects.get().personal_identity == digits(P1)


def test_a_listing_workbook_with_cells_left_out_at_the_row_end(clerk01):
    data = workbook(
        [P1, "SE2321000016-A1B2", "2321000016", dt.date(2020, 1, 1)],  # valid_to left out by Excel: still valid
        [P2, "SE2321000016-A1B2", "not-a-number", dt.date(2020, 1, 1)],
        header=LISTING,
    )

    load = _load(clerk01, data, kind=RegisterKind.LISTING, file_name="listning.xlsx")

    assert (load.rows, load.inserted, load.refused) == (2, 1, 1)
    assert [(error["line"], sorted(error["errors"])) for error in load.errors] == [(3, ["unit_org_number"])]
    entry = ListingEntry.objects.get()
    assert (entry.unit_hsa_id, entry.unit_org_number, entry.valid_to) == ("SE2321000016-A1B2", "2321000016", None)


def test_upsert_then_replace_a_period_with_workbooks(clerk01):
    _load(
        clerk01, workbook([P1, "01", "0180", dt.date(2020, 1, 1), None], [P2, "01", "0180", dt.date(2020, 1, 1), None])
    )

    again = _load(clerk01, workbook([P1, "01", "0114", dt.date(2020, 1, 1), dt.date(2025, 12, 31)]))
    assert (again.inserted, again.updated) == (0, 1)

    replaced = _load(
        clerk01,
        workbook([P3, "01", "0180", dt.date(2024, 1, 1), None]),
        mode=LoadMode.REPLACE_PERIOD,
        period_from=dt.date(2024, 1, 1),
        period_to=dt.date(2024, 12, 31),
    )
    assert (replaced.deleted, replaced.inserted, replaced.updated) == (2, 1, 0)
    assert list(PopulationEntry.objects.values_list("personal_identity", flat=True)) == [digits(P3)]


def test_replacing_a_period_with_a_bad_row_stores_nothing(clerk01):
    _load(clerk01, workbook([P1, "01", "0180", dt.date(2020, 1, 1), None]))

    load = _load(
        clerk01,
        workbook([P2, "01", "0180", dt.date(2020, 1, 1), None], [P3, "01", "9999", dt.date(2020, 1, 1), None]),
        mode=LoadMode.REPLACE_PERIOD,
        period_from=dt.date(2020, 1, 1),
        period_to=dt.date(2020, 12, 31),
    )

    assert (load.rows, load.inserted, load.deleted, load.refused) == (2, 0, 0, 2)
    assert [error["line"] for error in load.errors] == [3]
    assert list(PopulationEntry.objects.values_list("personal_identity", flat=True)) == [digits(P1)]


def _zip_without_a_workbook() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "hej")
    return out.getvalue()


@pytest.mark.parametrize(
    "content",
    [
        b"personal_identity;lan_code\r\nnot;a workbook\r\n",  # a CSV named .xlsx
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500,  # an old .xls (or a password-protected workbook)
        b"PK\x03\x04 cut short",
        _zip_without_a_workbook(),
    ],
)
def test_a_file_that_is_not_a_workbook_is_refused_as_a_whole(clerk01, content):
    with translation.override("sv"):
        load = _load(clerk01, content)

    assert (load.rows, load.inserted, load.refused) == (0, 0, 0)
    assert load.errors == [{"line": 0, "errors": {"file": [NOT_READABLE]}}]
    assert PopulationEntry.objects.count() == 0


def test_a_workbook_with_a_wrong_header_or_no_rows_is_refused_as_a_whole():
    wrong = register_file_parse(workbook([P1, "01"], header=["personal_identity", "lan"]), RegisterKind.POPULATION)
    assert [error["line"] for error in wrong.errors] == [0]
    assert "lan" in wrong.errors[0]["errors"]["file"][0]
    empty = register_file_parse(workbook(header=[]), RegisterKind.POPULATION)
    assert [error["line"] for error in empty.errors] == [0]
    assert (empty.rows, empty.row_count) == ([], 0)


def test_the_admin_upload_page_loads_a_workbook(client, clerk01):
    client.force_login(clerk01)
    data = workbook([P1, "01", "0180", dt.date(2020, 1, 1), None], [P2, "01", "0180", "2020-13-01", None])

    response = client.post(
        reverse("admin:review_registerload_upload"),
        {"kind": "population", "mode": "upsert", "file": SimpleUploadedFile("folk.xlsx", data)},
    )

    load = RegisterLoad.objects.get()
    assert response.status_code == 302
    assert (load.via, load.file_name, load.rows, load.inserted, load.refused) == ("admin", "folk.xlsx", 2, 1, 1)
    assert [(error["line"], list(error["errors"])) for error in load.errors] == [(3, ["valid_from"])]


def test_the_admin_upload_page_refuses_a_false_workbook_on_the_load(client, clerk01):
    client.force_login(clerk01)

    response = client.post(
        reverse("admin:review_registerload_upload"),
        {"kind": "population", "mode": "upsert", "file": SimpleUploadedFile("folk.xlsx", b"a;b\n1;2\n")},
        follow=True,
    )

    load = RegisterLoad.objects.get()
    assert (load.rows, load.inserted) == (0, 0)
    assert NOT_READABLE in response.content.decode()


def test_the_api_takes_a_workbook_as_the_body(api_as):
    client = api_as(Role.CLERK, "01")
    data = workbook([P1, "01", "0180", dt.date(2020, 1, 1), None], [P2, "01", "0180", dt.date(2020, 1, 1), "x"])

    response = client.post("/api/v1/registers/population/", data, content_type=XLSX_TYPE)

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["rows"], body["inserted"], body["refused"], body["file_name"]) == (2, 1, 1, "")
    assert [(error["line"], list(error["errors"])) for error in body["errors"]] == [(3, ["valid_to"])]


def test_the_api_takes_a_workbook_as_a_multipart_file(signed_in, clerk01):
    client = signed_in(clerk01)
    upload = SimpleUploadedFile(
        "listning.xlsx", workbook([P1, "SE2321000016-A1B2", "2321000016", "2020-01-01"], header=LISTING)
    )

    response = client.post("/api/v1/registers/listing/", {"file": upload}, format="multipart")

    assert response.status_code == 201, response.content
    assert (response.json()["inserted"], response.json()["file_name"]) == (1, "listning.xlsx")
    assert ListingEntry.objects.get().personal_identity == digits(P1)


def test_the_api_refuses_a_false_workbook_as_a_400_with_its_load(api_as):
    response = api_as(Role.CLERK, "01").post(
        "/api/v1/registers/population/", b"PK\x03\x04 cut short", content_type=XLSX_TYPE
    )

    assert response.status_code == 400
    body = response.json()
    assert body["file"] == [NOT_READABLE]
    assert body["load"]["errors"] == [{"line": 0, "errors": {"file": [NOT_READABLE]}}]
