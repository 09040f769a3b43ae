"""The CSV upload reads files as Swedish Excel writes them: decimal commas (``100,00``, ``1 234,50``) and booleans
such as SANT/FALSKT or ja/nej. Only the CSV path: the JSON API's contract keeps ``"100.00"``."""

import codecs
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.defaultfilters import filesizeformat
from django.urls import reverse

from contacts.csv_upload import MAX_UPLOAD_BYTES
from contacts.intake import contacts_upsert
from contacts.models import Contact
from contacts.validation import INPUT_FIELDS
from regions.models import Role
from tests.billing.conftest import staff  # noqa: F401 (shared fixtures)
from tests.factories import SCRIPT, contact_item, personnummer

pytestmark = pytest.mark.django_db

UPLOAD = reverse("admin:contacts_contact_upload_csv")
AMBIGUOUS = (
    "Tvetydigt belopp ”{}”: det kan läsas på två sätt. Skriv kronor och ören med ett decimalkomma, och tusental "
    "utan avgränsare eller med mellanslag, t.ex. 1234,50 eller 1 234,50."
)
NOT_AN_AMOUNT = "Ska vara ett belopp i kronor, t.ex. 100,00 eller 1 234,50."
NOT_YES_OR_NO = "Ska vara ja eller nej: true/false, sant/falskt, ja/nej, yes/no eller 1/0."


FIELDS = (
    "external_id",
    "provider",
    "patient_id",
    "home_region",
    "profession",
    "started_at",
    "mode",
    "strong_authentication",
    "triage",
    "documented",
    "content",
    "patient_fee",
    "listing_unit",
    "care_unit",
)


@pytest.fixture
def clerk04(make_user):
    user = make_user(Role.CLERK, "04")
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="contacts", codename__in=("view_contact", "change_contact", "add_contact")
        )
    )
    return user


def semicolons(*rows: str) -> bytes:
    """A file as Swedish Excel saves "CSV (semikolonavgränsad)": semicolons, so commas are decimal commas."""
    return ("\r\n".join([";".join(FIELDS), *rows]) + "\r\n").encode("utf-8-sig")


def row(hsa: str, external_id: str, **overrides) -> str:
    """One line of that file: an eligible physician's contact of a patient of region 25, unless overridden."""
    values = {
        "external_id": external_id,
        "provider": hsa,
        "patient_id": personnummer(),
        "home_region": "25",
        "profession": "LK",
        "started_at": "2026-10-05T14:30:00+02:00",
        "mode": "video",
        "strong_authentication": "SANT",
        "triage": "SANT",
        "documented": "SANT",
        "content": "assessment",
        "patient_fee": "0",
        "listing_unit": "",
        "care_unit": "",
        **overrides,
    }
    return ";".join(values[name] for name in FIELDS)


def upload(client, content: bytes):
    return client.post(UPLOAD, {"file": SimpleUploadedFile("kontakter.csv", content, content_type="text/csv")})


def stored_fees() -> dict[str, Decimal]:
    return dict(Contact.objects.values_list("external_id", "patient_fee"))


def test_amounts_with_a_decimal_comma_a_point_or_spaces_between_thousands_are_stored_exactly(
    client, clerk04, providers
):
    hsa = providers["04a"].hsa_id
    client.force_login(clerk04)

    def minute(n: int) -> str:  # one minute apart: the same patient at the same minute is a possible duplicate
        return f"2026-10-05T14:{30 + n:02d}:00+02:00"

    response = upload(
        client,
        semicolons(
            row(hsa, "comma", started_at=minute(0), patient_fee="100,00"),
            row(hsa, "point", started_at=minute(1), patient_fee="100.00"),
            row(hsa, "one-decimal", started_at=minute(2), patient_fee="99,5"),
            row(hsa, "whole", started_at=minute(3), patient_fee="250"),
            row(hsa, "space", started_at=minute(4), patient_fee="1 234,50"),
            row(
                hsa, "nbsp", started_at=minute(5), patient_fee="1\xa0234,50"
            ),  # Excel's and format_sek's non-breaking space
            row(hsa, "narrow-nbsp", started_at=minute(6), patient_fee="12\u202f345,67"),  # a narrow no-break space
            row(hsa, "currency", started_at=minute(7), patient_fee="1 234,50 kr"),  # a cell formatted as currency
            row(hsa, "zero", started_at=minute(8), patient_fee="0,00"),
            row(hsa, "leading-zero", started_at=minute(9), patient_fee="0,500"),  # not a thousands group: 0,50
        ),
    )

    assert response.status_code == 200
    report = response.context["report"]
    assert (report["created"], report["rejected"]) == (10, [])
    assert stored_fees() == {
        "comma": Decimal("100.00"),
        "point": Decimal("100.00"),
        "one-decimal": Decimal("99.50"),
        "whole": Decimal("250.00"),
        "space": Decimal("1234.50"),
        "nbsp": Decimal("1234.50"),
        "narrow-nbsp": Decimal("12345.67"),
        "currency": Decimal("1234.50"),
        "zero": Decimal("0.00"),
        "leading-zero": Decimal("0.50"),
    }
    # The fee is deducted from the rate as always (SKR-2026-04, physician 435 kr).
    assert Contact.objects.get(external_id="one-decimal").amount == Decimal("335.50")
    assert Contact.objects.get(external_id="space").amount == Decimal("0.00")


