"""Every read of an unmasked personal identity number is recorded: who, when, which contact(s), through which
interface; a page of contacts in one INSERT, a whole specification as one row; masked reads are not recorded; the
log is append-only and only national admins see it."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from billing.models import Invoice
from contacts.audit.models import IdentityRead, ReadVia
from contacts.intake import contacts_upsert
from contacts.models import Contact
from kernel.errors import ImmutableObject
from regions.models import ApiClient, Role
from regions.services import api_client_create
from tests.billing.conftest import january, run_now, staff  # noqa: F401 (fixtures)
from tests.factories import contact_item

pytestmark = pytest.mark.django_db

READS = reverse("admin:contacts_identityread_changelist")


def reads() -> list[tuple]:
    return list(
        IdentityRead.objects.order_by("id").values_list(
            "user__username", "via", "contact_id", "invoice_id", "contact_count", "path"
        )
    )


def inserts(queries) -> int:
    return sum(1 for query in queries if query["sql"].startswith('INSERT INTO "contacts_identityread"'))


def store(make_user, providers, count: int = 1) -> list[Contact]:
    """Contacts billed by Sörmland (04) for Jönköping (25)'s residents, through the intake path."""
    items = [contact_item(provider=providers["04a"].hsa_id, external_id=f"c-{n}") for n in range(count)]
    result = contacts_upsert(items=items, user=make_user(Role.CLERK, "04", username="intake"), channel="api")
    assert result.errors == []
    return list(Contact.objects.filter(pk__in=result.ids.values()))


@pytest.fixture
def contact(make_user, providers):
    return store(make_user, providers)[0]


def token_client(api_client_name: str, role: Role, region: str | None = None, provider=None):
    from rest_framework.test import APIClient

    _client, key = api_client_create(
        name=api_client_name, role=role, region_code=region, provider_hsa_id=provider.hsa_id if provider else None
    )
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api


# --- the API ---------------------------------------------------------------------------------------------------


def test_a_clerks_detail_read_with_the_full_number_is_one_record(contact):
    api = token_client("finance-04", Role.CLERK, "04")
    before = timezone.now()

    response = api.get(f"/api/v1/contacts/{contact.pk}/")

    assert response.json()["patient_id"] == "198503122387"
    assert reads() == [("api:finance-04", ReadVia.API_DETAIL, contact.pk, None, 1, f"/api/v1/contacts/{contact.pk}/")]
    read = IdentityRead.objects.get()
    assert read.user == ApiClient.objects.get(name="finance-04").user
    assert before <= read.at <= timezone.now()


def test_a_masked_read_records_nothing(contact, providers):
    api = token_client("journal", Role.PROVIDER, provider=providers["04a"])

    detail = api.get(f"/api/v1/contacts/{contact.pk}/")
    listing = api.get("/api/v1/contacts/")

    assert detail.json()["patient_id"] == "19850312-****"
    assert [item["patient_id"] for item in listing.json()["results"]] == ["19850312-****"]
    assert reads() == []


def test_a_refused_or_missing_read_records_nothing(contact):
    api = token_client("finance-06", Role.CLERK, "06")  # neither billing nor home region: out of scope

    assert api.get(f"/api/v1/contacts/{contact.pk}/").status_code == 404
    assert reads() == []


def test_a_list_page_is_one_insert_with_a_row_per_contact_shown(make_user, providers):
    stored = store(make_user, providers, 25)
    api = token_client("finance-25", Role.MANAGER, "25")  # the buyer's staff see full numbers too

    with CaptureQueriesContext(connection) as queries:
        response = api.get("/api/v1/contacts/?page_size=10")

    shown = [item["id"] for item in response.json()["results"]]
    assert len(shown) == 10
    assert inserts(queries) == 1
    assert sorted(IdentityRead.objects.values_list("contact_id", flat=True)) == sorted(shown)
    assert set(IdentityRead.objects.values_list("via", "path")) == {(ReadVia.API_LIST, "/api/v1/contacts/")}
    assert set(shown) <= {contact.pk for contact in stored}


