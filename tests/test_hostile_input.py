"""Hostile and malformed input: each gets a clear error, nothing is stored half-way and nothing valid is lost.

The API (bodies too large, not JSON, deeply nested, of the wrong media type, invalid UTF-8, NaN and huge
numbers, wrong types, unknown fields, NUL characters), the admin's CSV upload (encodings, binary files, line
endings, empty files), text that looks like SQL or HTML (stored as data, shown escaped in the admin and the
PDFs) and CSV formula injection in the specification export (both ways of writing it).
"""

import codecs
import csv
import io

import orjson
import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.html import escape
from pypdf import PdfReader

from billing import documents
from billing.models import Invoice
from contacts.csv_upload import MAX_UPLOAD_BYTES
from contacts.disputes.models import Dispute, DisputeComment
from contacts.disputes.services import dispute_open
from contacts.intake import contacts_upsert
from contacts.models import Contact, ContactEvent
from contacts.validation import INPUT_FIELDS
from regions.models import Provider, Region, Role
from tests.billing.conftest import january, run_now, staff  # noqa: F401 (shared fixtures)
from tests.factories import contact_item

pytestmark = pytest.mark.django_db

CONTACTS = "/api/v1/contacts/"
BULK = "/api/v1/contacts/bulk/"
UPLOAD = reverse("admin:contacts_contact_upload_csv")
HEADER = ",".join(INPUT_FIELDS)

SCRIPT = '<script>alert("x")</script>'
SQL = "'; DROP TABLE contacts_contact; --"


@pytest.fixture
def system04(api_as, providers):
    """The record system of provider 04a."""
    return api_as(Role.PROVIDER, provider=providers["04a"])


@pytest.fixture
def clerk04_api(api_as):
    return api_as(Role.CLERK, "04")


def post_raw(client, url: str, body: bytes, content_type: str = "application/json"):
    return client.generic("POST", url, body, content_type=content_type)


def items(count: int, prefix: str = "c") -> list[dict]:
    return [contact_item(external_id=f"{prefix}-{n}") for n in range(count)]


# --- Bodies too large ----------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [BULK, CONTACTS])
def test_a_body_over_the_size_limit_is_a_413_with_a_clear_message_and_stores_nothing(system04, url):
    limit = django_settings.API_MAX_BODY_BYTES
    payload = orjson.dumps(items(3) if url == BULK else contact_item())
    body = payload + b" " * (limit + 1 - len(payload))  # valid JSON, one byte too long

    response = post_raw(system04, url, body)

    assert len(body) == 32 * 1024 * 1024 + 1
    assert response.status_code == 413
    assert response.json() == {
        "detail": "Innehållet är större än 32 MB; skicka högst 10 000 kontakter per anrop.",
    }
    assert Contact.objects.count() == 0


def test_a_body_of_exactly_the_size_limit_is_read(system04):
    payload = orjson.dumps(items(3))
    body = payload + b" " * (django_settings.API_MAX_BODY_BYTES - len(payload))

    response = post_raw(system04, BULK, body)

    assert response.status_code == 200
    assert response.json()["created"] == 3
    assert Contact.objects.count() == 3


def test_more_than_10_000_contacts_is_a_400_and_stores_nothing(system04):
    body = items(10_001)

    response = system04.post(BULK, body, format="json")

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Högst 10000 kontakter per anrop, fick 10001."]}
    assert Contact.objects.count() == 0


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


# --- Bodies that are not JSON, or not the JSON we read ---------------------------------------------------

NOT_JSON = {
    "100 000 nested arrays": b"[" * 100_000 + b"]" * 100_000,
    "10 000 nested objects": b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
    "form encoded": b"external_id=c-1&patient_id=198503122387",
    "XML": b"<contacts><contact external_id='c-1'/></contacts>",
    "truncated": b'[{"external_id": "c-1", "mode": "vid',
    "invalid UTF-8": b'[{"external_id": "c-\xff\xfe-1"}]',
    "Latin-1 text": '[{"external_id": "Växjö"}]'.encode("latin-1"),
    "a lone surrogate": b'[{"external_id": "\\ud800"}]',
    "NaN": b'[{"external_id": "c-1", "patient_fee": NaN}]',
    "Infinity": b'[{"external_id": "c-1", "patient_fee": Infinity}]',
    "a number too large for a double": b'[{"external_id": "c-1", "patient_fee": 1e999}]',
    "two documents": b"[] []",
    "a NUL byte outside strings": b"[\x00]",
}


