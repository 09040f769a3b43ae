"""Issue 16 in the reference data: the regions' names, addresses and invoice references reach the invoice PDF and
providers' names the specification and the e-mails, so the admin and the API refuse control and invisible
formatting characters in them; numbers and identifiers take the digits 0-9 only (kernel/text.py)."""

import pytest
from django.urls import reverse

from regions.models import Provider, Region, RegionEvent, RegionPopulation, Role

pytestmark = pytest.mark.django_db

INVISIBLE = {
    "Cc line feed": "\n",
    "Cc carriage return": "\r",
    "Cf right-to-left override": "\u202e",
    "Cf left-to-right isolate": "\u2066",
    "Cf zero-width space": "\u200b",
    "Cf byte-order mark": "\ufeff",
    "Zl line separator": "\u2028",
    "Zp paragraph separator": "\u2029",
}


def refused(char: str) -> str:
    return (
        "Får inte innehålla styrtecken eller osynliga formateringstecken (som radbrytningar, tabbar, "
        f"textriktningstecken eller nollbreddsmellanslag); hittade U+{ord(char):04X}."
    )


def digits(char: str) -> str:
    return f"Skriv tal med siffrorna 0-9; hittade U+{ord(char):04X}."


BILLING_DETAILS = {
    "bankgiro": "5000-0074",
    "address": "Box 1024",
    "postal_code": "551 11",
    "city": "Jönköping",
    "invoice_reference": "Utomlänsfakturering",
}
NO_POPULATIONS = {"populations-TOTAL_FORMS": "0", "populations-INITIAL_FORMS": "0"}


@pytest.fixture
def region_admin(client, make_user):
    """Region Jönköping's own admin on its region's page."""
    client.force_login(make_user(Role.ADMIN, "06"))
    return client


def post_details(client, **changes):
    return client.post(
        reverse("admin:regions_region_change", args=["06"]), {**BILLING_DETAILS, **NO_POPULATIONS, **changes}
    )


@pytest.mark.parametrize("field", ["address", "city", "invoice_reference"])
@pytest.mark.parametrize("char", INVISIBLE.values(), ids=INVISIBLE.keys())
def test_a_regions_address_and_reference_refuse_invisible_characters(region_admin, field, char):
    before = Region.objects.get(code="06")

    response = post_details(region_admin, **{field: f"Box{char}1 Att betala"})

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {field: [refused(char)]}
    assert Region.objects.get(code="06").address == before.address
    assert RegionEvent.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("bankgiro", "\u0665\u0660\u0660\u0660-\u0660\u0660\u0667\u0664", digits("\u0665")),
        ("bankgiro", "5000\u200b-0074", refused("\u200b")),
        ("postal_code", "\uff15\uff15\uff11 \uff11\uff11", digits("\uff15")),
        ("postal_code", "551\u202e11", refused("\u202e")),
    ],
)  # fmt: skip
def test_a_bankgiro_and_a_postal_code_take_ascii_digits_only(region_admin, field, value, message):
    response = post_details(region_admin, **{field: value})

    assert response.context["adminform"].form.errors == {field: [message]}
    assert RegionEvent.objects.count() == 0


def test_ascii_billing_details_are_saved_as_before(region_admin):
    response = post_details(region_admin)

    assert response.status_code == 302
    assert Region.objects.get(code="06").postal_lines == ["Box 1024", "551 11 Jönköping"]


@pytest.fixture
def national_admin(client, make_user):
    client.force_login(make_user(Role.ADMIN))
    return client


def test_a_national_admin_cannot_give_a_region_a_forged_name(national_admin):
    data = {
        "code": "25",
        "name": "Region Norrbotten\u2028Bankgiro 9999-9999",
        "healthcare_region": Region.objects.get(code="25").healthcare_region,
        "org_number": "2321000230",
        **NO_POPULATIONS,
    }

    response = national_admin.post(reverse("admin:regions_region_change", args=["25"]), data)

    assert response.context["adminform"].form.errors == {"name": [refused("\u2028")]}
    assert Region.objects.get(code="25").name == "Region Norrbotten"


