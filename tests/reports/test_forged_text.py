"""Issue 16 in the report exports: a listing unit or a provider's name stored before intake refused invisible
characters cannot start a line of the CSV nor turn its text around (kernel/text.py)."""

import pytest

from billing.reports.refresh import summaries_refresh
from contacts.models import Contact
from regions.models import Provider
from tests.reports.conftest import VC01

DASHBOARD = "/admin/reports/"
FULL = "period_from=2025-01&period_to=2026-12"


@pytest.fixture
def forged(known, providers):
    Contact.objects.filter(listing_unit=VC01).update(listing_unit="VC\u2028=1+1\u202e01")
    Provider.objects.filter(pk=providers["04a"].pk).update(name="Vård\u2029AB\u200f")
    summaries_refresh()


def test_the_listing_units_export_keeps_a_forged_unit_on_its_line(client, people, forged):
    client.force_login(people["clerk25"])

    text = client.get(f"{DASHBOARD}?{FULL}&export=listing-units").content.decode()

    assert text.splitlines()[1] == "VC\ufffd=1+1\ufffd01;2;66.7;735.00;62.8"
    assert "\u2028" not in text and "\u202e" not in text


def test_the_providers_export_keeps_a_forged_name_on_its_line(client, people, forged):
    client.force_login(people["clerk25"])

    lines = client.get(f"{DASHBOARD}?{FULL}&export=providers").content.decode().splitlines()

    assert "Vård\ufffdAB\ufffd" in [line.split(";")[0] for line in lines]
    assert not any(line.startswith("AB") for line in lines)


def test_a_population_file_with_look_alike_digits_stores_nothing_from_those_cells(reference):
    from regions.models import RegionPopulation
    from regions.populations import populations_load

    # Arabic-Indic year, fullwidth population, Arabic-Indic region code: int() reads each of them.
    text = "län;år;folkmängd\n25;\u0662\u0660\u0662\u0665;248927\n25;2025;\uff12\uff14\uff18\n\u0660\u0664;2025;5\n"

    result = populations_load(text)

    assert result.stored == 0
    assert [str(error) for error in result.errors] == ["Rad 2: inget år.", "Rad 3: ingen folkmängd för 25 2025."]
    assert RegionPopulation.objects.filter(year=2025).count() == 0