@pytest.mark.parametrize("body", NOT_JSON.values(), ids=NOT_JSON.keys())
@pytest.mark.parametrize("url", [BULK, CONTACTS])
def test_a_body_that_is_not_json_is_a_400_naming_the_problem(system04, url, body):
    response = post_raw(system04, url, body)

    assert response.status_code == 400
    (message,) = response.json().values()
    assert message.startswith("Innehållet är inte giltig JSON: ")
    assert Contact.objects.count() == 0


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml", ""],
)
def test_json_sent_with_another_media_type_is_a_415(system04, content_type):
    response = post_raw(system04, BULK, orjson.dumps(items(2)), content_type=content_type)

    assert response.status_code == 415
    assert response.json()["detail"].startswith("Medietypen")
    assert Contact.objects.count() == 0


@pytest.mark.parametrize("body", [{}, {"external_id": "c-1"}, "c-1", 17, None, True])
def test_a_bulk_body_that_is_not_a_json_array_is_a_400_and_stores_nothing(system04, body):
    response = post_raw(system04, BULK, orjson.dumps(body))

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Innehållet ska vara en JSON-lista med kontakter."]}
    assert Contact.objects.count() == 0


NOT_AN_OBJECT = {"non_field_errors": ["Varje kontakt ska vara ett JSON-objekt."]}
NOT_AN_AMOUNT = 'Ska vara ett belopp, t.ex. "100.00".'
OUT_OF_RANGE = "Datumet ligger utanför det tillåtna intervallet."


def refused(char: str) -> str:
    """The message refusing a control or invisible formatting character in an identifier (kernel/text.py)."""
    return (
        "Får inte innehålla styrtecken eller osynliga formateringstecken (som radbrytningar, tabbar, "
        f"textriktningstecken eller nollbreddsmellanslag); hittade U+{ord(char):04X}."
    )


def test_a_bulk_with_invalid_items_stores_the_valid_ones_and_reports_the_others(system04):
    body = [
        contact_item(external_id="ok-1"),
        "not an object",
        contact_item(external_id="nul-\x00-inside"),
        None,
        contact_item(external_id="ok-2", patient_fee="NaN"),
        [contact_item(external_id="nested")],
        contact_item(external_id="ok-3"),
        contact_item(external_id="ok-4", started_at="0001-01-01T00:00:00+14:00"),
        contact_item(external_id="ok-5", mode={"video": True}, content=["assessment"]),
    ]

    response = system04.post(BULK, body, format="json")

    assert response.status_code == 200
    assert response.json() == {
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "errors": [
            {"index": 1, "external_id": None, "errors": NOT_AN_OBJECT},
            {"index": 2, "external_id": "nul-\x00-inside", "errors": {"external_id": [refused("\x00")]}},
            {"index": 3, "external_id": None, "errors": NOT_AN_OBJECT},
            {"index": 4, "external_id": "ok-2", "errors": {"patient_fee": [NOT_AN_AMOUNT]}},
            {"index": 5, "external_id": None, "errors": NOT_AN_OBJECT},
            {"index": 7, "external_id": "ok-4", "errors": {"started_at": [OUT_OF_RANGE]}},
            {
                "index": 8,
                "external_id": "ok-5",
                "errors": {
                    "mode": ["Ska vara något av: video, chat, phone."],
                    "content": [
                        "Ska vara något av: assessment, referral, preparation, self_care_advice, one_way_message, "
                        "results, administrative, renewal_without_assessment."
                    ],
                },
            },
        ],
    }
    assert sorted(Contact.objects.values_list("external_id", flat=True)) == ["ok-1", "ok-3"]
    assert ContactEvent.objects.count() == 0


# --- Numbers ----------------------------------------------------------------------------------------------

TOO_LARGE = "Högst 99999.99."


@pytest.mark.parametrize(
    ("fee", "message"),
    [
        ("NaN", NOT_AN_AMOUNT),
        ("sNaN", NOT_AN_AMOUNT),
        ("Infinity", NOT_AN_AMOUNT),
        ("-Infinity", NOT_AN_AMOUNT),
        (1e308, TOO_LARGE),
        (10**30, TOO_LARGE),  # beyond 64 bits: read as a float
        # Text is an amount written with digits 0-9 and a decimal point; exponents are not (issue 16).
        ("1e999999999", NOT_AN_AMOUNT),
        ("123456789012345678901234567890.123", TOO_LARGE),  # more digits than decimal's precision
        ("1e-999999999", NOT_AN_AMOUNT),
        ("-1e999999999", NOT_AN_AMOUNT),
        ("1e2", NOT_AN_AMOUNT),
        ("1_000", NOT_AN_AMOUNT),
        ("-1", "Får inte vara negativt."),
        ("0.001", "Högst två decimaler (öre)."),
        (True, "Ska vara ett belopp."),
        ("", "Fältet är obligatoriskt."),
        ("12,50", NOT_AN_AMOUNT),
    ],
)
def test_strange_numbers_for_the_patient_fee_are_a_400_on_that_field(system04, fee, message):
    response = system04.post(CONTACTS, contact_item(patient_fee=fee), format="json")

    assert response.status_code == 400
    assert response.json() == {"patient_fee": [message]}
    assert Contact.objects.count() == 0