def test_ambiguous_and_malformed_amounts_are_refused_row_by_row_with_why(client, clerk04, providers):
    hsa = providers["04a"].hsa_id
    client.force_login(clerk04)

    response = upload(
        client,
        semicolons(
            row(hsa, "german", patient_fee="1.234,50"),  # line 2
            row(hsa, "english", patient_fee="1,234.50"),  # line 3
            row(hsa, "thousands-comma", patient_fee="1,234"),  # line 4: 1,234 kr or 1 234 kr?
            row(hsa, "thousands-point", patient_fee="1.234"),  # line 5
            row(hsa, "two-points", patient_fee="1.234.567"),  # line 6
            row(hsa, "bad-groups", patient_fee="12 34,50"),  # line 7
            row(hsa, "words", patient_fee="hundra"),  # line 8
            row(hsa, "negative", patient_fee="-5,00"),  # line 9
            row(hsa, "three-decimals", patient_fee="1234,567"),  # line 10: not a thousands group
            row(hsa, "too-much", patient_fee="100 000,00"),  # line 11
            row(hsa, "fine", patient_fee="100,00"),  # line 12
        ),
    )

    report = response.context["report"]
    assert (report["created"], report["updated"], report["unchanged"]) == (1, 0, 0)
    assert [(r["line"], r["external_id"], r["errors"]) for r in report["rejected"]] == [
        (2, "german", [("patient_fee", [AMBIGUOUS.format("1.234,50")])]),
        (3, "english", [("patient_fee", [AMBIGUOUS.format("1,234.50")])]),
        (4, "thousands-comma", [("patient_fee", [AMBIGUOUS.format("1,234")])]),
        (5, "thousands-point", [("patient_fee", [AMBIGUOUS.format("1.234")])]),
        (6, "two-points", [("patient_fee", [AMBIGUOUS.format("1.234.567")])]),
        (7, "bad-groups", [("patient_fee", [NOT_AN_AMOUNT])]),
        (8, "words", [("patient_fee", [NOT_AN_AMOUNT])]),
        (9, "negative", [("patient_fee", ["Får inte vara negativt."])]),
        (10, "three-decimals", [("patient_fee", ["Högst två decimaler (öre)."])]),
        (11, "too-much", [("patient_fee", ["Högst 99999.99."])]),
    ]
    assert stored_fees() == {"fine": Decimal("100.00")}
    page = response.content.decode()
    assert "<li><code>patient_fee</code>: Tvetydigt belopp ”1.234,50”: det kan läsas på två sätt." in page


def test_excels_swedish_booleans_are_read_and_anything_else_is_refused_with_the_spellings(client, clerk04, providers):
    hsa = providers["04a"].hsa_id
    client.force_login(clerk04)

    response = upload(
        client,
        semicolons(
            row(hsa, "excel", strong_authentication="SANT", triage="SANT", documented="FALSKT"),
            row(hsa, "words", strong_authentication="Ja", triage="nej", documented="JA"),
            row(hsa, "digits", strong_authentication="1", triage="0", documented="1"),
            row(hsa, "english", strong_authentication="TRUE", triage="Yes", documented="no"),
            row(hsa, "maybe", strong_authentication="kanske", triage="x", documented="SANT"),  # line 6
        ),
    )

    report = response.context["report"]
    assert [(r["line"], r["errors"]) for r in report["rejected"]] == [
        (6, [("strong_authentication", [NOT_YES_OR_NO]), ("triage", [NOT_YES_OR_NO])])
    ]
    facts = {
        external_id: (strong, triage, documented)
        for external_id, strong, triage, documented in Contact.objects.values_list(
            "external_id", "strong_authentication", "triage", "documented"
        )
    }
    assert facts == {
        "excel": (True, True, False),
        "words": (True, False, True),
        "digits": (True, False, True),
        "english": (True, True, False),
    }


