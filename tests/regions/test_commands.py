import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from contacts.models import Contact
from regions.models import (
    Membership,
    Profession,
    Provider,
    RateRecommendation,
    RecommendationRate,
    Region,
    RegionPopulation,
)

pytestmark = pytest.mark.django_db


def _counts():
    return (
        Region.objects.count(),
        Profession.objects.count(),
        RateRecommendation.objects.count(),
        RecommendationRate.objects.count(),
        Provider.objects.count(),
        get_user_model().objects.count(),
        Membership.objects.count(),
        Contact.objects.count(),
        RegionPopulation.objects.count(),
    )


def test_seed_reference_data_twice_duplicates_nothing(capsys):
    call_command("seed_reference_data")
    first = _counts()
    call_command("seed_reference_data")

    assert first == (21, 27, 3, 9, 0, 0, 0, 0, 0)
    assert _counts() == first
    assert "Reference data loaded (0 new rows)." in capsys.readouterr().out


def test_seed_demo_twice_duplicates_nothing_and_users_can_log_in(client):
    call_command("seed_demo", "--password", "demo-pass-123")
    first = _counts()
    call_command("seed_demo", "--password", "demo-pass-123")

    # 800 contacts in the last six months and 500 in last calendar year per demo provider, and the review's 35
    # late-reported ones (review/demo.py, with its fictional rate correction); demo populations for last year and
    # this year.
    assert first == (21, 27, 4, 12, 5, 7, 7, 6535, 42)
    assert _counts() == first
    for username in ["clerk04", "manager04", "clerk25", "manager25", "admin"]:
        assert client.login(username=username, password="demo-pass-123"), username
        assert client.get("/admin/").status_code == 200
        client.logout()
    assert set(Provider.objects.values_list("region_id", flat=True)) == {"04", "06"}
    manager25 = get_user_model().objects.get(username="manager25")
    assert manager25.membership.region_id == "25"
    assert list(manager25.groups.values_list("name", flat=True)) == ["manager"]


def test_demo_contacts_cover_the_last_six_months_regions_professions_and_reasons():
    call_command("seed_demo", "--password", "demo-pass-123")

    contacts = Contact.objects.all()
    statuses = set(contacts.values_list("status", flat=True))
    reasons = {code for text in contacts.values_list("reasons", flat=True) for code in text.split()}
    assert statuses == {"eligible", "rejected", "invoiced"}  # one demo invoice is approved
    assert {"not_out_of_county", "not_digital", "unlicensed_profession", "no_triage", "referral_only"} <= reasons
    assert contacts.values("home_region").distinct().count() == 21
    assert set(contacts.values_list("billing_region", flat=True).distinct()) == {"04", "06"}
    assert {"LK", "PS", "FT", "SJ"} <= set(contacts.values_list("profession", flat=True).distinct())
    oldest = contacts.order_by("started_at").first().started_at
    newest = contacts.order_by("-started_at").first().started_at
    assert (newest - oldest).days >= 170


def test_demo_invoices_are_built_for_last_month_and_one_is_approved(django_capture_on_commit_callbacks):
    from billing.models import Invoice

    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", "--password", "demo-pass-123")
    invoices_after_first = Invoice.objects.count()
    call_command("seed_demo", "--password", "demo-pass-123")

    assert set(Invoice.objects.values_list("seller_id", flat=True)) == {"04", "06"}
    assert Invoice.objects.count() == invoices_after_first
    from billing.demo import demo_approved_invoice

    approved = demo_approved_invoice()
    assert approved.number.startswith("04-")
    assert bool(approved.pdf) and bool(approved.specification_pdf)
    # The e-invoices (issue 17): the UBL breaks none of the rules it relies on, the fakturaunderlag is valid against
    # Inera's schema and its rules, and both carry the approved invoice's number and total.
    from lxml import etree

    from billing.einvoice.claim import claim_schema
    from billing.einvoice.claim_rules import claim_violations
    from billing.einvoice.ubl_rules import ubl_problems

    with approved.ubl.open("rb") as stored:
        ubl = stored.read()
    assert ubl_problems(ubl) == []
    ubl_root = etree.fromstring(ubl)
    assert ubl_root.findtext("{*}ID") == approved.number
    assert ubl_root.findtext("{*}LegalMonetaryTotal/{*}PayableAmount") == f"{approved.total:.2f}"
    with approved.claim_specification.open("rb") as stored:
        claim = etree.parse(stored)
    claim_schema().assertValid(claim)
    assert claim_violations(claim) == []
    # Two approved: billing's, and the review demo's invoice of late-reported contacts (review/demo.py).
    assert Invoice.objects.filter(status="draft").count() == invoices_after_first - 2