@pytest.mark.parametrize("fee", [0, 250, 99999.99, 1e2, "99999.99", "-0.00", " 100.5 "])
def test_numbers_within_range_are_accepted_in_any_json_spelling(system04, fee):
    response = system04.post(CONTACTS, contact_item(patient_fee=fee), format="json")

    assert response.status_code == 201
    assert Contact.objects.get().patient_fee == Contact._meta.get_field("patient_fee").to_python(str(fee))


# --- Wrong types, unknown fields, NUL characters ------------------------------------------------------

WRONG_TYPES = [[], {}, ["LK"], {"value": "x"}, 17, 1.5, True, False]
RIGHT_TYPES = {"patient_fee": (int, float), "strong_authentication": (bool,), "triage": (bool,), "documented": (bool,)}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        (field, value)
        for field in INPUT_FIELDS
        for value in WRONG_TYPES
        if type(value) not in RIGHT_TYPES.get(field, ())  # a JSON number is an amount; booleans are booleans
    ],
    ids=repr,
)
def test_a_value_of_the_wrong_type_is_a_400_on_that_field_only(clerk04_api, providers, field, value):
    item = contact_item(provider=providers["04a"].hsa_id)
    item[field] = value

    response = clerk04_api.post(CONTACTS, item, format="json")

    assert response.status_code == 400
    errors = response.json()
    assert list(errors) == [field]
    assert len(errors[field]) == 1 and errors[field][0]  # one message, in Swedish (checked by the next test)
    assert Contact.objects.count() == 0


def test_the_wrong_type_messages_say_what_is_expected(clerk04_api, providers):
    item = contact_item(
        provider=providers["04a"].hsa_id,
        external_id=17,
        started_at=1760000000,
        mode=["video"],
        triage="yes",
        patient_fee={"amount": 100},
        care_unit=True,
    )

    response = clerk04_api.post(CONTACTS, item, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "external_id": ["Ska vara en textsträng."],
        "started_at": ["Ska vara datum och tid enligt ISO 8601 med tidszon, t.ex. 2026-10-05T14:30:00+02:00."],
        "mode": ["Ska vara något av: video, chat, phone."],
        "triage": ["Ska vara true eller false."],  # text booleans are for the CSV upload only
        "patient_fee": ['Ska vara ett belopp, t.ex. "100.00".'],
        "care_unit": ["Ska vara en textsträng."],
    }


def test_an_unknown_field_is_a_400_so_that_a_misspelt_field_is_not_lost(system04):
    item = contact_item()
    item["patient_fe"] = item.pop("patient_fee")

    response = system04.post(CONTACTS, item, format="json")

    assert response.status_code == 400
    assert response.json() == {"patient_fe": ["Okänt fält."], "patient_fee": ["Fältet är obligatoriskt."]}
    assert Contact.objects.count() == 0


def test_output_fields_sent_back_are_ignored(system04):
    item = contact_item(id=999, status="invoiced", amount="1000000.00", invoice=1, billing_region="01")

    response = system04.post(CONTACTS, item, format="json")

    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["amount"], body["invoice"]) == ("eligible", "335.00", None)
    assert body["billing_region"] == "04"


@pytest.mark.parametrize("field", INPUT_FIELDS)
def test_a_nul_character_in_any_field_is_a_400_on_that_field_not_a_database_error(clerk04_api, providers, field):
    item = contact_item(provider=providers["04a"].hsa_id, listing_unit="", care_unit="")
    value = item[field]
    item[field] = f"\x00{value}" if isinstance(value, str) else "\x00"

    response = clerk04_api.post(CONTACTS, item, format="json")

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert Contact.objects.count() == 0