def test_the_upload_page_documents_the_spellings_and_counts_in_the_plural(client, clerk04, providers):
    hsa = providers["04a"].hsa_id
    client.force_login(clerk04)

    form = client.get(UPLOAD).content.decode()
    response = upload(client, semicolons(row(hsa, "a", patient_fee="100,00"), row(hsa, "b", patient_fee="0")))

    assert (
        "patient_fee i kronor med decimalkomma eller decimalpunkt, tusental utan avgränsare eller med mellanslag: "
        "100,00, 1 234,50 eller 100.00. strong_authentication, triage och documented: true/false, sant/falskt, "
        "ja/nej, yes/no eller 1/0.</div>"
    ) in form
    page = response.content.decode()
    assert '<li>Skapade: <span id="created">2</span></li>' in page
    assert '<li>Ändrade: <span id="updated">0</span></li>' in page
    assert '<li>Oförändrade: <span id="unchanged">0</span></li>' in page


def test_the_api_keeps_its_contract_a_decimal_comma_is_refused_as_before(api_as, providers):
    system04 = api_as(Role.PROVIDER, provider=providers["04a"])

    single = system04.post("/api/v1/contacts/", contact_item(patient_fee="100,00"), format="json")
    bulk = system04.post(
        "/api/v1/contacts/bulk/",
        [contact_item(external_id="b-1", patient_fee="1 234,50"), contact_item(external_id="b-2", patient_fee="1.5")],
        format="json",
    )

    assert (single.status_code, single.json()) == (400, {"patient_fee": ['Ska vara ett belopp, t.ex. "100.00".']})
    assert (bulk.status_code, bulk.json()) == (
        200,
        {
            "created": 1,
            "updated": 0,
            "unchanged": 0,
            "errors": [
                {"index": 0, "external_id": "b-1", "errors": {"patient_fee": ['Ska vara ett belopp, t.ex. "100.00".']}}
            ],
        },
    )
    assert stored_fees() == {"b-2": Decimal("1.50")}


def test_only_the_csv_channel_reads_a_decimal_comma(clerk04, providers):
    item = contact_item(provider=providers["04a"].hsa_id, patient_fee="100,00")

    from_api = contacts_upsert(items=[item], user=clerk04, channel="api")
    from_csv = contacts_upsert(items=[item], user=clerk04, channel="csv", text_booleans=True)

    assert [e.errors for e in from_api.errors] == [{"patient_fee": ['Ska vara ett belopp, t.ex. "100.00".']}]
    assert (from_csv.created, from_csv.errors) == (1, [])
    assert stored_fees() == {"c-1": Decimal("100.00")}


HEADER = ",".join(INPUT_FIELDS)


def test_a_csv_upload_over_its_limit_is_refused_in_the_admin_and_stores_nothing(client, staff, providers):  # noqa: F811
    row = csv_row(providers["04a"].hsa_id, "big")
    lines = [HEADER]
    size = len(HEADER) + 1
    while size <= MAX_UPLOAD_BYTES:
        lines.append(row.replace("big", f"big-{len(lines)}"))
        size += len(lines[-1]) + 1
    content = ("\n".join(lines) + "\n").encode()
    client.force_login(staff["clerk04"])

    response = upload(client, content)

    assert len(content) == size > MAX_UPLOAD_BYTES
    assert response.context["form"].errors["file"] == [
        f"Filen är {filesizeformat(len(content))}; gränsen är 20,0\xa0MB. Dela upp den i mindre filer."
    ]
    assert response.context["report"] is None
    assert Contact.objects.count() == 0


def csv_row(hsa: str, external_id: str, delimiter: str = ",", **overrides) -> str:
    item = contact_item(provider=hsa, external_id=external_id, listing_unit="", care_unit="", **overrides)
    item.update(strong_authentication="ja", triage="true", documented="1")
    return delimiter.join(str(item[name]) for name in INPUT_FIELDS)


@pytest.fixture
def clerk04_admin(client, staff):  # noqa: F811
    client.force_login(staff["clerk04"])
    return client