def test_creating_a_contact_as_a_clerk_records_the_number_echoed_back(providers):
    api = token_client("finance-04", Role.CLERK, "04")

    response = api.post("/api/v1/contacts/", contact_item(provider=providers["04a"].hsa_id), format="json")

    assert response.status_code == 201
    assert reads() == [("api:finance-04", ReadVia.API_DETAIL, response.json()["id"], None, 1, "/api/v1/contacts/")]


def test_invoice_lines_record_each_contact_shown(january, staff):  # noqa: F811
    run_now()
    invoice = Invoice.objects.get(buyer_id="25")
    api = token_client("finance-04", Role.CLERK, "04")

    response = api.get(f"/api/v1/invoices/{invoice.pk}/lines/")

    contacts = sorted(line["contact"] for line in response.json()["results"])
    assert len(contacts) == 4
    assert sorted(IdentityRead.objects.values_list("contact_id", flat=True)) == contacts
    assert set(IdentityRead.objects.values_list("via", flat=True)) == {ReadVia.API_INVOICE_LINES}


def test_a_csv_specification_is_one_row_with_its_size(january, staff):  # noqa: F811
    run_now()
    invoice = Invoice.objects.get(buyer_id="25")
    api = token_client("finance-25", Role.CLERK, "25")

    with CaptureQueriesContext(connection) as queries:
        response = api.get(f"/api/v1/invoices/{invoice.pk}/specification.csv")
        assert inserts(queries) == 0  # not yet: the read is recorded once the lines have been produced
        body = b"".join(response.streaming_content).decode()

    assert "198503122387" in body
    assert inserts(queries) == 1
    path = f"/api/v1/invoices/{invoice.pk}/specification.csv"
    assert reads() == [("api:finance-25", ReadVia.CSV_SPECIFICATION, None, invoice.pk, 4, path)]


def test_the_swedish_csv_specification_is_one_row_with_its_size(january, staff):  # noqa: F811
    run_now()
    invoice = Invoice.objects.get(buyer_id="25")
    api = token_client("finance-04", Role.MANAGER, "04")
    path = f"/api/v1/invoices/{invoice.pk}/specification-sv.csv"

    with CaptureQueriesContext(connection) as queries:
        response = api.get(path)
        assert reads() == []
        body = b"".join(response.streaming_content).decode("utf-8-sig")

    assert body.count("198503122387") == 4  # every line, and the sum row (not a line) is not counted
    assert inserts(queries) == 1
    assert reads() == [("api:finance-04", ReadVia.CSV_SPECIFICATION, None, invoice.pk, 4, path)]


def test_a_pdf_specification_preview_is_one_row(january, staff):  # noqa: F811
    run_now()
    invoice = Invoice.objects.get(buyer_id="25")
    api = token_client("finance-04", Role.CLERK, "04")

    response = api.get(f"/api/v1/invoices/{invoice.pk}/specification-pdf/")

    assert response["Content-Type"] == "application/pdf"
    path = f"/api/v1/invoices/{invoice.pk}/specification-pdf/"
    assert reads() == [("api:finance-04", ReadVia.PDF_SPECIFICATION, None, invoice.pk, 4, path)]


def test_the_invoice_pdf_itself_has_no_identities_and_records_nothing(january, staff):  # noqa: F811
    run_now()
    invoice = Invoice.objects.get(buyer_id="25")

    response = token_client("finance-04", Role.CLERK, "04").get(f"/api/v1/invoices/{invoice.pk}/pdf/")

    assert response.status_code == 200
    assert reads() == []


# --- the admin -------------------------------------------------------------------------------------------------


def test_the_admin_list_and_page_record_what_they_show(client, contact, make_user):
    clerk = make_user(Role.CLERK, "04", username="clerk04")
    client.force_login(clerk)

    listing = client.get(reverse("admin:contacts_contact_changelist"))
    page = client.get(reverse("admin:contacts_contact_change", args=[contact.pk]))

    assert "198503122387" in listing.content.decode() and "198503122387" in page.content.decode()
    assert [row[:5] for row in reads()] == [
        ("clerk04", ReadVia.ADMIN_LIST, contact.pk, None, 1),
        ("clerk04", ReadVia.ADMIN_DETAIL, contact.pk, None, 1),
    ]