def test_nul_characters_in_names_of_fields_and_inside_identifiers(system04):
    item = contact_item(external_id="c-\x00-1")
    item["mode\x00"] = "video"

    response = system04.post(CONTACTS, item, format="json")

    assert response.status_code == 400
    assert response.json() == {"mode\x00": ["Okänt fält."], "external_id": [refused("\x00")]}


@pytest.mark.parametrize(
    ("external_id", "char"),
    [
        ("line\nbreak", "\n"),
        ("carriage\rreturn", "\r"),
        ("tab\tinside", "\t"),
        ("escape\x1b[31m", "\x1b"),
        ("del\x7f", "\x7f"),
        ("c1\x85control", "\x85"),
    ],
)
def test_control_characters_in_an_external_id_are_refused(system04, external_id, char):
    # Every other category (format characters, line and paragraph separators): tests/contacts/test_forged_text.py.
    response = system04.post(CONTACTS, contact_item(external_id=external_id), format="json")

    assert response.status_code == 400
    assert response.json() == {"external_id": [refused(char)]}


@pytest.mark.parametrize(
    "started_at", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+23:59"]
)
def test_a_time_whose_offset_leaves_the_calendar_is_a_400(system04, started_at):
    response = system04.post(CONTACTS, contact_item(started_at=started_at), format="json")

    assert response.status_code == 400
    assert response.json() == {"started_at": ["Datumet ligger utanför det tillåtna intervallet."]}


def test_nul_characters_in_other_texts_are_a_400(api_as, staff, providers, january):  # noqa: F811
    clerk = api_as(Role.CLERK, "04")
    admin = api_as(Role.ADMIN)
    run_now()
    invoice = Invoice.objects.get(buyer_id="25")
    phone = Contact.objects.get(external_id="phone")
    dispute = dispute_open(contact=phone, by=staff["clerk04"], reason="Videosamtal enligt journalen.")

    answers = {
        "dispute reason": clerk.post("/api/v1/disputes/", {"contact": phone.pk, "reason": "a\x00b"}, format="json"),
        "comment": clerk.post(f"/api/v1/disputes/{dispute.pk}/comments/", {"text": "a\x00b"}, format="json"),
        "decision note": clerk.post(
            f"/api/v1/disputes/{dispute.pk}/resolve/", {"outcome": "dismissed", "note": "\x00"}, format="json"
        ),
        "assignee": clerk.post(f"/api/v1/disputes/{dispute.pk}/assign/", {"assignee": "clerk04\x00"}, format="json"),
        "rejection note": clerk.post(f"/api/v1/contacts/{phone.pk}/reject/", {"note": "a\x00b"}, format="json"),
        "return note": clerk.post(f"/api/v1/invoices/{invoice.pk}/return/", {"note": "a\x00b"}, format="json"),
        "provider name": admin.post(
            "/api/v1/providers/",
            {"hsa_id": "SE5560000019-X1", "name": "Vård\x00 AB", "org_number": "5560000019", "region": "04"},
            format="json",
        ),
    }

    assert {name: (r.status_code, r.json()) for name, r in answers.items()} == {
        "dispute reason": (400, {"reason": ["Null-tecken är inte tillåtna."]}),
        "comment": (400, {"text": ["Null-tecken är inte tillåtna."]}),
        "decision note": (400, {"note": ["Null-tecken är inte tillåtna."]}),
        "assignee": (400, {"assignee": ["Null-tecken är inte tillåtna."]}),
        "rejection note": (400, {"note": ["Null-tecken är inte tillåtna."]}),
        "return note": (400, {"note": ["Null-tecken är inte tillåtna."]}),
        "provider name": (400, {"name": ["Null-tecken är inte tillåtna."]}),
    }
    assert (Dispute.objects.count(), DisputeComment.objects.count()) == (1, 0)
    assert Dispute.objects.get().decided_at is None
    assert Contact.objects.get(pk=phone.pk).manual_reasons == ""
    assert not Provider.objects.filter(hsa_id="SE5560000019-X1").exists()


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/providers/%00/",
        "/api/v1/regions/%00/",
        "/api/v1/professions/%00/",
        "/api/v1/recommendations/%00/",
        "/api/v1/contacts/?external_id=%00&period=2026-01%00",
        "/api/v1/invoices/?seller=0%004",
    ],
)
def test_a_nul_character_in_an_api_address_is_a_400(clerk04_api, url):
    response = clerk04_api.get(url)

    assert response.status_code == 400
    assert response.json() == {"detail": "Adressen innehåller ett NUL-tecken."}