@pytest.mark.parametrize(
    ("org_number", "message"),
    [
        # str.isdigit() said yes to these, and the message spoke of a wrong check digit.
        ("\u0662\u0663\u0662\u0661\u0660\u0660\u0660\u0662\u0663\u0660", digits("\u0662")),
        ("232100023\u200f", refused("\u200f")),
    ],
)  # fmt: skip
def test_an_organisation_number_takes_ascii_digits_only(national_admin, org_number, message):
    data = {
        "code": "25",
        "name": "Region Norrbotten",
        "healthcare_region": Region.objects.get(code="25").healthcare_region,
        "org_number": org_number,
        **NO_POPULATIONS,
    }

    response = national_admin.post(reverse("admin:regions_region_change", args=["25"]), data)

    assert response.context["adminform"].form.errors == {"org_number": [message]}


def test_a_population_year_and_count_take_ascii_digits_only(national_admin):
    data = {
        "code": "25",
        "name": "Region Norrbotten",
        "healthcare_region": Region.objects.get(code="25").healthcare_region,
        "org_number": "2321000230",
        "populations-TOTAL_FORMS": "1",
        "populations-INITIAL_FORMS": "0",
        "populations-0-year": "\u0662\u0660\u0662\u0664",  # int() reads it as 2024
        "populations-0-population": "\uff12\uff15\uff10\uff10\uff10\uff10",
        "populations-0-source": "SCB",
    }

    response = national_admin.post(reverse("admin:regions_region_change", args=["25"]), data)

    assert response.status_code == 200
    assert response.context["inline_admin_formsets"][0].formset.errors == [
        {"year": [digits("\u0662")], "population": [digits("\uff12")]}
    ]
    assert RegionPopulation.objects.filter(region_id="25", year=2024).count() == 0


def _provider_data(**changes) -> dict:
    return {"hsa_id": "SE5560000019-X1", "name": "Vård AB", "org_number": "556000-0019", "region": "04", **changes}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "Vård\u2028Bankgiro 9999-9999", refused("\u2028")),
        ("name", "Vård\u202eAB", refused("\u202e")),
        ("hsa_id", "SE5560000019-X\u200b1", refused("\u200b")),
        ("org_number", "556000-001\u0669", digits("\u0669")),
        ("ended_on", "\u0662\u0660\u0662\u0666-01-31", None),  # a date the form cannot read
    ],
)
def test_a_provider_in_the_admin_refuses_invisible_characters_and_look_alike_digits(
    national_admin, field, value, message
):
    response = national_admin.post(
        reverse("admin:regions_provider_add"),
        _provider_data(**{field: value}, active="", ended_on="2026-01-31")
        if field != "ended_on"
        else _provider_data(ended_on=value),
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert list(errors) == [field]
    if message:
        assert errors[field] == [message]
    assert not Provider.objects.filter(hsa_id__startswith="SE5560000019").exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "Vård\u2029AB", refused("\u2029")),
        ("hsa_id", "SE5560000019-X1\u2069", refused("\u2069")),
        ("org_number", "\u0665\u0665\u0666000-0019", digits("\u0665")),
        ("region", "\u0660\u0664", digits("\u0660")),
        ("ended_on", "\u0662\u0660\u0662\u0666-01-31", digits("\u0662")),  # Django's parse_date would read it
    ],
)
def test_a_provider_through_the_api_refuses_them_too(api_as, field, value, message):
    data = {**_provider_data(org_number="5560000019"), field: value}
    if field == "ended_on":
        data["active"] = False

    response = api_as(Role.ADMIN).post("/api/v1/providers/", data, format="json")

    assert (response.status_code, response.json()) == (400, {field: [message]})
    assert not Provider.objects.filter(hsa_id__startswith="SE5560000019").exists()
