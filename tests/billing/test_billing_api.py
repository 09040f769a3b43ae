import pytest

from billing.models import Invoice
from contacts.intake import contacts_upsert
from kernel.business_time import add_months, stockholm_today
from regions.models import Role
from tests.billing.conftest import run_now
from tests.factories import contact_item, personnummer

pytestmark = pytest.mark.django_db


def test_a_run_started_through_the_api_answers_202_and_then_shows_its_result(
    api_as, staff, providers, django_capture_on_commit_callbacks
):
    # Runs started through the API use today's date, so the contacts are of last month.
    last_month = add_months(stockholm_today(), -1)
    period = f"{last_month:%Y-%m}"
    started = f"{last_month:%Y-%m}-02T10:00:00+01:00"
    contacts_upsert(
        items=[
            contact_item(provider=providers["04a"].hsa_id, external_id="x1", started_at=started),
            contact_item(
                provider=providers["04a"].hsa_id,
                external_id="x2",
                started_at=started,
                home_region="01",
                patient_id=personnummer("19700101", "123"),  # another patient: the same one would be a duplicate
            ),
        ],
        user=staff["clerk04"],
        channel="api",
    )
    api = api_as(Role.CLERK, "04")

    with django_capture_on_commit_callbacks(execute=True) as queued:
        response = api.post("/api/v1/invoice-runs/", {"billing_region": "04", "period": period}, format="json")
    run = api.get(f"/api/v1/invoice-runs/{response.json()['id']}/").json()

    assert response.status_code == 202
    assert len(queued) == 1  # the task is queued only once the run row is committed
    assert (run["billing_region"], run["period"], run["status"], run["progress"], run["error"]) == (
        "04",
        period,
        "succeeded",
        100,
        "",
    )
    assert sorted(run["invoices"]) == sorted(Invoice.objects.values_list("pk", flat=True))
    assert len(run["invoices"]) == 2


@pytest.mark.parametrize(("role", "region"), [(Role.CLERK, "25"), (Role.PROVIDER, None)])
def test_only_the_billing_regions_staff_start_its_runs(api_as, january, providers, role, region):
    api = api_as(role, region, provider=providers["04a"] if role == Role.PROVIDER else None)

    response = api.post("/api/v1/invoice-runs/", {"billing_region": "04", "period": "2026-01"}, format="json")

    assert response.status_code == 403
    assert Invoice.objects.count() == 0