@pytest.mark.parametrize(
    "url",
    [
        "/admin/regions/region/%00/change/",
        "/admin/regions/profession/%00/change/",
        "/admin/regions/provider/?q=%00",
        "/admin/contacts/contact/?q=c-%001",
        "/admin/billing/invoice/?q=%00",
    ],
)
def test_a_nul_character_in_an_admin_address_is_a_400(client, make_user, url):
    client.force_login(make_user(Role.ADMIN))

    response = client.get(url)

    assert response.status_code == 400


# --- SQL and HTML in text: data, shown escaped -------------------------------------------------------------


def test_sql_and_html_in_texts_are_stored_as_given_and_escaped_in_the_admin(client, api_as, staff, providers):  # noqa: F811
    system = api_as(Role.PROVIDER, provider=providers["04a"])
    clerk = api_as(Role.CLERK, "04")
    admin = api_as(Role.ADMIN)
    html_id = system.post(CONTACTS, contact_item(external_id=SCRIPT, mode="phone"), format="json").json()["id"]
    sql_id = system.post(CONTACTS, contact_item(external_id=SQL), format="json").json()["id"]
    clerk.post(f"{CONTACTS}{sql_id}/reject/", {"note": f"{SCRIPT} {SQL}"}, format="json")
    dispute = clerk.post("/api/v1/disputes/", {"contact": html_id, "reason": SCRIPT}, format="json").json()
    clerk.post(f"/api/v1/disputes/{dispute['id']}/comments/", {"text": f"<img src=x onerror=alert(1)> {SQL}"})
    provider = admin.post(
        "/api/v1/providers/",
        {"hsa_id": "SE5560000019-X1", "name": f"{SCRIPT} AB", "org_number": "5560000019", "region": "04"},
        format="json",
    )
    client.force_login(staff["clerk04"])

    pages = {
        "contacts": client.get(reverse("admin:contacts_contact_changelist")),
        "contact": client.get(reverse("admin:contacts_contact_change", args=[html_id])),
        "rejected contact": client.get(reverse("admin:contacts_contact_change", args=[sql_id])),
        "search": client.get(reverse("admin:contacts_contact_changelist"), {"q": SQL}),
        "dispute": client.get(reverse("admin:contacts_dispute_change", args=[dispute["id"]])),
        "providers": client.get(reverse("admin:regions_provider_changelist")),
    }

    assert provider.status_code == 201
    assert sorted(Contact.objects.values_list("external_id", flat=True)) == sorted([SCRIPT, SQL])
    assert ContactEvent.objects.get(contact_id=sql_id).note == f"{SCRIPT} {SQL}"
    assert Dispute.objects.get().reason == SCRIPT
    assert DisputeComment.objects.get().text == f"<img src=x onerror=alert(1)> {SQL}"
    assert system.get(f"{CONTACTS}{html_id}/").json()["external_id"] == SCRIPT
    for name, response in pages.items():
        html = response.content.decode()
        assert response.status_code == 200, name
        assert "<script>alert" not in html and "<img src=x" not in html, name
    assert escape(SCRIPT) in pages["contact"].content.decode()
    assert escape(f"{SCRIPT} {SQL}") in pages["rejected contact"].content.decode()
    assert [c.external_id for c in pages["search"].context["cl"].result_list] == [SQL]
    assert escape(SCRIPT) in pages["dispute"].content.decode()
    assert escape("<img src=x onerror=alert(1)>") in pages["dispute"].content.decode()
    assert escape(f"{SCRIPT} AB") in pages["providers"].content.decode()


def _pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_html_in_texts_is_text_in_the_invoice_and_specification_pdfs(staff, providers, monkeypatch):  # noqa: F811
    hsa = providers["04a"].hsa_id
    contacts_upsert(
        items=[
            contact_item(provider=hsa, external_id="<b>fet</b>", started_at="2026-01-10T10:00:00+01:00"),
            contact_item(provider=hsa, external_id="<script>x</script>", started_at="2026-01-11T10:00:00+01:00"),
        ],
        user=staff["clerk04"],
        channel="api",
    )
    Region.objects.filter(code="25").update(name="Region <i>Norrbotten</i> & Co")
    run_now()
    invoice = Invoice.objects.get(buyer_id="25")
    rendered_html = []
    real_html = documents.weasyprint.HTML

    def capture(*, string):
        rendered_html.append(string)
        return real_html(string=string)

    monkeypatch.setattr(documents.weasyprint, "HTML", capture)

    specification = _pdf_text(documents.render_specification_pdf(invoice, full_identity=True))
    invoice_pdf = _pdf_text(documents.render_invoice_pdf(invoice))

    assert "<b>fet</b>" in specification and "<script>x</script>" in specification
    assert "Region <i>Norrbotten</i> & Co" in specification and "Region <i>Norrbotten</i> & Co" in invoice_pdf
    specification_html, invoice_html = rendered_html
    assert "&lt;script&gt;x&lt;/script&gt;" in specification_html and "<script>" not in specification_html
    assert "&lt;b&gt;fet&lt;/b&gt;" in specification_html
    assert "Region &lt;i&gt;Norrbotten&lt;/i&gt; &amp; Co" in invoice_html and "<i>" not in invoice_html


