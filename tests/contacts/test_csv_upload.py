"""The CSV upload reads files as Swedish Excel writes them: decimal commas (``100,00``, ``1 234,50``) and booleans
such as SANT/FALSKT or ja/nej. Only the CSV path: the JSON API's contract keeps ``"100.00"``."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from contacts.intake import contacts_upsert
from contacts.models import Contact
from regions.models import Role
from tests.factories import contact_item, personnummer

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
