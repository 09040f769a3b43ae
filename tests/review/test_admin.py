"""The registers in the admin: the upload page, masked lists, the full number on an entry's page (logged), scope."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from contacts.audit.models import IdentityRead, ReadVia
from regions.models import Role
from review.models import PopulationEntry, RegisterLoad
from tests.factories import personnummer

P1 = personnummer("19850312", "238")
FILE = (
    "personal_identity;lan_code;municipality_code;valid_from;valid_to\n"
    f"{P1};01;0180;2020-01-01;\n"
    "19850312-2381;01;0180;2020-01-01;\n"
).encode("cp1252")


@pytest.fixture
def clerk01_client(client, make_user):
    client.force_login(make_user(Role.CLERK, "01"))
    return client


def _upload(client, **fields):
    data = {"kind": "population", "mode": "upsert", "file": SimpleUploadedFile("folk.csv", FILE)} | fields
    return client.post(reverse("admin:review_registerload_upload"), data)


def test_the_upload_page_loads_and_shows_the_load_with_its_error_lines(clerk01_client):
    assert clerk01_client.get(reverse("admin:review_registerload_upload")).status_code == 200
    response = _upload(clerk01_client)
    load = RegisterLoad.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:review_registerload_change", args=[load.pk])
    assert (load.via, load.file_name, load.inserted, load.refused) == ("admin", "folk.csv", 1, 1)
    page = clerk01_client.get(response["Location"]).content.decode()
    assert "Rad 3: valid_from" in page or "Rad 3: personal_identity" in page


def test_replace_without_a_period_is_a_form_error(clerk01_client):
    response = _upload(clerk01_client, mode="replace_period")
    assert response.status_code == 200
    assert RegisterLoad.objects.count() == 0


def test_lists_mask_numbers_and_the_entry_page_is_logged(clerk01_client):
    _upload(clerk01_client)
    entry = PopulationEntry.objects.get()
    listing = clerk01_client.get(reverse("admin:review_populationentry_changelist")).content.decode()
    assert "19850312-****" in listing
    assert entry.personal_identity not in listing
    assert IdentityRead.objects.count() == 0
    found = clerk01_client.get(
        reverse("admin:review_populationentry_changelist"), {"q": P1}, follow=True
    ).content.decode()
    assert "19850312-****" in found
    page = clerk01_client.get(reverse("admin:review_populationentry_change", args=[entry.pk])).content.decode()
    assert entry.personal_identity in page
    read = IdentityRead.objects.get()
    assert (read.via, read.register, read.contact_count) == (ReadVia.ADMIN_REGISTER, "population:01", 1)


@pytest.mark.parametrize(("role", "region"), [(Role.CLERK, "03"), (Role.ADMIN, "03"), (Role.ADMIN, None)])
def test_no_one_else_sees_the_entries_or_loads(client, clerk01_client, make_user, role, region):
    _upload(clerk01_client)
    entry = PopulationEntry.objects.get()
    load = RegisterLoad.objects.get()
    client.force_login(make_user(role, region))
    assert client.get(reverse("admin:review_populationentry_change", args=[entry.pk])).status_code in (302, 404)
    assert client.get(reverse("admin:review_registerload_change", args=[load.pk])).status_code in (302, 404)
    listing = client.get(reverse("admin:review_populationentry_changelist")).content.decode()
    assert "19850312-****" not in listing
    assert IdentityRead.objects.count() == 0


def test_the_identity_read_log_names_the_register(client, clerk01_client, make_user):
    _upload(clerk01_client)
    entry = PopulationEntry.objects.get()
    clerk01_client.get(reverse("admin:review_populationentry_change", args=[entry.pk]))
    client.force_login(make_user(Role.ADMIN))
    page = client.get(reverse("admin:contacts_identityread_changelist")).content.decode()
    assert "population:01" in page