# --- The admin's CSV upload: encodings and broken files ----------------------------------------------------


def upload(client, content: bytes, name: str = "kontakter.csv"):
    return client.post(UPLOAD, {"file": SimpleUploadedFile(name, content, content_type="text/csv")})


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


# --- Formula injection in the specification CSV ----------------------------------------------------------

FORMULAS = ["=1+1", "+1", "-1", "@SUM(A1:A9)", "\t=1+1", "\r=1+1", '=HYPERLINK("http://x.example")']


@pytest.fixture
def formula_invoice(staff, providers):  # noqa: F811
    hsa = providers["04a"].hsa_id
    result = contacts_upsert(
        items=[
            contact_item(provider=hsa, external_id=f"f-{n}", started_at=f"2026-01-{10 + n:02d}T10:00:00+01:00")
            for n in range(len(FORMULAS) + 1)
        ],
        user=staff["clerk04"],
        channel="api",
    )
    assert result.errors == []
    # Intake refuses control characters and checks HSA-ids, so these values can only be planted underneath it.
    for n, formula in enumerate(FORMULAS):
        Contact.objects.filter(external_id=f"f-{n}").update(external_id=formula, care_unit=formula)
    run_now()
    return Invoice.objects.get(buyer_id="25")


def _rows(chunks) -> list[list[str]]:
    text = "".join(chunks)
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""), delimiter=";"))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="compares PostgreSQL's COPY with the Python writer")
def test_formula_cells_are_neutralised_by_postgresql_and_by_python_alike(formula_invoice):
    copy_rows = _rows(documents._specification_csv_copy(formula_invoice, full_identity=False))
    python_rows = _rows(documents._specification_csv_python(formula_invoice, full_identity=False))

    assert copy_rows == python_rows
    external_ids = [row[2] for row in copy_rows]
    care_units = [row[10] for row in copy_rows]
    # Guarded, then a tab or carriage return shown as U+FFFD (issue 16: no control character leaves in an export).
    assert (
        external_ids[:-1]
        == care_units[:-1]
        == ["'" + formula.replace("\t", "\ufffd").replace("\r", "\ufffd") for formula in FORMULAS]
    )
    assert (external_ids[-1], care_units[-1]) == ("f-7", "")
    assert {row[9] for row in copy_rows} == {"400.00"}  # amounts are numbers, never prefixed


def test_the_specification_csv_download_is_neutralised(api_as, formula_invoice):
    response = api_as(Role.CLERK, "04").get(f"/api/v1/invoices/{formula_invoice.pk}/specification.csv")

    rows = _rows([b"".join(response.streaming_content).decode("utf-8")])
    assert rows[0][2] == "external_id"
    assert [row[2] for row in rows[1:-1]] == [
        "'" + formula.replace("\t", "\ufffd").replace("\r", "\ufffd") for formula in FORMULAS
    ]
    assert {len(row) for row in rows} == {15}  # a carriage return in a cell is U+FFFD, never a line break


def test_the_swedish_specification_csv_download_is_neutralised(api_as, formula_invoice):
    response = api_as(Role.CLERK, "04").get(f"/api/v1/invoices/{formula_invoice.pk}/specification-sv.csv")

    rows = _rows([b"".join(response.streaming_content).decode("utf-8")])
    assert rows[0][2] == "Externt id"
    neutralised = ["'" + formula.replace("\t", "\ufffd").replace("\r", "\ufffd") for formula in FORMULAS]
    assert [row[2] for row in rows[1:-2]] == neutralised
    assert [row[12] for row in rows[1:-2]] == neutralised
    assert {row[11] for row in rows[1:-1]} == {"400,00"}  # amounts are numbers, never prefixed
    assert rows[-1][0] == "Summa"
    assert {len(row) for row in rows} == {17}  # a carriage return in a cell is U+FFFD, never a line break
