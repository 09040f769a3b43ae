"""Every change to recommendations, providers, contacts, invoices and disputes is answerable: who, when, what
before and after, and through which interface (API, admin, or the system: commands, runs, scheduled jobs)."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from billing.models import Invoice, InvoiceEvent, InvoiceRun
from billing.services import invoice_approve, invoice_return, invoice_submit
from contacts.intake import contacts_upsert
from contacts.models import Contact, ContactEvent
from contacts.services import contact_reject
from disputes.models import DisputeEvent
from disputes.services import dispute_assign, dispute_open, dispute_resolve
from kernel.history import Via
from regions.models import Provider, ProviderEvent, RateRecommendation, RecommendationEvent, Role
from regions.services import provider_create
from tests.billing.conftest import january, run_now, staff  # noqa: F401 (fixtures)
from tests.factories import contact_item, valid_org_number

pytestmark = pytest.mark.django_db


# --- Providers ---------------------------------------------------------------------------------------


def test_a_provider_created_through_the_api_records_its_fields_the_client_and_the_interface(api_as, reference):
    org = valid_org_number(901)
    response = api_as(Role.ADMIN).post(
        "/api/v1/providers/",
        {"hsa_id": f"se{org}-ny1", "name": "Nya Vård AB", "org_number": f"{org[:6]}-{org[6:]}", "region": "04"},
        format="json",
    )

    assert response.status_code == 201
    event = ProviderEvent.objects.get(provider__hsa_id=f"SE{org}-NY1")
    assert (event.action, event.via, event.actor.username) == ("created", Via.API, "api:client-admin-1")
    assert event.changes == {
        "active": [None, True],
        "hsa_id": [None, f"SE{org}-NY1"],
        "name": [None, "Nya Vård AB"],
        "org_number": [None, org],
        "region": [None, "04"],
    }
    assert abs(event.at - timezone.now()) < dt.timedelta(seconds=30)


def _provider_form(provider, **overrides) -> dict:
    data = {
        "name": provider.name,
        "org_number": provider.org_number,
        "region": provider.region_id,
        "active": "on" if provider.active else "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value != ""}


def test_a_clerk_changing_a_provider_in_the_admin_records_before_and_after(client, make_user, providers):
    clerk = make_user(Role.CLERK, "04", username="clerk04")
    provider = providers["04a"]
    old_name = provider.name
    client.force_login(clerk)
    url = reverse("admin:regions_provider_change", args=[provider.pk])

    response = client.post(url, _provider_form(provider, name="Nytt Namn AB", active=""))

    assert response.status_code == 302
    provider.refresh_from_db()
    assert (provider.name, provider.active) == ("Nytt Namn AB", False)
    event = ProviderEvent.objects.get(provider=provider)
    assert (event.action, event.via, event.actor) == ("changed", Via.ADMIN, clerk)
    # Deactivating without an end date ends the contract today (Stockholm), recorded with the rest.
    today = timezone.localdate().isoformat()
    assert event.changes == {"active": [True, False], "ended_on": [None, today], "name": [old_name, "Nytt Namn AB"]}

    # Saving again without a change records nothing more.
    provider.refresh_from_db()
    assert client.post(url, _provider_form(provider)).status_code == 302
    assert ProviderEvent.objects.filter(provider=provider).count() == 1

    # The change page shows the history in Swedish, with the fields' names.
    page = client.get(url).content.decode()
    assert f"namn: {old_name} → Nytt Namn AB" in page
    assert "aktiv: ja → nej" in page
    assert "clerk04" in page


def test_a_provider_added_in_the_admin_is_created_through_the_service(client, make_user, reference):
    clerk = make_user(Role.CLERK, "04")
    client.force_login(clerk)
    org = valid_org_number(902)

    response = client.post(
        reverse("admin:regions_provider_add"),
        {"hsa_id": f"SE{org}-A1", "name": "Admin Vård AB", "org_number": org, "region": "04", "active": "on"},
    )

    assert response.status_code == 302
    event = ProviderEvent.objects.get(provider__hsa_id=f"SE{org}-A1")
    assert (event.action, event.via, event.actor, event.changes["name"]) == (
        "created",
        Via.ADMIN,
        clerk,
        [None, "Admin Vård AB"],
    )


def test_providers_are_deactivated_never_deleted(client, make_user, providers):
    client.force_login(make_user(Role.ADMIN))
    provider = providers["04a"]

    response = client.post(reverse("admin:regions_provider_delete", args=[provider.pk]), {"post": "yes"})

    assert response.status_code == 403
    assert Provider.objects.filter(pk=provider.pk).exists()


def test_a_provider_created_by_a_command_is_recorded_as_the_system(reference):
    org = valid_org_number(903)
    provider = provider_create(hsa_id=f"SE{org}-C1", name="Skript AB", org_number=org, region_code="06")

    event = ProviderEvent.objects.get(provider=provider)
    assert (event.action, event.via, event.actor) == ("created", Via.SYSTEM, None)


# --- Recommendations ---------------------------------------------------------------------------------


def _recommendation_form(**fields) -> dict:
    data = {
        "code": "SKR-2027-01",
        "title": "SKR:s rekommendation 2027",
        "decided_on": "2026-11-20",
        "effective_from": "2027-01-01",
        "includes_patient_fee": "on",
        "source_reference": "SKR2026/01234",
        "rates-TOTAL_FORMS": "3",
        "rates-INITIAL_FORMS": "0",
        "rates-MIN_NUM_FORMS": "0",
        "rates-MAX_NUM_FORMS": "1000",
        "rates-0-category": "physician",
        "rates-0-amount": "445.00",
        "rates-1-category": "psychologist",
        "rates-1-amount": "415.00",
        "rates-2-category": "other_licensed",
        "rates-2-amount": "245.00",
        "criteria-TOTAL_FORMS": "1",
        "criteria-INITIAL_FORMS": "0",
        "criteria-MIN_NUM_FORMS": "0",
        "criteria-MAX_NUM_FORMS": "1000",
        "criteria-0-position": "0",
        "criteria-0-criterion": "out_of_county",
    }
    data.update(fields)
    return data


def test_a_draft_edited_in_the_admin_records_each_change_then_its_publication_and_removal(client, make_user, reference):
    admin_user = make_user(Role.ADMIN, username="riksadmin")
    client.force_login(admin_user)

    response = client.post(reverse("admin:regions_raterecommendation_add"), _recommendation_form())
    assert response.status_code == 302
    draft = RateRecommendation.objects.get(code="SKR-2027-01")
    created = RecommendationEvent.objects.get(recommendation=draft)
    assert (created.action, created.via, created.actor) == ("created", Via.ADMIN, admin_user)
    assert created.changes["rates.physician"] == [None, "445.00"]
    assert created.changes["criteria"] == [None, ["out_of_county"]]
    assert created.changes["status"] == [None, "draft"]

    # Change the title and one rate, add a criterion: one entry with exactly those before and after.
    rates = {rate.category: rate for rate in draft.rates.all()}
    criterion = draft.criteria.get()
    edit = _recommendation_form(
        title="SKR:s rekommendation 2027 (rättad)",
        **{
            "rates-INITIAL_FORMS": "3",
            "criteria-TOTAL_FORMS": "2",
            "criteria-INITIAL_FORMS": "1",
            "criteria-0-id": str(criterion.pk),
            "criteria-0-recommendation": str(draft.pk),
            "criteria-1-position": "1",
            "criteria-1-criterion": "digital_contact",
            "rates-0-amount": "450.00",
        },
    )
    for index, category in enumerate(["physician", "psychologist", "other_licensed"]):
        edit[f"rates-{index}-id"] = str(rates[category].pk)
        edit[f"rates-{index}-recommendation"] = str(draft.pk)
    response = client.post(reverse("admin:regions_raterecommendation_change", args=[draft.pk]), edit)
    assert response.status_code == 302
    changed = RecommendationEvent.objects.filter(recommendation=draft).latest("id")
    assert (changed.action, changed.via, changed.actor) == ("changed", Via.ADMIN, admin_user)
    assert changed.changes == {
        "criteria": [["out_of_county"], ["out_of_county", "digital_contact"]],
        "rates.physician": ["445.00", "450.00"],
        "title": ["SKR:s rekommendation 2027", "SKR:s rekommendation 2027 (rättad)"],
    }

    page = client.get(reverse("admin:regions_raterecommendation_change", args=[draft.pk])).content.decode()
    assert "arvode: Läkare: 445.00 → 450.00" in page

    # Removing the draft keeps its history, with what it contained.
    response = client.post(reverse("admin:regions_raterecommendation_delete", args=[draft.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not RateRecommendation.objects.filter(code="SKR-2027-01").exists()
    deleted = RecommendationEvent.objects.filter(code="SKR-2027-01").latest("id")
    assert (deleted.action, deleted.actor, deleted.changes["rates.physician"]) == (
        "deleted",
        admin_user,
        ["450.00", None],
    )
    assert RecommendationEvent.objects.filter(code="SKR-2027-01").count() == 3


def test_publishing_in_the_admin_is_recorded(client, make_user, reference):
    admin_user = make_user(Role.ADMIN)
    client.force_login(admin_user)
    client.post(reverse("admin:regions_raterecommendation_add"), _recommendation_form())
    draft = RateRecommendation.objects.get(code="SKR-2027-01")

    response = client.post(
        reverse("admin:regions_raterecommendation_changelist"),
        {"action": "publish", "_selected_action": [draft.pk], "index": 0},
    )

    assert response.status_code == 302
    event = RecommendationEvent.objects.filter(recommendation=draft).latest("id")
    assert (event.action, event.via, event.actor, event.changes) == (
        "published",
        Via.ADMIN,
        admin_user,
        {"status": ["draft", "published"]},
    )


def test_reference_data_loaded_by_the_command_is_recorded_as_the_system(db):
    call_command("seed_reference_data", stdout=None)

    events = RecommendationEvent.objects.filter(code="SKR-2026-04").order_by("id")
    assert [(e.action, e.via, e.actor_id) for e in events] == [
        ("created", Via.SYSTEM, None),
        ("published", Via.SYSTEM, None),
    ]
    assert events[0].changes["rates.physician"] == [None, "435.00"]


# --- Contacts, invoices, disputes --------------------------------------------------------------------


def test_a_contact_change_records_fields_and_result_before_and_after_with_the_interface(reference, staff, providers):  # noqa: F811
    hsa = providers["04a"].hsa_id
    contacts_upsert(items=[contact_item(provider=hsa)], user=staff["clerk04"], channel="api")

    contacts_upsert(items=[contact_item(provider=hsa, mode="phone")], user=staff["clerk04"], channel="bulk")

    event = ContactEvent.objects.get(contact__external_id="c-1")
    assert (event.kind, event.via, event.actor) == ("updated", "bulk", staff["clerk04"])
    assert event.changes == {"mode": ["video", "phone"]}
    assert (event.result_before["status"], event.result_after["status"]) == ("eligible", "rejected")
    assert event.result_after["reasons"] == ["not_digital"]


def test_an_invoice_records_its_creation_refresh_and_every_step_with_what_changed(january, staff, providers):  # noqa: F811
    run_now(by=staff["clerk04"])
    invoice = Invoice.objects.get(seller="04", buyer="25", period="2026-01")
    created = InvoiceEvent.objects.get(invoice=invoice)
    assert (created.action, created.via, created.actor, created.changes) == (
        "created",
        "run",
        staff["clerk04"],
        {"contact_count": [None, 4], "total": [None, "1140.00"]},
    )

    # A late contact: the next run refreshes the draft and says by how much.
    contacts_upsert(
        items=[
            contact_item(provider=providers["04a"].hsa_id, external_id="late", started_at="2026-01-12T09:00:00+01:00")
        ],
        user=staff["clerk04"],
        channel="api",
    )
    run_now()
    refreshed = InvoiceEvent.objects.filter(invoice=invoice).latest("id")
    assert (refreshed.action, refreshed.via, refreshed.changes) == (
        "refreshed",
        "run",
        {"contact_count": [4, 5], "total": ["1140.00", "1540.00"]},
    )
    run_now()  # nothing new: nothing recorded
    assert InvoiceEvent.objects.filter(invoice=invoice).count() == 2

    invoice_submit(invoice=invoice, by=staff["clerk04"], via="admin")
    invoice_return(invoice=invoice, by=staff["manager04"], note="Kontrollera januari", via="api")
    invoice_submit(invoice=invoice, by=staff["clerk04"], via="admin")
    invoice = invoice_approve(invoice=invoice, by=staff["manager04"], via="api")

    steps = list(InvoiceEvent.objects.filter(invoice=invoice).order_by("id"))[2:]
    assert [(e.action, e.from_status, e.to_status, e.via, e.actor.username) for e in steps] == [
        ("submit", "draft", "submitted", "admin", "clerk04"),
        ("return", "submitted", "draft", "api", "manager04"),
        ("submit", "draft", "submitted", "admin", "clerk04"),
        ("approve", "submitted", "approved", "api", "manager04"),
    ]
    assert steps[1].note == "Kontrollera januari"
    assert steps[1].changes == {}  # returned as it was
    assert steps[3].changes == {
        "due_date": [None, invoice.due_date.isoformat()],
        "issue_date": [None, invoice.issue_date.isoformat()],
        "number": [None, invoice.number],
        "specification_id": [None, invoice.specification_id],
    }


def test_a_dispute_records_opening_assignment_and_decision_with_before_and_after(january, staff):  # noqa: F811
    contact = contact_reject(contact=Contact.objects.get(external_id="lk-29"), by=staff["clerk04"], note="Dubblett")
    # Opened by a colleague: the person who opens a case may not decide it.
    dispute = dispute_open(contact=contact, by=staff["manager04b"], reason="Ändå korrekt", via="admin")
    dispute_assign(dispute=dispute, assignee=staff["manager04"], by=staff["clerk04"], via="admin")
    dispute_assign(dispute=dispute, assignee=staff["clerk04"], by=staff["manager04"], via="api")
    dispute_resolve(dispute=dispute, by=staff["clerk04"], outcome="dismissed", note="Dubblett kvarstår", via="api")

    events = DisputeEvent.objects.filter(dispute=dispute).order_by("id")
    assert [(e.action, e.via, e.actor.username, e.changes) for e in events] == [
        ("opened", "admin", "manager04b", {"status": [None, "open"]}),
        ("assigned", "admin", "clerk04", {"assignee": [None, "manager04"]}),
        ("assigned", "api", "manager04", {"assignee": ["manager04", "clerk04"]}),
        ("dismissed", "api", "clerk04", {"status": ["open", "dismissed"]}),
    ]


def test_the_invoice_page_shows_its_history_as_read_in_swedish(client, january, staff):  # noqa: F811
    run_now(by=staff["clerk04"])
    invoice = Invoice.objects.get(seller="04", buyer="25", period="2026-01")
    invoice_submit(invoice=invoice, by=staff["clerk04"], via="admin")
    client.force_login(staff["manager04"])

    page = client.get(reverse("admin:billing_invoice_change", args=[invoice.pk])).content.decode()

    history = page[page.index('<table class="change-history" id="history">') :]
    history = history[: history.index("</table>")]
    assert "Skapad av en faktureringskörning" in history
    assert "Faktureringskörning" in history
    assert "summa: – → 1\xa0140,00\xa0kr" in history
    assert f"Faktureringskörning {InvoiceRun.objects.get().pk}" in history
    assert "Inskickning" in history
    assert "status: Utkast → Inskickad" in history
    assert history.count("clerk04") == 2