# --- the log itself --------------------------------------------------------------------------------------------


@pytest.fixture
def some_reads(january, staff):  # noqa: F811
    run_now()
    invoice = Invoice.objects.get(buyer_id="25")
    contact = Contact.objects.get(external_id="lk-30")
    api = token_client("finance-04", Role.CLERK, "04")
    api.get(f"/api/v1/contacts/{contact.pk}/")
    b"".join(api.get(f"/api/v1/invoices/{invoice.pk}/specification.csv").streaming_content)
    api.get(f"/api/v1/contacts/{Contact.objects.get(external_id='lk-01').pk}/")
    return {"contact": contact, "invoice": invoice}


def test_the_log_is_visible_to_national_admins_and_to_nobody_else(client, make_user, some_reads):
    admin = make_user(Role.ADMIN)
    cases = [
        (make_user(Role.CLERK, "04"), 403),
        (make_user(Role.MANAGER, "25"), 403),
        (make_user(Role.ADMIN, "04"), 403),  # a region's admin: the log spans every region
        (admin, 200),
    ]
    answers = []
    for user, _expected in cases:
        client.force_login(user)
        answers.append(client.get(READS).status_code)
        client.logout()

    assert answers == [expected for _user, expected in cases]


def test_admins_search_the_log_by_contact_id_including_specifications(client, make_user, some_reads):
    client.force_login(make_user(Role.ADMIN))
    contact, invoice = some_reads["contact"], some_reads["invoice"]

    by_id = client.get(READS, {"q": str(contact.pk)})
    by_number = client.post(f"{READS}search/", {"q": contact.patient_id}, follow=True)  # posted: never in the address
    by_interface = client.get(READS, {"via__exact": ReadVia.CSV_SPECIFICATION})

    expected = {(ReadVia.API_DETAIL, contact.pk, None), (ReadVia.CSV_SPECIFICATION, None, invoice.pk)}
    assert {(r.via, r.contact_id, r.invoice_id) for r in by_id.context["cl"].result_list} == expected
    assert {(r.via, r.contact_id, r.invoice_id) for r in by_number.context["cl"].result_list} >= expected
    assert [(r.via, r.invoice_id) for r in by_interface.context["cl"].result_list] == [
        (ReadVia.CSV_SPECIFICATION, invoice.pk)
    ]
    assert IdentityRead.objects.count() == 3


def test_the_log_is_read_only_in_the_admin(client, make_user, some_reads):
    client.force_login(make_user(Role.ADMIN))
    read = IdentityRead.objects.first()

    page = client.get(reverse("admin:contacts_identityread_change", args=[read.pk]))
    add = client.get(reverse("admin:contacts_identityread_add"))
    delete = client.post(reverse("admin:contacts_identityread_delete", args=[read.pk]), {"post": "yes"})

    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert (add.status_code, delete.status_code) == (403, 403)
    assert IdentityRead.objects.count() == 3


def test_the_log_is_append_only(some_reads):
    read = IdentityRead.objects.first()

    read.via = ReadVia.ADMIN_LIST
    with pytest.raises(ImmutableObject, match="Historiken kan bara utökas"):
        read.save()
    with pytest.raises(ImmutableObject):
        read.delete()
    with pytest.raises(ImmutableObject):
        IdentityRead.objects.filter(pk=read.pk).update(via=ReadVia.ADMIN_LIST)
    with pytest.raises(ImmutableObject):
        IdentityRead.objects.all().delete()
    assert IdentityRead.objects.count() == 3


def test_reads_outlive_a_draft_invoice_a_later_run_replaces(some_reads, staff):  # noqa: F811
    invoice = some_reads["invoice"]
    invoice.lines.all().delete()  # as billing.runs does with a draft that no longer has contacts
    Invoice.objects.filter(pk=invoice.pk).delete()

    assert IdentityRead.objects.filter(invoice_id=invoice.pk).count() == 1