def _report(response) -> tuple[int, list]:
    report = response.context["report"]
    assert response.context["file_errors"] == []
    return report["created"], [(row["line"], row["external_id"], row["errors"]) for row in report["rejected"]]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_with_a_byte_order_mark_is_read_and_its_valid_rows_stored(clerk04_admin, providers, encoding):
    hsa = providers["04a"].hsa_id
    bom = {"utf-16": b"", "utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE}[encoding]
    text = "\r\n".join(
        [
            HEADER.replace(",", "\t"),  # Excel's "Unicode text": UTF-16, tab separated
            csv_row(hsa, "Växjö-1", "\t"),
            csv_row(hsa, "Växjö-2", "\t", patient_id="19850312-2380"),
            csv_row(hsa, "Växjö-3", "\t"),
        ]
    )

    response = upload(clerk04_admin, bom + text.encode(encoding))

    assert _report(response) == (
        2,
        [(3, "Växjö-2", [("patient_id", ["Personnumret 19850312-**** har fel kontrollsiffra."])])],
    )
    assert sorted(Contact.objects.values_list("external_id", flat=True)) == ["Växjö-1", "Växjö-3"]


def test_a_utf8_file_with_a_bom_and_mixed_line_endings_is_read_row_by_row(clerk04_admin, providers):
    hsa = providers["04a"].hsa_id
    content = (
        "\ufeff"
        + HEADER.replace(",", ";")
        + "\r\n"
        + csv_row(hsa, "crlf", ";")
        + "\r\n"
        + csv_row(hsa, "lf", ";")
        + "\n"
        + csv_row(hsa, "cr", ";", mode="fax")
        + "\r"
        + csv_row(hsa, "last-without-newline", ";")
    ).encode()

    response = upload(clerk04_admin, content)

    assert _report(response) == (3, [(4, "cr", [("mode", ["Ska vara något av: video, chat, phone."])])])
    assert sorted(Contact.objects.values_list("external_id", flat=True)) == ["crlf", "last-without-newline", "lf"]


REFUSED_FILES = {
    # Latin-1 text is read as Windows-1252 since issue 15 (tests/contacts/test_csv_excel.py); a file-level error
    # names the line, never a byte offset.
    "UTF-16 without a byte-order mark": (
        HEADER.encode("utf-16-le"),
        ["Filen innehåller NUL-tecken (från rad 1): den är inte en CSV-textfil. Spara den som UTF-8 och försök igen."],
    ),
    "damaged UTF-16": (
        codecs.BOM_UTF16_LE + HEADER.encode("utf-16-le") + b"\x00\xd8",
        ["Filen är skadad UTF-16: rad 1 går inte att läsa. Spara den som UTF-8."],
    ),
    "a PNG image": (
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01",
        ["Filen innehåller NUL-tecken (från rad 3): den är inte en CSV-textfil. Spara den som UTF-8 och försök igen."],
    ),
    "binary junk that is valid UTF-8": (
        bytes(range(1, 128)) + b"\x00",
        # Lines end at CR and LF only, as in a text editor (not at vertical tab, form feed or the separators 1C-1E).
        ["Filen innehåller NUL-tecken (från rad 3): den är inte en CSV-textfil. Spara den som UTF-8 och försök igen."],
    ),
    "whitespace only": (b"\n\r\n  \n", ["Filen är tom: den behöver en rubrikrad med fältnamnen."]),
    "only a BOM": (codecs.BOM_UTF8, ["Filen är tom: den behöver en rubrikrad med fältnamnen."]),
    "a header row only": (HEADER.encode() + b"\r\n\r\n", ["Filen har en rubrikrad men inga kontakter."]),
}


@pytest.mark.parametrize(("content", "errors"), REFUSED_FILES.values(), ids=REFUSED_FILES.keys())
def test_a_file_that_cannot_be_read_is_refused_as_a_whole_in_swedish(clerk04_admin, content, errors):
    response = upload(clerk04_admin, content)

    assert response.status_code == 200
    assert response.context["file_errors"] == errors
    assert response.context["report"] is None
    assert "Ingenting sparades." in response.content.decode()
    assert Contact.objects.count() == 0


def test_an_empty_file_is_refused_by_the_form(clerk04_admin):
    response = upload(clerk04_admin, b"")

    assert response.context["form"].errors["file"] == ["Den skickade filen var tom."]
    assert Contact.objects.count() == 0


def test_rows_with_too_few_or_too_many_cells_are_reported_and_the_others_kept(clerk04_admin, providers):
    hsa = providers["04a"].hsa_id
    content = "\n".join(
        [
            HEADER,
            csv_row(hsa, "ok-1"),
            "short-row,only,three",
            csv_row(hsa, "too-many") + ",extra",
            csv_row(hsa, SCRIPT.replace(",", "")),
        ]
    ).encode()

    response = upload(clerk04_admin, content)

    created, rejected = _report(response)
    assert created == 2
    assert [(line, external_id) for line, external_id, _errors in rejected] == [(3, "short-row"), (4, "too-many")]
    assert dict(rejected[1][2]) == {"cells_without_column": ["Okänt fält."]}
    assert set(dict(rejected[0][2])) == set(INPUT_FIELDS) - {"external_id", "listing_unit", "care_unit"}
    assert "<script>" not in response.content.decode()