def test_bad_run_input_is_a_400(api_as, january):
    response = api_as(Role.CLERK, "04").post(
        "/api/v1/invoice-runs/", {"billing_region": "04", "period": "2026-13"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"period": ["Ska se ut som ÅÅÅÅ-MM."]}


def test_invoice_detail_shows_totals_per_category_and_rate(api_as, january):
    run_now()
    invoice = Invoice.objects.get(buyer_id="25")

    body = api_as(Role.CLERK, "25").get(f"/api/v1/invoices/{invoice.pk}/").json()

    assert (body["seller"], body["buyer"], body["period"], body["status"], body["kind"]) == (
        "04",
        "25",
        "2026-01",
        "draft",
        "invoice",
    )
    assert (body["number"], body["total"], body["contact_count"], body["credits"]) == (None, "1140.00", 4, None)
    assert body["totals"] == [
        {
            "category": "physician",
            "count": 1,
            "rate": "500.00",
            "gross": "500.00",
            "patient_fees": "100.00",
            "net": "400.00",
        },
        {
            "category": "physician",
            "count": 1,
            "rate": "435.00",
            "gross": "435.00",
            "patient_fees": "100.00",
            "net": "335.00",
        },
        {
            "category": "psychologist",
            "count": 1,
            "rate": "405.00",
            "gross": "405.00",
            "patient_fees": "0.00",
            "net": "405.00",
        },
        {
            "category": "other_licensed",
            "count": 1,
            "rate": "235.00",
            "gross": "235.00",
            "patient_fees": "235.00",
            "net": "0.00",
        },
    ]


def test_a_clerk_of_a_third_region_gets_404(api_as, january):
    run_now()
    invoice = Invoice.objects.get(buyer_id="25")
    api = api_as(Role.CLERK, "06")

    assert api.get(f"/api/v1/invoices/{invoice.pk}/").status_code == 404
    assert api.get(f"/api/v1/invoices/{invoice.pk}/lines/").status_code == 404
    assert api.post(f"/api/v1/invoices/{invoice.pk}/submit/").status_code == 404
    assert api.get("/api/v1/invoices/").json()["results"] == []


def test_the_buyer_reads_but_cannot_move_the_invoice(api_as, january):
    run_now()
    invoice = Invoice.objects.get(buyer_id="25")
    buyer = api_as(Role.MANAGER, "25")

    assert buyer.get(f"/api/v1/invoices/{invoice.pk}/").status_code == 200
    assert buyer.post(f"/api/v1/invoices/{invoice.pk}/submit/").status_code == 403
    invoice.refresh_from_db()
    assert invoice.status == "draft"


def test_transitions_through_the_api(api_as, signed_in, january, staff):
    run_now()
    invoice = Invoice.objects.get(buyer_id="25")
    # The approval is a signed-in manager's (four eyes are two people); a manager's API key may not approve.
    clerk, manager, manager_key = api_as(Role.CLERK, "04"), signed_in(staff["manager04"]), api_as(Role.MANAGER, "04")

    early = manager.post(f"/api/v1/invoices/{invoice.pk}/approve/")
    submitted = clerk.post(f"/api/v1/invoices/{invoice.pk}/submit/")
    by_clerk = clerk.post(f"/api/v1/invoices/{invoice.pk}/approve/")
    by_key = manager_key.post(f"/api/v1/invoices/{invoice.pk}/approve/")
    approved = manager.post(f"/api/v1/invoices/{invoice.pk}/approve/")
    back = manager_key.post(f"/api/v1/invoices/{invoice.pk}/return/", {"note": "x"}, format="json")

    assert early.status_code == 409
    assert early.json() == {
        "detail": "Godkännande är inte möjligt för Faktura till Region Norrbotten, 2026-01 med status utkast."
    }
    assert submitted.status_code == 200 and submitted.json()["status"] == "submitted"
    assert by_clerk.status_code == 403
    assert (by_key.status_code, by_key.json()["detail"][:57]) == (
        403,
        "En API-klient får inte godkänna Faktura till Region Norrb",
    )
    assert approved.status_code == 200
    assert approved.json()["number"].endswith("-000001") and approved.json()["number"].startswith("04-")
    assert back.status_code == 409


def test_lines_are_masked_for_providers_and_full_for_the_parties(api_as, january, providers):
    run_now()
    invoice = Invoice.objects.get(buyer_id="25")

    lines = api_as(Role.CLERK, "25").get(f"/api/v1/invoices/{invoice.pk}/lines/").json()["results"]

    assert [line["external_id"] for line in lines] == ["lk-29", "lk-30", "ps-30", "sj-31"]
    assert lines[0]["patient_id"] == "198503122387"
    assert (lines[0]["rate"], lines[0]["patient_fee"], lines[0]["amount"], lines[0]["recommendation"]) == (
        "500.00",
        "100.00",
        "400.00",
        "SKL-2019",
    )


def test_a_contact_shows_the_invoice_it_is_on(api_as, january):
    run_now()
    invoice = Invoice.objects.get(buyer_id="25")
    api = api_as(Role.CLERK, "04")

    results = api.get("/api/v1/contacts/?period=2026-01&home_region=25").json()["results"]

    by_id = {c["external_id"]: c["invoice"] for c in results}
    assert by_id == {"lk-29": invoice.pk, "lk-30": invoice.pk, "ps-30": invoice.pk, "sj-31": invoice.pk, "phone": None}
